"""Run a private, throwaway slapd on the loopback interface.

:class:`LocalSlapd` renders a :class:`SlapdSpec` into a working directory,
loads it with ``slapadd``, and runs ``slapd`` as a child process that it
alone stops. It never listens on, or talks to, anything but 127.0.0.0/8.

Errors: :class:`SlapdError` for anything slapd refuses (with the tail of its
log), and its subclass :class:`SlapdNotInstalled` when the Debian packages
are missing.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from bridge.slapd import _children
from bridge.slapd.config import (
    render_config,
    render_data,
    render_root_password,
    root_dn,
)
from bridge.slapd.layout import Layout
from bridge.slapd.ldif import ssha
from bridge.slapd.spec import SlapdSpec
from bridge.slapd.tools import (
    SlapdError,
    Tools,
    find_tools,
    free_port_pair,
    log_tail,
    preload_for,
    run,
    succeeds,
)

__all__ = ["LocalSlapd"]

logger = logging.getLogger(__name__)

_STOP_GRACE = 10.0
"""Seconds slapd gets to flush and exit after SIGTERM before SIGKILL."""

_PORT_ATTEMPTS = 3
"""A free port can be taken by someone else before slapd binds it."""

ALLOCATOR = "jemalloc"
"""slapd's malloc when installed. back-mdb copies every value of an entry on
each modify; after a group read with dereferenced members (50,000 member
lookups) glibc's malloc made those copies, and every later write, several
times slower, jemalloc not (docs/benchmarks.md, "slapd's allocator")."""


class LocalSlapd:
    """A slapd child process serving one :class:`SlapdSpec` on loopback.

    Use it as a context manager, or call :meth:`start` and :meth:`close`.
    Without a ``workdir`` it creates a temporary one and removes it on
    :meth:`close`; a given ``workdir`` is kept, and a later instance on the
    same directory reuses its data.
    """

    def __init__(
        self,
        spec: SlapdSpec | None = None,
        workdir: Path | None = None,
        host: str = "127.0.0.1",
        *,
        log_level: str = "none",
        start_timeout: float = 15.0,
        allocator: str | None = ALLOCATOR,
    ) -> None:
        """Prepare, but do not start; ``log_level`` is slapd's ``-d`` value,
        ``allocator`` the malloc library slapd runs with (None: glibc's)."""
        address = ipaddress.ip_address(host)
        if address.version != 4 or not address.is_loopback:
            raise ValueError(f"LocalSlapd only listens on IPv4 loopback, not {host}")
        self._spec = spec or SlapdSpec()
        self._host = host
        self._log_level = log_level
        self._start_timeout = start_timeout
        self._allocator = allocator
        self._owns_workdir = workdir is None
        self._workdir = workdir
        self._root_password = secrets.token_urlsafe(24)
        self._ports: tuple[int, int] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def spec(self) -> SlapdSpec:
        """The directory description this server was built from."""
        return self._spec

    @property
    def workdir(self) -> Path:
        """The working directory: slapd.d, db, slapd.log."""
        if self._workdir is None:
            raise SlapdError("slapd has not been started yet")
        return self._workdir

    @property
    def uri(self) -> str:
        """Plain LDAP URI; StartTLS is offered there when TLS is on."""
        return f"ldap://{self._host}:{self._port_pair()[0]}"

    @property
    def ldaps_uri(self) -> str | None:
        """LDAPS URI, or None when the spec has no TLS files."""
        if self._spec.tls is None:
            return None
        return f"ldaps://{self._host}:{self._port_pair()[1]}"

    @property
    def root_dn(self) -> str:
        """DN of the database root, which bypasses every ACL."""
        return root_dn(self._spec)

    @property
    def root_password(self) -> str:
        """Random root password, known only to this process."""
        return self._root_password

    @property
    def suffix(self) -> str:
        """Naming context of the database."""
        return self._spec.suffix

    @property
    def running(self) -> bool:
        """True while the slapd child is alive (paused counts as alive)."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Create the directory on first use, then run slapd until it answers."""
        if self.running:
            return
        tools = find_tools()
        layout = self._layout()
        if not layout.config_dir.exists():
            self._initialise(layout, tools)
        elif self._ports is None:
            # A directory left by an earlier instance: keep its data, but
            # make this instance's random root password the valid one.
            self._reset_root_password(layout, tools)
        self._launch_with_retries(layout, tools)

    def stop(self) -> None:
        """Stop slapd: SIGTERM, then SIGKILL after a grace period. Idempotent."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            # A paused slapd queues SIGTERM; wake it so it can act on it.
            process.send_signal(signal.SIGCONT)
            try:
                process.wait(timeout=_STOP_GRACE)
            except subprocess.TimeoutExpired:
                logger.warning("slapd ignored SIGTERM", extra={"pid": process.pid})
                process.kill()
                process.wait()
        _children.forget(process)
        self._process = None

    def restart(self) -> None:
        """Stop and start again on the same ports and the same database."""
        self.stop()
        self.start()

    def pause(self) -> None:
        """Freeze slapd (SIGSTOP): connections open, but nothing answers."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused slapd run again (SIGCONT)."""
        self._signal(signal.SIGCONT)

    def close(self) -> None:
        """Stop slapd and remove the working directory if this object made it."""
        self.stop()
        if self._owns_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            _children.forget_dir(self._workdir)
            self._workdir = None
            self._ports = None

    def __enter__(self) -> LocalSlapd:
        """Start slapd for the duration of a ``with`` block."""
        try:
            self.start()
        except BaseException:
            # __exit__ does not run when __enter__ fails: clean up here.
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop slapd and clean up, whatever happened in the block."""
        self.close()

    def _layout(self) -> Layout:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="scim-slapd-"))
            _children.remember_dir(self._workdir)
        return Layout.inside(self._workdir)

    def _initialise(self, layout: Layout, tools: Tools) -> None:
        # The LDIF files hold password hashes only, and stay for debugging.
        layout.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        layout.config_dir.mkdir(mode=0o700)
        layout.db_dir.mkdir(mode=0o700)
        config = render_config(self._spec, layout, ssha(self._root_password))
        _write_private(layout.root / "config.ldif", config)
        _write_private(layout.root / "data.ldif", render_data(self._spec))

        self._slap_tool(layout, tools.slapadd, "-n0", "config.ldif")
        self._slap_tool(layout, tools.slapadd, "-n1", "data.ldif")

    def _reset_root_password(self, layout: Layout, tools: Tools) -> None:
        change = render_root_password(ssha(self._root_password))
        _write_private(layout.root / "root-password.ldif", change)
        self._slap_tool(layout, tools.slapmodify, "-n0", "root-password.ldif")

    def _slap_tool(self, layout: Layout, tool: str, db: str, ldif: str) -> None:
        run([tool, db, "-F", str(layout.config_dir), "-l", ldif], layout.root)

    def _launch_with_retries(self, layout: Layout, tools: Tools) -> None:
        # Ports are chosen once; a restart must keep them, so only the first
        # start may move on to fresh ports when someone took ours meanwhile.
        fixed = self._ports is not None
        for attempt in range(1 if fixed else _PORT_ATTEMPTS):
            if not fixed:
                self._ports = free_port_pair(self._host)
            try:
                self._launch(layout, tools)
                return
            except SlapdError as error:
                if fixed or "Address already in use" not in str(error):
                    raise
                logger.info("slapd port taken, retrying", extra={"attempt": attempt})
        raise SlapdError("no free port for slapd after several attempts")

    def _launch(self, layout: Layout, tools: Tools) -> None:
        command = [
            tools.slapd,
            # -d keeps slapd in the foreground, so it stays our child and
            # its stderr is ours; "none" logs only what must be logged.
            "-d", self._log_level,
            "-h", " ".join(self._listen_urls()),
            "-F", str(layout.config_dir),
        ]  # fmt: skip
        with layout.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=self._environment(),
            )  # fmt: skip
        _children.remember(self._process)
        self._wait_until_ready(layout, tools.ldapsearch)
        logger.info("slapd started", extra={"uri": self.uri, "pid": self._process.pid})

    def _environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
        library = preload_for(self._allocator)
        if library is not None:
            env["LD_PRELOAD"] = library
        elif self._allocator is not None:
            _warn_missing(self._allocator)
        return env

    def _listen_urls(self) -> list[str]:
        urls = [self.uri + "/"]
        if self.ldaps_uri is not None:
            urls.append(self.ldaps_uri + "/")
        return urls

    def _wait_until_ready(self, layout: Layout, ldapsearch: str) -> None:
        # The listener is bound before the database opens, so a TCP connect
        # proves little: wait for an actual answer to a root DSE read.
        probe = [ldapsearch, "-x", "-H", self.uri, "-s", "base", "-b", "", "1.1"]
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                self.stop()
                tail = log_tail(layout.log_file)
                raise SlapdError("slapd exited during start-up" + tail)
            if succeeds(probe, layout.root, timeout=2.0):
                return
            time.sleep(0.05)
        self.stop()
        raise SlapdError("slapd did not answer in time" + log_tail(layout.log_file))

    def _port_pair(self) -> tuple[int, int]:
        if self._ports is None:
            raise SlapdError("slapd has not been started yet")
        return self._ports

    def _signal(self, signum: signal.Signals) -> None:
        if not self.running:
            raise SlapdError("slapd is not running")
        assert self._process is not None
        self._process.send_signal(signum)


@functools.cache
def _warn_missing(allocator: str) -> None:
    logger.warning("slapd runs with glibc's malloc: %s is not installed", allocator)


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.write_text(text, encoding="utf-8")
