"""Rendering from the schemas' returned rules answers as scim2-models does.

The bridge renders the common projections from payload dicts without
building a resource (bridge/scim/returned.py); scim2-models' dump of the
validated resource is the reference it must match, key for key.
"""

from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scim2_models import Context, Resource, Returned, Schema, User

from bridge.directory.client import Entry
from bridge.mapping.load import load_mapping
from bridge.mapping.model import Kind
from bridge.scim.policy import POLICY
from bridge.scim.query import Projection, render
from bridge.scim.returned import Shape
from bridge.scim.schemas import ResourceKind, build_kinds, link_references
from bridge.service import writes
from bridge.service.context import to_payload

BASE = "https://bridge.example/scim/v2"
BOSS = "uid=boss,ou=people,dc=example,dc=org"
PROFILES = ("inetorgperson", "records")


@cache
def _kinds(profile: str) -> dict[str, ResourceKind]:
    return build_kinds(load_mapping(profile))


def _value(kind: Kind, index: int) -> str:
    if kind is Kind.boolean:
        return "TRUE" if index % 2 else "FALSE"
    if kind is Kind.reference:
        return BOSS
    return f"value {index} É"


@st.composite
def payloads(draw: st.DrawFn, kind: ResourceKind) -> dict[str, Any]:
    """A payload as the bridge builds one from a stored entry."""
    attrs: dict[str, list[str]] = {
        "entryUUID": ["0b4f7c52-5a59-4e5c-9d6b-2f0e4f9a1c11"],
        "entryCSN": ["20261204010806.123456Z#000000#000#000000"],
        "createTimestamp": ["20261204010806Z"],
        "modifyTimestamp": ["20261204020807Z"],
    }
    for index, item in enumerate(kind.mapping.attributes):
        if item.ldap.lower() == kind.mapping.rdn.lower() or draw(st.booleans()):
            attrs[item.ldap] = [_value(item.kind, index)]
    members = None
    if kind.mapping.members is not None and draw(st.booleans()):
        members = draw(st.lists(st.sampled_from(["m1", "m2", "m3"]), unique=True))
    entry = Entry("cn=x,ou=groups,dc=example,dc=org", attrs)
    payload = to_payload(kind, entry, {BOSS.lower(): "boss-id"}, BASE, members)
    return link_references(kind, payload, BASE)


def _names(kind: ResourceKind) -> list[str]:
    core = [str(a.name) for a in kind.schemas[0].attributes or []]
    return core + ["id", "externalId", "meta", "schemas"]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("kind_name", ["User", "Group"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_fast_rendering_matches_scim2_models(
    profile: str, kind_name: str, data: st.DataObject
) -> None:
    kind = _kinds(profile)[kind_name]
    payload = data.draw(payloads(kind))
    excluded = data.draw(st.lists(st.sampled_from(_names(kind)), max_size=3))
    excluded = [data.draw(st.sampled_from([n, n.upper(), n.lower()])) for n in excluded]
    projection = Projection(excluded=tuple(excluded))
    assert kind.shape.handles(projection.attributes, projection.excluded)
    expected = render(kind.model, payload, projection)
    shown = kind.shape.render(payload, projection.excluded)
    assert shown == expected
    assert list(shown)[:2] == ["schemas", "id"]
    if "meta" in shown:  # same key order as scim2-models', not only same keys
        assert list(shown["meta"]) == list(expected["meta"])


def test_group_without_members_is_rendered_with_excluded_members() -> None:
    kind = _kinds("inetorgperson")["Group"]
    entry = Entry(
        "cn=Sales,ou=groups,dc=example,dc=org",
        {"cn": ["Sales"], "entryUUID": ["g-1"], "entryCSN": ["c#1"]},
    )
    payload = to_payload(kind, entry, {}, BASE, ["u-1"])
    linked = link_references(kind, payload, BASE)
    shown = kind.render(linked, Projection(excluded=("members",)))
    assert shown["displayName"] == "Sales"
    assert "members" not in shown
    assert shown["id"] == "g-1"


def test_attributes_and_paths_go_through_scim2_models() -> None:
    shape = _kinds("inetorgperson")["User"].shape
    assert not shape.handles((), ("nosuch",))  # scim2-models ignores it
    assert not shape.handles((), ("employeeNumber",))  # an extension's
    assert not shape.handles(("userName",), ())
    assert not shape.handles((), ("name.givenName",))
    assert not shape.handles((), ("urn:ietf:params:scim:schemas:core:2.0:User:title",))
    assert not shape.handles((), ('emails[type eq "work"]',))


def test_bare_extension_names_are_qualified_and_others_left_alone() -> None:
    shape = _kinds("inetorgperson")["User"].shape
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert shape.qualify(("employeeNumber", "Manager.value", "userName")) == (
        f"{enterprise}:employeeNumber",
        f"{enterprise}:Manager.value",
        "userName",
    )
    assert shape.qualify((f"{enterprise}:department", "nosuch")) == (
        f"{enterprise}:department",
        "nosuch",
    )


def test_never_and_request_attributes_are_left_out_as_scim2_models_does() -> None:
    data = User.to_schema().model_dump()
    for attr in data["attributes"]:
        if attr["name"] == "title":
            attr["returned"] = "request"
        if attr["name"] == "nickName":
            attr["returned"] = "never"
        if attr["name"] == "emails":
            for sub in attr["subAttributes"]:
                if sub["name"] == "type":
                    sub["returned"] = "never"
    schema = Schema.model_validate(data)
    by_name = {a.name: a for a in schema.attributes or []}
    assert by_name["title"].returned is Returned.request
    model = Resource.from_schema(schema)
    payload = {
        "schemas": [str(schema.id)],
        "id": "u-1",
        "userName": "jdoe",
        "title": "Boss",
        "nickName": "JD",
        "emails": [{"value": "j@example.org", "type": "work"}],
    }
    shown = Shape([schema]).render(payload)
    assert shown == {
        "schemas": [str(schema.id)],
        "id": "u-1",
        "userName": "jdoe",
        "emails": [{"value": "j@example.org"}],
    }
    # scim2-models refuses a response holding a "never" value outright;
    # what it makes of the rest must be the same.
    allowed = {k: v for k, v in payload.items() if k != "nickName"}
    allowed["emails"] = [{"value": "j@example.org"}]
    assert shown == render(model, allowed, Projection())


ENTRA_USER = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "externalId": "0a21f0f2-8d2a-4f8e-bf3b-7a96c7fbd4d6",
    "userName": "Test_User_dfeef4c5@testuser.com",
    "active": True,
    "emails": [{"primary": True, "type": "work", "value": "t@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "g f", "familyName": "f", "givenName": "g"},
    "roles": [],
    "title": None,
    "displayName": "Test User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "department": "Sales",
        "employeeNumber": "1",
        "manager": {"value": "boss-id"},
    },
}
ENTRA_GROUP = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "Group1DisplayName",
    "meta": {"resourceType": "Group"},
    "members": [{"value": "m-1", "display": "x"}],
}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    ("kind_name", "body"), [("User", ENTRA_USER), ("Group", ENTRA_GROUP)]
)
@pytest.mark.parametrize(
    "ctx", [Context.RESOURCE_CREATION_REQUEST, Context.RESOURCE_REPLACEMENT_REQUEST]
)
def test_validated_requests_dump_as_scim2_models_would(
    profile: str, kind_name: str, body: dict[str, Any], ctx: Context
) -> None:
    kind = _kinds(profile)[kind_name]
    payload = writes._validate(kind, body, ctx)
    resource = kind.model.model_validate(body, scim_ctx=ctx, scim_policy=POLICY)
    assert payload == resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    assert payload["displayName"] == body["displayName"]
