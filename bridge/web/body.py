"""Reading a request body: media type, size and depth limits, JSON."""

import asyncio
import json
import re
from typing import Any

from aiohttp import web
from scim2_models import (
    InvalidSyntaxException,
    InvalidValueException,
    PayloadTooLargeException,
)

from ..errors import RequestTimeout, UnsupportedMediaType
from .keys import SETTINGS

__all__ = ["read_body", "read_json"]

_ACCEPTED = {"application/scim+json", "application/json"}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _too_deep(text: str, limit: int) -> bool:
    """Whether brackets nest deeper than ``limit`` (strings skipped)."""
    if text.count("[") + text.count("{") <= limit:
        return False  # fewer openers than the limit cannot nest past it
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _not_json(name: str) -> Any:
    # Python's parser takes NaN and Infinity; RFC 8259 JSON has neither.
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


async def read_json(
    request: web.Request, *, max_bytes: int, max_depth: int, timeout: float = 60.0
) -> Any:
    """The parsed JSON body, or a SCIM error (415, 413, 408, 400)."""
    if request.content_type not in _ACCEPTED:
        raise UnsupportedMediaType(
            detail=f"Content-Type {request.content_type or '(none)'} is not accepted;"
            " send application/scim+json"
        )
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLargeException(
            detail=f"The body is larger than {max_bytes} bytes"
        )
    try:
        # aiohttp bounds the headers, not the body: a client dribbling its
        # body would hold a connection (and a request slot) for ever.
        raw = await asyncio.wait_for(request.read(), timeout=timeout)
    except TimeoutError as exc:
        raise RequestTimeout(
            detail=f"The body did not arrive within {timeout:g} s"
        ) from exc
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLargeException(
            detail=f"The body is larger than {max_bytes} bytes"
        ) from exc
    except web.RequestPayloadError as exc:
        # A body that does not decode by its Content-Encoding (gzip, deflate).
        raise InvalidSyntaxException(
            detail="The body cannot be decoded as its Content-Encoding"
            f" ({request.headers.get('Content-Encoding', 'none')}) says"
        ) from exc
    try:
        text = raw.decode(request.charset or "utf-8")
    except (UnicodeDecodeError, LookupError) as exc:
        raise InvalidSyntaxException(detail="The body is not valid UTF-8") from exc
    if _too_deep(text, max_depth):
        raise InvalidSyntaxException(
            detail=f"The JSON nests deeper than {max_depth} levels"
        )
    try:
        body = json.loads(text, parse_constant=_not_json)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidSyntaxException(
            detail=f"The body is not valid JSON: {exc}"
        ) from exc
    except ValueError as exc:
        # Python refuses integers of over 4,300 digits (CVE-2020-10735).
        raise InvalidSyntaxException(
            detail="The body holds a number too long to read (over 4,300 digits)"
        ) from exc
    if _SURROGATE_ESCAPE.search(text):
        where = _lone_surrogate(body, "")
        if where is not None:
            raise InvalidValueException(
                detail=f"{where or 'the body'}: not valid Unicode text (a \\u escape"
                " names half of a UTF-16 surrogate pair)"
            )
    return body


def _lone_surrogate(value: Any, path: str) -> str | None:
    """Where a string holds a lone surrogate (JSON lets ``"\\ud800"``
    through, and it has no UTF-8 form for LDAP), or None."""
    if isinstance(value, str):
        return None if _encodes(value) else path
    if isinstance(value, list):
        inner = [(f"{path}[{n}]", item) for n, item in enumerate(value)]
    elif isinstance(value, dict):
        inner = []
        for key, item in value.items():
            if not _encodes(key):
                return f"an attribute name in {path}" if path else "an attribute name"
            inner.append((f"{path}.{key}" if path else key, item))
    else:
        return None
    for where, item in inner:
        found = _lone_surrogate(item, where)
        if found is not None:
            return found
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def read_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, within the configured limits.

    Every SCIM request body is an object (a resource, a PatchOp, a
    SearchRequest); anything else does not have the message structure, which
    RFC 7644 §3.12 calls invalidSyntax.
    """
    limits = request.app[SETTINGS].limits
    body = await read_json(
        request,
        max_bytes=limits.max_body_bytes,
        max_depth=limits.max_json_depth,
        timeout=limits.request_timeout,
    )
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="The body must be a JSON object")
    return body
