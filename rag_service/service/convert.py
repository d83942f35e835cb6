"""Between the wire and the core, in one place: requests become checked `SearchQuery`s (the limits named when one is
broken), and chunks, hits, editions and recommendations become the wire's response models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag_service import wire
from rag_service.catalog import CatalogEntry
from rag_service.citations import Citation
from rag_service.edition_diff import StatementChange
from rag_service.exam import exam_query_text
from rag_service.query import Filters, SearchQuery
from rag_service.settings import RetrievalSettings, Settings
from rag_service.supersession import NowRecommended
from rag_service.types import Direction, Edition, EditionStatus, Hit, Recommendation


def filters(f: wire.SearchFilters) -> Filters:
    statuses = tuple(EditionStatus(s.value) for s in f.status)
    return Filters(f.source_ids, f.specialties, statuses, f.as_of)


def search_query(req: wire.SearchRequest, limits: RetrievalSettings) -> SearchQuery:
    """`POST /v1/search`'s query, checked against the limits (413 / 422 name them); the evaluation makes its queries
    here too, so it measures what the service searches."""
    return SearchQuery.checked(req.query, limits, req.top_k, req.mode, filters(req.filters), req.rerank, req.query_kind)


def answer_query(req: wire.AnswerRequest, settings: Settings) -> SearchQuery:
    top_k = req.top_k or settings.answer.top_k
    return SearchQuery.checked(req.question, settings.retrieval, top_k, req.mode, filters(req.filters), what="question")


def exam_query(req: wire.ExamRequest, settings: Settings) -> SearchQuery:
    """The question with its choices, checked against the limits even in closed-book mode."""
    top_k = req.top_k or settings.answer.top_k
    text = exam_query_text(req.question, req.choices)
    return SearchQuery.checked(text, settings.retrieval, top_k, req.mode, filters(req.filters), query_kind="exam",
                               what="question with its choices")  # fmt: skip


def edition_fields(edition: Edition) -> dict[str, Any]:
    """The wire's edition fields taken from an `Edition` by name (tuples become lists in the model)."""
    return {name: getattr(edition, name) for name in wire.EditionFields.model_fields}


def _direction(d: Direction | None) -> wire.Direction | None:
    return wire.Direction(d.value) if d is not None else None


def recommendation_out(rec: Recommendation) -> wire.RecommendationOut:
    g = rec.grade
    return wire.RecommendationOut(
        cq=rec.cq, number=rec.number, text=rec.text, strength=g.strength, certainty=g.certainty,
        rec_class=g.rec_class, minds_grade=g.minds_grade, direction=_direction(g.direction),
        good_practice=g.good_practice, grade=g.label(), grade_printed=g.printed, page_start=rec.page_start,
        page_end=rec.page_end, format=rec.reader, note=rec.note,
    )  # fmt: skip


def now_out(now: NowRecommended | None) -> wire.NowRecommendedOut | None:
    """What the edition in force recommends for a superseded citation's statements."""
    if now is None:
        return None
    statements = [
        wire.StatementNowOut(
            cited_number=s.old.number if s.old else None,
            kind="removed" if s.new is None else "changed" if s.changes else "unchanged",
            changes=list(s.changes),
            now=recommendation_out(s.new) if s.new else None,
        )
        for s in now.statements
    ]
    return wire.NowRecommendedOut(**edition_fields(now.current.edition), statements=statements)


def statement_change_out(s: StatementChange) -> wire.StatementChangeOut:
    return wire.StatementChangeOut(
        kind=s.kind, changes=list(s.changes), similarity=round(s.similarity, 3),
        old=recommendation_out(s.old) if s.old else None, new=recommendation_out(s.new) if s.new else None,
        text_diff=[wire.TextRunOut(op=t.op, text=t.text) for t in s.text_diff],
    )  # fmt: skip


def hit_out(hit: Hit, now: NowRecommended | None = None) -> wire.HitOut:
    c = hit.chunk
    recs = [recommendation_out(r) for r in c.recommendations]
    legs = {"bm25": hit.bm25, "bigram": hit.bigram, "dense": hit.dense, "fused": hit.fused, "rerank": hit.rerank}
    citation = wire.CitationOut(
        **edition_fields(c.edition),
        page_start=c.page_start,
        page_end=c.page_end,
        section_path=list(c.section_path),
        unit_id=c.unit_id,
        ocr=c.ocr,
        recommendation=recs[0] if recs else None,
        recommendations=recs,
        now=now_out(now),
    )
    scores = {k: wire.LegScoreOut(score=v.score, rank=v.rank) for k, v in legs.items() if v is not None}
    return wire.HitOut(chunk_id=c.chunk_id, text=c.text, citation=citation, scores=scores)


def edition_out(entry: CatalogEntry) -> wire.EditionOut:
    return wire.EditionOut(
        **edition_fields(entry.edition), chunks=entry.chunks, pages=entry.pages, ingested_at=entry.ingested_at
    )


def citation_ref(number: int, hit: Hit) -> wire.CitationRef:
    out = hit_out(hit)
    return wire.CitationRef(number=number, chunk_id=out.chunk_id, text=out.text, citation=out.citation)


def citation_refs(citations: Sequence[Citation]) -> list[wire.CitationRef]:
    return [citation_ref(c.number, Hit(chunk=c.chunk)) for c in citations]
