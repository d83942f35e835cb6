"""OCR for pages without a usable text layer: a page rendered to an image from known text is read back (character
accuracy measured), chunks from it say `ocr: true`, and the broken-layer manual's pages come back as Japanese."""

from __future__ import annotations

import difflib
import os
import time
from pathlib import Path

import pymupdf
import pytest

from ingestion.ocr import tessdata
from ingestion.pdf import extract_pdf
from ingestion.sources import read_source
from ingestion.text_quality import page_quality

KNOWN = [
    "高血圧治療ガイドラインの要点",
    "成人の高血圧では診察室血圧140/90mmHg以上を高血圧と診断する。",
    "降圧目標は75歳未満で130/80mmHg未満とする。",
    "第一選択薬はカルシウム拮抗薬、ARB、ACE阻害薬、利尿薬である。",
]


@pytest.fixture(scope="module")
def ocr_ready() -> str:
    folder = tessdata()
    if folder is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Tesseract with jpn.traineddata is missing: scripts/setup.sh dev installs it (apt-get)")
        pytest.skip(
            "Tesseract with its Japanese model is not installed (apt-get install tesseract-ocr tesseract-ocr-jpn)"
        )
    return folder


def image_only_pdf(path: Path) -> Path:
    """A text page rendered at 200 dpi and put back as an image: no text layer at all."""
    src = pymupdf.open()
    page = src.new_page()
    for i, line in enumerate(KNOWN):
        page.insert_text((60, 80 + 28 * i), line, fontname="japan", fontsize=14)
    pix = page.get_pixmap(dpi=200)
    out = pymupdf.open()
    target = out.new_page(width=page.rect.width, height=page.rect.height)
    target.insert_image(target.rect, pixmap=pix)
    out.save(path)
    return path


def test_an_image_only_page_is_read_by_ocr(ocr_ready: str, tmp_path: Path) -> None:
    t0 = time.perf_counter()
    pdf = extract_pdf(image_only_pdf(tmp_path / "scan.pdf"))
    seconds = time.perf_counter() - t0
    got = "".join(pdf.pages[0].text.split())
    want = "".join("".join(KNOWN).split())
    accuracy = difflib.SequenceMatcher(None, want, got).ratio()
    print(f"OCR: 1 page in {seconds:.1f} s, character accuracy {accuracy:.3f}")  # the README's figure (pytest -s)
    assert pdf.ocr_pages == (1,) and accuracy > 0.8
    doc = read_source(tmp_path / "scan.pdf")
    assert doc.ocr_pages == (1,) and any("降圧目標" in s.text for s in doc.sections)


def test_without_ocr_an_image_only_pdf_says_what_to_install(tmp_path: Path) -> None:
    from rag_service.errors import PdfExtractionError

    with pytest.raises(PdfExtractionError, match=r"image-only.*tesseract-ocr"):
        extract_pdf(image_only_pdf(tmp_path / "scan.pdf"), ocr=False)


def test_the_broken_layer_manual_is_read_by_ocr(ocr_ready: str, shared_data: Path, tmp_path: Path) -> None:
    """Two of its pages (OCR of all 24 takes ~90 s on 2 cores: `rag ingest` does it)."""
    src = pymupdf.open(shared_data / "pdfs" / "real" / "tokyo_touseki_manual_ch1_broken_text_layer.pdf")
    part = pymupdf.open()
    part.insert_pdf(src, from_page=2, to_page=3)
    part.save(tmp_path / "part.pdf")
    pdf = extract_pdf(tmp_path / "part.pdf")
    assert pdf.ocr_pages == (1, 2) and pdf.unusable_pages == ()
    text = "".join(p.text for p in pdf.pages)
    assert "透析" in text and "災害" in text
    assert all(page_quality(p.page, p.text).usable for p in pdf.pages if p.text.strip())


def test_a_scanned_page_is_shown_with_the_passage_highlighted(ocr_ready: str, tmp_path: Path) -> None:
    """The cited page of an OCR'd chunk has no text positions in the PDF: it is read again for them."""
    from dataclasses import replace
    from datetime import date

    from ingestion.chunking import chunk_edition
    from ingestion.ocr import ocr_textpage
    from rag_service.page_image import render_page
    from rag_service.types import Edition, EditionStatus

    scan = image_only_pdf(tmp_path / "scan.pdf")
    edition = Edition("scan", "走査文書", "テスト", "2025年版", date(2025, 1, 1), EditionStatus.CURRENT)
    doc = read_source(scan)
    assert doc.ocr_pages == (1,)
    chunks = chunk_edition(edition, "scan@1", doc.sections, 500, 1)
    chunk = replace(next(c for c in chunks if "降圧目標" in c.text), ocr=True)  # as ingestion marks it
    plain = render_page(scan, chunk, dpi=72)
    lit = render_page(scan, chunk, dpi=72, ocr=lambda page: ocr_textpage(page, ocr_ready))
    assert plain.boxes == 0 and lit.boxes >= 2 and lit.png != plain.png
