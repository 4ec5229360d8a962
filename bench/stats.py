"""Latency samples, grouped by operation, and their summaries."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Latencies", "Phase", "percentile", "summary"]


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

    @contextmanager
    def clock(self) -> Iterator[None]:
        """Add the block's wall time to the phase."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - started

    def report(self) -> dict[str, Any]:
        """Wall time, throughput and latencies, ready for JSON."""
        requests = len(self.latencies.all())
        return {
            "seconds": round(self.seconds, 3),
            "operations": requests,
            "per_second": round(requests / self.seconds, 1) if self.seconds else None,
            "latency": self.latencies.report(),
        }
