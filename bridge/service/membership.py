"""Group membership writes: value adds and deletes, both sides kept in step.

A member change is a single-value LDAP modify (RFC 4511 §4.6), atomic on
the server, so concurrent PATCHes on one group cannot lose each other's
work. Adds carry Permissive Modify, so adding a present member succeeds;
slapd still answers 16 for deleting an absent value, so a failed delete
batch is retried value by value, and absent values count as done.

With a ``back_link`` (``groupMembership``) the user side is written in the
same request, after the group side. The group side decides: two requests
racing on one member (an add and a remove) can interleave between their
two writes, so each request, after writing a user's back link, reads the
group side again and follows it until it holds still. The last request to
write then leaves both sides equal, whichever order slapd chose
(``tests/records/test_membership_races.py``). A member whose user entry
vanished meanwhile is taken off the group again, so no ``member`` names a
missing entry (``records-reader.md`` §8, hazard 2).
"""

import logging
from collections.abc import Iterable

from scim2_models import InvalidValueException, NotFoundException

from ..directory.client import Change, Directory
from ..errors import DirectoryUnavailable
from ..mapping.filters import escape_filter_value
from ..mapping.model import MembersMap
from .refs import References

__all__ = ["apply_member_values", "resolve_members", "set_back_links"]

log = logging.getLogger("bridge.membership")

_FOLLOW_ROUNDS = 8
"""Re-reads of the group side before giving up with a 503 (Entra retries)."""


async def resolve_members(users: References, ids: Iterable[str]) -> dict[str, str]:
    """id → DN for every id, or 400 naming the unknown ones (nothing written)."""
    wanted = list(dict.fromkeys(ids))
    found = await users.dns_for_ids(wanted)
    missing = [i for i in wanted if i not in found]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise InvalidValueException(
            detail=f"No user has id {shown} (members and managers must be"
            " provisioned users); nothing was changed"
        )
    return found


async def apply_member_values(
    directory: Directory,
    group_dn: str,
    attribute: str,
    *,
    add: list[str],
    remove: list[str],
    assertion: str | None = None,
) -> None:
    """Add and delete member DNs on a group, idempotently.

    ``assertion`` (an If-Match version) rides on the first modify: it checks
    the version and moves it in one step, so of several requests naming
    the same version only one gets through.
    """
    if add:
        await directory.modify_result(
            group_dn,
            [Change("add", attribute, tuple(add))],
            permissive=True,
            assertion=assertion,
        )
        assertion = None
    if remove:
        await _delete_values(directory, group_dn, attribute, remove, assertion)


async def _delete_values(
    directory: Directory,
    dn: str,
    attribute: str,
    values: list[str],
    assertion: str | None = None,
) -> None:
    code = await directory.modify_result(
        dn,
        [Change("delete", attribute, tuple(values))],
        permissive=False,
        assertion=assertion,
    )
    if code == 16 and len(values) > 1:
        # Some value was absent: the batch changed nothing, so delete one by
        # one and let absent values count as already removed.
        for value in values:
            await directory.modify_result(
                dn, [Change("delete", attribute, (value,))], permissive=False
            )


async def set_back_links(
    directory: Directory,
    members: MembersMap,
    group_dn: str,
    *,
    add: list[str],
    remove: list[str],
) -> list[str]:
    """Write the group DN on (or off) each user's back-link attribute.

    Call after the group-side change; each user's back link then ends up
    matching the group side as it is once this returns. Returns the DNs of
    ``add`` whose user was gone, and which were taken off the group again.
    """
    if members.back_link is None:
        return []
    vanished = []
    for user_dn in add:
        if not await _follow_group(directory, members, group_dn, user_dn, member=True):
            vanished.append(user_dn)
    for user_dn in remove:
        await _follow_group(directory, members, group_dn, user_dn, member=False)
    return vanished


async def _follow_group(
    directory: Directory,
    members: MembersMap,
    group_dn: str,
    user_dn: str,
    *,
    member: bool,
) -> bool:
    """Make one user's back link agree with the group side, and keep it so;
    False when the user is gone (and is then taken off the group)."""
    for _ in range(_FOLLOW_ROUNDS):
        written = await _write_back_link(
            directory, members, group_dn, user_dn, member=member
        )
        if not written:
            await _drop_vanished_member(directory, members, group_dn, user_dn)
            return False
        # Another request may have changed the group side since ours; if so
        # follow it, so that whoever writes last leaves both sides equal.
        now = await _is_member(directory, members, group_dn, user_dn)
        if now == member:
            return True
        member = now
    log.warning(
        "membership kept changing under a request",
        extra={"dn": group_dn, "member": user_dn},
    )
    raise DirectoryUnavailable(
        detail="Membership is changing concurrently; retry later"
    )


async def _write_back_link(
    directory: Directory,
    members: MembersMap,
    group_dn: str,
    user_dn: str,
    *,
    member: bool,
) -> bool:
    """Add or delete the group DN on the user; False if the user is gone."""
    assert members.back_link is not None
    op = "add" if member else "delete"
    try:
        # Permissive on add; on delete an absent value answers 16, which
        # modify_result returns as done.
        await directory.modify_result(
            user_dn, [Change(op, members.back_link, (group_dn,))], permissive=member
        )
    except NotFoundException:
        return False
    return True


async def _is_member(
    directory: Directory, members: MembersMap, group_dn: str, user_dn: str
) -> bool:
    """Whether the group (still) lists the user; False if the group is gone."""
    found = await directory.search(
        group_dn,
        f"({members.ldap}={escape_filter_value(user_dn)})",
        ["1.1"],
        scope="BASE",  # ldap3's name for a base-object search
    )
    return bool(found)


async def _drop_vanished_member(
    directory: Directory, members: MembersMap, group_dn: str, user_dn: str
) -> None:
    """Take a deleted user's DN off the group: a dangling member would
    abort the records system's whole sync run."""
    try:
        await _delete_values(directory, group_dn, members.ldap, [user_dn])
    except NotFoundException:
        pass  # the group went too: nothing is left to point anywhere
