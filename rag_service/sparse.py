"""BM25 as a sparse vector: term-frequency weights client-side, IDF server-side (Qdrant `Modifier.IDF`).

Document weight of term t: tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)); query weight: 1 per distinct term.
With Qdrant's IDF ln(1 + (N − n + 0.5)/(n + 0.5)) the dot product is the classic (Lucene) BM25 score.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence

from rag_service.types import SparseVector


def term_id(token: str) -> int:
    """A stable 32-bit id for a token (same on every machine and run)."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest(), "little")


def average_length(token_lists: Iterable[Sequence[str]]) -> float:
    lengths = [len(t) for t in token_lists]
    return sum(lengths) / len(lengths) if lengths else 1.0


def _to_sparse(weights: dict[int, float]) -> SparseVector:
    items = sorted(weights.items())
    return SparseVector(indices=tuple(i for i, _ in items), values=tuple(v for _, v in items))


def document_vector(tokens: Sequence[str], avgdl: float, k1: float, b: float) -> SparseVector:
    """BM25 term-frequency weights of one document's tokens."""
    if not tokens:
        return SparseVector((), ())
    dl = len(tokens)
    norm = k1 * (1.0 - b + b * dl / max(avgdl, 1e-9))
    weights: dict[int, float] = {}
    for token, tf in Counter(tokens).items():
        tid = term_id(token)
        weights[tid] = weights.get(tid, 0.0) + tf * (k1 + 1.0) / (tf + norm)
    return _to_sparse(weights)


def query_vector(tokens: Sequence[str]) -> SparseVector:
    """One unit of weight per distinct query term."""
    return _to_sparse({term_id(t): 1.0 for t in set(tokens)})
