"""sortBy/sortOrder are evaluated by slapd's server-side sort (sssvlv)."""

import json
import uuid

from tests.support import JSON, SCIM

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


async def _population(client, names: list[str]) -> str:
    tag = uuid.uuid4().hex[:8]
    for name in names:
        body = {
            "schemas": [CORE],
            "userName": f"{name}-{tag}",
            "active": True,
            "title": tag,
            "displayName": name,
        }
        response = await client.post(
            f"{SCIM}/Users", data=json.dumps(body), headers=JSON
        )
        assert response.status == 201
    return tag


async def _names(client, params: dict[str, str]) -> tuple[int, list[str]]:
    response = await client.get(f"{SCIM}/Users", params=params)
    body = await response.json(content_type=None)
    return body["totalResults"], [item["displayName"] for item in body["Resources"]]


async def test_sort_by_display_name_descending_ignores_case(client) -> None:
    """Directory String attributes sort with caseIgnoreOrderingMatch."""
    tag = await _population(client, ["carol", "Alice", "bob"])

    total, names = await _names(
        client,
        {
            "filter": f'title eq "{tag}"',
            "sortBy": "displayName",
            "sortOrder": "descending",
        },
    )

    assert (total, names) == (3, ["carol", "bob", "Alice"])


async def test_sorted_pages_are_windows_of_the_sorted_whole(client) -> None:
    """startIndex and count cut the sorted result; totalResults counts all."""
    tag = await _population(client, ["d", "b", "e", "a", "c"])

    total, names = await _names(
        client,
        {
            "filter": f'title eq "{tag}"',
            "sortBy": "userName",
            "startIndex": "2",
            "count": "2",
        },
    )

    assert (total, names) == (5, ["b", "c"])


async def test_sort_by_an_attribute_without_ordering_is_refused(client) -> None:
    """mail (IA5) has no ordering rule to borrow: 400, not a silent order."""
    response = await client.get(f"{SCIM}/Users", params={"sortBy": "emails.value"})

    body = await response.json(content_type=None)
    assert (response.status, body["scimType"]) == (400, "invalidValue")
