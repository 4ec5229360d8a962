"""Entra's existence checks: filters answer 200, with one match or none.

``entra-client.md`` §4.2, §4.8, §4.10 and §6: Entra matches by ``eq`` on
userName (case-insensitive), externalId (case-exact in RFC 7643), group
displayName, id, the work email, and the legacy ``id and members`` form.
"""

import uuid

from tests.integration.test_entra_support import (
    CORE_USER,
    add_members,
    create_group,
    create_user,
    list_body,
    patch,
    tag,
)


def _ids(body: dict) -> list[str]:
    return [item["id"] for item in body["Resources"]]


async def test_username_eq_in_another_case_finds_the_user(client):
    """userName is caseExact false: the validator's other case still hits."""
    user = await create_user(client, f"Case{tag()}")

    body = await list_body(
        client, "Users", filter=f'userName eq "{user["userName"].upper()}"'
    )

    assert body["totalResults"] == 1
    assert _ids(body) == [user["id"]]
    assert body["Resources"][0]["userName"] == user["userName"]


async def test_username_eq_form_encoded_as_entra_sends_it(client):
    """Spaces as + and quotes as %22, as Entra encodes them (§2)."""
    user = await create_user(client)
    encoded = f"userName+eq+%22{user['userName'].replace('@', '%40')}%22"

    response = await client.get(f"/scim/v2/Users?filter={encoded}")

    body = await response.json(content_type=None)
    assert response.status == 200
    assert _ids(body) == [user["id"]]


async def test_externalid_eq_matches_the_exact_value(client):
    """externalId eq with the value as sent finds the user."""
    user = await create_user(client, f"Ext{tag()}")

    body = await list_body(
        client, "Users", filter=f'externalId eq "{user["externalId"]}"'
    )

    assert _ids(body) == [user["id"]]


async def test_externalid_eq_in_another_case_finds_nothing(client):
    """externalId is case-exact (RFC 7643 §3.1): another case is no match."""
    user = await create_user(client, f"Ext{tag()}")

    body = await list_body(
        client, "Users", filter=f'externalId eq "{user["externalId"].upper()}"'
    )

    assert body["totalResults"] == 0
    assert body["Resources"] == []


async def test_unknown_guid_externalid_is_an_empty_list_not_an_error(client):
    """Recent tenants check externalId eq "<guid>" first: 200, empty."""
    body = await list_body(client, "Users", filter=f'externalId eq "{uuid.uuid4()}"')

    assert body["totalResults"] == 0


async def test_unquoted_externalid_value_is_tolerated(client):
    """Old samples send externalId eq jyoung, without quotes (§6)."""
    user = await create_user(client, f"bare{tag()}")

    body = await list_body(
        client, "Users", filter=f"externalId eq {user['externalId']}"
    )

    assert _ids(body) == [user["id"]]


async def test_group_displayname_eq_with_members_excluded(client):
    """Group matching: one group, and no members key in the answer."""
    user = await create_user(client)
    group = await create_group(client)
    await add_members(client, group["id"], user["id"])

    body = await list_body(
        client,
        "Groups",
        excludedAttributes="members",
        filter=f'displayName eq "{group["displayName"]}"',
    )

    assert _ids(body) == [group["id"]]
    assert "members" not in body["Resources"][0]
    assert body["Resources"][0]["displayName"] == group["displayName"]


async def test_unknown_group_displayname_is_an_empty_list(client):
    """A group Entra has not created yet: 200 with no resources."""
    body = await list_body(
        client,
        "Groups",
        excludedAttributes="members",
        filter=f'displayName eq "Nobody {tag()}"',
    )

    assert body["totalResults"] == 0
    assert body["Resources"] == []


async def test_id_eq_finds_exactly_that_user(client):
    """id eq "<id>" answers the one user with that id."""
    user = await create_user(client)
    await create_user(client)

    body = await list_body(client, "Users", filter=f'id eq "{user["id"]}"')

    assert body["totalResults"] == 1
    assert _ids(body) == [user["id"]]


async def test_id_eq_an_unknown_id_is_an_empty_list(client):
    """id eq on an id nobody has: 200 and empty, never 404."""
    body = await list_body(client, "Users", filter=f'id eq "{uuid.uuid4()}"')

    assert body["totalResults"] == 0


async def test_work_email_value_eq_finds_the_user(client):
    """emails[type eq "work"].value eq, a matching attribute Entra may use."""
    user = await create_user(client)
    mail = user["emails"][0]["value"]

    body = await list_body(
        client, "Users", filter=f'emails[type eq "work"].value eq "{mail}"'
    )

    assert _ids(body) == [user["id"]]


async def test_id_and_members_eq_answers_the_group_holding_the_member(client):
    """Legacy reference check: the group when the user is a member."""
    user = await create_user(client)
    group = await create_group(client)
    await add_members(client, group["id"], user["id"])

    body = await list_body(
        client,
        "Groups",
        excludedAttributes="members",
        filter=f'id eq "{group["id"]}" and members eq "{user["id"]}"',
    )

    assert _ids(body) == [group["id"]]
    assert "members" not in body["Resources"][0]


async def test_id_and_members_eq_is_empty_when_the_user_is_not_a_member(client):
    """Legacy reference check: an empty list when the user is not a member."""
    user = await create_user(client)
    group = await create_group(client)

    body = await list_body(
        client,
        "Groups",
        excludedAttributes="members",
        filter=f'id eq "{group["id"]}" and members eq "{user["id"]}"',
    )

    assert body["totalResults"] == 0
    assert body["Resources"] == []


async def test_id_and_manager_eq_answers_the_managed_user(client):
    """Legacy manager check: 0 or 1 user, here the one managed."""
    boss = await create_user(client)
    user = await create_user(client)
    await patch(
        client,
        f"Users/{user['id']}",
        {
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:"
            "enterprise:2.0:User:manager",
            "value": boss["id"],
        },
    )

    body = await list_body(
        client,
        "Users",
        attributes="id",
        filter=f'id eq "{user["id"]}" and manager eq "{boss["id"]}"',
    )

    assert body["Resources"] == [{"id": user["id"], "schemas": [CORE_USER]}]
