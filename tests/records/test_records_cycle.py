"""A realistic Entra cycle, read back the way the records system reads it.

The bridge runs with the records profile in front of the records slapd;
:mod:`tests.records.reader` plays Constellio's eDirectory sync as the sync
account. After each phase the test asserts the exact users, groups,
assignments and statuses imported, and that ``member`` and
``groupMembership`` hold the same DN strings on both sides.
"""

from __future__ import annotations

import secrets
from typing import Any

import ldap3

from tests.records.reader import ACTIVE, DISABLED, RecordsImport
from tests.records.support import link_problems, refint_repairs, run_sync
from tests.records.tenant import EntraGroup, EntraUser, Tenant, group_dn, user_dn
from tests.support import Stack

POPULATION = 520
"""More than slapd's default size limit of 500, so the sync account's
unlimited limits are part of what the test proves."""


def _people(tag: str, count: int) -> list[EntraUser]:
    """Entra users; every 50th has no surname, every 3rd an Office."""
    return [
        EntraUser(
            user_name=f"p{i:04d}.{tag}@example.org",
            display_name=f"Person {i:04d} {tag}",
            given_name=f"Given{i}",
            family_name=None if i % 50 == 7 else f"Family{i}",
            mail=f"p{i:04d}.{tag}@example.org",
            office=f"Building {i % 7}" if i % 3 == 0 else None,
        )
        for i in range(count)
    ]


def _mine(
    result: RecordsImport, tenant: Tenant, tag: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The imported users and groups that belong to this test's tenant."""
    users = {k: v for k, v in result.users.items() if tag in k}
    groups = {k: v for k, v in result.groups.items() if k in tenant.known_group_dns}
    return users, groups


async def _assert_records_see_the_tenant(
    stack: Stack, tenant: Tenant, tag: str
) -> RecordsImport:
    """The records system imports exactly what Entra holds; both sides agree."""
    assert link_problems(stack.admin()) == []
    result = await run_sync(stack)
    users, groups = _mine(result, tenant, tag)
    assert users == tenant.expected_users()
    assert groups == tenant.expected_groups()
    return result


def _stored(stack: Stack, dn: str, attribute: str) -> list[str]:
    conn = stack.admin()
    conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=[attribute])
    entry = conn.response[0]["raw_attributes"] if conn.response else {}
    return [
        v.decode("utf-8")
        for k, vs in entry.items()
        if k.lower() == attribute.lower()
        for v in vs
    ]


async def test_records_system_imports_a_full_entra_cycle_exactly(
    records_client: Any, records_stack: Stack
) -> None:
    """After each phase of a cycle the records system imports Entra's state."""
    tag = secrets.token_hex(3)
    tenant = Tenant(records_client)
    people = _people(tag, POPULATION)

    # Phase 1: users, then groups created empty as Entra does.
    await tenant.gather(tenant.create_user(u) for u in people)
    empty, solo, ten, big, race, doomed = (
        EntraGroup(f"{name} {tag}")
        for name in ("Empty", "Solo", "Ten", "Big", "Race", "Doomed")
    )
    await tenant.gather(
        tenant.create_group(g) for g in (empty, solo, ten, big, race, doomed)
    )
    await _assert_records_see_the_tenant(records_stack, tenant, tag)

    # Phase 2: member PATCHes, many of them at once on one group.
    await tenant.add_members(solo, people[:1])
    await tenant.add_members(ten, people[:10])
    await tenant.add_members(doomed, people[3:13])
    await tenant.gather(
        tenant.add_members(big, people[start : start + 10])
        for start in range(0, 240, 10)
    )
    await tenant.gather(tenant.add_members(race, [u]) for u in people[240:290])
    first = await _assert_records_see_the_tenant(records_stack, tenant, tag)

    assert len([u for u in first.users if tag in u]) == POPULATION
    assert [len(g.members) for g in (empty, solo, ten, big, race)] == [
        0,
        1,
        10,
        240,
        50,
    ]
    assert first.users[people[0].user_name].groups == tuple(
        sorted(group_dn(g.object_id) for g in (solo, ten, big))
    )

    # Phase 3: disable, re-enable, renames, deletes.
    disabled, reenabled, renamed, deleted = people[0], people[1], people[2], people[3]
    old_username = renamed.user_name
    await tenant.set_active(disabled, False, flag=False)
    await tenant.set_active(reenabled, False, flag=False)
    await tenant.set_active(reenabled, True, flag=True)
    await tenant.rename_user(renamed, f"renamed.{tag}@example.org", f"Renamed {tag}")
    await tenant.rename_group(ten, f"Ten renamed {tag}")
    await tenant.delete_user(deleted)
    assert link_problems(records_stack.admin()) == []
    await tenant.delete_group(doomed)
    assert link_problems(records_stack.admin()) == []
    # Sequential deletes leave refint nothing to repair: the bridge did it.
    touched = {group_dn(g.object_id) for g in (empty, solo, ten, big, race)}
    touched |= {user_dn(u.object_id) for u in people}
    assert refint_repairs(records_stack.admin()) & touched == set()
    second = await _assert_records_see_the_tenant(records_stack, tenant, tag)

    assert second.users[disabled.user_name].status == DISABLED
    assert (
        second.users[disabled.user_name].groups
        == first.users[disabled.user_name].groups
    )
    assert second.users[reenabled.user_name].status == ACTIVE
    assert old_username not in second.users
    assert second.users[renamed.user_name].dn == first.users[old_username].dn
    assert second.groups[group_dn(ten.object_id)].title == f"Ten renamed {tag}"
    assert deleted.user_name not in second.users
    assert group_dn(doomed.object_id) not in second.groups
    assert len([u for u in second.users if tag in u]) == POPULATION - 1

    # Phase 4: concurrent removes and adds on one group.
    leaving, joining = people[240:265], people[290:315]
    await tenant.gather(
        [tenant.remove_member(race, u, flag=i % 2 == 0) for i, u in enumerate(leaving)]
        + [tenant.add_members(race, [u]) for u in joining]
    )
    third = await _assert_records_see_the_tenant(records_stack, tenant, tag)

    assert sorted(_stored(records_stack, group_dn(race.object_id), "member")) == sorted(
        user_dn(u.object_id) for u in people[265:315]
    )
    assert third.users[people[240].user_name].groups == ()


async def test_renames_change_attributes_never_the_dn(
    records_client: Any, records_stack: Stack
) -> None:
    """A user or group rename keeps the DN, and members keep pointing at it."""
    tag = secrets.token_hex(3)
    tenant = Tenant(records_client)
    user = _people(tag, 1)[0]
    group = EntraGroup(f"Before {tag}")
    await tenant.create_user(user)
    await tenant.create_group(group)
    await tenant.add_members(group, [user])

    await tenant.rename_user(user, f"after.{tag}@example.org", f"After {tag}")
    await tenant.rename_group(group, f"After group {tag}")

    assert _stored(records_stack, user_dn(user.object_id), "uid") == [
        f"after.{tag}@example.org"
    ]
    assert _stored(records_stack, group_dn(group.object_id), "cn") == [
        f"After group {tag}"
    ]
    assert _stored(records_stack, group_dn(group.object_id), "member") == [
        user_dn(user.object_id)
    ]
    assert _stored(records_stack, user_dn(user.object_id), "groupMembership") == [
        group_dn(group.object_id)
    ]


async def test_deletes_leave_no_reference_behind_at_once(
    records_client: Any, records_stack: Stack
) -> None:
    """DELETE strips the entry's DN from the other side before it answers."""
    tag = secrets.token_hex(3)
    tenant = Tenant(records_client)
    alice, bob = _people(tag, 2)
    first, second = EntraGroup(f"First {tag}"), EntraGroup(f"Second {tag}")
    for user in (alice, bob):
        await tenant.create_user(user)
    for group in (first, second):
        await tenant.create_group(group)
        await tenant.add_members(group, [alice, bob])

    await tenant.delete_user(alice)
    after_user = link_problems(records_stack.admin())
    await tenant.delete_group(first)
    after_group = link_problems(records_stack.admin())

    assert (after_user, after_group) == ([], [])
    assert _stored(records_stack, group_dn(second.object_id), "member") == [
        user_dn(bob.object_id)
    ]
    assert _stored(records_stack, user_dn(bob.object_id), "groupMembership") == [
        group_dn(second.object_id)
    ]
