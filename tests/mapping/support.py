"""Translating filter text the way a list request does, without slapd."""

from functools import cache
from pathlib import Path

import yaml

from bridge.mapping.filters import Term, referenced_ids, translate
from bridge.mapping.load import load_mapping, profile_path
from bridge.mapping.model import Mapping
from bridge.scim.query import parse_filter
from bridge.scim.schemas import ResourceKind, build_kinds

GENERAL = build_kinds(load_mapping("inetorgperson"))
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def ldap_filter(
    text: str,
    kind: str = "User",
    refs: dict[str, str] | None = None,
    kinds: dict[str, ResourceKind] = GENERAL,
) -> Term:
    """The LDAP term for a SCIM filter, as parsed and translated for a list."""
    resource = kinds[kind]
    node = parse_filter(resource.model, text)
    return translate(node, resource.mapping, resource.schemas, refs or {})


def ids_named(text: str, kind: str = "User") -> set[str]:
    """The ids a filter names in reference comparisons."""
    resource = GENERAL[kind]
    return referenced_ids(parse_filter(resource.model, text), resource.mapping)


@cache
def kinds_with(
    section: str, scim: str, *, without: str | None = None, **entry: str
) -> dict[str, ResourceKind]:
    """The general profile with one mapping entry of a section replaced
    (and the entry of ``without`` left out, to free its LDAP attribute)."""
    data = yaml.safe_load(Path(profile_path("inetorgperson")).read_text())
    attributes = [a for a in data[section]["attributes"] if a["scim"] != without]
    data[section]["attributes"] = attributes
    for index, item in enumerate(attributes):
        if item["scim"] == scim:
            attributes[index] = {"scim": scim, **entry}
    return build_kinds(Mapping.model_validate(data))
