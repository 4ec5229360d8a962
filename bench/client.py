"""The SCIM side: Entra's initial cycle replayed over HTTP at a concurrency.

Each user is an existence GET then a POST (``entra-client.md`` §4.2, §4.3);
each group is a match GET, a POST without members, then member-add PATCHes
of at most ``patch_size`` ids (§4.8, §4.9). ``concurrency`` workers share
one connection pool of as many keep-alive connections, as Entra's
provisioning threads would.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from .stats import Latencies, Phase
from .workload import (
    Population,
    chunks,
    group_filter_path,
    patch_body,
    user_filter_path,
)

__all__ = ["ScimClient", "replay_groups", "replay_users"]

SCIM_JSON = "application/scim+json"


class RequestFailed(RuntimeError):
    """A request got another status than the replay expects."""


@dataclass
class ScimClient:
    """An aiohttp session against one SCIM base URL, timing every request."""

    session: aiohttp.ClientSession
    base: str

    async def call(
        self,
        latencies: Latencies,
        label: str,
        method: str,
        path: str,
        body: bytes | None,
        expect: int,
    ) -> Any:
        """Send one request; record its latency; return the JSON answer."""
        started = time.perf_counter()
        async with self.session.request(method, self.base + path, data=body) as answer:
            raw = await answer.read()
        latencies.add(label, time.perf_counter() - started)
        if answer.status != expect:
            raise RequestFailed(
                f"{method} {path}: {answer.status}, expected {expect}: {raw[:300]!r}"
            )
        return json.loads(raw) if raw else None


def session(token: str, concurrency: int) -> aiohttp.ClientSession:
    """A session with the bearer token and one connection per worker."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON}
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    return aiohttp.ClientSession(headers=headers, connector=connector)


async def in_workers(
    count: int, items: int, work: Callable[[int], Awaitable[None]]
) -> None:
    """Run ``work(i)`` for every ``i < items`` on ``count`` workers."""
    cursor = iter(range(items))

    async def worker() -> None:
        for index in cursor:
            await work(index)

    await asyncio.gather(*(worker() for _ in range(count)))


async def replay_users(
    client: ScimClient, population: Population, concurrency: int, phase: Phase
) -> list[str]:
    """Existence GET then POST for every user; returns the ids, in order."""
    ids = [""] * population.users
    bodies = population.user_json

    async def one(index: int) -> None:
        found = await client.call(
            phase.latencies,
            "GET /Users?filter",
            "GET",
            user_filter_path(population.user_name(index)),
            None,
            200,
        )
        if found["totalResults"] != 0:
            raise RequestFailed(f"user {index} exists before its POST")
        created = await client.call(
            phase.latencies, "POST /Users", "POST", "/Users", bodies[index], 201
        )
        ids[index] = created["id"]

    with phase.clock():
        await in_workers(concurrency, population.users, one)
    return ids


async def replay_groups(
    client: ScimClient,
    population: Population,
    user_ids: list[str],
    concurrency: int,
    patch_size: int,
    phase: Phase,
) -> list[str]:
    """Match GET, POST, then member PATCHes for every group; returns ids."""
    ids = [""] * population.groups

    async def one(index: int) -> None:
        body = population.group(index)
        found = await client.call(
            phase.latencies,
            "GET /Groups?filter",
            "GET",
            group_filter_path(body["displayName"]),
            None,
            200,
        )
        if found["totalResults"] != 0:
            raise RequestFailed(f"group {index} exists before its POST")
        created = await client.call(
            phase.latencies,
            "POST /Groups",
            "POST",
            "/Groups",
            json.dumps(body).encode(),
            201,
        )
        ids[index] = created["id"]
        members = [user_ids[u] for u in population.members_of(index)]
        for part in chunks(members, patch_size):
            await client.call(
                phase.latencies,
                "PATCH /Groups members",
                "PATCH",
                f"/Groups/{created['id']}",
                json.dumps(patch_body(part)).encode(),
                204,
            )

    with phase.clock():
        await in_workers(concurrency, population.groups, one)
    return ids
