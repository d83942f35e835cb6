"""Rank fusion of retrieval legs: pure functions over each leg's (id, score) list, best first.

Every leg is fetched once (ids and scores only) and fused here, so each hit keeps its per-leg evidence and a
leg can be weighted or added without another engine call. Three methods:

- `rrf`: Σ w / (k + rank0), rank0 the 0-based position in the leg: Qdrant's own formula (weight 1 gives the
  engine's `Fusion.Rrf(k)` ranking), so `k=2` means what it meant when the engine fused.
- `dbsf`: distribution-based score fusion as the engine does it: each leg's scores mapped by
  (s − (μ − 3σ)) / 6σ (sample σ over the leg's list; one item or σ = 0 → 0.5), then the weighted sum.
- `convex`: min–max normalised scores (best 1, worst in the list 0), weighted sum. A point missing from a
  leg adds nothing from that leg.

Ties are broken by the first leg's order, then by id, so the result is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

FusionMethod = Literal["rrf", "dbsf", "convex"]
Ranked = Sequence[tuple[str, float]]  # (id, score), best first


def _rrf_scores(ranked: Ranked, k: float) -> list[float]:
    return [1.0 / (k + pos) for pos in range(len(ranked))]


def _distr_scores(ranked: Ranked) -> list[float]:
    n = len(ranked)
    if n == 1:
        return [0.5]
    scores = [s for _, s in ranked]
    mean = sum(scores) / n
    var = sum((s - mean) ** 2 for s in scores) / (n - 1) if n > 1 else 0.0
    std = math.sqrt(var)
    if std == 0.0:
        return [0.5] * n
    low = mean - 3.0 * std
    return [(s - low) / (6.0 * std) for s in scores]


def _minmax_scores(ranked: Ranked) -> list[float]:
    scores = [s for _, s in ranked]
    if not scores:
        return []
    hi, lo = max(scores), min(scores)
    if hi == lo:
        return [1.0] * len(scores)
    return [(s - lo) / (hi - lo) for s in scores]


def fuse(
    legs: Mapping[str, Ranked],
    method: FusionMethod,
    weights: Mapping[str, float] | None = None,
    rrf_k: float = 2.0,
) -> list[tuple[str, float]]:
    """One ranking from several legs: (id, fused score), best first. Legs with weight 0 are left out."""
    normalise: Callable[[Ranked], list[float]]
    if method == "rrf":
        normalise = lambda ranked: _rrf_scores(ranked, rrf_k)  # noqa: E731
    elif method == "dbsf":
        normalise = _distr_scores
    elif method == "convex":
        normalise = _minmax_scores
    else:
        raise ValueError(f"unknown fusion method {method!r}: rrf, dbsf or convex")
    total: dict[str, float] = {}
    first_seen: dict[str, int] = {}
    for name, ranked in legs.items():
        w = 1.0 if weights is None else float(weights.get(name, 0.0))
        if w <= 0.0 or not ranked:
            continue
        for (pid, _), value in zip(ranked, normalise(ranked), strict=True):
            total[pid] = total.get(pid, 0.0) + w * value
            first_seen.setdefault(pid, len(first_seen))
    return sorted(total.items(), key=lambda item: (-item[1], first_seen[item[0]], item[0]))
