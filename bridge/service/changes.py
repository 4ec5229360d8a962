"""Pure helpers that turn loaded entries and new values into LDAP changes."""

from scim2_models import (
    InvalidValueException,
    MutabilityException,
    PreconditionFailedException,
)

from ..directory.client import Change, Entry
from ..mapping.convert import DERIVED, LdapValues, managed_attributes
from ..mapping.filters import escape_filter_value
from ..mapping.model import ResourceMap

__all__ = [
    "assertion_for",
    "check_immutable",
    "check_version",
    "diff",
    "rdn_value",
    "unchanged_since",
    "values_of",
]


def values_of(entry: Entry, name: str) -> list[str]:
    """An attribute's values on an entry, names compared case-insensitively."""
    return entry.values(name)


MAX_NAME_BYTES = 200
"""Longest naming value: slapd's mdb back-end keys entries by DN and
answers an unexplained "other" (80) past about 240 bytes."""


def rdn_value(rmap: ResourceMap, values: LdapValues) -> str:
    """The value that names the entry, or 400 when it cannot name one."""
    rdn = rmap.rdn_map
    found = values.get(rdn.ldap)
    if not found or rdn.ldap in values.get(DERIVED, []):
        hint = (
            " (in Entra, map objectId to externalId)"
            if rdn.scim == "externalId"
            else ""
        )
        raise InvalidValueException(
            detail=f"{rdn.scim} is required: it names the directory entry{hint}"
        )
    value = found[0]
    if not value.strip():
        raise InvalidValueException(detail=f"{rdn.scim} must not be blank")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise InvalidValueException(
            detail=f"{rdn.scim} must not contain control characters (it names the entry)"
        )
    if len(value.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidValueException(
            detail=f"{rdn.scim} is longer than the {MAX_NAME_BYTES} bytes"
            " a directory name can hold"
        )
    return value


def diff(rmap: ResourceMap, old: Entry, new: LdapValues) -> list[Change]:
    """The replace/delete changes turning old values into new ones.

    The naming attribute is left out: a MODRDN changes it.
    """
    changes = []
    for name in managed_attributes(rmap):
        if name.lower() == rmap.rdn.lower():
            continue
        before = values_of(old, name)
        after = new.get(name, [])
        if after and after != before:
            changes.append(Change("replace", name, tuple(after)))
        elif not after and before:
            changes.append(Change("delete", name))
    return changes


def check_immutable(rmap: ResourceMap, old: Entry, new: LdapValues) -> None:
    """400 mutability when an immutable attribute would change."""
    for item in rmap.attributes:
        before = values_of(old, item.ldap)
        if item.immutable and before and new.get(item.ldap) != before:
            raise MutabilityException(detail=f"{item.scim} cannot change once set")


def _versions(if_match: str | None) -> list[str] | None:
    """The entryCSNs an If-Match header names; None for none or ``*``.

    A list of entity tags (RFC 9110 §13.1.1) matches any of them; weak and
    strong spellings of one tag name the same version.
    """
    if not if_match or not if_match.strip():
        return None
    tags = [tag.strip() for tag in if_match.split(",") if tag.strip()]
    if not tags or "*" in tags:
        return None
    return [tag.removeprefix("W/").strip('"') for tag in tags]


def unchanged_since(version: str | None, if_none_match: str | None) -> bool:
    """Whether If-None-Match names the current version, or is ``*``: a GET
    then answers 304 Not Modified (RFC 7644 §3.14; weak comparison, RFC
    9110 §13.1.2)."""
    if not if_none_match or version is None:
        return False
    if "*" in (tag.strip() for tag in if_none_match.split(",")):
        return True
    return version.removeprefix("W/").strip('"') in (_versions(if_none_match) or [])


def assertion_for(if_match: str | None) -> str | None:
    """The RFC 4528 assertion filter for an If-Match header, if any."""
    versions = _versions(if_match)
    if versions is None:
        return None
    terms = [f"(entryCSN={escape_filter_value(csn)})" for csn in versions]
    return terms[0] if len(terms) == 1 else f"(|{''.join(terms)})"


def check_version(entry: Entry, if_match: str | None) -> None:
    """412 when If-Match names other versions only (RFC 7644 §3.14)."""
    versions = _versions(if_match)
    if versions is None:
        return
    if (entry.first("entryCSN") or "") not in versions:
        raise PreconditionFailedException(
            detail="The resource changed since that version (If-Match)"
        )
