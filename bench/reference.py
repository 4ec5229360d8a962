"""python-scim's scim2-server, in memory, as the no-directory reference.

``python -m bench.reference --token-file F --port-file F`` serves
scim2-server's ASGI application over its asynchronous in-memory storage,
with the RFC 7643 schemas and resource types it ships, under uvicorn on
127.0.0.1 (one process, one event loop, keep-alive, like the bridge). Its
own ``scim2-server`` command serves the WSGI application with
:mod:`wsgiref`, which speaks HTTP/1.0 and closes every connection; that
would measure wsgiref, so the ASGI application is used instead. The bearer
token is checked as the bridge checks it.
"""

import argparse
import asyncio
import hmac
import socket
from pathlib import Path

import uvicorn
from scim2_models import ScimProvider, UnauthorizedException
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.memory import AsyncInMemoryStorage
from scim2_server.requests import ScimRequest
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

__all__ = ["main"]


class _TokenApplication(ASGIApplication):
    """scim2-server's ASGI application behind one bearer token."""

    token: bytes = b""

    def check_auth(self, request: ScimRequest) -> None:
        """401 unless the request presents the token."""
        scheme, _, presented = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.encode(), self.token
        ):
            raise UnauthorizedException


def build_application(token: str) -> ASGIApplication:
    """The application, with scim2-server's default schemas and config."""
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(),
        load_default_resource_types().values(),
        config=load_default_service_provider_config(),
    )
    application = _TokenApplication(AsyncInMemoryStorage(), provider)
    application.token = token.encode()
    return application


async def _serve(args: argparse.Namespace) -> None:
    token = args.token_file.read_text(encoding="utf-8").strip()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        build_application(token), log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    partial = args.port_file.with_suffix(".tmp")
    partial.write_text(str(listener.getsockname()[1]), encoding="utf-8")
    partial.rename(args.port_file)
    await server.serve(sockets=[listener])


def main() -> None:
    """Serve until SIGTERM."""
    parser = argparse.ArgumentParser(prog="bench.reference", description=__doc__)
    parser.add_argument("--token-file", type=Path, required=True)
    parser.add_argument("--port-file", type=Path, required=True)
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
