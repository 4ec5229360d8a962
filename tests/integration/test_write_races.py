"""Writes that race a rename of their entry still find it (by id)."""

import asyncio
import uuid

from tests.support import SCIM

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _rename(name: str) -> dict:
    return {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "userName", "value": name}],
    }


async def _user(client) -> str:
    body = {
        "schemas": [CORE],
        "userName": f"race-{uuid.uuid4().hex[:8]}",
        "active": True,
    }
    return (
        await (await client.post(f"{SCIM}/Users", json=body)).json(content_type=None)
    )["id"]


async def test_a_delete_racing_a_rename_deletes_the_user(client) -> None:
    """DELETE never answers 404 for a user a racing rename just moved."""
    for _ in range(5):
        ident = await _user(client)

        renamed, deleted = await asyncio.gather(
            client.patch(
                f"{SCIM}/Users/{ident}", json=_rename(f"moved-{uuid.uuid4().hex[:8]}")
            ),
            client.delete(f"{SCIM}/Users/{ident}"),
        )
        after = await client.get(f"{SCIM}/Users/{ident}")

        assert deleted.status == 204
        assert renamed.status in (200, 404)
        assert after.status == 404


async def test_concurrent_renames_of_one_user_all_land(client) -> None:
    """Ten renames at once: each answers 200; the user ends with one of them."""
    ident = await _user(client)
    names = [f"r{n}-{uuid.uuid4().hex[:8]}" for n in range(10)]

    answers = await asyncio.gather(
        *(client.patch(f"{SCIM}/Users/{ident}", json=_rename(n)) for n in names)
    )
    final = (await (await client.get(f"{SCIM}/Users/{ident}")).json(content_type=None))[
        "userName"
    ]

    assert [a.status for a in answers] == [200] * 10
    assert final in names
