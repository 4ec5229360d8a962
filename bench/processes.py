"""Child servers of a run: started, waited for, measured, and stopped by pid."""

import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from bridge.slapd import LocalSlapd, ServiceAccount
from bridge.slapd.layout import Layout

__all__ = ["ChildServer", "Secrets", "memory_kib", "start_bridge", "start_reference"]

_START_TIMEOUT = 30.0
_STOP_GRACE = 10.0


@dataclass
class Secrets:
    """A private directory holding this run's generated secrets as files."""

    root: Path
    token: str

    @classmethod
    def create(cls) -> "Secrets":
        """A fresh 0700 directory and a fresh bearer token."""
        root = Path(tempfile.mkdtemp(prefix="scim-bench-"))
        found = cls(root, secrets.token_urlsafe(32))
        found.write("token", found.token)
        return found

    def write(self, name: str, text: str) -> Path:
        """A 0600 file holding ``text`` exactly (ldap tools read no newline)."""
        path = self.root / name
        path.touch(mode=0o600)
        path.write_text(text, encoding="utf-8")
        return path

    def path(self, name: str) -> Path:
        """Where a named file lives in the directory."""
        return self.root / name


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident) and VmRSS of a process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            found[name] = int(value.split()[0])
    return found


def slapd_pid(slapd: LocalSlapd) -> int:
    """The running slapd's process id, from the pid file it writes."""
    return int(Layout.inside(slapd.workdir).pid_file.read_text().strip())


class ChildServer:
    """One server child process on 127.0.0.1; stopped by its own pid only."""

    def __init__(
        self, command: list[str], port_file: Path, ready_path: str, log: Path
    ) -> None:
        """Start ``command``; it writes its port to ``port_file`` when bound."""
        self.log = log
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
                cwd=Path(__file__).resolve().parent.parent,
            )  # fmt: skip
        self.port = self._wait_for_port(port_file)
        self.origin = f"http://127.0.0.1:{self.port}"
        self._wait_until_answering(ready_path)

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"server exited with {self.process.returncode}:\n{tail}")

    def _wait_for_port(self, port_file: Path) -> int:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive()
            if port_file.exists():
                return int(port_file.read_text(encoding="utf-8"))
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server wrote no port within {_START_TIMEOUT}s")

    def _wait_until_answering(self, path: str) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(self.origin + path, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not answer {path} within {_START_TIMEOUT}s")

    def memory(self) -> dict[str, int]:
        """Peak and current resident memory, KiB."""
        return memory_kib(self.pid)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period. Idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=_STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "ChildServer":
        """Use as a context manager that stops the child."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the child whatever happened."""
        self.stop()


def start_bridge(
    slapd: LocalSlapd, writer: ServiceAccount, keys: Secrets, name: str, pool_size: int
) -> ChildServer:
    """``bench.server`` in front of ``slapd``, bound as ``writer``."""
    password = keys.write(f"{name}.password", writer.password)
    port_file = keys.path(f"{name}.port")
    port_file.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "bench.server",
        "--uri", slapd.uri, "--bind-dn", writer.dn,
        "--password-file", str(password), "--token-file", str(keys.path("token")),
        "--port-file", str(port_file), "--pool-size", str(pool_size),
    ]  # fmt: skip
    return ChildServer(command, port_file, "/healthz", keys.path(f"{name}.log"))


def start_reference(keys: Secrets) -> ChildServer:
    """``bench.reference``: scim2-server in memory."""
    port_file = keys.path("reference.port")
    port_file.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "bench.reference",
        "--token-file", str(keys.path("token")), "--port-file", str(port_file),
    ]  # fmt: skip
    return ChildServer(
        command, port_file, "/v2/ServiceProviderConfig", keys.path("reference.log")
    )


def remove_secrets(keys: Secrets) -> None:
    """Delete the run's secret files and logs."""
    for path in keys.root.iterdir():
        path.unlink()
    os.rmdir(keys.root)


__all__ += ["remove_secrets", "slapd_pid"]
