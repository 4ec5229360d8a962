"""attributes / excludedAttributes give one answer whichever way a resource
is read: by id, in a filtered list, through /.search.

Found by a newcomer: excluding a sub-attribute (``name.givenName``,
``members.$ref``) dropped the whole attribute from lists and from group
reads, and a bare extension name (``employeeNumber``) was honoured in lists
but not by id.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.support import SCIM, Stack, snapshot

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

Read = Callable[[Any, dict[str, Any], str, str], Awaitable[dict[str, Any]]]


async def _by_id(client: Any, made: dict[str, Any], param: str, value: str) -> Any:
    endpoint = "Users" if "userName" in made else "Groups"
    answer = await client.get(f"{SCIM}/{endpoint}/{made['id']}", params={param: value})
    assert answer.status == 200
    return await answer.json(content_type=None)


def _finding(made: dict[str, Any]) -> tuple[str, str]:
    """The endpoint and the filter that select exactly this resource."""
    if "userName" in made:
        return "Users", f'userName eq "{made["userName"]}"'
    return "Groups", f'displayName eq "{made["displayName"]}"'


async def _listed(client: Any, made: dict[str, Any], param: str, value: str) -> Any:
    endpoint, query = _finding(made)
    answer = await client.get(
        f"{SCIM}/{endpoint}", params={"filter": query, param: value}
    )
    body = await answer.json(content_type=None)
    assert body["totalResults"] == 1
    return body["Resources"][0]


async def _searched(client: Any, made: dict[str, Any], param: str, value: str) -> Any:
    endpoint, query = _finding(made)
    body = {"schemas": [SEARCH], "filter": query, param: value.split(",")}
    answer = await client.post(f"{SCIM}/{endpoint}/.search", json=body)
    found = await answer.json(content_type=None)
    assert found["totalResults"] == 1
    return found["Resources"][0]


READS = pytest.mark.parametrize("read", [_by_id, _listed, _searched])


@pytest.fixture
async def user(client: Any) -> dict[str, Any]:
    body = {
        "schemas": [CORE, ENTERPRISE],
        "userName": f"proj-{uuid.uuid4().hex[:10]}@example.org",
        "active": True,
        "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada L"},
        "emails": [{"type": "work", "value": "ada@example.org"}],
        ENTERPRISE: {"employeeNumber": "42", "department": "Engines"},
    }
    answer = await client.post(f"{SCIM}/Users", json=body)
    assert answer.status == 201
    return await answer.json(content_type=None)


@pytest.fixture
async def group(client: Any, user: dict[str, Any]) -> dict[str, Any]:
    body = {
        "schemas": [GROUP],
        "displayName": f"proj-{uuid.uuid4().hex[:10]}",
        "members": [{"value": user["id"]}],
    }
    answer = await client.post(f"{SCIM}/Groups", json=body)
    assert answer.status == 201
    return await answer.json(content_type=None)


@READS
async def test_excluding_a_sub_attribute_keeps_the_rest_of_it(
    client: Any, user: dict[str, Any], read: Read
) -> None:
    shown = await read(client, user, "excludedAttributes", "name.givenName")
    assert shown["name"] == {"familyName": "Lovelace", "formatted": "Ada L"}
    shown = await read(client, user, "excludedAttributes", "emails.type")
    assert shown["emails"] == [{"value": "ada@example.org"}]
    assert shown["userName"] == user["userName"]


@READS
async def test_a_bare_extension_name_selects_the_extension_attribute(
    client: Any, user: dict[str, Any], read: Read
) -> None:
    shown = await read(client, user, "excludedAttributes", "employeeNumber")
    assert shown[ENTERPRISE] == {"department": "Engines"}
    assert shown["userName"] == user["userName"]
    shown = await read(client, user, "attributes", "employeeNumber")
    assert shown[ENTERPRISE] == {"employeeNumber": "42"}
    assert "userName" not in shown
    assert shown["id"] == user["id"]


@READS
async def test_excluding_a_member_sub_attribute_keeps_the_members(
    client: Any, user: dict[str, Any], group: dict[str, Any], read: Read
) -> None:
    shown = await read(client, group, "excludedAttributes", "members.$ref")
    assert shown["members"] == [{"value": user["id"]}]
    shown = await read(client, group, "excludedAttributes", "members")
    assert "members" not in shown
    assert shown["displayName"] == group["displayName"]


async def test_a_repeated_parameter_counts_every_value(
    client: Any, user: dict[str, Any], group: dict[str, Any]
) -> None:
    query = [("excludedAttributes", "members"), ("excludedAttributes", "meta")]
    answer = await client.get(f"{SCIM}/Groups/{group['id']}", params=query)
    shown = await answer.json(content_type=None)
    assert answer.status == 200
    assert "members" not in shown
    assert "meta" not in shown
    assert shown["displayName"] == group["displayName"]


@READS
async def test_a_whole_schema_projection_keeps_the_members(
    client: Any, user: dict[str, Any], group: dict[str, Any], read: Read
) -> None:
    shown = await read(client, group, "attributes", GROUP)
    assert shown["members"] == [{"value": user["id"], "$ref": user["meta"]["location"]}]
    assert shown["displayName"] == group["displayName"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_a_write_with_both_projections_is_refused_before_it_writes(
    client: Any, user: dict[str, Any], general_stack: Stack, method: str
) -> None:
    """Both parameters at once are a 400: and the write must not happen."""
    both = {"attributes": "userName", "excludedAttributes": "emails"}
    fresh = f"proj-{uuid.uuid4().hex[:10]}@example.org"
    bodies = {
        "POST": ("/Users", {"schemas": [CORE], "userName": fresh, "active": True}),
        "PUT": (
            f"/Users/{user['id']}",
            {"schemas": [CORE], "userName": fresh, "active": True},
        ),
        "PATCH": (
            f"/Users/{user['id']}",
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "title", "value": "Late"}],
            },
        ),
    }
    path, body = bodies[method]
    before = snapshot(general_stack.admin())

    answer = await client.request(method, f"{SCIM}{path}", json=body, params=both)

    assert answer.status == 400
    assert (await answer.json(content_type=None))["scimType"] == "invalidValue"
    assert snapshot(general_stack.admin()) == before
