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


class Direction(StrEnum):
    """Which way a recommendation points."""

    FOR = "for"  # 行うことを推奨する / 提案する, 推奨クラス I–IIb
    AGAINST = "against"  # 行わないことを推奨する / 提案する, 推奨クラス III
    NONE = "none"  # 明確な推奨ができない / 推奨なし


_STRENGTH_WORDS = {1: "強く", 2: "弱く"}


@dataclass(frozen=True, slots=True)
class Grade:
    """A recommendation's grade as a value: what each scheme prints, read into one shape.

    `label()` is the one rendering of a grade (the answer prompt, the API, the outline, the console and MCP all use
    it); `printed` keeps the grade text exactly as the guideline printed it."""

    strength: int | None = None  # 推奨の強さ: 1 (強い) or 2 (弱い・条件付き・提案)
    certainty: str | None = None  # エビデンスの確実性 / 強さ / レベル: A–D
    rec_class: str | None = None  # 推奨クラス (JCS/JHFS): I, IIa, IIb or III
    minds_grade: str | None = None  # 推奨グレード of the Minds 2007 scheme: A, B, C1, C2 or D
    direction: Direction | None = None  # for / against / none; None when the text does not say
    good_practice: bool = False  # a Good Practice Statement: no strength or certainty by definition
    printed: str | None = None  # the grade as printed: `推奨度・エビデンス総体の総括：1C（使用することを強く推奨する）`

    @property
    def empty(self) -> bool:
        return not (self.strength or self.certainty or self.rec_class or self.minds_grade or self.good_practice)

    def label(self) -> str:
        """`1C・行うことを強く推奨`, `推奨クラス IIa・エビデンスレベル B`, `推奨グレード C1`, `Good Practice Statement`;
        '' for an empty grade."""
        if self.good_practice:
            return "Good Practice Statement"
        if self.empty:
            return ""  # a direction read from the statement alone is not a grade
        parts: list[str] = []
        if self.rec_class:
            parts.append(f"推奨クラス {self.rec_class}")
            if self.certainty:
                parts.append(f"エビデンスレベル {self.certainty}")
        elif self.minds_grade:
            parts.append(f"推奨グレード {self.minds_grade}")
        elif self.strength and self.certainty:
            parts.append(f"{self.strength}{self.certainty}")
        elif self.strength:
            parts.append(f"推奨の強さ {self.strength}")
        elif self.certainty:
            parts.append(f"エビデンスの確実性 {self.certainty}")
        if self.direction is Direction.NONE:
            parts.append("推奨なし")
        elif self.direction is not None and not self.rec_class:
            verb = "行わない" if self.direction is Direction.AGAINST else "行う"
            parts.append(f"{verb}ことを{_STRENGTH_WORDS.get(self.strength or 0, '')}推奨")
        elif self.direction is Direction.AGAINST:
            parts.append("行わない")
        return "・".join(parts)

    def to_doc(self) -> dict[str, Any]:
        return {f.name: _to_json(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Grade:
        hints = _type_hints(cls)
        return cls(**{f.name: _from_json(hints[f.name], doc[f.name]) for f in fields(cls) if f.name in doc})


def pages_label(start: int | None, end: int | None) -> str:
    """`p.3`, `p.3–4`, or '' when unknown: the one place a page range is written."""
    if start is None:
        return ""
    return f"p.{start}" if end in (None, start) else f"p.{start}–{end}"


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One graded statement of a guideline (CQ → 推奨 n): its own text, grade and pages.

    A grade is only ever the one printed for this statement; where the document leaves that unclear the grade is
    empty and `note` says why."""

    cq: str | None = None  # the CQ (or section) label: "CQ3-2"
    text: str | None = None  # the statement alone (推奨文)
    grade: Grade = Grade()
    number: int | None = None  # its number within the CQ (推奨1, `2.`), when printed
    page_start: int | None = None  # 1-based pages of the statement and its grade line
    page_end: int | None = None
    reader: str | None = None  # the format reader that read it (`ingestion.grade_readers`)
    note: str | None = None  # why the grade is empty, when the document is ambiguous

    @property
    def strength(self) -> int | None:
        return self.grade.strength

    @property
    def certainty(self) -> str | None:
        return self.grade.certainty

    @property
    def rec_class(self) -> str | None:
        return self.grade.rec_class

    @property
    def good_practice(self) -> bool:
        return self.grade.good_practice

    @property
    def direction(self) -> Direction | None:
        return self.grade.direction

    def to_doc(self) -> dict[str, Any]:
        """JSON-able: the grade nested (`grade: {...}`), the statement's own fields flat."""
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "grade"}
        return {**own, "grade": self.grade.to_doc()}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Recommendation:
        """Read back `to_doc`, and the flat layout of indexes written before grades were a value."""
        grade = Grade.from_doc(doc["grade"]) if isinstance(doc.get("grade"), Mapping) else Grade.from_doc(doc)
        own = {f.name: doc[f.name] for f in fields(cls) if f.name != "grade" and f.name in doc}
        return cls(**own, grade=grade)


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
        hints = _type_hints(cls)
        return cls(**{f.name: _from_json(hints[f.name], doc[f.name]) for f in fields(cls) if f.name in doc})


_HINTS: dict[type, dict[str, Any]] = {}


def _type_hints(cls: type) -> dict[str, Any]:
    """A class's resolved annotations, once per class (resolving them costs ~0.1 ms: ten hits paid it ten times)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


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
    # [start, end) of each recommendation's statement (and its grade line) in `text`, in the same order
    recommendation_spans: tuple[tuple[int, int], ...] = ()
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
    recommendations: tuple[Recommendation, ...] = ()  # those whose statement it holds (never a neighbour's)
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
