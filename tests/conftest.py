"""Session fixtures: one slapd per mapping profile, a bridge per test."""

from collections.abc import Iterator

import pytest

from tests.support import Stack, new_token, start_stack


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
async def client(aiohttp_client, general_stack: Stack, token: str):  # noqa: ANN001, ANN201
    """A test client on 127.0.0.1 in front of the general-profile slapd."""
    app = general_stack.app(token)
    http = await aiohttp_client(app)
    http.session.headers["Authorization"] = f"Bearer {token}"
    return http


@pytest.fixture
async def records_client(aiohttp_client, records_stack: Stack, token: str):  # noqa: ANN001, ANN201
    app = records_stack.app(token)
    http = await aiohttp_client(app)
    http.session.headers["Authorization"] = f"Bearer {token}"
    return http
