"""Entra's groups: created empty, members added and removed by PATCH.

``entra-client.md`` §4.8 and §4.9: the POST carries Microsoft's schema URN
and no members; member PATCHes answer 204, are idempotent, and touch only
the members they name; a displayName replace never touches members.
"""

import json
import uuid

import pytest

from tests.integration.test_entra_support import (
    GROUP_SCHEMAS,
    add_members,
    create_group,
    create_user,
    entra_group,
    entry,
    group_dn,
    list_body,
    member_dns,
    patch,
    read,
    scim_body,
    tag,
    user_dn,
)
from tests.support import JSON, SCIM, snapshot


async def _group_of(client, size: int):
    """A group with ``size`` members, and those members."""
    users = [await create_user(client) for _ in range(size)]
    group = await create_group(client)
    if users:
        await add_members(client, group["id"], *(u["id"] for u in users))
    return group, users


def _dns(*users: dict) -> list[str]:
    return sorted(user_dn(u["userName"]).lower() for u in users)


async def test_group_post_with_the_microsoft_urn_is_201_and_empty(
    client, general_stack
):
    """The documented group POST: 201, an id, no members, an LDAP entry."""
    body = entra_group(f"Group {tag()}")

    response = await client.post(f"{SCIM}/Groups", data=json.dumps(body), headers=JSON)

    created = await scim_body(response)
    stored = entry(general_stack, group_dn(body["displayName"]))
    assert response.status == 201
    assert created["id"]
    assert created["displayName"] == body["displayName"]
    assert created["externalId"] == body["externalId"]
    assert created.get("members", []) == []
    assert stored is not None
    assert stored["cn"] == [body["displayName"]]
    assert "member" not in stored


async def test_an_empty_group_reads_back_by_id(client):
    """Entra creates every group empty: GET by id works on it."""
    group = await create_group(client)

    fetched = await read(client, f"Groups/{group['id']}")

    assert fetched["id"] == group["id"]
    assert fetched.get("members", []) == []


async def test_get_group_with_members_excluded_has_no_members_key(client):
    """GET /Groups/{id}?excludedAttributes=members omits members."""
    group, _ = await _group_of(client, 1)

    fetched = await read(client, f"Groups/{group['id']}", excludedAttributes="members")

    assert "members" not in fetched
    assert fetched["displayName"] == group["displayName"]


async def test_duplicate_group_displayname_is_409_uniqueness(client, general_stack):
    """displayName is the matching attribute and must be unique."""
    group = await create_group(client)
    before = snapshot(general_stack.admin())

    response = await client.post(
        f"{SCIM}/Groups",
        data=json.dumps(entra_group(group["displayName"])),
        headers=JSON,
    )

    body = await scim_body(response)
    assert response.status == 409
    assert body["scimType"] == "uniqueness"
    assert body["detail"]
    assert snapshot(general_stack.admin()) == before


async def test_members_added_as_a_list_answer_204(client, general_stack):
    """Add on members with [{"$ref": null, "value"}, {"value"}]: both land."""
    first, second = await create_user(client), await create_user(client)
    group = await create_group(client)

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {
            "op": "Add",
            "path": "members",
            "value": [{"$ref": None, "value": first["id"]}, {"value": second["id"]}],
        },
    )

    fetched = await read(client, f"Groups/{group['id']}")
    assert response.status == 204
    assert await response.read() == b""
    assert member_dns(general_stack, group["displayName"]) == _dns(first, second)
    assert sorted(m["value"] for m in fetched["members"]) == sorted(
        [first["id"], second["id"]]
    )


async def test_adding_a_present_member_succeeds(client, general_stack):
    """Idempotent add: a member already there is 204, held once."""
    group, [user] = await _group_of(client, 1)

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {"op": "Add", "path": "members", "value": [{"value": user["id"]}]},
    )

    assert response.status == 204
    assert member_dns(general_stack, group["displayName"]) == _dns(user)


async def test_remove_with_a_value_list_removes_only_those(client, general_stack):
    """Default dialect: the value list selects what goes, the rest stays."""
    group, [first, second, third] = await _group_of(client, 3)

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {
            "op": "Remove",
            "path": "members",
            "value": [{"value": first["id"]}, {"value": third["id"]}],
        },
    )

    assert response.status == 204
    assert member_dns(general_stack, group["displayName"]) == _dns(second)


async def test_remove_with_a_value_filter_removes_that_member(client, general_stack):
    """Flag dialect: remove on members[value eq "<id>"]."""
    group, [first, second] = await _group_of(client, 2)

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {"op": "remove", "path": f'members[value eq "{first["id"]}"]'},
    )

    assert response.status == 204
    assert member_dns(general_stack, group["displayName"]) == _dns(second)


@pytest.mark.parametrize("dialect", ["list", "filter"])
async def test_removing_an_absent_member_succeeds(client, general_stack, dialect):
    """Idempotent remove: a user who is not a member is 204, nothing lost."""
    group, [member] = await _group_of(client, 1)
    outsider = await create_user(client)
    operation = (
        {"op": "Remove", "path": "members", "value": [{"value": outsider["id"]}]}
        if dialect == "list"
        else {"op": "remove", "path": f'members[value eq "{outsider["id"]}"]'}
    )

    response = await patch(client, f"Groups/{group['id']}", operation)

    assert response.status == 204
    assert member_dns(general_stack, group["displayName"]) == _dns(member)


async def test_removing_present_and_absent_members_together(client, general_stack):
    """A list mixing a member and a non-member removes the member."""
    group, [first, second] = await _group_of(client, 2)
    outsider = await create_user(client)

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {
            "op": "Remove",
            "path": "members",
            "value": [{"value": outsider["id"]}, {"value": first["id"]}],
        },
    )

    assert response.status == 204
    assert member_dns(general_stack, group["displayName"]) == _dns(second)


@pytest.mark.parametrize("dialect", ["list", "filter"])
async def test_removing_the_last_member_leaves_an_empty_group(
    client, general_stack, dialect
):
    """The group outlives its last member; LDAP holds no member value."""
    group, [user] = await _group_of(client, 1)
    operation = (
        {"op": "Remove", "path": "members", "value": [{"value": user["id"]}]}
        if dialect == "list"
        else {"op": "remove", "path": f'members[value eq "{user["id"]}"]'}
    )

    response = await patch(client, f"Groups/{group['id']}", operation)

    fetched = await read(client, f"Groups/{group['id']}")
    assert response.status == 204
    assert member_dns(general_stack, group["displayName"]) == []
    assert fetched.get("members", []) == []


async def test_members_can_be_added_again_after_the_group_emptied(
    client, general_stack
):
    """An emptied group takes members again."""
    group, [user] = await _group_of(client, 1)
    await patch(
        client,
        f"Groups/{group['id']}",
        {"op": "Remove", "path": "members", "value": [{"value": user["id"]}]},
    )

    await add_members(client, group["id"], user["id"])

    assert member_dns(general_stack, group["displayName"]) == _dns(user)


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(
            lambda name: {"op": "Replace", "path": "displayName", "value": name},
            id="default",
        ),
        pytest.param(
            lambda name: {"op": "replace", "value": {"displayName": name}},
            id="pathless",
        ),
    ],
)
async def test_displayname_replace_never_touches_members(
    client, general_stack, operation
):
    """A rename PATCH: 204, new name, the same members."""
    group, users = await _group_of(client, 2)
    name = f"Renamed {tag()}"

    response = await patch(client, f"Groups/{group['id']}", operation(name))

    fetched = await read(client, f"Groups/{group['id']}")
    assert response.status == 204
    assert fetched["displayName"] == name
    assert member_dns(general_stack, name) == _dns(*users)


async def test_unknown_member_id_is_400_and_changes_nothing(client, general_stack):
    """Adding an id nobody has: 400, and no member of the batch lands."""
    group = await create_group(client)
    user = await create_user(client)
    before = snapshot(general_stack.admin())

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {
            "op": "Add",
            "path": "members",
            "value": [{"value": user["id"]}, {"value": str(uuid.uuid4())}],
        },
    )

    body = await scim_body(response)
    assert response.status == 400
    assert body["detail"]
    assert snapshot(general_stack.admin()) == before


async def test_group_delete_removes_the_entry_and_keeps_the_users(
    client, general_stack
):
    """DELETE /Groups/{id}: 204, the group gone, its members untouched."""
    group, [user] = await _group_of(client, 1)

    response = await client.delete(f"{SCIM}/Groups/{group['id']}")

    gone = await client.get(f"{SCIM}/Groups/{group['id']}")
    assert response.status == 204
    assert gone.status == 404
    assert entry(general_stack, group_dn(group["displayName"])) is None
    assert entry(general_stack, user_dn(user["userName"])) is not None


async def test_a_deleted_group_can_be_created_again(client):
    """The gallery's restore-group test: gone, then created on reassignment."""
    group = await create_group(client)
    await client.delete(f"{SCIM}/Groups/{group['id']}")

    again = await create_group(client, group["displayName"])

    assert again["displayName"] == group["displayName"]
    assert again["id"] != group["id"]


async def test_group_post_schemas_come_back_as_the_core_schema(client):
    """The Microsoft URN is accepted on input; the answer names core only."""
    group = await create_group(client)

    assert group["schemas"] == [GROUP_SCHEMAS[0]]


async def test_several_member_operations_in_one_patch(client, general_stack):
    """The gallery checklist: adds and removes in one request, in order."""
    first, second, third = [await create_user(client) for _ in range(3)]
    group = await create_group(client)

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {
            "op": "Add",
            "path": "members",
            "value": [{"value": first["id"]}, {"value": second["id"]}],
        },
        {"op": "Add", "path": "members", "value": [{"value": third["id"]}]},
        {"op": "Remove", "path": "members", "value": [{"value": first["id"]}]},
    )

    assert response.status == 204
    assert member_dns(general_stack, group["displayName"]) == _dns(second, third)


async def test_pathless_add_of_members_adds_them(client, general_stack):
    """{"op":"add","value":{"members":[...]}} is a member add too."""
    group, [member] = await _group_of(client, 1)
    newcomer = await create_user(client)

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {"op": "add", "value": {"members": [{"value": newcomer["id"]}]}},
    )

    assert response.status == 204
    assert member_dns(general_stack, group["displayName"]) == _dns(member, newcomer)


async def test_remove_on_members_without_value_empties_the_group(client, general_stack):
    """RFC 7644 §3.5.2.2: Remove on members with no value removes them all."""
    group, _ = await _group_of(client, 2)

    response = await patch(
        client, f"Groups/{group['id']}", {"op": "Remove", "path": "members"}
    )

    assert response.status == 204
    assert member_dns(general_stack, group["displayName"]) == []


async def test_member_operations_read_op_and_path_in_any_case(client, general_stack):
    """ "ADD" on "MEMBERS" and "REMOVE" on Members[Value eq ...] both work."""
    group, [member] = await _group_of(client, 1)
    newcomer = await create_user(client)

    added = await patch(
        client,
        f"Groups/{group['id']}",
        {"op": "ADD", "path": "MEMBERS", "value": [{"value": newcomer["id"]}]},
    )
    removed = await patch(
        client,
        f"Groups/{group['id']}",
        {"op": "REMOVE", "path": f'Members[Value eq "{member["id"]}"]'},
    )

    assert (added.status, removed.status) == (204, 204)
    assert member_dns(general_stack, group["displayName"]) == _dns(newcomer)


async def test_a_group_name_with_dn_special_characters_works(client, general_stack):
    """RFC 4514 escaping: "R&D, Europe + \\"Q\\"" names, matches and renames."""
    name = f'R&D, Europe + "Q" \\ {tag()}'
    group = await create_group(client, name)
    user = await create_user(client)
    await add_members(client, group["id"], user["id"])
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')

    found = await list_body(client, "Groups", filter=f'displayName eq "{quoted}"')

    assert [g["id"] for g in found["Resources"]] == [group["id"]]
    assert found["Resources"][0]["displayName"] == name
    assert member_dns(general_stack, name) == _dns(user)


async def test_members_named_by_their_full_urn_path_are_added(client, general_stack):
    """RFC 7644 §3.10: the URN-qualified members path means members."""
    group = await create_group(client)
    user = await create_user(client)

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {
            "op": "add",
            "path": f"{GROUP_SCHEMAS[0]}:members",
            "value": [{"value": user["id"]}],
        },
    )

    assert response.status == 204
    assert member_dns(general_stack, group["displayName"]) == _dns(user)
