"""Retrieval metrics: pure functions over a ranked list of ids and graded qrels (no I/O, no models).

`qrels` maps doc id → relevance grade; grades ≤ 0 count as not relevant. Duplicate ids in a
ranking count once, at their first rank.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence


def _top_k(ranked_ids: Sequence[str], k: int) -> list[str]:
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    seen: set[str] = set()
    top: list[str] = []
    for doc_id in ranked_ids:
        if doc_id in seen:
            continue
        seen.add(doc_id)
        top.append(doc_id)
        if len(top) == k:
            break
    return top


def _gain(relevance: int) -> float:
    return float(2**relevance - 1) if relevance > 0 else 0.0


def dcg_at_k(ranked_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """Sum over the top k of (2^rel − 1) / log2(rank + 1), rank 1-based."""
    return sum(
        _gain(qrels.get(doc_id, 0)) / math.log2(rank + 1) for rank, doc_id in enumerate(_top_k(ranked_ids, k), start=1)
    )


def ndcg_at_k(ranked_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """Graded nDCG@k: DCG of the ranking over DCG of the ideal ordering of the qrels. 0.0 without relevant docs."""
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    ideal_grades = sorted((rel for rel in qrels.values() if rel > 0), reverse=True)[:k]
    ideal = sum(_gain(rel) / math.log2(rank + 1) for rank, rel in enumerate(ideal_grades, start=1))
    if ideal == 0.0:
        return 0.0
    return dcg_at_k(ranked_ids, qrels, k) / ideal


def recall_at_k(ranked_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """Share of the relevant docs (grade > 0) found in the top k. 0.0 without relevant docs."""
    relevant = {doc_id for doc_id, rel in qrels.items() if rel > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(_top_k(ranked_ids, k))) / len(relevant)


def mrr_at_k(ranked_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """1 / rank of the first relevant doc in the top k; 0.0 when none is there."""
    for rank, doc_id in enumerate(_top_k(ranked_ids, k), start=1):
        if qrels.get(doc_id, 0) > 0:
            return 1.0 / rank
    return 0.0


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0.0 for no values (an empty subset reports 0, not NaN)."""
    items = list(values)
    return sum(items) / len(items) if items else 0.0
