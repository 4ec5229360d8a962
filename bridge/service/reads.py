"""Reading resources: by id, and lists with filters and paging."""

from dataclasses import dataclass
from typing import Any

from scim2_models import NotFoundException

from ..directory.client import Entry
from ..directory.controls import SortKey
from ..mapping.convert import dn_key, reference_dns
from ..mapping.filters import referenced_ids, translate
from ..mapping.sorting import sort_key
from ..scim.query import ListQuery, Projection
from ..scim.schemas import ResourceKind
from .changes import values_of
from .context import Backend, object_filter, read_attributes, to_payload
from .refs import is_uuid

__all__ = [
    "ListResult",
    "find_entry",
    "list_resources",
    "load_resource",
    "payloads_for",
]


@dataclass
class ListResult:
    """One page of resources, and how many match in all."""

    payloads: list[dict[str, Any]]
    total: int
    start_index: int


async def find_entry(
    backend: Backend, kind: ResourceKind, ident: str, *, members: bool
) -> Entry:
    """The entry with this SCIM id, or 404."""
    # Ids are case-exact (RFC 7643 §3.1): an upper-cased id names nothing,
    # exactly as `id eq` finds nothing for it.
    if not is_uuid(ident) or ident != ident.lower():
        raise NotFoundException(detail=f"{kind.name} {ident!r} not found")
    rmap = kind.mapping
    entries = await backend.directory.search(
        rmap.base,
        f"(&{object_filter(rmap)}(entryUUID={ident.lower()}))",
        read_attributes(rmap, members=members),
        deref=_deref(kind, members),
    )
    if not entries:
        raise NotFoundException(detail=f"{kind.name} {ident!r} not found")
    return entries[0]


def _deref(kind: ResourceKind, members: bool) -> str | None:
    """The member attribute, to dereference when members are read."""
    if not members or kind.mapping.members is None:
        return None
    return kind.mapping.members.ldap


async def member_ids(backend: Backend, kind: ResourceKind, entry: Entry) -> list[str]:
    """A group's member ids; DNs naming no user are skipped.

    Read with the dereference control the ids came with the entry; without
    it they are resolved with searches in chunks of member DNs.
    """
    assert kind.mapping.members is not None
    if entry.dereferenced is not None:
        return backend.users.ids_in(entry.dereferenced, kind.mapping.members.ldap)
    dns = values_of(entry, kind.mapping.members.ldap)
    found = await backend.users.ids_for_dns(dns)
    return [found[dn_key(dn)] for dn in dns if dn_key(dn) in found]


async def payloads_for(
    backend: Backend,
    kind: ResourceKind,
    entries: list[Entry],
    base_url: str,
    *,
    members: bool,
) -> list[dict[str, Any]]:
    """Payloads for entries, resolving all their references in one go."""
    dns: set[str] = set()
    for entry in entries:
        dns |= reference_dns(kind.mapping, entry.attrs)
    dn_ids = await backend.users.ids_for_dns(dns) if dns else {}
    result = []
    for entry in entries:
        ids = await member_ids(backend, kind, entry) if members else None
        result.append(to_payload(kind, entry, dn_ids, base_url, ids))
    return result


def wants_members(kind: ResourceKind, projection: Projection) -> bool:
    """Whether member values must be read (never for excluded members).

    A projection naming whole schemas (``attributes=urn:...:Group``) is
    resolved by scim2-models when rendering: read the members for it.
    """
    if kind.mapping.members is None:
        return False
    return not projection.by_name or projection.wants("members")


async def load_resource(
    backend: Backend,
    kind: ResourceKind,
    ident: str,
    base_url: str,
    projection: Projection,
) -> tuple[dict[str, Any], Entry]:
    """One resource's payload and entry."""
    members = wants_members(kind, projection)
    entry = await find_entry(backend, kind, ident, members=members)
    payloads = await payloads_for(backend, kind, [entry], base_url, members=members)
    return payloads[0], entry


async def _ldap_filter(
    backend: Backend, kind: ResourceKind, query: ListQuery
) -> str | None:
    base_filter = object_filter(kind.mapping)
    if query.filter is None:
        return base_filter
    ids = referenced_ids(query.filter, kind.mapping)
    refs = await backend.users.dns_for_ids(ids) if ids else {}
    term = translate(query.filter, kind.mapping, kind.schemas, refs)
    if term is False:
        return None
    return base_filter if term is True else f"(&{base_filter}{term})"


def _sort(kind: ResourceKind, query: ListQuery) -> SortKey | None:
    if not query.sort_by:
        return None
    attribute, rule = sort_key(kind.mapping, query.sort_by, str(kind.schemas[0].id))
    return SortKey(attribute, rule, reverse=query.descending)


_SMALL = 1000
"""Results up to this size are read whole in one search; larger ones are
paged by id first, so a page of a big directory holds only its window."""


async def _matching(
    backend: Backend,
    kind: ResourceKind,
    ldap_filter: str,
    query: ListQuery,
    members: bool,
) -> tuple[list[Entry], int]:
    """The entries of the window, and how many match in all.

    Entra's existence checks match 0 or 1 entries: one search answers them.
    A large result (an unfiltered list of 100,000 users) is read as ids
    only, sorted, cut to the window, and only the window is read whole.
    """
    rmap = kind.mapping
    wants = query.projection.wants if query.projection.by_name else None
    attributes = read_attributes(rmap, members=members, wants=wants)
    sort = _sort(kind, query)
    entries = await backend.directory.search(
        rmap.base, ldap_filter, attributes, sort=sort, limit=_SMALL + 1,
        deref=_deref(kind, members),
    )  # fmt: skip
    if len(entries) > _SMALL:
        ids = await backend.directory.search(
            rmap.base, ldap_filter, ["entryUUID"], sort=sort
        )
        entries = ids
    if sort is None:
        # Without sortBy, order by id so that pages are stable.
        entries.sort(key=lambda e: e.first("entryUUID") or "")
    start = query.start_index - 1
    window = entries[start : start + query.count]
    if len(entries) > _SMALL and window:
        window = await _read_window(backend, kind, window, attributes, members)
    return window, len(entries)


async def _read_window(
    backend: Backend,
    kind: ResourceKind,
    window: list[Entry],
    attributes: list[str],
    members: bool,
) -> list[Entry]:
    order = [e.first("entryUUID") or "" for e in window]
    rmap = kind.mapping
    terms = "".join(f"(entryUUID={ident})" for ident in order)
    found = await backend.directory.search(
        rmap.base, f"(&{object_filter(rmap)}(|{terms}))", attributes,
        deref=_deref(kind, members),
    )  # fmt: skip
    by_id = {e.first("entryUUID"): e for e in found}
    # An entry deleted between the two searches simply drops out.
    return [by_id[ident] for ident in order if ident in by_id]


async def list_resources(
    backend: Backend, kind: ResourceKind, query: ListQuery, base_url: str
) -> ListResult:
    """A page of matching resources; slapd evaluates the whole filter."""
    ldap_filter = await _ldap_filter(backend, kind, query)
    if ldap_filter is None:
        return ListResult([], 0, query.start_index)
    members = wants_members(kind, query.projection)
    window, total = await _matching(backend, kind, ldap_filter, query, members)
    payloads = await payloads_for(backend, kind, window, base_url, members=members)
    return ListResult(payloads, total, query.start_index)
