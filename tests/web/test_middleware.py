"""The request pipeline: body limits, auth, and how every error is rendered.

These run the real application with a directory nobody listens on: each
request here is refused before the bridge would touch LDAP. The last tests
mount the error middleware in a tiny application of their own, to make a
handler fail in ways the bridge itself never should.
"""

import json
import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bridge.config import DirectorySettings, Limits, Settings
from bridge.directory.client import Directory
from bridge.mapping.load import load_mapping
from bridge.mapping.model import Mapping
from bridge.scim.schemas import ResourceKind, build_kinds
from bridge.web.app import create_app
from bridge.web.middleware import error_middleware
from tests.support import SCIM, new_token

Client = TestClient[web.Request, web.Application]

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"
MAX_BODY = 2048
MAX_DEPTH = 8
NOBODY_LISTENS = "ldap://127.0.0.1:9"
"""The discard port: a request that reached LDAP would fail, not hang."""


def _settings() -> Settings:
    directory = DirectorySettings(uris=[NOBODY_LISTENS], connect_timeout=1)
    return Settings(
        directory=directory,
        limits=Limits(max_body_bytes=MAX_BODY, max_json_depth=MAX_DEPTH),
    )


@pytest.fixture(scope="module")
def kinds() -> tuple[Mapping, dict[str, ResourceKind]]:
    """The general mapping and its kinds, read off the loop (it reads files)."""
    mapping = load_mapping("inetorgperson")
    return mapping, build_kinds(mapping)


@pytest.fixture
async def bridge(
    aiohttp_client: Any, token: str, kinds: tuple[Mapping, dict[str, ResourceKind]]
) -> Client:
    """The bridge's application, unauthenticated; tests send the token."""
    settings = _settings()
    mapping, built = kinds
    app = create_app(
        settings,
        mapping,
        [token],
        lambda: Directory(settings.directory, "unused"),
        kinds=built,
    )
    client: Client = await aiohttp_client(app)
    return client


def _auth(token: str, content_type: str = SCIM_JSON) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


async def _error(response: Any) -> dict[str, Any]:
    """The SCIM Error body, after checking its media type."""
    assert response.content_type == SCIM_JSON
    body: dict[str, Any] = json.loads(await response.text())
    return body


def _nested(depth: int) -> str:
    """A JSON object whose brackets nest ``depth`` levels deep."""
    return '{"a":' * (depth - 1) + "[]" + "}" * (depth - 1)


async def test_a_body_of_another_media_type_is_415(bridge: Client, token: str) -> None:
    """RFC 7644 §3.1: bodies are application/scim+json (or plain JSON)."""
    response = await bridge.post(
        f"{SCIM}/Users", data="userName=x", headers=_auth(token, "text/plain")
    )

    assert response.status == 415
    assert await _error(response) == {
        "schemas": [ERROR],
        "status": "415",
        "detail": "Content-Type text/plain is not accepted; send application/scim+json",
    }


async def test_a_body_over_the_limit_is_413(bridge: Client, token: str) -> None:
    """A declared length above max_body_bytes is refused before it is read."""
    body = json.dumps({"userName": "x" * MAX_BODY})

    response = await bridge.post(f"{SCIM}/Users", data=body, headers=_auth(token))

    assert response.status == 413
    assert await _error(response) == {
        "schemas": [ERROR],
        "status": "413",
        "detail": f"The body is larger than {MAX_BODY} bytes",
    }


async def test_a_chunked_body_over_the_limit_is_413(bridge: Client, token: str) -> None:
    """A body with no declared length is cut off at the limit too."""

    async def chunks() -> Any:
        for _ in range(4):
            yield b" " * MAX_BODY

    response = await bridge.post(f"{SCIM}/Users", data=chunks(), headers=_auth(token))

    assert response.status == 413
    assert (await _error(response))["status"] == "413"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param('{"userName": ', "The body is not valid JSON", id="not-json"),
        pytest.param("[1, 2]", "The body must be a JSON object", id="array"),
        pytest.param('"user"', "The body must be a JSON object", id="string"),
        pytest.param(
            _nested(MAX_DEPTH + 1),
            f"The JSON nests deeper than {MAX_DEPTH} levels",
            id="too-deep",
        ),
    ],
)
async def test_a_body_without_the_message_structure_is_400_invalid_syntax(
    bridge: Client, token: str, body: str, detail: str
) -> None:
    """RFC 7644 §3.12: a body that is no JSON object is invalidSyntax."""
    response = await bridge.post(f"{SCIM}/Users", data=body, headers=_auth(token))

    error = await _error(response)
    assert response.status == 400
    assert (error["status"], error["scimType"]) == ("400", "invalidSyntax")
    assert error["detail"].startswith(detail)


async def test_a_body_nested_to_the_limit_is_read(bridge: Client, token: str) -> None:
    """The depth limit refuses only what is deeper than it: this body gets
    as far as the search parameters, and is refused for its count."""
    body = '{"count": "ten", "x": ' + _nested(MAX_DEPTH - 1) + "}"

    response = await bridge.post(
        f"{SCIM}/Users/.search", data=body, headers=_auth(token)
    )

    assert response.status == 400
    assert await _error(response) == {
        "schemas": [ERROR],
        "status": "400",
        "scimType": "invalidSyntax",
        "detail": "count must be an integer",
    }


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="none"),
        pytest.param("Bearer wrong-token", id="wrong-token"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic"),
        pytest.param("Bearer", id="empty-bearer"),
    ],
)
async def test_a_request_without_the_token_is_401_with_www_authenticate(
    bridge: Client, authorization: str | None
) -> None:
    """RFC 6750 §3: a 401 names the Bearer scheme, in a SCIM Error body."""
    headers = {"Authorization": authorization} if authorization else {}

    response = await bridge.get(f"{SCIM}/Users", headers=headers)

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="scim"'
    assert await _error(response) == {
        "schemas": [ERROR],
        "status": "401",
        "detail": "A valid bearer token is required",
    }


async def test_an_unknown_endpoint_is_a_scim_404(bridge: Client, token: str) -> None:
    """Unknown routes answer a SCIM Error, not aiohttp's text page."""
    response = await bridge.get(f"{SCIM}/Widgets", headers=_auth(token))

    assert response.status == 404
    assert await _error(response) == {
        "schemas": [ERROR],
        "status": "404",
        "detail": "No such endpoint",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/ServiceProviderConfig"),
        ("PUT", "/Schemas"),
        ("DELETE", "/ResourceTypes/User"),
        ("PATCH", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"),
    ],
)
async def test_a_write_to_a_discovery_endpoint_is_405_with_allow(
    bridge: Client, token: str, method: str, path: str
) -> None:
    """RFC 7644 §4: discovery endpoints are read-only; 405 says what is allowed."""
    response = await bridge.request(
        method, f"{SCIM}{path}", data="{}", headers=_auth(token)
    )

    assert response.status == 405
    assert response.headers["Allow"] == "GET,HEAD"
    assert await _error(response) == {
        "schemas": [ERROR],
        "status": "405",
        "detail": "Method not allowed on this endpoint",
    }


async def test_the_health_endpoints_need_no_token(bridge: Client) -> None:
    """Liveness is open to a load balancer that holds no token."""
    response = await bridge.get("/healthz")

    assert (response.status, await response.json()) == (200, {"status": "live"})


def _failing_app(exc: Exception) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        raise exc

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/boom", handler)
    return app


async def test_an_unexpected_failure_is_a_500_without_internal_detail(
    aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The client sees a generic 500; the traceback goes to the log only."""
    secret = new_token()
    client = await aiohttp_client(
        _failing_app(
            RuntimeError(f"bind to ldap://db.internal failed, password {secret}")
        )
    )

    with caplog.at_level(logging.ERROR, logger="bridge.web"):
        response = await client.get("/boom")
    text = await response.text()

    assert response.status == 500
    assert json.loads(text) == {
        "schemas": [ERROR],
        "status": "500",
        "detail": "The bridge failed unexpectedly; the error is logged",
    }
    assert response.content_type == SCIM_JSON
    assert (secret in text, "Traceback" in text, "db.internal" in text) == (
        False,
        False,
        False,
    )
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [RuntimeError]
