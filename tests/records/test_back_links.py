"""The user-side back link follows the group side, even when entries vanish.

These call :func:`set_back_links` directly, right after a group-side write,
to set up exactly the interleavings a race would produce.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import ldap3
import pytest

from bridge.directory.client import Directory
from bridge.mapping.model import MembersMap
from bridge.service.membership import apply_member_values, set_back_links
from tests.records.support import GROUPS, PEOPLE
from tests.support import Stack

USER_CLASSES = ["top", "person", "organizationalPerson", "inetOrgPerson", "scimUser"]


@pytest.fixture
async def directory(records_stack: Stack) -> AsyncIterator[Directory]:
    """The bridge's own directory client, bound as the writer."""
    found = records_stack.directory(records_stack.settings())
    yield found
    found.close()


@pytest.fixture
def members(records_stack: Stack) -> MembersMap:
    """The records profile's member map: member plus groupMembership."""
    found = records_stack.mapping.groups.members
    assert found is not None
    return found


def _entries(stack: Stack) -> tuple[str, str]:
    """A fresh user and an empty group, written by root."""
    tag = secrets.token_hex(4)
    user, group = f"scimExternalId=u{tag},{PEOPLE}", f"scimExternalId=g{tag},{GROUPS}"
    conn = stack.admin()
    conn.add(user, USER_CLASSES, {"uid": f"u{tag}", "cn": "U", "sn": "U"})
    conn.add(group, ["top", "group", "scimGroup"], {"cn": f"g{tag}"})
    return user, group


def _values(stack: Stack, dn: str, attribute: str) -> list[str]:
    conn = stack.admin()
    conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=[attribute])
    raw = (conn.response or [{"raw_attributes": {}}])[0]["raw_attributes"]
    return [v.decode("utf-8") for v in raw.get(attribute, [])]


async def test_an_add_undone_on_the_group_side_is_not_written_on_the_user(
    records_stack: Stack, directory: Directory, members: MembersMap
) -> None:
    """An add whose member was removed meanwhile leaves no back link."""
    user, group = _entries(records_stack)

    # The group side no longer lists the user: another request removed it.
    await set_back_links(directory, members, group, add=[user], remove=[])

    assert _values(records_stack, user, "groupMembership") == []


async def test_a_remove_undone_on_the_group_side_keeps_the_back_link(
    records_stack: Stack, directory: Directory, members: MembersMap
) -> None:
    """A remove whose member was added back meanwhile keeps the back link."""
    user, group = _entries(records_stack)
    await apply_member_values(directory, group, "member", add=[user], remove=[])

    await set_back_links(directory, members, group, add=[], remove=[user])

    assert _values(records_stack, user, "groupMembership") == [group]


async def test_a_member_whose_user_vanished_is_taken_off_the_group(
    records_stack: Stack, directory: Directory, members: MembersMap
) -> None:
    """The user was deleted after the group-side add: no dangling member."""
    user, group = _entries(records_stack)
    await apply_member_values(directory, group, "member", add=[user], remove=[])
    records_stack.admin().delete(user)
    refint_done = _values(records_stack, group, "member")
    await apply_member_values(directory, group, "member", add=[user], remove=[])

    await set_back_links(directory, members, group, add=[user], remove=[])

    assert refint_done == []
    assert _values(records_stack, group, "member") == []


async def test_a_back_link_to_a_vanished_group_is_taken_off_the_user(
    records_stack: Stack, directory: Directory, members: MembersMap
) -> None:
    """The group was deleted after the group-side add: no ghost group."""
    user, group = _entries(records_stack)
    records_stack.admin().delete(group)

    await set_back_links(directory, members, group, add=[user], remove=[])

    assert _values(records_stack, user, "groupMembership") == []
