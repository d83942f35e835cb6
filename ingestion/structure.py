"""Pure: turn a document's normalised pages into `Section`s with heading paths, page spans and recommendations.

Headings are recognised on whole lines of normalised text (see `ingestion.normalize`):

- level 0: ``第N章`` / ``第N部`` / ``第N編``, markdown ``#``
- level 1: ``第N節``, Roman ``I.`` (NFKC turns Ⅰ into I), numbered ``1.`` ``1.2`` ``1-1`` (short lines only), ``##``
- level 2: clinical questions ``CQ3-2`` / ``CQ 3-2`` / ``ＣＱ３－２`` (also BQ, FQ, FRQ), ``###`` and deeper

A heading's label is its line, with a space put back between the marker and the title (``第3章 薬物療法``);
the section text starts with the heading line. Table rows (lines with `` | ``) are never headings, so a table
stays inside the section it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingestion.normalize import TABLE_SEP, normalize_text
from rag_service.types import PageText, Recommendation, Section

_KANJI_NUM = "0-9一二三四五六七八九十百"
_CHAPTER = re.compile(f"^(第[{_KANJI_NUM}]+[章部編])\\s*(.*)$")
_CLAUSE = re.compile(f"^(第[{_KANJI_NUM}]+節)\\s*(.*)$")
_CQ = re.compile(r"^((?:CQ|BQ|FQ|FRQ)\s*\d+(?:-\d+)*)\.?\s*(.*)$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:[.\-]\d{1,2})*\.?|[IVX]{1,5}\.)\s+(\S.*)$")
_MARKDOWN = re.compile(r"^(#{1,6})\s+(.*)$")
_MAX_NUMBERED_HEADING = 40
_MAX_HEADING = {0: 60, 1: 60, 2: 160}  # 第n章 / 第n節 titles are short; a CQ is a question and may be long

_LABELS = r"推奨文|推奨の強さ|推奨度|強い推奨|弱い推奨|エビデンスの(?:確実性|強さ|レベル)|エビデンスレベル|解説"
_REC_TEXT = re.compile(rf"(?:^|\n)(?:推奨文|推奨)\s*(?::\s*|\n)(.+?)(?=\n(?:{_LABELS})|\Z)", re.S)
_STRENGTH_NUM = re.compile(r"(?:推奨の強さ|推奨度)\s*:?\s*([12])")
_STRENGTH_WORD = re.compile(r"(?:推奨の強さ|推奨度)\s*:?\s*(強い|弱い)|(強い|弱い)推奨")
_CERTAINTY = re.compile(r"エビデンスの(?:確実性|強さ)|エビデンスレベル")
_GRADE = re.compile(r"\s*(?:\([^)]*\))?\s*:?\s*([A-D])(?![A-Za-z])")


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    label: str


def parse_heading(line: str) -> Heading | None:
    """The heading a normalised line opens, or None for body text (and for table rows)."""
    line = line.strip()
    if not line or TABLE_SEP in line:
        return None
    if m := _MARKDOWN.match(line):
        return Heading(min(len(m[1]) - 1, 2), m[2].strip())
    for level, pattern in ((0, _CHAPTER), (1, _CLAUSE), (2, _CQ)):
        if m := pattern.match(line):
            if len(line) > _MAX_HEADING[level] or line.endswith("。"):
                return None  # a sentence that starts with 第2章…, not a heading (the 点数表 has 200-character ones)
            marker = re.sub(r"\s+", "", m[1])
            return Heading(level, f"{marker} {m[2].strip()}".strip())
    m = _NUMBERED.match(line)
    if m and len(line) <= _MAX_NUMBERED_HEADING and not line.endswith(("。", "、")):
        return Heading(1, f"{m[1]} {m[2].strip()}")
    return None


def _page_at(starts: list[tuple[int, int]], offset: int) -> int:
    page = starts[0][1]
    for start, p in starts:
        if start > offset:
            break
        page = p
    return page


def _make_section(path: tuple[str, ...], text: str, begin: int, starts: list[tuple[int, int]]) -> Section | None:
    body = text.strip("\n")
    if not body.strip():
        return None
    if "\n" not in body and parse_heading(body) is not None:
        return None  # only its heading (a chapter opening straight into a subsection): the path carries it
    begin += len(text) - len(text.lstrip("\n"))
    end = begin + len(body)
    offsets = [(0, _page_at(starts, begin))]
    offsets += [(s - begin, p) for s, p in starts if begin < s < end and p != offsets[-1][1]]
    return Section(
        path=path,
        text=body,
        page_start=offsets[0][1],
        page_end=offsets[-1][1],
        recommendations=parse_recommendations(path, body),
        page_offsets=tuple(offsets),
    )


def split_sections(pages: list[PageText]) -> list[Section]:
    """Split normalised pages into sections by heading; each keeps its page span and per-page offsets."""
    doc, starts = "", []
    for p in pages:
        starts.append((len(doc), p.page))
        doc += p.text.strip("\n") + "\n"
    if not starts:
        return []
    sections: list[Section] = []
    stack: list[Heading] = []
    begin = 0
    pos = 0
    for line in doc.splitlines(keepends=True):
        heading = parse_heading(line)
        if heading is not None:
            section = _make_section(tuple(h.label for h in stack), doc[begin:pos], begin, starts)
            sections += [section] if section else []
            stack = [h for h in stack if h.level < heading.level] + [heading]
            begin = pos
        pos += len(line)
    last = _make_section(tuple(h.label for h in stack), doc[begin:], begin, starts)
    return sections + ([last] if last else [])


def split_text_sections(text: str) -> list[Section]:
    """Sections of a plain-text or markdown source (normalised here); every section is on page 1."""
    return split_sections([PageText(page=1, text=normalize_text(text))])


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
_REC_END = re.compile(r"\n\s*\n|\n(?:背景|目的|解説|要約|エビデンス|推奨の強さ|推奨度|\(|（)")


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


_REC_START = re.compile(r"(?:^|\n)[【\[]?推奨(?:文)?\s*(?:\d+(?:-\d+)*|[①-⑳])?[】\]]?\s*(?::|\n)")
_REC_CLASS = re.compile(r"(?:推奨)?クラス\s*:?\s*(IIa|IIb|III|II|I)(?![a-zA-Z])")
_LEVEL = re.compile(r"(?:エビデンス)?レベル\s*:?\s*([A-C])(?![A-Za-z])")


def _one_recommendation(cq: str, text: str) -> Recommendation | None:
    rec = _REC_TEXT.search(text) or _REC_START.search(text)
    rec_text = None
    if rec is not None:
        body = rec[1] if rec.re is _REC_TEXT else text[rec.end() :]
        rec_text = _bounded(normalize_text(body)) or None
    rec_class = m[1] if (m := _REC_CLASS.search(text)) else None
    certainty = _certainty(text) or (m[1] if rec_class and (m := _LEVEL.search(text)) else None)
    strength = _strength(text)
    if rec_text is None and strength is None and certainty is None and rec_class is None:
        return None
    return Recommendation(cq=cq, text=rec_text, strength=strength, certainty=certainty, rec_class=rec_class)


def parse_recommendations(path: tuple[str, ...], text: str) -> tuple[Recommendation, ...]:
    """The recommendations of a CQ section, one per statement (推奨1, 推奨2 … each with its own grade: Minds 1C,
    GRADE wording, JCS 推奨クラス I–III with エビデンスレベル A–C), or () when it is not a CQ or has none."""
    cq = next((m[1] for label in reversed(path) if (m := _CQ.match(label))), None)
    if cq is None:
        return ()
    cq = re.sub(r"\s+", "", cq)
    starts = [m.start() for m in _REC_START.finditer(text)]
    if len(starts) <= 1:
        one = _one_recommendation(cq, text)
        return (one,) if one else ()
    slices = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    return tuple(r for part in slices if (r := _one_recommendation(cq, part)) is not None)
