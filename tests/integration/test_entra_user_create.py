"""Entra's user POST: tolerated extras, 201 with a stable id, 409 on clash.

``entra-client.md`` §4.3 and §9: Entra sends explicit nulls, ``roles: []``,
``meta`` and unknown attributes, expects a 201 with an ``id`` it keeps
forever, and values echoed back exactly as it sent them.
"""

import json
from typing import Any

from tests.integration.test_entra_support import (
    ENTERPRISE,
    ERROR,
    USER_SCHEMAS,
    create_user,
    entra_user,
    entry,
    read,
    scim_body,
    tag,
    user_dn,
)
from tests.support import JSON, SCIM


async def _post(client, body: dict[str, Any]):
    return await client.post(f"{SCIM}/Users", data=json.dumps(body), headers=JSON)


async def test_entra_user_post_is_201_with_what_was_stored(client, general_stack):
    """The documented POST body lands in LDAP and comes back as sent."""
    name = f"u{tag()}"

    response = await _post(client, entra_user(name))

    body = await scim_body(response)
    assert response.status == 201
    assert body["userName"] == f"{name}@example.org"
    assert body["externalId"] == name
    assert body["active"] is True
    assert body["name"] == {
        "formatted": f"User {name}",
        "familyName": name,
        "givenName": "User",
    }
    assert body[ENTERPRISE] == {"employeeNumber": "E1001", "department": "R&D"}
    assert body["emails"][0]["value"] == f"{name}@example.org"
    assert body["emails"][0]["type"] == "work"
    stored = entry(general_stack, user_dn(f"{name}@example.org"))
    assert stored is not None
    assert stored["uid"] == [f"{name}@example.org"]
    assert stored["mail"] == [f"{name}@example.org"]
    assert stored["sn"] == [name]
    assert stored["employeeNumber"] == ["E1001"]
    assert stored["departmentNumber"] == ["R&D"]


async def test_the_id_is_stable_and_is_the_entry_uuid(client, general_stack):
    """The id in the 201 is the entryUUID and reads back unchanged."""
    user = await create_user(client)

    again = await read(client, f"Users/{user['id']}")

    conn = general_stack.admin()
    conn.search(
        user_dn(user["userName"]), "(objectClass=*)", "BASE", attributes=["entryUUID"]
    )
    assert again["id"] == user["id"]
    assert str(conn.entries[0].entryUUID) == user["id"]
    assert response_location(again) == f"/scim/v2/Users/{user['id']}"


def response_location(body: dict[str, Any]) -> str:
    """The path part of meta.location."""
    location: str = body["meta"]["location"]
    return location[location.index("/scim/") :]


async def test_explicit_nulls_roles_and_unknown_attributes_are_ignored(
    client, general_stack
):
    """Nulls, roles: [], meta and unmapped attributes do not refuse a POST."""
    name = f"u{tag()}"
    body = entra_user(name) | {
        "nickName": None,
        "title": None,
        "preferredLanguage": None,
        "favouriteColour": "teal",
        "urn:example:unknown:2.0:User": {"shoeSize": 44},
    }
    body[ENTERPRISE] = {"employeeNumber": "E1001", "department": "R&D", "manager": None}

    response = await _post(client, body)

    created = await scim_body(response)
    stored = entry(general_stack, user_dn(f"{name}@example.org"))
    assert response.status == 201
    assert created["id"]
    assert "title" not in created
    assert "manager" not in created[ENTERPRISE]
    assert stored is not None
    assert "title" not in stored
    assert "manager" not in stored


async def test_misspelled_extension_urn_is_ignored_not_rejected(client):
    """One Microsoft sample misspells the enterprise URN: ignore that block."""
    body = entra_user(f"u{tag()}")
    del body[ENTERPRISE]
    body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:Usr"] = {
        "department": "R&D"
    }

    response = await _post(client, body)

    created = await scim_body(response)
    assert response.status == 201
    assert ENTERPRISE not in created


async def test_active_as_the_string_true_is_stored_as_true(client, general_stack):
    """The Postman collection POSTs "active": "True" and expects true back."""
    name = f"u{tag()}"
    body = entra_user(name) | {"active": "True"}

    response = await _post(client, body)

    created = await scim_body(response)
    stored = entry(general_stack, user_dn(f"{name}@example.org"))
    assert response.status == 201
    assert created["active"] is True
    assert stored is not None
    assert stored["loginDisabled"] == ["FALSE"]


async def test_duplicate_username_is_409_uniqueness(client, general_stack):
    """A second POST with the same userName: 409 uniqueness, nothing added."""
    user = await create_user(client)
    again = entra_user("other") | {"userName": user["userName"]}

    response = await _post(client, again)

    body = await scim_body(response)
    assert response.status == 409
    assert body["schemas"] == [ERROR]
    assert body["status"] == "409"
    assert body["scimType"] == "uniqueness"
    assert body["detail"]
    kept = entry(general_stack, user_dn(user["userName"]))
    assert kept is not None
    assert kept["scimExternalId"] == [user["externalId"]]


async def test_duplicate_username_in_another_case_is_409_uniqueness(client):
    """userName ignores case, so a case variant clashes too."""
    user = await create_user(client)
    again = entra_user("other") | {"userName": user["userName"].upper()}

    response = await _post(client, again)

    body = await scim_body(response)
    assert response.status == 409
    assert body["scimType"] == "uniqueness"


async def test_values_come_back_exactly_as_sent(client, general_stack):
    """Case, spacing and phone format survive the round trip (§9)."""
    name = f"MiXeD.{tag()}"
    body = entra_user(name) | {
        "displayName": "  Ada   LOVELACE ",
        "title": "Chief  Engineer",
        "phoneNumbers": [
            {"type": "work", "value": "+44 (0)20 7946-0018"},
            {"type": "mobile", "value": "07700 900 123"},
        ],
    }

    response = await _post(client, body)

    created = await scim_body(response)
    fetched = await read(client, f"Users/{created['id']}")
    stored = entry(general_stack, user_dn(f"{name}@example.org"))
    phones = {p["type"]: p["value"] for p in fetched["phoneNumbers"]}
    assert fetched["userName"] == f"{name}@example.org"
    assert fetched["displayName"] == "  Ada   LOVELACE "
    assert fetched["title"] == "Chief  Engineer"
    assert phones == {"work": "+44 (0)20 7946-0018", "mobile": "07700 900 123"}
    assert stored is not None
    assert stored["telephoneNumber"] == ["+44 (0)20 7946-0018"]
    assert stored["mobile"] == ["07700 900 123"]


async def test_without_a_name_ldap_gets_sn_but_scim_shows_no_family_name(
    client, general_stack
):
    """person needs sn and cn: they fall back, but are not echoed as sent."""
    name = f"u{tag()}"
    body = {
        "schemas": USER_SCHEMAS,
        "userName": f"{name}@example.org",
        "active": True,
        "displayName": f"Nameless {name}",
    }

    response = await _post(client, body)

    created = await scim_body(response)
    fetched = await read(client, f"Users/{created['id']}")
    stored = entry(general_stack, user_dn(f"{name}@example.org"))
    assert response.status == 201
    assert "name" not in created
    assert "name" not in fetched
    assert stored is not None
    assert stored["sn"] == [f"Nameless {name}"]
    assert stored["cn"] == [f"Nameless {name}"]


async def test_a_post_without_username_is_400(client):
    """userName is required: it names the entry. 400 with a detail."""
    body = entra_user(f"u{tag()}")
    del body["userName"]

    response = await _post(client, body)

    error = await scim_body(response)
    assert response.status == 400
    assert error["status"] == "400"
    assert error["detail"]
