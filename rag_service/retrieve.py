"""The only place that chains the stages: normalise → tokens → legs (one store) → fuse → hits with provenance."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from rag_service.catalog import Catalog
from rag_service.dense import Embedder
from rag_service.errors import RagError
from rag_service.ja_text import tokenize
from rag_service.points import payload_to_chunk
from rag_service.rerank import Reranker
from rag_service.settings import Settings
from rag_service.sparse import query_vector
from rag_service.store import ScoredPoint, SearchFilter, VectorStore
from rag_service.types import EditionStatus, Hit, LegScore, SparseVector

Mode = Literal["hybrid", "bm25", "dense"]


class BadQuery(RagError):
    """The request cannot be answered as asked (empty query, dense mode without an embedder, …)."""


@dataclass(frozen=True)
class Filters:
    source_ids: Sequence[str] | None = None
    specialties: Sequence[str] | None = None
    statuses: Sequence[EditionStatus] = (EditionStatus.CURRENT,)
    as_of: date | None = None  # the editions in force on that day, whatever their status now


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)


def store_filter(filters: Filters, catalog: Catalog) -> SearchFilter:
    """Only editions the catalog activates are visible; as_of replaces the status condition."""
    if filters.as_of is not None:
        keys = catalog.keys_as_of(filters.as_of)
        statuses = None
    else:
        keys = catalog.edition_keys()
        statuses = [s.value for s in filters.statuses]
    return SearchFilter(
        edition_keys=keys,
        source_ids=list(filters.source_ids) if filters.source_ids else None,
        statuses=statuses,
        specialties=list(filters.specialties) if filters.specialties else None,
    )


def _legs(points: list[ScoredPoint]) -> dict[str, LegScore]:
    return {p.id: LegScore(p.score, rank) for rank, p in enumerate(points, start=1)}


class Retriever:
    def __init__(
        self, store: VectorStore, embedder: Embedder | None, settings: Settings, reranker: Reranker | None = None
    ) -> None:
        self.store, self.embedder, self.settings, self.reranker = store, embedder, settings, reranker
        self._catalog: tuple[object, Catalog] | None = None

    def catalog(self) -> Catalog:
        """The store's catalog, parsed again only when the store hands back a new document."""
        doc = self.store.read_catalog()
        cached = self._catalog
        if cached is None or cached[0] is not doc:
            cached = (doc, Catalog.from_doc(doc))
            self._catalog = cached
        return cached[1]

    def search(
        self,
        query: str,
        top_k: int,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        rerank: bool | None = None,
    ) -> SearchResult:
        """`rerank`: None = when a reranker is configured; True = required; False = off."""
        if not query.strip():
            raise BadQuery("the query is empty: send some Japanese text to search for")
        if mode != "bm25" and self.embedder is None:
            raise BadQuery(f"mode {mode!r} needs a dense embedder, and RAG_EMBEDDER=none: use mode 'bm25'")
        if rerank and self.reranker is None:
            raise BadQuery("rerank was asked for but no reranker is configured: set RAG_RERANKER to a model folder")
        use_rerank = self.reranker is not None and rerank is not False
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        flt = store_filter(filters or Filters(), self.catalog())
        sparse = query_vector(tokenize(query))
        timings["tokenize"] = (time.perf_counter() - t0) * 1000
        dense = None
        if mode != "bm25":
            assert self.embedder is not None
            t1 = time.perf_counter()
            dense = self.embedder.embed_query(query).tolist()
            timings["embed"] = (time.perf_counter() - t1) * 1000
        t2 = time.perf_counter()
        n_candidates = max(top_k, self.settings.retrieval.rerank_top_n) if use_rerank else top_k
        hits = self._run(mode, sparse, dense, flt, n_candidates)
        timings["search"] = (time.perf_counter() - t2) * 1000
        if use_rerank and hits:
            assert self.reranker is not None
            t3 = time.perf_counter()
            hits = self.reranker.rerank(query, hits, self.settings.retrieval.rerank_top_n)
            timings["rerank"] = (time.perf_counter() - t3) * 1000
        hits = hits[:top_k]
        timings["total"] = (time.perf_counter() - t0) * 1000
        return SearchResult(hits, timings)

    def _run(
        self, mode: Mode, sparse: SparseVector, dense: list[float] | None, flt: SearchFilter, top_k: int
    ) -> list[Hit]:
        r = self.settings.retrieval
        bm25: dict[str, LegScore] = {}
        dn: dict[str, LegScore] = {}
        if mode == "bm25" or dense is None:
            fused = self.store.search_sparse(sparse, flt, top_k) if sparse.indices else []
            bm25 = _legs(fused)
        elif mode == "dense" or not sparse.indices:  # a query of punctuation only has no BM25 terms
            fused = self.store.search_dense(dense, flt, top_k)
            dn = _legs(fused)
        else:  # one Query API call: both legs prefetched with the filter, fused in the engine
            fused = self.store.search_hybrid(dense, sparse, flt, top_k, r.prefetch_limit, r.fusion, r.rrf_k)
            # each leg's own ranking (ids and scores only), so every hit keeps its per-leg evidence
            limit = max(top_k, r.prefetch_limit)
            bm25 = _legs(self.store.search_sparse(sparse, flt, limit, with_payload=False))
            dn = _legs(self.store.search_dense(dense, flt, limit, with_payload=False))
        return [
            Hit(
                chunk=payload_to_chunk(p.payload),
                bm25=bm25.get(p.id),
                dense=dn.get(p.id),
                fused=LegScore(p.score, rank),
            )
            for rank, p in enumerate(fused, start=1)
        ]
