"""Values hostile to LDAP: refused cleanly, or kept exactly and found exactly.

Filter syntax (``*`` ``(`` ``)`` ``\\`` NUL), DN syntax (``,`` ``+`` ``=``
``"`` ``\\`` ``<`` ``>`` ``;``, a leading ``#`` or space, a trailing space),
non-ASCII text and very long values are sent as ``userName`` (which names
the user's entry), ``displayName``, ``name.givenName``, ``title``,
``externalId`` and a group's ``displayName`` (which names the group's).
Each is either refused with a 4xx that leaves the directory as it was, or
answered 201, and then:

- GET returns exactly the value sent;
- the directory gained one entry, one RDN under the right base, and no
  other entry changed (so no DN special reached another entry);
- ``eq`` finds exactly that resource, and ``sw``/``co`` with a piece of
  the value find exactly the resources of the test whose value has it,
  among decoys chosen so that a wildcard or a lost escape would find more.

``bridge/mapping/filters.py`` documents where slapd's matching differs
from SCIM's (insignificant spaces, compatibility folding); a piece with
spaces at its edges is the one such case here, and must be refused with
``invalidFilter``. Decoys that slapd would judge equal to the value (``a``
and ``a `` under caseIgnoreMatch) are not used.
"""

import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import ldap3
import pytest

from tests.badinput.support import (
    Answer,
    Client,
    Mark,
    State,
    directory_state,
    entry_state,
    found_ids,
    quoted,
    send,
    written_since,
)
from tests.integration.test_entra_support import (
    ENTERPRISE,
    GROUP_SCHEMAS,
    PATCH,
    USER_SCHEMAS,
    tag,
)
from tests.support import Stack

pytestmark = pytest.mark.asyncio(loop_scope="module")

# (id, value, decoys); "{t}" is a random tag that keeps every value unique
# in the shared slapd, placed so that the hostile characters keep their
# position (first, last) in the value. Every value must be accepted (a
# "Smith, Ann" or "R&D <Paris>" is an ordinary name), except where
# NOT_A_NAME gives the reason the bridge must refuse it as an entry's name.
# fmt: off
HOSTILE = [
    ("star-last", "{t}*", ["{t}", "{t}x", "{t}*x"]),
    ("star-first", "*{t}", ["x{t}", "{t}"]),
    ("filter-injection", "{t})(uid=*", ["{t}", "{t})(uid=x"]),
    ("parentheses", "({t})", ["{t}", "x{t}x"]),
    ("backslash-last", "{t}\\", ["{t}", "{t}\\\\"]),
    ("escaped-star-as-text", "{t}\\2a", ["{t}*", "{t}2a", "{t}\\"]),
    ("nul", "{t}\x00x", ["{t}", "{t}x", "{t}\\00x"]),
    ("comma-and-base", "{t},ou=groups", ["{t}", "{t}ou=groups"]),
    ("plus-multi-rdn", "{t}+cn=x", ["{t}", "{t}+cn"]),
    ("equals", "{t}=x", ["{t}", "{t}x"]),
    ("quotes", '"{t}"', ["{t}", '"{t}']),
    ("angle-brackets", "<{t}>", ["{t}", "<{t}"]),
    ("semicolon", "{t};x", ["{t}", "{t}x"]),
    ("hash-first", "#{t}", ["{t}", "x#{t}"]),
    ("space-first", " {t}", ["x {t}"]),
    ("space-last", "{t} ", ["{t} x"]),
    ("nbsp-last", "{t}\u00a0", ["{t}\u00a0x"]),
    ("nbsp-first", "\u00a0{t}", ["x\u00a0{t}"]),
    ("em-space-last", "{t}\u2003", ["{t}\u2003x"]),
    ("every-dn-special", ',+"\\<>;={t}', ["{t}", '+"\\<>;={t}']),
    ("hex-escape-as-text", "\\23{t}", ["#{t}", "23{t}"]),
    ("accents", "Zoë Ørsted-{t}", ["Zoe Orsted-{t}"]),
    ("cjk", "日本語-{t}", ["日本-{t}"]),
    ("emoji", "😀{t}", ["{t}", "😁{t}"]),
    ("right-to-left", "שלום-{t}", ["{t}"]),
]
# fmt: on
CASES = [pytest.param(value, decoys, id=name) for name, value, decoys in HOSTILE]
NOT_A_NAME = {"{t}\x00x": "control characters"}
"""Values refused as an RDN, with a piece of the detail (``changes.py``)."""

USER_FIELDS = ("displayName", "name.givenName", "title", "externalId")
CASE_EXACT = {"externalId"}


def _fold(text: str, field: str) -> str:
    """A value as SCIM compares it: NFC, and lower case unless caseExact."""
    text = unicodedata.normalize("NFC", text)
    return text if field in CASE_EXACT else text.lower()


def _read(resource: dict[str, Any], field: str) -> Any:
    head, _, sub = field.partition(".")
    value = resource.get(head)
    return value.get(sub) if sub and isinstance(value, dict) else value


def _user(user_name: str, value: str, marker: str) -> dict[str, Any]:
    """A user whose free-text attributes all hold ``value``."""
    return {
        "schemas": USER_SCHEMAS,
        "userName": user_name,
        "active": True,
        "displayName": value,
        "title": value,
        "externalId": value,
        "name": {"givenName": value},
        ENTERPRISE: {"employeeNumber": marker},
    }


# -- the directory side ------------------------------------------------------


_STAMPS = {"entryCSN", "modifyTimestamp", "modifiersName"}
"""What records that a write happened, rather than what an entry holds."""


def _content(state: State) -> dict[str, dict[str, list[str]]]:
    return {dn: {k: v for k, v in a.items() if k not in _STAMPS} for dn, a in state}


def _only_new_entry(stack: Stack, before: Mark, base: str, ident: str) -> None:
    """The entry ``ident`` is the one write since ``before``: one entry more,
    one RDN under ``base``, and no other entry written or deleted."""
    dn = _child(stack, base, ident)[0]
    assert directory_state(stack).entries == before.entries + 1
    assert written_since(stack, before) == [dn]


def _base(stack: Stack, endpoint: str) -> str:
    return (
        stack.mapping.groups.base if endpoint == "Groups" else stack.mapping.users.base
    )


def _child(stack: Stack, base: str, ident: str) -> tuple[str, dict[str, list[str]]]:
    """The entry with this entryUUID found one level under ``base``."""
    conn = stack.admin()
    try:
        conn.search(base, f"(entryUUID={ident})", ldap3.LEVEL, attributes=["*"])
        assert len(conn.entries) == 1
        found = conn.entries[0]
        raw = found.entry_raw_attributes
        return found.entry_dn, {k: [v.decode() for v in vs] for k, vs in raw.items()}
    finally:
        conn.unbind()


async def _refused_cleanly(
    answer: Answer, stack: Stack, before: Mark, reason: str = ""
) -> None:
    """A 4xx SCIM error with a detail (holding ``reason``), nothing written."""
    assert 400 <= answer.status < 500, answer.body
    assert answer.body["status"] == str(answer.status)
    assert reason in answer.detail and answer.detail
    assert directory_state(stack) == before, written_since(stack, before)


# -- the SCIM side -------------------------------------------------------------


class Population:
    """The resources one test created: id → the value of one attribute."""

    def __init__(self, client: Client, endpoint: str) -> None:
        self.client = client
        self.endpoint = endpoint
        self.values: dict[str, str] = {}

    async def create(self, body: dict[str, Any], value: str) -> Answer:
        answer = await send(self.client, "POST", self.endpoint, body)
        if answer.status == 201:
            self.values[answer.body["id"]] = value
        return answer

    def having(self, piece: str, field: str, where: str) -> list[str]:
        """Ids whose value starts with (sw) or contains (co) ``piece``."""
        wanted = _fold(piece, field)
        test = str.startswith if where == "sw" else str.__contains__
        return sorted(
            i for i, v in self.values.items() if test(_fold(v, field), wanted)
        )

    async def delete_all(self) -> None:
        for ident in self.values:
            await send(self.client, "DELETE", f"{self.endpoint}/{ident}")


@asynccontextmanager
async def _population(client: Client, endpoint: str) -> AsyncIterator[Population]:
    created = Population(client, endpoint)
    try:
        yield created
    finally:
        await created.delete_all()


def _irregular_spaces(text: str) -> bool:
    """Spaces slapd would drop or fold: the bridge refuses them in sw/co."""
    return (
        text != text.strip(" ")
        or "  " in text
        or any(c != " " and unicodedata.category(c) == "Zs" for c in text)
    )


def _pieces(value: str) -> list[tuple[str, str]]:
    """A prefix for sw and an infix for co, each holding the tag."""
    return [("sw", value[:-1]), ("co", value[1:])]


async def _found_exactly(
    population: Population, field: str, value: str, scope: str = ""
) -> None:
    """eq finds the value's resource; sw/co find what SCIM says they find."""
    client, endpoint = population.client, population.endpoint
    exact = [i for i, v in population.values.items() if v == value]
    assert (
        await found_ids(client, endpoint, f"{field} eq {quoted(value)}{scope}")
    ).body == exact
    for where, piece in _pieces(value):
        answer = await found_ids(
            client, endpoint, f"{field} {where} {quoted(piece)}{scope}"
        )
        if _irregular_spaces(piece):
            # slapd drops edge spaces of a substring (filters.py, deviation 1).
            assert (answer.status, answer.body["scimType"]) == (400, "invalidFilter")
        else:
            assert answer.body == population.having(piece, field, where)


# -- the tests -----------------------------------------------------------------


@dataclass(frozen=True)
class Naming:
    """How one resource type's naming attribute is sent and stored."""

    endpoint: str
    field: str
    rdn: str

    def body(self, name: str, marker: str) -> dict[str, Any]:
        if self.endpoint == "Groups":
            return {"schemas": GROUP_SCHEMAS, "displayName": name}
        return _user(name, "plain", marker)


KINDS = [
    pytest.param(Naming("Users", "userName", "uid"), id="userName"),
    pytest.param(Naming("Groups", "displayName", "cn"), id="group-displayName"),
]


@pytest.mark.parametrize("naming", KINDS)
@pytest.mark.parametrize(("template", "decoys"), CASES)
async def test_a_hostile_name_names_one_entry_and_is_found_exactly(
    bridge: Client,
    general_stack: Stack,
    naming: Naming,
    template: str,
    decoys: list[str],
) -> None:
    """The RDN value: one entry one level under the base, echoed, found exactly."""
    t, marker = tag(), f"hv{tag()}"
    value = template.format(t=t)
    base = _base(general_stack, naming.endpoint)
    before = directory_state(general_stack)

    async with _population(bridge, naming.endpoint) as created:
        answer = await created.create(naming.body(value, marker), value)
        if template in NOT_A_NAME:
            await _refused_cleanly(answer, general_stack, before, NOT_A_NAME[template])
            return
        assert answer.status == 201, answer.body
        ident = answer.body["id"]
        _only_new_entry(general_stack, before, base, ident)
        for decoy in (d.format(t=t) for d in decoys):
            made = await created.create(naming.body(decoy, marker), decoy)
            assert made.status == 201, made.body

        fetched = await send(bridge, "GET", f"{naming.endpoint}/{ident}")
        stored = _child(general_stack, base, ident)[1]
        assert (answer.body[naming.field], fetched.body[naming.field]) == (value, value)
        assert stored[naming.rdn] == [value]
        await _found_exactly(created, naming.field, value)


ROLLBACKS = [
    pytest.param(value, id=name)
    for name, value, _ in HOSTILE
    if value not in NOT_A_NAME
]


@pytest.mark.parametrize("template", ROLLBACKS)
async def test_a_refused_rename_puts_back_the_exact_name(
    bridge: Client, general_stack: Stack, template: str
) -> None:
    """A rename whose attribute change slapd refuses leaves the name as sent."""
    t = tag()
    value = template.format(t=t)
    people = general_stack.mapping.users.base
    async with _population(bridge, "Users") as users:
        made = await users.create(_user(value, "plain", f"hv{t}"), value)
        assert made.status == 201, made.body
        ident = made.body["id"]
        dn = _child(general_stack, people, ident)[0]
        before = directory_state(general_stack)
        entry_before = entry_state(general_stack, dn)
        # mail is IA5String: slapd refuses the modify after the MODRDN.
        operations = [
            _replace("userName", f"renamed-{t}"),
            _replace('emails[type eq "work"].value', "josé@example.org"),
        ]
        body = {"schemas": [PATCH], "Operations": operations}

        answer = await send(bridge, "PATCH", f"Users/{ident}", body)

        dn_after = _child(general_stack, people, ident)[0]
        entry_after = entry_state(general_stack, dn_after)
        written = written_since(general_stack, before)
        after = directory_state(general_stack)
    assert (answer.status, answer.body["scimType"]) == (400, "invalidValue")
    assert "mail" in answer.detail
    # Renamed and renamed back: two writes, so this entry's stamps moved;
    # its content must be as it was, and no other entry written or deleted.
    assert _content(entry_after) == _content(entry_before)
    assert (written, after.entries) == ([dn_after], before.entries)


@pytest.mark.parametrize(("template", "decoys"), CASES)
async def test_hostile_free_text_is_stored_echoed_and_found_exactly(
    bridge: Client, general_stack: Stack, template: str, decoys: list[str]
) -> None:
    """displayName, givenName, title, externalId: exact round trip and search."""
    t, marker = tag(), f"hv{tag()}"
    value = template.format(t=t)
    scope = f' and {ENTERPRISE}:employeeNumber eq "{marker}"'
    before = directory_state(general_stack)

    async with _population(bridge, "Users") as users:
        answer = await users.create(_user(f"hv-{t}-0", value, marker), value)
        assert answer.status == 201, answer.body
        people = general_stack.mapping.users.base
        _only_new_entry(general_stack, before, people, answer.body["id"])
        for number, decoy in enumerate(decoys, 1):
            body = _user(f"hv-{t}-{number}", decoy.format(t=t), marker)
            made = await users.create(body, decoy.format(t=t))
            assert made.status == 201, made.body

        fetched = await send(bridge, "GET", f"Users/{answer.body['id']}")
        for field in USER_FIELDS:
            assert (_read(answer.body, field), _read(fetched.body, field)) == (
                value,
                value,
            )
            await _found_exactly(users, field, value, scope)


def _replace(field: str, value: str) -> dict[str, Any]:
    return {"op": "replace", "path": field, "value": value}


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize("naming", KINDS)
async def test_nfc_and_nfd_of_one_name_are_one_name_each_kept_as_sent(
    bridge: Client, general_stack: Stack, naming: Naming
) -> None:
    """slapd's identity: the NFD form clashes (409) but a rename to it keeps it."""
    t, marker = tag(), f"hv{tag()}"
    composed = unicodedata.normalize("NFC", f"Zoë Ångström-{t}")
    async with _population(bridge, naming.endpoint) as created:
        first = await created.create(naming.body(composed, marker), composed)
        before = directory_state(general_stack)

        clash = await created.create(naming.body(_nfd(composed), marker), "")
        after_clash = directory_state(general_stack)
        ident = first.body["id"]
        body = {
            "schemas": [PATCH],
            "Operations": [_replace(naming.field, _nfd(composed))],
        }
        renamed = await send(bridge, "PATCH", f"{naming.endpoint}/{ident}", body)
        fetched = await send(bridge, "GET", f"{naming.endpoint}/{ident}")

    assert first.status == 201
    assert (clash.status, clash.body["scimType"]) == (409, "uniqueness")
    assert after_clash == before
    assert renamed.status in (200, 204)
    assert fetched.body[naming.field] == _nfd(composed)


async def test_nfc_and_nfd_free_text_are_kept_as_sent_and_match_each_other(
    bridge: Client,
) -> None:
    """Each form is echoed as sent; eq with either finds both (NFC compare)."""
    t, marker = tag(), f"hv{tag()}"
    composed = unicodedata.normalize("NFC", f"Chloé Müller-{t}")
    scope = f' and {ENTERPRISE}:employeeNumber eq "{marker}"'
    async with _population(bridge, "Users") as users:
        for number, form in enumerate((composed, _nfd(composed))):
            made = await users.create(_user(f"hv-{t}-{number}", form, marker), form)
            assert made.status == 201, made.body

        for ident, form in users.values.items():
            fetched = await send(bridge, "GET", f"Users/{ident}")
            assert [_read(fetched.body, f) for f in USER_FIELDS] == [form] * 4
        for field in USER_FIELDS:
            for form in (composed, _nfd(composed)):
                query = f"{field} eq {quoted(form)}{scope}"
                found = await found_ids(bridge, "Users", query)
                assert found.body == sorted(users.values)


# fmt: off
LONG = [
    pytest.param("Users", field, size, id=f"{field}-{size}")
    for field in ("userName", *USER_FIELDS) for size in (1_000, 100_000)
] + [
    pytest.param("Groups", "displayName", size, id=f"group-displayName-{size}")
    for size in (1_000, 100_000)
]
# fmt: on


def _long_value(t: str, size: int) -> str:
    """``size`` characters: the tag, a non-ASCII letter and a filter special."""
    return (f"{t}é*" * size)[:size]


def _long_body(endpoint: str, field: str, value: str, t: str) -> dict[str, Any]:
    if endpoint == "Groups":
        return {"schemas": GROUP_SCHEMAS, "displayName": value}
    body = _user(f"hv-{t}", f"short {t}", f"hv{t}")
    head, _, sub = field.partition(".")
    body[head] = {sub: value} if sub else value
    return body


@pytest.mark.parametrize(("endpoint", "field", "size"), LONG)
async def test_a_very_long_value_is_stored_whole_or_refused_cleanly(
    bridge: Client, general_stack: Stack, endpoint: str, field: str, size: int
) -> None:
    """1,000 and 100,000 characters: 201, echoed and found; or a clean 4xx."""
    t = tag()
    value = _long_value(t, size)
    before = directory_state(general_stack)

    async with _population(bridge, endpoint) as created:
        answer = await created.create(_long_body(endpoint, field, value, t), value)
        if answer.status != 201:
            await _refused_cleanly(answer, general_stack, before)
            return
        fetched = await send(bridge, "GET", f"{endpoint}/{answer.body['id']}")
        found = await found_ids(bridge, endpoint, f"{field} eq {quoted(value)}")

    assert _read(fetched.body, field) == value
    assert found.body == [answer.body["id"]]


# fmt: off
LONG_PATCHES = [
    pytest.param("Users", "userName", 1_000, id="rename-userName-1000"),
    pytest.param("Users", "title", 100_000, id="title-100000"),
    pytest.param("Groups", "displayName", 1_000, id="rename-group-1000"),
]
# fmt: on


@pytest.mark.parametrize(("endpoint", "field", "size"), LONG_PATCHES)
async def test_a_very_long_value_by_patch_is_stored_whole_or_refused_cleanly(
    bridge: Client, general_stack: Stack, endpoint: str, field: str, size: int
) -> None:
    """A PATCH (a rename, for the naming attribute): 2xx and echoed, or 4xx."""
    t = tag()
    value = _long_value(t, size)
    async with _population(bridge, endpoint) as created:
        made = await created.create(_long_body(endpoint, field, f"hv {t}", t), "")
        ident = made.body["id"]
        before = directory_state(general_stack)
        body = {"schemas": [PATCH], "Operations": [_replace(field, value)]}

        answer = await send(bridge, "PATCH", f"{endpoint}/{ident}", body)

        if answer.status >= 400:
            await _refused_cleanly(answer, general_stack, before)
            return
        fetched = await send(bridge, "GET", f"{endpoint}/{ident}")
    assert _read(fetched.body, field) == value
