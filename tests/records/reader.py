"""How the records system (Constellio) reads the directory, emulated.

This is the reading side of ``records-reader.md`` (sections 2 to 8) in
eDirectory mode, kept small enough to check line by line against the note:

* one connection, bound anonymously first and then as the sync account;
* RFC 2696 paged subtree searches of 100: groups with the hard-coded
  ``(objectclass=group)`` asking ``distinguishedName``, ``cn``, ``member``
  and ``memberof``; users with ``(&(objectclass=person))`` asking ``cn``;
* each user then read at base scope for the eDirectory attribute list;
* assignments only from ``groupMembership``, disabled from
  ``loginDisabled``, the group code is the DN and its title the first cn;
* every ``member`` of an accepted group read as a user ("derivation"),
  with no check that it is one; a member that does not exist aborts the
  whole run, as it does in Constellio.

Two deliberate departures make the emulation stricter than the original,
so that tests catch what Constellio would silently get wrong:

* a paged search that does not finish cleanly raises
  :class:`TruncatedRead`, where Constellio logs "PagedSearch failed" and
  then removes every user it did not see (section 8, hazard 1);
* a user reached under two different DN strings (the entry DN and a
  ``member`` value) raises :class:`SyncAborted`, where Constellio would
  store whichever came last and lose renames and logins.

ldap3 here stands in for JNDI; it is the test's own client, not the
bridge's, and it is blocking: call :func:`read_directory` from a thread.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import ldap3

__all__ = [
    "GROUP_ATTRIBUTES",
    "USER_ATTRIBUTES",
    "ImportedGroup",
    "ImportedUser",
    "RecordsImport",
    "SyncAborted",
    "SyncSettings",
    "TruncatedRead",
    "read_directory",
]

PAGE_SIZE = 100
"""Constellio's page size for both paged loops."""

GROUP_FILTER = "(objectclass=group)"
USER_FILTER = "(&(objectclass=person))"
GROUP_ATTRIBUTES = ("distinguishedName", "cn", "member", "memberof")
USER_ATTRIBUTES = (
    "uid",
    "groupMembership",
    "mail",
    "givenName",
    "sn",
    "loginTime",
    "l",
    "loginDisabled",
    "msExchDelegateListBL",
)

ACTIVE = "ACTIVE"
DISABLED = "DISABLED"

_NO_SUCH_OBJECT = 32
# Close to what Constellio accepts; an address it rejects is stored empty.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SyncAborted(Exception):
    """The run stops with nothing imported (Constellio: uncaught error)."""


class TruncatedRead(Exception):
    """A paged search ended early; Constellio would take it as complete."""


@dataclass(frozen=True)
class SyncSettings:
    """The part of ``ldapConfigs.properties`` that decides what is read."""

    url: str
    sync_dn: str
    sync_password: str = field(repr=False)
    user_bases: tuple[str, ...]
    group_bases: tuple[str, ...]
    derivation: bool = True
    """``membershipAutomaticDerivationActivated``: members read as users."""

    size_limit: int = 0
    """A client-side size limit, only to prove truncation is caught."""


@dataclass(frozen=True)
class ImportedUser:
    """A user as Constellio would store it."""

    username: str
    first_name: str
    last_name: str
    email: str
    status: str
    dn: str
    groups: tuple[str, ...]
    """Group codes (DNs) from ``groupMembership``, sorted."""


@dataclass(frozen=True)
class ImportedGroup:
    """A group as Constellio would store it."""

    code: str
    title: str | None
    parent: str | None = None


@dataclass
class RecordsImport:
    """What one sync run imports: users by username, groups by code."""

    users: dict[str, ImportedUser] = field(default_factory=dict)
    groups: dict[str, ImportedGroup] = field(default_factory=dict)
    pages: int = 0
    """Paged-search round trips, to show paging really happened."""


def read_directory(settings: SyncSettings) -> RecordsImport:
    """Run one import the way Constellio's eDirectory sync does (§7)."""
    conn = _connect(settings)
    try:
        result = RecordsImport()
        members = _import_groups(conn, settings, result)
        _import_base_users(conn, settings, result)
        _import_pointed_groups(result)
        if settings.derivation:
            _import_member_users(conn, members, result)
        return result
    finally:
        conn.unbind()


# --- connection (§2) ---------------------------------------------------


def _connect(settings: SyncSettings) -> ldap3.Connection:
    """Anonymous bind first, then the sync account, on one connection."""
    server = ldap3.Server(settings.url, get_info=ldap3.NONE)
    conn = ldap3.Connection(server, raise_exceptions=False)
    conn.open()
    if not conn.bind():
        raise SyncAborted(f"anonymous bind refused: {conn.result}")
    if not conn.rebind(user=settings.sync_dn, password=settings.sync_password):
        raise SyncAborted(f"sync account bind refused: {conn.result}")
    return conn


# --- searches (§3) -----------------------------------------------------


def _paged(
    conn: ldap3.Connection,
    settings: SyncSettings,
    base: str,
    search_filter: str,
    attributes: tuple[str, ...],
    result: RecordsImport,
) -> list[tuple[str, dict[str, list[str]]]]:
    """Every entry of a paged subtree search, or TruncatedRead."""
    found: list[tuple[str, dict[str, list[str]]]] = []
    cookie: bytes | None = None
    while True:
        conn.search(
            base,
            search_filter,
            ldap3.SUBTREE,
            attributes=list(attributes),
            paged_size=PAGE_SIZE,
            paged_cookie=cookie,
            size_limit=settings.size_limit,
        )
        result.pages += 1
        if conn.result["result"] != 0:
            raise TruncatedRead(
                f"paged search under {base} failed after {len(found)} entries:"
                f" {conn.result['description']}"
            )
        found.extend(_decoded(conn))
        cookie = _cookie(conn.result)
        if not cookie:
            return found


def _read(conn: ldap3.Connection, dn: str) -> dict[str, list[str]] | None:
    """One entry's eDirectory user attributes, or None if it is missing."""
    conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=list(USER_ATTRIBUTES))
    if conn.result["result"] == _NO_SUCH_OBJECT:
        return None
    if conn.result["result"] != 0:
        raise SyncAborted(f"reading {dn} failed: {conn.result['description']}")
    entries = _decoded(conn)
    return entries[0][1] if entries else None


def _decoded(conn: ldap3.Connection) -> list[tuple[str, dict[str, list[str]]]]:
    # Raw values under the names the server sent, compared without case as
    # JNDI does; ldap3's schema-aware views would hide what was returned.
    return [
        (
            item["dn"],
            {
                name.lower(): [v.decode("utf-8") for v in values]
                for name, values in item["raw_attributes"].items()
                if values
            },
        )
        for item in conn.response or []
        if item.get("type") == "searchResEntry"
    ]


def _cookie(result: dict[str, Any]) -> bytes | None:
    paged = (result.get("controls") or {}).get("1.2.840.113556.1.4.319")
    return (paged or {}).get("value", {}).get("cookie") or None


# --- groups (§5) -------------------------------------------------------


def _import_groups(
    conn: ldap3.Connection, settings: SyncSettings, result: RecordsImport
) -> list[tuple[str, list[str]]]:
    """Store every group; returns each group code with its member values."""
    members: list[tuple[str, list[str]]] = []
    for base in settings.group_bases:
        found = _paged(conn, settings, base, GROUP_FILTER, GROUP_ATTRIBUTES, result)
        for dn, attrs in found:
            code = _first(attrs, "distinguishedname") or dn
            parent = _first(attrs, "memberof") or None
            result.groups[code] = ImportedGroup(
                code, _title(_first(attrs, "cn")), parent
            )
            members.append((code, attrs.get("member", [])))
    return members


def _title(cn: str) -> str | None:
    """The first cn, or the text between ``=`` and ``,`` if it holds ``=``."""
    if "=" not in cn:
        return cn
    return _between(cn, "=", ",")


def _between(text: str, start: str, end: str) -> str | None:
    """``StringUtils.substringBetween``: None when a marker is missing."""
    head = text.find(start)
    if head < 0:
        return None
    tail = text.find(end, head + len(start))
    return None if tail < 0 else text[head + len(start) : tail]


def _import_pointed_groups(result: RecordsImport) -> None:
    # A groupMembership DN outside the group bases is imported anyway,
    # titled with its RDN value: a ghost group if the DN is stale.
    for user in list(result.users.values()):
        for code in user.groups:
            if code not in result.groups:
                result.groups[code] = ImportedGroup(code, _between(code, "=", ","))


# --- users (§4) --------------------------------------------------------


def _import_base_users(
    conn: ldap3.Connection, settings: SyncSettings, result: RecordsImport
) -> None:
    for base in settings.user_bases:
        for dn, _ in _paged(conn, settings, base, USER_FILTER, ("cn",), result):
            attrs = _read(conn, dn)
            if attrs is not None:
                _store(result, _user(dn, attrs))


def _import_member_users(
    conn: ldap3.Connection,
    members: list[tuple[str, list[str]]],
    result: RecordsImport,
) -> None:
    # eDirectory mode reads each member as a user with no check at all; a
    # member that is missing throws and nothing catches it (hazard 2).
    for code, values in members:
        for member in values:
            attrs = _read(conn, member)
            if attrs is None:
                raise SyncAborted(
                    f"group {code} has a member that does not exist: {member}"
                )
            _store(result, _user(member, attrs))


def _user(dn: str, attrs: dict[str, list[str]]) -> ImportedUser | None:
    username = _clean_username(_first(attrs, "uid"))
    if not username or username == "admin":
        return None
    email = _first(attrs, "mail")
    disabled = _first(attrs, "logindisabled").lower() == "true"
    return ImportedUser(
        username=username,
        first_name=_first(attrs, "givenname"),
        last_name=_first(attrs, "sn"),
        email=email if _EMAIL.match(email) else "",
        status=DISABLED if disabled else ACTIVE,
        dn=dn,
        groups=tuple(sorted(attrs.get("groupmembership", []))),
    )


def _store(result: RecordsImport, user: ImportedUser | None) -> None:
    if user is None:
        return
    known = result.users.get(user.username)
    if known is not None and known.dn != user.dn:
        raise SyncAborted(
            f"user {user.username} reached as {known.dn!r} and as {user.dn!r}"
        )
    result.users[user.username] = user


def _clean_username(uid: str) -> str:
    """Lower-cased, accents and spaces removed, as Constellio cleans it."""
    decomposed = unicodedata.normalize("NFD", uid.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c != " ")


def _first(attrs: dict[str, list[str]], name: str) -> str:
    values = attrs.get(name)
    return values[0] if values else ""
