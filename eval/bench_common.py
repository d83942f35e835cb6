"""What the search benchmark's parts share: constants, the query list (read when asked for), pure statistics."""

from __future__ import annotations

import functools
import statistics
from collections.abc import Sequence
from pathlib import Path

from rag_service.retrieve import Mode

ROOT = Path(__file__).resolve().parents[1]
MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")
TOP_K = 10
BATCH = 1024


@functools.cache
def queries() -> tuple[str, ...]:
    """~50 Japanese queries on medical law (`queries_medical_law.txt`), read on first use, not at import."""
    text = Path(__file__).with_name("queries_medical_law.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


# pure helpers ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be within [0, 100], got {q}")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def replica_count(n_base: int, size: int) -> int:
    """Replicas of an `n_base`-chunk corpus needed to reach `size` chunks (the last one may be partial)."""
    if n_base <= 0:
        raise ValueError("the base corpus is empty")
    return max(1, -(-size // n_base))


def per_100k(mb_by_size: dict[int, float]) -> dict[str, float | None]:
    """MB per 100k chunks: the slope between the smallest and largest size, and the largest size's absolute."""
    sizes = sorted(mb_by_size)
    big = sizes[-1]
    slope = None
    if len(sizes) > 1 and big > sizes[0]:
        slope = (mb_by_size[big] - mb_by_size[sizes[0]]) / (big - sizes[0]) * 100_000
    return {
        "slope_mb_per_100k": None if slope is None else round(slope, 1),
        "absolute_mb_per_100k": round(mb_by_size[big] / big * 100_000, 1),
    }


def summarize(latencies_ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(latencies_ms),
        "p50_ms": round(percentile(latencies_ms, 50), 2),
        "p95_ms": round(percentile(latencies_ms, 95), 2),
    }


def median_timings(timings: Sequence[dict[str, float]]) -> dict[str, float]:
    keys = sorted({k for t in timings for k in t})
    return {k: round(statistics.median(t[k] for t in timings if k in t), 2) for k in keys}
