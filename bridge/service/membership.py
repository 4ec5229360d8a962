"""Group membership writes: value adds and deletes, both sides kept in step.

A member change is a single-value LDAP modify (RFC 4511 §4.6), atomic on
the server, so concurrent PATCHes on one group cannot lose each other's
work. Adds carry Permissive Modify, so adding a present member succeeds;
slapd still answers 16 for deleting an absent value, so a failed delete
batch is retried value by value, and absent values count as done.

With a ``back_link`` (``groupMembership``) the user side is written in the
same request: after the group side on add, before it... on remove the order
does not matter to the records system (``records-reader.md`` §10.4).
"""

from collections.abc import Iterable

from scim2_models import InvalidValueException

from ..directory.client import Change, Directory
from ..mapping.model import MembersMap
from .refs import References

__all__ = ["apply_member_values", "resolve_members", "set_back_links"]


async def resolve_members(users: References, ids: Iterable[str]) -> dict[str, str]:
    """id → DN for every id, or 400 naming the unknown ones (nothing written)."""
    wanted = list(dict.fromkeys(ids))
    found = await users.dns_for_ids(wanted)
    missing = [i for i in wanted if i not in found]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise InvalidValueException(
            detail=f"No user has id {shown}; no member was changed"
        )
    return found


async def apply_member_values(
    directory: Directory,
    group_dn: str,
    attribute: str,
    *,
    add: list[str],
    remove: list[str],
) -> None:
    """Add and delete member DNs on a group, idempotently."""
    if add:
        await directory.modify_result(
            group_dn, [Change("add", attribute, tuple(add))], permissive=True
        )
    if remove:
        await _delete_values(directory, group_dn, attribute, remove)


async def _delete_values(
    directory: Directory, dn: str, attribute: str, values: list[str]
) -> None:
    code = await directory.modify_result(
        dn, [Change("delete", attribute, tuple(values))], permissive=False
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
) -> None:
    """Write the group DN on (or off) each user's back-link attribute."""
    if members.back_link is None:
        return
    for user_dn in add:
        await directory.modify_result(
            user_dn, [Change("add", members.back_link, (group_dn,))], permissive=True
        )
    for user_dn in remove:
        await directory.modify_result(
            user_dn, [Change("delete", members.back_link, (group_dn,))], permissive=False
        )
