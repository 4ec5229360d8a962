"""Several LDAP URIs: when one is gone or silent, requests use the next."""

import asyncio
from collections.abc import Iterator

import ldap3
import pytest

from bridge.slapd import LocalSlapd
from tests.support import Stack

from .conftest import OPERATION_TIMEOUT, MakeClient, fault_settings
from .support import closed_port, create_user, paused, send, timed, user_body

SLACK = 0.5
"""Seconds of scheduling and slapd work allowed on top of a timeout."""


@pytest.fixture
def second(stack: Stack) -> Iterator[LocalSlapd]:
    """Another slapd built from the same spec: same accounts, no data."""
    with LocalSlapd(stack.slapd.spec) as server:
        yield server


def _uids(server: LocalSlapd, stack: Stack) -> list[str]:
    """Every uid under the people unit of one slapd (read as root)."""
    conn = ldap3.Connection(
        ldap3.Server(server.uri),
        server.root_dn,
        server.root_password,
        auto_bind=True,
        raise_exceptions=True,
    )
    conn.search(stack.mapping.users.base, "(uid=*)", attributes=["uid"])
    return sorted(str(entry.uid) for entry in conn.entries)


async def test_a_uri_where_nothing_listens_is_skipped(
    stack: Stack, make_client: MakeClient
) -> None:
    """With a dead first URI, requests go to the second and succeed."""
    uris = [f"ldap://127.0.0.1:{closed_port()}", stack.slapd.uri]
    http = await make_client(stack, fault_settings(stack, uris=uris))

    with timed() as watch:
        user = await create_user(http, "past.dead.uri")
        got = await send(http, "GET", f"/Users/{user['id']}")

    assert got.status == 200
    assert watch.elapsed < SLACK


async def test_requests_move_to_the_next_directory_when_the_first_stops(
    stack: Stack, second: LocalSlapd, make_client: MakeClient
) -> None:
    """Stopping the first of two slapds sends reads and writes to the other."""
    settings = fault_settings(stack, uris=[stack.slapd.uri, second.uri], pool_size=2)
    http = await make_client(stack, settings)
    await create_user(http, "on.first")
    stack.slapd.stop()

    posted = await send(http, "POST", "/Users", user_body("on.second"))
    found = await send(http, "GET", '/Users?filter=userName eq "on.second"')
    ready = await http.get("/readyz")

    assert (posted.status, found.status, ready.status) == (201, 200, 200)
    assert (await found.json())["totalResults"] == 1
    assert _uids(second, stack) == ["on.second"]


async def test_requests_move_to_the_next_directory_when_the_first_hangs(
    stack: Stack, second: LocalSlapd, make_client: MakeClient
) -> None:
    """A frozen first slapd costs one timeout, then everything uses the other."""
    settings = fault_settings(stack, uris=[stack.slapd.uri, second.uri], pool_size=2)
    http = await make_client(stack, settings)
    await asyncio.gather(*(http.get("/readyz") for _ in range(8)))

    with paused(stack.slapd):
        with timed() as read:
            found = await send(http, "GET", '/Users?filter=userName eq "x"')
        with timed() as write:
            posted = await send(http, "POST", "/Users", user_body("during.hang"))

    assert (found.status, posted.status) == (200, 201)
    assert read.elapsed < OPERATION_TIMEOUT + SLACK
    assert write.elapsed < SLACK
    assert _uids(second, stack) == ["during.hang"]
