"""A cited PDF page as an image, with the chunk's text highlighted where it stands on the page.

The chunk's text is normalised (NFKC, radicals folded, lines joined, furigana dropped), so it is not searched for as
it is: every character PyMuPDF places on the page is normalised on its own (`normalize_chars`), whitespace dropped on
both sides, and the two strings aligned (`difflib`, runs of at least `MIN_RUN` characters). The matched characters'
boxes, merged per line, are painted over in translucent `HIGHLIGHT_RGB` before the page is rendered. Ruby, running
headers and other characters that are not in the chunk simply do not match. An OCR'd page has no text positions in
the PDF: it is read again by OCR for them when the caller passes a way to (`ocr`), else shown without a highlight.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf

from rag_service.errors import SourceError
from rag_service.ja_text import normalize_chars
from rag_service.types import Chunk

HIGHLIGHT_RGB = (1.0, 0.8, 0.0)  # amber, translucent over the text
HIGHLIGHT_OPACITY = 0.45
MIN_RUN = 4  # shorter common runs are coincidences (particles, digits), not the passage
MAX_DPI = 200


@dataclass(frozen=True)
class PageImage:
    png: bytes
    page: int  # 1-based
    pages: int  # pages in the document
    boxes: int  # highlighted line boxes (0: the passage was not found on this page)


def _page_chars(page: pymupdf.Page, textpage: Any = None) -> tuple[str, list[pymupdf.Rect]]:
    """The page's characters, each normalised on its own and whitespace dropped, with one box per output char."""
    text: list[str] = []
    rects: list[pymupdf.Rect] = []
    for block in page.get_text("rawdict", textpage=textpage)["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                for ch in span["chars"]:
                    for c in normalize_chars(ch["c"]):
                        if not c.isspace():
                            text.append(c)
                            rects.append(pymupdf.Rect(ch["bbox"]))
    return "".join(text), rects


def passage_boxes(page: pymupdf.Page, passage: str, textpage: Any = None) -> list[pymupdf.Rect]:
    """Boxes (one per run of matched characters on a line) of the passage's text on the page (`textpage`: an OCR
    text page for a page without a text layer)."""
    page_text, rects = _page_chars(page, textpage)
    want = "".join(c for c in normalize_chars(passage) if not c.isspace())
    if not page_text or not want:
        return []
    matcher = difflib.SequenceMatcher(None, page_text, want, autojunk=False)
    boxes: list[pymupdf.Rect] = []
    for block in matcher.get_matching_blocks():
        if block.size < MIN_RUN:
            continue
        for r in rects[block.a : block.a + block.size]:
            last = boxes[-1] if boxes else None
            same_line = last is not None and abs(last.y0 - r.y0) < 0.5 * r.height and r.x0 - last.x1 < r.height
            if same_line and last is not None:
                boxes[-1] = last | r
            else:
                boxes.append(pymupdf.Rect(r))
    return boxes


def passage_spans(text: str, passage: str) -> list[tuple[str, bool]]:
    """`text` cut into (segment, in the passage?) pieces, for showing a unit's text with the cited passage marked.
    Exact when the passage occurs as it is; otherwise aligned like `passage_boxes` (runs of `MIN_RUN`)."""
    at = text.find(passage) if passage else -1
    if at >= 0:
        pieces = [(text[:at], False), (passage, True), (text[at + len(passage) :], False)]
        return [p for p in pieces if p[0]]
    marked = [False] * len(text)
    matcher = difflib.SequenceMatcher(None, text, passage, autojunk=False)
    for block in matcher.get_matching_blocks():
        if block.size >= MIN_RUN:
            marked[block.a : block.a + block.size] = [True] * block.size
    out: list[tuple[str, bool]] = []
    for ch, m in zip(text, marked, strict=True):
        if out and out[-1][1] == m:
            out[-1] = (out[-1][0] + ch, m)
        else:
            out.append((ch, m))
    return out


OcrTextPage = Callable[[pymupdf.Page], Any]


def render_page(
    path: Path, chunk: Chunk, page: int | None = None, dpi: int = 110, ocr: OcrTextPage | None = None
) -> PageImage:
    """`page` (default: the chunk's first) of the chunk's PDF as PNG, the chunk's text highlighted on it. A chunk read
    by OCR is found on the page through `ocr` (the page read again: ~1 s), or shown without a highlight."""
    dpi = max(36, min(dpi, MAX_DPI))
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as e:
        msg = f"{path}: cannot open the cited PDF ({e}): is the source still where the manifest says?"
        raise SourceError(msg) from e
    try:
        n = page or chunk.page_start
        if not 1 <= n <= doc.page_count:
            raise SourceError(f"{path} has {doc.page_count} pages: no page {n}")
        pg = doc[n - 1]
        if not chunk.ocr:
            boxes = passage_boxes(pg, chunk.text)
        else:
            boxes = passage_boxes(pg, chunk.text, ocr(pg)) if ocr is not None else []
        for box in boxes:
            pg.draw_rect(box, color=None, fill=HIGHLIGHT_RGB, fill_opacity=HIGHLIGHT_OPACITY)
        png = pg.get_pixmap(dpi=dpi).tobytes("png")
        return PageImage(png=png, page=n, pages=doc.page_count, boxes=len(boxes))
    finally:
        doc.close()
