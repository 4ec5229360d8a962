"""The advertised schemas and the $ref the bridge fills in."""

from typing import Any

import pytest

from bridge.mapping.load import load_mapping
from bridge.scim.schemas import ResourceKind, build_kinds, link_references

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BASE = "https://bridge.example/scim/v2"


@pytest.fixture(scope="module")
def kinds() -> dict[str, ResourceKind]:
    return build_kinds(load_mapping("inetorgperson"))


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
