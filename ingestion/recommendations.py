"""Pure: the recommendations of a section's normalised text, one per statement, each with its own grade.

Formats recognised:

- a statement after ``推奨`` / ``推奨文`` / ``推奨1`` / ``【推奨2】`` (several per CQ), bounded to the statement (up to
  a blank line or the next part, at most 400 characters), with its grade line;
- Minds 2014/2017/2020: ``推奨の強さ 1/2`` and ``エビデンスの強さ/確実性 A–D``, combined as ``1C``, ``(2B)``,
  ``推奨度・エビデンス総体の総括：1C``, ``【推奨度 2, エビデンスの確実性 C】``, ``推奨グレード 1B``;
- JCS/JHFS: ``推奨クラス I / IIa / IIb / III`` with ``エビデンスレベル A–C``;
- GRADE wording: 強い推奨 / 弱い推奨 / 条件付き推奨, 確実性 高 / 中 / 低 / 非常に低 (→ A–D);
- Japanese Society of Hypertension: a ``Good Practice Statement`` (``GPS``, ``グッドプラクティスステートメント``),
  flagged `good_practice`, which has no strength or certainty by definition;
- recommendation tables: rows ``cell | cell | cell`` under a header naming a statement column (推奨, 推奨文) and
  grade columns (推奨クラス, 推奨の強さ, エビデンスレベル, エビデンスの確実性 …): one recommendation per row.
"""

from __future__ import annotations

import re

from ingestion.normalize import TABLE_SEP, normalize_text
from rag_service.types import Recommendation

CQ_MARKER = r"(?:CQ|BQ|FQ|FRQ)\s*\d+(?:-\d+)*"  # a clinical question's label (the structure step's CQ heading too)
_CQ_LABEL = re.compile(f"^({CQ_MARKER})")
GPS = r"Good\s*Practice\s*Statements?|グッドプラクティス・?ステートメント|(?<![A-Za-z])GPS(?![A-Za-z])"
_GPS = re.compile(GPS, re.I)

_LABELS = r"推奨文|推奨の強さ|推奨度|強い推奨|弱い推奨|エビデンスの(?:確実性|強さ|レベル)|エビデンスレベル|解説"
_REC_TEXT = re.compile(rf"(?:^|\n)(?:推奨文|推奨)\s*(?::\s*|\n)(.+?)(?=\n(?:{_LABELS})|\Z)", re.S)
_STRENGTH_NUM = re.compile(r"(?:推奨の強さ|推奨度)\s*:?\s*([12])")
_STRENGTH_WORD = re.compile(r"(?:推奨の強さ|推奨度)\s*:?\s*(強い|弱い)|(強い|弱い)推奨")
_CERTAINTY = re.compile(r"エビデンスの(?:確実性|強さ)|エビデンスレベル")
_GRADE = re.compile(r"\s*(?:\([^)]*\))?\s*:?\s*([A-D])(?![A-Za-z])")
# Minds style: 推奨度・エビデンス総体の総括: 1C, 【推奨度 2, エビデンスの確実性 C】, 推奨グレード 1B, (1A)
_COMBINED = re.compile(
    r"(?:推奨度|推奨の強さ|推奨グレード|総括|グレード)[^\n0-9]{0,24}?[:\s(]*([12])\s*([A-D])(?![A-Za-z])"
)
_GRADE_ONLY = re.compile(r"[(【\[]\s*([12])([A-D])\s*[)】\]]")
# GRADE wording: 強い推奨 / 弱い推奨 / 条件付き推奨; 確実性 高 / 中 / 低 / 非常に低
_GRADE_WORD = re.compile(r"(強い|弱い|条件付き(?:の)?)推奨|(?:強く|弱く)推奨する|提案する")
_CERTAINTY_WORD = re.compile(r"(?:エビデンスの)?確実性\s*[:(]?\s*(非常に低|高|中|低)")
_WORD_GRADE = {"高": "A", "中": "B", "低": "C", "非常に低": "D"}
_MAX_REC_TEXT = 400
_PARTS = r"背景|目的|解説|要約|エビデンス|推奨の強さ|推奨度|強い推奨|弱い推奨|条件付き推奨"
_REC_END = re.compile(rf"\n\s*\n|\n(?:{_PARTS}|\(|（|【|{GPS})", re.I)
_REC_START = re.compile(
    rf"(?:^|\n)[【\[]?(?:推奨(?:文)?\s*(?:\d+(?:-\d+)*|[①-⑳])?[】\]]?\s*(?::|\n)"
    rf"|(?:{GPS})\s*(?:\d+(?:-\d+)*)?[】\]]?\s*(?::|\n|\s))",
    re.I,
)
_REC_CLASS = re.compile(r"(?:推奨)?クラス\s*:?\s*(IIa|IIb|III|II|I)(?![a-zA-Z])")
_LEVEL = re.compile(r"(?:エビデンス)?レベル\s*:?\s*([A-C])(?![A-Za-z])")
_COMMENTARY = re.compile(r"\n(?:解説|背景|目的|要約)")


def _strength(text: str) -> int | None:
    if m := _COMBINED.search(text) or _GRADE_ONLY.search(text):
        return int(m[1])
    if m := _STRENGTH_NUM.search(text):
        return int(m[1])
    if m := _STRENGTH_WORD.search(text):
        return 1 if (m[1] or m[2]) == "強い" else 2
    if m := _GRADE_WORD.search(text):
        word = m.group(0)
        return 1 if word.startswith(("強い", "強く")) else 2
    return None


def _certainty(text: str) -> str | None:
    if m := _COMBINED.search(text) or _GRADE_ONLY.search(text):
        return m[2]
    for m in _CERTAINTY.finditer(text):
        if g := _GRADE.match(text, m.end()):
            return g[1]
    if m := _CERTAINTY_WORD.search(text):
        return _WORD_GRADE[m[1]]
    return None


def _bounded(statement: str) -> str:
    """The recommendation statement, not the section: up to a blank line or the next part, at most 400 chars."""
    cut = _REC_END.search(statement)
    head = statement[: cut.start()] if cut else statement
    return head.strip()[:_MAX_REC_TEXT]


def _statement(text: str) -> str | None:
    rec = _REC_TEXT.search(text) or _REC_START.search(text)
    if rec is None:
        return None
    body = normalize_text(rec[1] if rec.re is _REC_TEXT else text[rec.end() :])
    if _COMMENTARY.match("\n" + body):
        return None  # a marker with no statement after it (a GPS line below the statement it marks)
    return _bounded(body) or None


def _one_recommendation(cq: str | None, text: str) -> Recommendation | None:
    rec_text = _statement(text)
    cut = _COMMENTARY.search(text)
    if _GPS.search(text[: cut.start()] if cut else text):  # a GPS has no grade by definition
        return Recommendation(cq=cq, text=rec_text, good_practice=True)
    rec_class = m[1] if (m := _REC_CLASS.search(text)) else None
    certainty = _certainty(text) or (m[1] if rec_class and (m := _LEVEL.search(text)) else None)
    strength = _strength(text)
    if rec_text is None and strength is None and certainty is None and rec_class is None:
        return None
    return Recommendation(cq=cq, text=rec_text, strength=strength, certainty=certainty, rec_class=rec_class)


def _statement_slices(text: str) -> list[str]:
    """The text split at each statement's start (推奨1, 推奨2, GPS …); a part without a statement of its own (a
    `Good Practice Statement` line after the statement it marks) stays with the part before it."""
    starts = [m.start() for m in _REC_START.finditer(text)]
    if len(starts) <= 1:
        return [text]
    slices: list[str] = []
    for a, b in zip(starts, [*starts[1:], len(text)], strict=True):
        if slices and _statement(text[a:b]) is None:
            slices[-1] += text[a:b]
        else:
            slices.append(text[a:b])
    return slices


def parse_recommendations(path: tuple[str, ...], text: str) -> tuple[Recommendation, ...]:
    """The recommendations of a section: the rows of its recommendation tables (any section), else, in a CQ
    section, one per statement (推奨1, 推奨2 … each with its own grade), or () when there are none."""
    cq = next((re.sub(r"\s+", "", m[1]) for label in reversed(path) if (m := _CQ_LABEL.match(label))), None)
    if rows := table_recommendations(cq, text):
        return rows
    if cq is None:
        return ()
    return tuple(r for part in _statement_slices(text) if (r := _one_recommendation(cq, part)) is not None)


# --- recommendation tables ------------------------------------------------------------------------------------

_STATEMENT_HEAD = re.compile(r"^(?:推奨(?:文|内容|事項)?|ステートメント)$")
_CLASS_HEAD = re.compile(r"クラス|Class", re.I)
_CERTAINTY_HEAD = re.compile(r"エビデンス|確実性|レベル|Level|LOE", re.I)
_STRENGTH_HEAD = re.compile(r"強さ|推奨度|グレード|Grade|COR", re.I)
_CLASS_CELL = re.compile(r"^(IIa|IIb|III|II|I)(?![a-zA-Z])")
_COMBINED_CELL = re.compile(r"^([12])\s*([A-D])$")
_MAX_CONTINUATION = 4  # lines a wrapped statement cell may run on below its row


def _columns(header: list[str]) -> dict[str, int] | None:
    """Which column holds what, when a row is the header of a recommendation table."""
    cols: dict[str, int] = {}
    for i, cell in enumerate(header):
        if _STATEMENT_HEAD.match(cell):
            cols.setdefault("text", i)
        elif _CLASS_HEAD.search(cell):
            cols.setdefault("rec_class", i)
        elif _CERTAINTY_HEAD.search(cell) and _STRENGTH_HEAD.search(cell) and "推奨" in cell:
            cols.setdefault("combined", i)  # 推奨度・エビデンスレベル: 1C
        elif _CERTAINTY_HEAD.search(cell):
            cols.setdefault("certainty", i)
        elif _STRENGTH_HEAD.search(cell):
            cols.setdefault("strength", i)
    return cols if "text" in cols and len(cols) > 1 else None


def _row_recommendation(cq: str | None, cells: list[str], cols: dict[str, int]) -> Recommendation | None:
    def cell(key: str) -> str:
        return cells[cols[key]].strip() if key in cols and cols[key] < len(cells) else ""

    text = cell("text")
    if not text:
        return None
    grades = " ".join(cell(k) for k in ("rec_class", "strength", "certainty", "combined"))
    if _GPS.search(grades) or _GPS.fullmatch(text):
        return Recommendation(cq=cq, text=text[:_MAX_REC_TEXT], good_practice=True)
    rec_class = m[1] if (m := _CLASS_CELL.match(cell("rec_class"))) else None
    strength = int(m[1]) if (m := re.match(r"^([12])(?![0-9])", cell("strength"))) else None
    if strength is None and (word := re.match(r"^(強い|弱い|条件付き)", cell("strength"))):
        strength = 1 if word[1] == "強い" else 2
    certainty = m[1] if (m := re.match(r"^([A-D])(?![A-Za-z])", cell("certainty"))) else None
    if certainty is None and (m := re.match(r"^(非常に低|高|中|低)", cell("certainty"))):
        certainty = _WORD_GRADE[m[1]]
    if m := _COMBINED_CELL.match(cell("combined")) or _COMBINED_CELL.match(cell("strength")):
        strength, certainty = int(m[1]), m[2]
    return Recommendation(cq=cq, text=text[:_MAX_REC_TEXT], strength=strength, certainty=certainty, rec_class=rec_class)


def table_recommendations(cq: str | None, text: str) -> tuple[Recommendation, ...]:
    """One recommendation per data row of each recommendation table in `text` (rows joined by `` | ``). A statement
    cell that wraps goes on, without cells, on the lines below its row until it ends with 。."""
    rows: list[list[str]] = []
    cols: dict[str, int] | None = None
    out: list[Recommendation] = []
    pending = 0  # continuation lines still allowed for the last row's statement
    for line in [*text.split("\n"), ""]:
        if TABLE_SEP in line:
            cells = [c.strip() for c in line.split(TABLE_SEP.strip())]
            if (header := _columns(cells)) is not None:
                out += _close(cq, rows, cols)
                rows, cols = [], header
            elif cols is not None:
                rows.append(cells)
                pending = _MAX_CONTINUATION
            continue
        if cols is not None and rows and pending and line.strip():
            i = cols["text"]
            if i < len(rows[-1]) and not rows[-1][i].endswith("。"):
                rows[-1][i] += line.strip()
                pending -= 1
                continue
        out += _close(cq, rows, cols)
        rows, cols, pending = [], None, 0
    return tuple(out)


def _close(cq: str | None, rows: list[list[str]], cols: dict[str, int] | None) -> list[Recommendation]:
    if cols is None:
        return []
    return [r for cells in rows if (r := _row_recommendation(cq, cells, cols)) is not None]
