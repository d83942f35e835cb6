"""The text-layer gate on real PDFs (../shared/data/pdfs) and on pages made to order: a text layer that is not
text is not indexed, and the librarian is told which pages need OCR."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.pdf import assess_pages, extract_pdf
from ingestion.text_quality import THRESHOLD, page_quality
from rag_service.errors import PdfExtractionError
from rag_service.types import PageText

GOOD = (
    "成人の高血圧では診察室血圧140/90 mmHg以上を高血圧とする。降圧目標は130/80 mmHg未満（推奨の強さ1、エビデンスA）。"
)
BROKEN = "ᮾி㒔ᅄ䪬ᮾ㏆ᩥ᪉ỿ᭩ཎ⏕ᾏ䛾䛻ḟ䛔䛷ᅜ" * 3  # what the broken manual's fonts give for Japanese


def test_page_quality_separates_text_from_mis_encoded_fonts() -> None:
    assert (
        page_quality(1, GOOD).usable and page_quality(1, "⽇本語の⽂書は⼀般に読める。" * 3).usable
    )  # Kangxi radicals
    assert not page_quality(2, BROKEN).usable and page_quality(2, BROKEN).plausible < THRESHOLD
    assert not page_quality(3, "\ue000\ue001\ufffd" * 10).usable  # private use and replacement characters
    assert page_quality(4, "- 5 -").empty and not page_quality(4, "- 5 -").usable  # too short to judge


def test_a_bad_page_inside_a_good_pdf_is_left_out_and_named(tmp_path: Path) -> None:
    raw = [PageText(1, GOOD), PageText(2, BROKEN), PageText(3, ""), PageText(4, GOOD.replace("成人", "高齢者"))]
    pdf = assess_pages(tmp_path / "x.pdf", raw)
    assert pdf.unusable_pages == (2,) and pdf.empty_pages == (3,)
    assert [p.page for p in pdf.pages] == [1, 2, 3, 4] and pdf.pages[1].text == ""  # page numbers stay right
    assert "降圧目標" in pdf.pages[0].text


def test_the_broken_layer_manual_is_refused_with_what_to_do(shared_data: Path) -> None:
    path = shared_data / "pdfs" / "real" / "tokyo_touseki_manual_ch1_broken_text_layer.pdf"
    with pytest.raises(PdfExtractionError, match=r"not text on 22 of 24 pages.*needs OCR: install Tesseract"):
        extract_pdf(path, ocr=False)  # with OCR it is read: tests/integration/test_ocr.py


@pytest.mark.parametrize(
    "name",
    ["mhlw_hoihatsu1031_5_kensaryo_tsuchi_2019.pdf", "eicu_manual_chromium_print.pdf", "../nlp2004slides_ja.pdf"],
)
def test_good_real_pdfs_lose_no_page(shared_data: Path, name: str) -> None:
    pdf = extract_pdf(shared_data / "pdfs" / "real" / name)
    assert pdf.unusable_pages == ()


def test_the_chromium_print_reads_its_times_and_loses_its_running_lines(shared_data: Path) -> None:
    import re

    text = "\n".join(
        p.text for p in extract_pdf(shared_data / "pdfs" / "real" / "eicu_manual_chromium_print.pdf").pages
    )
    assert "16:30" in text and not re.search(r"\dï\d", text)  # 16ï30 in the text layer
    assert not re.search(r"\b\d+ / 17\b", text) and "manual_for_myGPTs.md | 2025-11-24" not in text
