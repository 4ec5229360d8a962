"""Tokens, logs and error bodies: no secret, service DN or stack trace
ever leaves the bridge."""

import base64
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bridge.directory import client as directory_client
from bridge.service import reads
from tests.support import SCIM, Stack, new_token

from .conftest import MakeClient, fault_settings
from .support import (
    ERROR_SCHEMA,
    closed_port,
    create_group,
    create_user,
    patch_body,
    send,
    user_body,
)

UNEXPECTED = {
    "schemas": [ERROR_SCHEMA],
    "status": "500",
    "detail": "The bridge failed unexpectedly; the error is logged",
}


async def _status(http: TestClient, authorization: str | None) -> int:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await http.get(f"{SCIM}/Users", headers=headers)
    return response.status


async def test_several_tokens_are_valid_at_once_for_rotation(
    module_stack: Stack, make_client: MakeClient
) -> None:
    """Every configured token opens the API; near misses do not."""
    tokens = [new_token() for _ in range(3)]
    http = await make_client(module_stack, fault_settings(module_stack), tokens=tokens)
    del http.session.headers["Authorization"]
    first = tokens[0]

    valid = [await _status(http, f"Bearer {t}") for t in tokens]
    scheme_case = await _status(http, f"bearer {first}")
    misses = [
        await _status(http, value)
        for value in (
            None,
            "Bearer",
            f"Bearer {first[:-1]}",
            f"Bearer {first}x",
            f"Bearer {first.upper()}",
            f"Basic {first}",
            first,
            f"Bearer {new_token()}",
        )
    ]

    assert valid == [200, 200, 200]
    assert scheme_case == 200
    assert misses == [401] * 8


async def test_a_refused_token_is_told_how_to_authenticate(
    module_stack: Stack, make_client: MakeClient
) -> None:
    """401 carries WWW-Authenticate and a SCIM error body (RFC 6750 §3)."""
    http = await make_client(module_stack, fault_settings(module_stack))

    response = await http.get(f"{SCIM}/Users", headers={"Authorization": "Bearer nope"})

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="scim"'
    assert await response.json() == {
        "schemas": [ERROR_SCHEMA],
        "status": "401",
        "detail": "A valid bearer token is required",
    }


async def _cycle(http: TestClient, secrets: list[str], bind_dn: str) -> list[str]:
    """A full provisioning cycle with failures of every kind; the bodies."""
    basic = base64.b64encode(f"{bind_dn}:{secrets[1]}".encode()).decode()
    bodies: list[str] = []
    for authorization in (
        None,
        f"Bearer {secrets[0][:-1]}!",
        f"Basic {basic}",
        f"Bearer {secrets[1]}",
    ):
        headers = {} if authorization is None else {"Authorization": authorization}
        bodies.append(await (await http.get(f"{SCIM}/Users", headers=headers)).text())
    user = await create_user(http, "cycle.user", displayName="Cycle")
    group = await create_group(http, "Cycle group")
    steps: list[tuple[str, str, Any]] = [
        ("GET", f"/Users/{user['id']}", None),
        ("GET", '/Users?filter=userName eq "cycle.user"', None),
        ("GET", "/Users?filter=userName xx 1", None),
        ("POST", "/Users", user_body("cycle.user")),
        (
            "PATCH",
            f"/Users/{user['id']}",
            patch_body({"op": "replace", "path": "title", "value": "T"}),
        ),
        (
            "PATCH",
            f"/Groups/{group['id']}",
            patch_body(
                {"op": "add", "path": "members", "value": [{"value": user["id"]}]}
            ),
        ),
        ("PUT", f"/Users/{user['id']}", user_body("cycle.user", title="U")),
        ("DELETE", f"/Users/{user['id']}", None),
        ("GET", f"/Users/{user['id']}", None),
        ("DELETE", f"/Groups/{group['id']}", None),
    ]
    for method, path, body in steps:
        bodies.append(await (await send(http, method, path, body)).text())
    return bodies


async def test_no_token_password_or_bind_dn_reaches_a_log_or_a_body(
    module_stack: Stack,
    make_client: MakeClient,
    token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every logger at DEBUG through a whole cycle, failed logins, a refused
    bind and an unreachable directory: no record and no response body holds
    the token, the bind password or the bridge's bind DN."""
    caplog.set_level(logging.DEBUG)
    for name in ("bridge", "aiohttp", "ldap3"):
        caplog.set_level(logging.DEBUG, logger=name)
    password = module_stack.writer.password
    bind_dn = module_stack.writer.dn
    wrong = new_token()
    settings = fault_settings(module_stack)
    http = await make_client(module_stack, settings)
    refused = await make_client(module_stack, settings, password=wrong)
    dead_uri = fault_settings(module_stack, uris=[f"ldap://127.0.0.1:{closed_port()}"])
    unreachable = await make_client(module_stack, dead_uri)

    bodies = await _cycle(http, [token, password], bind_dn)
    for broken in (refused, unreachable):
        response = await send(broken, "GET", "/Users")
        bodies.append(await response.text())
        assert response.status == 503

    records = [repr(vars(record)) for record in caplog.records] + [caplog.text]
    assert any("uid=cycle.user" in r for r in records)  # the audit line
    for secret in (token, password, wrong, bind_dn):
        assert [r for r in records if secret in r] == []
        assert [b for b in bodies if secret in b] == []


async def test_an_unexpected_failure_shows_no_stack_trace(
    module_stack: Stack, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python error in a handler is a 500 with a fixed, bland body."""
    http = await make_client(module_stack, fault_settings(module_stack))
    user = await create_user(http, "unlucky.read")

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError(f"internal detail of {module_stack.writer.dn}")

    monkeypatch.setattr(reads, "load_resource", broken)
    response = await send(http, "GET", f"/Users/{user['id']}")

    assert response.status == 500
    assert await response.json() == UNEXPECTED


async def test_a_failure_inside_the_ldap_worker_shows_no_stack_trace(
    module_stack: Stack, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error raised in the LDAP thread crosses back as the same bland 500."""
    http = await make_client(module_stack, fault_settings(module_stack))

    def broken(*_: object) -> None:
        raise KeyError("raw_attributes of cn=secret")

    monkeypatch.setattr(directory_client, "_entries", broken)
    response = await send(http, "GET", "/Users")

    assert response.status == 500
    assert await response.json() == UNEXPECTED
