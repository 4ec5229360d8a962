"""One bridge client per module, so that arranged resources and hypothesis
examples share it (a function-scoped client would be rebuilt each time)."""

from collections.abc import AsyncIterator

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from tests.badinput.support import Client
from tests.support import Stack, new_token


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bridge(general_stack: Stack) -> AsyncIterator[Client]:
    """A client with a fresh token in front of the general-profile slapd."""
    token = new_token()
    async with TestClient(TestServer(general_stack.app(token))) as http:
        http.session.headers["Authorization"] = f"Bearer {token}"
        yield http
