"""The corpus: editions, and the recommendations their stored outlines hold."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag_service.wire.admin import PageLeftOut
from rag_service.wire.search import EditionFields, HitOut, RecommendationOut
from rag_service.wire.vocab import Direction, EditionStatus


class EditionOut(EditionFields):
    chunks: int
    pages: int
    ingested_at: str


class DocumentsResponse(BaseModel):
    editions: list[EditionOut]


class RecommendationsQuery(BaseModel):
    """Which recommendations to list (every condition AND-ed; unset: no condition)."""

    model_config = ConfigDict(extra="forbid")

    source_ids: list[str] | None = Field(None, description="Only these editions (manifest ids).")
    cq: str | None = Field(
        None, max_length=100, description="A CQ label: `CQ2-1`, or `CQ2` for CQ2 and its parts (CQ2-1, CQ2-2 …)."
    )
    q: str | None = Field(None, max_length=500, description="Text the statement contains (NFKC, any case).")
    direction: Direction | None = Field(None, description="`for`, `against` or `none`.")
    strength: int | None = Field(None, ge=1, le=2, description="推奨の強さ: 1 (強い) or 2 (弱い・条件付き・提案).")
    status: list[EditionStatus] = Field(
        default_factory=lambda: [EditionStatus.CURRENT], description="Edition statuses to include (as in search)."
    )


class ListedRecommendation(EditionFields, RecommendationOut):
    """A recommendation with its own grade and pages, the section it stands in, and its edition's citation fields."""

    section_path: list[str] = Field(default_factory=list, description="Where it stands in the guideline.")


class RecommendationsResponse(BaseModel):
    recommendations: list[ListedRecommendation]
    editions_without_outline: list[str] = Field(
        default_factory=list, description="Editions ingested before outlines were kept: run `rag ingest` to read them."
    )


class TextRunOut(BaseModel):
    op: Literal["equal", "delete", "insert"]
    text: str


class StatementChangeOut(BaseModel):
    """One statement across two editions: what it was (`old`), what it is (`new`), and what changed."""

    kind: Literal["added", "removed", "changed", "unchanged"]
    changes: list[Literal["regraded", "reworded", "moved"]] = Field(
        default_factory=list, description="For `changed`: the grade or direction, the wording, the CQ."
    )
    old: RecommendationOut | None = Field(None, description="In the older edition (None when added).")
    new: RecommendationOut | None = Field(None, description="In the newer edition (None when removed).")
    similarity: float = Field(0.0, description="How alike the two statements' texts are, 0–1.")
    text_diff: list[TextRunOut] = Field(
        default_factory=list, description="For a reworded statement: runs of kept, deleted and inserted text."
    )


class ChangeCounts(BaseModel):
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    regraded: int = 0
    reworded: int = 0
    moved: int = 0


class EditionChangesResponse(BaseModel):
    """What changed between two editions of a guideline, statement by statement, with pages on both sides."""

    edition: EditionFields = Field(description="The newer edition.")
    since: EditionFields = Field(description="The older edition it is compared with.")
    summary: ChangeCounts
    statements: list[StatementChangeOut] = Field(
        description="Every statement of either edition once: the newer edition's in order, then those removed."
    )


class GradeOut(BaseModel):
    """A statement's grade as the outline stores it (every field empty when no grade was printed for it)."""

    strength: int | None = Field(None, description="推奨の強さ: 1 (強い) or 2 (弱い・条件付き・提案).")
    certainty: str | None = Field(None, description="エビデンスの確実性 / エビデンスレベル: A–D.")
    rec_class: str | None = Field(None, description="推奨クラス (JCS/JHFS style): I, IIa, IIb or III.")
    minds_grade: str | None = Field(None, description="推奨グレード of the Minds 2007 scheme: A, B, C1, C2 or D.")
    direction: Direction | None = Field(None, description="`for`, `against` or `none` (推奨なし); None: not said.")
    good_practice: bool = Field(False, description="A Good Practice Statement (no strength or certainty).")
    printed: str | None = Field(None, description="The grade exactly as the guideline printed it.")


class OutlineRecommendation(BaseModel):
    """One statement as ingestion read it: its own text, grade and pages."""

    cq: str | None = Field(None, description="The CQ (or section) label, e.g. CQ3-2.")
    number: int | None = Field(None, description="Its number within the CQ, when printed.")
    text: str | None = Field(None, description="The statement alone (推奨文).")
    grade: GradeOut = Field(default_factory=GradeOut)
    page_start: int | None = None
    page_end: int | None = None
    reader: str | None = Field(None, description="The format reader that read it (minds-combined, jcs, table …).")
    note: str | None = Field(None, description="Why the grade is empty, when the document is ambiguous.")


class ListedOutlineRecommendation(OutlineRecommendation):
    path: list[str] = Field(default_factory=list, description="The section it stands in.")


class OutlineSection(BaseModel):
    path: list[str] = Field(description="Headings from the top down ([] before the first heading).")
    pages: list[int | None] = Field(description="[first, last] page (1-based).")
    chars: int = Field(0, description="Characters of text in the section.")
    unit_id: str | None = Field(
        None, description="The row id of a pre-segmented source (a statute article, a case report)."
    )
    recommendations: list[OutlineRecommendation] = Field(default_factory=list)


class PageQualityOut(BaseModel):
    page: int
    chars: int
    plausible: float = Field(description="Share of plausible Japanese text on the page (the quality gate's score).")


class OutlineResponse(BaseModel):
    """What ingestion read from one edition, stored beside the index: no PDF is opened to answer."""

    source_id: str
    title: str
    edition: str
    edition_key: str = Field(description="The edition's content key in the index.")
    source: str = Field(description="The source file, as the manifest names it.")
    indexed_chunks: int
    ingested_at: str
    version: int = Field(1, description="The outline layout's version.")
    pages: int
    chunks: int
    ocr_pages: list[int] = Field(default_factory=list, description="Pages read by OCR (their text may hold errors).")
    left_out: list[PageLeftOut] = Field(default_factory=list, description="Pages not indexed, and why.")
    unusable_pages: list[int] = Field(default_factory=list)
    empty_pages: list[int] = Field(default_factory=list)
    quality: list[PageQualityOut] = Field(default_factory=list)
    sections: list[OutlineSection] = Field(default_factory=list)
    recommendations: list[ListedOutlineRecommendation] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="What a librarian should check (ungraded statements).")


class PageImageOut(BaseModel):
    page: int = Field(description="The page shown (1-based).")
    pages: int = Field(description="Pages in the document.")
    highlighted_boxes: int = Field(description="Line boxes of the passage highlighted (0: not found on the page).")


class CitedPassageOut(BaseModel):
    """A passage by its chunk id: text and citation and, for a PDF source, the page image sent beside it."""

    hit: HitOut
    page_image: PageImageOut | None = Field(None, description="The PNG's page (None: no image, see `why`).")
    why: str | None = Field(None, description="Why there is no page image (a text source, or the file is gone).")
