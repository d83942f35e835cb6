"""Pure: the recommendations of a section's normalised text: one per statement, each with the grade printed for it.

How a CQ is read (the grade lines come from the readers in `ingestion.grade_readers`):

- a grade printed after its statement (Minds, GRADE wording, JCS lines) closes the statement it follows: the
  numbered item (`1.` … `10.`, `(3)`) or labelled statement (`推奨`, `推奨2`, `【推奨3】`) that runs up to it, or, with
  no marker, the paragraph just before it; a wrapped grade line, or one across a page break, is read as one;
- a numbered item with no grade line of its own, between graded ones, is a statement whose grade is left empty
  (`note` says so): a grade is never borrowed from a neighbour;
- text before the first statement (`推奨：… 推奨グレードは原疾患別に記載する。`) is a preamble, not a statement;
- a grade with no statement before it grades the statement that follows it (formats that print the grade first);
- `Good Practice Statement` / `GPS` marks the statement beside it (before, after or after `GPS:`), with no grade;
- a CQ with no printed grade gives its labelled statement (`推奨：…`) or numbered statements ungraded, and a CQ
  answered by 解説 alone gives none;
- recommendation tables (rows ``cell | cell`` under a header naming a statement column and grade columns) give
  one recommendation per row, in any section.

Every recommendation comes with its [start, end) span in the section text (statement and grade line), from which
its pages follow, and by which a chunk knows which statements it holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ingestion.grade_readers import GradeHit, direction_of, find_grades, join_open_brackets
from ingestion.normalize import TABLE_SEP
from rag_service.ja_text import SPACES_BETWEEN_JP
from rag_service.types import Direction, Grade, Recommendation

CQ_MARKER = r"(?:CQ|BQ|FQ|FRQ)\s*\d+(?:-\d+)*"  # a clinical question's label (the structure step's CQ heading too)
_CQ_LABEL = re.compile(f"^({CQ_MARKER})")
MAX_STATEMENT = 600  # characters: a longer "statement" is a paragraph a grade was not printed for

Span = tuple[int, int]
Found = tuple[Recommendation, Span]

_NUMBERED = re.compile(r"^[ \t]*(?:(\d{1,2})\.(?!\d)|\((\d{1,2})\)|(\d{1,2})\)(?!\d))[ \t]*(?=\S)", re.M)
_LABELLED = re.compile(
    r"^[ \t]*[【\[]?推奨(?:文)?[ \t]*(\d{1,2}(?:-\d+)*)?[ \t]*[】\]]?[ \t]*(?::|$|(?=\d{1,2}\.))", re.M
)
_PART = re.compile(
    r"^[ \t]*[【\[]?(?:解説|背景|目的|背景・目的|要約|エビデンスの要約|推奨の根拠|根拠|文献|参考文献|付記|注)"
    r"[ \t]*[】\]]?[ \t]*(?::|$)",
    re.M,
)
_BLANK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True, slots=True)
class _Marker:
    start: int  # where the marker begins
    end: int  # where the statement after it begins
    kind: str  # "numbered" | "labelled" | "part" | "blank"
    number: int | None = None


def _markers(text: str, lo: int) -> list[_Marker]:
    found = [_Marker(m.start(), m.end(), "numbered", int(m[1] or m[2] or m[3])) for m in _NUMBERED.finditer(text)]
    for m in _LABELLED.finditer(text):
        number = int(m[1].split("-")[-1]) if m[1] else None
        found.append(_Marker(m.start(), m.end(), "labelled", number))
    found += [_Marker(m.start(), m.end(), "part") for m in _PART.finditer(text)]
    found += [_Marker(m.start(), m.end(), "blank") for m in _BLANK.finditer(text)]
    return sorted((mk for mk in found if mk.start >= lo), key=lambda mk: (mk.start, mk.kind != "labelled"))


def _clean(statement: str) -> str:
    """One line: wrapped lines joined (no space between Japanese), spaces collapsed."""
    lines = [ln.strip() for ln in statement.split("\n") if ln.strip()]
    joined = ""
    for ln in lines:
        joined = f"{joined} {ln}" if joined and joined[-1].isascii() and ln[0].isascii() else joined + ln
    return SPACES_BETWEEN_JP.sub("", re.sub(r"[ \t]+", " ", joined)).strip()


def _after_grade(text: str, hit: GradeHit) -> str:
    """`。` when the grade closed the statement's own line (`…を推奨する（1C）。`): it belongs to the statement."""
    return "。" if text[hit.end : hit.end + 1] == "。" and not text[: hit.start].endswith("。") else ""


def _recommendation(cq: str | None, text: str, grade: Grade, reader: str | None, number: int | None,
                    note: str | None = None) -> Recommendation:  # fmt: skip
    if grade.direction is None and not grade.good_practice and text:
        grade = replace(grade, direction=direction_of(text))
    return Recommendation(cq=cq, text=text or None, grade=grade, number=number, reader=reader, note=note)


@dataclass
class _Cq:
    """The state of one CQ's reading: its text, body start, markers and what has been read."""

    cq: str | None
    text: str
    markers: list[_Marker]
    found: list[tuple[int, Found]]  # (sort key, recommendation)

    def between(self, lo: int, hi: int, *kinds: str) -> list[_Marker]:
        return [m for m in self.markers if lo <= m.start < hi and m.kind in kinds]

    def add(self, start: int, end: int, rec: Recommendation) -> None:
        self.found.append((start, (rec, (start, end))))


def _statement_before(st: _Cq, lo: int, hit: GradeHit) -> tuple[int, int, int | None, list[_Marker]]:
    """Where the statement a grade closes begins (its marker, then its text), its number, and earlier numbered items
    left without a grade."""
    numbered = st.between(lo, hit.start, "numbered")
    if numbered:
        return numbered[-1].start, numbered[-1].end, numbered[-1].number, numbered[:-1]
    start = marker = lo
    for mk in st.between(lo, hit.start, "labelled", "part", "blank"):
        start, marker = mk.end, (mk.start if mk.kind == "labelled" else mk.end)
    labelled = [m for m in st.between(lo, hit.start, "labelled") if m.end <= start]
    return marker, start, labelled[-1].number if labelled else None, []


def _statement_after(st: _Cq, hit: GradeHit, limit: int) -> tuple[int, int]:
    """The statement a grade printed first (or a GPS line) marks: from after it to the next marker or grade."""
    nxt = [m.start for m in st.markers if hit.end < m.start < limit and m.kind != "labelled"]
    end = min([*nxt, limit])
    body = st.text[hit.end : end]
    colon = re.match(r"\s*:\s*", body)
    start = hit.end + (colon.end() if colon else 0)
    return start, end


def _ungraded(st: _Cq, items: list[_Marker], limit: int, note: str) -> None:
    if not items:
        return
    for mk, nxt in zip(items, [*items[1:], None], strict=True):
        end = nxt.start if nxt else limit
        text = _clean(st.text[mk.end : end])
        if text and len(text) <= MAX_STATEMENT:
            st.add(mk.start, end, _recommendation(st.cq, text, Grade(), None, mk.number, note))


def _read_graded(st: _Cq, hits: list[GradeHit], body: int) -> None:
    lo = body
    for i, hit in enumerate(hits):
        limit = hits[i + 1].start if i + 1 < len(hits) else len(st.text)
        marker, start, number, skipped = _statement_before(st, lo, hit)
        _ungraded(st, skipped, marker, "no grade is printed after it")
        statement = _clean(st.text[start : hit.start])
        forward = not statement or hit.position == "label"
        if forward and hit.position == "label" and statement and not st.between(lo, hit.start, "part"):
            forward = False  # `statement` then `Good Practice Statement` under it
        if forward:
            a, b = _statement_after(st, hit, limit)
            statement = _clean(st.text[a:b])
            number = next((m.number for m in st.between(lo, hit.start, "labelled")), number)
            span = (hit.start, b)
        else:
            statement += _after_grade(st.text, hit) if not statement.endswith("。") else ""
            span = (marker, hit.end)
        if statement and len(statement) <= MAX_STATEMENT:
            st.add(span[0], span[1], _recommendation(st.cq, statement, hit.grade, hit.reader, number))
        lo = max(span[1], hit.end)
    _trailing_items(st, lo)


def _trailing_items(st: _Cq, lo: int) -> None:
    """Numbered items that go on counting after the last graded statement, before the commentary: statements whose
    grade is not printed (or not read); they are shown without one."""
    last = max((rec.number or 0 for _, (rec, _) in st.found), default=0)
    stop = min([m.start for m in st.markers if m.start >= lo and m.kind in ("part", "blank")] + [len(st.text)])
    items = [m for m in st.between(lo, stop, "numbered")]
    run: list[_Marker] = []
    for mk in items:
        if mk.number != last + 1 + len(run):
            break
        run.append(mk)
    _ungraded(st, run, stop, "no grade is printed after it")


def _read_ungraded(st: _Cq, body: int) -> None:
    """A CQ with no printed grade: its labelled statement, or the numbered statements under the label."""
    labels = st.between(body, len(st.text), "labelled")
    if not labels:
        return
    label = labels[0]
    stop = min([m.start for m in st.markers if m.start > label.end and m.kind in ("part", "labelled")]
               + [len(st.text)])  # fmt: skip
    items = st.between(label.end, stop, "numbered")
    if items:
        _ungraded(st, items, stop, "no grade is printed for it")
        return
    blank = [m.start for m in st.markers if label.end < m.start < stop and m.kind == "blank"]
    end = min([*blank, stop])
    text = _clean(st.text[label.end : end])
    if text and len(text) <= MAX_STATEMENT:
        st.add(label.start, end, _recommendation(st.cq, text, Grade(), None, label.number, "no grade is printed"))


def cq_recommendations(cq: str | None, text: str) -> list[Found]:
    """The statements of one CQ section's text (its first line is the heading), each with its span."""
    joined = join_open_brackets(text)
    body = joined.find("\n") + 1 if "\n" in joined else len(joined)
    st = _Cq(cq, joined, _markers(joined, body), [])
    hits = [h for h in find_grades(joined) if h.start >= body]
    if hits:
        _read_graded(st, hits, body)
    else:
        _read_ungraded(st, body)
    return [found for _, found in sorted(st.found, key=lambda t: t[0])]


def cq_label(path: tuple[str, ...]) -> str | None:
    """The CQ a section path is in (`CQ3-2`), or None."""
    return next((re.sub(r"\s+", "", m[1]) for label in reversed(path) if (m := _CQ_LABEL.match(label))), None)


def parse_recommendations(path: tuple[str, ...], text: str) -> list[Found]:
    """The recommendations of a section with their spans: the rows of its recommendation tables (any section),
    else, in a CQ section, one per statement; [] when there are none."""
    cq = cq_label(path)
    if rows := table_recommendations(cq, text):
        return rows
    return cq_recommendations(cq, text) if cq is not None else []


# --- recommendation tables ------------------------------------------------------------------------------------

_STATEMENT_HEAD = re.compile(r"^(?:推奨(?:文|内容|事項)?|ステートメント)$")
_CLASS_HEAD = re.compile(r"クラス|Class", re.I)
_CERTAINTY_HEAD = re.compile(r"エビデンス|確実性|レベル|Level|LOE", re.I)
_STRENGTH_HEAD = re.compile(r"強さ|推奨度|グレード|Grade|COR", re.I)
_CLASS_CELL = re.compile(r"^(IIa|IIb|III|II|I)(?![a-zA-Z])")
_COMBINED_CELL = re.compile(r"^([12])\s*([A-D])$")
_GPS_CELL = re.compile(r"Good\s*Practice\s*Statements?|グッドプラクティス・?ステートメント|^GPS$", re.I)
_WORD_GRADE = {"高": "A", "中": "B", "低": "C", "非常に低": "D"}
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


def _row_grade(cells: list[str], cols: dict[str, int]) -> Grade:
    def cell(key: str) -> str:
        return cells[cols[key]].strip() if key in cols and cols[key] < len(cells) else ""

    grades = " ".join(cell(k) for k in ("rec_class", "strength", "certainty", "combined"))
    if any(_GPS_CELL.search(cell(k)) for k in ("rec_class", "strength", "certainty", "combined")):
        return Grade(good_practice=True, printed=grades.strip() or None)
    rec_class = m[1] if (m := _CLASS_CELL.match(cell("rec_class"))) else None
    strength = int(m[1]) if (m := re.match(r"^([12])(?![0-9])", cell("strength"))) else None
    if strength is None and (word := re.match(r"^(強い|弱い|条件付き)", cell("strength"))):
        strength = 1 if word[1] == "強い" else 2
    certainty = m[1] if (m := re.match(r"^([A-D])(?![A-Za-z])", cell("certainty"))) else None
    if certainty is None and (m := re.match(r"^(非常に低|高|中|低)", cell("certainty"))):
        certainty = _WORD_GRADE[m[1]]
    if m := _COMBINED_CELL.match(cell("combined")) or _COMBINED_CELL.match(cell("strength")):
        strength, certainty = int(m[1]), m[2]
    direction = Direction.AGAINST if rec_class == "III" else direction_of(cell("text"))
    if direction is None and rec_class:
        direction = Direction.FOR
    return Grade(strength=strength, certainty=certainty, rec_class=rec_class, direction=direction,
                 printed=" ".join(grades.split()) or None)  # fmt: skip


@dataclass
class _Row:
    cells: list[str]
    start: int
    end: int


def _row_recommendation(cq: str | None, row: _Row, cols: dict[str, int]) -> Found | None:
    i = cols["text"]
    text = row.cells[i].strip() if i < len(row.cells) else ""
    if not text or len(text) > MAX_STATEMENT:
        return None
    rec = Recommendation(cq=cq, text=text, grade=_row_grade(row.cells, cols), reader="table")
    return rec, (row.start, row.end)


def table_recommendations(cq: str | None, text: str) -> list[Found]:
    """One recommendation per data row of each recommendation table in `text` (rows joined by `` | ``). A statement
    cell that wraps goes on, without cells, on the lines below its row until it ends with 。."""
    rows: list[_Row] = []
    cols: dict[str, int] | None = None
    out: list[Found] = []
    pending = 0  # continuation lines still allowed for the last row's statement
    pos = 0
    for line in [*text.split("\n"), ""]:
        start, pos = pos, pos + len(line) + 1
        if TABLE_SEP in line:
            cells = [c.strip() for c in line.split(TABLE_SEP.strip())]
            if (header := _columns(cells)) is not None:
                out += _close(cq, rows, cols)
                rows, cols = [], header
            elif cols is not None:
                rows.append(_Row(cells, start, start + len(line)))
                pending = _MAX_CONTINUATION
            continue
        if cols is not None and rows and pending and line.strip():
            i = cols["text"]
            if i < len(rows[-1].cells) and not rows[-1].cells[i].endswith("。"):
                rows[-1].cells[i] += line.strip()
                rows[-1].end = start + len(line)
                pending -= 1
                continue
        out += _close(cq, rows, cols)
        rows, cols, pending = [], None, 0
    return out


def _close(cq: str | None, rows: list[_Row], cols: dict[str, int] | None) -> list[Found]:
    if cols is None:
        return []
    return [r for row in rows if (r := _row_recommendation(cq, row, cols)) is not None]
