"""Small helpers shared by the fault tests."""

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bridge.slapd import LocalSlapd
from tests.support import JSON, SCIM

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def user_body(user_name: str, **extra: Any) -> dict[str, Any]:
    """A minimal User as Entra would POST it."""
    return {"schemas": [USER_SCHEMA], "userName": user_name, **extra}


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp message with the given operations."""
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


async def send(
    http: TestClient, method: str, path: str, body: Any = None, **headers: str
) -> ClientResponse:
    """One SCIM request with a JSON body (when given) under the base path."""
    data = None if body is None else json.dumps(body)
    return await http.request(
        method, f"{SCIM}{path}", data=data, headers={**JSON, **headers}
    )


async def create_user(http: TestClient, user_name: str, **extra: Any) -> dict[str, Any]:
    """POST a user and return the stored resource; fails the test otherwise."""
    response = await send(http, "POST", "/Users", user_body(user_name, **extra))
    body = await response.json(content_type=None)
    assert response.status == 201, body
    return body


async def create_group(http: TestClient, name: str) -> dict[str, Any]:
    """POST an empty group and return the stored resource."""
    body = {"schemas": [GROUP_SCHEMA], "displayName": name}
    response = await send(http, "POST", "/Groups", body)
    found = await response.json(content_type=None)
    assert response.status == 201, found
    return found


@dataclass
class Stopwatch:
    """Elapsed seconds of a ``with timed() as watch`` block."""

    started: float
    elapsed: float = 0.0


@contextmanager
def timed() -> Iterator[Stopwatch]:
    """Measure a block with the monotonic clock."""
    watch = Stopwatch(time.monotonic())
    try:
        yield watch
    finally:
        watch.elapsed = time.monotonic() - watch.started


@contextmanager
def paused(slapd: LocalSlapd) -> Iterator[None]:
    """Freeze slapd (SIGSTOP) for the block, and always let it run again."""
    slapd.pause()
    try:
        yield
    finally:
        slapd.resume()


def closed_port() -> int:
    """A loopback port nothing listens on (reserved, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def client_connections(port: int) -> int:
    """Established TCP connections from anywhere to 127.0.0.1:``port``."""
    wanted = f"0100007F:{port:04X}"
    count = 0
    with open("/proc/net/tcp", encoding="ascii") as table:
        next(table)
        for line in table:
            fields = line.split()
            if fields[2] == wanted and fields[3] == "01":
                count += 1
    return count
