"""Prefectural and hospital manuals as they are published (issue 16, seen on eleven held-out ones), drawn with
PyMuPDF: a scanned page whose text layer holds only its page number, a contents page with dot leaders under 「目次」
set large, a running header in two cells whose left half changes with the chapter (a LaTeX booklet's), and a poster
in three columns drawn row by row. The text is fictional, written for these tests.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf

from tests.pdf_gallery import LEFT, WIDTH, Sheet, wrap

SCANNED = [
    "災害時の透析患者の受入れ手順",
    "被災した透析施設は、近隣の支援施設へ患者の受入れを依頼する。",
    "受入れ施設は、透析条件と感染症の有無を確認してから受け入れる。",
]


def scanned_page_with_number(folder: Path) -> Path:
    """Three pages: text, then a scan (a full-page image) whose text layer is only `- 2 -`, then text."""
    s = Sheet(footer="- {n} -")
    s.heading("第1章 平常時の備え")
    s.paragraph("透析施設は、災害時の連絡体制と患者名簿を平常時から整えておく。" * 4)
    s.new_page()
    scan = pymupdf.open()
    src = scan.new_page()
    for i, line in enumerate(SCANNED):
        src.insert_text((60, 100 + 30 * i), line, fontname="japan", fontsize=15)
    s.page.insert_image(s.page.rect, pixmap=src.get_pixmap(dpi=200))
    s.new_page()
    s.heading("第2章 発災時の対応")
    s.paragraph("発災後は、施設の被災状況を速やかに報告する。" * 4)
    return s.save(folder / "scanned_page.pdf")


CONTENTS = [
    ("1 災害対策の基本方針", 3),
    ("2 平常時の準備", 4),
    ("11 災害訓練等の実施について", 9),
]


def contents_and_running_header(folder: Path) -> Path:
    """A contents page (「目次」 set large, lines with ・・・ leaders and page numbers), then two chapters whose
    pages carry a running header row `0100 <chapter> | 災害対応マニュアル(2025.09.09 版)` and `- n -` footers."""
    doc = pymupdf.open()
    chapters = [("0100 各施設の役割と対応", "1 災害対策の基本方針", "各施設は、災害時の役割を事前に確認する。"),
                ("0200 平常時の準備", "2 平常時の準備", "備蓄品の点検は年に二回行う。")]  # fmt: skip
    page = doc.new_page()
    page.insert_text((LEFT, 90), "目次", fontname="japan", fontsize=20)
    for i, (title, n) in enumerate(CONTENTS):
        page.insert_text((LEFT, 140 + 24 * i), f"{title}・・・・・・・・・・{n}", fontname="japan", fontsize=11)
    for running, heading, body in chapters:
        for first in (True, False):
            page = doc.new_page()
            page.insert_text((LEFT, 40), running, fontname="japan", fontsize=8)
            page.insert_text((360, 40), "災害対応マニュアル(2025.09.09 版)", fontname="japan", fontsize=8)
            if first:
                page.insert_text((LEFT, 100), heading, fontname="japan", fontsize=13)
            for k, line in enumerate(wrap(body * 6, 40)):
                page.insert_text((LEFT, 130 + 16 * k), line, fontname="japan", fontsize=10.5)
    for n, p in enumerate(doc, start=1):
        p.insert_text((WIDTH / 2 - 12, 815), f"- {n} -", fontname="japan", fontsize=9)
    path = folder / "contents_header.pdf"
    doc.save(path)
    return path


POSTER_TEXT = [
    "流水で手を濡らし、石けんを泡立てて手のひらと手の甲を十分にこする。指の間と爪の先、親指の付け根も忘れずに洗う。",
    "鼻と口を覆い、隙間ができないように針金を鼻の形に合わせて押さえる。外すときは表面に触れずにひもを持って外す。",
    "一時間に二回以上、数分間は窓を全開にして室内の空気を入れ換える。冬は暖房を止めずに少しずつ換気してもよい。",
]
POSTER = [[title, *wrap(text, 13)] for title, text in zip(("手洗いの手順", "マスクの着用", "換気の目安"), POSTER_TEXT,
                                                          strict=True)]  # fmt: skip


def three_column_poster(folder: Path) -> Path:
    """A poster in three columns under a title across all three, drawn row by row across the columns."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((LEFT, 80), "感染予防の基本 ポスター(院内掲示用)", fontname="japan", fontsize=16)
    xs = [LEFT, LEFT + 165, LEFT + 330]
    rows = max(len(col) for col in POSTER)
    for r in range(rows):
        for x, col in zip(xs, POSTER, strict=True):
            if r < len(col):
                page.insert_text((x, 130 + 18 * r), col[r], fontname="japan", fontsize=10.5 if r else 12)
    path = folder / "poster.pdf"
    doc.save(path)
    return path
