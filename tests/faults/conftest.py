"""Fixtures for fault tests: a private slapd per test, a bridge with short
timeouts in front of it, and helpers to create resources through SCIM.

Fault tests stop, pause and restart slapd, so none of them may touch the
session-wide ``general_stack`` other tests share.
"""

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bridge.config import DirectorySettings, Limits, Settings
from bridge.directory.client import Directory
from bridge.web.app import create_app
from tests.support import Stack, start_stack

OPERATION_TIMEOUT = 1.0
"""Seconds one LDAP operation may take in these tests."""

CONNECT_TIMEOUT = 1.0
"""Seconds to open a connection to one URI in these tests."""

RETRY_AFTER = 7
"""An unusual Retry-After, so a test sees that the setting is used."""

MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def stack() -> Iterator[Stack]:
    """A slapd of this test's own, free to stop, pause and restart."""
    with start_stack("inetorgperson") as private:
        yield private


@pytest.fixture(scope="module")
def module_stack() -> Iterator[Stack]:
    """A slapd for one test module that never stops it (races, security)."""
    with start_stack("inetorgperson") as private:
        yield private


def fault_settings(
    stack: Stack,
    *,
    uris: list[str] | None = None,
    limits: Limits | None = None,
    **directory: Any,
) -> Settings:
    """Settings with short timeouts against ``stack`` (or other URIs)."""
    values: dict[str, Any] = {
        "uris": uris or [stack.slapd.uri],
        "bind_dn": stack.writer.dn,
        "operation_timeout": OPERATION_TIMEOUT,
        "connect_timeout": CONNECT_TIMEOUT,
        "retry_after": RETRY_AFTER,
    }
    values.update(directory)
    return Settings(directory=DirectorySettings(**values), limits=limits or Limits())


@pytest.fixture
def make_client(aiohttp_client: Any, token: str) -> MakeClient:
    """Build a test client for a bridge with the given settings."""

    async def make(
        stack: Stack,
        settings: Settings,
        *,
        password: str | None = None,
        tokens: list[str] | None = None,
        server_kwargs: dict[str, Any] | None = None,
    ) -> TestClient:
        secret = stack.writer.password if password is None else password
        app = create_app(
            settings,
            stack.mapping,
            tokens or [token],
            lambda: Directory(settings.directory, secret),
            kinds=stack.kinds,
        )
        # aiohttp's TestServer drops keyword arguments given to it; the
        # request handler only gets those passed to start_server.
        server = TestServer(app)
        await server.start_server(**(server_kwargs or {}))
        http: TestClient = await aiohttp_client(server)
        http.session.headers["Authorization"] = f"Bearer {token}"
        return http

    return make
