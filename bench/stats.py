"""Latency samples, grouped by operation, and their summaries."""

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Latencies", "Phase", "cpu_seconds", "percentile", "summary"]

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, all its threads, so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def load_average() -> float:
    """The one-minute load average: other work on the machine skews figures."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile of ``samples`` (``fraction`` in 0..1)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(samples: list[float]) -> dict[str, Any]:
    """Count, p50 and p99 in milliseconds."""
    return {
        "count": len(samples),
        "p50_ms": round(percentile(samples, 0.50) * 1000, 3),
        "p99_ms": round(percentile(samples, 0.99) * 1000, 3),
    }


@dataclass
class Latencies:
    """Seconds per operation, by label; safe to fill from several threads."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, label: str, seconds: float) -> None:
        """Record one operation's duration."""
        with self._lock:
            self.samples.setdefault(label, []).append(seconds)

    @contextmanager
    def timed(self, label: str) -> Iterator[None]:
        """Record how long the block takes."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(label, time.perf_counter() - started)

    def all(self) -> list[float]:
        """Every sample, whatever its label."""
        return [s for values in self.samples.values() for s in values]

    def report(self) -> dict[str, Any]:
        """Per-label summaries plus one for every request together."""
        found = {label: summary(values) for label, values in self.samples.items()}
        found["all"] = summary(self.all())
        return found


@dataclass
class Phase:
    """A timed stretch of work: wall time and its operations' latencies."""

    name: str
    seconds: float = 0.0
    latencies: Latencies = field(default_factory=Latencies)
    processes: dict[str, int] = field(default_factory=dict)
    """Processes whose CPU time the phase accounts, by role; the client
    (this process) is always counted."""
    cpu: dict[str, float] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)

    @contextmanager
    def clock(self) -> Iterator[None]:
        """Add the block's wall time and its processes' CPU time to the phase."""
        pids = {"client": os.getpid(), **self.processes}
        before = {role: cpu_seconds(pid) for role, pid in pids.items()}
        self.load.append(load_average())
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - started
            for role, pid in pids.items():
                spent = cpu_seconds(pid) - before[role]
                self.cpu[role] = self.cpu.get(role, 0.0) + spent
            self.load.append(load_average())

    def report(self) -> dict[str, Any]:
        """Wall time, throughput and latencies, ready for JSON."""
        requests = len(self.latencies.all())
        return {
            "seconds": round(self.seconds, 3),
            "operations": requests,
            "per_second": round(requests / self.seconds, 1) if self.seconds else None,
            "latency": self.latencies.report(),
            "cpu_seconds": {role: round(value, 3) for role, value in self.cpu.items()},
            "load_average": self.load,
        }
