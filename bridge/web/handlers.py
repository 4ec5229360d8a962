"""Thin handlers: adapt an aiohttp request, call the service, render."""

from typing import Any

from aiohttp import web
from scim2_models import NotFoundException

from ..config import Settings
from ..errors import DirectoryUnavailable
from ..scim import discovery
from ..scim.query import Projection, projection_from
from ..scim.schemas import ResourceKind
from ..service import reads, writes
from ..service.changes import unchanged_since
from ..service.context import Backend
from .body import read_body
from .keys import BACKEND, SETTINGS
from .listing import list_page, search_parameters
from .middleware import scim_response
from .render import base_url, etag, list_body, render_resource

__all__ = ["ResourceHandlers", "discovery_routes", "health_routes"]


class ResourceHandlers:
    """The operations on one resource type's endpoint."""

    def __init__(self, kind: ResourceKind) -> None:
        self.kind = kind

    def _respond(
        self,
        payload: dict[str, Any],
        request: web.Request,
        projection: Projection,
        status: int = 200,
    ) -> web.Response:
        """The stored resource, projected as the request asks, with its ETag.

        Writes read ``projection`` before they write: a request refused for
        its query must change nothing.
        """
        shown = render_resource(self.kind, payload, request, projection)
        headers = etag(payload)
        if status == 201:
            headers["Location"] = payload["meta"]["location"]
        return scim_response(shown, status, headers)

    async def list(self, request: web.Request) -> web.Response:
        """GET on the endpoint: query parameters (RFC 7644 §3.4.2)."""
        return await list_page(request, self.kind, request.query)

    async def search(self, request: web.Request) -> web.Response:
        """POST {endpoint}/.search: the same query as a body (§3.4.3)."""
        parameters = search_parameters(await read_body(request))
        return await list_page(request, self.kind, parameters)

    async def get(self, request: web.Request) -> web.Response:
        """GET by id."""
        projection = projection_from(request.query)
        payload, _ = await reads.load_resource(
            request.app[BACKEND],
            self.kind,
            request.match_info["id"],
            base_url(request),
            projection,
        )
        if unchanged_since(
            payload["meta"].get("version"), request.headers.get("If-None-Match")
        ):
            return web.Response(status=304, headers=etag(payload))
        return self._respond(payload, request, projection)

    async def create(self, request: web.Request) -> web.Response:
        """POST: 201 with the stored resource and its Location."""
        projection = projection_from(request.query)
        payload = await writes.create_resource(
            request.app[BACKEND], self.kind, await read_body(request), base_url(request)
        )
        return self._respond(payload, request, projection, 201)

    async def replace(self, request: web.Request) -> web.Response:
        """PUT: the resource becomes the body."""
        projection = projection_from(request.query)
        body = await read_body(request)
        payload = await writes.replace_resource(
            request.app[BACKEND],
            self.kind,
            request.match_info["id"],
            body,
            base_url(request),
            request.headers.get("If-Match"),
        )
        return self._respond(payload, request, projection)

    async def patch(self, request: web.Request) -> web.Response:
        """PATCH: 200 with the resource, or 204 for groups when configured."""
        settings: Settings = request.app[SETTINGS]
        projection = projection_from(request.query)
        body = await read_body(request)
        want_body = self.kind.name == "User" or settings.group_patch_status == 200
        payload = await writes.patch_resource(
            request.app[BACKEND],
            self.kind,
            request.match_info["id"],
            body,
            base_url(request),
            request.headers.get("If-Match"),
            want_body=want_body,
            max_members=settings.limits.max_members_per_request,
        )
        if payload is None:
            return web.Response(status=204)
        return self._respond(payload, request, projection)

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE: 204."""
        await writes.delete_resource(
            request.app[BACKEND],
            self.kind,
            request.match_info["id"],
            request.headers.get("If-Match"),
        )
        return web.Response(status=204)


def discovery_routes(backend: Backend) -> dict[str, Any]:
    """Handlers for ServiceProviderConfig, ResourceTypes and Schemas."""

    async def config(request: web.Request) -> web.Response:
        limits = request.app[SETTINGS].limits
        return scim_response(
            discovery.service_provider_config(limits.max_page_size, base_url(request))
        )

    async def types(request: web.Request) -> web.Response:
        items = discovery.resource_types(backend.kinds, base_url(request))
        return _one_or_list(request, items, "ResourceType")

    async def schemas(request: web.Request) -> web.Response:
        items = discovery.schemas(backend.kinds, base_url(request))
        return _one_or_list(request, items, "Schema")

    return {"config": config, "types": types, "schemas": schemas}


def _one_or_list(
    request: web.Request, items: list[dict[str, Any]], what: str
) -> web.Response:
    wanted = request.match_info.get("id")
    if wanted is None:
        return scim_response(list_body(items, len(items), 1))
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
            retry = str(request.app[SETTINGS].directory.retry_after)
            return web.json_response(
                {"status": "not ready"}, status=503, headers={"Retry-After": retry}
            )
        return web.json_response({"status": "ready"})

    return {"live": live, "ready": ready}
