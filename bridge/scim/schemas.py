"""SCIM schemas and models cut down to what the mapping really stores.

RFC 7643 §7 lets a service provider publish the attributes it supports.
Advertising only the mapped ones keeps validators and clients from writing
what the directory would drop; building the request models from the same
schemas means a payload is validated, patched and filtered against exactly
what is stored. One source: mapping YAML → Schema → model.
"""

from dataclasses import dataclass
from typing import Any

from scim2_models import (
    URI,
    Context,
    EnterpriseUser,
    Extension,
    Group,
    PatchOp,
    Reference,
    Resource,
    ResourceType,
    Schema,
    User,
)

from ..mapping.model import Kind, Mapping, ResourceMap, ScimTarget
from .query import Projection, prepare, render
from .returned import Shape

__all__ = [
    "GROUP_SCHEMA",
    "USER_SCHEMA",
    "ResourceKind",
    "build_kinds",
    "link_references",
]

USER_SCHEMA = str(User.__schema__)
GROUP_SCHEMA = str(Group.__schema__)
_COMMON = {"id", "externalid", "meta"}
_REF = "$ref"
# Members are held as DNs of users: a member is named by its id, and its
# $ref is the bridge's own URL for it (RFC 7643 §4.2).
_ALWAYS_SUB = {"members": {"value", _REF}}


@dataclass(frozen=True)
class ResourceKind:
    """Everything the protocol layer knows about one resource type."""

    name: str
    """``User`` or ``Group``."""

    endpoint: str
    """``/Users`` or ``/Groups``."""

    model: type[Resource[Any]]
    """The request/response model, extensions included."""

    schemas: tuple[Schema, ...]
    """The core schema first, then the extensions."""

    resource_type: ResourceType
    mapping: ResourceMap

    patch_model: type[Any]
    """``PatchOp[model]``, built once: parametrising it per request costs."""

    shape: Shape
    """The schemas' ``returned`` rules, for rendering without the model."""

    def render(self, payload: dict[str, Any], projection: Projection) -> dict[str, Any]:
        """A stored resource's payload as sent, projection applied."""
        if self.shape.handles(projection.attributes, projection.excluded):
            return self.shape.render(payload, projection.excluded)
        qualified = Projection(
            self.shape.qualify(projection.attributes),
            self.shape.qualify(projection.excluded),
        )
        return render(self.model, payload, qualified)


def _dump(schema: Schema) -> dict[str, Any]:
    return schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _wanted(mapping: ResourceMap, schema_id: str, core: str) -> dict[str, set[str]]:
    """Attribute name → mapped sub-attribute names, for one schema."""
    wanted: dict[str, set[str]] = {}
    for item in mapping.attributes:
        target = item.target
        if (target.uri or core).lower() != schema_id.lower():
            continue
        if target.attr.lower() in _COMMON:
            continue
        subs = wanted.setdefault(target.attr.lower(), set())
        _add_subs(subs, target, item.kind.value)
    if schema_id == GROUP_SCHEMA and mapping.members is not None:
        wanted["members"] = set(_ALWAYS_SUB["members"])
    return wanted


def _add_subs(subs: set[str], target: ScimTarget, kind: str) -> None:
    if target.sub is not None:
        subs.add(target.sub.lower())
    if target.type is not None:
        subs.add("type")
    if kind == "reference":
        subs.update(("value", _REF))


def _types_of(mapping: ResourceMap, attr: str) -> list[str]:
    found: list[str] = []
    for item in mapping.attributes:
        target = item.target
        if target.attr.lower() == attr and target.type and target.type not in found:
            found.append(target.type)
    return found


def _cut(full: Schema, mapping: ResourceMap, core: str) -> Schema | None:
    """The schema with only the mapped attributes and sub-attributes."""
    data = _dump(full)
    wanted = _wanted(mapping, str(full.id), core)
    if not wanted and str(full.id) != core:
        return None
    kept = []
    for attr in data["attributes"]:
        name = attr["name"].lower()
        if name not in wanted:
            continue
        kept.append(_cut_attribute(attr, wanted[name], mapping))
    if str(full.id) == core:
        kept.extend(_constrained_common(mapping))
    limits = _constraints(mapping, None if str(full.id) == core else str(full.id))
    data["attributes"] = [attr | limits.get(attr["name"].lower(), {}) for attr in kept]
    return Schema.model_validate(data)


def _constraints(mapping: ResourceMap, uri: str | None) -> dict[str, dict[str, Any]]:
    """Characteristics the directory imposes on single-valued attributes.

    The naming attribute and a required one must come with every create
    and replacement (and a PATCH cannot remove them), a unique one is
    checked against every entry, an immutable one never changes: clients
    read these from ``/Schemas`` (RFC 7643 §7), so they must be published.
    """
    found: dict[str, dict[str, Any]] = {}
    for item in mapping.attributes:
        target = item.target
        if (
            (target.uri or "").lower() != (uri or "").lower()
            or target.sub
            or target.type
        ):
            continue
        limits: dict[str, Any] = {}
        naming = item.ldap.lower() == mapping.rdn.lower()
        if naming or item.required:
            limits["required"] = True
        if item.unique or naming:
            # Two entries of one base cannot share a name.
            limits["uniqueness"] = "server"
        if item.immutable:
            limits["mutability"] = "immutable"
        if limits:
            found[target.attr.lower()] = limits
    return found


def _constrained_common(mapping: ResourceMap) -> list[dict[str, Any]]:
    """externalId, published in the core schema when the mapping constrains
    it (it names the entry, say): as a common attribute it is in no schema,
    and clients would not learn that it is required (RFC 7643 §3.1)."""
    if "externalid" not in _constraints(mapping, None):
        return []
    return [
        {
            "name": "externalId",
            "type": "string",
            "multiValued": False,
            "description": "The provisioning client's identifier of the resource.",
            "required": False,
            "caseExact": True,
            "mutability": "readWrite",
            "returned": "default",
            "uniqueness": "none",
        }
    ]


def _cut_attribute(
    attr: dict[str, Any], subs: set[str], mapping: ResourceMap
) -> dict[str, Any]:
    if not attr.get("subAttributes"):
        return attr
    attr = dict(attr)
    attr["subAttributes"] = [
        dict(sub) for sub in attr["subAttributes"] if sub["name"].lower() in subs
    ]
    types = _types_of(mapping, attr["name"].lower())
    for sub in attr["subAttributes"]:
        if sub["name"] == "type" and types:
            sub["canonicalValues"] = types
        if sub["name"] == _REF:
            _cut_reference(sub)
    return attr


def _cut_reference(sub: dict[str, Any]) -> None:
    """Only users are referenced (members and manager are user DNs), and a
    client may name them by ``value`` alone: the bridge writes the $ref."""
    sub["referenceTypes"] = ["User"]
    sub["required"] = False


def _kind(
    name: str,
    endpoint: str,
    mapping: ResourceMap,
    core: type[Resource[Any]],
    extensions: tuple[type[Extension], ...],
) -> ResourceKind:
    core_id = str(core.__schema__)
    core_schema = _cut(core.to_schema(), mapping, core_id)
    assert core_schema is not None
    model: type[Resource[Any]] = Resource.from_schema(core_schema)
    schemas = [core_schema]
    ext_models = []
    for ext in extensions:
        cut = _cut(ext.to_schema(), mapping, core_id)
        if cut is not None and cut.attributes:
            schemas.append(cut)
            ext_models.append(Extension.from_schema(cut))
    if ext_models:
        extensions = ext_models[0] if len(ext_models) == 1 else tuple(ext_models)
        model = model[extensions]  # type: ignore[index]
    resource_type = ResourceType.from_resource(model)
    resource_type.name = name
    resource_type.id = name
    resource_type.endpoint = Reference[URI](endpoint)
    patch_model = PatchOp[model]  # type: ignore[valid-type]
    return ResourceKind(
        name, endpoint, model, tuple(schemas), resource_type, mapping, patch_model,
        Shape(schemas),
    )  # fmt: skip


def build_kinds(mapping: Mapping) -> dict[str, ResourceKind]:
    """The User and Group kinds for a mapping, keyed by resource type name."""
    kinds = {
        "User": _kind("User", "/Users", mapping.users, User, (EnterpriseUser,)),
        "Group": _kind("Group", "/Groups", mapping.groups, Group, ()),
    }
    for kind in kinds.values():
        prepare(kind.model)
    return kinds


def _reference_holders(kind: ResourceKind) -> list[tuple[str | None, str]]:
    """(extension URN or None, attribute) of every reference attribute."""
    holders: list[tuple[str | None, str]] = [
        (item.target.uri, item.target.attr)
        for item in kind.mapping.attributes
        if item.kind is Kind.reference
    ]
    if kind.mapping.members is not None:
        holders.append((None, "members"))
    return holders


def link_references(
    kind: ResourceKind, payload: dict[str, Any], base_url: str
) -> dict[str, Any]:
    """The payload with the advertised ``$ref`` beside each referenced id.

    Every reference the bridge stores names a user, so its $ref is that
    user's location (RFC 7643 §4.2: "$ref" is the URI of the resource).
    """
    for uri, attr in _reference_holders(kind):
        container = payload.get(uri) if uri else payload
        value = container.get(attr) if isinstance(container, dict) else None
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("value"), str):
                item[_REF] = f"{base_url}/Users/{item['value']}"
    return payload
