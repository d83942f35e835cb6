"""Pure layout of one PDF page's lines (no I/O): rows and table cells, two-column reading order, paragraph
breaks, headings set by font size, and furigana (ruby) to drop. `ingestion.pdf` reads the lines with PyMuPDF and
joins what these functions decide."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ingestion.normalize import TABLE_SEP

_CELL_GAP = 1.0  # a gap wider than this many font sizes between two lines of one row separates table cells
_PARAGRAPH_GAP = 0.4  # a gap this many font sizes wider than the page's usual line gap is a paragraph break
_HEADING_SIZE = 1.3  # a short row set this many times larger than the page's body text is a heading
_TOP_HEADING_SIZE = 1.6  # ... and this many times larger, a top-level one
_MAX_FONT_HEADING = 30  # characters
_BULLETS = ("•", "・", "-", "–", "—", "*", "●", "○", "■", "□", "◆", "◇", "▪", "►", "※", "(", "（")


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    horizontal: bool
    block: int


@dataclass(slots=True)
class Row:
    text: str
    blocks: set[int]
    y0: float
    y1: float
    size: float
    x1: float = 0.0
    table: bool = False


def _same_row(a: Line, b: Line) -> bool:
    if not (a.horizontal and b.horizontal) or b.x0 < a.x1 - 1:
        return False
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap >= 0.5 * min(a.y1 - a.y0, b.y1 - b.y0)


_CELL_LINES = 4  # a table cell drawn cell by cell may hold this many lines before the next cell of its row


def _earlier_row(rows: list[Row], line: Line) -> Row | None:
    """A row drawn a few rows back that `line` continues to the right of: the next cell of a table row whose first
    cell wrapped onto more lines (tables drawn cell by cell put those lines before the row's other cells)."""
    for row in rows[-2 : -_CELL_LINES - 1 : -1]:
        overlap = min(row.y1, line.y1) - max(row.y0, line.y0)
        if line.horizontal and line.x0 > row.x1 + _CELL_GAP * line.size and overlap >= 0.5 * (line.y1 - line.y0):
            return row
    return None


def rows_of(lines: list[Line]) -> list[Row]:
    rows: list[Row] = []
    prev: tuple[Line, Row] | None = None  # the last line and the row it went into
    for line in lines:
        same = prev is not None and _same_row(prev[0], line)
        row = prev[1] if prev and same else _earlier_row(rows, line) if prev else None
        if row is not None and prev is not None:
            cell = not same or line.x0 - prev[0].x1 > _CELL_GAP * min(prev[0].size, line.size)
            row.text += (TABLE_SEP if cell else " ") + line.text.strip()
            row.blocks.add(line.block)
            row.table |= cell
            row.y1, row.x1 = max(row.y1, line.y1), max(row.x1, line.x1)
        else:
            row = Row(line.text.strip(), {line.block}, line.y0, line.y1, line.size, line.x1)
            rows.append(row)
        prev = (line, row)
    return rows


_MIN_COLUMN_ROWS = 4  # rows where both columns hold a line that fills its column (a table's cells rarely do)
_FILLED = 0.8  # a line that fills its column spans this share of the column's width
_MIN_COLUMN = 0.3  # a text column is at least this share of the page wide (two columns; 0.2 for three)
_BANDS = {2: [(0.35, 0.65)], 3: [(0.25, 0.42), (0.58, 0.75)]}  # where the gutters of 2 or 3 columns lie


def _gutters_for(lines: list[Line], width: float, bands: list[tuple[float, float]]) -> list[float] | None:
    """The gutters of a page set in `len(bands) + 1` columns whose lines were drawn row by row across them
    (consecutive lines sit on one row with a gap in each gutter band), or None. A table has such rows too, but
    its cells do not fill the columns row after row as a column's lines do."""
    gutters: list[float] = []
    for lo_share, hi_share in bands:
        lo, hi = lo_share * width, hi_share * width
        pairs = [(a, b) for a, b in itertools.pairwise(lines) if _same_row(a, b) and lo < a.x1 < hi and lo < b.x0]
        pairs = [(a, b) for a, b in pairs if b.x0 < hi]
        if len(pairs) < _MIN_COLUMN_ROWS:
            return None
        mids = sorted((a.x1 + b.x0) / 2 for a, b in pairs)
        gutters.append(mids[len(mids) // 2])
    edges = [0.0, *gutters, width]
    spans = list(itertools.pairwise(edges))
    columns = [[ln for ln in lines if ln.horizontal and a <= ln.x0 and ln.x1 <= b] for a, b in spans]
    if not all(columns):
        return None
    widths = [max(ln.x1 for ln in col) - min(ln.x0 for ln in col) for col in columns]
    if min(widths) < (_MIN_COLUMN if len(bands) == 1 else 0.2) * width:
        return None  # a column of short cells (the 点数表's `465点` beside its items) is not a text column
    filled = 0
    for a, b in itertools.pairwise(lines):
        for i, g in enumerate(gutters):
            if _same_row(a, b) and a.x1 <= g <= b.x0 and a.x1 - a.x0 >= _FILLED * widths[i]:
                filled += b.x1 - b.x0 >= _FILLED * widths[i + 1]
    crossing = sum(any(ln.x0 < g < ln.x1 for g in gutters) for ln in lines)
    return gutters if filled >= _MIN_COLUMN_ROWS * len(gutters) and crossing < filled else None


def _gutters(lines: list[Line], width: float) -> list[float] | None:
    return _gutters_for(lines, width, _BANDS[3]) or _gutters_for(lines, width, _BANDS[2])


def reading_order(lines: list[Line], width: float) -> list[Line]:
    """Lines of a page in two or three columns drawn row by row, put back in reading order: between lines that cross
    a gutter (a title over the columns), the first column's lines, then the next column's. Other pages are left as
    drawn."""
    gutters = _gutters(lines, width)
    if gutters is None:
        return lines

    def crosses(ln: Line) -> bool:
        return any(ln.x0 < g < ln.x1 for g in gutters) or not ln.horizontal

    crossing = sorted(ln.y0 for ln in lines if crosses(ln))

    def key(item: tuple[int, Line]) -> tuple[int, int, int, int]:
        i, ln = item
        if crosses(ln):
            return (crossing.index(ln.y0) + 1, 0, 0, i)
        band = sum(y < ln.y0 for y in crossing)
        return (band, 1, sum(ln.x0 >= g for g in gutters), i)

    return [ln for _, ln in sorted(enumerate(lines), key=key)]


def char_per_line_blocks(lines: list[Line]) -> set[int]:
    chars: dict[int, list[int]] = {}
    for line in lines:
        chars.setdefault(line.block, []).append(len(line.text.strip()))
    return {b for b, n in chars.items() if sum(n) / len(n) < 2}


def line_gap(rows: list[Row]) -> float:
    """The usual vertical gap between consecutive rows of a page (its median), the page's leading."""
    gaps = sorted(b.y0 - a.y1 for a, b in itertools.pairwise(rows) if b.y0 > a.y1)
    return gaps[len(gaps) // 2] if gaps else 0.0


def paragraph_break(prev: Row, row: Row, narrow: set[int], leading: float) -> bool:
    if row.blocks & prev.blocks or row.table or prev.table or (row.blocks | prev.blocks) & narrow:
        return False
    gap = row.y0 - prev.y1
    return gap < 0 or gap > leading + _PARAGRAPH_GAP * min(row.size, prev.size)


def body_size(rows: list[Row]) -> float:
    """The font size most of the page's characters are set in."""
    weight: dict[float, int] = {}
    for row in rows:
        weight[round(row.size, 1)] = weight.get(round(row.size, 1), 0) + len(row.text)
    return max(weight, key=lambda size: weight[size]) if weight else 0.0


def font_heading(row: Row, body: float, narrow: set[int]) -> str | None:
    """A markdown marker for a short row set clearly larger than the body text (an unnumbered heading)."""
    text = row.text.strip()
    if row.table or row.blocks & narrow or body <= 0 or not 0 < len(text) <= _MAX_FONT_HEADING:
        return None
    if text.endswith(("。", "、", ".", ",", ":", "：")) or text.startswith(_BULLETS) or row.size < _HEADING_SIZE * body:
        return None
    if not any(ch.isalpha() for ch in text):  # axis labels and figures in a chart
        return None
    if sum(text.count(c) for c in ")）」") > sum(text.count(c) for c in "(（「"):
        return None  # the tail of a long title wrapped onto this row (`する)`), not a heading of its own
    return "# " if row.size >= _TOP_HEADING_SIZE * body else "## "


_RUBY_SIZE = 0.6  # ruby (furigana) is set at about half the size of its base text
_KANJI = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_KANA_ONLY = re.compile(r"^[\u3041-\u309f\u30a1-\u30ffー・\s]+$")


def _is_ruby(line: Line, others: list[Line]) -> bool:
    """Furigana: a kana-only line set at ≤ 0.6 of the size of a line it sits right above (or beside, in vertical
    text) and overlaps. Left in, it splits the base word (`褥瘡` / `じよくそう` / `ハイリスク`)."""
    if not _KANA_ONLY.match(line.text):
        return False
    for base in others:
        if base is line or line.size > _RUBY_SIZE * base.size or not _KANJI.search(base.text):
            continue  # ruby reads kanji: its base holds some
        if line.horizontal:  # its middle above the base's middle, at most half a base line above it, overlapping
            above = (line.y0 + line.y1 < base.y0 + base.y1 and base.y0 - line.y1 <= 0.5 * base.size
                     and line.x0 < base.x1 and base.x0 < line.x1)  # fmt: skip
        else:  # vertical text: ruby stands to the right of its base
            above = (line.x0 + line.x1 > base.x0 + base.x1 and line.x0 - base.x1 <= 0.5 * base.size
                     and line.y0 < base.y1 and base.y0 < line.y1)  # fmt: skip
        if above:
            return True
    return False


def drop_ruby(lines: list[Line]) -> list[Line]:
    small = [ln for ln in lines if _KANA_ONLY.match(ln.text)]
    if not small:
        return lines
    # only lines large enough to carry the smallest kana line as ruby can be bases (vertical text set one kana per
    # line would otherwise compare every line with every other)
    smallest = min(ln.size for ln in small)
    bases = [ln for ln in lines if smallest <= _RUBY_SIZE * ln.size and _KANJI.search(ln.text)]
    ruby = {id(ln) for ln in small if bases and _is_ruby(ln, bases)}
    return [ln for ln in lines if id(ln) not in ruby]
