"""Concurrent requests: no write lost, one winner per name, versions kept."""

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.support import Stack, snapshot

from .conftest import MakeClient, fault_settings
from .support import create_group, create_user, patch_body, send, user_body

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

ATTRIBUTES = {
    "displayName": "displayName",
    "title": "title",
    "preferredLanguage": "preferredLanguage",
    "name.givenName": "givenName",
    'emails[type eq "work"].value': "mail",
    'phoneNumbers[type eq "work"].value': "telephoneNumber",
    'phoneNumbers[type eq "mobile"].value': "mobile",
    f"{ENTERPRISE}:employeeNumber": "employeeNumber",
    f"{ENTERPRISE}:department": "departmentNumber",
}
"""SCIM paths one user's concurrent PATCHes set, and their LDAP names."""


@pytest.fixture
async def http(module_stack: Stack, make_client: MakeClient) -> TestClient:
    """A bridge with the default pool (8 connections) on the module slapd."""
    return await make_client(
        module_stack, fault_settings(module_stack, operation_timeout=5)
    )


def _value(path: str, round_: int) -> str:
    if "emails" in path:
        return f"round{round_}@example.org"
    if "phoneNumbers" in path:
        return f"+1 555 01{round_:02d}"
    return f"{path.rsplit(':', 1)[-1]} {round_}"


def _ldap(stack: Stack, dn: str, attributes: list[str]) -> dict[str, list[str]]:
    admin = stack.admin()
    admin.search(dn, "(objectClass=*)", "BASE", attributes=attributes)
    found = admin.entries[0].entry_attributes_as_dict
    return {name: sorted(map(str, found.get(name, []))) for name in attributes}


async def test_fifty_concurrent_member_adds_on_one_group_keep_all_fifty(
    http: TestClient, module_stack: Stack
) -> None:
    """50 PATCHes adding one member each, all at once: 50 members."""
    users = [await create_user(http, f"member.{n:02d}") for n in range(50)]
    group = await create_group(http, "Fifty at once")
    adds = [
        send(
            http,
            "PATCH",
            f"/Groups/{group['id']}",
            patch_body(
                {"op": "add", "path": "members", "value": [{"value": user["id"]}]}
            ),
        )
        for user in users
    ]

    responses = await asyncio.gather(*adds)

    dn = f"cn=Fifty at once,{module_stack.mapping.groups.base}"
    stored = _ldap(module_stack, dn, ["member"])["member"]
    assert [r.status for r in responses] == [204] * 50
    assert len(stored) == 50
    assert {m.split(",")[0].lower() for m in stored} == {
        f"uid=member.{n:02d}" for n in range(50)
    }


async def test_twenty_concurrent_posts_of_one_username_make_one_user(
    http: TestClient, module_stack: Stack
) -> None:
    """20 creates of one userName at once: one 201, nineteen 409s, one entry."""
    posts = [
        send(http, "POST", "/Users", user_body("only.one", externalId=f"try-{n}"))
        for n in range(20)
    ]

    responses = await asyncio.gather(*posts)

    listed = await send(http, "GET", '/Users?filter=userName eq "only.one"')
    assert sorted(r.status for r in responses) == [201] + [409] * 19
    assert (await listed.json())["totalResults"] == 1


async def test_concurrent_patches_of_different_attributes_lose_no_change(
    http: TestClient, module_stack: Stack
) -> None:
    """One PATCH per attribute, all at once, five rounds: every value lands."""
    user = await create_user(http, "many.hands")
    statuses: list[int] = []

    for round_ in range(5):
        patches = [
            send(
                http,
                "PATCH",
                f"/Users/{user['id']}",
                patch_body(
                    {"op": "replace", "path": path, "value": _value(path, round_)}
                ),
            )
            for path in ATTRIBUTES
        ]
        statuses += [r.status for r in await asyncio.gather(*patches)]

    dn = f"uid=many.hands,{module_stack.mapping.users.base}"
    stored = _ldap(module_stack, dn, list(ATTRIBUTES.values()))
    assert statuses == [200] * (5 * len(ATTRIBUTES))
    assert stored == {ldap: [_value(path, 4)] for path, ldap in ATTRIBUTES.items()}


async def _etag_of(http: TestClient, user: dict[str, Any]) -> str:
    response = await send(http, "GET", f"/Users/{user['id']}")
    return response.headers["ETag"]


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("PATCH", patch_body({"op": "replace", "path": "title", "value": "Late"})),
        ("PUT", user_body("stale.target", title="Late")),
        ("DELETE", None),
    ],
)
async def test_a_stale_if_match_is_412_and_changes_nothing(
    http: TestClient, module_stack: Stack, method: str, body: Any
) -> None:
    """A write naming a version that is no longer current: 412, no change."""
    user = await create_user(http, f"stale.{method.lower()}")
    stale = await _etag_of(http, user)
    await send(
        http,
        "PATCH",
        f"/Users/{user['id']}",
        patch_body({"op": "replace", "path": "displayName", "value": "Moved On"}),
    )
    before = snapshot(module_stack.admin())

    response = await send(
        http, method, f"/Users/{user['id']}", body, **{"If-Match": stale}
    )

    assert response.status == 412
    assert (await response.json())["status"] == "412"
    assert snapshot(module_stack.admin()) == before


async def test_an_if_match_list_matches_any_of_its_versions(
    http: TestClient, module_stack: Stack
) -> None:
    """RFC 9110 If-Match lists: the current version anywhere in the list
    lets the write through; a list of stale versions only is 412."""
    user = await create_user(http, "etag.list")
    stale = await _etag_of(http, user)
    title = patch_body({"op": "replace", "path": "title", "value": "Listed"})
    moved = await send(http, "PATCH", f"/Users/{user['id']}", title)
    current = moved.headers["ETag"]
    path = f"/Users/{user['id']}"
    before = snapshot(module_stack.admin())

    refused = await send(
        http, "PATCH", path, title, **{"If-Match": f'{stale}, W/"bogus"'}
    )
    assert refused.status == 412
    assert snapshot(module_stack.admin()) == before

    for header in (f'W/"bogus", {current}', f"{stale},{current.removeprefix('W/')}"):
        answer = await send(http, "PATCH", path, title, **{"If-Match": header})
        assert answer.status == 200, header
    assert (await send(http, "PATCH", path, title, **{"If-Match": " , "})).status == 200


async def test_concurrent_writes_with_one_if_match_have_one_winner(
    http: TestClient, module_stack: Stack
) -> None:
    """Ten PATCHes all naming the current version: one 200, nine 412s,
    and the directory holds the winner's value."""
    user = await create_user(http, "one.winner")
    current = await _etag_of(http, user)
    patches = [
        send(
            http,
            "PATCH",
            f"/Users/{user['id']}",
            patch_body({"op": "replace", "path": "title", "value": f"Winner {n}"}),
            **{"If-Match": current},
        )
        for n in range(10)
    ]

    responses = await asyncio.gather(*patches)

    winners = [(await r.json())["title"] for r in responses if r.status == 200]
    dn = f"uid=one.winner,{module_stack.mapping.users.base}"
    assert sorted(r.status for r in responses) == [200] + [412] * 9
    assert _ldap(module_stack, dn, ["title"]) == {"title": winners}


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param([], id="members-only"),
        # An operation on an attribute the mapping does not store writes
        # nothing, so the member write must still carry the version.
        pytest.param(
            [{"op": "replace", "path": "nickName", "value": "x"}], id="with-ignored-op"
        ),
    ],
)
async def test_concurrent_member_adds_with_one_if_match_have_one_winner(
    http: TestClient, module_stack: Stack, extra: list[dict[str, Any]]
) -> None:
    """Member PATCHes carry the If-Match version on their member write:
    of ten naming the same version, one lands and nine are 412."""
    label = "a" if extra else "b"
    group = await create_group(http, f"one.member.winner.{label}")
    users = [await create_user(http, f"member.winner.{label}{n}") for n in range(10)]
    current = group["meta"]["version"]
    patches = [
        send(
            http,
            "PATCH",
            f"/Groups/{group['id']}",
            patch_body(
                *extra,
                {"op": "add", "path": "members", "value": [{"value": user["id"]}]},
            ),
            **{"If-Match": current},
        )
        for user in users
    ]

    responses = await asyncio.gather(*patches)

    statuses = sorted(r.status for r in responses)
    assert statuses[0] in (200, 204)
    assert statuses[1:] == [412] * 9
    shown = await send(http, "GET", f"/Groups/{group['id']}")
    assert len((await shown.json())["members"]) == 1


async def test_the_etag_follows_every_write_and_equals_meta_version(
    http: TestClient,
) -> None:
    """POST, PATCH and PUT each answer a new ETag, equal to meta.version,
    and GET answers the latest one."""
    created = await send(http, "POST", "/Users", user_body("etag.walk"))
    first = await created.json()
    path = f"/Users/{first['id']}"
    patched = await send(
        http,
        "PATCH",
        path,
        patch_body({"op": "replace", "path": "title", "value": "Patched"}),
        **{"If-Match": created.headers["ETag"]},
    )
    second = await patched.json()
    put = await send(
        http,
        "PUT",
        path,
        user_body("etag.walk", title="Put"),
        **{"If-Match": patched.headers["ETag"]},
    )
    third = await put.json()
    read = await send(http, "GET", path)

    tags = [created.headers["ETag"], patched.headers["ETag"], put.headers["ETag"]]
    versions = [body["meta"]["version"] for body in (first, second, third)]
    assert [created.status, patched.status, put.status] == [201, 200, 200]
    assert tags == versions
    assert len(set(tags)) == 3
    assert read.headers["ETag"] == tags[-1] == (await read.json())["meta"]["version"]
