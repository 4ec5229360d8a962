"""The enterprise manager: written as an id, held as a DN, read as an object.

``entra-client.md`` §4.5 and §9: Entra sets the manager with a bare id
string (or ``{"value": id}``), removes it with ``""``, a remove op or
``manager[value eq "id"]``, and can only parse it back as ``{"value": id}``.
"""

import json
import uuid
from typing import Any

import pytest

from tests.integration.test_entra_support import (
    ENTERPRISE,
    create_user,
    entra_user,
    entry,
    patch,
    read,
    scim_body,
    tag,
    user_dn,
)
from tests.support import JSON, SCIM, snapshot

MANAGER = f"{ENTERPRISE}:manager"


async def _managed(client, general_stack) -> tuple[dict[str, Any], dict[str, Any]]:
    """A manager and a user whose manager attribute points at them."""
    boss = await create_user(client)
    user = await create_user(client)
    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Add", "path": MANAGER, "value": boss["id"]},
    )
    assert response.status == 200
    return boss, user


def _as_object(manager: object, ident: str) -> bool:
    """Whether a manager reads as {"value": id}; a $ref beside it must be
    that user's own location (RFC 7643 §4.2)."""
    if not isinstance(manager, dict) or manager.get("value") != ident:
        return False
    ref = manager.get("$ref", f"/Users/{ident}")
    return set(manager) <= {"value", "$ref"} and ref.endswith(f"/Users/{ident}")


def _manager_dn(general_stack, user: dict[str, Any]) -> list[str]:
    stored = entry(general_stack, user_dn(user["userName"]))
    assert stored is not None
    return [dn.lower() for dn in stored.get("manager", [])]


@pytest.mark.parametrize("op", ["Add", "Replace"])
@pytest.mark.parametrize("shape", ["bare", "object"])
async def test_manager_set_as_id_reads_back_as_an_object(
    client, general_stack, op, shape
):
    """A bare id or {"value": id}: LDAP holds the DN, SCIM shows {"value"}."""
    boss = await create_user(client)
    user = await create_user(client)
    value = boss["id"] if shape == "bare" else {"value": boss["id"]}

    response = await patch(
        client, f"Users/{user['id']}", {"op": op, "path": MANAGER, "value": value}
    )

    body = await scim_body(response)
    fetched = await read(client, f"Users/{user['id']}")
    assert response.status == 200
    assert _as_object(body[ENTERPRISE]["manager"], boss["id"])
    assert _as_object(fetched[ENTERPRISE]["manager"], boss["id"])
    assert _manager_dn(general_stack, user) == [user_dn(boss["userName"]).lower()]


async def test_manager_in_a_pathless_replace_is_set(client, general_stack):
    """Flag dialect: the manager URN key inside a path-less replace."""
    boss = await create_user(client)
    user = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "replace", "value": {MANAGER: boss["id"]}},
    )

    assert response.status == 200
    body = await scim_body(response)
    assert _as_object(body[ENTERPRISE]["manager"], boss["id"])
    assert _manager_dn(general_stack, user) == [user_dn(boss["userName"]).lower()]


async def test_manager_changes_with_replace(client, general_stack):
    """Replace with another id points the manager at the new user."""
    _, user = await _managed(client, general_stack)
    other = await create_user(client)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": MANAGER, "value": other["id"]},
    )

    assert response.status == 200
    assert _manager_dn(general_stack, user) == [user_dn(other["userName"]).lower()]


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param({"op": "Replace", "path": MANAGER, "value": ""}, id="empty"),
        pytest.param({"op": "Remove", "path": MANAGER}, id="remove"),
        pytest.param(
            {"op": "replace", "path": MANAGER, "value": {"value": ""}},
            id="empty-object",
        ),
    ],
)
async def test_manager_is_removed_by_empty_value_or_remove(
    client, general_stack, operation
):
    """The gallery's "" and a path-only Remove both delete the manager."""
    _, user = await _managed(client, general_stack)

    response = await patch(client, f"Users/{user['id']}", operation)

    body = await scim_body(response)
    assert response.status == 200
    assert "manager" not in body.get(ENTERPRISE, {})
    assert _manager_dn(general_stack, user) == []


async def test_manager_is_removed_by_a_value_filter(client, general_stack):
    """remove on manager[value eq "<id>"] deletes that manager."""
    boss, user = await _managed(client, general_stack)

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "remove", "path": f'{MANAGER}[value eq "{boss["id"]}"]'},
    )

    assert response.status == 200
    assert _manager_dn(general_stack, user) == []


async def test_unknown_manager_id_is_400_and_changes_nothing(client, general_stack):
    """A manager id nobody has: 400 invalidValue, the directory untouched."""
    user = await create_user(client)
    before = snapshot(general_stack.admin())

    response = await patch(
        client,
        f"Users/{user['id']}",
        {"op": "Replace", "path": "title", "value": "Changed"},
        {"op": "Add", "path": MANAGER, "value": str(uuid.uuid4())},
    )

    body = await scim_body(response)
    assert response.status == 400
    assert body["scimType"] == "invalidValue"
    assert body["detail"]
    assert snapshot(general_stack.admin()) == before


async def test_manager_in_a_user_post_is_stored_as_the_dn(client, general_stack):
    """A POST may carry the manager as a bare id; it reads back as an object."""
    boss = await create_user(client)
    body = entra_user(f"u{tag()}")
    body[ENTERPRISE]["manager"] = boss["id"]

    response = await client.post(f"{SCIM}/Users", data=json.dumps(body), headers=JSON)

    created = await scim_body(response)
    assert response.status == 201
    assert _as_object(created[ENTERPRISE]["manager"], boss["id"])
    assert _manager_dn(general_stack, created) == [user_dn(boss["userName"]).lower()]


async def test_deleting_the_manager_clears_the_reference(client, general_stack):
    """DELETE of a manager leaves no dangling manager DN on their reports."""
    boss, user = await _managed(client, general_stack)

    response = await client.delete(f"{SCIM}/Users/{boss['id']}")

    fetched = await read(client, f"Users/{user['id']}")
    assert response.status == 204
    assert "manager" not in fetched.get(ENTERPRISE, {})
    assert _manager_dn(general_stack, user) == []
