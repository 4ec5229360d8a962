"""startIndex/count paging (RFC 7644 §3.4.2.4) over small and large results."""

import uuid

import pytest
from aiohttp.test_utils import TestClient

from tests.support import SCIM, Stack

POPULATION = 1050  # above the size the bridge reads whole in one search


def _load(stack: Stack, tag: str) -> list[str]:
    """Users added straight into slapd, shaped as the bridge writes them."""
    admin = stack.admin()
    classes = list(stack.mapping.users.object_classes)
    for n in range(POPULATION):
        name = f"p{n:04d}-{tag}"
        admin.add(
            f"uid={name},{stack.mapping.users.base}",
            classes,
            {"uid": name, "sn": name, "cn": name, "title": tag},
        )
    admin.search(stack.mapping.users.base, f"(title={tag})", attributes=["entryUUID"])
    return sorted(str(e.entryUUID) for e in admin.entries)


@pytest.fixture(scope="module")
def large(general_stack: Stack) -> tuple[str, list[str]]:
    """One population for the module: the tests only read it."""
    tag = uuid.uuid4().hex[:10]
    return tag, _load(general_stack, tag)


async def _page(client: TestClient, tag: str, start: int, count: int) -> dict:
    params = {
        "filter": f'title eq "{tag}"',
        "startIndex": str(start),
        "count": str(count),
    }
    response = await client.get(f"{SCIM}/Users", params=params)
    assert response.status == 200
    return await response.json(content_type=None)


async def test_pages_of_a_large_result_are_windows_of_the_id_order(
    client: TestClient, large: tuple[str, list[str]]
) -> None:
    """Past 1,000 matches, pages still cut one stable order, totals exact."""
    tag, ids = large

    body = await _page(client, tag, 1001, 10)

    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (
        POPULATION,
        1001,
        10,
    )
    assert [r["id"] for r in body["Resources"]] == ids[1000:1010]


async def test_count_zero_gives_the_total_and_no_resources(
    client: TestClient, large: tuple[str, list[str]]
) -> None:
    """count=0 answers totalResults alone (RFC 7644 §3.4.2.4)."""
    tag, _ = large

    body = await _page(client, tag, 1, 0)

    assert (body["totalResults"], body["Resources"]) == (POPULATION, [])


async def test_the_last_page_is_short_and_past_the_end_is_empty(
    client: TestClient, large: tuple[str, list[str]]
) -> None:
    """A window past the last match is empty, never an error."""
    tag, ids = large

    last = await _page(client, tag, POPULATION - 4, 10)
    beyond = await _page(client, tag, POPULATION + 5, 10)

    assert [r["id"] for r in last["Resources"]] == ids[-5:]
    assert (beyond["totalResults"], beyond["Resources"]) == (POPULATION, [])


async def test_attributes_and_excluded_attributes_together_are_refused(
    client: TestClient,
) -> None:
    """The two projections are alternatives: 400 invalidValue, never a 500."""
    params = {"attributes": "id", "excludedAttributes": "title"}

    response = await client.get(f"{SCIM}/Users", params=params)

    body = await response.json(content_type=None)
    assert (response.status, body["scimType"]) == (400, "invalidValue")


async def test_an_upper_cased_id_names_no_resource(client: TestClient) -> None:
    """Ids are case-exact: GET by an upper-cased id is 404, as `id eq` is empty."""
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"case-{uuid.uuid4().hex[:8]}",
        "active": True,
    }
    created = await (await client.post(f"{SCIM}/Users", json=body)).json(
        content_type=None
    )

    response = await client.get(f"{SCIM}/Users/{created['id'].upper()}")

    assert response.status == 404


async def test_an_upper_cased_member_id_names_no_user(client: TestClient) -> None:
    """Member ids are case-exact too: 400 naming the id, nothing changed."""
    user = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"m-{uuid.uuid4().hex[:8]}",
        "active": True,
    }
    group = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": f"g-{uuid.uuid4().hex[:8]}",
    }
    uid = (
        await (await client.post(f"{SCIM}/Users", json=user)).json(content_type=None)
    )["id"]
    gid = (
        await (await client.post(f"{SCIM}/Groups", json=group)).json(content_type=None)
    )["id"]
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "add", "path": "members", "value": [{"value": uid.upper()}]}
        ],
    }

    response = await client.patch(f"{SCIM}/Groups/{gid}", json=patch)
    members = (
        await (await client.get(f"{SCIM}/Groups/{gid}")).json(content_type=None)
    ).get("members")

    body = await response.json(content_type=None)
    assert (response.status, body["scimType"], uid.upper() in body["detail"]) == (
        400,
        "invalidValue",
        True,
    )
    assert members is None


def test_a_projection_reads_only_the_ldap_attributes_it_returns(
    general_stack: Stack,
) -> None:
    """attributes=userName asks slapd for uid (and bookkeeping), not mail."""
    from bridge.scim.query import Projection
    from bridge.service.context import read_attributes

    users = general_stack.mapping.users

    names = read_attributes(users, members=False, wants=Projection(("userName",)).wants)

    assert "uid" in names and "mail" not in names and "entryUUID" in names
