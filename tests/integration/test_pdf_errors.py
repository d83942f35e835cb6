from __future__ import annotations

import os
from pathlib import Path

import pymupdf
import pytest

from ingestion.pdf import extract_pages
from ingestion.structure import split_sections
from rag_service.errors import PdfExtractionError

DEMO = Path(__file__).resolve().parents[2] / "corpora" / "guidelines"


def _one_page_pdf(path: Path, **save_kwargs: object) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "Hypertension guideline demo")
    doc.save(path, **save_kwargs)
    doc.close()
    return path


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = _one_page_pdf(tmp_path / "enc.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y")
    with pytest.raises(PdfExtractionError, match="is encrypted: remove the password"):
        extract_pages(path)


@pytest.mark.parametrize("content", [os.urandom(2048), b"", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog"])
def test_corrupt_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(content)
    with pytest.raises(PdfExtractionError, match=r"corrupt\.pdf"):
        extract_pages(path)


@pytest.mark.parametrize("fraction", [0.05, 0.33, 0.9])
def test_truncated_pdf_is_repaired_or_refused(tmp_path: Path, fraction: float) -> None:
    """MuPDF repairs what it can of a truncated file; whatever it cannot is a PdfExtractionError, never a raw error."""
    whole = (DEMO / "demo_htn_2019.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(whole[: int(len(whole) * fraction)])
    try:
        pages = extract_pages(path)
    except PdfExtractionError as exc:
        assert "truncated.pdf" in str(exc)
    else:
        assert all(p.page >= 1 for p in pages)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PdfExtractionError, match="file not found"):
        extract_pages(tmp_path / "nope.pdf")


def test_pdf_with_zero_pages(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    body = (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
    )
    path.write_bytes(body + b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    with pytest.raises(PdfExtractionError, match=r"empty\.pdf"):
        extract_pages(path)


def test_image_only_pdf(tmp_path: Path) -> None:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
    pix.set_rect(pix.irect, (200, 30, 30))
    doc = pymupdf.open()
    for _ in range(2):
        doc.new_page().insert_image(pymupdf.Rect(72, 72, 272, 272), pixmap=pix)
    path = tmp_path / "scan.pdf"
    doc.save(path)
    with pytest.raises(PdfExtractionError, match=r"has no text layer \(image-only\): (OCR did not|it needs OCR)"):
        extract_pages(path)  # OCR (when installed) reads nothing from a red square either


@pytest.mark.parametrize("year", [2019, 2025])
def test_demo_guideline_extracts_cleanly(year: int) -> None:
    pages = extract_pages(DEMO / f"demo_htn_{year}.pdf")
    assert [p.page for p in pages] == list(range(1, len(pages) + 1)) and len(pages) >= 5
    title = f"高血圧診療ガイドライン(デモ){year}年版"
    for p in pages:
        lines = p.text.splitlines()
        assert lines[0] != title and lines[-1] != f"- {p.page} -"
        assert f"- {p.page} -" not in p.text
    sections = split_sections(pages)
    cqs = [s for s in sections if s.recommendation]
    assert len(cqs) >= 4
    assert all(s.recommendation and s.recommendation.strength in (1, 2) for s in cqs)
    assert all(s.recommendation and s.recommendation.certainty in tuple("ABCD") for s in cqs)
    assert any(s.page_end > s.page_start for s in cqs), "a CQ continues across a page break"
    assert all(s.path[0].startswith("第") for s in cqs)
