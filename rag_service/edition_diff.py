"""Pure: what changed between two editions of one guideline, statement by statement.

The recommendations of each edition come from its stored outline (`rag_service.outline`). Statements are paired by
their text (after NFKC, with spaces and punctuation set aside), helped by the CQ and number they sit under; each
pair is then *unchanged*, *regraded* (strength, certainty, class or direction), *reworded* (with the text
difference), *moved* (to another CQ), or several of these; a statement of the old edition with no partner was
*removed*, one of the new edition *added*. Pages are given on both sides. Pairing is greedy on a similarity score,
best pairs first; below `MIN_SIMILARITY` two statements are not the same statement (a rewritten recommendation
then shows as removed + added, which is what a reader should check by hand).
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rag_service.ja_text import token_spans
from rag_service.types import Grade, Recommendation

MIN_SIMILARITY = 0.55  # text similarity (0–1) under which two statements are different statements
SAME_PLACE_BONUS = 0.15  # the same CQ and number make a pair likelier (a reworded statement keeps its place)
Change = Literal["regraded", "reworded", "moved"]
Kind = Literal["added", "removed", "changed", "unchanged"]


def _key(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s、。,.・()「」『』:;]+", "", text)


def similarity(a: str | None, b: str | None) -> float:
    """How alike two statements are, 0–1, ignoring width, spaces and punctuation."""
    ka, kb = _key(a), _key(b)
    if not ka or not kb:
        return 0.0
    return difflib.SequenceMatcher(None, ka, kb, autojunk=False).ratio()


@dataclass(frozen=True, slots=True)
class TextChange:
    """One run of a text difference: kept, removed from the old text, or inserted in the new."""

    op: Literal["equal", "delete", "insert"]
    text: str


def _words(text: str) -> list[str]:
    """The text cut between fugashi tokens, every character kept (so the runs join back into the text)."""
    cuts = sorted({0, len(text), *(t.start for t in token_spans(text))})
    return [text[a:b] for a, b in itertools.pairwise(cuts) if b > a]


def text_changes(old: str, new: str) -> tuple[TextChange, ...]:
    """The difference between two statements word by word (a librarian reads `140` → `130`, not `4` → `3`), as
    runs of kept, deleted and inserted text."""
    a, b = _words(old), _words(new)
    out: list[TextChange] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(TextChange("equal", "".join(a[a0:a1])))
            continue
        if a1 > a0:
            out.append(TextChange("delete", "".join(a[a0:a1])))
        if b1 > b0:
            out.append(TextChange("insert", "".join(b[b0:b1])))
    return tuple(out)


def _grade_key(g: Grade) -> tuple[object, ...]:
    return (g.strength, g.certainty, g.rec_class, g.minds_grade, g.good_practice, g.direction)


@dataclass(frozen=True, slots=True)
class StatementChange:
    """One statement across two editions: `old` and/or `new`, and what changed between them."""

    kind: Kind
    old: Recommendation | None = None
    new: Recommendation | None = None
    changes: tuple[Change, ...] = ()
    similarity: float = 0.0
    text_diff: tuple[TextChange, ...] = field(default=())

    def to_doc(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "changes": list(self.changes),
            "similarity": round(self.similarity, 3),
            "old": self.old.to_doc() if self.old else None,
            "new": self.new.to_doc() if self.new else None,
            "old_grade": self.old.grade.label() if self.old else None,
            "new_grade": self.new.grade.label() if self.new else None,
            "text_diff": [{"op": t.op, "text": t.text} for t in self.text_diff],
        }


def _pair(old: Recommendation, new: Recommendation, score: float) -> StatementChange:
    changes: list[Change] = []
    if _grade_key(old.grade) != _grade_key(new.grade):
        changes.append("regraded")
    if _key(old.text) != _key(new.text):
        changes.append("reworded")
    if (old.cq or "") != (new.cq or ""):
        changes.append("moved")
    diff = text_changes(old.text or "", new.text or "") if "reworded" in changes else ()
    kind: Kind = "changed" if changes else "unchanged"
    return StatementChange(kind, old, new, tuple(changes), score, diff)


def diff_recommendations(old: Sequence[Recommendation], new: Sequence[Recommendation]) -> list[StatementChange]:
    """Every statement of either edition once: pairs first (in the new edition's order), then what was removed."""
    scored: list[tuple[float, int, int]] = []
    for i, a in enumerate(old):
        for j, b in enumerate(new):
            s = similarity(a.text, b.text)
            place = a.cq is not None and a.cq == b.cq and a.number == b.number
            if s >= MIN_SIMILARITY or (place and s >= MIN_SIMILARITY - SAME_PLACE_BONUS):
                scored.append((s + (SAME_PLACE_BONUS if place else 0.0), i, j))
    paired_old: dict[int, int] = {}
    paired_new: dict[int, tuple[int, float]] = {}
    for _score, i, j in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if i not in paired_old and j not in paired_new:
            paired_old[i] = j
            paired_new[j] = (i, similarity(old[i].text, new[j].text))
    out: list[StatementChange] = []
    for j, b in enumerate(new):
        if j in paired_new:
            i, s = paired_new[j]
            out.append(_pair(old[i], b, s))
        else:
            out.append(StatementChange("added", None, b))
    out += [StatementChange("removed", a, None) for i, a in enumerate(old) if i not in paired_old]
    return out


def outline_recommendations(outline: Mapping[str, Any]) -> list[Recommendation]:
    """The recommendations an outline (as `rag_service.outline.edition_outline` returns it) holds, in order."""
    return [Recommendation.from_doc(r) for r in outline.get("recommendations", [])]


def summary(changes: Sequence[StatementChange]) -> dict[str, int]:
    """Counts by kind and by change (`regraded`, `reworded`, `moved`)."""
    counts = {k: 0 for k in ("added", "removed", "changed", "unchanged", "regraded", "reworded", "moved")}
    for c in changes:
        counts[c.kind] += 1
        for what in c.changes:
            counts[what] += 1
    return counts
