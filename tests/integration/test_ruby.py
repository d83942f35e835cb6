"""Furigana (ruby) in the text layer: dropped before lines are joined, the base word kept whole. On a drawn PDF and
on the MHLW 点数表 in ../shared/data/pdfs/real, where 褥瘡 carries じよくそう above it."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from ingestion.pdf import extract_pages


def ruby_pdf(path: Path) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    base = "入院患者の褥瘡ハイリスク患者ケア加算を算定する。"
    page.insert_text((72, 120), base, fontname="japan", fontsize=10)
    x_of_kanji = 72 + 10 * base.index("褥")
    page.insert_text((x_of_kanji - 2, 112), "じよくそう", fontname="japan", fontsize=5)  # above 褥瘡
    page.insert_text((72, 160), "ひらがなだけの本文の行は小さくても残る。", fontname="japan", fontsize=10)
    doc.save(path)
    doc.close()
    return path


def test_ruby_is_dropped_and_the_base_word_stays_whole(tmp_path: Path) -> None:
    text = "".join(p.text for p in extract_pages(ruby_pdf(tmp_path / "ruby.pdf")))
    assert "褥瘡ハイリスク患者ケア加算" in text and "じよくそう" not in text
    assert "ひらがなだけの本文の行は小さくても残る" in text


def test_the_mhlw_fee_schedule_loses_its_furigana(shared_data: Path) -> None:
    pages = extract_pages(shared_data / "pdfs" / "real" / "mhlw_r06_ika_shinryohoshu_tensuhyo.pdf")
    text = "\n".join(p.text for p in pages)
    assert "じよくそう" not in text
    assert "褥瘡ハイリスク患者ケア加算" in text and "褥瘡対策加算1" in text
