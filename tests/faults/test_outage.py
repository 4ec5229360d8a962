"""A directory that stops, restarts or hangs: 503 in bounded time, then
recovery without restarting the bridge."""

import asyncio
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient

from tests.support import Stack

from .conftest import (
    CONNECT_TIMEOUT,
    OPERATION_TIMEOUT,
    RETRY_AFTER,
    MakeClient,
    fault_settings,
)
from .support import (
    ERROR_SCHEMA,
    client_connections,
    create_user,
    paused,
    send,
    timed,
    user_body,
)

BOUND = OPERATION_TIMEOUT + CONNECT_TIMEOUT + 0.5
"""Longest a request may take when the directory is down or hung."""

UNAVAILABLE = {
    "schemas": [ERROR_SCHEMA],
    "status": "503",
    "detail": "The directory is unavailable; retry later",
}


Answer = tuple[int, str | None, object, float]


async def _answer(
    http: TestClient, method: str, path: str, body: object = None
) -> Answer:
    """Status, Retry-After, body and seconds taken of one request."""
    with timed() as watch:
        response = await send(http, method, path, body)
        payload = await response.json(content_type=None)
    return response.status, response.headers.get("Retry-After"), payload, watch.elapsed


def _port(uri: str) -> int:
    port = urlsplit(uri).port
    assert port is not None
    return port


async def test_a_stopped_directory_answers_503_with_retry_after_quickly(
    stack: Stack, make_client: MakeClient
) -> None:
    """GET and POST against a stopped slapd end in 503 + Retry-After, fast."""
    http = await make_client(stack, fault_settings(stack))
    user = await create_user(http, "before.stop")
    stack.slapd.stop()

    got = await _answer(http, "GET", f"/Users/{user['id']}")
    posted = await _answer(http, "POST", "/Users", user_body("during.stop"))

    for status, retry_after, payload, elapsed in (got, posted):
        assert (status, retry_after, payload) == (503, str(RETRY_AFTER), UNAVAILABLE)
        assert elapsed < BOUND


async def test_readiness_fails_while_liveness_stays_up_when_slapd_is_down(
    stack: Stack, make_client: MakeClient
) -> None:
    """/readyz is 503 (with the configured Retry-After) and /healthz 200
    while the directory is stopped."""
    http = await make_client(stack, fault_settings(stack))
    stack.slapd.stop()

    ready = await http.get("/readyz")
    live = await http.get("/healthz")

    assert (ready.status, await ready.json()) == (503, {"status": "not ready"})
    assert ready.headers["Retry-After"] == str(RETRY_AFTER)
    assert (live.status, await live.json()) == (200, {"status": "live"})


async def test_readiness_returns_when_slapd_comes_back(
    stack: Stack, make_client: MakeClient
) -> None:
    """/readyz turns 200 again once slapd is started, with no bridge restart."""
    http = await make_client(stack, fault_settings(stack))
    stack.slapd.stop()
    down = await http.get("/readyz")
    stack.slapd.start()

    up = await http.get("/readyz")

    assert (down.status, up.status) == (503, 200)


async def test_the_first_request_after_a_restart_succeeds_on_every_stale_connection(
    stack: Stack, make_client: MakeClient
) -> None:
    """After slapd restarts, each pooled (now dead) connection is replaced
    on use: every request succeeds, the first one included."""
    pool_size = 4
    http = await make_client(stack, fault_settings(stack, pool_size=pool_size))
    user = await create_user(http, "survives.restart")
    await asyncio.gather(*(http.get("/readyz") for _ in range(4 * pool_size)))
    warm = client_connections(_port(stack.slapd.uri))
    stack.slapd.restart()

    statuses = []
    for _ in range(2 * pool_size):
        response = await send(http, "GET", f"/Users/{user['id']}")
        statuses.append(response.status)

    assert warm == pool_size
    assert statuses == [200] * (2 * pool_size)


async def test_writes_after_a_restart_land_once_on_every_stale_connection(
    stack: Stack, make_client: MakeClient
) -> None:
    """Writes are never retried, so a dead pooled connection must be
    noticed before use: every POST after a restart is 201, stored once."""
    pool_size = 3
    http = await make_client(stack, fault_settings(stack, pool_size=pool_size))
    await asyncio.gather(*(http.get("/readyz") for _ in range(4 * pool_size)))
    warm = client_connections(_port(stack.slapd.uri))
    stack.slapd.restart()

    names = [f"after.restart.{n}" for n in range(2 * pool_size)]
    statuses = [
        (await send(http, "POST", "/Users", user_body(name))).status for name in names
    ]
    listed = await send(http, "GET", '/Users?filter=userName sw "after.restart."')

    assert warm == pool_size
    assert statuses == [201] * len(names)
    assert (await listed.json())["totalResults"] == len(names)


async def test_a_hung_directory_answers_503_within_the_timeout(
    stack: Stack, make_client: MakeClient
) -> None:
    """With slapd frozen (SIGSTOP), reads and writes end in 503 in time."""
    http = await make_client(stack, fault_settings(stack, pool_size=2))
    user = await create_user(http, "before.pause")
    with paused(stack.slapd):
        got = await _answer(http, "GET", f"/Users/{user['id']}")
        posted = await _answer(http, "POST", "/Users", user_body("during.pause"))
        ready = await http.get("/readyz")

    for status, retry_after, payload, elapsed in (got, posted):
        assert (status, retry_after, payload) == (503, str(RETRY_AFTER), UNAVAILABLE)
        assert elapsed < BOUND
    assert ready.status == 503


async def test_requests_succeed_again_after_a_hung_directory_resumes(
    stack: Stack, make_client: MakeClient
) -> None:
    """Once slapd runs again, the bridge answers without a restart."""
    http = await make_client(stack, fault_settings(stack, pool_size=2))
    user = await create_user(http, "across.pause")
    with paused(stack.slapd):
        frozen = await send(http, "GET", f"/Users/{user['id']}")

    statuses = [
        (await send(http, "GET", f"/Users/{user['id']}")).status for _ in range(4)
    ]

    assert frozen.status == 503
    assert statuses == [200, 200, 200, 200]
