"""POST .search (RFC 7644 §3.4.3) per resource type and at the root, and
the $ref the bridge writes beside each referenced id (RFC 7643 §4.2)."""

import json
import uuid
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.integration.test_entra_support import (
    ENTERPRISE,
    ERROR,
    LIST,
    add_members,
    create_group,
    create_user,
    entra_group,
    entra_user,
    patch,
    read,
    scim_body,
    tag,
)
from tests.support import JSON, SCIM

Client = TestClient[web.Request, web.Application]

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


async def _search(client: Client, path: str, **members: Any) -> tuple[int, Any]:
    body = {"schemas": [SEARCH], **members}
    response = await client.post(
        f"{SCIM}{path}/.search", data=json.dumps(body), headers=JSON
    )
    return response.status, await scim_body(response)


async def _post(client: Client, endpoint: str, body: dict[str, Any]) -> Any:
    response = await client.post(
        f"{SCIM}/{endpoint}", data=json.dumps(body), headers=JSON
    )
    assert response.status == 201, await response.text()
    return await scim_body(response)


async def _pair(client: Client) -> tuple[str, Any, Any]:
    """A user and a group that share one new externalId."""
    shared = str(uuid.uuid4())
    user = await _post(
        client, "Users", entra_user(f"u{tag()}") | {"externalId": shared}
    )
    group = await _post(
        client, "Groups", entra_group(f"G {tag()}") | {"externalId": shared}
    )
    return shared, user, group


async def test_a_search_body_finds_what_the_same_get_query_finds(
    client: Client,
) -> None:
    """POST /Users/.search takes filter and attributes as JSON members."""
    user = await create_user(client)

    status, body = await _search(
        client,
        "/Users",
        filter=f'userName eq "{user["userName"]}"',
        attributes=["userName"],
    )

    assert status == 200
    assert body["schemas"] == [LIST]
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == user["id"]
    assert set(body["Resources"][0]) == {"schemas", "id", "userName"}


async def test_a_root_search_lists_every_type_users_first(client: Client) -> None:
    """POST /.search covers Users and Groups in one list."""
    shared, user, group = await _pair(client)

    status, body = await _search(client, "", filter=f'externalId eq "{shared}"')

    assert status == 200
    assert [r["id"] for r in body["Resources"]] == [user["id"], group["id"]]
    assert (body["totalResults"], body["itemsPerPage"]) == (2, 2)


async def test_a_root_search_pages_across_types(client: Client) -> None:
    """startIndex and count apply to the list of both types together."""
    shared, _, group = await _pair(client)

    status, body = await _search(
        client, "", filter=f'externalId eq "{shared}"', startIndex=2, count=1
    )

    assert status == 200
    assert [r["id"] for r in body["Resources"]] == [group["id"]]
    assert (body["totalResults"], body["startIndex"]) == (2, 2)


async def test_a_root_filter_on_a_user_attribute_selects_no_group(
    client: Client,
) -> None:
    """Groups store no userName: such a filter selects users only."""
    user = await create_user(client)

    status, body = await _search(client, "", filter=f'userName eq "{user["userName"]}"')

    assert status == 200
    assert [r["id"] for r in body["Resources"]] == [user["id"]]


async def test_a_root_filter_no_type_can_read_is_invalid_filter(client: Client) -> None:
    """Only a filter that every type refuses is refused."""
    status, body = await _search(client, "", filter='nickName eq "x"')

    assert (status, body["scimType"], body["schemas"]) == (
        400,
        "invalidFilter",
        [ERROR],
    )


async def test_a_search_body_of_another_message_is_invalid_syntax(
    client: Client,
) -> None:
    """A resource posted to .search by mistake is not read as a query."""
    response = await client.post(
        f"{SCIM}/Users/.search", data=json.dumps(entra_user("x")), headers=JSON
    )
    body = await scim_body(response)

    assert (response.status, body["scimType"]) == (400, "invalidSyntax")


async def test_search_members_of_the_wrong_type_are_invalid_syntax(
    client: Client,
) -> None:
    """attributes is a list of names, count an integer (RFC 7644 §3.4.3)."""
    first, _ = await _search(client, "/Users", attributes="userName")
    second, body = await _search(client, "/Groups", count=True)

    assert (first, second, body["detail"]) == (400, 400, "count must be an integer")


async def test_members_carry_the_ref_of_the_user_they_name(client: Client) -> None:
    """A member's $ref is the location of the user (RFC 7643 §4.2)."""
    user = await create_user(client)
    group = await create_group(client)
    await add_members(client, group["id"], user["id"])

    shown = await read(client, f"Groups/{group['id']}")

    assert shown["members"] == [{"value": user["id"], "$ref": user["meta"]["location"]}]


async def test_a_manager_carries_the_ref_of_the_user_it_names(client: Client) -> None:
    """The enterprise manager's $ref is the manager's location."""
    boss = await create_user(client)
    user = await create_user(client)
    operation = {"op": "add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]}

    response = await patch(client, f"Users/{user['id']}", operation)
    body = await scim_body(response)

    assert response.status == 200
    assert body[ENTERPRISE]["manager"] == {
        "value": boss["id"],
        "$ref": boss["meta"]["location"],
    }


@pytest.mark.parametrize(
    "name", ["filter", "sortBy", "sortOrder", "startIndex", "count"]
)
async def test_a_single_valued_parameter_given_twice_is_refused(
    client: Client, name: str
) -> None:
    """Two filters (or two counts) in one URL are ambiguous: 400 naming the
    parameter, rather than silently using one of them."""
    values = {
        "filter": ('userName eq "a"', 'userName eq "b"'),
        "sortBy": ("userName", "title"),
        "sortOrder": ("ascending", "descending"),
        "startIndex": ("1", "2"),
        "count": ("1", "2"),
    }[name]

    response = await client.get(
        f"{SCIM}/Users", params=[(name, value) for value in values]
    )

    body = await response.json()
    assert (response.status, body["scimType"]) == (400, "invalidValue")
    assert body["detail"] == f"{name} is given 2 times; send it once"
