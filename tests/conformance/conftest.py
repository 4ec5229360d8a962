"""A live bridge on 127.0.0.1 for the conformance tools.

The tools are synchronous HTTP clients, so the bridge runs as a real server
on an event loop of its own, in a background thread, for the whole package.
It fronts slapds of its own, one per mapping profile: the tools list
collections unfiltered and look for what they created on the first page,
which only a directory they alone fill can promise.
"""

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from aiohttp import web

from tests.support import SCIM, Stack, new_token, start_stack

T = TypeVar("T")


@dataclass(frozen=True)
class LiveBridge:
    """Where the running bridge answers, and the token it accepts."""

    base_url: str
    """The SCIM base URL, e.g. ``http://127.0.0.1:41234/scim/v2``."""

    token: str
    """A bearer token generated for this test run."""


class _ServerThread:
    """An aiohttp application served on 127.0.0.1 by a loop in a thread."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(app)
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def start(self) -> None:
        """Serve on a free port; return once it accepts connections."""
        self._thread.start()
        self.port = self._call(self._start())

    def stop(self) -> None:
        """Close the application (and its directory pool), then the loop."""
        self._call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> int:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        # (host, port) of the one socket, bound to port 0: the kernel chose.
        return int(self._runner.addresses[0][1])

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=30)


@contextmanager
def serving(stack: Stack, **settings: object) -> Iterator[LiveBridge]:
    """A bridge with these settings, served over HTTP in front of ``stack``."""
    token = new_token()
    server = _ServerThread(stack.app(token, **settings))
    server.start()
    try:
        yield LiveBridge(f"http://127.0.0.1:{server.port}{SCIM}", token)
    finally:
        server.stop()


StackOf = Callable[[str], Stack]


@pytest.fixture(scope="package")
def conformance_stack() -> Iterator[StackOf]:
    """A slapd per mapping profile, started on first use, that only the
    conformance tools write to."""
    with ExitStack() as started:
        stacks: dict[str, Stack] = {}

        def stack_of(profile: str) -> Stack:
            if profile not in stacks:
                stacks[profile] = started.enter_context(start_stack(profile))
            return stacks[profile]

        yield stack_of
