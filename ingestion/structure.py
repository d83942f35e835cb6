"""Pure: turn a document's normalised pages into `Section`s with heading paths, page spans and recommendations.

Headings are recognised on whole lines of normalised text (see `ingestion.normalize`). Only the order of the
levels matters (a heading closes every open heading of its level or deeper):

- 0: ``第N章`` / ``第N部`` / ``第N編``, markdown ``#``
- 1: ``第N節``, Roman ``I.`` (NFKC turns Ⅰ into I), ``##``
- 2: ``第N款``, ``###`` and deeper
- 3, 4, 5: numbered ``1.`` / ``1.2`` / ``1-1-1`` by depth (short lines only): nested under the 節 or 款 they sit in
  (the 点数表's ``1 急性期一般入院基本料`` under ``第1節 入院基本料``), and ``1.2`` under ``1.``
- 9: clinical questions ``CQ3-2`` / ``CQ 3-2`` / ``ＣＱ３－２`` (also BQ, FQ, FRQ): the deepest, so a CQ stays inside
  the numbered section it is in, and the next numbered heading closes it

A heading's label is its line, with a space put back between the marker and the title (``第3章 薬物療法``);
the section text starts with the heading line. Table rows (lines with `` | ``) are never headings, so a table
stays inside the section it belongs to. Each section's recommendations come from `ingestion.recommendations`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingestion.normalize import TABLE_SEP, normalize_text
from ingestion.recommendations import CQ_MARKER, parse_recommendations
from rag_service.types import PageText, Section

_KANJI_NUM = "0-9一二三四五六七八九十百"
_CHAPTER = re.compile(f"^(第[{_KANJI_NUM}]+[章部編])\\s*(.*)$")
_CLAUSE = re.compile(f"^(第[{_KANJI_NUM}]+節)\\s*(.*)$")
_ARTICLE_GROUP = re.compile(f"^(第[{_KANJI_NUM}]+款)\\s*(.*)$")
_CQ = re.compile(f"^({CQ_MARKER})\\.?\\s*(.*)$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:[.\-]\d{1,2})*\.?|[IVX]{1,5}\.)\s+(\S.*)$")
_MARKDOWN = re.compile(r"^(#{1,6})\s+(.*)$")
_MAX_NUMBERED_HEADING = 40
CQ_LEVEL = 9
_MAX_HEADING = {0: 60, 1: 60, 2: 60, CQ_LEVEL: 160}  # 第n章 / 節 / 款 titles are short; a CQ is a question


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
    for level, pattern in ((0, _CHAPTER), (1, _CLAUSE), (2, _ARTICLE_GROUP), (CQ_LEVEL, _CQ)):
        if m := pattern.match(line):
            if len(line) > _MAX_HEADING[level] or line.endswith("。"):
                return None  # a sentence that starts with 第2章…, not a heading (the 点数表 has 200-character ones)
            marker = re.sub(r"\s+", "", m[1])
            return Heading(level, f"{marker} {m[2].strip()}".strip())
    m = _NUMBERED.match(line)
    if m and len(line) <= _MAX_NUMBERED_HEADING and not line.endswith(("。", "、")):
        if "、" in m[2] and len(line) > 20:
            return None  # a numbered sentence that wrapped (`12 別に厚生労働大臣が定める保険医療機関においては、…`)
        if m[1].endswith(".") and m[1][:-1].isalpha():  # Roman: I. II.
            return Heading(1, f"{m[1]} {m[2].strip()}")
        return Heading(3 + min(len(re.findall(r"[.\-]\d", m[1])), 2), f"{m[1]} {m[2].strip()}")
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
