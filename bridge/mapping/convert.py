"""SCIM payloads to LDAP attribute values, and back.

A payload is the JSON form of a resource (``{"userName": ..., "emails":
[...], "urn:...:User": {...}}``). LDAP values are ``{attribute: [str]}``.
References (``manager``) travel as SCIM ids and are held as DNs, so the
caller resolves them beforehand and passes the lookup tables in; this module
does no I/O.
"""

import re
from collections.abc import Mapping as AbcMapping
from datetime import UTC, datetime
from typing import Any

from scim2_models import InvalidValueException

from .dn import canonical_dn
from .model import AttributeMap, Kind, ResourceMap, ScimTarget

__all__ = [
    "DERIVED",
    "LdapValues",
    "from_ldap",
    "generalized_to_iso",
    "managed_attributes",
    "reference_ids",
    "scim_value",
    "to_ldap",
]

LdapValues = dict[str, list[str]]
DERIVED = "scimDerived"
"""Names the LDAP attributes that hold a fallback, not a value sent."""


def dn_key(dn: str) -> str:
    """The form DN lookups are keyed by: canonical and lower-cased."""
    try:
        return canonical_dn(dn).lower()
    except ValueError:
        return dn.lower()


def get_ci(data: AbcMapping[str, Any] | None, key: str) -> Any:
    """A value by key, compared case-insensitively (RFC 7643 §2.1)."""
    if not data:
        return None
    if key in data:
        return data[key]
    lowered = key.lower()
    for name, value in data.items():
        if name.lower() == lowered:
            return value
    return None


def _container(payload: AbcMapping[str, Any], target: ScimTarget) -> Any:
    return get_ci(payload, target.uri) if target.uri else payload


def _typed_entry(entries: Any, wanted: str) -> Any:
    """The first entry of one type. The mapping has one slot per type it
    names: entries of other types, and further entries of a stored type,
    are not stored, as unmapped attributes are not (README "Logs")."""
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if (
            isinstance(entry, dict)
            and str(get_ci(entry, "type") or "").lower() == wanted.lower()
        ):
            return entry
    return None


def scim_value(payload: AbcMapping[str, Any], target: ScimTarget) -> Any:
    """The value at a mapping's SCIM path, or None."""
    container = _container(payload, target)
    head = get_ci(container, target.attr)
    if target.type is not None:
        head = _typed_entry(head, target.type)
    if target.sub is not None:
        return get_ci(head, target.sub) if isinstance(head, dict) else None
    return head


def _to_text(item: AttributeMap, value: Any, refs: AbcMapping[str, str]) -> str | None:
    if value is None or value == "":
        return None
    if item.kind is Kind.boolean:
        if not isinstance(value, bool):
            raise InvalidValueException(detail=f"{item.scim} must be true or false")
        return "TRUE" if value != item.invert else "FALSE"
    if item.kind is Kind.reference:
        ident = value.get("value") if isinstance(value, dict) else value
        if not ident:
            return None
        if ident not in refs:
            raise InvalidValueException(
                detail=f"{item.scim}: no resource has id {ident!r}"
            )
        return refs[ident]
    text = str(value)
    if item.kind is Kind.postal:
        return text.replace("\\", "\\5C").replace("$", "\\24").replace("\n", "$")
    return text


def to_ldap(
    rmap: ResourceMap, payload: AbcMapping[str, Any], refs: AbcMapping[str, str]
) -> LdapValues:
    """The LDAP values of every mapped attribute the payload sets.

    Attributes with a ``fallback`` take the first fallback value when the
    payload has none, and are listed in ``scimDerived`` so that reads do
    not return them as sent.
    """
    values: LdapValues = {}
    derived: list[str] = []
    for item in rmap.attributes:
        text = _to_text(item, scim_value(payload, item.target), refs)
        if text is None and item.fallback:
            text = _fallback(payload, item.fallback)
            if text is not None:
                derived.append(item.ldap)
        if text is not None:
            values[item.ldap] = [text]
    if derived:
        values[DERIVED] = derived
    return values


def _fallback(payload: AbcMapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = scim_value(payload, ScimTarget.parse(name))
        if isinstance(value, str) and value:
            return value
    return None


def reference_ids(rmap: ResourceMap, payload: AbcMapping[str, Any]) -> set[str]:
    """The SCIM ids a payload refers to, to be resolved to DNs."""
    found = set()
    for item in rmap.attributes:
        if item.kind is Kind.reference:
            value = scim_value(payload, item.target)
            ident = value.get("value") if isinstance(value, dict) else value
            if isinstance(ident, str) and ident:
                found.add(ident)
    return found


def managed_attributes(rmap: ResourceMap) -> list[str]:
    """Every LDAP attribute the bridge owns on entries of this type."""
    return [item.ldap for item in rmap.attributes] + [DERIVED]


def _from_text(item: AttributeMap, text: str, dn_ids: AbcMapping[str, str]) -> Any:
    if item.kind is Kind.boolean:
        return (text.upper() == "TRUE") != item.invert
    if item.kind is Kind.reference:
        ident = dn_ids.get(dn_key(text))
        return {"value": ident} if ident else None
    if item.kind is Kind.postal:
        return text.replace("$", "\n").replace("\\24", "$").replace("\\5C", "\\")
    return text


def _place(payload: dict[str, Any], target: ScimTarget, value: Any) -> None:
    container = payload
    if target.uri:
        container = payload.setdefault(target.uri, {})
    if target.type is not None:
        entries = container.setdefault(target.attr, [])
        entry = _typed_entry(entries, target.type)
        if entry is None:
            entry = {"type": target.type}
            entries.append(entry)
        if target.sub is not None:
            entry[target.sub] = value
        return
    if target.sub is not None:
        container.setdefault(target.attr, {})[target.sub] = value
        return
    container[target.attr] = value


def from_ldap(
    rmap: ResourceMap, values: AbcMapping[str, list[str]], dn_ids: AbcMapping[str, str]
) -> dict[str, Any]:
    """The SCIM payload of an entry's mapped attributes.

    ``dn_ids`` maps lower-cased DNs to SCIM ids for reference attributes.
    """
    lowered = {name.lower(): vals for name, vals in values.items()}
    derived = {name.lower() for name in lowered.get(DERIVED.lower(), [])}
    payload: dict[str, Any] = {}
    for item in rmap.attributes:
        found = lowered.get(item.ldap.lower())
        if not found or item.ldap.lower() in derived:
            continue
        value = _from_text(item, found[0], dn_ids)
        if value is not None:
            _place(payload, item.target, value)
    return payload


def reference_dns(rmap: ResourceMap, values: AbcMapping[str, list[str]]) -> set[str]:
    """The DNs an entry's reference attributes hold."""
    lowered = {name.lower(): vals for name, vals in values.items()}
    return {
        dn
        for item in rmap.attributes
        if item.kind is Kind.reference
        for dn in lowered.get(item.ldap.lower(), [])[:1]
    }


_SLAPD_TIME = re.compile(r"\d{14}Z")


def generalized_to_iso(text: str) -> str:
    """``20261203221500Z`` (RFC 4517 §3.3.13) as an RFC 3339 timestamp.

    slapd's own timestamps (every response carries two) are always UTC to
    the second, and are cut by position; anything else is parsed.
    """
    if _SLAPD_TIME.fullmatch(text):
        t = text
        return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"
    stamp = datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return stamp.isoformat().replace("+00:00", "Z")


def iso_to_generalized(value: Any) -> str:
    """A SCIM dateTime as an LDAP generalizedTime in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise InvalidValueException(detail=f"{value!r} is not a dateTime")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")
