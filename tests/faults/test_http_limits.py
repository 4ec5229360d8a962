"""HTTP limits: oversized bodies and headers are refused, and a client
that is slow to send its request is disconnected."""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bridge.config import Limits
from bridge.web.server import server_options
from tests.support import JSON, SCIM, Stack, new_token

from .conftest import MakeClient, fault_settings
from .support import ERROR_SCHEMA, cli_env, serve, user_body, write_config

REQUEST_TIMEOUT = 1.0
"""limits.request_timeout in these tests, in seconds."""
SLACK = 2.5
"""How late past the timeout a cut may come on a loaded machine; without
the limit a dribbling client would hold on for ever."""

TOO_LARGE = {
    "schemas": [ERROR_SCHEMA],
    "status": "413",
    "detail": "The body is larger than 2048 bytes",
}


@pytest.fixture
async def http(module_stack: Stack, make_client: MakeClient) -> TestClient:
    """A bridge served with the options ``serve`` uses, tight limits."""
    limits = Limits(max_body_bytes=2048, request_timeout=REQUEST_TIMEOUT)
    settings = fault_settings(module_stack, limits=limits)
    return await make_client(
        module_stack, settings, server_kwargs=server_options(settings)
    )


def _big_user() -> bytes:
    return json.dumps(user_body("big.body", displayName="x" * 4096)).encode()


async def _exchange(port: int, request: bytes) -> bytes:
    """Send raw bytes, then read the whole answer until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), timeout=5)
    finally:
        writer.close()


async def _wait_out(
    port: int, first: bytes, drip: bytes, limit: float = 5
) -> tuple[float, bytes]:
    """Send ``first``, then ``drip`` every 0.2 s, until the server answers
    or hangs up; the seconds that took, and the answer (b"" for a hang-up)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(first)
    answer = b""
    try:
        while time.monotonic() - started < limit:
            try:
                answer = await asyncio.wait_for(reader.read(1024), timeout=0.2)
                break
            except TimeoutError:
                writer.write(drip)
    finally:
        writer.close()
    return time.monotonic() - started, answer


async def test_a_body_over_the_limit_is_413(http: TestClient) -> None:
    """A declared Content-Length over max_body_bytes: 413 tooLarge."""
    response = await http.post(f"{SCIM}/Users", data=_big_user(), headers=JSON)

    assert response.status == 413
    assert await response.json() == TOO_LARGE


async def test_a_chunked_body_over_the_limit_is_413(http: TestClient) -> None:
    """No Content-Length, chunks adding up past the limit: 413 too."""

    async def chunks() -> AsyncIterator[bytes]:
        body = _big_user()
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    response = await http.post(f"{SCIM}/Users", data=chunks(), headers=JSON)

    assert response.status == 413
    assert await response.json() == TOO_LARGE


async def test_a_header_line_over_8190_bytes_is_refused(http: TestClient) -> None:
    """aiohttp's line limit: 400 and the connection closed."""
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"

    answer = await _exchange(http.port, request)

    assert answer.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")


async def test_more_than_128_headers_are_refused(http: TestClient) -> None:
    """aiohttp's header count limit: 400."""
    headers = b"".join(b"X-%d: 1\r\n" % n for n in range(200))

    answer = await _exchange(
        http.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    )

    assert answer.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")


async def test_a_refused_oversized_token_header_is_logged_without_it(
    http: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A malformed request is one INFO line naming the error class: no
    traceback and none of the offending bytes (a token, here)."""
    caplog.set_level(logging.DEBUG)
    token = new_token()
    request = (
        b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + token.encode()
        + b"a" * 9000
        + b"\r\n\r\n"
    )

    await _exchange(http.port, request)

    refused = [r for r in caplog.records if r.name == "bridge.http"]
    assert [(r.levelname, r.getMessage()) for r in refused] == [
        ("INFO", "Refused a malformed request from 127.0.0.1: LineTooLong (400)")
    ]
    assert [r for r in caplog.records if r.exc_info] == []
    assert token not in caplog.text


async def test_a_client_that_never_finishes_its_headers_is_disconnected(
    http: TestClient,
) -> None:
    """Headers dribbled one line every 0.2 s: cut at request_timeout."""
    elapsed, answer = await _wait_out(
        http.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-Slow: 1\r\n"
    )

    assert answer == b""
    assert REQUEST_TIMEOUT - 0.1 < elapsed < REQUEST_TIMEOUT + SLACK


async def test_an_idle_connection_is_closed_after_the_request_timeout(
    http: TestClient,
) -> None:
    """A connection that never sends a byte is closed at request_timeout."""
    elapsed, answer = await _wait_out(http.port, b"", b"")

    assert answer == b""
    assert REQUEST_TIMEOUT - 0.1 < elapsed < REQUEST_TIMEOUT + SLACK


async def test_a_client_that_never_finishes_its_body_is_disconnected(
    http: TestClient,
) -> None:
    """A body dribbled one byte every 0.2 s: 408 at request_timeout."""
    token = http.session.headers["Authorization"]
    head = (
        f"POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n"
        "Content-Type: application/scim+json\r\nContent-Length: 1000\r\n\r\n{"
    ).encode()

    elapsed, answer = await _wait_out(
        http.port, head, b" ", limit=REQUEST_TIMEOUT + SLACK + 1
    )

    assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 408 Request Timeout"
    assert REQUEST_TIMEOUT - 0.1 < elapsed < REQUEST_TIMEOUT + SLACK


def test_serve_disconnects_a_slow_client_after_request_timeout(
    module_stack: Stack, tmp_path: Path
) -> None:
    """The real ``serve`` applies limits.request_timeout to slow headers."""
    config = write_config(
        tmp_path, module_stack, limits={"request_timeout": REQUEST_TIMEOUT}
    )
    env = cli_env(tokens=new_token(), password=module_stack.writer.password)

    with serve(config, env) as served:
        elapsed, answer = asyncio.run(
            _wait_out(
                served.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-Slow: 1\r\n"
            )
        )

    assert answer == b""
    assert REQUEST_TIMEOUT - 0.1 < elapsed < REQUEST_TIMEOUT + SLACK
