"""The advertised schemas and the $ref the bridge fills in."""

from functools import cache
from typing import Any

import pytest

from bridge.mapping.load import load_mapping
from bridge.scim.schemas import ResourceKind, build_kinds, link_references

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BASE = "https://bridge.example/scim/v2"


@cache
def _kinds_of(profile: str) -> dict[str, ResourceKind]:
    """A profile's kinds, built once: building model classes takes time."""
    return build_kinds(load_mapping(profile))


@pytest.fixture
def kinds() -> dict[str, ResourceKind]:
    return _kinds_of("inetorgperson")


def _sub_attributes(kind: ResourceKind, schema_id: str, name: str) -> dict[str, Any]:
    schema = next(s for s in kind.schemas if str(s.id) == schema_id)
    attribute = next(a for a in schema.attributes or [] if a.name == name)
    return {str(sub.name): sub for sub in attribute.sub_attributes or []}


@pytest.mark.parametrize(
    ("kind_name", "schema_id", "name"),
    [
        ("Group", "urn:ietf:params:scim:schemas:core:2.0:Group", "members"),
        ("User", ENTERPRISE, "manager"),
    ],
)
def test_references_advertise_an_optional_ref_to_users_only(
    kinds: dict[str, ResourceKind], kind_name: str, schema_id: str, name: str
) -> None:
    """Members and manager are user DNs in LDAP: their $ref names a User,
    and a client may leave it out and send the id alone."""
    subs = _sub_attributes(kinds[kind_name], schema_id, name)

    ref = subs["$ref"]
    assert sorted(subs) == ["$ref", "value"]
    assert (ref.reference_types, ref.required.value) == (["User"], False)


def test_link_references_puts_the_user_location_beside_each_id(
    kinds: dict[str, ResourceKind],
) -> None:
    """Every referenced id gains the URL of the user it names."""
    group = {"displayName": "G", "members": [{"value": "a"}, {"value": "b"}]}
    user = {"userName": "u", ENTERPRISE: {"manager": {"value": "m"}, "department": "D"}}

    linked_group = link_references(kinds["Group"], group, BASE)
    linked_user = link_references(kinds["User"], user, BASE)

    assert linked_group["members"] == [
        {"value": "a", "$ref": f"{BASE}/Users/a"},
        {"value": "b", "$ref": f"{BASE}/Users/b"},
    ]
    assert linked_user[ENTERPRISE] == {
        "manager": {"value": "m", "$ref": f"{BASE}/Users/m"},
        "department": "D",
    }


def test_link_references_leaves_a_payload_without_references_alone(
    kinds: dict[str, ResourceKind],
) -> None:
    """No manager, no members: nothing to link."""
    user = {"userName": "u", ENTERPRISE: {"department": "D"}}

    assert link_references(kinds["User"], dict(user), BASE) == user


def _characteristics(kind: ResourceKind, name: str) -> tuple[bool, str, str]:
    attribute = next(a for a in kind.schemas[0].attributes or [] if a.name == name)
    assert attribute.required is not None and attribute.mutability is not None
    assert attribute.uniqueness is not None
    return (
        bool(attribute.required.value),
        attribute.mutability.value,
        attribute.uniqueness.value,
    )


@pytest.mark.parametrize(
    ("profile", "kind_name", "name", "expected"),
    [
        ("inetorgperson", "User", "userName", (True, "readWrite", "server")),
        ("inetorgperson", "User", "displayName", (False, "readWrite", "none")),
        ("inetorgperson", "Group", "displayName", (True, "readWrite", "server")),
        ("records", "User", "externalId", (True, "immutable", "server")),
        ("records", "Group", "externalId", (True, "immutable", "server")),
        ("records", "Group", "displayName", (True, "readWrite", "server")),
    ],
)
def test_the_schema_publishes_what_the_directory_enforces(
    profile: str, kind_name: str, name: str, expected: tuple[bool, str, str]
) -> None:
    """The naming attribute is required and unique, a unique one is unique,
    an immutable one immutable (RFC 7643 §7): clients learn it from /Schemas."""
    kind = _kinds_of(profile)[kind_name]

    assert _characteristics(kind, name) == expected


def test_external_id_stays_a_common_attribute_when_unconstrained(
    kinds: dict[str, ResourceKind],
) -> None:
    """The general profile stores externalId freely: no schema lists it."""
    names = {str(a.name) for s in kinds["User"].schemas for a in s.attributes or []}

    assert "externalId" not in names
