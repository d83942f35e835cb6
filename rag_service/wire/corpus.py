"""The corpus: editions, and the recommendations their stored outlines hold."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag_service.wire.search import EditionFields, RecommendationOut
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
