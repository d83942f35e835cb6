"""OCR for pages without a usable text layer: Tesseract with its Japanese models (Debian `tesseract-ocr`,
`tesseract-ocr-jpn`, `tesseract-ocr-jpn-vert`, which `scripts/setup.sh dev` installs), driven by PyMuPDF's own OCR
support. Pages read this way are marked (`ocr: true` on their chunks' citations) so a reader knows the text may hold
recognition errors. When Tesseract is not installed, such a page fails its edition with what to install."""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path

import pymupdf

OCR_DPI = 200  # measured: ~4 s per A4 page on 2 cores; 300 dpi was slower with no gain on body text
INSTALL_HINT = "install Tesseract with its Japanese models (apt-get install tesseract-ocr tesseract-ocr-jpn)"


@lru_cache(maxsize=1)
def tessdata() -> str | None:
    """The tessdata folder holding `jpn.traineddata`, or None when OCR is not available here."""
    if shutil.which("tesseract") is None:
        return None
    candidates = [os.environ.get("TESSDATA_PREFIX", "")]
    candidates += sorted(str(p) for p in Path("/usr/share/tesseract-ocr").glob("*/tessdata"))
    candidates += ["/usr/share/tessdata", "/usr/local/share/tessdata"]
    for folder in candidates:
        if folder and (Path(folder) / "jpn.traineddata").exists():
            return folder
    return None


def ocr_textpage(page: pymupdf.Page, folder: str, vertical: bool = False) -> pymupdf.TextPage:
    """Tesseract's reading of a render at `OCR_DPI` (Japanese, or vertical Japanese), with character positions."""
    language = "jpn_vert" if vertical and (Path(folder) / "jpn_vert.traineddata").exists() else "jpn"
    return page.get_textpage_ocr(language=language, dpi=OCR_DPI, full=True, tessdata=folder)


def ocr_page(page: pymupdf.Page, folder: str, vertical: bool = False) -> str:
    """The page's text as Tesseract reads it."""
    return str(page.get_text(textpage=ocr_textpage(page, folder, vertical)))
