"""Request and response schemas of the HTTP API, apart from internal types (no vectors leak out)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rag_service.catalog import CatalogEntry
from rag_service.exam import exam_query_text
from rag_service.query import Filters, SearchQuery
from rag_service.settings import RetrievalSettings, Settings
from rag_service.types import Direction, Edition, EditionStatus, Hit, Recommendation


class SearchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_ids: list[str] | None = Field(None, description="Only these manifest ids.")
    specialties: list[str] | None = Field(None, description="Editions tagged with any of these specialties.")
    status: list[EditionStatus] = Field(
        default_factory=lambda: [EditionStatus.CURRENT], description="Edition statuses to include."
    )
    as_of: date | None = Field(None, description="The editions in force on this date (overrides `status`).")

    def to_filters(self) -> Filters:
        return Filters(self.source_ids, self.specialties, tuple(self.status), self.as_of)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, description="Japanese (or any) text to search for.")
    top_k: int | None = Field(None, ge=1, description="Number of hits (default and maximum in settings).")
    mode: Literal["hybrid", "bm25", "bigram", "dense"] = Field(
        "hybrid", description="`hybrid` fuses every leg with a weight (RAG_RETRIEVAL__WEIGHT_*); or one leg alone."
    )
    filters: SearchFilters = Field(default_factory=SearchFilters)
    rerank: bool | None = Field(None, description="Cross-encoder rerank: default on when RAG_RERANKER is set.")
    query_kind: Literal["auto", "plain", "exam"] = Field(
        "auto",
        description="`exam`: a question stem with option lines (a: …) is searched as its whole without 「…はどれか」 "
        "and as stem + each option, merged; `auto` detects such a question; `plain` searches the text as it is.",
    )

    def to_query(self, limits: RetrievalSettings) -> SearchQuery:
        f = self.filters.to_filters()
        return SearchQuery.checked(self.query, limits, self.top_k, self.mode, f, self.rerank, self.query_kind)


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

    @classmethod
    def from_recommendation(cls, rec: Recommendation) -> RecommendationOut:
        g = rec.grade
        return cls(
            cq=rec.cq, number=rec.number, text=rec.text, strength=g.strength, certainty=g.certainty,
            rec_class=g.rec_class, minds_grade=g.minds_grade, direction=g.direction, good_practice=g.good_practice,
            grade=g.label(), grade_printed=g.printed, page_start=rec.page_start, page_end=rec.page_end,
            format=rec.reader, note=rec.note,
        )  # fmt: skip


class EditionFields(BaseModel):
    """An edition's citation fields as the API shows them; filled from `Edition` by name in `edition_fields` only."""

    source_id: str
    title: str
    publisher: str
    edition: str = Field(description="The edition label, e.g. 2025年版.")
    published: date
    status: EditionStatus
    specialties: list[str] = Field(default_factory=list)
    supersedes: str | None = Field(None, description="The source id of the edition this one replaces.")
    license: str | None = None


def edition_fields(edition: Edition) -> dict[str, Any]:
    """The API's edition fields taken from an `Edition` by name (tuples become lists in the model)."""
    return {name: getattr(edition, name) for name in EditionFields.model_fields}


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


class HitOut(BaseModel):
    chunk_id: str
    text: str
    citation: CitationOut
    scores: dict[str, LegScoreOut]

    @classmethod
    def from_hit(cls, hit: Hit) -> HitOut:
        c = hit.chunk
        recs = [RecommendationOut.from_recommendation(r) for r in c.recommendations]
        legs = {
            "bm25": hit.bm25,
            "bigram": hit.bigram,
            "dense": hit.dense,
            "fused": hit.fused,
            "rerank": hit.rerank,
        }
        return cls(
            chunk_id=c.chunk_id,
            text=c.text,
            citation=CitationOut(
                **edition_fields(c.edition),
                page_start=c.page_start,
                page_end=c.page_end,
                section_path=list(c.section_path),
                unit_id=c.unit_id,
                ocr=c.ocr,
                recommendation=recs[0] if recs else None,
                recommendations=recs,
            ),
            scores={k: LegScoreOut(score=v.score, rank=v.rank) for k, v in legs.items() if v is not None},
        )


class SearchResponse(BaseModel):
    hits: list[HitOut]
    timings_ms: dict[str, float]
    query_kind: Literal["plain", "exam"] = Field(description="How the query was searched (see the request field).")


class EditionOut(EditionFields):
    chunks: int
    pages: int
    ingested_at: str

    @classmethod
    def from_entry(cls, entry: CatalogEntry) -> EditionOut:
        return cls(
            **edition_fields(entry.edition), chunks=entry.chunks, pages=entry.pages, ingested_at=entry.ingested_at
        )


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


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, description="The question, in Japanese.")
    top_k: int | None = Field(None, ge=1, description="Sources given to the model (default RAG_ANSWER__TOP_K).")
    mode: Literal["hybrid", "bm25", "bigram", "dense"] = "hybrid"
    filters: SearchFilters = Field(default_factory=SearchFilters)
    stream: bool = Field(False, description="Server-sent events: `delta` events, then one `done` event.")
    include_sources: bool = Field(
        False, description="Also return every numbered source the model saw (`sources`), cited or not: for evaluation."
    )

    def to_query(self, settings: Settings) -> SearchQuery:
        top_k = self.top_k or settings.answer.top_k
        f = self.filters.to_filters()
        return SearchQuery.checked(self.question, settings.retrieval, top_k, self.mode, f, what="question")


class CitationRef(BaseModel):
    """Source [number] of the prompt: the chunk it stands for and its citation."""

    number: int
    chunk_id: str
    text: str
    citation: CitationOut

    @classmethod
    def from_citation(cls, number: int, hit_out: HitOut) -> CitationRef:
        return cls(number=number, chunk_id=hit_out.chunk_id, text=hit_out.text, citation=hit_out.citation)


class AnswerResponse(BaseModel):
    answer: str
    citations: list[CitationRef]
    abstained: bool
    reason: str | None = None
    sources: list[CitationRef] | None = Field(None, description="With `include_sources`: source [n] is sources[n-1].")


class ExamRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    choices: dict[str, str] = Field(description="Letters a–e (or fewer) → choice text.", min_length=2, max_length=10)
    n_select: int | None = Field(
        None, ge=1, le=10, description="Letters to choose; inferred from 「2つ選べ」 if unset."
    )
    votes: int = Field(
        1, ge=1, description="Samples to draw; the majority answer wins (at most RAG_ANSWER__MAX_VOTES)."
    )
    no_rag: bool = Field(False, description="Closed-book baseline through the same path: no retrieval.")
    top_k: int | None = Field(None, ge=1)
    mode: Literal["hybrid", "bm25", "bigram", "dense"] = Field(
        "hybrid", description="How the question and its choices are searched (as in /v1/search)."
    )
    filters: SearchFilters = Field(default_factory=SearchFilters)

    def to_query(self, settings: Settings) -> SearchQuery:
        """The question with its choices, checked against the limits even in closed-book mode."""
        top_k = self.top_k or settings.answer.top_k
        text = exam_query_text(self.question, self.choices)
        f = self.filters.to_filters()
        return SearchQuery.checked(text, settings.retrieval, top_k, self.mode, f, query_kind="exam",
                                   what="question with its choices")  # fmt: skip


class ExamResponse(BaseModel):
    answer_letters: str
    votes: list[str]
    citations: list[CitationRef]
    raw: list[str]
    sources: list[str] = Field(
        default_factory=list, description="Unit (or chunk) ids of the numbered sources the model saw, in order."
    )
    fallback_parsed: int = Field(0, description="Samples read by the text parser instead of the JSON schema.")
    usage: dict[str, int] | None = Field(
        None, description="Prompt and completion tokens the LLM server reported for this question (all votes)."
    )


class PiiMaskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=20_000, description="Japanese clinical text (a note, a letter, a question).")


class PiiSpanOut(BaseModel):
    start: int = Field(description="Offset of the first character (code points, as Python counts them).")
    end: int = Field(description="Offset after the last character.")
    type: Literal["NAME", "PATIENT_ID", "DOB", "PHONE", "ADDRESS", "POSTAL", "EMAIL", "INSURANCE", "MYNUMBER"]


class PiiMaskResponse(BaseModel):
    masked: str = Field(description="The text with each span replaced by its typed mask (［氏名］, ［電話番号］ …).")
    spans: list[PiiSpanOut]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: Literal["hit", "answer"] = Field(description="What is judged: one search hit, or an answer.")
    helpful: bool
    request_id: str | None = Field(
        None, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="The judged response's X-Request-ID."
    )
    chunk_id: str | None = Field(None, max_length=200, description="For a hit: its `chunk_id`.")
    query: str | None = Field(
        None, max_length=2_000, description="The question asked; stored masked (patient data replaced)."
    )
    reason: str | None = Field(None, max_length=1_000, description="Why, in a few words; stored masked.")


class FeedbackResponse(BaseModel):
    id: str
    query: str | None = Field(description="The query as stored (masked).")
    reason: str | None = Field(description="The reason as stored (masked).")


class SnapshotRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
        description="File name of the .tar.gz the server writes under RAG_DATA_DIR/snapshots (never a path).",
    )
