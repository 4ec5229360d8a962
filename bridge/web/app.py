"""The aiohttp application: routes as a table, middlewares, lifetimes."""

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from ..config import Settings
from ..directory.client import Directory
from ..mapping.model import Mapping
from ..scim.schemas import ResourceKind, build_kinds
from ..service.context import Backend, object_filter
from ..service.refs import References
from .handlers import ResourceHandlers, discovery_routes, health_routes
from .keys import BACKEND, SETTINGS
from .listing import search_all
from .middleware import access_middleware, auth_middleware, error_middleware

__all__ = ["create_app"]


def build_backend(
    mapping: Mapping, directory: Directory, kinds: dict[str, ResourceKind] | None = None
) -> Backend:
    """Wire the kinds, the directory and the reference lookups together."""
    kinds = kinds or build_kinds(mapping)
    users = References(directory, mapping.users.base, object_filter(mapping.users))
    groups = References(directory, mapping.groups.base, object_filter(mapping.groups))
    return Backend(mapping, kinds, directory, users, groups)


def _routes(app: web.Application, backend: Backend, base: str) -> None:
    for kind in backend.kinds.values():
        handlers = ResourceHandlers(kind)
        path = f"{base}{kind.endpoint}"
        app.router.add_get(path, handlers.list)
        app.router.add_post(path, handlers.create)
        # Before {id}, which would otherwise take ".search" for an id.
        app.router.add_post(f"{path}/.search", handlers.search)
        app.router.add_get(f"{path}/{{id}}", handlers.get)
        app.router.add_put(f"{path}/{{id}}", handlers.replace)
        app.router.add_patch(f"{path}/{{id}}", handlers.patch)
        app.router.add_delete(f"{path}/{{id}}", handlers.delete)
    app.router.add_post(f"{base}/.search", search_all)
    found = discovery_routes(backend)
    app.router.add_get(f"{base}/ServiceProviderConfig", found["config"])
    app.router.add_get(f"{base}/ResourceTypes", found["types"])
    app.router.add_get(f"{base}/ResourceTypes/{{id}}", found["types"])
    app.router.add_get(f"{base}/Schemas", found["schemas"])
    app.router.add_get(f"{base}/Schemas/{{id}}", found["schemas"])
    health = health_routes()
    app.router.add_get("/healthz", health["live"])
    app.router.add_get("/readyz", health["ready"])


def create_app(
    settings: Settings,
    mapping: Mapping,
    tokens: list[str],
    directory_factory: Callable[[], Directory],
    *,
    kinds: dict[str, ResourceKind] | None = None,
) -> web.Application:
    """The bridge as an aiohttp application; the directory opens lazily."""
    app = web.Application(
        middlewares=[
            access_middleware,
            error_middleware,
            auth_middleware(tokens, settings.base_path),
        ],
        client_max_size=settings.limits.max_body_bytes,
        # After an early answer (408, 413) aiohttp drains the unread body for
        # up to lingering_time, 10 s by default: a dribbling client would
        # keep its connection that long. Half a second lets the answer out.
        handler_args={"lingering_time": 0.5},
    )
    directory = directory_factory()
    backend = build_backend(mapping, directory, kinds)
    app[SETTINGS] = settings
    app[BACKEND] = backend

    async def lifetime(_: web.Application) -> AsyncIterator[None]:
        yield
        directory.close()

    app.cleanup_ctx.append(lifetime)
    _routes(app, backend, settings.base_path)
    return app
