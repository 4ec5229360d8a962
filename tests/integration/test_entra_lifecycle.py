"""Disable, enable and hard delete, as Entra drives a user's lifetime.

``entra-client.md`` §4.6 and §4.7: a disabled user stays readable, by id and
by filter, with its memberships; DELETE removes the entry and every
membership in the same request, then GET and DELETE answer 404.
"""

import pytest

from tests.integration.test_entra_support import (
    add_members,
    create_group,
    create_user,
    entry,
    list_body,
    member_dns,
    patch,
    read,
    scim_body,
    tag,
    user_dn,
)
from tests.support import SCIM

DISABLE = {"op": "Replace", "path": "active", "value": "False"}
ENABLE = {"op": "Replace", "path": "active", "value": "True"}


async def _member(client):
    """A user in a group, as Entra leaves it after assignment."""
    user = await create_user(client)
    group = await create_group(client)
    await add_members(client, group["id"], user["id"])
    return user, group


async def test_disable_keeps_the_entry_and_its_memberships(client, general_stack):
    """Disable is a flag: the entry and its group values stay."""
    user, group = await _member(client)

    response = await patch(client, f"Users/{user['id']}", DISABLE)

    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert stored is not None
    assert stored["loginDisabled"] == ["TRUE"]
    assert member_dns(general_stack, group["displayName"]) == [
        user_dn(user["userName"]).lower()
    ]


async def test_a_disabled_user_reads_back_by_id_and_by_filter(client):
    """Disabled users stay visible with active false (never 404)."""
    user = await create_user(client)
    await patch(client, f"Users/{user['id']}", DISABLE)

    by_id = await read(client, f"Users/{user['id']}")
    by_filter = await list_body(
        client, "Users", filter=f'userName eq "{user["userName"]}"'
    )

    assert by_id["active"] is False
    assert [u["id"] for u in by_filter["Resources"]] == [user["id"]]
    assert by_filter["Resources"][0]["active"] is False


async def test_a_disabled_member_is_still_listed_in_its_group(client):
    """The group still names a disabled member."""
    user, group = await _member(client)
    await patch(client, f"Users/{user['id']}", DISABLE)

    fetched = await read(client, f"Groups/{group['id']}")

    assert [m["value"] for m in fetched["members"]] == [user["id"]]


async def test_enable_reverses_disable(client, general_stack):
    """Enable sets active true again; memberships were never touched."""
    user, group = await _member(client)
    await patch(client, f"Users/{user['id']}", DISABLE)

    response = await patch(client, f"Users/{user['id']}", ENABLE)

    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert (await scim_body(response))["active"] is True
    assert stored is not None
    assert stored["loginDisabled"] == ["FALSE"]
    assert member_dns(general_stack, group["displayName"]) == [
        user_dn(user["userName"]).lower()
    ]


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Remove", "path": "active"},
        {"op": "Replace", "path": "active", "value": None},
        {"op": "Replace", "value": {"active": ""}},
    ],
    ids=["remove", "null", "pathless-empty"],
)
async def test_clearing_active_is_refused_and_the_user_stays_disabled(
    client, general_stack, operation
):
    """No loginDisabled lets an account log in, so active is required and
    only an explicit value changes it: clearing it is 400, not an enable."""
    user = await create_user(client)
    await patch(client, f"Users/{user['id']}", DISABLE)

    response = await patch(client, f"Users/{user['id']}", operation)

    body = await scim_body(response)
    stored = entry(general_stack, user_dn(user["userName"]))
    assert (response.status, body["scimType"]) == (400, "mutability")
    assert "cannot be removed" in body["detail"], body
    assert stored is not None
    assert stored["loginDisabled"] == ["TRUE"]


async def test_a_put_without_active_is_refused_and_the_user_stays_disabled(
    client, general_stack
):
    """active is required (published so in /Schemas): a replacement that
    leaves it out is 400 and does not enable the account."""
    user = await create_user(client)
    await patch(client, f"Users/{user['id']}", DISABLE)
    body = {k: v for k, v in user.items() if k not in ("active", "meta")}

    response = await client.put(
        f"{SCIM}/Users/{user['id']}", json=body | {"title": "Replaced"}
    )

    answer = await scim_body(response)
    stored = entry(general_stack, user_dn(user["userName"]))
    assert (response.status, answer["scimType"]) == (400, "invalidValue")
    assert "active" in answer["detail"]
    assert stored is not None
    assert stored["loginDisabled"] == ["TRUE"]
    assert "title" not in stored


async def test_delete_removes_the_user_and_its_memberships_at_once(
    client, general_stack
):
    """After the 204 no group holds the DN, without waiting for refint."""
    user, group = await _member(client)
    other = await create_user(client)
    await add_members(client, group["id"], other["id"])

    response = await client.delete(f"{SCIM}/Users/{user['id']}")

    assert response.status == 204
    assert await response.read() == b""
    assert entry(general_stack, user_dn(user["userName"])) is None
    assert member_dns(general_stack, group["displayName"]) == [
        user_dn(other["userName"]).lower()
    ]


async def test_delete_of_the_last_member_leaves_an_empty_group(client, general_stack):
    """A group whose only member is deleted stays, with no member value."""
    user, group = await _member(client)

    await client.delete(f"{SCIM}/Users/{user['id']}")

    fetched = await read(client, f"Groups/{group['id']}")
    assert member_dns(general_stack, group["displayName"]) == []
    assert fetched.get("members", []) == []


async def test_after_delete_get_is_404(client):
    """Entra logs a 404 on GET /Users/{id} as InvalidAnchor: it must be 404."""
    user = await create_user(client)
    await client.delete(f"{SCIM}/Users/{user['id']}")

    response = await client.get(f"{SCIM}/Users/{user['id']}")

    assert response.status == 404
    assert (await scim_body(response))["status"] == "404"


async def test_after_delete_the_filter_is_empty(client):
    """A deleted user no longer matches its userName."""
    user = await create_user(client)
    await client.delete(f"{SCIM}/Users/{user['id']}")

    body = await list_body(client, "Users", filter=f'userName eq "{user["userName"]}"')

    assert body["totalResults"] == 0


@pytest.mark.parametrize("endpoint", ["Users", "Groups"])
async def test_a_repeated_delete_is_404(client, endpoint):
    """RFC 7644 §3.6: the resource is gone, so a second DELETE is 404."""
    made = await (create_user if endpoint == "Users" else create_group)(client)
    await client.delete(f"{SCIM}/{endpoint}/{made['id']}")

    response = await client.delete(f"{SCIM}/{endpoint}/{made['id']}")

    assert response.status == 404
    assert (await scim_body(response))["status"] == "404"


async def test_a_user_can_be_created_again_after_delete(client):
    """The gallery's restore test: delete, then the same userName again."""
    user = await create_user(client)
    await client.delete(f"{SCIM}/Users/{user['id']}")

    again = await create_user(client, user["externalId"])

    assert again["userName"] == user["userName"]
    assert again["id"] != user["id"]


async def test_delete_of_a_user_with_dn_special_characters(client, general_stack):
    """RFC 4514 escaping: a uid with , and + still leaves its groups."""
    user = await create_user(client, f"o'brien,jr+{tag()}")
    group = await create_group(client)
    await add_members(client, group["id"], user["id"])

    response = await client.delete(f"{SCIM}/Users/{user['id']}")

    assert response.status == 204
    assert entry(general_stack, user_dn(user["userName"])) is None
    assert member_dns(general_stack, group["displayName"]) == []
