"""Pure: turn a document's normalised pages into `Section`s with heading paths, page spans and recommendations.

Headings are recognised on whole lines of normalised text (see `ingestion.normalize`). Only the order of the
levels matters (a heading closes every open heading of its level or deeper):

- 0: ``第N章`` / ``第N部`` / ``第N編``, markdown ``#``
- 1: ``第N節``, Roman ``I.`` (NFKC turns Ⅰ into I), ``##``
- 2: ``第N款``, ``###`` and deeper
- 3: a fee schedule's 区分 entry, code and title (``A000 初診料``, ``K615-2 経皮的大動脈遮断術 | 1,660点``)
- 4, 5, 6: numbered ``1.`` / ``1.2`` / ``1-1-1`` by depth (short lines only): nested under the 節, 款 or 区分 they
  sit in (the 点数表's ``1 急性期一般入院基本料`` under ``A100 一般病棟入院基本料``), and ``1.2`` under ``1.``
- 9: clinical questions ``CQ3-2`` / ``CQ 3-2`` / ``ＣＱ３－２`` (also BQ, FQ, FRQ): the deepest, so a CQ stays inside
  the numbered section it is in, and the next numbered heading closes it

A heading's label is its line, with a space put back between the marker and the title (``第3章 薬物療法``);
the section text starts with the heading line. Table rows (lines with `` | ``) are never headings, so a table
stays inside the section it belongs to. Each section's recommendations come from `ingestion.recommendations`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

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
_FEE_CODE = re.compile(r"^(?:区分\s*)?([A-N]\d{3}(?:-\d{1,2})*)\s+([^|]{2,60}?)(?:\s*\|\s*[\d,]+点)?$")
# a contents line: `11 災害訓練等の実施について・・・・・9`, `第1章 総論 5` (a title, then its page number)
_LEADERS = re.compile(r"(?:[・･…‥·.。]\s*){3,}\s*\d*\s*$|(?<=[\u3041-\u30ff\u3400-\u9fff)])\s+\d{1,3}$")
_CONTENTS = re.compile(r"^(?:#+\s*)?(?:目\s*次|もくじ|contents|table of contents)$", re.I)
_WORD = re.compile(r"[A-Za-z\u3041-\u30ff\u3400-\u9fff]")
_PAGE_WORD = re.compile(r"^(?:頁|ページ|page|p\.?)\s*\d*$", re.I)
CQ_LEVEL = 9
_NUMBERED_LEVELS = (4, 5, 6)
_MAX_HEADING = {0: 60, 1: 60, 2: 60, CQ_LEVEL: 160}  # 第n章 / 節 / 款 titles are short; a CQ is a question


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    label: str


def parse_heading(line: str) -> Heading | None:
    """The heading a normalised line opens, or None for body text (and for table rows)."""
    line = line.strip()
    if m := _FEE_CODE.match(line):
        return Heading(3, f"{m[1]} {m[2].strip()}") if not m[2].rstrip().endswith("。") else None
    if not line or TABLE_SEP in line or _CONTENTS.match(line) or _LEADERS.search(line):
        return None  # a contents page's lines (and 目次 itself) are not the document's headings
    if m := _MARKDOWN.match(line):
        return Heading(min(len(m[1]) - 1, 2), m[2].strip())
    for level, pattern in ((0, _CHAPTER), (1, _CLAUSE), (2, _ARTICLE_GROUP), (CQ_LEVEL, _CQ)):
        if m := pattern.match(line):
            if len(line) > _MAX_HEADING[level] or line.endswith("。"):
                return None  # a sentence that starts with 第2章…, not a heading (the 点数表 has 200-character ones)
            marker = re.sub(r"\s+", "", m[1])
            return Heading(level, f"{marker} {m[2].strip()}".strip())
    m = _NUMBERED.match(line)
    if m and (len(_WORD.findall(m[2])) < 2 or _PAGE_WORD.match(m[2]) or re.match(r"0\b", m[1])):
        return None  # `1 0`, `47 頁`: a number read by OCR, not a heading; nor is item 0
    if m and len(line) <= _MAX_NUMBERED_HEADING and not line.endswith(("。", "、")):
        if "、" in m[2] and len(line) > 20:
            return None  # a numbered sentence that wrapped (`12 別に厚生労働大臣が定める保険医療機関においては、…`)
        if m[1].endswith(".") and m[1][:-1].isalpha():  # Roman: I. II.
            return Heading(1, f"{m[1]} {m[2].strip()}")
        return Heading(4 + min(len(re.findall(r"[.\-]\d", m[1])), 2), f"{m[1]} {m[2].strip()}")
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
    found = parse_recommendations(path, body)
    recs = tuple(replace(rec, page_start=_page_in(offsets, a), page_end=_page_in(offsets, max(a, b - 1)))
                 for rec, (a, b) in found)  # fmt: skip
    return Section(
        path=path,
        text=body,
        page_start=offsets[0][1],
        page_end=offsets[-1][1],
        recommendations=recs,
        recommendation_spans=tuple(span for _, span in found),
        page_offsets=tuple(offsets),
    )


def _page_in(offsets: list[tuple[int, int]], pos: int) -> int:
    page = offsets[0][1]
    for start, p in offsets:
        if start > pos:
            break
        page = p
    return page


# --- the lines of a page before headings are read ------------------------------------------------------------

_CQ_ANSWER = re.compile(r"(?<=[?？])\s*(?=(?:推奨|解説|回答|Answer)\s*[:：])")
_QUESTION_END = re.compile(r"(?:[?？]|か)\s*$")
_MAX_TITLE_TAIL = 60


def _cq_lines(lines: list[str]) -> list[str]:
    """A CQ title as one line: split off an answer label printed on its line (`…使用するか?推奨:…`), and join a
    title wrapped onto a second line (`CQ3 …に免疫グロブリン` / `療法を行うか?`)."""
    out: list[str] = []
    for line in lines:
        parts = _CQ_ANSWER.split(line, maxsplit=1) if _CQ.match(line.strip()) else [line]
        for part in parts:
            prev = out[-1].strip() if out else ""
            tail = part.strip()
            if (
                prev
                and _CQ.match(prev)
                and not _QUESTION_END.search(prev)
                and _QUESTION_END.search(tail)
                and len(tail) <= _MAX_TITLE_TAIL
                and parse_heading(tail) is None
                and not re.match(r"^(?:推奨|解説|\d{1,2}\.)", tail)
            ):
                out[-1] = prev + tail
            else:
                out.append(part)
    return out


def _listed(lines: list[str], headings: list[Heading | None], levels: tuple[int, ...], gaps: int) -> set[int]:
    """Lines of a list (a methods chapter lists every CQ again; a form lists its options `1 未確認` `2 透析可` …):
    three or more headings of `levels` in a row with at most `gaps` short lines between two of them (a CQ's title
    may wrap). They are list items, not sections."""
    listed: set[int] = set()
    run: list[int] = []
    gap = 0
    for i, (line, h) in enumerate(zip(lines, headings, strict=True)):
        if h is not None and h.level in levels:
            if run and gap > gaps:
                listed |= set(run) if len(run) >= 3 else set()
                run = []
            run.append(i)
            gap = 0
        elif line.strip():
            gap += 1 if h is None and len(line.strip()) <= _MAX_TITLE_TAIL else 2
    if len(run) >= 3:
        listed |= set(run)
    return listed


def _contents(lines: list[str], headings: list[Heading | None]) -> set[int]:
    """Lines of a contents list without page numbers (the 点数表's first pages): a run of heading lines with no text
    between them in which at least two 章/部/節/款 headings are empty (the next heading is of the same level or
    higher), which a document's own structure never has (a fee schedule's 区分 entries may well be empty)."""
    listed: set[int] = set()
    run: list[int] = []
    for i in [*range(len(lines)), len(lines)]:
        h = headings[i] if i < len(lines) else None
        if h is not None:
            run.append(i)
            continue
        if i < len(lines) and not lines[i].strip():
            continue
        run = _until_repeated(run, headings)  # the list ends where its first entry comes back as the real heading
        levels = [h.level for j in run if (h := headings[j]) is not None]
        if sum(b <= a <= 2 for a, b in itertools.pairwise(levels)) >= 2:
            listed |= set(run)
        run = []
    return listed


def _until_repeated(run: list[int], headings: list[Heading | None]) -> list[int]:
    labels = [h.label if (h := headings[j]) is not None else "" for j in run]
    return run[: labels.index(labels[0], 1)] if labels and labels[0] in labels[1:] else run


def split_sections(pages: list[PageText]) -> list[Section]:
    """Split normalised pages into sections by heading; each keeps its page span and per-page offsets."""
    doc, starts = "", []
    for p in pages:
        starts.append((len(doc), p.page))
        doc += "\n".join(_cq_lines(p.text.strip("\n").split("\n"))) + "\n"
    if not starts:
        return []
    lines = doc.splitlines(keepends=True)
    headings = [parse_heading(line) for line in lines]
    lists = _listed(lines, headings, (CQ_LEVEL,), 1) | _listed(lines, headings, _NUMBERED_LEVELS, 0)
    for i in lists | _contents(lines, headings):
        headings[i] = None
    sections: list[Section] = []
    stack: list[Heading] = []
    begin = pos = 0
    items = 0  # the last number of a list inside the open CQ (`1.` `2.` … are its statements, not headings)
    for line, heading in zip(lines, headings, strict=True):
        if heading is not None and stack and stack[-1].level == CQ_LEVEL and heading.level in _NUMBERED_LEVELS:
            number = int(m[1]) if (m := re.match(r"^(\d{1,2})\b", line.strip())) else 0
            if number in (1, items + 1):
                items, heading = number, None
        if heading is not None:
            section = _make_section(tuple(h.label for h in stack), doc[begin:pos], begin, starts)
            sections += [section] if section else []
            stack = [h for h in stack if h.level < heading.level] + [heading]
            begin, items = pos, 0
        pos += len(line)
    last = _make_section(tuple(h.label for h in stack), doc[begin:], begin, starts)
    return sections + ([last] if last else [])


def split_text_sections(text: str) -> list[Section]:
    """Sections of a plain-text or markdown source (normalised here); every section is on page 1."""
    return split_sections([PageText(page=1, text=normalize_text(text))])
