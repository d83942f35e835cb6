"""The only place that chains the stages: plan → legs (one batched store call) → fuse → payloads → hits → rerank.

`/v1/search` (through the service layer) and the retrieval evaluation run the same steps: `Retriever.plan` decides
what a query searches, `Retriever.rankings` fetches each leg's ranking, `fused_ranking` fuses them (the evaluation
calls it on the same rankings, fetched deeper for recall@100), `Retriever.finish` turns the fused ids into hits."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rag_service.catalog import Catalog
from rag_service.dense import Embedder, QueryEmbedder
from rag_service.fusion import FusionMethod, fuse
from rag_service.index import CatalogView
from rag_service.ja_text import char_bigrams, normalize_query, tokenize
from rag_service.pii import search_text
from rag_service.points import payload_to_chunk
from rag_service.query import BadQuery, Filters, Leg, Mode, SearchQuery
from rag_service.query_kind import resolve_kind, sub_queries
from rag_service.rerank import Reranker
from rag_service.settings import RetrievalSettings, Settings
from rag_service.sparse import query_vector
from rag_service.store import SearchFilter, SearchIndex
from rag_service.store.base import BIGRAM, DENSE, SPARSE, LegQuery
from rag_service.types import Chunk, Hit, LegScore

__all__ = [
    "LEGS",
    "BadQuery",
    "Filters",
    "Fusion",
    "Leg",
    "Mode",
    "Rankings",
    "Retriever",
    "SearchPlan",
    "SearchQuery",
    "SearchResult",
    "fused_ranking",
    "store_filter",
]
Rankings = dict[str, list[tuple[str, float]]]  # leg → (chunk id, score), best first


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    query_kind: Literal["plain", "exam"] = "plain"  # how the query was searched (see `query_kind.py`)


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


LEGS: tuple[Leg, ...] = ("bm25", "bigram", "dense")
_VECTOR_OF: dict[Leg, str] = {"bm25": SPARSE, "bigram": BIGRAM, "dense": DENSE}


@dataclass(frozen=True)
class Fusion:
    """How the legs' rankings become one: each leg's top `depth` fused by `method` with one weight per leg."""

    method: FusionMethod
    weights: Mapping[str, float]
    rrf_k: float
    depth: int

    @classmethod
    def configured(cls, r: RetrievalSettings, depth: int | None = None) -> Fusion:
        return cls(r.fusion, r.leg_weights(), r.rrf_k, r.prefetch_limit if depth is None else depth)


def fused_ranking(
    rankings: Mapping[str, Sequence[tuple[str, float]]], legs: Sequence[Leg], fusion: Fusion
) -> list[tuple[str, float]]:
    """The fusion step of every search (pure): the planned legs' top `fusion.depth`, fused; one leg alone keeps its
    own ranking and scores. The evaluation calls it on deeper rankings, which it cuts the same way."""
    if len(legs) == 1:
        return list(rankings.get(legs[0], ())[: fusion.depth])
    cut: dict[str, list[tuple[str, float]]] = {
        leg: list(rankings[leg][: fusion.depth]) for leg in legs if leg in rankings
    }
    return fuse(cut, fusion.method, fusion.weights, fusion.rrf_k)


@dataclass(frozen=True)
class SearchPlan:
    """What one query searches, decided once (`Retriever.plan`): its sub-queries, legs, filter, how deep each leg
    is fetched and fused, how many fused hits are kept (for the reranker, else top_k), and whether to rerank."""

    query: SearchQuery
    kind: Literal["plain", "exam"]
    texts: tuple[str, ...]
    legs: tuple[Leg, ...]
    flt: SearchFilter
    fusion: Fusion
    candidates: int
    rerank: bool


class Retriever:
    def __init__(
        self, store: SearchIndex, embedder: Embedder | None, settings: Settings, reranker: Reranker | None = None
    ) -> None:
        self.store, self.embedder, self.settings, self.reranker = store, embedder, settings, reranker
        self._catalog = CatalogView(store)
        cache = settings.retrieval.query_cache_size
        self.query_embedder = QueryEmbedder(embedder, cache) if embedder is not None else None

    def catalog(self) -> Catalog:
        """The active editions (parsed once per catalog document: see `rag_service.index`)."""
        return self._catalog.current()

    def get_chunk(self, chunk_id: str) -> Chunk | None:
        """The chunk with this id, if its edition is active in the catalog (what a search could return)."""
        try:
            uuid.UUID(chunk_id)
        except ValueError:  # chunk ids are UUID-shaped; anything else is not one of ours
            return None
        points = self.store.retrieve([chunk_id])
        if not points:
            return None
        chunk = payload_to_chunk(points[0].payload)
        active = {e.edition_key for e in self.catalog().entries.values()}
        return chunk if chunk.edition_key in active else None

    def legs_for(self, mode: Mode) -> tuple[Leg, ...]:
        """The legs a mode searches: one for a single-leg mode; for hybrid every leg with a weight > 0 that the
        index and the configuration can serve (no dense leg without an embedder)."""
        if mode != "hybrid":
            return (mode,)
        weights = self.settings.retrieval.leg_weights()
        return tuple(leg for leg in LEGS if weights[leg] > 0 and (leg != "dense" or self.embedder is not None))

    def plan(self, q: SearchQuery) -> SearchPlan:
        """What `q` searches. `q.query_kind`: `exam` searches a stem-plus-options question as its cleaned whole and
        stem + each option; `auto` does so when the text parses as one; `plain` searches the text as it is."""
        if not q.text.strip():
            raise BadQuery("the query is empty: send some Japanese text to search for")
        if q.mode == "dense" and self.embedder is None:
            raise BadQuery(f"mode {q.mode!r} needs a dense embedder, and RAG_EMBEDDER=none: use mode 'bm25'")
        if q.rerank and self.reranker is None:
            raise BadQuery("rerank was asked for but no reranker is configured: set RAG_RERANKER to a model folder")
        r = self.settings.retrieval
        use_rerank = self.reranker is not None and q.rerank is not False
        candidates = max(q.top_k, r.rerank_top_n) if use_rerank else q.top_k
        legs = self.legs_for(q.mode)
        depth = candidates if len(legs) == 1 else max(candidates, r.prefetch_limit)
        kind = resolve_kind(q.text, q.query_kind)
        flt = store_filter(q.filters, self.catalog())
        texts = tuple(sub_queries(q.text, kind))
        return SearchPlan(q, kind, texts, legs, flt, Fusion.configured(r, depth), candidates, use_rerank)

    def rankings(self, plan: SearchPlan, depth: int | None = None, timings: dict[str, float] | None = None) -> Rankings:
        """Each planned leg's (chunk id, score) ranking, `plan.fusion.depth` deep unless `depth` says deeper."""
        return self.leg_rankings(plan.texts, plan.legs, plan.flt, depth or plan.fusion.depth, timings)

    def leg_rankings(
        self,
        queries: str | Sequence[str],
        legs: Sequence[Leg],
        flt: SearchFilter,
        limit: int,
        timings: dict[str, float] | None = None,
    ) -> Rankings:
        """Each leg's (chunk id, score) ranking, every leg of every sub-query in one batched engine call.

        With several sub-queries (an exam question's stem + each option) a leg's rankings are merged by the best
        score a chunk reached in that leg, so the leg's score scale is kept for fusion."""
        # patient details (names, dates, IDs) are taken out first: they carry no guideline knowledge, match case
        # reports, and must not reach an index look-up
        texts = [normalize_query(search_text(q)) for q in ([queries] if isinstance(queries, str) else queries)]
        timings = {} if timings is None else timings
        t0 = time.perf_counter()
        batch: list[tuple[Leg, LegQuery]] = []
        for leg in legs:
            if leg == "dense":
                continue
            for text in texts:
                vec = query_vector(tokenize(text) if leg == "bm25" else char_bigrams(text))
                if vec.indices:  # a query of punctuation only has no BM25 terms
                    batch.append((leg, LegQuery(_VECTOR_OF[leg], vec)))
        timings["tokenize"] = (time.perf_counter() - t0) * 1000
        if "dense" in legs:
            if self.query_embedder is None:
                raise BadQuery("mode 'dense' needs a dense embedder, and RAG_EMBEDDER=none: use mode 'bm25'")
            t1 = time.perf_counter()
            batch += [("dense", LegQuery(DENSE, vec.tolist())) for vec in self.query_embedder.embed(texts)]
            timings["embed"] = (time.perf_counter() - t1) * 1000
        t2 = time.perf_counter()
        results = self.store.search_legs([q for _, q in batch], flt, limit) if batch else []
        timings["legs"] = (time.perf_counter() - t2) * 1000
        return _merge(batch, results, limit, several=len(texts) > 1)

    def search(self, q: SearchQuery) -> SearchResult:
        """The query's hits, best first, each with every leg's evidence."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        plan = self.plan(q)
        return self.finish(plan, self.rankings(plan, timings=timings), timings, t0)

    def finish(
        self, plan: SearchPlan, rankings: Rankings, timings: dict[str, float] | None = None, t0: float | None = None
    ) -> SearchResult:
        """Fuse the planned legs, read the payloads of the kept candidates, rerank them, keep top_k."""
        timings = {} if timings is None else timings
        t0 = time.perf_counter() if t0 is None else t0
        t1 = time.perf_counter()
        fused = fused_ranking(rankings, plan.legs, plan.fusion)[: plan.candidates]
        timings["fuse"] = (time.perf_counter() - t1) * 1000
        t2 = time.perf_counter()
        hits = self._hits(fused, rankings)
        timings["fetch"] = (time.perf_counter() - t2) * 1000
        if plan.rerank and hits:
            assert self.reranker is not None
            t3 = time.perf_counter()
            hits = self.reranker.rerank(search_text(plan.query.text), hits, self.settings.retrieval.rerank_top_n)
            timings["rerank"] = (time.perf_counter() - t3) * 1000
        hits = hits[: plan.query.top_k]
        timings["total"] = (time.perf_counter() - t0) * 1000
        return SearchResult(hits, timings, plan.kind)

    def with_kind(self, plan: SearchPlan, kind: Literal["plain", "exam"], legs: Sequence[Leg]) -> SearchPlan:
        """The same plan searched as another kind over other legs (the evaluation's per-leg and exam-style rows)."""
        return replace(plan, kind=kind, texts=tuple(sub_queries(plan.query.text, kind)), legs=tuple(legs))

    def _hits(self, fused: list[tuple[str, float]], rankings: Rankings) -> list[Hit]:
        """Payloads of the fused ids (one engine call), each hit with every leg's score and rank."""
        evidence = {
            leg: {pid: LegScore(score, rank) for rank, (pid, score) in enumerate(ranked, start=1)}
            for leg, ranked in rankings.items()
        }
        payloads = {p.id: p.payload for p in self.store.retrieve([pid for pid, _ in fused])}
        return [
            Hit(
                chunk=payload_to_chunk(payloads[pid]),
                bm25=evidence.get("bm25", {}).get(pid),
                bigram=evidence.get("bigram", {}).get(pid),
                dense=evidence.get("dense", {}).get(pid),
                fused=LegScore(score, rank),
            )
            for rank, (pid, score) in enumerate(fused, start=1)
            if pid in payloads  # a point garbage-collected between the two calls is left out
        ]


def _merge(
    batch: Sequence[tuple[Leg, LegQuery]], results: Sequence[Sequence[Any]], limit: int, several: bool
) -> Rankings:
    """Each leg's points (over every sub-query) as one ranking: a chunk's best score in that leg."""
    merged: dict[str, dict[str, float]] = {}
    for (leg, _), points in zip(batch, results, strict=True):
        best = merged.setdefault(leg, {})
        for p in points:
            if p.score > best.get(p.id, float("-inf")):
                best[p.id] = p.score
    return {
        leg: sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit] if several else list(scores.items())
        for leg, scores in merged.items()
    }
