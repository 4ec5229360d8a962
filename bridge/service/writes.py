"""Creating, replacing, patching and deleting resources.

Each write computes the LDAP change from the SCIM request first, and only
then touches the directory, so a request refused for its content changes
nothing. Attribute changes of one request are one LDAP modify (all or
nothing); a rename is a MODRDN after it, undone if the rename fails.
"""

from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidValueException,
    MutabilityException,
    PreconditionFailedException,
    SCIMException,
)

from ..directory.client import Change, Entry
from ..mapping.convert import (
    DERIVED,
    LdapValues,
    managed_attributes,
    reference_ids,
    to_ldap,
)
from ..mapping.dn import build_dn, escape_rdn_value
from ..mapping.filters import escape_filter_value
from ..scim.dialects import normalize_patch, normalize_resource
from ..scim.members import MemberChanges, split_member_operations
from ..scim.policy import POLICY, validation_error
from ..scim.schemas import ResourceKind
from .context import Backend, object_filter, to_payload
from .membership import apply_member_values, resolve_members, set_back_links
from .reads import find_entry, payloads_for

__all__ = ["create_resource", "delete_resource", "patch_resource", "replace_resource"]


def _validate(kind: ResourceKind, body: Any, ctx: Context) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidValueException(detail="The body must be a JSON object")
    try:
        resource = kind.model.model_validate(
            normalize_resource(body), scim_ctx=ctx, scim_policy=POLICY
        )
    except ValidationError as exc:
        raise validation_error(exc) from exc
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


async def _ldap_values(backend: Backend, kind: ResourceKind, payload: dict[str, Any]) -> LdapValues:
    ids = reference_ids(kind.mapping, payload)
    refs = await resolve_members(backend.users, ids) if ids else {}
    return to_ldap(kind.mapping, payload, refs)


def _rdn_value(kind: ResourceKind, values: LdapValues) -> str:
    rdn = kind.mapping.rdn_map
    found = values.get(rdn.ldap)
    if not found or rdn.ldap in values.get(DERIVED, []):
        raise InvalidValueException(
            detail=f"{rdn.scim} is required: it names the directory entry"
        )
    return found[0]


async def _check_unique(
    backend: Backend, kind: ResourceKind, values: LdapValues, own_dn: str | None
) -> None:
    """Refuse values another entry already holds (the overlay closes races).

    The RDN attribute counts as unique too: a clash on it would fail the
    MODRDN of a rename only after the request's modify had been applied.
    """
    rmap = kind.mapping
    for item in rmap.attributes:
        named = item.ldap.lower() == rmap.rdn.lower()
        if not (item.unique or named) or item.ldap not in values:
            continue
        value = escape_filter_value(values[item.ldap][0])
        found = await backend.directory.search(
            rmap.base, f"(&{object_filter(rmap)}({item.ldap}={value}))", ["1.1"]
        )
        if any(e.dn.lower() != (own_dn or "").lower() for e in found):
            raise _uniqueness(item.scim)


def _uniqueness(name: str) -> SCIMException:
    from scim2_models import UniquenessException

    return UniquenessException(detail=f"Another resource already has this {name}")


async def create_resource(
    backend: Backend, kind: ResourceKind, body: Any, base_url: str
) -> dict[str, Any]:
    """POST: add the entry, then its members; answer with what was stored."""
    payload = _validate(kind, body, Context.RESOURCE_CREATION_REQUEST)
    members = [m["value"] for m in payload.pop("members", None) or []]
    values = await _ldap_values(backend, kind, payload)
    rmap = kind.mapping
    dn = build_dn(rmap.rdn, _rdn_value(kind, values), rmap.base)
    member_dns = await resolve_members(backend.users, members) if members else {}
    await _check_unique(backend, kind, values, None)
    attrs = dict(values)
    attrs["objectClass"] = list(rmap.object_classes)
    if member_dns and rmap.members is not None:
        attrs[rmap.members.ldap] = list(member_dns.values())
    operational = await backend.directory.add(dn, attrs)
    # Back links must carry the DN exactly as slapd spells it (it prints
    # attribute types by their schema name), the string readers compare.
    dn = (operational.get("entryDN") or [dn])[0]
    if member_dns and rmap.members is not None:
        await set_back_links(
            backend.directory, rmap.members, dn, add=list(member_dns.values()), remove=[]
        )
    entry = Entry(dn, {**values, **operational})
    dn_ids = {_key(dn): i for i, dn in (await _refs_back(backend, kind, values)).items()}
    return to_payload(kind, entry, dn_ids, base_url, members if rmap.members else None)


async def _refs_back(backend: Backend, kind: ResourceKind, values: LdapValues) -> dict[str, str]:
    """id → DN of the references just written, to echo them as ids."""
    from ..mapping.model import Kind

    found: dict[str, str] = {}
    dns = [values[i.ldap][0] for i in kind.mapping.attributes if i.kind is Kind.reference and i.ldap in values]
    for key, ident in (await backend.users.ids_for_dns(dns)).items() if dns else []:
        found[ident] = key
    return found


def _key(dn: str) -> str:
    from ..mapping.convert import dn_key

    return dn_key(dn)


def _diff(kind: ResourceKind, old: Entry, new: LdapValues) -> list[Change]:
    """The replace/delete changes turning old values into new ones."""
    rdn = kind.mapping.rdn.lower()
    changes = []
    for name in managed_attributes(kind.mapping):
        if name.lower() == rdn:
            continue
        before = _values(old, name)
        after = new.get(name, [])
        if after and after != before:
            changes.append(Change("replace", name, tuple(after)))
        elif not after and before:
            changes.append(Change("delete", name))
    return changes


def _values(entry: Entry, name: str) -> list[str]:
    for key, values in entry.attrs.items():
        if key.lower() == name.lower():
            return values
    return []


def _check_immutable(kind: ResourceKind, old: Entry, new: LdapValues) -> None:
    for item in kind.mapping.attributes:
        if item.immutable and _values(old, item.ldap) and new.get(item.ldap) != _values(old, item.ldap):
            raise MutabilityException(detail=f"{item.scim} cannot change once set")


async def _write(
    backend: Backend,
    kind: ResourceKind,
    entry: Entry,
    new: LdapValues,
    if_match: str | None,
) -> str:
    """Apply attribute changes and a rename; returns the (new) DN."""
    _check_immutable(kind, entry, new)
    await _check_unique(backend, kind, new, entry.dn)
    rmap = kind.mapping
    changes = _diff(kind, entry, new)
    new_rdn = _rdn_value(kind, new)
    renamed = new_rdn != (_values(entry, rmap.rdn) or [""])[0]
    assertion = _assertion(if_match)
    _check_version(entry, if_match)
    if changes:
        await backend.directory.modify(entry.dn, changes, assertion=assertion)
    if not renamed:
        return entry.dn
    return await _rename(backend, kind, entry, new_rdn, changes)


def _check_version(entry: Entry, if_match: str | None) -> None:
    """412 when If-Match names another version (RFC 7644 §3.14)."""
    assertion = _assertion(if_match)
    if assertion is None:
        return
    current = entry.first("entryCSN") or ""
    if f"(entryCSN={escape_filter_value(current)})" != assertion:
        raise PreconditionFailedException(
            detail="The resource changed since that version (If-Match)"
        )


def _assertion(if_match: str | None) -> str | None:
    if not if_match or if_match.strip() == "*":
        return None
    csn = if_match.strip().removeprefix("W/").strip('"')
    return f"(entryCSN={escape_filter_value(csn)})"


async def _rename(
    backend: Backend, kind: ResourceKind, entry: Entry, new_rdn: str, changes: list[Change]
) -> str:
    rmap = kind.mapping
    new_dn = build_dn(rmap.rdn, new_rdn, _parent(entry.dn))
    try:
        await backend.directory.rename(entry.dn, f"{rmap.rdn.lower()}={escape_rdn_value(new_rdn)}")
    except SCIMException:
        if changes:
            await backend.directory.modify(entry.dn, _undo(entry, changes))
        raise
    moved = await backend.directory.read(new_dn, ["entryDN"])
    new_dn = moved.dn if moved is not None else new_dn
    await _move_references(backend, kind, entry.dn, new_dn)
    return new_dn


def _parent(dn: str) -> str:
    from ..mapping.dn import split_dn

    parts = split_dn(dn)[1:]
    return ",".join(f"{n.lower()}={escape_rdn_value(v)}" for n, v in parts)


def _undo(entry: Entry, changes: list[Change]) -> list[Change]:
    undo = []
    for change in changes:
        before = _values(entry, change.attribute)
        undo.append(Change("replace", change.attribute, tuple(before)) if before else Change("delete", change.attribute))
    return undo


async def _move_references(backend: Backend, kind: ResourceKind, old_dn: str, new_dn: str) -> None:
    """Point groups (or users' back-links) at a renamed entry's new DN."""
    groups = backend.kinds["Group"].mapping
    members = groups.members
    assert members is not None
    if kind.name == "User":
        holders = await backend.directory.search(
            groups.base, f"({members.ldap}={escape_filter_value(old_dn)})", ["1.1"]
        )
        for holder in holders:
            await apply_member_values(backend.directory, holder.dn, members.ldap, add=[new_dn], remove=[old_dn])
        await _move_manager(backend, old_dn, new_dn)
    elif members.back_link:
        holders = await backend.directory.search(
            backend.mapping.users.base, f"({members.back_link}={escape_filter_value(old_dn)})", ["1.1"]
        )
        for holder in holders:
            await apply_member_values(backend.directory, holder.dn, members.back_link, add=[new_dn], remove=[old_dn])


async def _move_manager(backend: Backend, old_dn: str, new_dn: str | None) -> None:
    from ..mapping.model import Kind

    users = backend.mapping.users
    for item in users.attributes:
        if item.kind is not Kind.reference:
            continue
        holders = await backend.directory.search(
            users.base, f"({item.ldap}={escape_filter_value(old_dn)})", ["1.1"]
        )
        for holder in holders:
            change = Change("replace", item.ldap, (new_dn,)) if new_dn else Change("delete", item.ldap)
            await backend.directory.modify(holder.dn, [change])


async def replace_resource(
    backend: Backend, kind: ResourceKind, ident: str, body: Any, base_url: str, if_match: str | None
) -> dict[str, Any]:
    """PUT: the stored resource becomes exactly the body."""
    if isinstance(body, dict) and body.get("id") not in (None, ident):
        raise MutabilityException(detail="id cannot change; it is assigned by the bridge")
    payload = _validate(kind, body, Context.RESOURCE_REPLACEMENT_REQUEST)
    members_given = "members" in payload
    wanted = [m["value"] for m in payload.pop("members", None) or []]
    entry = await find_entry(backend, kind, ident, members=members_given)
    new = await _ldap_values(backend, kind, payload)
    member_dns = await resolve_members(backend.users, wanted) if wanted else {}
    dn = await _write(backend, kind, entry, new, if_match)
    if kind.mapping.members is not None:
        await _replace_members(backend, kind, dn, entry if members_given else await find_entry(backend, kind, ident, members=True), list(member_dns.values()))
    return await _reread(backend, kind, ident, base_url)


async def _replace_members(backend: Backend, kind: ResourceKind, dn: str, entry: Entry, wanted: list[str]) -> None:
    members = kind.mapping.members
    assert members is not None
    current = _values(entry, members.ldap)
    have = {_key(d): d for d in current}
    want = {_key(d): d for d in wanted}
    add = [d for k, d in want.items() if k not in have]
    remove = [d for k, d in have.items() if k not in want]
    await apply_member_values(backend.directory, dn, members.ldap, add=add, remove=remove)
    await set_back_links(backend.directory, members, dn, add=add, remove=remove)


async def _reread(backend: Backend, kind: ResourceKind, ident: str, base_url: str, *, members: bool = True) -> dict[str, Any]:
    want = members and kind.mapping.members is not None
    entry = await find_entry(backend, kind, ident, members=want)
    return (await payloads_for(backend, kind, [entry], base_url, members=want))[0]


def _patched(kind: ResourceKind, entry_payload: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply non-member operations to the loaded resource (scim2-models)."""
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations}
    try:
        resource = kind.model.model_validate(entry_payload, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        patch = kind.patch_model.model_validate(
            body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
        )
        patch.patch(resource, scim_policy=POLICY)
    except ValidationError as exc:
        raise validation_error(exc) from exc
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


async def patch_resource(
    backend: Backend,
    kind: ResourceKind,
    ident: str,
    body: Any,
    base_url: str,
    if_match: str | None,
    *,
    want_body: bool,
    max_members: int,
) -> dict[str, Any] | None:
    """PATCH: attribute changes as one modify, member changes as value edits."""
    operations = normalize_patch(body)["Operations"]
    changes, rest = (
        split_member_operations(operations) if kind.mapping.members else (MemberChanges(), operations)
    )
    if changes.count() > max_members:
        raise InvalidValueException(detail=f"At most {max_members} members per request")
    entry = await find_entry(backend, kind, ident, members=bool(changes.replace is not None or changes.remove_all))
    member_dns = await resolve_members(backend.users, changes.add + (changes.replace or [])) if changes.add or changes.replace else {}
    dn = entry.dn
    if rest:
        payload = (await payloads_for(backend, kind, [entry], base_url, members=False))[0]
        new_payload = _patched(kind, payload, rest)
        new = await _ldap_values(backend, kind, new_payload)
        dn = await _write(backend, kind, entry, new, if_match)
    else:
        _check_version(entry, if_match)
    if changes:
        await _apply_member_changes(backend, kind, dn, entry, changes, member_dns)
    if not want_body:
        return None
    return await _reread(backend, kind, ident, base_url)


async def _apply_member_changes(
    backend: Backend, kind: ResourceKind, dn: str, entry: Entry, changes: MemberChanges, member_dns: dict[str, str]
) -> None:
    members = kind.mapping.members
    assert members is not None
    if changes.replace is not None or changes.remove_all:
        wanted = [member_dns[i] for i in (changes.replace or [])]
        await _replace_members(backend, kind, dn, entry, wanted)
        if changes.replace is not None:
            return
    removed = await backend.users.dns_for_ids(changes.remove)
    add = [member_dns[i] for i in dict.fromkeys(changes.add)]
    remove = [removed[i] for i in dict.fromkeys(changes.remove) if i in removed]
    await apply_member_values(backend.directory, dn, members.ldap, add=add, remove=remove)
    await set_back_links(backend.directory, members, dn, add=add, remove=remove)


async def delete_resource(backend: Backend, kind: ResourceKind, ident: str, if_match: str | None) -> None:
    """DELETE: strip every reference to the entry first, then delete it."""
    entry = await find_entry(backend, kind, ident, members=False)
    _check_version(entry, if_match)
    groups = backend.kinds["Group"].mapping
    members = groups.members
    assert members is not None
    if kind.name == "User":
        holders = await backend.directory.search(
            groups.base, f"({members.ldap}={escape_filter_value(entry.dn)})", ["1.1"]
        )
        for holder in holders:
            await apply_member_values(backend.directory, holder.dn, members.ldap, add=[], remove=[entry.dn])
        await _move_manager(backend, entry.dn, None)
    elif members.back_link:
        holders = await backend.directory.search(
            backend.mapping.users.base, f"({members.back_link}={escape_filter_value(entry.dn)})", ["1.1"]
        )
        for holder in holders:
            await apply_member_values(backend.directory, holder.dn, members.back_link, add=[], remove=[entry.dn])
    await backend.directory.delete(entry.dn)
