"""Thin handlers: adapt an aiohttp request, call the service, render."""

from typing import Any

from aiohttp import web
from scim2_models import NotFoundException

from ..config import Settings
from ..errors import DirectoryUnavailable
from ..scim import discovery
from ..scim.query import parse_list_query, projection_from, render
from ..scim.schemas import ResourceKind
from ..service import reads, writes
from ..service.context import Backend
from .body import read_json
from .keys import BACKEND, SETTINGS
from .middleware import scim_response

__all__ = ["ResourceHandlers", "discovery_routes", "health_routes"]

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def base_url(request: web.Request) -> str:
    """The SCIM base URL as clients reach it, for meta.location."""
    settings = request.app[SETTINGS]
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return f"{request.scheme}://{request.host}{settings.base_path}"


def _list(resources: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def _etag(payload: dict[str, Any]) -> dict[str, str]:
    version = (payload.get("meta") or {}).get("version")
    return {"ETag": version} if version else {}


class ResourceHandlers:
    """The five operations on one resource type's endpoint."""

    def __init__(self, kind: ResourceKind) -> None:
        self.kind = kind

    async def _body(self, request: web.Request) -> Any:
        limits = request.app[SETTINGS].limits
        return await read_json(request, max_bytes=limits.max_body_bytes, max_depth=limits.max_json_depth)

    def _render(self, payload: dict[str, Any], request: web.Request) -> dict[str, Any]:
        return render(self.kind.model, payload, projection_from(request.query))

    async def list(self, request: web.Request) -> web.Response:
        settings: Settings = request.app[SETTINGS]
        query = parse_list_query(
            self.kind.model, request.query,
            default_count=settings.limits.default_page_size,
            max_count=settings.limits.max_page_size,
        )
        result = await reads.list_resources(request.app[BACKEND], self.kind, query, base_url(request))
        rendered = [render(self.kind.model, p, query.projection) for p in result.payloads]
        return scim_response(_list(rendered, result.total, result.start_index))

    async def get(self, request: web.Request) -> web.Response:
        payload, _ = await reads.load_resource(
            request.app[BACKEND], self.kind, request.match_info["id"],
            base_url(request), projection_from(request.query),
        )
        return scim_response(self._render(payload, request), headers=_etag(payload))

    async def create(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        payload = await writes.create_resource(request.app[BACKEND], self.kind, body, base_url(request))
        headers = _etag(payload) | {"Location": payload["meta"]["location"]}
        return scim_response(self._render(payload, request), 201, headers)

    async def replace(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        payload = await writes.replace_resource(
            request.app[BACKEND], self.kind, request.match_info["id"], body,
            base_url(request), request.headers.get("If-Match"),
        )
        return scim_response(self._render(payload, request), headers=_etag(payload))

    async def patch(self, request: web.Request) -> web.Response:
        settings: Settings = request.app[SETTINGS]
        body = await self._body(request)
        want_body = self.kind.name == "User" or settings.group_patch_status == 200
        payload = await writes.patch_resource(
            request.app[BACKEND], self.kind, request.match_info["id"], body,
            base_url(request), request.headers.get("If-Match"),
            want_body=want_body, max_members=settings.limits.max_members_per_request,
        )
        if payload is None:
            return web.Response(status=204)
        return scim_response(self._render(payload, request), headers=_etag(payload))

    async def delete(self, request: web.Request) -> web.Response:
        await writes.delete_resource(
            request.app[BACKEND], self.kind, request.match_info["id"], request.headers.get("If-Match")
        )
        return web.Response(status=204)


def discovery_routes(backend: Backend) -> dict[str, Any]:
    """Handlers for ServiceProviderConfig, ResourceTypes and Schemas."""

    async def config(request: web.Request) -> web.Response:
        limits = request.app[SETTINGS].limits
        return scim_response(discovery.service_provider_config(limits.max_page_size, base_url(request)))

    async def types(request: web.Request) -> web.Response:
        items = discovery.resource_types(backend.kinds, base_url(request))
        return _one_or_list(request, items, "ResourceType")

    async def schemas(request: web.Request) -> web.Response:
        items = discovery.schemas(backend.kinds, base_url(request))
        return _one_or_list(request, items, "Schema")

    return {"config": config, "types": types, "schemas": schemas}


def _one_or_list(request: web.Request, items: list[dict[str, Any]], what: str) -> web.Response:
    wanted = request.match_info.get("id")
    if wanted is None:
        return scim_response(_list(items, len(items), 1))
    for item in items:
        if str(item.get("id", "")).lower() == wanted.lower():
            return scim_response(item)
    raise NotFoundException(detail=f"{what} {wanted!r} not found")


def health_routes() -> dict[str, Any]:
    """Liveness never touches LDAP; readiness reads the root DSE."""

    async def live(request: web.Request) -> web.Response:
        return web.json_response({"status": "live"})

    async def ready(request: web.Request) -> web.Response:
        try:
            await request.app[BACKEND].directory.ping()
        except DirectoryUnavailable:
            return web.json_response({"status": "not ready"}, status=503, headers={"Retry-After": "5"})
        return web.json_response({"status": "ready"})

    return {"live": live, "ready": ready}
