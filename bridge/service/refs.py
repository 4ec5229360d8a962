"""SCIM ids to DNs and back, in a bounded number of searches.

SCIM member and manager values are ``entryUUID``s while LDAP holds DNs
(``openldap.md`` §4). Each direction is one search per chunk of values,
never one per value; a group's member ids come with the group's own search
where slapd dereferences them (``bridge/directory/deref.py``).
"""

from collections.abc import Iterable

from ..directory.client import Directory, first_value
from ..directory.deref import Dereferenced
from ..mapping.convert import dn_key
from ..mapping.filters import escape_filter_value

__all__ = ["References", "dn_key", "is_uuid"]

_CHUNK = 200


def is_uuid(text: str) -> bool:
    """Whether a string has the shape of the ids this bridge hands out."""
    lowered = text.lower()
    return (
        len(lowered) == 36
        and all(c in "0123456789abcdef-" for c in lowered)
        and (lowered.count("-") == 4)
    )


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class References:
    """Resolves references among the entries under one base."""

    def __init__(self, directory: Directory, base: str, object_filter: str) -> None:
        self._directory = directory
        self._base = base
        self._object_filter = object_filter
        self._suffix = "," + base.lower()
        self._base_key = dn_key(base)

    def _under_base(self, dn: str) -> bool:
        # Most DNs are spelled as slapd prints them; parse only the others.
        if dn.lower().endswith(self._suffix):
            return True
        return dn_key(dn).endswith("," + self._base_key)

    def ids_in(self, dereferenced: list[Dereferenced], attribute: str) -> list[str]:
        """The ids a dereferenced attribute names under this base, in value
        order: what :meth:`ids_for_dns` finds for the same DNs."""
        ids = []
        for item in dereferenced:
            if item.attribute.lower() != attribute.lower():
                continue
            uuid = first_value(item.attrs, "entryUUID")
            if uuid and self._under_base(item.dn):
                ids.append(uuid)
        return ids

    async def _uuids(self, filters: Iterable[str]) -> list[tuple[str, str]]:
        """(DN, entryUUID) of the entries each filter chunk selects."""
        found = []
        for filter_text in filters:
            entries = await self._directory.search(
                self._base, filter_text, ["entryUUID"]
            )
            found.extend((e.dn, e.first("entryUUID") or "") for e in entries)
        return [(dn, uuid) for dn, uuid in found if uuid]

    async def dns_for_ids(self, ids: Iterable[str]) -> dict[str, str]:
        """id → DN for the ids that exist; unknown ids are left out.

        Ids are case-exact (RFC 7643 §3.1): only the lower-case form the
        bridge hands out names an entry.
        """
        wanted = sorted({i for i in ids if is_uuid(i) and i == i.lower()})
        filters = (
            f"(&{self._object_filter}(|{''.join(f'(entryUUID={i})' for i in chunk)}))"
            for chunk in _chunks(wanted)
        )
        return {uuid: dn for dn, uuid in await self._uuids(filters)}

    async def missing(self, dns: Iterable[str]) -> list[str]:
        """The DNs that name no entry (no attribute is read)."""
        wanted = sorted({dn for dn in dns if dn})
        gone: list[str] = []
        for chunk in _chunks(wanted):
            terms = "".join(f"(entryDN={escape_filter_value(dn)})" for dn in chunk)
            entries = await self._directory.search(self._base, f"(|{terms})", ["1.1"])
            if len(entries) == len(chunk):
                # A term selects one entry at most: none is missing, and
                # parsing every DN to compare them is the costly part.
                continue
            found = {dn_key(entry.dn) for entry in entries}
            gone.extend(dn for dn in chunk if dn_key(dn) not in found)
        return gone

    async def ids_for_dns(self, dns: Iterable[str]) -> dict[str, str]:
        """``dn_key(DN)`` → id, for the DNs that exist."""
        wanted = sorted({dn for dn in dns if dn})
        filters = (
            "(|" + "".join(f"(entryDN={escape_filter_value(dn)})" for dn in chunk) + ")"
            for chunk in _chunks(wanted)
        )
        return {dn_key(dn): uuid for dn, uuid in await self._uuids(filters)}
