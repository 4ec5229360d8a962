"""A request that fails half way changed nothing: the directory is byte
for byte what it was, operational attributes included."""

from typing import Any

from tests.support import Stack, snapshot

from .conftest import MakeClient, fault_settings
from .support import ERROR_SCHEMA, create_user, patch_body, send

Snapshot = list[tuple[str, dict[str, Any]]]

_BOOKKEEPING = {"entryCSN", "contextCSN", "modifyTimestamp", "modifiersName"}
"""What slapd rewrites on any accepted write, whatever the values."""

CHANGES = (
    {"op": "replace", "path": "displayName", "value": "Changed Name"},
    {"op": "replace", "path": "title", "value": "Changed Title"},
)


def _add_invisible_person(stack: Stack, uid: str) -> None:
    """A person the bridge does not manage (no scimUser class), whose DN
    the bridge's own uniqueness check therefore cannot see."""
    admin = stack.admin()
    admin.add(
        f"uid={uid},{stack.mapping.users.base}",
        ["top", "person", "organizationalPerson", "inetOrgPerson"],
        {"cn": uid, "sn": uid},
    )


async def test_a_patch_whose_last_operation_ldap_refuses_changes_nothing(
    module_stack: Stack, make_client: MakeClient
) -> None:
    """Two good operations and a value slapd's schema rejects: 400, and
    neither good operation landed (one LDAP modify, all or nothing)."""
    http = await make_client(module_stack, fault_settings(module_stack))
    user = await create_user(http, "atomic.patch")
    bad = {
        "op": "add",
        "path": 'emails[type eq "work"].value',
        "value": "jörg@example.org",
    }
    before = snapshot(module_stack.admin())

    response = await send(
        http, "PATCH", f"/Users/{user['id']}", patch_body(*CHANGES, bad)
    )

    assert response.status == 400
    assert await response.json() == {
        "schemas": [ERROR_SCHEMA],
        "status": "400",
        "scimType": "invalidValue",
        "detail": "The directory refused the change: mail: value #0 invalid per syntax",
    }
    assert snapshot(module_stack.admin()) == before


async def _clashing_rename(
    stack: Stack, make_client: MakeClient, name: str
) -> tuple[int, Snapshot, Snapshot]:
    """PATCH attribute changes plus a userName slapd refuses as a DN."""
    http = await make_client(stack, fault_settings(stack))
    user = await create_user(http, name)
    _add_invisible_person(stack, f"{name}.taken")
    rename = {"op": "replace", "path": "userName", "value": f"{name}.taken"}
    before = snapshot(stack.admin())

    response = await send(
        http, "PATCH", f"/Users/{user['id']}", patch_body(*CHANGES, rename)
    )

    return response.status, before, snapshot(stack.admin())


async def test_a_rename_that_clashes_in_ldap_leaves_name_and_attributes_unchanged(
    module_stack: Stack, make_client: MakeClient
) -> None:
    """A userName change slapd refuses (the DN is taken) together with
    attribute changes: 409, and neither the rename nor the attributes land."""
    status, before, after = await _clashing_rename(
        module_stack, make_client, "clash.values"
    )

    assert status == 409
    assert _values_only(after) == _values_only(before)


async def test_a_rename_that_clashes_in_ldap_keeps_the_version(
    module_stack: Stack, make_client: MakeClient
) -> None:
    """The refused request leaves the entry's version (entryCSN) as it was."""
    status, before, after = await _clashing_rename(
        module_stack, make_client, "clash.version"
    )

    assert status == 409
    assert after == before


def _values_only(entries: Snapshot) -> Snapshot:
    return [
        (dn, {k: v for k, v in attrs.items() if k not in _BOOKKEEPING})
        for dn, attrs in entries
    ]
