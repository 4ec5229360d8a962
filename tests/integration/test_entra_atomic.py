"""Several PATCH operations are one LDAP modify: all of them or none.

``entra-client.md`` §4.4 and issue 2: a request refused for any of its
operations changes nothing, so Entra's retry starts from a clean state.
"""

import logging

import pytest

from tests.integration.test_entra_support import (
    ENTERPRISE,
    create_user,
    entry,
    patch,
    scim_body,
    user_dn,
)
from tests.support import snapshot

GOOD = [
    {"op": "Replace", "path": "displayName", "value": "Changed"},
    {
        "op": "Add",
        "path": 'phoneNumbers[type eq "mobile"].value',
        "value": "+1 555 0199",
    },
    {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Changed"},
]


async def test_several_operations_land_together(client, general_stack):
    """Every operation of one request is in LDAP after the 200."""
    user = await create_user(client)

    response = await patch(client, f"Users/{user['id']}", *GOOD)

    stored = entry(general_stack, user_dn(user["userName"]))
    assert response.status == 200
    assert stored is not None
    assert stored["displayName"] == ["Changed"]
    assert stored["mobile"] == ["+1 555 0199"]
    assert stored["departmentNumber"] == ["Changed"]


async def test_several_operations_are_one_ldap_modify(client, caplog):
    """The audit log, one line per LDAP write, shows a single modify."""
    user = await create_user(client)
    caplog.set_level(logging.INFO, logger="bridge.audit")

    await patch(client, f"Users/{user['id']}", *GOOD)

    writes = [r for r in caplog.records if r.name == "bridge.audit"]
    assert [(r.operation, r.dn.lower()) for r in writes] == [
        ("modify", user_dn(user["userName"]).lower())
    ]
    assert writes[0].attributes == ["departmentNumber", "displayName", "mobile"]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(
            {"op": "Replace", "path": "active", "value": "maybe"},
            id="active-not-boolean",
        ),
        pytest.param(
            {
                "op": "Replace",
                "path": f"{ENTERPRISE}:manager",
                "value": "00000000-0000-4000-8000-000000000000",
            },
            id="unknown-manager",
        ),
        pytest.param({"op": "Jump", "path": "title", "value": "x"}, id="unknown-op"),
    ],
)
async def test_one_bad_operation_changes_nothing(client, general_stack, bad):
    """A bad last operation: 400, and the directory is as it was."""
    user = await create_user(client)
    before = snapshot(general_stack.admin())

    response = await patch(client, f"Users/{user['id']}", *GOOD, bad)

    body = await scim_body(response)
    assert response.status == 400
    assert body["status"] == "400"
    assert body["detail"]
    assert snapshot(general_stack.admin()) == before


async def test_a_bad_first_operation_changes_nothing(client, general_stack):
    """Order does not matter: a bad first operation stops the rest too."""
    user = await create_user(client)
    before = snapshot(general_stack.admin())
    bad = {"op": "Replace", "path": "active", "value": "maybe"}

    response = await patch(client, f"Users/{user['id']}", bad, *GOOD)

    assert response.status == 400
    assert snapshot(general_stack.admin()) == before
