"""The gallery of drawn guideline layouts (tests/pdf_gallery.py) through the real pipeline: `read_source` (PyMuPDF,
layout, normalisation, running lines, sections, recommendations), chunking and the edition outline. Each test names
the CQs, section paths, page spans, statements and grade fields the layout must give."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingestion.chunking import chunk_edition
from ingestion.outline import build_outline
from ingestion.sources import read_source
from rag_service.catalog import CatalogEntry
from rag_service.outline import edition_outline, outline_text
from rag_service.store import EdgeStore
from rag_service.types import Edition, EditionStatus, Section
from tests import pdf_gallery as gallery


def _sections(path: Path) -> dict[tuple[str, ...], Section]:
    return {s.path: s for s in read_source(path).sections}


def _grades(section: Section) -> list[tuple[str | None, int | None, str | None, str | None, bool]]:
    return [(r.cq, r.strength, r.certainty, r.rec_class, r.good_practice) for r in section.recommendations]


MINDS_CQ1 = ("第3章 2型糖尿病の薬物療法", "CQ3-1 肥満を伴う2型糖尿病患者にメトホルミンを第一選択薬として用いるか?")
MINDS_CQ2 = ("第3章 2型糖尿病の薬物療法", "CQ3-2 高齢の2型糖尿病患者でHbA1cの目標値を緩めるか?")


def test_minds_2020_two_recommendations_each_with_its_grade_line(tmp_path: Path) -> None:
    sections = _sections(gallery.minds_2020(tmp_path))
    assert list(sections) == [("第3章 2型糖尿病の薬物療法",), MINDS_CQ1, MINDS_CQ2, ("第4章 合併症の管理",)]
    cq1, cq2 = sections[MINDS_CQ1], sections[MINDS_CQ2]
    assert (cq1.page_start, cq1.page_end, cq2.page_start, cq2.page_end) == (1, 2, 2, 3)
    assert [r.text for r in cq1.recommendations] == [
        "肥満を伴う2型糖尿病患者には、メトホルミンを第一選択薬として使用することを推奨する。",
        "中等度の腎機能障害がある患者では、メトホルミンを減量して使用することを提案する。",
    ]
    assert _grades(cq1) == [("CQ3-1", 1, "B", None, False), ("CQ3-1", 2, "C", None, False)]
    assert [r.text for r in cq2.recommendations] == [
        "認知機能や日常生活動作に応じて、HbA1cの目標値を個別に設定することを推奨する。"
    ]
    assert _grades(cq2) == [("CQ3-2", 1, "C", None, False)]
    assert not any("ギャラリー" in s.text or "/ 3" in s.text for s in sections.values())  # header and footer gone

    edition = Edition("gallery-minds", "2型糖尿病診療ガイドライン", "ギャラリー", "2020", date(2020, 4, 1),
                      EditionStatus.CURRENT)  # fmt: skip
    chunks = chunk_edition(edition, "gallery-minds@x", list(sections.values()), max_chars=400, overlap_sentences=1)
    cq1_chunks = [c for c in chunks if c.section_path == MINDS_CQ1]
    held = [tuple(r.text for r in c.recommendations) for c in cq1_chunks]
    first, second = (r.text for r in cq1.recommendations)
    assert held[:3] == [(first,), (second,), ()]  # each statement's chunk holds its own recommendation only
    assert all(not h for h in held[2:])  # the commentary holds none (it is not a statement)
    assert not any(c.text.startswith("(推奨度") for c in cq1_chunks)  # no chunk opens with a neighbour's grade line
    assert (cq1_chunks[0].page_start, cq1_chunks[-1].page_end) == (1, 2)  # the commentary's end is on page 2


def test_jcs_table_one_recommendation_per_row(tmp_path: Path) -> None:
    sections = _sections(gallery.jcs_table(tmp_path))
    section = sections[("第5章 急性冠症候群", "5.2 β遮断薬の投与")]
    assert [r.text for r in section.recommendations] == [
        "禁忌のない急性心筋梗塞患者には、退院前にβ遮断薬の投与を開始する。",  # its cell wraps onto two lines
        "低心機能を伴う患者に、β遮断薬を長期投与する。",
        "心機能が保たれた患者に、β遮断薬を長期投与する。",
        "心原性ショックの患者に、β遮断薬を静注する。",
    ]
    assert _grades(section) == [
        (None, None, "A", "I", False),
        (None, None, "B", "I", False),
        (None, None, "B", "IIa", False),
        (None, None, "C", "III", False),
    ]
    assert "推奨 | 推奨クラス | エビデンスレベル" in section.text  # the table stays in the text as rows


def test_grade_wording_and_a_grade_table_inside_a_cq(tmp_path: Path) -> None:
    sections = _sections(gallery.grade_wording(tmp_path))
    cq1 = sections[("第2章 初期蘇生", "CQ2-1 敗血症性ショックの初期輸液に晶質液を用いるか?")]
    cq2 = sections[("第2章 初期蘇生", "CQ2-2 初期輸液に膠質液を追加するか?")]
    assert [r.text for r in cq1.recommendations] == ["敗血症性ショックの初期輸液には、晶質液を用いることを推奨する。"]
    assert _grades(cq1) == [("CQ2-1", 1, "B", None, False)]  # 強い推奨, 確実性 中
    assert [r.text for r in cq2.recommendations] == [
        "アルブミン製剤をルーチンに追加しないことを提案する。",
        "人工膠質液は用いないことを推奨する。",
    ]
    assert _grades(cq2) == [("CQ2-2", 2, "C", None, False), ("CQ2-2", 1, "B", None, False)]


def test_jsh_good_practice_statement_in_sections_and_outline(tmp_path: Path) -> None:
    pdf = gallery.jsh_gps(tmp_path)
    sections = _sections(pdf)
    cq1 = sections[("第6章 高齢者高血圧", "CQ6-1 75歳以上の高血圧患者に降圧薬治療を行うか?")]
    cq2 = sections[("第6章 高齢者高血圧", "CQ6-2 降圧薬治療中の高齢者に家庭血圧測定を勧めるか?")]
    assert _grades(cq1) == [("CQ6-1", 1, "B", None, False)]
    assert [r.text for r in cq2.recommendations] == ["降圧薬治療中の高齢者には、家庭血圧の測定と記録を勧める。"]
    assert _grades(cq2) == [("CQ6-2", None, None, None, True)]
    edition = Edition("gallery-jsh", "高血圧治療ガイドライン", "ギャラリー", "2025", date(2025, 4, 1),
                      EditionStatus.CURRENT)  # fmt: skip
    entry = CatalogEntry(edition, "gallery-jsh@x", "x", str(pdf), 0, 1, "2025-04-01T00:00:00Z")
    doc = read_source(pdf)
    store = EdgeStore(tmp_path / "index")
    store.write_outline(entry.edition_key, build_outline(doc, chunk_edition(edition, "gallery-jsh@x", doc.sections,
                                                                            400, 1)))  # fmt: skip
    outline = edition_outline(store, entry)
    gps = [r for r in outline["recommendations"] if r["grade"]["good_practice"]]
    assert [(r["cq"], r["page_start"], r["page_end"], r["grade"]["strength"]) for r in gps] == [("CQ6-2", 1, 1, None)]
    assert "家庭血圧の測定と記録を勧める。  [Good Practice Statement] p.1" in outline_text(outline)


@pytest.mark.parametrize("footer", ["- {n} -", "{n} / {total}"])
def test_a_box_across_a_page_break_gives_the_whole_statement(tmp_path: Path, footer: str) -> None:
    sections = _sections(gallery.box_across_pages(tmp_path, footer))
    cq1 = sections[("第2章 家庭血圧", "CQ2-1 家庭血圧を高血圧の診断に用いるか?")]
    cq2 = sections[("第2章 家庭血圧", "CQ2-2 家庭血圧の測定は朝晩に行うか?")]
    assert (cq1.page_start, cq1.page_end) == (1, 2)
    assert [r.text for r in cq1.recommendations] == [gallery.BOX_STATEMENT]  # footer and header not inside it
    assert _grades(cq1) == [("CQ2-1", 1, "B", None, False)]
    assert [r.text for r in cq2.recommendations] == ["家庭血圧は朝と晩の1日2回、座位で測定することを提案する。"]
    assert _grades(cq2) == [("CQ2-2", 2, "C", None, False)] and (cq2.page_start, cq2.page_end) == (2, 2)
    assert sections[("第3章 血圧測定機器",)].page_end == 3
    text = "".join(s.text for s in sections.values())
    assert "ドラフト" not in text and "- 1 -" not in text and "1 / 3" not in text


@pytest.mark.parametrize("row_by_row", [False, True], ids=["drawn-column-by-column", "drawn-row-by-row"])
def test_two_columns_read_left_then_right(tmp_path: Path, row_by_row: bool) -> None:
    sections = _sections(gallery.two_columns(tmp_path, row_by_row))
    chapter = "第4章 生活習慣の修正"
    left, right = (chapter, "CQ4-1 減塩を推奨するか?"), (chapter, "CQ4-2 運動療法を推奨するか?")
    assert list(sections) == [(chapter,), left, right]
    assert [r.text for r in sections[left].recommendations] == ["高血圧患者には、1日6g未満の減塩を行うことを推奨する。"]
    assert [r.text for r in sections[right].recommendations] == [
        "有酸素運動を中心に、定期的な運動療法を行うことを提案する。"
    ]
    assert _grades(sections[left]) == [("CQ4-1", 1, "A", None, False)]
    assert _grades(sections[right]) == [("CQ4-2", 2, "B", None, False)]
    assert "減塩指導には栄養士の関与が有効である。" in sections[left].text
    assert "運動" not in sections[left].text  # nothing of the right column
    assert "無理のない強度から始めるよう指導する。" in sections[right].text
    assert " | " not in "".join(s.text for s in sections.values())  # not merged into table rows


def test_a_two_column_table_of_short_cells_stays_a_table(tmp_path: Path) -> None:
    """Rows with a gap near the middle are not a two-column page when one side holds short cells (the 点数表's
    items with their `465点` at the right): they stay table rows."""
    s = gallery.Sheet()
    s.heading("第1部 入院料")
    items = ["14日以内の期間", "15日以上30日以内の期間", "31日以上90日以内の期間", "91日以上180日以内の期間",
             "181日以上1年以内の期間", "1年を超える期間"]  # fmt: skip
    s.table(
        [[f"{'イロハニホヘ'[i]} {item}", f"{465 - 60 * i}点"] for i, item in enumerate(items)], [gallery.LEFT, 470.0]
    )
    (section,) = read_source(s.save(tmp_path / "points.pdf")).sections
    assert "イ 14日以内の期間 | 465点" in section.text.splitlines()
    assert sum(" | " in line for line in section.text.splitlines()) == 6
