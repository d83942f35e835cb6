"""Search: the request, its filters, and a hit with its citation (no vectors, no internal fields)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag_service.wire.vocab import Direction, EditionStatus, Mode, QueryKind


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
    mode: Mode = Field(
        "hybrid", description="`hybrid` fuses every leg with a weight (RAG_RETRIEVAL__WEIGHT_*); or one leg alone."
    )
    filters: SearchFilters = Field(default_factory=SearchFilters)
    rerank: bool | None = Field(None, description="Cross-encoder rerank: default on when RAG_RERANKER is set.")
    query_kind: QueryKind = Field(
        "auto",
        description="`exam`: a question stem with option lines (a: …) is searched as its whole without 「…はどれか」 "
        "and as stem + each option, merged; `auto` detects such a question; `plain` searches the text as it is.",
    )


class LegScoreOut(BaseModel):
    score: float
    rank: int


class RecommendationOut(BaseModel):
    """One graded statement with the grade printed for it (never a neighbour's): where the document leaves that
    unclear, the grade fields are empty and `note` says why."""

    cq: str | None = Field(None, description="The CQ the statement answers, e.g. CQ3-2.")
    number: int | None = Field(None, description="Its number within the CQ (推奨1, `2.`), when printed.")
    text: str | None = Field(None, description="The statement alone (推奨文).")
    strength: int | None = Field(None, description="推奨の強さ: 1 (強い) or 2 (弱い・条件付き・提案).")
    certainty: str | None = Field(None, description="エビデンスの確実性 / エビデンスレベル: A–D.")
    rec_class: str | None = Field(None, description="推奨クラス (JCS/JHFS style): I, IIa, IIb or III.")
    minds_grade: str | None = Field(None, description="推奨グレード of the Minds 2007 scheme: A, B, C1, C2 or D.")
    direction: Direction | None = Field(
        None, description="`for` (行うことを推奨), `against` (行わないことを推奨) or `none` (推奨なし); null: not said."
    )
    good_practice: bool = Field(
        False, description="A Good Practice Statement (JSH style, `GPS`): it has no strength or certainty."
    )
    grade: str = Field("", description="The grade in words, e.g. `1C・行うことを強く推奨` ('' when none).")
    grade_printed: str | None = Field(None, description="The grade exactly as the guideline printed it.")
    page_start: int | None = Field(None, description="First page of the statement and its grade line (1-based).")
    page_end: int | None = None
    format: str | None = Field(None, description="The format reader that read it (minds-combined, jcs, table …).")
    note: str | None = Field(None, description="Why the grade is empty, when the document is ambiguous.")


class EditionFields(BaseModel):
    """An edition's citation fields as the API shows them (filled from the core's `Edition` by name)."""

    source_id: str
    title: str
    publisher: str
    edition: str = Field(description="The edition label, e.g. 2025年版.")
    published: date
    status: EditionStatus
    specialties: list[str] = Field(default_factory=list)
    supersedes: str | None = Field(None, description="The source id of the edition this one replaces.")
    license: str | None = None


class StatementNowOut(BaseModel):
    """A cited statement of a superseded edition, and what the edition in force now says for it."""

    cited_number: int | None = Field(None, description="The cited statement's number in its CQ.")
    kind: Literal["changed", "unchanged", "removed"] = Field(
        description="`removed`: the current edition no longer has this statement."
    )
    changes: list[Literal["regraded", "reworded", "moved"]] = Field(default_factory=list)
    now: RecommendationOut | None = Field(None, description="The current edition's statement, its grade and pages.")


class NowRecommendedOut(EditionFields):
    """The edition in force that replaced the cited one (down the manifest's `supersedes` chain)."""

    statements: list[StatementNowOut] = Field(default_factory=list)


class CitationOut(EditionFields):
    page_start: int
    page_end: int
    section_path: list[str]
    unit_id: str | None = None
    recommendation: RecommendationOut | None = Field(None, description="The first of `recommendations`.")
    recommendations: list[RecommendationOut] = Field(
        default_factory=list,
        description="The recommendations whose statement this chunk holds, each with its own grade and pages.",
    )
    ocr: bool = Field(False, description="The text was read by OCR from a page image: it may hold errors.")
    now: NowRecommendedOut | None = Field(
        None,
        description="For a hit from a superseded edition that holds statements: what the edition in force now "
        "recommends for each of them.",
    )


class HitOut(BaseModel):
    chunk_id: str
    text: str
    citation: CitationOut
    scores: dict[str, LegScoreOut]


class SearchResponse(BaseModel):
    hits: list[HitOut]
    timings_ms: dict[str, float]
    query_kind: Literal["plain", "exam"] = Field(description="How the query was searched (see the request field).")
