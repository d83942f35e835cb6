"""Text hygiene on real layouts (issue 16): what is not text never reaches the index or the quality gate; a scan
whose text layer is only its page number is OCR'd or named; contents pages and 目次 are not headings; running
headers are removed even when half of them changes with the chapter; a poster in three columns reads column by
column; and no chunk of any PDF in ../shared/data holds a control or private-use character."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from ingestion.normalize import normalize_text, strip_control
from ingestion.ocr import tessdata
from ingestion.sources import read_source
from ingestion.structure import parse_heading
from ingestion.text_quality import page_quality
from rag_service.errors import PdfExtractionError
from tests import pdf_gallery_manuals as m

NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd]")


def test_check_boxes_and_symbol_font_bullets_are_not_text() -> None:
    line = "\x00 透析液の残量を確認した\uf0d8 次の勤務者へ申し送る"
    assert strip_control(line) == " 透析液の残量を確認した 次の勤務者へ申し送る"
    assert normalize_text(line) == "透析液の残量を確認した次の勤務者へ申し送る"
    body = "透析液の残量と血液回路の在庫を確認し、次の勤務者へ申し送る。" * 2
    assert page_quality(1, "\x00" * 40 + body).usable  # check boxes do not send a good page to OCR
    assert not page_quality(1, "\uf0d8" * 60 + body[:30]).usable  # a page of private-use glyphs is not text


@pytest.mark.parametrize(
    "line",
    ["11 災害訓練等の実施について・・・・・9", "第1章 総論 5", "目次", "# 目 次", "1 0", "47 頁", "0. 二次評価"],
)
def test_contents_lines_ocr_fragments_and_item_zero_are_not_headings(line: str) -> None:
    assert parse_heading(normalize_text(line)) is None


@pytest.mark.parametrize("footer", ["- 12 -", "ーー45 ーー", "１０", "p. 3"])
def test_page_number_footers_are_removed_also_as_ocr_reads_them(footer: str) -> None:
    from ingestion.normalize import strip_running_lines
    from rag_service.types import PageText

    pages = [PageText(n, f"本文の{n}ページ目。\n{footer}") for n in range(1, 3)]
    assert all(footer.strip() not in p.text for p in strip_running_lines(pages))


def test_a_scan_whose_text_layer_is_only_its_page_number_is_named_when_ocr_is_off(tmp_path: Path) -> None:
    doc = read_source(m.scanned_page_with_number(tmp_path), ocr=False)
    assert doc.ocr_pages == () and [p for p, _ in doc.left_out] == [2]
    assert "a scan" in doc.left_out[0][1] and "RAG_OCR=off" in doc.left_out[0][1]


def test_a_scan_whose_text_layer_is_only_its_page_number_is_ocrd(tmp_path: Path) -> None:
    if tessdata() is None:
        pytest.skip("Tesseract with its Japanese model is not installed (scripts/setup.sh dev installs it)")
    doc = read_source(m.scanned_page_with_number(tmp_path))
    assert doc.ocr_pages == (2,) and doc.left_out == ()
    text = "".join(s.text for s in doc.sections)
    assert "被災した透析施設は、近隣の支援施設" in text and not re.search(r"ー+\s*2\s*-", text)  # its footer is gone


def test_contents_page_and_a_running_header_in_two_cells(tmp_path: Path) -> None:
    doc = read_source(m.contents_and_running_header(tmp_path))
    assert [(s.path, s.page_start) for s in doc.sections] == [
        ((), 1),  # 目次 and its leader lines: text, not headings, and no parent of what follows
        (("1 災害対策の基本方針",), 2),
        (("2 平常時の準備",), 4),
    ]
    text = "".join(s.text for s in doc.sections)
    assert "災害対応マニュアル" not in text and "0100" not in text and "0200" not in text


def test_a_three_column_poster_reads_column_by_column(tmp_path: Path) -> None:
    (section,) = read_source(m.three_column_poster(tmp_path)).sections
    flat = section.text.replace("\n", "")
    positions = [flat.find(text) for text in m.POSTER_TEXT]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)


def test_no_chunk_of_any_shared_pdf_holds_a_control_or_private_use_character(shared_data: Path) -> None:
    pdfs = sorted((shared_data / "pdfs").rglob("*.pdf"))
    assert len(pdfs) >= 21
    checked = 0
    for pdf in pdfs:
        try:
            doc = read_source(pdf, ocr=tessdata() is not None)
        except PdfExtractionError:
            continue  # a PDF with no usable text at all (the malformed hand-made sample)
        checked += 1
        for s in doc.sections:
            bad = {f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in NOT_TEXT.findall(s.text + "".join(s.path))}
            assert not bad, f"{pdf.name} {s.path}: {sorted(bad)}"
    assert checked >= 20
