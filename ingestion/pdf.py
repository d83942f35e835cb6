"""Thin I/O: read a PDF page by page with PyMuPDF into normalised `PageText` (1-based pages).

Reading order is the content order PyMuPDF reports (multi-column layouts stay column by column); a two-column
page drawn row by row across both columns is read left column, then right (`reading_order`). Lines that
sit on the same visual row, one to the right of the other with a gap wider than a character, are cells of a
table row: they come out on one line joined by `` | ``. Text blocks are separated by a blank line (a paragraph
break) unless they hold one character per line (vertical writing), whose lines are joined into running text.
Every PyMuPDF failure is wrapped in `PdfExtractionError` with a message that says what to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf

from ingestion.normalize import normalize_text, strip_running_lines
from ingestion.ocr import INSTALL_HINT, ocr_page, tessdata
from ingestion.pdf_layout import (
    Line,
    Row,
    body_size,
    char_per_line_blocks,
    drop_ruby,
    font_heading,
    line_gap,
    paragraph_break,
    reading_order,
    rows_of,
)
from ingestion.structure import parse_heading
from ingestion.text_quality import PageQuality, page_quality
from rag_service.errors import PdfExtractionError
from rag_service.types import PageText


def _lines(page: pymupdf.Page) -> list[Line]:
    out: list[Line] = []
    for bno, block in enumerate(page.get_text("dict")["blocks"]):
        for line in block.get("lines", []):
            spans: list[dict[str, Any]] = line["spans"]
            text = "".join(s["text"] for s in spans)
            if not text.strip():
                continue
            x0, y0, x1, y1 = line["bbox"]
            size = max(s["size"] for s in spans)
            horizontal = line["wmode"] == 0 and abs(line["dir"][1]) < 0.1
            out.append(Line(text, x0, y0, x1, y1, size, horizontal, bno))
    return out


def page_raw_text(page: pymupdf.Page) -> str:
    """The text of one page before normalisation: rows in reading order, a blank line at a paragraph gap.

    A short row set much larger than the body text becomes a markdown heading (`# ` / `## `) on its own paragraph,
    unless it is already numbered (第N章, 1-1, CQ…), which the structure step recognises by itself.
    """
    lines = reading_order(drop_ruby(_lines(page)), page.rect.width)
    narrow = char_per_line_blocks(lines)
    parts: list[str] = []
    rows = rows_of(lines)
    leading = line_gap(rows)
    body = body_size(rows)
    prev: Row | None = None
    for row in rows:
        marker = font_heading(row, body, narrow)
        if marker and parse_heading(normalize_text(row.text)) is not None:
            marker = ""  # numbered: keep it as it is, the structure step knows its level
        if prev is not None:
            brk = bool(marker) or paragraph_break(prev, row, narrow, leading)
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
    left_out: tuple[tuple[int, str], ...] = ()  # (page, why) for every page with content that is not indexed
    quality: tuple[PageQuality, ...] = ()  # each page's text-quality score, as the gate judged it


def assess_pages(
    path: Path, raw: list[PageText], ocr_pages: tuple[int, ...] = (), left_out: dict[int, str] | None = None
) -> ExtractedPdf:
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
    why = dict(left_out or {})
    for n in unusable:
        why.setdefault(n, "its text layer is not text (mis-encoded fonts)" + (": OCR gave no readable text either"
                                                                               if n in ocr_pages else ""))  # fmt: skip
    kept = [p if p.page not in unusable else PageText(page=p.page, text="") for p in raw]
    pages = [PageText(page=p.page, text=normalize_text(p.text)) for p in strip_running_lines(kept)]
    return ExtractedPdf(
        pages, unusable, empty, tuple(p for p in ocr_pages if p not in unusable), tuple(sorted(why.items())),
        tuple(quality),
    )  # fmt: skip


_IMAGE_COVER = 0.5  # a page whose images cover this share of it is a scan when its text layer holds (almost) nothing


def _image_cover(page: pymupdf.Page) -> float:
    area = abs(page.rect) or 1.0
    covered = sum(abs(pymupdf.Rect(info["bbox"]) & page.rect) for info in page.get_image_info())
    return min(covered / area, 1.0)


def _needs_ocr(raw: list[PageText], cover: dict[int, float]) -> dict[int, str]:
    """Pages to OCR, each with what it lacks: a text layer that is not text; a page covered by an image whose text
    layer is only a page number or a few characters (a scan with a page number printed on it); and, in a document
    where no page has text, or some page's layer is broken, the pages with none."""
    quality = [page_quality(p.page, p.text) for p in raw]
    todo = {q.page: "its text layer is not text (mis-encoded fonts)" for q in quality if not q.empty and not q.usable}
    for q in quality:
        if q.empty and cover.get(q.page, 0.0) >= _IMAGE_COVER:
            todo.setdefault(q.page, "a page image with no text layer (a scan)")
    blank = [p.page for p in raw if not p.text.strip()]
    if len(blank) == len(raw) or any(not q.empty and not q.usable for q in quality):
        for n in blank:
            todo.setdefault(n, "no text layer")
    return dict(sorted(todo.items()))


def extract_pdf(path: Path, ocr: bool = True) -> ExtractedPdf:
    """Normalised text of every page, 1-based, running lines removed, and which pages had no usable text.

    Pages whose text layer is not text, image-covered pages with (almost) none, and pages with none in a document
    that needs OCR are OCR'd when Tesseract is installed (and `ocr`); the others are named in `left_out` with why.
    Raises `PdfExtractionError` for a missing, corrupt, encrypted or empty PDF, and for one with no usable page.
    """
    raw = extract_raw_pages(path)
    cover = _image_covers(path, raw)
    todo = _needs_ocr(raw, cover)
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
    off = "OCR is off (RAG_OCR=off)" if not ocr else f"OCR is not installed ({INSTALL_HINT})"
    blank = {p.page for p in raw if not p.text.strip()}
    left_out = {  # a blank page with no image on it is not content left out
        n: f"{why}: {off}"
        for n, why in todo.items()
        if n not in done and (n not in blank or cover.get(n, 0.0) >= _IMAGE_COVER)
    }
    return assess_pages(path, raw, tuple(done), left_out)


def _image_covers(path: Path, raw: list[PageText]) -> dict[int, float]:
    """How much of each nearly text-less page its images cover (only those pages are looked at)."""
    thin = [p.page for p in raw if page_quality(p.page, p.text).empty]
    if not thin:
        return {}
    doc = _open(path)
    try:
        return {n: _image_cover(doc[n - 1]) for n in thin}
    finally:
        doc.close()


def _vertical(page: pymupdf.Page) -> bool:
    """Whether the page's own (bad) text layer says it is set vertically (most lines run top to bottom)."""
    lines = _lines(page)
    return bool(lines) and sum(not ln.horizontal for ln in lines) > len(lines) / 2


def extract_pages(path: Path) -> list[PageText]:
    """The pages of `extract_pdf` (pages without usable text come back empty)."""
    return extract_pdf(path).pages
