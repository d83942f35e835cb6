"""Request and response schemas of the HTTP API, apart from internal types (no vectors leak out)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag_service.types import EditionStatus, Hit


class SearchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_ids: list[str] | None = Field(None, description="Only these manifest ids.")
    specialties: list[str] | None = Field(None, description="Editions tagged with any of these specialties.")
    status: list[EditionStatus] = Field(
        default_factory=lambda: [EditionStatus.CURRENT], description="Edition statuses to include."
    )
    as_of: date | None = Field(None, description="The editions in force on this date (overrides `status`).")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, description="Japanese (or any) text to search for.")
    top_k: int | None = Field(None, ge=1, description="Number of hits (default and maximum in settings).")
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"
    filters: SearchFilters = Field(default_factory=SearchFilters)
    rerank: bool | None = Field(None, description="Cross-encoder rerank: default on when RAG_RERANKER is set.")


class LegScoreOut(BaseModel):
    score: float
    rank: int


class RecommendationOut(BaseModel):
    cq: str | None = None
    text: str | None = None
    strength: int | None = None
    certainty: str | None = None


class CitationOut(BaseModel):
    source_id: str
    title: str
    publisher: str
    edition: str
    published: date
    status: EditionStatus
    page_start: int
    page_end: int
    section_path: list[str]
    unit_id: str | None = None
    recommendation: RecommendationOut | None = None


class HitOut(BaseModel):
    chunk_id: str
    text: str
    citation: CitationOut
    scores: dict[str, LegScoreOut]

    @classmethod
    def from_hit(cls, hit: Hit) -> HitOut:
        c = hit.chunk
        rec = c.recommendation
        legs = {"bm25": hit.bm25, "dense": hit.dense, "fused": hit.fused, "rerank": hit.rerank}
        return cls(
            chunk_id=c.chunk_id,
            text=c.text,
            citation=CitationOut(
                source_id=c.source_id,
                title=c.title,
                publisher=c.publisher,
                edition=c.edition,
                published=c.published,
                status=c.status,
                page_start=c.page_start,
                page_end=c.page_end,
                section_path=list(c.section_path),
                unit_id=c.unit_id,
                recommendation=None
                if rec is None
                else RecommendationOut(cq=rec.cq, text=rec.text, strength=rec.strength, certainty=rec.certainty),
            ),
            scores={k: LegScoreOut(score=v.score, rank=v.rank) for k, v in legs.items() if v is not None},
        )


class SearchResponse(BaseModel):
    hits: list[HitOut]
    timings_ms: dict[str, float]


class EditionOut(BaseModel):
    source_id: str
    title: str
    publisher: str
    edition: str
    published: date
    status: EditionStatus
    specialties: list[str]
    supersedes: str | None
    chunks: int
    pages: int
    ingested_at: str


class DocumentsResponse(BaseModel):
    editions: list[EditionOut]


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    manifest: str | None = Field(None, description="Manifest path on the server (default RAG_MANIFEST).")
    dry_run: bool = False


class JobOut(BaseModel):
    id: str
    state: Literal["running", "done", "failed"]
    progress: dict[str, object]
    result: dict[str, object] | None = None
    error: str | None = None
