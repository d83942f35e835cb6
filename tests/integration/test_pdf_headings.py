"""Headings recognised by font size: an unnumbered title set large becomes a section of its own."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from ingestion.pdf import extract_pages
from ingestion.structure import split_sections


def make_pdf(path: Path) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    y = 80.0

    def put(text: str, size: float, gap: float) -> None:
        nonlocal y
        page.insert_text((72, y), text, fontname="japan", fontsize=size)
        y += gap

    put("薬物療法の基本方針", 20, 34)  # large, unnumbered: a top-level heading
    put("降圧薬は患者の病態に応じて選択する。", 10.5, 16)
    put("併存疾患、臓器障害、年齢、服薬状況を考慮し、少量から開始して緩徐に目標へ下げる。", 10.5, 16)
    put("副作用の発現と家庭血圧の推移を確認しながら、用量の調整と併用を検討する。", 10.5, 16)
    put("主要降圧薬の使い分け", 14, 26)  # larger than the body, not by much: a second-level heading
    put("カルシウム拮抗薬は多くの患者で第一選択となる。", 10.5, 16)
    put("第2章 生活習慣の修正", 14, 26)  # numbered: the structure step knows it already
    put("減塩は1日6g未満を目標とする。", 10.5, 16)
    put("これは強調されているが本文の長い一文であり見出しではないことを示すための文章である。", 14, 26)
    doc.save(path)
    return path


def test_font_size_headings_become_section_paths(tmp_path: Path) -> None:
    pages = extract_pages(make_pdf(tmp_path / "headings.pdf"))
    sections = split_sections(pages)
    paths = [s.path for s in sections]
    assert ("薬物療法の基本方針",) in paths
    assert ("薬物療法の基本方針", "主要降圧薬の使い分け") in paths
    assert ("第2章 生活習慣の修正",) in paths
    by_path = {s.path: s.text for s in sections}
    assert "カルシウム拮抗薬" in by_path[("薬物療法の基本方針", "主要降圧薬の使い分け")]
    # a long sentence in a large font is body text, not a heading
    assert "見出しではない" in by_path[("第2章 生活習慣の修正",)]
    assert all("#" not in "".join(p) for p in paths)
