"""Creating, replacing, patching and deleting resources.

Each write computes the LDAP change from the SCIM request first, and only
then touches the directory, so a request refused for its content changes
nothing. Attribute changes of one request are one LDAP modify (all or
nothing). A rename is a MODRDN before that modify, renamed back if the
modify fails; a refused rename therefore changes nothing at all.
"""

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidValueException,
    MutabilityException,
    NotFoundException,
    SCIMException,
    UniquenessException,
)

from ..directory.client import Change, Entry
from ..errors import DirectoryUnavailable
from ..mapping.convert import LdapValues, dn_key, reference_dns, reference_ids, to_ldap
from ..mapping.dn import build_dn, escape_rdn_value, split_dn
from ..mapping.filters import escape_filter_value
from ..scim.dialects import normalize_patch, normalize_resource
from ..scim.members import MemberChanges, split_member_operations
from ..scim.policy import POLICY, readable, validation_error
from ..scim.schemas import ResourceKind
from .changes import (
    assertion_for,
    check_immutable,
    check_version,
    diff,
    rdn_value,
    values_of,
)
from .context import Backend, object_filter, to_payload
from .membership import apply_member_values, resolve_members, set_back_links
from .reads import find_entry, payloads_for
from .references import drop_vanished_members, repoint_references

__all__ = ["create_resource", "delete_resource", "patch_resource", "replace_resource"]

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
T = TypeVar("T")
P = ParamSpec("P")


def _validate(kind: ResourceKind, body: Any, ctx: Context) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidValueException(detail="The body must be a JSON object")
    try:
        resource = kind.model.model_validate(
            normalize_resource(body), scim_ctx=ctx, scim_policy=POLICY
        )
    except ValidationError as exc:
        raise validation_error(exc) from exc
    # The validated request as a dict. scim2-models' own dump (context
    # rules, returned rules) gives the same dict here at three times the
    # cost: validation already applied the request's rules
    # (tests/scim/test_returned.py).
    return resource.model_dump(by_alias=True, exclude_none=True, mode="json")


async def _ldap_values(
    backend: Backend, kind: ResourceKind, payload: dict[str, Any]
) -> LdapValues:
    ids = reference_ids(kind.mapping, payload)
    refs = await resolve_members(backend.users, ids) if ids else {}
    return to_ldap(kind.mapping, payload, refs)


def _unique_attributes(kind: ResourceKind) -> set[str]:
    """What must be unique: flagged attributes and the naming attribute."""
    rmap = kind.mapping
    names = {item.ldap.lower() for item in rmap.attributes if item.unique}
    return names | {rmap.rdn.lower()}


async def _check_unique(
    backend: Backend, kind: ResourceKind, values: LdapValues, own_dn: str | None
) -> None:
    """Refuse values another entry already holds (the overlay closes races).

    The naming attribute counts too: a clash on it would otherwise fail the
    MODRDN of a rename after other work had started.
    """
    rmap = kind.mapping
    unique = _unique_attributes(kind)
    for item in rmap.attributes:
        if item.ldap.lower() not in unique or item.ldap not in values:
            continue
        value = escape_filter_value(values[item.ldap][0])
        found = await backend.directory.search(
            rmap.base, f"(&{object_filter(rmap)}({item.ldap}={value}))", ["1.1"]
        )
        if any(dn_key(e.dn) != dn_key(own_dn or "") for e in found):
            raise UniquenessException(
                detail=f"Another resource already has this {item.scim}"
            )


async def _echo_ids(
    backend: Backend, kind: ResourceKind, values: LdapValues
) -> dict[str, str]:
    """``dn_key`` → id for the references just written, to echo them."""
    dns = reference_dns(kind.mapping, values)
    return await backend.users.ids_for_dns(dns) if dns else {}


async def create_resource(
    backend: Backend, kind: ResourceKind, body: Any, base_url: str
) -> dict[str, Any]:
    """POST: add the entry with its members; answer with what was stored."""
    payload = _validate(kind, body, Context.RESOURCE_CREATION_REQUEST)
    members = [m["value"] for m in payload.pop("members", None) or []]
    values = await _ldap_values(backend, kind, payload)
    rmap = kind.mapping
    dn = build_dn(rmap.rdn, rdn_value(rmap, values), rmap.base)
    member_dns = await resolve_members(backend.users, members) if members else {}

    attrs = dict(values)
    attrs["objectClass"] = list(rmap.object_classes)
    if member_dns and rmap.members is not None:
        attrs[rmap.members.ldap] = list(member_dns.values())
    try:
        # No search first: slapd refuses a taken name (68) and a value the
        # unique overlay guards (19) in the add itself, atomically.
        operational = await backend.directory.add(dn, attrs)
    except UniquenessException:
        await _check_unique(backend, kind, values, None)  # names the attribute
        raise
    # Back links must carry the DN exactly as slapd spells it (it prints
    # attribute types by their schema name): readers compare strings.
    dn = (operational.get("entryDN") or [dn])[0]
    stored = list(member_dns)  # ids once each, in the request's order
    if member_dns and rmap.members is not None:
        # A user deleted since its id was resolved must not stay a member
        # (a dangling member aborts the records system's sync run).
        gone = set(
            await _added_members(
                backend, kind, dn, member_dns, list(member_dns.values())
            )
        )
        stored = [ident for ident, member in member_dns.items() if member not in gone]

    entry = Entry(dn, {**values, **operational})
    echoed = await _echo_ids(backend, kind, values)
    return to_payload(kind, entry, echoed, base_url, stored if rmap.members else None)


def _parent(dn: str) -> str:
    return ",".join(f"{n.lower()}={escape_rdn_value(v)}" for n, v in split_dn(dn)[1:])


async def _rename(
    backend: Backend, kind: ResourceKind, entry: Entry, new_rdn: str
) -> str:
    """MODRDN the entry; returns its new DN as slapd spells it."""
    rmap = kind.mapping
    new_dn = build_dn(rmap.rdn, new_rdn, _parent(entry.dn))
    await backend.directory.rename(entry.dn, f"{rmap.rdn}={escape_rdn_value(new_rdn)}")
    moved = await backend.directory.read(new_dn, ["entryDN"])
    return moved.dn if moved is not None else new_dn


def _assertion(
    kind: ResourceKind, changes: list[Change], if_match: str | None, renamed: bool
) -> str | None:
    """The assertion to send with the modify, when slapd can honour it.

    slapo-unique checks a modify with an internal search that inherits the
    request's controls, so an entryCSN assertion fails it (result 122) when
    a unique attribute changes; and a MODRDN just moved the entryCSN. Those
    writes rely on the version check made on the entry read for the request.
    """
    unique = _unique_attributes(kind)
    if renamed or any(change.attribute.lower() in unique for change in changes):
        return None
    return assertion_for(if_match)


async def _write(
    backend: Backend,
    kind: ResourceKind,
    entry: Entry,
    new: LdapValues,
    if_match: str | None,
) -> tuple[str, bool]:
    """Apply a rename and the attribute changes; returns the (new) DN, and
    whether anything was written (the If-Match version is then spent: later
    writes of the request cannot assert it)."""
    rmap = kind.mapping
    check_version(entry, if_match)
    check_immutable(rmap, entry, new)
    await _check_unique(backend, kind, new, entry.dn)
    changes = diff(rmap, entry, new)
    new_rdn = rdn_value(rmap, new)
    renamed = new_rdn != (values_of(entry, rmap.rdn) or [""])[0]

    dn = await _rename(backend, kind, entry, new_rdn) if renamed else entry.dn
    if changes:
        try:
            assertion = _assertion(kind, changes, if_match, renamed)
            await backend.directory.modify(dn, changes, assertion=assertion)
        except SCIMException:
            if renamed:
                old_rdn = split_dn(entry.dn)[0][1]
                await backend.directory.rename(
                    dn, f"{rmap.rdn}={escape_rdn_value(old_rdn)}"
                )
            raise
    if renamed:
        await repoint_references(backend, kind, entry.dn, dn)
    return dn, bool(changes) or renamed


async def _replace_once(
    backend: Backend,
    kind: ResourceKind,
    ident: str,
    body: Any,
    base_url: str,
    if_match: str | None,
) -> dict[str, Any]:
    if isinstance(body, dict) and body.get("id") not in (None, ident):
        raise MutabilityException(
            detail="id cannot change; it is assigned by the bridge"
        )
    payload = _validate(kind, body, Context.RESOURCE_REPLACEMENT_REQUEST)
    wanted = [m["value"] for m in payload.pop("members", None) or []]
    has_members = kind.mapping.members is not None
    entry = await find_entry(backend, kind, ident, members=has_members)
    new = await _ldap_values(backend, kind, payload)
    member_dns = await resolve_members(backend.users, wanted) if wanted else {}

    dn, wrote = await _write(backend, kind, entry, new, if_match)
    if has_members:
        assertion = None if wrote else assertion_for(if_match)
        await _replace_members(backend, kind, dn, entry, member_dns, assertion)
    return await _reread(backend, kind, ident, base_url)


async def _replace_members(
    backend: Backend,
    kind: ResourceKind,
    dn: str,
    entry: Entry,
    wanted: dict[str, str],
    assertion: str | None = None,
) -> None:
    """Make the member list exactly ``wanted`` (id → DN) with value adds
    and deletes."""
    members = kind.mapping.members
    assert members is not None
    have = {dn_key(d): d for d in values_of(entry, members.ldap)}
    want = {dn_key(d): d for d in wanted.values()}
    add = [d for k, d in want.items() if k not in have]
    remove = [d for k, d in have.items() if k not in want]
    await _change_members(backend, kind, dn, wanted, add, remove, assertion)


async def _change_members(
    backend: Backend,
    kind: ResourceKind,
    dn: str,
    resolved: dict[str, str],
    add: list[str],
    remove: list[str],
    assertion: str | None = None,
) -> None:
    members = kind.mapping.members
    assert members is not None
    await apply_member_values(
        backend.directory, dn, members.ldap, add=add, remove=remove,
        assertion=assertion,
    )  # fmt: skip
    await _added_members(backend, kind, dn, resolved, add, remove)


async def _added_members(
    backend: Backend,
    kind: ResourceKind,
    dn: str,
    resolved: dict[str, str],
    add: list[str],
    remove: list[str] | None = None,
) -> list[str]:
    """After member values were written: back links, or the check that no
    added user moved or vanished meanwhile (``resolved``: the id → DN the
    request looked up). Returns the added DNs taken back."""
    members = kind.mapping.members
    assert members is not None
    if members.back_link:
        return await set_back_links(
            backend.directory, members, dn, add=add, remove=remove or []
        )
    if not add:
        return []
    ids = {member: ident for ident, member in resolved.items()}
    return await drop_vanished_members(backend, dn, add, ids)


async def _reread(
    backend: Backend, kind: ResourceKind, ident: str, base_url: str
) -> dict[str, Any]:
    want = kind.mapping.members is not None
    entry = await find_entry(backend, kind, ident, members=want)
    return (await payloads_for(backend, kind, [entry], base_url, members=want))[0]


def _patched(
    kind: ResourceKind, loaded: dict[str, Any], operations: list[dict[str, Any]]
) -> dict[str, Any]:
    """Apply non-member operations to the loaded resource (scim2-models)."""
    body = {"schemas": [PATCH_SCHEMA], "Operations": operations}
    try:
        resource = kind.model.model_validate(
            loaded, scim_ctx=Context.RESOURCE_QUERY_RESPONSE
        )
        patch = kind.patch_model.model_validate(
            body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
        )
        patch.patch(resource, scim_policy=POLICY)
    except ValidationError as exc:
        raise validation_error(exc) from exc
    except SCIMException as exc:
        raise readable(exc) from exc.__cause__
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _split(
    kind: ResourceKind, body: Any, max_members: int
) -> tuple[MemberChanges, list[dict[str, Any]]]:
    operations = normalize_patch(body)["Operations"]
    if kind.mapping.members is None:
        return MemberChanges(), operations
    changes, rest = split_member_operations(operations)
    if changes.count() > max_members:
        raise InvalidValueException(detail=f"At most {max_members} members per request")
    return changes, rest


async def _patch_once(
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
    changes, rest = _split(kind, body, max_members)
    whole_list = changes.replace is not None or changes.remove_all
    entry = await find_entry(backend, kind, ident, members=whole_list)
    named = changes.add + (changes.replace or [])
    member_dns = await resolve_members(backend.users, named) if named else {}

    dn = entry.dn
    assertion = None
    if rest:
        loaded = (await payloads_for(backend, kind, [entry], base_url, members=False))[
            0
        ]
        new = await _ldap_values(backend, kind, _patched(kind, loaded, rest))
        dn, wrote = await _write(backend, kind, entry, new, if_match)
        assertion = None if wrote else assertion_for(if_match)
    else:
        check_version(entry, if_match)
        assertion = assertion_for(if_match)
    if changes:
        await _apply_member_changes(
            backend, kind, dn, entry, changes, member_dns, assertion
        )
    return await _reread(backend, kind, ident, base_url) if want_body else None


async def _apply_member_changes(
    backend: Backend,
    kind: ResourceKind,
    dn: str,
    entry: Entry,
    changes: MemberChanges,
    member_dns: dict[str, str],
    assertion: str | None,
) -> None:
    """The member part of a PATCH; ``assertion`` (If-Match) goes with its
    first write when no attribute modify carried it."""
    if changes.replace is not None:
        wanted = {i: member_dns[i] for i in [*changes.replace, *changes.add]}
        await _replace_members(backend, kind, dn, entry, wanted, assertion)
        return
    if changes.remove_all:
        await _replace_members(backend, kind, dn, entry, {}, assertion)
        assertion = None
    removed = await backend.users.dns_for_ids(changes.remove) if changes.remove else {}
    add = [member_dns[i] for i in dict.fromkeys(changes.add)]
    remove = [removed[i] for i in dict.fromkeys(changes.remove) if i in removed]
    if add or remove:
        await _change_members(backend, kind, dn, member_dns, add, remove, assertion)


async def _delete_once(
    backend: Backend, kind: ResourceKind, ident: str, if_match: str | None
) -> None:
    """One DELETE attempt.

    The second sweep catches a member PATCH that resolved this entry's id
    before the delete and wrote its DN while the first sweep ran.
    """
    entry = await find_entry(backend, kind, ident, members=False)
    check_version(entry, if_match)
    await repoint_references(backend, kind, entry.dn, None)
    await backend.directory.delete(entry.dn)
    await repoint_references(backend, kind, entry.dn, None)


_ATTEMPTS = 10
"""Tries of a write whose entry is renamed under it by racing requests."""


async def _moved(backend: Backend, kind: ResourceKind, ident: str) -> bool:
    """Whether the entry still exists: a 404 then means its DN changed."""
    try:
        await find_entry(backend, kind, ident, members=False)
    except NotFoundException:
        return False
    return True


async def _retrying(
    backend: Backend, kind: ResourceKind, ident: str, write: Callable[[], Awaitable[T]]
) -> T:
    """Run a write; if its entry was renamed meanwhile (the write met "no
    such object" at the old DN), read it again by id and repeat."""
    for attempt in range(_ATTEMPTS):
        try:
            return await write()
        except NotFoundException:
            if not await _moved(backend, kind, ident):
                raise
        # Racers that retry in step would collide again: spread them out.
        await asyncio.sleep(random.uniform(0, 0.005 * (attempt + 1)))
    raise DirectoryUnavailable(
        detail="The resource is being renamed concurrently; retry the request"
    )


def _follows_renames(
    write: Callable[Concatenate[Backend, ResourceKind, str, P], Awaitable[T]],
) -> Callable[Concatenate[Backend, ResourceKind, str, P], Awaitable[T]]:
    """Make a write on one id survive racing renames of its entry."""

    @functools.wraps(write)
    async def wrapper(
        backend: Backend,
        kind: ResourceKind,
        ident: str,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        return await _retrying(
            backend, kind, ident, lambda: write(backend, kind, ident, *args, **kwargs)
        )

    return wrapper


replace_resource = _follows_renames(_replace_once)
"""PUT: the stored resource becomes exactly the body."""

patch_resource = _follows_renames(_patch_once)
"""PATCH: attribute changes as one modify, member changes as value edits."""

delete_resource = _follows_renames(_delete_once)
"""DELETE: strip every reference to the entry, delete it, sweep again."""
