"""Renames: the id survives, the DN follows, references follow the DN.

``entra-client.md`` §4.4, §4.8 and §9: a userName or group displayName
replace keeps the ``id`` Entra caches forever. In the general profile the
DN is built from that value, so the entry is renamed, and every group
member value and manager value naming the old DN names the new one.
"""

import json

from tests.integration.test_entra_support import (
    ENTERPRISE,
    add_members,
    create_group,
    create_user,
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


def _rename(name: str) -> dict:
    return {"op": "Replace", "path": "userName", "value": name}


async def test_username_rename_keeps_the_id_and_renames_the_dn(client, general_stack):
    """uid=<old> becomes uid=<new>; the id and the other values stay."""
    user = await create_user(client)
    new = f"renamed.{tag()}@example.org"

    response = await patch(client, f"Users/{user['id']}", _rename(new))

    body = await scim_body(response)
    stored = entry(general_stack, user_dn(new))
    assert response.status == 200
    assert body["id"] == user["id"]
    assert body["userName"] == new
    assert entry(general_stack, user_dn(user["userName"])) is None
    assert stored is not None
    assert stored["uid"] == [new]
    assert stored["scimExternalId"] == [user["externalId"]]
    assert (await read(client, f"Users/{user['id']}"))["userName"] == new


async def test_a_renamed_user_is_found_by_its_new_username(client):
    """The filter Entra sends next finds the renamed user, by the same id."""
    user = await create_user(client)
    new = f"renamed.{tag()}@example.org"
    await patch(client, f"Users/{user['id']}", _rename(new))

    by_new = await list_body(client, "Users", filter=f'userName eq "{new}"')
    by_old = await list_body(
        client, "Users", filter=f'userName eq "{user["userName"]}"'
    )

    assert [u["id"] for u in by_new["Resources"]] == [user["id"]]
    assert by_old["totalResults"] == 0


async def test_group_member_values_follow_a_renamed_user(client, general_stack):
    """Every group holding the old DN holds the new one instead."""
    user = await create_user(client)
    groups = [await create_group(client), await create_group(client)]
    for group in groups:
        await add_members(client, group["id"], user["id"])
    new = f"renamed.{tag()}@example.org"

    await patch(client, f"Users/{user['id']}", _rename(new))

    for group in groups:
        fetched = await read(client, f"Groups/{group['id']}")
        assert member_dns(general_stack, group["displayName"]) == [user_dn(new).lower()]
        assert [m["value"] for m in fetched["members"]] == [user["id"]]


async def test_manager_values_follow_a_renamed_manager(client, general_stack):
    """A report's manager DN follows its manager's rename."""
    boss = await create_user(client)
    report = await create_user(client)
    await patch(
        client,
        f"Users/{report['id']}",
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]},
    )
    new = f"boss.{tag()}@example.org"

    await patch(client, f"Users/{boss['id']}", _rename(new))

    stored = entry(general_stack, user_dn(report["userName"]))
    fetched = await read(client, f"Users/{report['id']}")
    assert stored is not None
    assert [dn.lower() for dn in stored["manager"]] == [user_dn(new).lower()]
    assert fetched[ENTERPRISE]["manager"]["value"] == boss["id"]


async def test_rename_with_other_changes_applies_them_all(client, general_stack):
    """A rename beside other operations: the renamed entry has them."""
    user = await create_user(client)
    new = f"renamed.{tag()}@example.org"

    response = await patch(
        client,
        f"Users/{user['id']}",
        _rename(new),
        {"op": "Replace", "path": "title", "value": "Moved"},
    )

    stored = entry(general_stack, user_dn(new))
    assert response.status == 200
    assert stored is not None
    assert stored["title"] == ["Moved"]


async def test_rename_in_case_only_keeps_the_value_as_sent(client, general_stack):
    """A case-only userName change is stored and echoed in its new case."""
    user = await create_user(client)
    new = user["userName"].upper()

    response = await patch(client, f"Users/{user['id']}", _rename(new))

    stored = entry(general_stack, user_dn(new))
    assert response.status == 200
    assert (await scim_body(response))["userName"] == new
    assert stored is not None
    assert stored["uid"] == [new]


async def test_rename_onto_another_username_is_409(client, general_stack):
    """A rename clash: 409 uniqueness, and neither entry changes."""
    user, other = await create_user(client), await create_user(client)
    before = snapshot(general_stack.admin())

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": "title", "value": "Lost"},
        _rename(other["userName"]),
    )

    body = await scim_body(response)
    assert response.status == 409
    assert body["scimType"] == "uniqueness"
    assert snapshot(general_stack.admin()) == before


async def test_rename_onto_another_username_in_another_case_is_409(
    client, general_stack
):
    """userName ignores case, so a case variant of another user clashes."""
    user, other = await create_user(client), await create_user(client)
    before = snapshot(general_stack.admin())

    response = await patch(
        client, f"Users/{user['id']}", _rename(other["userName"].upper())
    )

    assert response.status == 409
    assert (await scim_body(response))["scimType"] == "uniqueness"
    assert snapshot(general_stack.admin()) == before


async def test_group_rename_keeps_the_id_and_renames_the_dn(client, general_stack):
    """cn=<old> becomes cn=<new>; the id stays; a 204."""
    group = await create_group(client)
    new = f"Renamed {tag()}"

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {"op": "Replace", "path": "displayName", "value": new},
    )

    fetched = await read(client, f"Groups/{group['id']}")
    assert response.status == 204
    assert fetched["id"] == group["id"]
    assert fetched["displayName"] == new
    assert entry(general_stack, group_dn(group["displayName"])) is None
    assert entry(general_stack, group_dn(new)) is not None


async def test_group_rename_onto_another_group_is_409(client, general_stack):
    """Two groups cannot share a displayName: 409, nothing changed."""
    group, other = await create_group(client), await create_group(client)
    before = snapshot(general_stack.admin())

    response = await patch(
        client,
        f"Groups/{group['id']}",
        {"op": "Replace", "path": "displayName", "value": other["displayName"]},
    )

    assert response.status == 409
    assert (await scim_body(response))["scimType"] == "uniqueness"
    assert snapshot(general_stack.admin()) == before


async def test_a_username_with_dn_special_characters_round_trips(client, general_stack):
    """RFC 4514 escaping: a userName with , + and = names its entry."""
    name = f"o'brien, jr+{tag()}=x@example.org"
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "active": True,
        "displayName": "Special",
    }

    response = await client.post(f"{SCIM}/Users", data=json.dumps(body), headers=JSON)

    created = await scim_body(response)
    assert response.status == 201
    assert created["userName"] == name
    assert (await read(client, f"Users/{created['id']}"))["userName"] == name
    found = await list_body(client, "Users", filter=f'userName eq "{name}"')
    assert [u["id"] for u in found["Resources"]] == [created["id"]]


async def test_a_case_only_rename_keeps_every_membership(client, general_stack):
    """uid ignores case, so the old and the new DN are one value to slapd:
    the groups must keep the member (they once lost it: the add was a
    no-op and the delete of the old spelling then removed it), spelled as
    the entry is now named."""
    user = await create_user(client, f"case.only.{tag()}@example.org")
    group = await create_group(client)
    await add_members(client, group["id"], user["id"])
    new = user["userName"].upper()

    response = await patch(client, f"Users/{user['id']}", _rename(new))

    stored = entry(general_stack, group_dn(group["displayName"]))
    fetched = await read(client, f"Groups/{group['id']}")
    assert response.status == 200
    assert stored is not None
    assert stored["member"] == [user_dn(new)]
    assert [m["value"] for m in fetched["members"]] == [user["id"]]
