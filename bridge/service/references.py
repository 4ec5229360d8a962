"""Keeping every DN reference to an entry true when it is renamed or deleted.

Groups name their members by DN, users name their manager by DN, and in
the records profile users name their groups by DN. ``refint`` would repair
these too, but asynchronously, after the request has answered
(``openldap.md`` §7); a reader syncing in between would meet a dangling
member and abort its whole run. So the bridge rewrites them itself, in the
same request.
"""

from collections.abc import Mapping

from scim2_models import NotFoundException

from ..directory.client import Change
from ..errors import DirectoryUnavailable
from ..mapping.convert import dn_key
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
    # A case-only rename: to slapd the new DN is the old value respelled.
    respelled = new_dn if new_dn and dn_key(new_dn) == dn_key(old_dn) else None
    for holder in await _holders(backend, base, attribute, old_dn):
        try:
            if respelled is not None:
                await _respell(backend, holder, attribute, old_dn, respelled)
            else:
                await apply_member_values(
                    backend.directory,
                    holder,
                    attribute,
                    add=[new_dn] if new_dn else [],
                    remove=[old_dn],
                )
        except NotFoundException:
            pass  # the holder went meanwhile: nothing left to repair there


async def _respell(
    backend: Backend, holder: str, attribute: str, old_dn: str, new_dn: str
) -> None:
    """A rename that changed only the case of a name: to slapd the two DNs
    are one value, so adding the new one would do nothing and deleting the
    old one would then drop the membership. One modify deletes, then adds."""
    await backend.directory.modify_result(
        holder,
        [Change("delete", attribute, (old_dn,)), Change("add", attribute, (new_dn,))],
        permissive=True,
    )  # 16: the value went meanwhile, so there is nothing to respell


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


_FOLLOW_ROUNDS = 3
"""Renames of one member chased in one request before giving up."""


async def drop_vanished_members(
    backend: Backend,
    group_dn: str,
    added: list[str],
    ids: Mapping[str, str],
) -> list[str]:
    """Correct member values whose user moved or went while they were added.

    A request resolves member ids to DNs, then writes the DNs. A DELETE in
    between leaves a value naming no entry; a rename (a userName change)
    leaves the old DN, which the rename's own repointing could not see yet.
    One search over the values just added finds both; each missing DN's id
    (``ids``: DN → id) is looked up again, so a renamed user is written
    under its new DN and only a deleted one is taken back. Without a back
    link nothing else would notice (the back-link path checks each user as
    it writes it). Returns the values taken back for users that are gone.
    """
    members = backend.mapping.groups.members
    assert members is not None
    taken_back: list[str] = []
    current = added
    for _ in range(_FOLLOW_ROUNDS):
        gone = await backend.users.missing(current)
        if not gone:
            return taken_back
        moved = await backend.users.dns_for_ids([ids[dn] for dn in gone if dn in ids])
        await apply_member_values(
            backend.directory, group_dn, members.ldap,
            add=list(moved.values()), remove=gone,
        )  # fmt: skip
        taken_back += [dn for dn in gone if ids.get(dn) not in moved]
        ids = {dn: ident for ident, dn in moved.items()}
        current = list(moved.values())
        if not current:
            return taken_back
    raise DirectoryUnavailable(
        detail="A member's entry kept moving during the request; retry later"
    )
