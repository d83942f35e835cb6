"""In-process baselines on the same points and queries: our Retriever, the store calls alone, qdrant-client's
local mode and bm25s."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from eval.bench_common import (
    MODES,
    TOP_K,
    median_timings,
    queries,
    summarize,
)
from eval.bench_corpus import Base, fill
from rag_service.catalog import Catalog
from rag_service.dense import Embedder
from rag_service.index import index_meta
from rag_service.ja_text import char_bigrams, tokenize
from rag_service.retrieve import Filters, Mode, Retriever, SearchQuery, store_filter
from rag_service.settings import Settings
from rag_service.sparse import query_vector
from rag_service.store import EdgeStore, RemoteStore
from rag_service.store.base import BIGRAM, DENSE, SPARSE, LegQuery
from rag_service.types import SparseVector


def time_queries(
    fn: Callable[[str], Any], queries: Sequence[str], max_seconds: float, warmup: bool = True
) -> list[float]:
    if warmup:
        fn(queries[0])
    latencies: list[float] = []
    deadline = time.perf_counter() + max_seconds
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        latencies.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() > deadline:
            break
    return latencies


def bench_retriever(
    retriever: Retriever, queries: Sequence[str], max_seconds: float, warmup: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode in MODES:
        timings: list[dict[str, float]] = []

        def one(q: str, mode: Mode = mode, timings: list[dict[str, float]] = timings) -> None:
            timings.append(retriever.search(SearchQuery(q, TOP_K, mode)).timings_ms)

        lat = time_queries(one, queries, max_seconds, warmup)
        out[mode] = {**summarize(lat), "timings_ms_median": median_timings(timings[1:] if warmup else timings)}
    return out


def bench_edge(index_dir: Path, base: Base, embedder: Embedder, settings: Settings) -> dict[str, Any]:
    store = EdgeStore(index_dir)
    store.open(index_meta(embedder, base.avgdl, base.bigram_avgdl))
    try:
        out = bench_retriever(Retriever(store, embedder, settings), queries(), max_seconds=120)
        out["engine_only"] = bench_engine(store, embedder, settings)
        return out
    finally:
        store.close()


def bench_engine(store: EdgeStore, embedder: Embedder, settings: Settings) -> dict[str, Any]:
    """The store calls a mode needs (legs in one batch, then the top-10 payloads), vectors computed beforehand:
    what the Retriever's tokenising, embedding and fusion add on top. `engine_fused` is the engine's own
    fused query (two legs, DBSF) with payloads, the one call the service made before it fused in its own code."""
    flt = store_filter(Filters(), Catalog.from_doc(store.read_catalog()))
    legs = {
        q: {
            "bm25": LegQuery(SPARSE, query_vector(tokenize(q))),
            "bigram": LegQuery(BIGRAM, query_vector(char_bigrams(q))),
            "dense": LegQuery(DENSE, embedder.embed_query(q).tolist()),
        }
        for q in queries()
    }
    r = settings.retrieval

    def batch(q: str, names: Sequence[str], limit: int) -> Any:
        results = store.search_legs([legs[q][n] for n in names], flt, limit)
        return store.retrieve([p.id for p in results[0][:TOP_K]])

    hybrid_legs = [n for n, w in r.leg_weights().items() if w > 0]
    calls: dict[str, Callable[[str], Any]] = {
        "hybrid": lambda q: batch(q, hybrid_legs, max(TOP_K, r.prefetch_limit)),
        "bm25": lambda q: batch(q, ["bm25"], TOP_K),
        "dense": lambda q: batch(q, ["dense"], TOP_K),
        "engine_fused": lambda q: store.search_hybrid(
            cast(list[float], legs[q]["dense"].vector),
            cast(SparseVector, legs[q]["bm25"].vector),
            flt,
            TOP_K,
            r.prefetch_limit,
            "dbsf",
            r.rrf_k,
        ),
    }
    return {mode: summarize(time_queries(fn, queries(), max_seconds=60)) for mode, fn in calls.items()}


def bench_local(base: Base, embedder: Embedder, settings: Settings, size: int, args: argparse.Namespace) -> Any:
    store = RemoteStore(":memory:", None, "bench")
    store.open(index_meta(embedder, base.avgdl, base.bigram_avgdl))
    upsert_s = fill(store, base, size)
    subset = queries()[: args.local_queries]
    # brute force: a warm-up query would cost as much as a measured one
    out = bench_retriever(Retriever(store, embedder, settings), subset, args.local_max_seconds, warmup=False)
    store.drop()
    return {"upsert_s": round(upsert_s, 1), **out}


def bench_bm25s(base: Base, size: int, settings: Settings) -> dict[str, Any]:
    import bm25s

    n = len(base.tokens)
    corpus = [base.tokens[j % n] for j in range(size)]
    t0 = time.perf_counter()
    model = bm25s.BM25(k1=settings.bm25.k1, b=settings.bm25.b, method="lucene")
    model.index(corpus, show_progress=False)
    index_s = time.perf_counter() - t0

    def one(q: str) -> np.ndarray:
        known = [t for t in sorted(set(tokenize(q))) if t in model.vocab_dict]
        scores = model.get_scores(known)
        top = np.argpartition(-scores, TOP_K)[:TOP_K]
        return top[np.argsort(-scores[top])]

    lat = time_queries(one, queries(), max_seconds=120)
    return {"index_s": round(index_s, 1), "bm25": summarize(lat)}


# orchestration --------------------------------------------------------------------------------
