"""The directory operations the bridge needs, as awaitable calls.

Values travel as ``{attribute: [str]}``; ldap3's raw bytes are decoded as
UTF-8 here so no caller meets ldap3's formatting. Each write is logged once
on the ``bridge.audit`` logger with its operation, DN and attribute names,
never values.

Reads, and member value edits (idempotent by construction), are repeated
once on a fresh connection if the link breaks under them; other writes are
not, since they may have landed before the break.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ldap3 import BASE, SUBTREE, Connection

from ..config import DirectorySettings
from . import controls as ctl
from . import wire
from .deref import DEREF_OID, Dereferenced, deref_control, parse_deref
from .errors import check_result, translated
from .pool import ConnectionPool

__all__ = ["Change", "Directory", "Entry", "SearchPage", "first_value"]

audit = logging.getLogger("bridge.audit")
log = logging.getLogger("bridge.directory")
UNAVAILABLE_CRITICAL_EXTENSION = 12

OPERATIONAL = ["entryUUID", "entryCSN", "createTimestamp", "modifyTimestamp", "entryDN"]


@dataclass
class Entry:
    """One directory entry: its DN and decoded attribute values."""

    dn: str
    attrs: dict[str, list[str]] = field(default_factory=dict)
    dereferenced: list[Dereferenced] | None = None
    """With a dereferencing search: each value of the attribute and the
    ``entryUUID`` of the entry it names; None when slapd sent none."""

    def first(self, name: str) -> str | None:
        """The first value of an attribute, names compared case-insensitively."""
        return first_value(self.attrs, name)

    def values(self, name: str) -> list[str]:
        """An attribute's values, names compared case-insensitively."""
        lowered = name.lower()
        for key, values in self.attrs.items():
            if key.lower() == lowered:
                return values
        return []


def first_value(attrs: dict[str, list[str]], name: str) -> str | None:
    """The first value of ``name`` in decoded attributes, case-insensitively."""
    lowered = name.lower()
    for key, values in attrs.items():
        if key.lower() == lowered and values:
            return values[0]
    return None


@dataclass(frozen=True)
class Change:
    """One modification: ``add``, ``delete`` or ``replace`` of values."""

    op: str
    attribute: str
    values: tuple[str, ...] = ()


@dataclass
class SearchPage:
    """A window of a sorted search, and the size of the whole result."""

    entries: list[Entry]
    total: int


def _decode(raw: dict[str, list[bytes]]) -> dict[str, list[str]]:
    return {
        name: [v.decode("utf-8", errors="replace") for v in values]
        for name, values in raw.items()
        if values
    }


def _entries(conn: Connection) -> list[Entry]:
    return [
        Entry(item["dn"], _decode(item["raw_attributes"]), _dereferenced(item))
        for item in conn.response or []
        if item.get("type") == "searchResEntry"
    ]


def _dereferenced(item: dict[str, Any]) -> list[Dereferenced] | None:
    control = (item.get("controls") or {}).get(DEREF_OID)
    if control is None:
        return None
    value = control.get("value")
    if not value:
        return []  # no value of the attribute named an entry
    try:
        return parse_deref(value)
    except ValueError:
        log.warning("Ignored a malformed dereference control from the directory")
        return None


def _audit(operation: str, dn: str, attributes: Iterable[str]) -> None:
    audit.info(
        "%s %s",
        operation,
        dn,
        extra={"operation": operation, "dn": dn, "attributes": sorted(set(attributes))},
    )


class Directory:
    """Awaitable LDAP operations over a bounded connection pool."""

    def __init__(self, settings: DirectorySettings, password: str) -> None:
        self.settings = settings
        self._pool = ConnectionPool(settings, password)
        self._deref = True
        """Whether to try the dereference control (cleared on the first
        refusal: the server has no slapo-deref)."""

    def close(self) -> None:
        """Release every connection."""
        self._pool.close()

    @property
    def last_failure(self) -> str | None:
        """Why the directory could not be reached last time (for operators)."""
        return self._pool.last_failure

    async def ping(self) -> None:
        """Read the root DSE: raises DirectoryUnavailable when it cannot."""

        def work(conn: Connection) -> None:
            with translated("search"):
                conn.search("", "(objectClass=*)", BASE, attributes=["1.1"])
            check_result(conn.result, operation="search")

        await self._pool.run(work, retry=True)

    async def search(
        self,
        base: str,
        filter_text: str,
        attributes: Sequence[str],
        *,
        scope: str = SUBTREE,
        page_size: int = 500,
        limit: int | None = None,
        sort: ctl.SortKey | None = None,
        deref: str | None = None,
    ) -> list[Entry]:
        """Every matching entry, read in RFC 2696 pages on one connection
        (sorted by slapd's sssvlv overlay when ``sort`` is given).

        ``deref`` names a DN-valued attribute whose values come back with
        the ``entryUUID`` of the entries they name (``Entry.dereferenced``),
        where the directory offers the dereference control; elsewhere
        ``dereferenced`` stays None and the caller resolves the DNs itself.
        """
        plain = [ctl.server_side_sort([sort])] if sort else []

        def work(conn: Connection) -> list[Entry]:
            found: list[Entry] = []
            cookie: bytes | None = None
            asked = deref is not None and self._deref
            while True:
                controls = plain + (
                    [deref_control(deref, ("entryUUID",))] if asked and deref else []
                )
                controls.append(wire.paged(page_size, cookie))
                with translated("search"):
                    wire.search(
                        conn,
                        base,
                        filter_text,
                        scope,
                        list(attributes) or ["1.1"],
                        controls,
                    )
                code = conn.result.get("result")
                if code == 32:
                    return found
                if asked and code == UNAVAILABLE_CRITICAL_EXTENSION and not found:
                    self._no_deref()
                    asked = False
                    continue
                check_result(conn.result, operation="search", dn=base)
                found.extend(_entries(conn))
                cookie = _cookie(conn.result)
                if not cookie or (limit is not None and len(found) >= limit):
                    return found

        return await self._pool.run(work, retry=True)

    def _no_deref(self) -> None:
        if self._deref:
            log.info(
                "The directory refuses the dereference control (no slapo-deref):"
                " group members are resolved with searches in chunks"
            )
        self._deref = False

    async def read(self, dn: str, attributes: Sequence[str]) -> Entry | None:
        """One entry by DN, or None when it does not exist."""

        def work(conn: Connection) -> Entry | None:
            with translated("search"):
                wire.search(conn, dn, "(objectClass=*)", BASE, list(attributes))
            if conn.result.get("result") == 32:
                return None
            check_result(conn.result, operation="search", dn=dn)
            found = _entries(conn)
            return found[0] if found else None

        return await self._pool.run(work, retry=True)

    async def sorted_page(
        self,
        base: str,
        filter_text: str,
        attributes: Sequence[str],
        sort: ctl.SortKey,
        offset: int,
        count: int,
    ) -> SearchPage:
        """One window of a server-side sorted search (RFC 2891 + VLV)."""

        def work(conn: Connection) -> SearchPage:
            controls = [
                ctl.server_side_sort([sort]),
                ctl.vlv_request(offset=offset, before=0, after=max(count - 1, 0)),
            ]
            with translated("search"):
                wire.search(
                    conn,
                    base,
                    filter_text,
                    SUBTREE,
                    list(attributes) or ["1.1"],
                    controls,
                )
            check_result(conn.result, operation="search", dn=base)
            raw = ctl.response_value(conn.result, ctl.VLV_RESPONSE_OID)
            vlv = ctl.decode_vlv_result(raw) if raw else None
            entries = _entries(conn)[: max(count, 0)]
            return SearchPage(entries, vlv.content_count if vlv else len(entries))

        return await self._pool.run(work, retry=True)

    async def add(
        self, dn: str, attributes: dict[str, list[str]]
    ) -> dict[str, list[str]]:
        """Create an entry; returns its operational attributes (post-read)."""

        def work(conn: Connection) -> dict[str, list[str]]:
            with translated("add"):
                wire.add(conn, dn, attributes, [ctl.post_read(OPERATIONAL)])
            check_result(conn.result, operation="add", dn=dn)
            return ctl.read_entry_from(conn.result, ctl.POST_READ_OID) or {}

        result = await self._pool.run(work)
        _audit("add", dn, attributes)
        return result

    async def modify(
        self,
        dn: str,
        changes: Sequence[Change],
        *,
        assertion: str | None = None,
        permissive: bool = False,
    ) -> dict[str, list[str]]:
        """Apply changes as one LDAP modify; returns operational attributes."""
        request = _changes(changes)
        controls: list[ctl.Control] = [ctl.post_read(OPERATIONAL)]
        if assertion is not None:
            controls.append(ctl.assertion(assertion))
        if permissive:
            controls.append(ctl.permissive_modify())

        def work(conn: Connection) -> dict[str, list[str]]:
            with translated("modify"):
                wire.modify(conn, dn, request, controls)
            check_result(conn.result, operation="modify", dn=dn)
            return ctl.read_entry_from(conn.result, ctl.POST_READ_OID) or {}

        result = await self._pool.run(work)
        _audit("modify", dn, [c.attribute for c in changes])
        return result

    async def modify_result(
        self,
        dn: str,
        changes: Sequence[Change],
        *,
        permissive: bool,
        assertion: str | None = None,
    ) -> int:
        """Apply changes and return the LDAP result code instead of raising
        for 16 and 20 (members: absent or present values are "done").

        With an ``assertion`` (If-Match) the change is not repeated after a
        broken link: it may have landed and moved the version already.
        """
        request = _changes(changes)
        controls = [ctl.permissive_modify()] if permissive else []
        if assertion is not None:
            controls.append(ctl.assertion(assertion))

        def work(conn: Connection) -> int:
            with translated("modify"):
                wire.modify(conn, dn, request, controls)
            code = int(conn.result.get("result", 0))
            if code not in (16, 20):
                check_result(conn.result, operation="modify", dn=dn)
            return code

        code = await self._pool.run(work, retry=assertion is None)
        if code == 0:
            _audit("modify", dn, [c.attribute for c in changes])
        return code

    async def rename(self, dn: str, new_rdn: str) -> None:
        """Rename an entry in place (MODRDN, old RDN value removed)."""

        def work(conn: Connection) -> None:
            with translated("modrdn"):
                conn.modify_dn(dn, new_rdn, delete_old_dn=True)
            check_result(conn.result, operation="modrdn", dn=dn)

        await self._pool.run(work)
        _audit("modrdn", dn, [new_rdn.split("=", 1)[0]])

    async def delete(self, dn: str) -> None:
        """Delete one entry."""

        def work(conn: Connection) -> None:
            with translated("delete"):
                conn.delete(dn)
            check_result(conn.result, operation="delete", dn=dn)

        await self._pool.run(work)
        _audit("delete", dn, [])


def _changes(changes: Sequence[Change]) -> list[wire.Modification]:
    return [(change.op, change.attribute, change.values) for change in changes]


def _cookie(result: dict[str, Any]) -> bytes | None:
    paged = (result.get("controls") or {}).get("1.2.840.113556.1.4.319")
    if not paged:
        return None
    cookie = paged.get("value", {}).get("cookie")
    return cookie or None
