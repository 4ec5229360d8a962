"""Entra's user PATCH, in both dialects, applied to real LDAP entries.

``entra-client.md`` §3 and §4.4: one tenant sends the default dialect
(``Replace``, one operation per attribute, ``"False"`` strings) and the
``aadOptscim062020`` one (``replace``, path-less objects with dotted and
URN keys, booleans). Both must work at once; a user PATCH answers 200 with
the resource.
"""

import json
import uuid

import pytest

from tests.integration.test_entra_support import (
    ENTERPRISE,
    USER_SCHEMAS,
    create_user,
    entry,
    patch,
    read,
    scim_body,
    tag,
    user_dn,
)
from tests.support import JSON, SCIM

pytestmark = pytest.mark.usefixtures("general_stack")


async def _bare_user(client):
    """A user with only a userName and displayName, as sparse as allowed."""
    name = f"bare{tag()}@example.org"
    body = {
        "schemas": USER_SCHEMAS,
        "userName": name,
        "active": True,
        "displayName": "Bare",
    }
    response = await client.post(f"{SCIM}/Users", data=json.dumps(body), headers=JSON)
    assert response.status == 201
    return await scim_body(response)


async def test_default_dialect_update_lands_as_sent(client, general_stack):
    """The documented default-dialect PATCH: 200, body, and LDAP updated."""
    user = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {
            "op": "Replace",
            "path": 'emails[type eq "work"].value',
            "value": "u1.new@example.org",
        },
        {"op": "Replace", "path": "name.givenName", "value": "Usr"},
        {
            "op": "Add",
            "path": 'addresses[type eq "work"].formatted',
            "value": "1 Example St",
        },
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "value": "Ops",
        },
    )

    body = await scim_body(response)
    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert body["emails"] == [{"type": "work", "value": "u1.new@example.org"}]
    assert body["name"]["givenName"] == "Usr"
    assert body["addresses"] == [{"type": "work", "formatted": "1 Example St"}]
    assert body[ENTERPRISE] == {"employeeNumber": "E1001", "department": "Ops"}
    assert stored is not None
    assert stored["mail"] == ["u1.new@example.org"]
    assert stored["givenName"] == ["Usr"]
    assert stored["physicalDeliveryOfficeName"] == ["1 Example St"]
    assert stored["departmentNumber"] == ["Ops"]


async def test_flag_dialect_pathless_replace_with_dotted_and_urn_keys(
    client, general_stack
):
    """aadOptscim062020: a path-less replace whose keys are paths."""
    user = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {
            "op": "replace",
            "path": 'emails[type eq "work"].value',
            "value": "u1.new@example.org",
        },
        {
            "op": "replace",
            "value": {
                "displayName": "User One",
                "name.givenName": "Usr",
                f"{ENTERPRISE}:employeeNumber": "E2002",
            },
        },
    )

    body = await scim_body(response)
    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert body["displayName"] == "User One"
    assert body["name"]["givenName"] == "Usr"
    assert body[ENTERPRISE]["employeeNumber"] == "E2002"
    assert stored is not None
    assert stored["displayName"] == ["User One"]
    assert stored["givenName"] == ["Usr"]
    assert stored["employeeNumber"] == ["E2002"]
    assert stored["mail"] == ["u1.new@example.org"]


async def test_pathless_replace_with_value_path_keys(client, general_stack):
    """Keys that are filtered paths are applied like their own operations
    (they were once dropped with a 200); a cleared one is removed."""
    user = await create_user(client)
    await patch(
        client,
        f"Users/{user['id']}",
        {"op": "add", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 1"},
    )
    before = entry(general_stack, user_dn(user["userName"]))
    assert before is not None
    assert before["telephoneNumber"] == ["+1 1"]

    response = await patch(
        client,
        f"Users/{user['id']}",
        {
            "op": "replace",
            "value": {
                'emails[type eq "work"].value': "moved@example.org",
                'phoneNumbers[type eq "mobile"].value': "+1 555 0100",
                'phoneNumbers[type eq "work"].value': None,
                "displayName": "Changed",
            },
        },
    )

    body = await scim_body(response)
    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200, body
    assert stored is not None
    assert stored["mail"] == ["moved@example.org"]
    assert stored["mobile"] == ["+1 555 0100"]
    assert "telephoneNumber" not in stored
    assert stored["displayName"] == ["Changed"]
    assert body["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0100"}]


async def test_a_malformed_value_path_key_is_an_invalid_path(client, general_stack):
    user = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "replace", "value": {"emails[type eq": "x@example.org"}},
    )

    body = await scim_body(response)
    assert (response.status, body.get("scimType")) == (400, "invalidPath")


async def test_pathless_replace_with_a_nested_extension_object(client, general_stack):
    """Other IdPs nest the extension under its URN in a path-less value."""
    user = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "replace", "value": {ENTERPRISE: {"department": "Sales"}}},
    )

    body = await scim_body(response)
    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert body[ENTERPRISE] == {"employeeNumber": "E1001", "department": "Sales"}
    assert stored is not None
    assert stored["departmentNumber"] == ["Sales"]


@pytest.mark.parametrize("op", ["ADD", "Add", "add", "rEpLaCe", "REPLACE"])
async def test_op_is_read_in_any_case(client, general_stack, op):
    """op values are case-insensitive in both dialects."""
    user = await create_user(client)

    response = await patch(
        client, f"Users/{user['id']}", {"op": op, "path": "title", "value": "Boss"}
    )

    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert (await scim_body(response))["title"] == "Boss"
    assert stored is not None
    assert stored["title"] == ["Boss"]


async def test_remove_in_capitals_deletes_the_attribute(client, general_stack):
    """ "REMOVE" is a remove: the LDAP attribute is deleted."""
    user = await create_user(client)

    response = await patch(
        client, f"Users/{user['id']}", {"op": "REMOVE", "path": "displayName"}
    )

    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert "displayName" not in await scim_body(response)
    assert stored is not None
    assert "displayName" not in stored


@pytest.mark.parametrize(
    ("path", "value", "attribute", "expected"),
    [
        (
            'emails[type eq "work"].value',
            "new@example.org",
            "mail",
            {"emails": [{"type": "work", "value": "new@example.org"}]},
        ),
        (
            'addresses[type eq "work"].formatted',
            "2 Example Rd",
            "physicalDeliveryOfficeName",
            {"addresses": [{"type": "work", "formatted": "2 Example Rd"}]},
        ),
        (
            'phoneNumbers[type eq "mobile"].value',
            "+1 555 0100",
            "mobile",
            {"phoneNumbers": [{"type": "mobile", "value": "+1 555 0100"}]},
        ),
    ],
)
@pytest.mark.parametrize("op", ["Add", "Replace"])
async def test_a_value_filter_matching_nothing_creates_the_typed_entry(
    client, general_stack, op, path, value, attribute, expected
):
    """Add/Replace through [type eq "t"] on no such entry creates it."""
    user = await _bare_user(client)

    response = await patch(
        client, f"Users/{user['id']}", {"op": op, "path": path, "value": value}
    )

    body = await scim_body(response)
    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert {k: body[k] for k in expected} == expected
    assert stored is not None
    assert stored[attribute] == [value]


@pytest.mark.parametrize(
    ("value", "active", "ldap"),
    [
        ("False", False, "TRUE"),
        ("false", False, "TRUE"),
        (False, False, "TRUE"),
        ("True", True, "FALSE"),
        (True, True, "FALSE"),
    ],
)
async def test_active_as_strings_or_booleans(
    client, general_stack, value, active, ldap
):
    """active takes "True"/"False" (default dialect) and booleans (flag)."""
    user = await create_user(client)
    await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": "active", "value": not active},
    )

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": "active", "value": value},
    )

    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert (await scim_body(response))["active"] is active
    assert stored is not None
    assert stored["loginDisabled"] == [ldap]


async def test_pathless_active_false_disables(client, general_stack):
    """Other IdPs disable with {"op":"replace","value":{"active":false}}."""
    user = await create_user(client)

    response = await patch(
        client, f"Users/{user['id']}", {"op": "replace", "value": {"active": False}}
    )

    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert (await scim_body(response))["active"] is False
    assert stored is not None
    assert stored["loginDisabled"] == ["TRUE"]


@pytest.mark.parametrize("cleared", ["", None])
async def test_empty_string_and_null_delete_the_ldap_attribute(
    client, general_stack, cleared
):
    """The gallery test PATCHes "" then null: LDAP holds no empty value."""
    user = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": "displayName", "value": cleared},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": cleared},
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "value": cleared,
        },
    )

    body = await scim_body(response)
    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert "displayName" not in body
    assert "emails" not in body
    assert body[ENTERPRISE] == {"employeeNumber": "E1001"}
    assert stored is not None
    assert "displayName" not in stored
    assert "mail" not in stored
    assert "departmentNumber" not in stored


async def test_pathless_empty_values_delete_the_ldap_attributes(client, general_stack):
    """A path-less replace with "" and null values clears those attributes."""
    user = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {
            "op": "replace",
            "value": {
                "title": "",
                "displayName": None,
                "name.givenName": "Kept",
            },
        },
    )

    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert stored is not None
    assert "title" not in stored
    assert "displayName" not in stored
    assert stored["givenName"] == ["Kept"]


async def test_replace_on_name_with_a_partial_object_keeps_the_rest(
    client, general_stack
):
    """RFC 7644 §3.5.2.3: sub-attributes not given are left unchanged."""
    user = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": "name", "value": {"givenName": "Only"}},
    )

    body = await scim_body(response)
    assert response.status == 200
    assert body["name"] == {
        "formatted": user["name"]["formatted"],
        "familyName": user["name"]["familyName"],
        "givenName": "Only",
    }


@pytest.mark.parametrize(
    ("op", "path"),
    [
        pytest.param("Replace", "DISPLAYNAME", id="path-in-capitals"),
        pytest.param("Add", "displayName", id="add-overwrites"),
    ],
)
async def test_a_path_names_its_attribute_in_any_case_and_add_overwrites(
    client, general_stack, op, path
):
    """Paths ignore case (RFC 7643 §2.1); a single-valued Add overwrites."""
    user = await create_user(client)

    response = await patch(
        client, f"Users/{user['id']}", {"op": op, "path": path, "value": "Set"}
    )

    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert stored is not None
    assert stored["displayName"] == ["Set"]


async def test_user_patch_answers_200_with_the_resource_as_read(client):
    """The 200 body of a user PATCH is the resource a GET then returns."""
    user = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": "title", "value": "Lead"},
    )

    body = await scim_body(response)
    assert response.status == 200
    assert body == await read(client, f"Users/{user['id']}")


async def test_patch_of_an_unknown_user_is_404(client):
    """A PATCH for an id the bridge never handed out: 404."""
    response = await patch(
        client,
        f"Users/{uuid.uuid4()}",
        {"op": "Replace", "path": "title", "value": "Ghost"},
    )

    assert response.status == 404
    assert (await scim_body(response))["status"] == "404"
