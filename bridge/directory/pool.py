"""A bounded pool of ldap3 connections, used from a bounded thread pool.

ldap3 is synchronous, so every call runs in a worker thread and the event
loop never blocks. There are as many connections as workers, so a worker
always finds one free. A semaphore bounds how many requests may wait; past
it, and past the operation timeout, the caller gets a 503 rather than a
hang. Connections are opened lazily, and a broken one is dropped and
reopened on the next URI that answers (failover in configuration order).
"""

import asyncio
import logging
import queue
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ldap3 import NONE, SIMPLE, SYNC, Connection, Server, Tls
from ldap3.utils.uri import parse_uri

from ..config import DirectorySettings, TlsMode
from ..errors import DirectoryUnavailable
from .errors import translated

__all__ = ["ConnectionPool"]

log = logging.getLogger("bridge.directory")
T = TypeVar("T")


class ConnectionPool:
    """Owns the executor and the connections; runs blocking LDAP calls."""

    def __init__(self, settings: DirectorySettings, password: str) -> None:
        self._settings = settings
        self._password = password
        self._executor = ThreadPoolExecutor(
            max_workers=settings.pool_size, thread_name_prefix="ldap"
        )
        self._free: queue.SimpleQueue[Connection | None] = queue.SimpleQueue()
        for _ in range(settings.pool_size):
            self._free.put(None)
        self._waiting = asyncio.Semaphore(settings.pool_size + settings.queue_limit)
        self._servers = [self._server(uri) for uri in settings.uris]
        self._preferred = 0
        self._lock = threading.Lock()
        self._closed = False

    def _server(self, uri: str) -> Server:
        parts = parse_uri(uri)
        use_ssl = parts["ssl"] or self._settings.tls is TlsMode.ldaps
        tls = None
        if use_ssl or self._settings.tls is TlsMode.starttls:
            tls = Tls(
                validate=ssl.CERT_REQUIRED,
                ca_certs_file=str(self._settings.ca_file) if self._settings.ca_file else None,
                version=ssl.PROTOCOL_TLS_CLIENT,
            )
        return Server(
            parts["host"],
            port=parts["port"],
            use_ssl=use_ssl,
            tls=tls,
            get_info=NONE,
            connect_timeout=self._settings.connect_timeout,
        )

    def _open(self) -> Connection:
        """Bind on the first URI that answers, starting with the last good one."""
        last: Exception | None = None
        count = len(self._servers)
        for step in range(count):
            index = (self._preferred + step) % count
            try:
                conn = self._bind(self._servers[index])
            except DirectoryUnavailable as exc:
                last = exc
                continue
            if index != self._preferred:
                log.warning("LDAP failover to URI #%d", index + 1)
                self._preferred = index
            return conn
        raise DirectoryUnavailable(retry_after=self._settings.retry_after) from last

    def _bind(self, server: Server) -> Connection:
        with translated("bind"):
            conn = Connection(
                server,
                user=self._settings.bind_dn or None,
                password=self._password or None,
                authentication=SIMPLE if self._settings.bind_dn else None,
                client_strategy=SYNC,
                raise_exceptions=False,
                receive_timeout=max(1, round(self._settings.operation_timeout)),
                auto_range=False,
                return_empty_attributes=False,
            )
            conn.open()
            if self._settings.tls is TlsMode.starttls and not server.ssl:
                if not conn.start_tls():
                    raise DirectoryUnavailable(detail="StartTLS was refused")
            if not conn.bind():
                conn.unbind()
                log.error("LDAP bind refused: %s", conn.result.get("description"))
                raise DirectoryUnavailable(detail="The directory refused the bridge's bind")
        return conn

    def _call(self, work: Callable[[Connection], T]) -> T:
        """Run one unit of LDAP work on a pooled connection (worker thread)."""
        conn = self._free.get()
        try:
            if conn is None or conn.closed:
                conn = self._open()
                return work(conn)
            try:
                return work(conn)
            except DirectoryUnavailable:
                # A pooled connection dies silently when slapd restarts; the
                # request was not processed, so one retry on a fresh
                # connection makes the first request after recovery succeed.
                _quietly_close(conn)
                conn = None
                conn = self._open()
                return work(conn)
        except DirectoryUnavailable:
            if conn is not None:
                _quietly_close(conn)
            conn = None
            raise
        finally:
            self._free.put(conn)

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run LDAP work off the event loop, bounded in count and time."""
        if self._closed:
            raise DirectoryUnavailable(detail="The bridge is shutting down")
        limit = self._settings.operation_timeout + self._settings.connect_timeout
        try:
            await asyncio.wait_for(self._waiting.acquire(), timeout=limit)
        except TimeoutError as exc:
            raise DirectoryUnavailable(retry_after=self._settings.retry_after) from exc
        try:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor, self._call, work)
            return await asyncio.wait_for(future, timeout=limit * len(self._servers) + 1)
        except TimeoutError as exc:
            raise DirectoryUnavailable(
                detail="The directory did not answer in time",
                retry_after=self._settings.retry_after,
            ) from exc
        finally:
            self._waiting.release()

    def close(self) -> None:
        """Unbind every connection and stop the workers."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
        while True:
            try:
                conn = self._free.get_nowait()
            except queue.Empty:
                break
            if conn is not None:
                _quietly_close(conn)


def _quietly_close(conn: Connection) -> None:
    try:
        conn.unbind()
    except Exception:  # noqa: BLE001 - a broken socket may fail any way
        pass
