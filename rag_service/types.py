"""Internal value types: frozen, no I/O. Provenance travels from the PDF to the answer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class EditionStatus(StrEnum):
    """Where an edition stands in its guideline's life."""

    CURRENT = "current"
    SUPERSEDED = "superseded"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class Recommendation:
    """Fields of a guideline recommendation (CQ → 推奨)."""

    cq: str | None = None  # "CQ3-2"
    text: str | None = None  # 推奨文
    strength: int | None = None  # 推奨の強さ: 1 (強い) or 2 (弱い)
    certainty: str | None = None  # エビデンスの確実性: A–D


@dataclass(frozen=True, slots=True)
class Edition:
    """One guideline edition as the manifest declares it: the only source of citation metadata."""

    source_id: str
    title: str
    publisher: str
    edition: str
    published: date
    status: EditionStatus
    specialties: tuple[str, ...] = ()
    supersedes: str | None = None
    license: str | None = None
    redistributable: bool = False


@dataclass(frozen=True, slots=True)
class PageText:
    """The text of one page, 1-based page number."""

    page: int
    text: str


@dataclass(frozen=True, slots=True)
class Section:
    """A run of text under one heading path, with the pages it spans.

    `unit_id` is the row id of a pre-segmented `.jsonl` source (a statute article, a case report).
    """

    path: tuple[str, ...]
    text: str
    page_start: int
    page_end: int
    unit_id: str | None = None
    recommendation: Recommendation | None = None
    # (offset in `text`, page) pairs: where each page's text starts inside `text`.
    page_offsets: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable piece of an edition with everything a citation needs."""

    edition_key: str  # "<source_id>@<content hash>": what the catalog activates
    source_id: str
    title: str
    publisher: str
    edition: str
    published: date
    status: EditionStatus
    specialties: tuple[str, ...]
    page_start: int
    page_end: int
    section_path: tuple[str, ...]
    text: str
    unit_id: str | None = None
    recommendation: Recommendation | None = None
    chunk_id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.chunk_id:
            object.__setattr__(
                self,
                "chunk_id",
                stable_chunk_id(self.source_id, self.edition, self.page_start, self.page_end, self.text, self.unit_id),
            )


def stable_chunk_id(
    source_id: str, edition: str, page_start: int, page_end: int, text: str, unit_id: str | None = None
) -> str:
    """A UUID-shaped id = hash of (source, edition, page span, unit, text): unchanged content keeps its id."""
    h = hashlib.sha256(
        "\x1f".join([source_id, edition, str(page_start), str(page_end), unit_id or "", text]).encode()
    ).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


@dataclass(frozen=True, slots=True)
class SparseVector:
    indices: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class LegScore:
    """One retrieval leg's evidence for a hit: its score and its 1-based rank in that leg."""

    score: float
    rank: int


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk with each leg's score and rank kept apart (never one overwritten `score`)."""

    chunk: Chunk
    bm25: LegScore | None = None
    dense: LegScore | None = None
    bigram: LegScore | None = None
    fused: LegScore | None = None
    rerank: LegScore | None = None
