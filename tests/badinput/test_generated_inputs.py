"""Generated inputs: never a 500, and a refusal changes nothing.

Hypothesis drives three things the fixed tables cannot cover: any text as
a ``userName`` (through POST, GET and a filter), PATCH bodies built from a
small grammar of operations, paths and values (against one user and one
group), and the DN functions every entry name goes through. Examples are
bounded (about 100 each) so the module stays within seconds.
"""

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from bridge.mapping.dn import build_dn, split_dn
from tests.badinput.support import (
    Answer,
    Client,
    Mark,
    directory_state,
    fill,
    found_ids,
    quoted,
    send,
)
from tests.integration.test_entra_support import (
    ENTERPRISE,
    PATCH,
    USER_SCHEMAS,
    entra_group,
    entra_user,
    tag,
)
from tests.support import Stack

IN_MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")
"""The live tests share the module's client, so they run in its loop."""
LIVE = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_SPECIALS = '*()\\\x00,+="<>;# \t\né日😀\u0301\u00a0\u200b'
TEXT = st.text(
    st.one_of(st.sampled_from(_SPECIALS), st.characters(codec="utf-8")), max_size=10
)


Snapshot = Callable[[], Mark]


@pytest.fixture(scope="module")
def state(general_stack: Stack) -> Snapshot:
    """The directory's mark as a function: hypothesis prints the arguments
    of a failing example, and a Stack would show the test accounts."""
    return lambda: directory_state(general_stack)


def _assert_refused(answer: Answer, state: Snapshot, before: Mark) -> None:
    """A SCIM error with a detail, and the directory as it was."""
    assert 400 <= answer.status < 500, answer.body
    assert (answer.body["status"], bool(answer.detail)) == (str(answer.status), True)
    assert state() == before


# -- (a) any userName ----------------------------------------------------------


@IN_MODULE_LOOP
@LIVE
@given(head=TEXT, tail=TEXT)
async def test_any_user_name_is_refused_cleanly_or_kept_and_found_exactly(
    bridge: Client, state: Snapshot, head: str, tail: str
) -> None:
    """Accepted: echoed exactly and found by eq alone; refused: nothing written."""
    value = f"{head}{tag()}{tail}"
    before = state()

    answer = await send(
        bridge,
        "POST",
        "Users",
        {"schemas": USER_SCHEMAS, "userName": value, "active": True},
    )
    event(f"{answer.status} {answer.detail[:40]}")

    if answer.status != 201:
        _assert_refused(answer, state, before)
        return
    ident = answer.body["id"]
    try:
        fetched = await send(bridge, "GET", f"Users/{ident}")
        found = await found_ids(bridge, "Users", f"userName eq {quoted(value)}")
        assert (answer.body["userName"], fetched.body["userName"]) == (value, value)
        assert found.body == [ident]
    finally:
        await send(bridge, "DELETE", f"Users/{ident}")


# -- (b) any PATCH ---------------------------------------------------------------

_PATHS = [
    "title", "displayName", "userName", "externalId", "active", "name",
    "name.givenName", "name.familyName", "emails", 'emails[type eq "work"].value',
    'emails[type eq "home"]', 'emails[value co "x"].value', "phoneNumbers",
    'addresses[type eq "work"].locality', f"{ENTERPRISE}:manager",
    f"{ENTERPRISE}:department", "members", 'members[value eq "{other}"]',
    "members[value eq 5]", "id", "meta.created", "schemas", "nosuch",
    "name..x", "emails[", "", "urn:x:y", "title[",
]  # fmt: skip
_REFERENCE = st.sampled_from(["{other}", "{user}", "{group}", "no-such-id"])
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    TEXT,
    _REFERENCE,
    st.fixed_dictionaries({"value": _REFERENCE}),
    st.lists(st.fixed_dictionaries({"value": _REFERENCE}), max_size=2),
    st.fixed_dictionaries({"givenName": TEXT}, optional={"familyName": TEXT}),
    st.dictionaries(st.sampled_from(["title", "displayName", "active", "x"]), TEXT),
    st.lists(TEXT, max_size=2),
)
_LEFT_OUT = object()
"""A key the operation does not have."""


def _operation(op: Any, path: Any, value: Any) -> dict[str, Any]:
    parts = {"op": op, "path": path, "value": value}
    return {key: item for key, item in parts.items() if item is not _LEFT_OUT}


def _rarely(common: st.SearchStrategy[Any], rare: Any) -> st.SearchStrategy[Any]:
    """``common`` seven times in eight, else ``rare`` (a strategy or value)."""
    other = rare if isinstance(rare, st.SearchStrategy) else st.just(rare)
    return st.integers(0, 7).flatmap(lambda n: other if n == 0 else common)


# Mostly well-formed, so that most examples get as far as the directory.
_OPERATION = st.builds(
    _operation,
    op=_rarely(
        st.sampled_from(["add", "remove", "replace", "Add", "Replace", "Remove"]),
        st.sampled_from(["move", 5, _LEFT_OUT]),
    ),
    path=_rarely(st.sampled_from(_PATHS), _LEFT_OUT),
    value=_rarely(_VALUES, _LEFT_OUT),
)
_BODIES = _rarely(
    st.fixed_dictionaries(
        {
            "schemas": st.just([PATCH]),
            "Operations": st.lists(_OPERATION, min_size=1, max_size=3),
        }
    ),
    st.fixed_dictionaries({"Operations": st.one_of(_VALUES, _OPERATION)}),
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def targets(bridge: Client) -> AsyncIterator[dict[str, str]]:
    """Ids of a user (with a manager), the manager and a group."""
    t = tag()
    made = {}
    for name, endpoint, body in [
        ("other", "Users", entra_user(f"gen{t}b")),
        ("user", "Users", entra_user(f"gen{t}a")),
        ("group", "Groups", entra_group(f"Generated {t}")),
    ]:
        answer = await send(bridge, "POST", endpoint, body)
        assert answer.status == 201, answer.body
        made[name] = answer.body["id"]
    yield made
    for name, endpoint in [("group", "Groups"), ("user", "Users"), ("other", "Users")]:
        await send(bridge, "DELETE", f"{endpoint}/{made[name]}")


@IN_MODULE_LOOP
@LIVE
@given(endpoint=st.sampled_from(["Users", "Groups"]), body=_BODIES)
async def test_any_patch_is_answered_without_a_500_and_a_refusal_changes_nothing(
    bridge: Client,
    state: Snapshot,
    targets: dict[str, str],
    endpoint: str,
    body: dict[str, Any],
) -> None:
    """Generated PATCH: 2xx and still readable, or a 4xx that wrote nothing."""
    ident = targets["group" if endpoint == "Groups" else "user"]
    before = state()

    answer = await send(bridge, "PATCH", f"{endpoint}/{ident}", fill(body, targets))
    event(f"{endpoint} {answer.status} {answer.detail[:40]}")

    if answer.status >= 400:
        _assert_refused(answer, state, before)
        return
    fetched = await send(bridge, "GET", f"{endpoint}/{ident}")
    assert (answer.status, fetched.status) in ((200, 200), (204, 200))


# -- (c) DN building -------------------------------------------------------------

_ATTRIBUTES = st.sampled_from(["uid", "cn", "scimExternalId"])
_BASES = st.sampled_from(
    ["ou=people,dc=example,dc=org", "ou=Groups, dc=Example,dc=org"]
)


def _round_trip(attribute: str, value: str, base: str) -> None:
    dn = build_dn(attribute, value, base)

    parts = split_dn(dn)

    assert parts[0] == (attribute, value)
    assert [(a.lower(), v) for a, v in parts[1:]] == [
        (a.lower(), v) for a, v in split_dn(base)
    ]


@given(
    attribute=_ATTRIBUTES,
    value=TEXT.filter(bool),
    base=_BASES,
)
@example(attribute="uid", value='#, +"\\<>;= x', base="ou=people,dc=example,dc=org")
def test_a_built_dn_splits_back_into_its_rdn_and_its_base(
    attribute: str, value: str, base: str
) -> None:
    """split_dn(build_dn(a, v, base)) gives (a, v) first, then the base."""
    _round_trip(attribute, value, base)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(" a", id="space-first"),
        pytest.param("#a", id="hash-first"),
        *[
            pytest.param(v, id=name)
            for name, v in [
                ("space-last", "a "),
                ("backslash-space-last", "a\\ "),
                ("nbsp-last", "a\u00a0"),
                ("nbsp-first", "\u00a0a"),
                ("newline-last", "a\n"),
                ("tab-first", "\ta"),
            ]
        ],
    ],
)  # fmt: skip
def test_a_value_with_whitespace_at_an_edge_survives_the_round_trip(value: str) -> None:
    """Edge spaces are part of the value (RFC 4514 §2.4 escapes them)."""
    _round_trip("uid", value, "ou=people,dc=example,dc=org")
