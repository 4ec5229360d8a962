"""Bad requests: the right SCIM error, and the directory exactly as it was.

Entra retries a failed request for weeks and quarantines a job that keeps
failing (``entra-client.md`` §8), so a bad request must say precisely what
is wrong, with the status and ``scimType`` of RFC 7644 §3.12, and must not
have written anything. Each row of the table below is sent to the live
bridge after a user, a second user (the first one's manager) and a group
(the first user its member) have been created; the whole directory,
``entryCSN`` included, is compared before and after.

Requests that RFC 7644 tells the service to interpret rather than refuse
(paging out of range, a remove that selects nothing) have tables of their
own: they succeed, and still change nothing.
"""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from tests.badinput.support import (
    BIND_DN_PIECE,
    Answer,
    Client,
    directory_state,
    fill,
    send,
    written_since,
)
from tests.integration.test_entra_support import (
    ENTERPRISE,
    PATCH,
    entra_group,
    entra_user,
    tag,
)
from tests.support import Stack

MANAGER = f"{ENTERPRISE}:manager"

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass(frozen=True)
class Bad:
    """A bad request and the error it must get.

    Strings may hold ``{user}``, ``{other}``, ``{group}``, ``{unknown}`` (an
    id no entry has) and ``{prefix}`` (the arranged users' name prefix).
    """

    method: str
    path: str
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 400
    scim_type: str | None = None
    detail: tuple[str, ...] = ()
    """Pieces the detail must contain, compared without case."""


def _ops(*operations: Any) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def _set(path: str, value: Any) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value}


def _user(**changes: Any) -> dict[str, Any]:
    """Entra's user POST for a fresh name, with some members changed."""
    return entra_user(f"bad{tag()}") | changes


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def _members(*ids: str) -> dict[str, Any]:
    return {"op": "add", "path": "members", "value": [{"value": i} for i in ids]}


def _row(
    name: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    status: int = 400,
    scim: str | None = None,
    detail: tuple[str, ...] = (),
    bug: str | None = None,
    **options: dict[str, str],
) -> Any:
    """One table row; ``bug`` marks a row the bridge answers wrongly today
    (a strict xfail, so the fix shows as a failure to update the table)."""
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    bad = Bad(
        method, path, body, status=status, scim_type=scim, detail=detail, **options
    )
    return pytest.param(bad, id=name, marks=marks)


def _patch(name: str, path: str, *ops: Any, **expected: Any) -> Any:
    return _row(name, "PATCH", path, _ops(*ops), **expected)


def _filter(name: str, text: str, piece: str) -> Any:
    params = {"filter": text}
    return _row(
        f"filter-{name}",
        "GET",
        "Users",
        params=params,
        scim="invalidFilter",
        detail=(piece,),
    )


def _stale(name: str, method: str, path: str, body: Any, version: str) -> Any:
    return _row(
        f"if-match-{name}-{method.lower()}",
        method,
        path,
        body,
        status=412,
        headers={"If-Match": version},
        detail=("If-Match",),
    )


USER = "Users/{user}"
GROUP = "Groups/{group}"
UNKNOWN = "Users/{unknown}"
VALID = _ops(_set("title", "Changed"))
INVALID = "invalidValue"
MUTABILITY = "mutability"
SYNTAX = "invalidSyntax"

# fmt: off
REFUSED = [
    # -- wrong JSON types for known attributes ----------------------------
    _row("post-userName-a-number", "POST", "Users", _user(userName=5), scim=INVALID,
         detail=("userName", "string")),
    _row("post-active-maybe", "POST", "Users", _user(active="maybe"), scim=INVALID,
         detail=("active", "boolean")),
    _row("post-emails-not-a-list", "POST", "Users", _user(emails="a@example.org"),
         scim=INVALID, detail=("emails", "list")),
    _row("post-name-a-string", "POST", "Users", _user(name="Ann Smith"), scim=INVALID,
         detail=("name",)),
    _row("post-group-displayName-a-list", "POST", "Groups",
         entra_group("g") | {"displayName": ["G"]}, scim=INVALID,
         detail=("displayName",)),
    _patch("patch-active-maybe", USER, _set("active", "maybe"), scim=INVALID,
           detail=("active",)),
    _patch("patch-userName-a-number", USER, _set("userName", 5), scim=INVALID,
           detail=("userName",)),
    # -- a lone UTF-16 surrogate: JSON lets "\ud800" through, UTF-8 has none
    _row("post-displayName-lone-surrogate", "POST", "Users",
         _user(displayName="a\ud800"), scim=INVALID,
         detail=("displayName", "unicode")),
    _row("post-userName-lone-surrogate", "POST", "Users", _user(userName="\udc00x"),
         scim=INVALID, detail=("userName", "unicode")),
    _row("put-group-displayName-lone-surrogate", "PUT", GROUP,
         entra_group("g") | {"displayName": "\ud83d"}, scim=INVALID,
         detail=("displayName", "unicode")),
    _patch("patch-title-lone-surrogate", USER, _set("title", "\ud800"),
           scim=INVALID, detail=("Operations[0].value", "unicode")),
    _patch("patch-email-lone-surrogate", USER,
           {"op": "add", "value": {"emails": [{"type": "work", "value": "\udfff"}]}},
           scim=INVALID, detail=("emails[0].value", "unicode")),
    # -- bodies that do not read: Python's integer limit, Content-Encoding --
    _row("post-integer-of-5001-digits", "POST", "Users",
         b'{"schemas": [], "userName": "n@x", "active": 1' + b"0" * 5000 + b"}",
         scim=SYNTAX, detail=("4,300 digits",)),
    _row("post-plain-body-said-gzip", "POST", "Users",
         json.dumps(entra_user("gz")).encode(), headers={"Content-Encoding": "gzip"},
         scim=SYNTAX, detail=("Content-Encoding", "gzip")),
    _patch("patch-said-deflate", USER, _set("title", "x"),
           headers={"Content-Encoding": "deflate"}, scim=SYNTAX,
           detail=("Content-Encoding", "deflate")),
    # -- active: no loginDisabled would let a disabled account log in ------
    _row("post-without-active", "POST", "Users", _without(_user(), "active"),
         scim=INVALID, detail=("active", "required")),
    _row("put-without-active", "PUT", USER, _without(entra_user("x"), "active"),
         scim=INVALID, detail=("active", "required")),
    _patch("remove-active", USER, {"op": "remove", "path": "active"},
           scim=MUTABILITY, detail=("required", "cannot be removed")),
    _patch("replace-active-with-null", USER, _set("active", None),
           scim=MUTABILITY, detail=("required", "cannot be removed")),
    # -- required attributes ----------------------------------------------
    _row("post-without-userName", "POST", "Users", _without(_user(), "userName"),
         scim=INVALID, detail=("userName", "required")),
    _row("post-group-without-displayName", "POST", "Groups",
         _without(entra_group("g"), "displayName"), scim=INVALID,
         detail=("displayName", "required")),
    _row("put-without-userName", "PUT", USER, _without(entra_user("x"), "userName"),
         scim=INVALID, detail=("userName", "required")),
    _patch("remove-userName", USER, {"op": "remove", "path": "userName"},
           scim=MUTABILITY, detail=("required",)),
    _patch("replace-userName-with-empty", USER, _set("userName", ""),
           scim=MUTABILITY, detail=("required",)),
    _patch("remove-group-displayName", GROUP, {"op": "remove", "path": "displayName"},
           scim=MUTABILITY, detail=("required",)),
    # -- PATCH paths and operations ---------------------------------------
    _patch("path-double-dot", USER, _set("name..givenName", "x"),
           scim="invalidPath", detail=("syntax",)),
    _patch("path-unclosed-filter", USER, _set("emails[type eq", "x"),
           scim="invalidPath", detail=("syntax",)),
    _patch("path-short-urn", USER, {"op": "add", "path": "urn:x:y", "value": "x"},
           scim="invalidPath", detail=("urn",)),
    _patch("path-bad-after-a-good-operation", USER, _set("title", "Lands?"),
           _set("title[", "x"), scim="invalidPath", detail=("syntax",)),
    _patch("path-read-only", USER, _set("meta.created", "2020-01-01T00:00:00Z"),
           scim=MUTABILITY, detail=("meta.created",)),
    _patch("patch-id", USER, _set("id", "{other}"), scim=MUTABILITY, detail=("id",)),
    # RFC 7644 §3.5.2.3, §3.12: a filter that yields no match is noTarget
    # for replace (an eq filter on type creates the typed entry instead, as
    # Entra expects; these filters describe no entry to create).
    _patch("replace-filter-selects-nothing", USER,
           _set('emails[type ne "work"].value', "b@example.org"),
           scim="noTarget", detail=("emails",)),
    _patch("replace-substring-filter-selects-nothing", USER,
           _set('emails[value co "zz"].value', "b@example.org"),
           scim="noTarget", detail=("emails",)),
    # RFC 7644 §3.5.2.2: "If 'path' is unspecified, the operation fails
    # with HTTP status code 400 and a 'scimType' error code of 'noTarget'."
    _patch("remove-without-path", USER, {"op": "remove"}, scim="noTarget",
           detail=("path",)),
    # RFC 7644 §3.5.2.1, §3.5.2.3: add and replace MUST carry a value.
    _patch("add-without-value", USER, {"op": "add", "path": "title"},
           scim=INVALID, detail=("value",)),
    _patch("replace-without-value", USER, {"op": "replace", "path": "title"},
           scim=INVALID, detail=("value",)),
    _patch("op-move", USER, {"op": "move", "path": "title", "value": "x"},
           scim=INVALID, detail=("move", "add, remove or replace")),
    _patch("op-a-number", USER, {"op": 5, "path": "title", "value": "x"},
           scim=SYNTAX, detail=("op",)),
    _row("no-operations", "PATCH", USER, {"schemas": [PATCH]}, scim=SYNTAX,
         detail=("Operations",)),
    _patch("empty-operations", USER, scim=SYNTAX, detail=("Operations",)),
    _row("operations-a-string", "PATCH", USER,
         {"schemas": [PATCH], "Operations": "replace"}, scim=SYNTAX,
         detail=("Operations",)),
    _patch("operation-a-string", USER, "replace", scim=SYNTAX, detail=("object",)),
    _patch("pathless-replace-of-a-string", USER, {"op": "replace", "value": "x"},
           scim=SYNTAX, detail=("object",)),
    # -- references: members and manager ------------------------------------
    _patch("member-unknown", GROUP, _members("{unknown}"), scim=INVALID,
           detail=("{unknown}", "no user")),
    _patch("member-one-known-one-unknown", GROUP, _members("{other}", "{unknown}"),
           scim=INVALID, detail=("{unknown}", "no user")),
    _patch("member-a-group-id", GROUP, _members("{group}"), scim=INVALID,
           detail=("{group}",)),
    _patch("member-without-value", GROUP,
           {"op": "add", "path": "members", "value": [{"display": "x"}]},
           scim=INVALID, detail=("value",)),
    _patch("member-filter-path-on-add", GROUP,
           {"op": "add", "path": 'members[value eq "x"]', "value": [{"value": "x"}]},
           scim="invalidPath", detail=("remove",)),
    _row("post-group-member-unknown", "POST", "Groups",
         entra_group("g") | {"members": [{"value": "{unknown}"}]}, scim=INVALID,
         detail=("{unknown}",)),
    _row("put-group-member-unknown", "PUT", GROUP,
         entra_group("g") | {"members": [{"value": "{unknown}"}]}, scim=INVALID,
         detail=("{unknown}",)),
    _patch("manager-unknown", USER, _set(MANAGER, "{unknown}"), scim=INVALID,
           detail=("{unknown}", "manager")),
    _patch("manager-a-group-id", USER, _set(MANAGER, "{group}"), scim=INVALID,
           detail=("{group}",)),
    _row("post-manager-unknown", "POST", "Users",
         _user(**{ENTERPRISE: {"manager": {"value": "{unknown}"}}}), scim=INVALID,
         detail=("{unknown}",)),
    # -- filters ------------------------------------------------------------
    _filter("no-value", "userName eq", "syntax"),
    _filter("dangling-and", 'userName eq "a" and', "syntax"),
    _filter("unclosed-paren", '(userName eq "a"', "syntax"),
    _filter("unclosed-bracket", 'emails[type eq "work"', "syntax"),
    _filter("unknown-operator", 'userName xx "a"', "syntax"),
    _filter("value-first", '"a" eq userName', "syntax"),
    _filter("bare-attribute", "userName", "syntax"),
    _filter("nul-in-value", 'userName eq "a\x00b"', "syntax"),
    _filter("unknown-attribute", 'nosuch eq "a"', "nosuch"),
    _filter("unknown-sub-attribute", 'meta.foo eq "x"', "meta.foo"),
    _filter("complex-without-sub-attribute", 'name eq "x"', "name"),
    _filter("gt-on-boolean", "active gt true", "active"),
    _filter("le-on-boolean", "active le false", "active"),
    _filter("boolean-against-number", "active eq 1", "active"),
    _filter("boolean-against-word", 'active eq "maybe"', "maybe"),
    _filter("string-against-boolean", "userName eq true", "userName"),
    _filter("not-a-date", 'meta.created gt "yesterday"', "yesterday"),
    _filter("number-of-5000-digits", "active eq " + "9" * 5000, "4,300 digits"),
    _filter("ordering-on-ia5", 'emails.value gt "a"', "mail"),
    _row("search-body-filter-dangling-or", "POST", "Users/.search",
         {"filter": 'userName eq "a" or'}, scim="invalidFilter", detail=("syntax",)),
    # -- paging, sorting, projection ----------------------------------------
    _row("count-abc", "GET", "Users", params={"count": "abc"}, scim=INVALID,
         detail=("count",)),
    _row("count-a-fraction", "GET", "Users", params={"count": "1.5"}, scim=INVALID,
         detail=("count",)),
    _row("startIndex-a-word", "GET", "Users", params={"startIndex": "first"},
         scim=INVALID, detail=("startIndex",)),
    _row("search-count-a-string", "POST", "Users/.search", {"count": "10"},
         scim=SYNTAX, detail=("count",)),
    _row("sortOrder-sideways", "GET", "Users", params={"sortOrder": "sideways"},
         scim=INVALID, detail=("sortOrder",)),
    _row("sortBy-unknown", "GET", "Users", params={"sortBy": "nosuch"},
         scim=INVALID, detail=("nosuch", "does not store")),
    _row("sortBy-without-ordering", "GET", "Users", params={"sortBy": "emails.value"},
         scim=INVALID, detail=("emails.value", "no ordering")),
    _row("both-projections", "GET", USER,
         params={"attributes": "userName", "excludedAttributes": "title"},
         scim=INVALID, detail=("excludedAttributes",)),
    # -- ids: a PUT that changes the id, unknown ids ------------------------
    _row("put-changes-id", "PUT", USER, entra_user("x") | {"id": "{unknown}"},
         scim=MUTABILITY, detail=("id",)),
    _row("put-takes-another-users-id", "PUT", USER,
         entra_user("x") | {"id": "{other}"}, scim=MUTABILITY, detail=("id",)),
    _row("put-group-takes-a-users-id", "PUT", GROUP,
         entra_group("g") | {"id": "{user}"}, scim=MUTABILITY, detail=("id",)),
    _row("put-unknown-id", "PUT", UNKNOWN, entra_user("x"), status=404,
         detail=("{unknown}",)),
    _row("patch-unknown-id", "PATCH", UNKNOWN, VALID, status=404,
         detail=("{unknown}",)),
    _row("delete-unknown-id", "DELETE", UNKNOWN, status=404, detail=("{unknown}",)),
    _row("delete-a-user-as-a-group", "DELETE", "Groups/{user}", status=404,
         detail=("{user}",)),
    _row("get-filter-syntax-as-id", "GET", "Users/(objectClass=*)", status=404,
         detail=("(objectClass=*)",)),
    _row("get-star-as-id", "GET", "Users/*", status=404, detail=("*",)),
    # -- If-Match: a version the resource never had --------------------------
    *[
        _stale(name, method, path, body, version)
        for name, version in [("garbage", "garbage"), ("weak-garbage", 'W/"garbage"'),
                              ("filter-syntax", 'W/"x)(objectClass=*"')]
        for method, path, body in [("PATCH", USER, VALID),
                                   ("PUT", USER, entra_user("x")),
                                   ("DELETE", USER, None),
                                   ("PUT", GROUP, entra_group("g"))]
    ],
]
# fmt: on


async def _created(client: Client, endpoint: str, body: dict[str, Any]) -> str:
    answer = await send(client, "POST", endpoint, body)
    assert answer.status == 201, answer.body
    return str(answer.body["id"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def names(bridge: Client) -> AsyncIterator[dict[str, str]]:
    """A user with a title and a manager, the manager, a group with the user;
    their ids by placeholder name.

    Made once: every row is refused, so none changes them (and a row that
    does fails on its own snapshot).
    """
    prefix = f"bad{tag()}"
    other = await _created(bridge, "Users", entra_user(f"{prefix}b"))
    extension = {"employeeNumber": "E1", "manager": {"value": other}}
    user = await _created(
        bridge,
        "Users",
        entra_user(f"{prefix}a") | {"title": "Engineer", ENTERPRISE: extension},
    )
    group = await _created(
        bridge,
        "Groups",
        entra_group(f"Group {prefix}") | {"members": [{"value": user}]},
    )
    unknown = str(uuid.uuid4())
    yield {
        "user": user,
        "other": other,
        "group": group,
        "unknown": unknown,
        "prefix": prefix,
    }
    for path in (f"Groups/{group}", f"Users/{user}", f"Users/{other}"):
        await send(bridge, "DELETE", path)


async def _send(client: Client, bad: Bad, names: dict[str, str]) -> Answer:
    return await send(
        client,
        bad.method,
        fill(bad.path, names),
        fill(bad.body, names),
        params=fill(bad.params, names),
        headers=bad.headers,
    )


@pytest.mark.parametrize("bad", REFUSED)
async def test_a_bad_request_gets_its_scim_error_and_changes_nothing(
    bridge: Client, general_stack: Stack, names: dict[str, str], bad: Bad
) -> None:
    """Status, scimType and detail as RFC 7644 §3.12 says; LDAP untouched."""
    before = directory_state(general_stack)

    answer = await _send(bridge, bad, names)

    after = directory_state(general_stack)
    assert (answer.status, answer.body.get("scimType")) == (bad.status, bad.scim_type)
    assert answer.body["status"] == str(bad.status)
    for piece in fill(bad.detail, names):
        assert piece.lower() in answer.detail.lower()
    for leak in ("traceback", "pydantic", BIND_DN_PIECE):
        assert leak not in answer.detail.lower()
    assert after == before, written_since(general_stack, before)


# RFC 7644 §3.4.2.4: "A value less than 1 SHALL be interpreted as 1" for
# startIndex, and "A negative value SHALL be interpreted as 0" for count.
# The arranged users are the only ones whose userName starts with prefix.
# fmt: off
PAGING = [
    pytest.param({"count": "-1"}, 1, 0, id="count-minus-one"),
    pytest.param({"count": "0"}, 1, 0, id="count-zero"),
    pytest.param({"count": str(10**12)}, 1, 2, id="count-a-trillion"),
    pytest.param({"startIndex": "0"}, 1, 2, id="startIndex-zero"),
    pytest.param({"startIndex": "-5"}, 1, 2, id="startIndex-minus-five"),
    pytest.param({"startIndex": "-5", "count": "1"}, 1, 1,
                 id="startIndex-minus-five-count-1"),
    pytest.param({"startIndex": str(10**12)}, 10**12, 0, id="startIndex-past-the-end"),
]
# fmt: on


@pytest.mark.parametrize(("params", "start", "items"), PAGING)
async def test_paging_out_of_range_is_interpreted_as_rfc_7644_says(
    bridge: Client,
    general_stack: Stack,
    names: dict[str, str],
    params: dict[str, str],
    start: int,
    items: int,
) -> None:
    """startIndex below 1 is 1, a negative count 0; a huge count is no error."""
    scim_filter = 'userName sw "{prefix}"'.format_map(names)
    before = directory_state(general_stack)

    answer = await send(
        bridge, "GET", "Users", params={"filter": scim_filter, **params}
    )

    body = answer.body
    assert answer.status == 200
    assert (body["totalResults"], body["startIndex"]) == (2, start)
    assert (body["itemsPerPage"], len(body["Resources"])) == (items, items)
    assert directory_state(general_stack) == before, written_since(
        general_stack, before
    )


# RFC 7644 §3.5.2.2, on removing a member that is not there: "no changes
# should be made to the resource, and a success response should be
# returned"; scim2-models reads every remove whose filter matches nothing so.
# fmt: off
NOTHING_SELECTED = [
    pytest.param(USER, {"op": "remove", "path": 'emails[type eq "home"]'}, 200,
                 id="remove-email-of-absent-type"),
    pytest.param(USER, {"op": "remove", "path": 'phoneNumbers[type eq "work"]'}, 200,
                 id="remove-from-an-absent-attribute"),
    pytest.param(USER, {"op": "remove", "path": "preferredLanguage"}, 200,
                 id="remove-an-unset-attribute"),
    pytest.param(GROUP, {"op": "remove", "path": 'members[value eq "{unknown}"]'}, 204,
                 id="remove-member-filter-unknown-id"),
    pytest.param(GROUP, {"op": "remove", "path": 'members[value eq "{other}"]'}, 204,
                 id="remove-member-filter-non-member"),
    pytest.param(GROUP, {"op": "remove", "path": "members",
                         "value": [{"value": "{other}"}]},
                 204, id="remove-member-value-non-member"),
]
# fmt: on


@pytest.mark.parametrize(("path", "operation", "status"), NOTHING_SELECTED)
async def test_a_remove_that_selects_nothing_succeeds_and_changes_nothing(
    bridge: Client,
    general_stack: Stack,
    names: dict[str, str],
    path: str,
    operation: dict[str, Any],
    status: int,
) -> None:
    """Removing what is not there is a success that writes nothing."""
    before = directory_state(general_stack)
    body = fill(_ops(operation), names)

    answer = await send(bridge, "PATCH", fill(path, names), body)

    assert answer.status == status
    assert directory_state(general_stack) == before, written_since(
        general_stack, before
    )
