"""A bounded pool of ldap3 connections, used from a bounded thread pool.

ldap3 is synchronous, so every call runs in a worker thread and the event
loop never blocks. There are as many connections as workers, so a worker
always finds one free. A semaphore bounds how many requests may wait; past
it, and past the operation timeout, the caller gets a 503 rather than a
hang. Connections are opened lazily, on the first URI that answers
(failover in configuration order, sticking to the last good one).

A pooled connection dies silently when slapd restarts or closes it: the
peer's FIN makes the idle socket readable, so such a connection is
dropped before use and the request runs on a fresh one. A URI that lets
an operation time out is left, with every idle connection to it, so one
request pays the timeout rather than one per pooled connection.

Time bounds, in the settings' terms: one LDAP answer waits
``operation_timeout`` at most; opening a connection waits
``connect_timeout`` for TCP (and TLS) plus ``operation_timeout`` for
StartTLS and the bind, per URI; and whatever happens in the worker, the
caller has its answer after ``(connect_timeout + operation_timeout) ×
URIs + operation_timeout``.
"""

import asyncio
import contextlib
import logging
import math
import queue
import select
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from ldap3 import NONE, SIMPLE, SYNC, Connection, Server, Tls
from ldap3.utils.uri import parse_uri

from ..config import DirectorySettings, TlsMode
from ..errors import DirectoryUnavailable
from .errors import (
    INVALID_CREDENTIALS,
    BindRefused,
    Refused,
    StartTlsRefused,
    Unreachable,
    translated,
)

__all__ = ["ConnectionPool"]

log = logging.getLogger("bridge.directory")
T = TypeVar("T")


@dataclass
class _Link:
    """A bound connection and the index of the URI it was opened on."""

    conn: Connection
    uri: int
    epoch: int
    """The URI's epoch when opened: a timeout there starts a new one."""


class ConnectionPool:
    """Owns the executor and the connections; runs blocking LDAP calls."""

    def __init__(self, settings: DirectorySettings, password: str) -> None:
        self._settings = settings
        self._password = password
        self._executor = ThreadPoolExecutor(
            max_workers=settings.pool_size, thread_name_prefix="ldap"
        )
        self._free: queue.SimpleQueue[_Link | None] = queue.SimpleQueue()
        for _ in range(settings.pool_size):
            self._free.put(None)
        self._waiting = asyncio.Semaphore(settings.pool_size + settings.queue_limit)
        self._preferred = 0
        self._epochs = [0] * len(settings.uris)
        self._lock = threading.Lock()
        self._closed = False
        self.last_failure: str | None = None
        """Why the last attempt to open a connection failed, per URI (for
        operators: it names hosts, so it never reaches a client)."""

    def _server(self, uri: str) -> Server:
        # A fresh Server per attempt: ldap3 marks a Server's address
        # unusable for several seconds after one failed connect, which
        # would keep the bridge down after slapd is already back.
        parts = parse_uri(uri)  # type: ignore[no-untyped-call]
        use_ssl = parts["ssl"] or self._settings.tls is TlsMode.ldaps
        tls = None
        if use_ssl or self._settings.tls is TlsMode.starttls:
            ca_file = self._settings.ca_file
            tls = Tls(
                validate=ssl.CERT_REQUIRED,
                ca_certs_file=str(ca_file) if ca_file else None,
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

    def _open(self) -> _Link:
        """Bind on the first URI that answers, starting with the last good one."""
        uris = self._settings.uris
        with self._lock:
            start = self._preferred
        failures: list[Unreachable] = []
        for step in range(len(uris)):
            index = (start + step) % len(uris)
            try:
                conn = self._bind(uris[index])
            except Unreachable as exc:
                # A refused bind will not heal by itself: say so louder.
                level = logging.ERROR if isinstance(exc, Refused) else logging.WARNING
                log.log(level, "LDAP URI #%d unusable: %s", index + 1, exc.reason)
                failures.append(exc)
                continue
            self._prefer(index, start)
            return _Link(conn, index, self._epochs[index])
        raise self._all_failed(failures) from failures[-1]

    def _prefer(self, index: int, start: int) -> None:
        with self._lock:
            if index != start:
                log.warning("LDAP failover to URI #%d", index + 1)
            self._preferred = index

    def _all_failed(self, failures: list[Unreachable]) -> Unreachable:
        reason = "; ".join(failure.reason for failure in failures)
        self.last_failure = reason
        kinds = {type(failure) for failure in failures}
        kind = kinds.pop() if len(kinds) == 1 else Unreachable
        return kind(
            reason,
            timed_out=any(failure.timed_out for failure in failures),
            retry_after=self._settings.retry_after,
        )

    def _bind(self, uri: str) -> Connection:
        conn = Connection(
            self._server(uri),
            user=self._settings.bind_dn or None,
            password=self._password or None,
            authentication=SIMPLE if self._settings.bind_dn else None,
            client_strategy=SYNC,
            raise_exceptions=False,
            # ldap3 sets SO_RCVTIMEO from this, which takes whole seconds.
            receive_timeout=math.ceil(self._settings.operation_timeout),
            auto_range=False,
            # A referral would have the bridge bind, with its password, to
            # whatever host the answer names.
            auto_referrals=False,
            return_empty_attributes=False,
        )
        try:
            self._handshake(conn)
        except Unreachable as exc:
            _quietly_close(conn)
            raise type(exc)(f"{uri}: {exc.reason}", timed_out=exc.timed_out) from exc
        return conn

    def _handshake(self, conn: Connection) -> None:
        """Open, StartTLS when asked, bind; raise Unreachable on failure."""
        with translated("connect"):
            conn.open()
        if self._settings.tls is TlsMode.starttls and not conn.server.ssl:
            try:
                with translated("StartTLS"):
                    started = conn.start_tls()
            except Unreachable as exc:
                # An LDAP result (protocolError, unavailable) is the
                # directory's answer; a broken handshake is not.
                if int((conn.result or {}).get("result") or 0):
                    raise StartTlsRefused(exc.reason) from exc
                raise
            if not started:
                raise StartTlsRefused(f"StartTLS refused: {_describe(conn)}")
        with translated("bind"):
            bound = conn.bind()
        if bound:
            return
        code = int(conn.result.get("result", -1))
        kind = BindRefused if code == INVALID_CREDENTIALS else Unreachable
        raise kind(f"the directory refused the bind: {_describe(conn)}")

    def _call(self, work: Callable[[Connection], T], retry: bool) -> T:
        """Run one unit of LDAP work on a pooled connection (worker thread)."""
        link = self._free.get()
        try:
            if link is not None and self._stale(link):
                _quietly_close(link.conn)
                link = None
            if link is None:
                link = self._open()
            try:
                return work(link.conn)
            except Unreachable as exc:
                if exc.timed_out:
                    self._avoid(link.uri)
                if not self._worth_retrying(exc, retry):
                    raise
                _quietly_close(link.conn)
                link = None
                link = self._open()
                return work(link.conn)
        except DirectoryUnavailable:
            if link is not None:
                _quietly_close(link.conn)
            link = None
            raise
        finally:
            self._free.put(link)

    def _worth_retrying(self, exc: Unreachable, retry: bool) -> bool:
        # Only reads run twice: a write may have landed before the link
        # broke. A read that timed out is tried again only elsewhere, since
        # the same silent directory would just spend the time again.
        if not retry:
            return False
        return not exc.timed_out or len(self._settings.uris) > 1

    def _avoid(self, index: int) -> None:
        """After a timeout: leave a silent URI, with every idle connection
        to it, so one request pays the timeout, not one per connection."""
        with self._lock:
            self._epochs[index] += 1
            if self._preferred == index and len(self._epochs) > 1:
                self._preferred = (index + 1) % len(self._epochs)
                log.warning("LDAP failover to URI #%d", self._preferred + 1)

    def _stale(self, link: _Link) -> bool:
        return link.epoch != self._epochs[link.uri] or _dropped(link.conn)

    async def run(self, work: Callable[[Connection], T], *, retry: bool = False) -> T:
        """Run LDAP work off the event loop, bounded in count and time.

        ``retry`` says the work is safe to run twice (a read): it is then
        repeated once on a fresh connection when the link broke under it,
        or, with several URIs, when the directory did not answer in time.
        """
        if self._closed:
            raise DirectoryUnavailable(detail="The bridge is shutting down")
        limit = self._settings.operation_timeout + self._settings.connect_timeout
        if self._waiting.locked():
            try:
                await asyncio.wait_for(self._waiting.acquire(), timeout=limit)
            except TimeoutError as exc:
                raise DirectoryUnavailable(
                    retry_after=self._settings.retry_after
                ) from exc
        else:
            # A free slot is taken at once; wait_for would add a task.
            await self._waiting.acquire()
        try:
            loop = asyncio.get_running_loop()
            deadline = (
                limit * len(self._settings.uris) + self._settings.operation_timeout
            )
            async with asyncio.timeout(deadline):
                return await loop.run_in_executor(
                    self._executor, self._call, work, retry
                )
        except TimeoutError as exc:
            raise DirectoryUnavailable(
                detail="The directory did not answer in time",
                retry_after=self._settings.retry_after,
            ) from exc
        except DirectoryUnavailable as exc:
            # Raised deep in ldap3 translation, before the settings were known.
            exc.retry_after = self._settings.retry_after
            raise
        finally:
            self._waiting.release()

    def close(self) -> None:
        """Unbind every connection and stop the workers."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
        while True:
            try:
                link = self._free.get_nowait()
            except queue.Empty:
                break
            if link is not None:
                _quietly_close(link.conn)


def _dropped(conn: Connection) -> bool:
    """Whether an idle connection is closed or was closed by the server.

    Nothing may arrive on an idle LDAP connection but a Notice of
    Disconnection or the end of the stream, so readable means dead.
    """
    if conn.closed or conn.socket is None:
        return True
    poller = select.poll()
    try:
        poller.register(conn.socket, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _describe(conn: Connection) -> str:
    result = conn.result or {}
    parts = [
        str(result.get("description") or "no answer"),
        str(result.get("message") or ""),
    ]
    return " ".join(part for part in parts if part).strip()


def _quietly_close(conn: Connection) -> None:
    # A broken socket may fail any way on unbind; the connection is gone.
    with contextlib.suppress(Exception):
        conn.unbind()
