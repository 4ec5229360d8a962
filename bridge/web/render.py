"""Shaping responses: base URL, resources as sent, list bodies, ETags."""

from typing import Any

from aiohttp import web

from ..scim.query import Projection
from ..scim.schemas import ResourceKind, link_references
from .keys import SETTINGS

__all__ = ["LIST_SCHEMA", "base_url", "etag", "list_body", "render_resource"]

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def base_url(request: web.Request) -> str:
    """The SCIM base URL as clients reach it, for meta.location."""
    settings = request.app[SETTINGS]
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return f"{request.scheme}://{request.host}{settings.base_path}"


def render_resource(
    kind: ResourceKind,
    payload: dict[str, Any],
    request: web.Request,
    projection: Projection,
) -> dict[str, Any]:
    """A stored resource as sent: references linked, projection applied."""
    linked = link_references(kind, payload, base_url(request))
    return kind.render(linked, projection)


def list_body(
    resources: list[dict[str, Any]], total: int, start: int
) -> dict[str, Any]:
    """A ListResponse (RFC 7644 §3.4.2) around one page of resources."""
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def etag(payload: dict[str, Any]) -> dict[str, str]:
    """The ETag header of a resource, when it has a version."""
    version = (payload.get("meta") or {}).get("version")
    return {"ETag": version} if version else {}
