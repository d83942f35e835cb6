"""Thin I/O: read a PDF page by page with PyMuPDF into normalised `PageText` (1-based pages).

Reading order is the content order PyMuPDF reports (multi-column layouts stay column by column). Lines that
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


def _rows(lines: list[_Line]) -> list[_Row]:
    rows: list[_Row] = []
    prev: _Line | None = None
    for line in lines:
        if prev is not None and rows and _same_row(prev, line):
            cell = line.x0 - prev.x1 > _CELL_GAP * min(prev.size, line.size)
            rows[-1].text += (TABLE_SEP if cell else " ") + line.text.strip()
            rows[-1].blocks.add(line.block)
            rows[-1].table |= cell
            rows[-1].y1 = max(rows[-1].y1, line.y1)
        else:
            rows.append(_Row(line.text.strip(), {line.block}, line.y0, line.y1, line.size))
        prev = line
    return rows


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
    ruby = {id(ln) for ln in small if _is_ruby(ln, lines)}
    return [ln for ln in lines if id(ln) not in ruby]


def page_raw_text(page: pymupdf.Page) -> str:
    """The text of one page before normalisation: rows in reading order, a blank line at a paragraph gap.

    A short row set much larger than the body text becomes a markdown heading (`# ` / `## `) on its own paragraph,
    unless it is already numbered (第N章, 1-1, CQ…), which the structure step recognises by itself.
    """
    lines = drop_ruby(_lines(page))
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
