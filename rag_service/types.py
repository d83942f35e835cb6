"""Internal value types: frozen, no I/O. Provenance travels from the PDF to the answer."""

from __future__ import annotations

import hashlib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any


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
    certainty: str | None = None  # エビデンスの確実性 / エビデンスレベル: A–D
    rec_class: str | None = None  # 推奨クラス (JCS/JHFS style): I, IIa, IIb or III
    good_practice: bool = False  # a Good Practice Statement (JSH style): no strength or certainty by definition


@dataclass(frozen=True, slots=True)
class Edition:
    """One guideline edition as the manifest declares it: the only source of citation metadata.

    Carried by reference (in every `Chunk` and catalog entry); turned into JSON in `to_doc` and read back in
    `from_doc` only, generically over its fields, so a new citation field is declared here, in the manifest entry
    and in the API's `EditionFields`, and nowhere else.
    """

    source_id: str
    title: str
    publisher: str
    edition: str  # the edition label, e.g. "2025年版"
    published: date
    status: EditionStatus
    specialties: tuple[str, ...] = ()
    supersedes: str | None = None
    license: str | None = None
    redistributable: bool = False

    def to_doc(self) -> dict[str, Any]:
        """JSON-able fields (dates ISO, statuses by value, tuples as lists): the payload and catalog layout."""
        return {f.name: _to_json(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Edition:
        """Read back what `to_doc` wrote; fields a document lacks (written by an older version) take defaults."""
        hints = typing.get_type_hints(cls)
        return cls(**{f.name: _from_json(hints[f.name], doc[f.name]) for f in fields(cls) if f.name in doc})


def _to_json(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def _from_json(hint: Any, value: Any) -> Any:
    """Convert one JSON value to the field's declared type (date, enum, tuple; optional ones may be None)."""
    if value is None:
        return None
    if isinstance(hint, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if hint is date:
        return date.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return hint(value)
    if typing.get_origin(hint) is tuple:
        return tuple(value)
    return value


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
    recommendations: tuple[Recommendation, ...] = ()  # a CQ's recommendations, each with its own grade
    # (offset in `text`, page) pairs: where each page's text starts inside `text`.
    page_offsets: tuple[tuple[int, int], ...] = ()

    @property
    def recommendation(self) -> Recommendation | None:
        return self.recommendations[0] if self.recommendations else None


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable piece of an edition with everything a citation needs: its `Edition` by reference."""

    edition_key: str  # "<source_id>@<content hash>": what the catalog activates
    edition: Edition
    page_start: int
    page_end: int
    section_path: tuple[str, ...]
    text: str
    unit_id: str | None = None
    recommendations: tuple[Recommendation, ...] = ()  # its CQ's recommendations
    chunk_id: str = field(default="")
    ocr: bool = False  # its text was read by OCR (it may hold recognition errors)

    @property
    def recommendation(self) -> Recommendation | None:
        """The first of its recommendations (most CQs have one)."""
        return self.recommendations[0] if self.recommendations else None

    def __post_init__(self) -> None:
        if not self.chunk_id:
            ed = self.edition
            cid = stable_chunk_id(ed.source_id, ed.edition, self.page_start, self.page_end, self.text, self.unit_id)
            object.__setattr__(self, "chunk_id", cid)


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
