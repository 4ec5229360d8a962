"""Process-wide record of slapd children and temporary directories.

An interpreter that exits without calling :meth:`LocalSlapd.close` (a test
run interrupted, a demo that forgot) must not leave slapd running on a port
or a directory of data behind; the exit handler here sees to both.
"""

from __future__ import annotations

import atexit
import shutil
import signal
import subprocess
import threading
from pathlib import Path

__all__ = ["forget", "forget_dir", "remember", "remember_dir"]

_EXIT_GRACE = 5.0

_lock = threading.Lock()
_processes: set[subprocess.Popen[bytes]] = set()
_directories: set[Path] = set()


def remember(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process`` at interpreter exit unless it is forgotten first."""
    with _lock:
        _processes.add(process)


def forget(process: subprocess.Popen[bytes]) -> None:
    """Drop ``process`` from the exit handler's list."""
    with _lock:
        _processes.discard(process)


def remember_dir(path: Path) -> None:
    """Remove ``path`` at interpreter exit unless it is forgotten first."""
    with _lock:
        _directories.add(path)


def forget_dir(path: Path) -> None:
    """Drop ``path`` from the exit handler's list."""
    with _lock:
        _directories.discard(path)


@atexit.register
def _clean_up() -> None:
    with _lock:
        processes, directories = list(_processes), list(_directories)
    for process in processes:
        process.terminate()
        # A paused slapd only acts on SIGTERM once it runs again.
        process.send_signal(signal.SIGCONT)
    for process in processes:
        try:
            process.wait(timeout=_EXIT_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for path in directories:
        shutil.rmtree(path, ignore_errors=True)
