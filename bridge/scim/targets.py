"""The SCIM side of a mapping checked against the SCIM schemas at start-up.

A path the schemas do not define, or one whose values the bridge could not
store (a read-only attribute, a complex one without a sub-attribute, a
multi-valued one without a type), would be accepted by the loader and then
drop or mangle every value sent for it.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scim2_models import EnterpriseUser, Group, Resource, Schema, User

from ..mapping.model import AttributeMap, Kind, Mapping, ScimTarget

__all__ = ["unknown_targets"]

_COMMON_WRITABLE = "externalid"
"""RFC 7643 §3.1: the one common attribute a client sets (id and meta are
the service provider's)."""


@dataclass(frozen=True)
class _Attribute:
    subs: frozenset[str]
    multi: bool
    read_only: bool


def _defined(schemas: tuple[Schema, ...]) -> dict[str, dict[str, _Attribute]]:
    """Schema id → attribute name → what it is, names lower case."""
    found: dict[str, dict[str, _Attribute]] = {}
    for schema in schemas:
        attrs = found.setdefault(str(schema.id).lower(), {})
        dumped: list[dict[str, Any]] = schema.model_dump()["attributes"]
        for attr in dumped:
            subs = frozenset(s["name"].lower() for s in attr.get("subAttributes") or [])
            attrs[attr["name"].lower()] = _Attribute(
                subs,
                bool(attr.get("multiValued")),
                attr.get("mutability") == "readOnly",
            )
    return found


@dataclass(frozen=True)
class _Schemas:
    """One resource type's schemas, as the checks read them."""

    defined: dict[str, dict[str, _Attribute]]
    core: str
    """The core schema's id."""
    known: str
    """Every schema id, for messages."""


def _problem(
    target: ScimTarget, schemas: _Schemas, reference: bool = False
) -> str | None:
    """Why the bridge cannot store values at this path, or None."""
    core = schemas.core
    if target.uri is not None and target.uri.lower() == core.lower():
        return "core attributes are written without the schema URN"
    name = target.attr.lower()
    if target.uri is None and name == _COMMON_WRITABLE:
        return None if target.sub is None and target.type is None else "is a string"
    attrs = schemas.defined.get((target.uri or core).lower(), {})
    found = attrs.get(name)
    if found is None:
        return f"is not an attribute of {schemas.known}"
    if name == "password":
        return "the bridge never stores passwords (Entra sends none)"
    if found.read_only:
        return "is read-only in SCIM: no client ever sends it"
    if target.type is not None and not found.multi:
        return "only a multi-valued attribute takes [type eq ...]"
    if found.multi and target.type is None:
        return 'needs [type eq "..."]: the mapping stores one entry per type'
    if target.sub is not None and target.sub.lower() not in found.subs:
        return f"has no sub-attribute {target.sub!r}"
    if found.subs and target.sub is None and not reference:
        return "is complex: name a sub-attribute (name.givenName)"
    return None


def _problems(item: AttributeMap, schemas: _Schemas) -> Iterator[tuple[str, str]]:
    problem = _problem(item.target, schemas, item.kind is Kind.reference)
    if problem:
        yield "scim", f"{item.scim!r} {problem}"
    for name in item.fallback:
        try:
            target = ScimTarget.parse(name)
        except ValueError as exc:
            yield "fallback", str(exc)
            continue
        problem = _problem(target, schemas)
        if problem:
            yield "fallback", f"{name!r} {problem}"


def unknown_targets(mapping: Mapping) -> list[tuple[str, str]]:
    """(key, problem) for every SCIM path in the mapping, fallbacks
    included, whose values the bridge could not store."""
    found: list[tuple[str, str]] = []
    sections: tuple[tuple[str, Any, type[Resource[Any]], tuple[Any, ...]], ...] = (
        ("users", mapping.users, User, (EnterpriseUser,)),
        ("groups", mapping.groups, Group, ()),
    )
    for section, rmap, core, extensions in sections:
        schemas = (core.to_schema(), *(ext.to_schema() for ext in extensions))
        checked = _Schemas(
            _defined(schemas),
            str(core.__schema__),
            ", ".join(str(schema.id) for schema in schemas),
        )
        for index, item in enumerate(rmap.attributes):
            for field, problem in _problems(item, checked):
                found.append((f"{section}.attributes.{index}.{field}", problem))
    return found
