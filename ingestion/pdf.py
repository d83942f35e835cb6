"""Thin I/O: read a PDF page by page with PyMuPDF into normalised `PageText` (1-based pages).

Reading order is the content order PyMuPDF reports (multi-column layouts stay column by column); a two-column
page drawn row by row across both columns is read left column, then right (`reading_order`). Lines that
sit on the same visual row, one to the right of the other with a gap wider than a character, are cells of a
table row: they come out on one line joined by `` | ``. Text blocks are separated by a blank line (a paragraph
break) unless they hold one character per line (vertical writing), whose lines are joined into running text.
Every PyMuPDF failure is wrapped in `PdfExtractionError` with a message that says what to do.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf

from ingestion.normalize import TABLE_SEP, normalize_text, strip_running_lines
from ingestion.ocr import INSTALL_HINT, ocr_page, tessdata
from ingestion.structure import parse_heading
from ingestion.text_quality import page_quality
from rag_service.errors import PdfExtractionError
from rag_service.types import PageText

_CELL_GAP = 1.0  # a gap wider than this many font sizes between two lines of one row separates table cells
_PARAGRAPH_GAP = 0.4  # a gap this many font sizes wider than the page's usual line gap is a paragraph break
_HEADING_SIZE = 1.3  # a short row set this many times larger than the page's body text is a heading
_TOP_HEADING_SIZE = 1.6  # ... and this many times larger, a top-level one
_MAX_FONT_HEADING = 30  # characters
_BULLETS = ("•", "・", "-", "–", "—", "*", "●", "○", "■", "□", "◆", "◇", "▪", "►", "※", "(", "（")


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    horizontal: bool
    block: int


@dataclass(slots=True)
class _Row:
    text: str
    blocks: set[int]
    y0: float
    y1: float
    size: float
    x1: float = 0.0
    table: bool = False


def _lines(page: pymupdf.Page) -> list[_Line]:
    out: list[_Line] = []
    for bno, block in enumerate(page.get_text("dict")["blocks"]):
        for line in block.get("lines", []):
            spans: list[dict[str, Any]] = line["spans"]
            text = "".join(s["text"] for s in spans)
            if not text.strip():
                continue
            x0, y0, x1, y1 = line["bbox"]
            size = max(s["size"] for s in spans)
            horizontal = line["wmode"] == 0 and abs(line["dir"][1]) < 0.1
            out.append(_Line(text, x0, y0, x1, y1, size, horizontal, bno))
    return out


def _same_row(a: _Line, b: _Line) -> bool:
    if not (a.horizontal and b.horizontal) or b.x0 < a.x1 - 1:
        return False
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap >= 0.5 * min(a.y1 - a.y0, b.y1 - b.y0)


_CELL_LINES = 4  # a table cell drawn cell by cell may hold this many lines before the next cell of its row


def _earlier_row(rows: list[_Row], line: _Line) -> _Row | None:
    """A row drawn a few rows back that `line` continues to the right of: the next cell of a table row whose first
    cell wrapped onto more lines (tables drawn cell by cell put those lines before the row's other cells)."""
    for row in rows[-2 : -_CELL_LINES - 1 : -1]:
        overlap = min(row.y1, line.y1) - max(row.y0, line.y0)
        if line.horizontal and line.x0 > row.x1 + _CELL_GAP * line.size and overlap >= 0.5 * (line.y1 - line.y0):
            return row
    return None


def _rows(lines: list[_Line]) -> list[_Row]:
    rows: list[_Row] = []
    prev: tuple[_Line, _Row] | None = None  # the last line and the row it went into
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
            row = _Row(line.text.strip(), {line.block}, line.y0, line.y1, line.size, line.x1)
            rows.append(row)
        prev = (line, row)
    return rows


_MIDDLE = (0.35, 0.65)  # a two-column page's gutter lies within this share of the page width
_MIN_COLUMN_ROWS = 4  # rows where both columns hold a line that fills its column (a table's cells rarely do)
_FILLED = 0.8  # a line that fills its column spans this share of the column's width
_MIN_COLUMN = 0.3  # a text column is at least this share of the page wide


def _gutter(lines: list[_Line], width: float) -> float | None:
    """The x of the gutter of a page set in two columns whose lines were drawn row by row across both (so that
    consecutive lines sit on one row with a gap near the middle), or None. A table has such rows too, but its
    cells do not fill the two halves of the page row after row as a column's lines do."""
    lo, hi = _MIDDLE[0] * width, _MIDDLE[1] * width
    pairs = [(a, b) for a, b in itertools.pairwise(lines) if _same_row(a, b) and a.x1 < hi and b.x0 > lo]
    if len(pairs) < _MIN_COLUMN_ROWS:
        return None
    mids = sorted((max(a.x1, lo) + min(b.x0, hi)) / 2 for a, b in pairs)
    g = mids[len(mids) // 2]
    left = [ln for ln in lines if ln.horizontal and ln.x1 <= g]
    right = [ln for ln in lines if ln.horizontal and ln.x0 >= g]
    if not left or not right:
        return None
    left_w = max(ln.x1 for ln in left) - min(ln.x0 for ln in left)
    right_w = max(ln.x1 for ln in right) - min(ln.x0 for ln in right)
    if min(left_w, right_w) < _MIN_COLUMN * width:
        return None  # a column of short cells (the 点数表's `465点` beside its items) is not a text column
    filled = sum(
        a.x1 <= g <= b.x0 and a.x1 - a.x0 >= _FILLED * left_w and b.x1 - b.x0 >= _FILLED * right_w for a, b in pairs
    )
    crossing = sum(ln.x0 < g < ln.x1 for ln in lines)
    return g if filled >= _MIN_COLUMN_ROWS and crossing < filled else None


def reading_order(lines: list[_Line], width: float) -> list[_Line]:
    """Lines of a two-column page drawn row by row, put back in reading order: between lines that cross the gutter
    (a title over both columns), the left column's lines, then the right column's. Other pages are left as drawn."""
    g = _gutter(lines, width)
    if g is None:
        return lines
    crossing = sorted(ln.y0 for ln in lines if ln.x0 < g < ln.x1 or not ln.horizontal)

    def key(item: tuple[int, _Line]) -> tuple[int, int, int, int]:
        i, ln = item
        if ln.x0 < g < ln.x1 or not ln.horizontal:
            return (crossing.index(ln.y0) + 1, 0, 0, i)
        band = sum(y < ln.y0 for y in crossing)
        return (band, 1, int(ln.x0 >= g), i)

    return [ln for _, ln in sorted(enumerate(lines), key=key)]


def _char_per_line_blocks(lines: list[_Line]) -> set[int]:
    chars: dict[int, list[int]] = {}
    for line in lines:
        chars.setdefault(line.block, []).append(len(line.text.strip()))
    return {b for b, n in chars.items() if sum(n) / len(n) < 2}


def _line_gap(rows: list[_Row]) -> float:
    """The usual vertical gap between consecutive rows of a page (its median), the page's leading."""
    gaps = sorted(b.y0 - a.y1 for a, b in itertools.pairwise(rows) if b.y0 > a.y1)
    return gaps[len(gaps) // 2] if gaps else 0.0


def _paragraph_break(prev: _Row, row: _Row, narrow: set[int], leading: float) -> bool:
    if row.blocks & prev.blocks or row.table or prev.table or (row.blocks | prev.blocks) & narrow:
        return False
    gap = row.y0 - prev.y1
    return gap < 0 or gap > leading + _PARAGRAPH_GAP * min(row.size, prev.size)


def _body_size(rows: list[_Row]) -> float:
    """The font size most of the page's characters are set in."""
    weight: dict[float, int] = {}
    for row in rows:
        weight[round(row.size, 1)] = weight.get(round(row.size, 1), 0) + len(row.text)
    return max(weight, key=lambda size: weight[size]) if weight else 0.0


def _font_heading(row: _Row, body: float, narrow: set[int]) -> str | None:
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


def _is_ruby(line: _Line, others: list[_Line]) -> bool:
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


def drop_ruby(lines: list[_Line]) -> list[_Line]:
    small = [ln for ln in lines if _KANA_ONLY.match(ln.text)]
    if not small:
        return lines
    # only lines large enough to carry the smallest kana line as ruby can be bases (vertical text set one kana per
    # line would otherwise compare every line with every other)
    smallest = min(ln.size for ln in small)
    bases = [ln for ln in lines if smallest <= _RUBY_SIZE * ln.size and _KANJI.search(ln.text)]
    ruby = {id(ln) for ln in small if bases and _is_ruby(ln, bases)}
    return [ln for ln in lines if id(ln) not in ruby]


def page_raw_text(page: pymupdf.Page) -> str:
    """The text of one page before normalisation: rows in reading order, a blank line at a paragraph gap.

    A short row set much larger than the body text becomes a markdown heading (`# ` / `## `) on its own paragraph,
    unless it is already numbered (第N章, 1-1, CQ…), which the structure step recognises by itself.
    """
    lines = reading_order(drop_ruby(_lines(page)), page.rect.width)
    narrow = _char_per_line_blocks(lines)
    parts: list[str] = []
    rows = _rows(lines)
    leading = _line_gap(rows)
    body = _body_size(rows)
    prev: _Row | None = None
    for row in rows:
        marker = _font_heading(row, body, narrow)
        if marker and parse_heading(normalize_text(row.text)) is not None:
            marker = ""  # numbered: keep it as it is, the structure step knows its level
        if prev is not None:
            brk = bool(marker) or _paragraph_break(prev, row, narrow, leading)
            parts.append("\n\n" if brk else "\n")
        parts.append((marker or "") + row.text)
        prev = row
    return "".join(parts)


def _open(path: Path) -> pymupdf.Document:
    if not path.is_file():
        raise PdfExtractionError(f"{path}: file not found: check the path in the manifest")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:
        raise PdfExtractionError(
            f"{path}: not a readable PDF ({exc}): re-download or re-export the file and ingest it again"
        ) from exc
    try:
        encrypted, pages = doc.needs_pass or doc.is_encrypted, doc.page_count
    except Exception as exc:  # a damaged page tree fails here, not in open() (found by fuzzing the real PDFs)
        doc.close()
        raise PdfExtractionError(
            f"{path}: not a readable PDF ({exc}): re-download or re-export the file and ingest it again"
        ) from exc
    if encrypted:
        doc.close()
        raise PdfExtractionError(f"{path} is encrypted: remove the password (e.g. `qpdf --decrypt`) and ingest again")
    if pages == 0:
        doc.close()
        raise PdfExtractionError(f"{path} has no pages: re-export the document and ingest it again")
    return doc


MAX_SECONDS_PER_DOCUMENT = 300.0


def extract_raw_pages(path: Path, max_seconds: float = MAX_SECONDS_PER_DOCUMENT) -> list[PageText]:
    """Each page's text before normalisation and before running headers/footers are removed.

    A document that takes longer than `max_seconds` (checked between pages: a damaged file can send PyMuPDF into
    long repair loops) fails with a PdfExtractionError instead of holding the ingestion run."""
    doc = _open(path)
    started = time.monotonic()
    try:
        pages = []
        for i in range(doc.page_count):
            if time.monotonic() - started > max_seconds:
                raise PdfExtractionError(
                    f"{path}: reading stopped after {max_seconds:.0f} s at page {i + 1} of {doc.page_count} (a "
                    "damaged or pathological file?): repair or re-export the PDF and ingest it again"
                )
            pages.append(PageText(page=i + 1, text=page_raw_text(doc[i])))
        return pages
    except PdfExtractionError:
        raise
    except Exception as exc:
        raise PdfExtractionError(f"{path}: PyMuPDF failed to read a page ({exc}): repair or re-export the PDF") from exc
    finally:
        doc.close()


@dataclass(frozen=True)
class ExtractedPdf:
    pages: list[PageText]  # normalised; a page without usable text is kept, empty, so page numbers stay right
    unusable_pages: tuple[int, ...]  # text layer present but not text (mis-encoded fonts): not indexed
    empty_pages: tuple[int, ...]  # no text at all (image-only or blank)
    ocr_pages: tuple[int, ...] = ()  # read by OCR (their chunks' citations say so)


def assess_pages(path: Path, raw: list[PageText], ocr_pages: tuple[int, ...] = ()) -> ExtractedPdf:
    """Keep the pages whose text is text (`ingestion.text_quality`), blank the others, normalise; raise when no page
    is usable. Pure: `extract_pdf` is its I/O shell (and has already OCR'd what it could)."""
    quality = [page_quality(p.page, p.text) for p in raw]
    unusable = tuple(q.page for q in quality if not q.empty and not q.usable)
    empty = tuple(p.page for p in raw if not p.text.strip())
    if not any(q.usable for q in quality):
        hint = "OCR did not give readable text either" if ocr_pages else f"it needs OCR: {INSTALL_HINT}"
        if unusable:
            raise PdfExtractionError(
                f"{path}: the text layer is not text on {len(unusable)} of {len(raw)} pages (mis-encoded fonts: "
                f"characters outside the ranges Japanese is written in); {hint}, or re-export the PDF with Unicode "
                "fonts, and ingest it again"
            )
        if not any(p.text.strip() for p in raw):
            raise PdfExtractionError(f"{path} has no text layer (image-only): {hint}")
    kept = [p if p.page not in unusable else PageText(page=p.page, text="") for p in raw]
    pages = [PageText(page=p.page, text=normalize_text(p.text)) for p in strip_running_lines(kept)]
    return ExtractedPdf(pages, unusable, empty, tuple(p for p in ocr_pages if p not in unusable))


def _needs_ocr(raw: list[PageText]) -> list[int]:
    """Pages to OCR: those whose text layer is not text, and those with no text at all (image-only) — unless no
    page has text, a blank page among text pages being usually just blank."""
    quality = [page_quality(p.page, p.text) for p in raw]
    bad = [q.page for q in quality if not q.empty and not q.usable]
    blank = [p.page for p in raw if not p.text.strip()]
    return bad + (blank if len(blank) == len(raw) or bad else [])


def extract_pdf(path: Path, ocr: bool = True) -> ExtractedPdf:
    """Normalised text of every page, 1-based, running lines removed, and which pages had no usable text.

    Pages whose text layer is not text, or that have none, are OCR'd when Tesseract is installed (and `ocr`).
    Raises `PdfExtractionError` for a missing, corrupt, encrypted or empty PDF, and for one with no usable page.
    """
    raw = extract_raw_pages(path)
    todo = _needs_ocr(raw)
    folder = tessdata() if ocr and todo else None
    done: list[int] = []
    if folder is not None:
        doc = _open(path)
        try:
            for n in todo:
                page = doc[n - 1]
                text = ocr_page(page, folder, vertical=page.rect.height > page.rect.width and _vertical(page))
                raw[n - 1] = PageText(page=n, text=text)
                done.append(n)
        except Exception as exc:  # Tesseract's own failures (a broken install) name the file and the fix
            raise PdfExtractionError(f"{path}: OCR failed on page {len(done) + 1} ({exc}): {INSTALL_HINT}") from exc
        finally:
            doc.close()
    return assess_pages(path, raw, tuple(done))


def _vertical(page: pymupdf.Page) -> bool:
    """Whether the page's own (bad) text layer says it is set vertically (most lines run top to bottom)."""
    lines = _lines(page)
    return bool(lines) and sum(not ln.horizontal for ln in lines) > len(lines) / 2


def extract_pages(path: Path) -> list[PageText]:
    """The pages of `extract_pdf` (pages without usable text come back empty)."""
    return extract_pdf(path).pages
