"""The records profile's rules: stable names, Office, and the sn fallback."""

from __future__ import annotations

import json
import secrets
from typing import Any

import ldap3

from tests.records.support import run_sync
from tests.records.tenant import EntraGroup, EntraUser, Tenant, user_dn
from tests.support import JSON, SCIM, Stack, snapshot

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _user(tag: str, **changes: Any) -> EntraUser:
    user = EntraUser(
        user_name=f"x.{tag}@example.org",
        display_name=f"Example {tag}",
        given_name="Example",
        family_name=f"Person{tag}",
        mail=f"x.{tag}@example.org",
    )
    for name, value in changes.items():
        setattr(user, name, value)
    return user


async def _created(client: Any, **changes: Any) -> tuple[Tenant, EntraUser]:
    """A user Entra has just created, and the tenant that created it."""
    tenant = Tenant(client)
    user = _user(secrets.token_hex(3), **changes)
    await tenant.create_user(user)
    return tenant, user


def _stored(stack: Stack, dn: str) -> dict[str, list[str]]:
    conn = stack.admin()
    conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["*"])
    raw = (conn.response or [{}])[0]["raw_attributes"]
    return {k: [v.decode("utf-8") for v in vs] for k, vs in raw.items()}


def _with_uid(stack: Stack, uid: str) -> list[str]:
    """DNs of the entries holding this uid anywhere in the directory."""
    conn = stack.admin()
    conn.search("dc=example,dc=org", f"(uid={uid})", ldap3.SUBTREE, attributes=["1.1"])
    return [item["dn"] for item in conn.response or []]


async def _patch(client: Any, path: str, *operations: dict[str, Any]) -> Any:
    body = json.dumps({"schemas": [PATCH_OP], "Operations": list(operations)})
    return await client.patch(f"{SCIM}{path}", data=body, headers=JSON)


async def test_a_user_without_externalid_is_refused_and_told_why(
    records_client: Any, records_stack: Stack
) -> None:
    """No externalId, no DN: 400 invalidValue naming externalId, nothing written."""
    body = _user(secrets.token_hex(3)).body()
    del body["externalId"]

    response = await records_client.post(
        f"{SCIM}/Users", data=json.dumps(body), headers=JSON
    )
    error = await response.json(content_type=None)

    assert (response.status, error["status"], error["scimType"]) == (
        400,
        "400",
        "invalidValue",
    )
    assert "externalId" in error["detail"]
    assert _with_uid(records_stack, body["userName"]) == []


async def test_a_group_without_externalid_is_refused_and_told_why(
    records_client: Any,
) -> None:
    """Groups are named by externalId too: 400 invalidValue naming it."""
    body = EntraGroup(f"Nameless {secrets.token_hex(3)}").body()
    del body["externalId"]

    response = await records_client.post(
        f"{SCIM}/Groups", data=json.dumps(body), headers=JSON
    )
    error = await response.json(content_type=None)

    assert (response.status, error["scimType"]) == (400, "invalidValue")
    assert "externalId" in error["detail"]


async def test_changing_externalid_is_refused_as_a_mutability_error(
    records_client: Any, records_stack: Stack
) -> None:
    """externalId names the DN, so a PATCH changing it is 400 mutability."""
    _, user = await _created(records_client)
    dn = user_dn(user.object_id)
    before = snapshot(records_stack.admin(), base=dn)

    response = await _patch(
        records_client,
        f"/Users/{user.id}",
        {"op": "Replace", "path": "externalId", "value": "another-object-id"},
    )
    error = await response.json(content_type=None)

    assert (response.status, error["scimType"]) == (400, "mutability")
    assert "externalId" in error["detail"]
    assert snapshot(records_stack.admin(), base=dn) == before


async def test_resending_the_same_externalid_is_accepted(
    records_client: Any, records_stack: Stack
) -> None:
    """Entra may send an unchanged externalId along with a change: 200."""
    _, user = await _created(records_client)

    response = await _patch(
        records_client,
        f"/Users/{user.id}",
        {"op": "Replace", "path": "externalId", "value": user.object_id},
        {"op": "Replace", "path": "title", "value": "Archivist"},
    )

    assert response.status == 200
    assert _stored(records_stack, user_dn(user.object_id))["title"] == ["Archivist"]


async def test_office_is_stored_in_physical_delivery_office_name(
    records_client: Any, records_stack: Stack
) -> None:
    """Entra's Office (addresses work formatted) lands where Constellio looks."""
    _, user = await _created(records_client, office="Building 4, room 12")
    created = _stored(records_stack, user_dn(user.object_id))[
        "physicalDeliveryOfficeName"
    ]

    response = await _patch(
        records_client,
        f"/Users/{user.id}",
        {
            "op": "Replace",
            "path": 'addresses[type eq "work"].formatted',
            "value": "Annex",
        },
    )
    echoed = (await response.json(content_type=None))["addresses"]

    assert created == ["Building 4, room 12"]
    assert _stored(records_stack, user_dn(user.object_id))[
        "physicalDeliveryOfficeName"
    ] == ["Annex"]
    assert echoed == [{"type": "work", "formatted": "Annex"}]


async def test_without_a_surname_sn_holds_the_display_name_not_echoed(
    records_client: Any, records_stack: Stack
) -> None:
    """sn falls back to displayName; reads do not claim Entra sent it."""
    _, user = await _created(records_client, family_name=None)

    read = await (await records_client.get(f"{SCIM}/Users/{user.id}")).json(
        content_type=None
    )
    imported = (await run_sync(records_stack)).users[user.user_name]

    assert _stored(records_stack, user_dn(user.object_id))["sn"] == [user.display_name]
    assert read["name"] == {"givenName": "Example"}
    assert (imported.first_name, imported.last_name) == ("Example", user.display_name)


async def test_without_surname_or_display_name_sn_holds_the_username(
    records_client: Any, records_stack: Stack
) -> None:
    """With neither, sn falls back to userName, still not echoed."""
    tag = secrets.token_hex(3)
    body = _user(tag, family_name=None).body()
    del body["displayName"]

    response = await records_client.post(
        f"{SCIM}/Users", data=json.dumps(body), headers=JSON
    )
    created = await response.json(content_type=None)

    assert response.status == 201
    assert _stored(records_stack, user_dn(body["externalId"]))["sn"] == [
        f"x.{tag}@example.org"
    ]
    assert "familyName" not in created.get("name", {})


async def test_a_renamed_user_without_surname_gets_the_new_display_name_in_sn(
    records_client: Any, records_stack: Stack
) -> None:
    """A derived sn follows the displayName it came from."""
    tenant, user = await _created(records_client, family_name=None)

    await tenant.rename_user(user, user.user_name, "Renamed Person")

    assert _stored(records_stack, user_dn(user.object_id))["sn"] == ["Renamed Person"]


async def test_a_surname_sent_later_replaces_the_stand_in(
    records_client: Any, records_stack: Stack
) -> None:
    """Once Entra sends a surname, sn holds it and reads return it."""
    _, user = await _created(records_client, family_name=None)

    response = await _patch(
        records_client,
        f"/Users/{user.id}",
        {"op": "Add", "path": "name.familyName", "value": "Surname"},
    )
    read = await response.json(content_type=None)

    assert _stored(records_stack, user_dn(user.object_id))["sn"] == ["Surname"]
    assert read["name"] == {"givenName": "Example", "familyName": "Surname"}
