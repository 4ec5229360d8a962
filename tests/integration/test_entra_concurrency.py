"""Entra's parallel requests: nothing lost, and one winner per name.

``entra-client.md`` §4.9 and §7: several membership PATCHes for one group
may run at once, so member changes are value adds and deletes, never a
rewrite of the list; two creates of one userName race into one 201.
"""

import asyncio
import json

from tests.integration.test_entra_support import (
    add_members,
    create_group,
    create_user,
    entra_group,
    entra_user,
    member_dns,
    patch,
    tag,
    user_dn,
)
from tests.support import JSON, SCIM


def _dns(*users: dict) -> list[str]:
    return sorted(user_dn(u["userName"]).lower() for u in users)


async def test_parallel_member_adds_on_one_group_lose_nothing(client, general_stack):
    """Ten PATCHes adding one member each, all at once: ten members."""
    users = [await create_user(client) for _ in range(10)]
    group = await create_group(client)

    await asyncio.gather(*(add_members(client, group["id"], u["id"]) for u in users))

    assert member_dns(general_stack, group["displayName"]) == _dns(*users)


async def test_parallel_adds_and_removes_on_one_group(client, general_stack):
    """Removes of some members racing adds of others: each one applies."""
    leaving = [await create_user(client) for _ in range(5)]
    joining = [await create_user(client) for _ in range(5)]
    group = await create_group(client)
    await add_members(client, group["id"], *(u["id"] for u in leaving))
    removes = [
        patch(
            client,
            f"Groups/{group['id']}",
            {"op": "remove", "path": f'members[value eq "{u["id"]}"]'},
        )
        for u in leaving
    ]
    adds = [add_members(client, group["id"], u["id"]) for u in joining]

    results = await asyncio.gather(*removes, *adds)

    assert [r.status for r in results[: len(removes)]] == [204] * len(removes)
    assert member_dns(general_stack, group["displayName"]) == _dns(*joining)


async def _post_many(client, endpoint: str, bodies: list[dict]) -> list[int]:
    responses = await asyncio.gather(
        *(
            client.post(f"{SCIM}/{endpoint}", data=json.dumps(b), headers=JSON)
            for b in bodies
        )
    )
    return sorted(r.status for r in responses)


async def test_parallel_posts_of_one_username_make_one_user(client):
    """Racing creates of one userName: one 201, every other one 409."""
    name = f"race{tag()}"
    bodies = [entra_user(name) | {"externalId": f"{name}-{i}"} for i in range(5)]

    statuses = await _post_many(client, "Users", bodies)

    assert statuses == [201, 409, 409, 409, 409]


async def test_parallel_posts_of_one_group_name_make_one_group(client):
    """Racing creates of one displayName: one 201, every other one 409."""
    name = f"Race {tag()}"

    statuses = await _post_many(client, "Groups", [entra_group(name) for _ in range(5)])

    assert statuses == [201, 409, 409, 409, 409]


async def test_parallel_renames_onto_one_username_make_one_winner(client):
    """Users renamed at once onto one free userName: one 200, then 409s."""
    users = [await create_user(client) for _ in range(5)]
    rename = {
        "op": "Replace",
        "path": "userName",
        "value": f"contested.{tag()}@example.org",
    }

    responses = await asyncio.gather(
        *(patch(client, f"Users/{u['id']}", rename) for u in users)
    )

    assert sorted(r.status for r in responses) == [200, 409, 409, 409, 409]
