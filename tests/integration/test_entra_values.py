"""Values as LDAP holds them: echoed as sent, cleared, derived, refused.

``entra-client.md`` §4.4 and §9: what Entra sent comes back unchanged, so
it does not re-PATCH; ``person`` needs ``sn`` and ``cn`` that Entra may not
send, so they fall back without being echoed as sent; a value LDAP cannot
hold is a 400 ``invalidValue`` that changes nothing.
"""

import pytest

from tests.integration.test_entra_support import (
    create_user,
    entry,
    patch,
    read,
    scim_body,
    user_dn,
)
from tests.support import snapshot


def _stored(general_stack, user: dict) -> dict[str, list[str]]:
    found = entry(general_stack, user_dn(user["userName"]))
    assert found is not None
    return found


async def test_clearing_family_name_keeps_sn_by_fallback(client, general_stack):
    """familyName "" leaves sn holding displayName, marked as derived."""
    user = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": "name.familyName", "value": ""},
    )

    stored = _stored(general_stack, user)
    assert response.status == 200
    assert "familyName" not in (await scim_body(response))["name"]
    assert stored["sn"] == [user["displayName"]]
    assert stored["scimDerived"] == ["sn"]


async def test_a_family_name_sent_after_a_fallback_is_echoed(client, general_stack):
    """Once Entra sends familyName, sn holds it and is no longer derived."""
    user = await create_user(client)
    await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": "name.familyName", "value": ""},
    )

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Add", "path": "name.familyName", "value": "Sent"},
    )

    stored = _stored(general_stack, user)
    assert (await scim_body(response))["name"]["familyName"] == "Sent"
    assert stored["sn"] == ["Sent"]
    assert "scimDerived" not in stored


async def test_removing_name_derives_sn_and_cn(client, general_stack):
    """Remove on name: sn and cn fall back; the response has no name."""
    user = await create_user(client)

    response = await patch(
        client, f"Users/{user['id']}", {"op": "Remove", "path": "name"}
    )

    stored = _stored(general_stack, user)
    assert "name" not in await scim_body(response)
    assert stored["sn"] == [user["displayName"]]
    assert stored["cn"] == [user["displayName"]]
    assert sorted(stored["scimDerived"]) == ["cn", "sn"]


async def test_the_fallback_moves_on_when_its_source_is_cleared(client, general_stack):
    """With no name and no displayName, sn and cn hold the userName."""
    user = await create_user(client)

    await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Remove", "path": "name"},
        {"op": "Replace", "path": "displayName", "value": ""},
    )

    stored = _stored(general_stack, user)
    assert stored["sn"] == [user["userName"]]
    assert stored["cn"] == [user["userName"]]
    assert "displayName" not in stored


@pytest.mark.parametrize(
    ("path", "value", "attribute"),
    [
        ("displayName", "Zoë Ångström 日本", "displayName"),
        (
            'addresses[type eq "work"].formatted',
            "1 Example St\nSpringfield",
            "physicalDeliveryOfficeName",
        ),
        ("title", " Lead ", "title"),
        (
            'phoneNumbers[type eq "fax"].value',
            "+1-555-0100",
            "facsimileTelephoneNumber",
        ),
    ],
)
async def test_values_are_stored_and_echoed_unchanged(
    client, general_stack, path, value, attribute
):
    """Unicode, line breaks, edge spaces and phone punctuation survive."""
    user = await create_user(client)

    await patch(
        client, f"Users/{user['id']}", {"op": "Add", "path": path, "value": value}
    )

    fetched = await read(client, f"Users/{user['id']}")
    stored = _stored(general_stack, user)
    assert stored[attribute] == [value]
    assert value in _leaves(fetched)


def _leaves(data: object) -> list[object]:
    """Every scalar inside a JSON value."""
    if isinstance(data, dict):
        return [leaf for item in data.values() for leaf in _leaves(item)]
    if isinstance(data, list):
        return [leaf for item in data for leaf in _leaves(item)]
    return [data]


async def test_a_value_ldap_cannot_hold_is_400_and_changes_nothing(
    client, general_stack
):
    """mail is IA5: a non-ASCII address is refused with a detail naming it."""
    user = await create_user(client)
    before = snapshot(general_stack.admin())

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": "title", "value": "Changed"},
        {
            "op": "Replace",
            "path": 'emails[type eq "work"].value',
            "value": "josé@example.org",
        },
    )

    body = await scim_body(response)
    assert response.status == 400
    assert body["scimType"] == "invalidValue"
    assert "mail" in body["detail"]
    assert snapshot(general_stack.admin()) == before


async def test_removing_username_is_refused(client, general_stack):
    """The validator tries removing a required attribute: 400, kept."""
    user = await create_user(client)

    response = await patch(
        client, f"Users/{user['id']}", {"op": "Remove", "path": "userName"}
    )

    stored = _stored(general_stack, user)
    assert response.status == 400
    assert (await scim_body(response))["status"] == "400"
    assert stored["uid"] == [user["userName"]]
