"""The request pipeline: access log, error rendering, bearer auth.

Errors are rendered here and nowhere else: every SCIM error becomes an RFC
7644 §3.12 body with ``status`` as a string. A client's mistake is logged at
INFO without a traceback; anything unexpected is a 500 logged with one, and
the client sees no internal detail.
"""

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from scim2_models import SCIMException

from ..errors import DirectoryUnavailable, MethodNotAllowed, RequestTimeout

__all__ = [
    "SCIM_JSON",
    "access_middleware",
    "auth_middleware",
    "error_middleware",
    "scim_response",
]

SCIM_JSON = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
access_log = logging.getLogger("bridge.access")
log = logging.getLogger("bridge.web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_OPEN_PATHS = {"/healthz", "/readyz"}


def scim_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response typed application/scim+json."""
    return web.Response(
        body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type=SCIM_JSON,
        headers=headers,
    )


def _error(
    status: int,
    detail: str,
    scim_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body: dict[str, Any] = {
        "schemas": [ERROR_SCHEMA],
        "status": str(status),
        "detail": detail,
    }
    if scim_type:
        body["scimType"] = scim_type
    return scim_response(body, status, headers)


def render_exception(exc: SCIMException) -> web.Response:
    """The SCIM Error response for one of the bridge's exceptions."""
    headers: dict[str, str] = {}
    if isinstance(exc, DirectoryUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, MethodNotAllowed):
        headers["Allow"] = ", ".join(exc.allowed)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="scim"'
    response = _error(exc.status, exc.detail, exc.scim_type or None, headers)
    if isinstance(exc, RequestTimeout):
        # The rest of the body may never come: do not wait for it.
        response.force_close()
    return response


def _http_error(exc: web.HTTPException) -> web.Response:
    headers = {}
    if exc.status == 405:
        headers["Allow"] = exc.headers.get("Allow", "")
    detail = {
        404: "No such endpoint",
        405: "Method not allowed on this endpoint",
        413: "The body is too large",
    }.get(exc.status, exc.reason)
    return _error(exc.status, detail, None, headers)


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Render every failure as a SCIM Error."""
    try:
        return await handler(request)
    except SCIMException as exc:
        level = logging.WARNING if exc.status >= 500 else logging.INFO
        log.log(
            level, "%s %s: %s %s", request.method, request.path, exc.status, exc.detail
        )
        return render_exception(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _http_error(exc)
    except Exception:
        log.exception("Unexpected failure on %s %s", request.method, request.path)
        return _error(500, "The bridge failed unexpectedly; the error is logged")


@web.middleware
async def access_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """One access line per request; never headers, never the body."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        elapsed = (time.perf_counter() - started) * 1000
        access_log.info(
            "%s %s %s %d %.1fms",
            request.remote,
            request.method,
            request.path,
            status,
            elapsed,
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "ms": round(elapsed, 1),
            },
        )


def auth_middleware(
    tokens: list[str], base_path: str
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Bearer-token check for every SCIM endpoint (RFC 6750 §2.1)."""
    secrets = [t.encode("utf-8") for t in tokens]

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in _OPEN_PATHS:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not _matches(
            presented.strip().encode("utf-8"), secrets
        ):
            return _error(
                401,
                "A valid bearer token is required",
                None,
                {"WWW-Authenticate": 'Bearer realm="scim"'},
            )
        return await handler(request)

    return middleware


def _matches(presented: bytes, secrets: list[bytes]) -> bool:
    """Constant-time comparison against every token, with no early exit."""
    found = False
    for secret in secrets:
        found |= hmac.compare_digest(presented, secret)
    return found
