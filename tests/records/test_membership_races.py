"""Racing PATCHes and DELETEs never leave the two membership sides apart.

The bridge writes ``member`` on the group and ``groupMembership`` on the
user in two LDAP operations, so requests that race can interleave between
them. Whatever order slapd applies them in, once every request has
answered the two sides must hold the same pairs, and neither may name an
entry that is gone (``records-reader.md`` §8, hazard 2, and §10.4).
"""

from __future__ import annotations

import secrets
from typing import Any

import ldap3

from tests.records.support import link_problems, run_sync
from tests.records.tenant import EntraGroup, EntraUser, Tenant, group_dn, user_dn
from tests.support import Stack

ROUNDS = 4
RACERS = 30


def _people(tag: str, count: int) -> list[EntraUser]:
    return [
        EntraUser(
            f"r{i:03d}.{tag}@example.org",
            f"Racer {i} {tag}",
            "Racer",
            f"N{i}",
            f"r{i:03d}.{tag}@example.org",
        )
        for i in range(count)
    ]


async def _arena(
    client: Any, *, groups: int
) -> tuple[Tenant, list[EntraUser], list[EntraGroup], str]:
    """RACERS users and some empty groups, created as Entra creates them."""
    tag = secrets.token_hex(3)
    tenant = Tenant(client, concurrency=64)
    people = _people(tag, RACERS)
    made = [EntraGroup(f"Arena {i} {tag}") for i in range(groups)]
    await tenant.gather(tenant.create_user(u) for u in people)
    await tenant.gather(tenant.create_group(g) for g in made)
    return tenant, people, made, tag


def _members(stack: Stack, group: EntraGroup) -> set[str]:
    conn = stack.admin()
    conn.search(
        "ou=groups,dc=example,dc=org",
        f"(scimExternalId={group.object_id})",
        ldap3.SUBTREE,
        attributes=["member"],
    )
    raw = conn.response[0]["raw_attributes"] if conn.response else {}
    return {v.decode("utf-8") for v in raw.get("member", [])}


async def test_add_and_remove_of_the_same_member_at_once_keep_both_sides_equal(
    records_client: Any, records_stack: Stack
) -> None:
    """Add and remove racing on each member: both sides end up identical."""
    tenant, people, (group,), tag = await _arena(records_client, groups=1)
    await tenant.add_members(group, people[::2])
    problems = []

    for round_ in range(ROUNDS):
        await tenant.gather(
            [tenant.add_members(group, [u]) for u in people]
            + [tenant.remove_member(group, u, flag=round_ % 2 == 0) for u in people]
        )
        problems += link_problems(records_stack.admin())
    # The winner of each race is slapd's to decide; adopt it, then the
    # records system must see exactly that, on both sides.
    group.members = {
        u.object_id
        for u in people
        if user_dn(u.object_id) in _members(records_stack, group)
    }
    result = await run_sync(records_stack)

    assert problems == []
    assert {
        k: v for k, v in result.users.items() if tag in k
    } == tenant.expected_users()


async def _delete_users_while_adding(client: Any) -> set[str]:
    """Each user deleted while a PATCH adds it to a group; the group's DN."""
    tenant, people, (group,), _ = await _arena(client, groups=1)
    await tenant.gather(
        [_add_racing(tenant, group, u) for u in people]
        + [tenant.delete_user(u) for u in people]
    )
    return {group_dn(group.object_id)}


async def _delete_groups_while_adding(client: Any) -> set[str]:
    """Each group deleted while a PATCH adds a user; the users' DNs."""
    tenant, people, groups, _ = await _arena(client, groups=RACERS)
    await tenant.gather(
        [_add_racing(tenant, g, u) for g, u in zip(groups, people, strict=True)]
        + [tenant.delete_group(g) for g in groups]
    )
    return {user_dn(u.object_id) for u in people}


async def test_adding_a_member_while_it_is_deleted_leaves_no_dangling_member(
    records_client: Any, records_stack: Stack
) -> None:
    """A member PATCH racing the user's DELETE never leaves a dangling member."""
    await _delete_users_while_adding(records_client)

    assert link_problems(records_stack.admin()) == []


async def test_adding_members_while_the_group_is_deleted_leaves_no_ghost_group(
    records_client: Any, records_stack: Stack
) -> None:
    """Member PATCHes racing the group's DELETE leave no groupMembership behind."""
    await _delete_groups_while_adding(records_client)

    assert link_problems(records_stack.admin()) == []


async def _add_racing(tenant: Tenant, group: EntraGroup, user: EntraUser) -> None:
    """An add that may lose the race: 204, or 404 if its target went first."""
    try:
        await tenant.add_members(group, [user])
    except AssertionError as exc:
        # 404 (group gone) or 400 (no such user) is a lost race, not a bug.
        if ": 404 " not in str(exc) and ": 400 " not in str(exc):
            raise
