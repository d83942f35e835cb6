"""The real PDFs nobody here wrote (../shared/data/pdfs/real) read with the right structure: section paths, pages,
no heading that is a sentence or a fragment, no running header or page footer in the text. (The broken-layer Tokyo
manual is OCR'd: tests/integration/test_ocr.py; the 点数表's furigana: tests/integration/test_ruby.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingestion.sources import SourceDocument, read_source
from rag_service.types import Section

pytestmark = pytest.mark.shared_data


def read(shared_data: Path, name: str) -> SourceDocument:
    return read_source(shared_data / "pdfs" / "real" / name, ocr=False)


def section(doc: SourceDocument, path: tuple[str, ...]) -> Section:
    found = [s for s in doc.sections if s.path == path]
    assert found, f"no section {path}; paths: {sorted({s.path for s in doc.sections})[:40]}"
    return found[0]


def test_the_fee_schedule_nests_its_numbered_items_under_part_and_section(shared_data: Path) -> None:
    """MHLW 点数表 (350 pages): 第N部 > 第N節 > 第N款 > 区分 (A100 …) > numbered items, each with its pages."""
    doc = read(shared_data, "mhlw_r06_ika_shinryohoshu_tensuhyo.pdf")
    assert doc.pages == 350
    acute = section(doc, ("第2部 入院料等", "第1節 入院基本料", "A100 一般病棟入院基本料(1日につき)",
                          "1 急性期一般入院基本料"))  # fmt: skip
    assert acute.page_start == 9 and "急性期一般入院基本料" in acute.text
    assert section(doc, ("第1部 初・再診料", "第1節 初診料", "A000 初診料")).page_start == 3
    home = section(doc, ("第2部 在宅医療", "第1節 在宅患者診療・指導料", "C001 在宅患者訪問診療料(I)(1日につき)",
                         "1 在宅患者訪問診療料1"))  # fmt: skip
    assert home.page_start == 129
    labels = {label for s in doc.sections for label in s.path}
    assert max(len(label) for label in labels if not re.match(r"[A-N]\d{3}", label)) <= 60  # 区分 titles run longer
    assert not [label for label in labels if label.endswith(("。", "、"))]
    numbered = [label for label in labels if label[0].isdigit()]
    assert len(numbered) > 50 and not [label for label in numbered if "、" in label and len(label) > 20]  # sentences


def test_the_notice_keeps_its_letter_apart_and_its_amended_items_under_their_headings(shared_data: Path) -> None:
    """MHLW 通知 (5 pages): the letter (number, addressees, title) before the first heading, then
    第3部 > 第1節 > 第1款."""
    doc = read(shared_data, "mhlw_hoihatsu1031_5_kensaryo_tsuchi_2019.pdf")
    letter = doc.sections[0]
    assert letter.path == () and letter.text.startswith("保医発1031") and "検査料の点数の取扱いについて" in letter.text
    item = section(doc, ("第3部 検査", "第1節 検体検査料", "第1款 検体検査実施料", "D023 微生物核酸同定・定量検査"))
    assert item.page_start == 3 and "ウイルス・細菌核酸多項目同時検出" in item.text


def test_the_chromium_printed_manual_has_its_titles_as_paths_and_no_print_furniture(shared_data: Path) -> None:
    """A hospital manual printed from Chromium (17 pages): font-size headings become paths; a title's wrapped tail
    (`する)`) is not a heading; the running header (file name, date) and `n / 17` footers are gone."""
    doc = read(shared_data, "eicu_manual_chromium_print.pdf")
    assert section(doc, ("EICU業務マニュアル", "タイムスケジュール")).page_start == 1
    assert section(doc, ("港島RRSマニュアル (RRS医師用)", "2. 基本原則")).page_start == 10
    assert section(doc, ("おすすめ教科書", "医療安全")).page_start == 16
    labels = [s.path[-1] for s in doc.sections if s.path]
    assert not [label for label in labels if label.count(")") > label.count("(")]
    text = "\n".join(s.text for s in doc.sections)
    assert "manual_for_myGPTs.md" not in text and "5 / 17" not in text
    assert "7:30" in text  # the full-width colon that extracts as ï between digits
