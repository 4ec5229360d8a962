"""Keeping every DN reference to an entry true when it is renamed or deleted.

Groups name their members by DN, users name their manager by DN, and in
the records profile users name their groups by DN. ``refint`` would repair
these too, but asynchronously, after the request has answered
(``openldap.md`` §7); a reader syncing in between would meet a dangling
member and abort its whole run. So the bridge rewrites them itself, in the
same request.
"""

from scim2_models import NotFoundException

from ..directory.client import Change
from ..mapping.filters import escape_filter_value
from ..mapping.model import Kind
from ..scim.schemas import ResourceKind
from .context import Backend
from .membership import apply_member_values

__all__ = ["drop_vanished_members", "repoint_references"]


async def _holders(backend: Backend, base: str, attribute: str, dn: str) -> list[str]:
    found = await backend.directory.search(
        base, f"({attribute}={escape_filter_value(dn)})", ["1.1"]
    )
    return [entry.dn for entry in found]


async def _repoint(
    backend: Backend, base: str, attribute: str, old_dn: str, new_dn: str | None
) -> None:
    for holder in await _holders(backend, base, attribute, old_dn):
        try:
            await apply_member_values(
                backend.directory,
                holder,
                attribute,
                add=[new_dn] if new_dn else [],
                remove=[old_dn],
            )
        except NotFoundException:
            pass  # the holder went meanwhile: nothing left to repair there


async def _repoint_manager(backend: Backend, old_dn: str, new_dn: str | None) -> None:
    users = backend.mapping.users
    for item in users.attributes:
        if item.kind is not Kind.reference:
            continue
        for holder in await _holders(backend, users.base, item.ldap, old_dn):
            change = (
                Change("replace", item.ldap, (new_dn,))
                if new_dn
                else Change("delete", item.ldap)
            )
            try:
                await backend.directory.modify(holder, [change])
            except NotFoundException:
                pass


async def repoint_references(
    backend: Backend, kind: ResourceKind, old_dn: str, new_dn: str | None
) -> None:
    """Point references at ``new_dn``, or remove them when it is None."""
    groups = backend.mapping.groups
    members = groups.members
    assert members is not None
    if kind.name == "User":
        await _repoint(backend, groups.base, members.ldap, old_dn, new_dn)
        await _repoint_manager(backend, old_dn, new_dn)
    elif members.back_link:
        await _repoint(
            backend, backend.mapping.users.base, members.back_link, old_dn, new_dn
        )


async def drop_vanished_members(
    backend: Backend, group_dn: str, added: list[str]
) -> list[str]:
    """Take back member values whose user was deleted while they were added.

    A DELETE racing a member PATCH can remove the user after the PATCH
    resolved its id, so the value lands on a missing entry. One search over
    the values just added finds them; without a back link nothing else
    would (the back-link path checks each user as it writes it). Returns
    the values taken back.
    """
    members = backend.mapping.groups.members
    assert members is not None
    gone = await backend.users.missing(added)
    if gone:
        await apply_member_values(
            backend.directory, group_dn, members.ldap, add=[], remove=gone
        )
    return gone
