"""Small helpers shared by the fault tests."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bridge.mapping.load import load_mapping
from bridge.scim.schemas import build_kinds
from bridge.slapd import LocalSlapd, ServiceAccount, TlsFiles
from bridge.slapd.profile import spec_for_mapping
from tests.support import BRIDGE_DN, JSON, SCIM, SYNC_DN, Stack

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def user_body(user_name: str, **extra: Any) -> dict[str, Any]:
    """A minimal User as Entra would POST it (Entra always sends active)."""
    return {"schemas": [USER_SCHEMA], "userName": user_name, "active": True, **extra}


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


@contextmanager
def custom_stack(
    *, password: str | None = None, tls: TlsFiles | None = None
) -> Iterator[Stack]:
    """A general-profile slapd with a chosen bridge password or TLS files."""
    mapping = load_mapping("inetorgperson")
    secret = password or secrets.token_urlsafe(24)
    writer = ServiceAccount(BRIDGE_DN, secret, "writer")
    reader = ServiceAccount.with_random_password(SYNC_DN, "reader")
    spec = spec_for_mapping(mapping, (writer, reader), tls=tls, durable=False)
    with LocalSlapd(spec) as slapd:
        yield Stack(slapd, mapping, writer, reader, build_kinds(mapping))


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


@dataclass
class Served:
    """A ``scim-ldap-bridge serve`` child process and where it listens."""

    process: subprocess.Popen[str]
    port: int

    def url(self, path: str) -> str:
        """The URL of a path on the served bridge."""
        return f"http://127.0.0.1:{self.port}{path}"


def write_config(folder: Path, stack: Stack, **overrides: Any) -> Path:
    """A config file for ``stack`` with short timeouts and a free port."""
    config: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": closed_port(),
        "mapping": "inetorgperson",
        "directory": {
            "uris": [stack.slapd.uri],
            "bind_dn": stack.writer.dn,
            "connect_timeout": 1,
            "operation_timeout": 1,
        },
    }
    for key, value in overrides.items():
        if isinstance(value, dict):
            config.setdefault(key, {}).update(value)
        else:
            config[key] = value
    path = folder / "bridge.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def cli_env(*, tokens: str | None, password: str | None) -> dict[str, str]:
    """The environment of a bridge process: this one's, plus the secrets."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SCIM_BRIDGE_TOKENS", "SCIM_BRIDGE_LDAP_PASSWORD")
    }
    if tokens is not None:
        env["SCIM_BRIDGE_TOKENS"] = tokens
    if password is not None:
        env["SCIM_BRIDGE_LDAP_PASSWORD"] = password
    return env


def run_cli(
    config: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """Run the command to completion (it must exit by itself)."""
    return subprocess.run(
        [sys.executable, "-m", "bridge.cli", *args, "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@contextmanager
def serve(config: Path, env: dict[str, str], *args: str) -> Iterator[Served]:
    """Run ``serve`` until /healthz answers; stop it (SIGTERM) afterwards."""
    port = int(yaml.safe_load(config.read_text(encoding="utf-8"))["port"])
    process = subprocess.Popen(
        [sys.executable, "-m", "bridge.cli", "serve", "--config", str(config), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(process, port)
    try:
        _wait_for_health(served)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_health(served: Served, limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            _, err = served.process.communicate()
            raise AssertionError(f"serve exited {served.process.returncode}: {err}")
        try:
            with urllib.request.urlopen(served.url("/healthz"), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("serve did not answer /healthz in time")


def http_status(url: str) -> int:
    """The status of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
