"""The OpenLDAP programs the launcher drives, and how it runs them.

Everything here is a thin layer over :mod:`subprocess`: find the Debian
binaries, run one to completion, pick free loopback ports, and quote the end
of slapd's log in errors.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SlapdError",
    "SlapdNotInstalled",
    "Tools",
    "find_tools",
    "free_port_pair",
    "log_tail",
    "preload_for",
    "run",
    "succeeds",
]

# Debian keeps the server programs in sbin, which an ordinary user's PATH
# often lacks.
_SEARCH_PATH = os.pathsep.join(
    [os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"]
)

_TAIL_LINES = 20


class SlapdError(RuntimeError):
    """slapd or one of its tools refused to do what the launcher asked."""


class SlapdNotInstalled(SlapdError):
    """A program from the Debian packages ``slapd`` or ``ldap-utils`` is missing."""


@dataclass(frozen=True)
class Tools:
    """Absolute paths of the programs the launcher runs."""

    slapd: str
    slapadd: str
    slapmodify: str
    ldapsearch: str


def find_tools() -> Tools:
    """Locate the programs, or say which Debian packages provide them."""
    wanted = {
        "slapd": "slapd",
        "slapadd": "slapd",
        "slapmodify": "slapd",
        "ldapsearch": "ldap-utils",
    }
    found = {name: shutil.which(name, path=_SEARCH_PATH) for name in wanted}
    missing = sorted(name for name, path in found.items() if path is None)
    if missing:
        packages = sorted({wanted[name] for name in missing})
        raise SlapdNotInstalled(
            f"missing {', '.join(missing)}: "
            f"install the Debian packages {' and '.join(packages)}"
        )
    return Tools(**{name: str(path) for name, path in found.items()})


def preload_for(allocator: str | None) -> str | None:
    """The library to preload into slapd for ``allocator``, or None.

    None stands for glibc's malloc, and is also the answer when the
    allocator's library is not installed (Debian: ``libjemalloc2``).
    """
    if allocator is None:
        return None
    # The soname, as ld.so's cache knows it; LD_PRELOAD resolves a name
    # without a slash the way it resolves any library, on every multiarch.
    return ctypes.util.find_library(allocator)


def run(command: Sequence[str], cwd: Path) -> None:
    """Run ``command`` in ``cwd``; raise :class:`SlapdError` with its output."""
    result = subprocess.run(
        command, cwd=cwd, env=_client_env(), capture_output=True, check=False
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace").strip()
        name = Path(command[0]).name
        raise SlapdError(f"{name} failed ({result.returncode}):\n{output}")


def succeeds(command: Sequence[str], cwd: Path, timeout: float) -> bool:
    """Return True when ``command`` exits with 0 within ``timeout`` seconds."""
    try:
        result = subprocess.run(
            command, cwd=cwd, env=_client_env(), capture_output=True,
            timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def free_port_pair(host: str) -> tuple[int, int]:
    """Return two distinct TCP ports that are free on ``host`` right now.

    Both sockets are held open together so the kernel cannot hand out the
    same port twice; another process may still take one before slapd does.
    """
    with socket.socket() as first, socket.socket() as second:
        first.bind((host, 0))
        second.bind((host, 0))
        return first.getsockname()[1], second.getsockname()[1]


def log_tail(log_file: Path) -> str:
    """Return the last lines of slapd's log, ready to append to a message."""
    try:
        lines = log_file.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return ""
    return "\n--- end of slapd.log ---\n" + "\n".join(lines[-_TAIL_LINES:])


def _client_env() -> dict[str, str]:
    # LDAPNOINIT keeps ldap-utils from reading ~/.ldaprc and ldap.conf,
    # which could point them at another server or demand a certificate.
    return {**os.environ, "LDAPNOINIT": "1"}
