"""Session fixtures: one slapd per mapping profile, a bridge per test."""

from collections.abc import Iterator

import pytest
from blockbuster import blockbuster_ctx

from tests.support import Stack, new_token, start_stack


@pytest.fixture(autouse=True)
def no_blocking_calls_in_the_bridge() -> Iterator[None]:
    """Fail any blocking call the bridge makes on the event loop.

    ldap3 must only run in the directory layer's thread pool; the tests
    themselves may block (they inspect slapd with plain ldap3 calls).
    """
    with blockbuster_ctx(
        ["bridge"], excluded_modules=["bridge.slapd", "bridge.demo"]
    ) as bb:
        # The first warning of a kind reads its source line (linecache
        # stats the file): the warnings machinery, not the bridge's I/O.
        bb.functions["os.stat"].can_block_in(
            "linecache.py", {"checkcache", "updatecache"}
        )
        yield


@pytest.fixture(scope="session")
def general_stack() -> Iterator[Stack]:
    with start_stack("inetorgperson") as stack:
        yield stack


@pytest.fixture(scope="session")
def records_stack() -> Iterator[Stack]:
    with start_stack("records") as stack:
        yield stack


@pytest.fixture
def token() -> str:
    return new_token()


@pytest.fixture
async def client(aiohttp_client, general_stack: Stack, token: str):
    """A test client on 127.0.0.1 in front of the general-profile slapd."""
    app = general_stack.app(token)
    http = await aiohttp_client(app)
    http.session.headers["Authorization"] = f"Bearer {token}"
    return http


@pytest.fixture
async def records_client(aiohttp_client, records_stack: Stack, token: str):
    app = records_stack.app(token)
    http = await aiohttp_client(app)
    http.session.headers["Authorization"] = f"Bearer {token}"
    return http
