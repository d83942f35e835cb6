from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.pdf import extract_pages
from ingestion.structure import parse_heading, split_sections, split_text_sections
from rag_service.types import PageText

DEMO = Path(__file__).resolve().parents[2] / "corpora" / "guidelines"


@pytest.mark.parametrize(
    ("line", "level", "label"),
    [
        ("第3章薬物療法", 0, "第3章 薬物療法"),
        ("第三章 薬物療法", 0, "第三章 薬物療法"),
        ("第2節 降圧目標", 1, "第2節 降圧目標"),
        ("第1款 検体検査実施料", 2, "第1款 検体検査実施料"),
        ("A000 初診料 | 291点", 3, "A000 初診料"),  # a fee schedule's 区分 entry
        ("K615-2 経皮的大動脈遮断術 | 1,660点", 3, "K615-2 経皮的大動脈遮断術"),
        ("1. はじめに", 4, "1. はじめに"),
        ("1 急性期一般入院基本料", 4, "1 急性期一般入院基本料"),
        ("1.2 降圧目標", 5, "1.2 降圧目標"),
        ("1-1 定義", 5, "1-1 定義"),
        ("1-1-2 家庭血圧", 6, "1-1-2 家庭血圧"),
        ("I. 総論", 1, "I. 総論"),
        ("CQ3-2 減塩は推奨されるか?", 9, "CQ3-2 減塩は推奨されるか?"),
        ("CQ 3-2 減塩は推奨されるか?", 9, "CQ3-2 減塩は推奨されるか?"),
        ("# 高血圧", 0, "高血圧"),
    ],
)
def test_parse_heading(line: str, level: int, label: str) -> None:
    heading = parse_heading(line)
    assert heading is not None and (heading.level, heading.label) == (level, label)


@pytest.mark.parametrize(
    "line",
    [
        "高血圧は重要である。",
        "1機会に2回測定する。",
        "75歳未満の成人 | 130/80 mmHg未満",
        "7.0%未満を目指す",
        "12 別に厚生労働大臣が定める保険医療機関においては、別に厚生労働大臣が定め",
    ],
)
def test_body_lines_are_not_headings(line: str) -> None:
    assert parse_heading(line) is None


def test_fullwidth_cq_heading_after_normalisation() -> None:
    sections = split_text_sections("ＣＱ３－２ 減塩は推奨されるか？\n推奨文：減塩を行う。\n推奨の強さ：1\n")
    assert sections[0].path == ("CQ3-2 減塩は推奨されるか?",)
    rec = sections[0].recommendation
    assert rec is not None and (rec.cq, rec.text, rec.strength, rec.certainty) == ("CQ3-2", "減塩を行う。", 1, None)


def test_paths_page_spans_and_offsets() -> None:
    pages = [
        PageText(1, "前文。\n第1章 総論\n高血圧の定義。\nCQ1-1 家庭血圧は推奨されるか?\n推奨文\n家庭血圧を測定する。"),
        PageText(2, "解説\n家庭血圧は有用である。\n第2章 薬物療法\n降圧薬を用いる。"),
    ]
    sections = split_sections(pages)
    assert [s.path for s in sections] == [
        (),
        ("第1章 総論",),
        ("第1章 総論", "CQ1-1 家庭血圧は推奨されるか?"),
        ("第2章 薬物療法",),
    ]
    cq = sections[2]
    assert (cq.page_start, cq.page_end) == (1, 2)
    assert cq.page_offsets[0] == (0, 1)
    offset, page = cq.page_offsets[1]
    assert page == 2 and cq.text[offset:].startswith("解説")
    assert sections[3].page_offsets == ((0, 2),)


@pytest.mark.parametrize(
    ("body", "strength", "certainty"),
    [
        ("推奨の強さ:1(強い)\nエビデンスの確実性:B", 1, "B"),
        ("推奨の強さ:2(弱い)\nエビデンスの強さ:C", 2, "C"),
        ("強い推奨\nエビデンスの確実性(GRADE):A", 1, "A"),
        ("弱い推奨\nエビデンスレベル D", 2, "D"),
        ("推奨の強さ：２\nエビデンスの確実性：Ｂ（中）", 2, "B"),
    ],
)
def test_recommendation_fields_inline(body: str, strength: int, certainty: str) -> None:
    text = f"CQ2-1 降圧目標はどの程度か?\n推奨文\n130/80 mmHg未満を目標とする。\n{body}\n解説\n本文。"
    (section,) = split_text_sections(text)
    rec = section.recommendation
    assert rec is not None
    want = ("CQ2-1", "130/80 mmHg未満を目標とする。", strength, certainty)
    assert (rec.cq, rec.text, rec.strength, rec.certainty) == want


def test_section_without_cq_has_no_recommendation() -> None:
    (section,) = split_text_sections("第1章 総論\n推奨の強さ:1")
    assert section.recommendation is None


def test_table_rows_stay_together_in_one_section() -> None:
    pages = extract_pages(DEMO / "demo_htn_2025.pdf")
    chapter2 = next(s for s in split_sections(pages) if s.path == ("第2章 降圧目標",))
    rows = [line for line in chapter2.text.splitlines() if " | " in line]
    assert rows[0] == "対象 | 診察室血圧 | 家庭血圧"
    assert "75歳未満の成人 | 130/80 mmHg未満 | 125/75 mmHg未満" in rows
    assert len(rows) == 5


@pytest.mark.parametrize(
    ("year", "cq", "strength", "certainty", "target"),
    [(2019, "CQ2-1", 1, "B", "140/90"), (2025, "CQ2-1", 1, "A", "130/80"), (2025, "CQ1-2", 2, "C", None)],
)
def test_demo_pdf_recommendations(year: int, cq: str, strength: int, certainty: str, target: str | None) -> None:
    sections = split_sections(extract_pages(DEMO / f"demo_htn_{year}.pdf"))
    recs = {s.recommendation.cq: s.recommendation for s in sections if s.recommendation}
    rec = recs[cq]
    assert (rec.strength, rec.certainty) == (strength, certainty)
    assert rec.text and rec.text.endswith("。")
    if target:
        assert f"{target}mmHg未満" in rec.text
    assert len(recs) == (7 if year == 2019 else 8)
    assert "CQ3-2" in recs if year == 2025 else "CQ3-2" not in recs


def test_a_long_sentence_that_starts_like_a_heading_is_body_text() -> None:
    sentence = (
        "第1章 "
        + "基本診療料の算定に当たっては、別に厚生労働大臣が定める施設基準に適合しているものとして届け出た" * 3
        + "。"
    )
    assert parse_heading(sentence) is None
    assert parse_heading("第1章 基本診療料") is not None
    assert (
        parse_heading("CQ3 成人の高血圧患者に対して、家庭血圧に基づく降圧治療は診察室血圧に基づく治療より推奨されるか")
        is not None
    )


def test_a_heading_only_section_becomes_no_chunk_and_stays_in_the_path() -> None:
    text = "第2章 患者さんがするべきこと\n1. 平時の備え\n透析条件を記録したカードを携帯する。\n"
    sections = split_text_sections(text)
    assert [s.path for s in sections] == [("第2章 患者さんがするべきこと", "1. 平時の備え")]
    assert "透析条件" in sections[0].text


@pytest.mark.parametrize(
    ("grade_line", "strength", "certainty"),
    [
        ("（推奨度・エビデンス総体の総括：1C（使用することを強く推奨する））", 1, "C"),  # Minds, as in a real CQ
        ("【推奨度 2, エビデンスの確実性 C】", 2, "C"),
        ("推奨グレード 1B", 1, "B"),
        ("(2D)", 2, "D"),
        ("条件付き推奨、エビデンスの確実性：低", 2, "C"),  # GRADE wording
        ("強い推奨、確実性 非常に低", 1, "D"),
        ("実施することを弱く推奨する（提案する）。確実性 中", 2, "B"),
    ],
)
def test_recommendation_formats(grade_line: str, strength: int, certainty: str) -> None:
    text = (
        "CQ5 敗血症性ショックの初期輸液に晶質液を用いるか?\n推奨\n初期輸液には晶質液を用いることを推奨する。\n"
        f"{grade_line}\n\n背景・目的\n" + "敗血症性ショックでは早期の輸液が予後を左右する。" * 80
    )
    (section,) = split_text_sections(text)
    rec = section.recommendation
    assert rec is not None and (rec.strength, rec.certainty) == (strength, certainty)
    assert rec.text is not None and rec.text.startswith("初期輸液には晶質液を用いる") and len(rec.text) <= 400
    assert "背景" not in rec.text  # the statement, not the section


def test_a_cq_with_several_recommendations_each_with_its_grade() -> None:
    text = (
        "CQ7 2型糖尿病患者にSGLT2阻害薬を用いるか?\n"
        "推奨1: 心不全を合併する患者にはSGLT2阻害薬を用いることを推奨する。\n(1A)\n"
        "推奨2: 慢性腎臓病を合併する患者にはSGLT2阻害薬を用いることを提案する。\n(2B)\n\n"
        "解説\n" + "SGLT2阻害薬は心腎保護効果を示した。" * 20
    )
    (section,) = split_text_sections(text)
    got = [(r.text, r.strength, r.certainty) for r in section.recommendations]
    assert got == [
        ("心不全を合併する患者にはSGLT2阻害薬を用いることを推奨する。", 1, "A"),
        ("慢性腎臓病を合併する患者にはSGLT2阻害薬を用いることを提案する。", 2, "B"),
    ]
    assert section.recommendation == section.recommendations[0] and all(r.cq == "CQ7" for r in section.recommendations)


JCS_LINES = [
    ("推奨クラス IIa, エビデンスレベル B", "IIa", "B"),
    ("クラス I レベル A", "I", "A"),
    ("推奨クラス III(Harm) エビデンスレベル C", "III", "C"),
]


@pytest.mark.parametrize(("line", "rec_class", "level"), JCS_LINES)
def test_jcs_style_classes(line: str, rec_class: str, level: str) -> None:
    text = f"CQ2 急性心筋梗塞にβ遮断薬を投与するか?\n推奨\n禁忌のない患者に投与を考慮する。\n{line}\n\n解説\n本文。"
    (section,) = split_text_sections(text)
    (rec,) = section.recommendations
    assert (rec.rec_class, rec.certainty, rec.strength) == (rec_class, level, None)


@pytest.mark.parametrize(
    "block",
    [
        "推奨\n家庭血圧の測定を降圧薬治療中のすべての患者に推奨する。\nGood Practice Statement\n",
        "推奨\n家庭血圧の測定を降圧薬治療中のすべての患者に推奨する。\n(GPS)\n",
        "Good Practice Statement\n家庭血圧の測定を降圧薬治療中のすべての患者に推奨する。\n",
        "GPS: 家庭血圧の測定を降圧薬治療中のすべての患者に推奨する。\n",
        "【グッドプラクティスステートメント】\n家庭血圧の測定を降圧薬治療中のすべての患者に推奨する。\n",
    ],
)
def test_good_practice_statement_has_no_grade(block: str) -> None:
    text = f"CQ4 降圧薬治療中の患者に家庭血圧測定を勧めるか?\n{block}\n解説\n" + "推奨の強さ 1 の根拠は乏しい。" * 5
    (section,) = split_text_sections(text)
    assert [(r.cq, r.text, r.grade.empty, r.good_practice) for r in section.recommendations] == [
        ("CQ4", "家庭血圧の測定を降圧薬治療中のすべての患者に推奨する。", False, True)
    ]
    assert (section.recommendations[0].strength, section.recommendations[0].certainty) == (None, None)


def test_a_graded_recommendation_and_a_good_practice_statement_in_one_cq() -> None:
    text = (
        "CQ6 高齢者高血圧に降圧薬治療を行うか?\n"
        "推奨1: 75歳以上でも降圧薬治療を行うことを推奨する。\n推奨の強さ 1 エビデンスの強さ B\n"
        "推奨2: 降圧薬開始後は起立性低血圧の有無を確認する。\nGood Practice Statement\n\n"
        "解説\n高齢者でも降圧治療の有益性は示されている。"
    )
    (section,) = split_text_sections(text)
    got = [(r.text, r.strength, r.certainty, r.good_practice) for r in section.recommendations]
    assert got == [
        ("75歳以上でも降圧薬治療を行うことを推奨する。", 1, "B", False),
        ("降圧薬開始後は起立性低血圧の有無を確認する。", None, None, True),
    ]


def test_gps_mentioned_in_the_commentary_does_not_flag_the_recommendation() -> None:
    text = "CQ8 減塩を行うか?\n推奨\n減塩を推奨する。\n(1A)\n\n解説\n本CQはGood Practice Statementとしなかった。"
    (section,) = split_text_sections(text)
    (rec,) = section.recommendations
    assert (rec.strength, rec.certainty, rec.good_practice) == (1, "A", False)


@pytest.mark.parametrize(
    ("header", "rows", "want"),
    [
        (
            "推奨 | 推奨クラス | エビデンスレベル",
            ["禁忌のない患者にβ遮断薬を投与する。 | I | A", "低心機能例にはアルドステロン拮抗薬を考慮する。 | IIa | B"],
            [("IIa" if i else "I", None, "B" if i else "A") for i in range(2)],
        ),
        (
            "推奨文 | 推奨の強さ | エビデンスの確実性",
            ["成人の敗血症に晶質液を用いる。 | 1 | B", "膠質液を用いないことを提案する。 | 2(弱い) | 低"],
            [(None, 1, "B"), (None, 2, "C")],
        ),
        (
            "推奨 | 推奨度・エビデンスレベル",
            ["心房細動に抗凝固療法を行う。 | 1A", "高齢者にも抗凝固療法を行う。 | 2C"],
            [(None, 1, "A"), (None, 2, "C")],
        ),
    ],
)
def test_recommendation_table_gives_one_recommendation_per_row(
    header: str, rows: list[str], want: list[tuple[str | None, int | None, str]]
) -> None:
    text = "CQ3 薬物療法をどう選ぶか?\n表1 推奨とエビデンス\n" + "\n".join([header, *rows]) + "\n\n解説\n本文。"
    (section,) = split_text_sections(text)
    got = [(r.rec_class, r.strength, r.certainty) for r in section.recommendations]
    assert got == want
    assert [r.text for r in section.recommendations] == [row.split(" | ")[0] for row in rows]
    assert all(r.cq == "CQ3" for r in section.recommendations)


def test_a_wrapped_statement_cell_is_rejoined_and_a_gps_row_has_no_grade() -> None:
    text = (
        "5.2 心不全の薬物療法\n推奨 | 推奨クラス | エビデンスレベル\n"
        "HFrEF患者にはACE阻害薬またはARBを | I | A\n投与する。\n"
        "全ての患者に服薬指導を行う。 | GPS | -\n"
        "その後の本文は表ではない。"
    )
    (section,) = split_text_sections(text)
    got = [(r.cq, r.text, r.rec_class, r.certainty, r.good_practice) for r in section.recommendations]
    assert got == [
        (None, "HFrEF患者にはACE阻害薬またはARBを投与する。", "I", "A", False),
        (None, "全ての患者に服薬指導を行う。", None, None, True),
    ]


def test_a_table_without_a_statement_column_is_not_a_recommendation_table() -> None:
    text = "CQ2-1 降圧目標は?\n対象 | 診察室血圧 | 家庭血圧\n75歳未満の成人 | 130/80 mmHg未満 | 125/75 mmHg未満"
    (section,) = split_text_sections(text)
    assert section.recommendations == ()


def test_minds_2020_numbered_labels_on_their_own_lines() -> None:
    """`推奨1` alone on its line (as a PDF sets it) is a label: the statement under it is not glued onto it."""
    text = (
        "CQ3-1 肥満を伴う2型糖尿病患者にメトホルミンを用いるか?\n推奨1\n肥満を伴う2型糖尿病患者には、メトホルミンを\n"
        "使用することを推奨する。\n（推奨度・エビデンス総体の総括：1B（使用することを強く推奨する））\n推奨2\n"
        "腎機能が低下した患者では減量を提案する。\n【推奨度 2, エビデンスの確実性 C】\n背景・目的\n本文。"
    )
    (section,) = split_text_sections(text)
    got = [(r.text, r.strength, r.certainty) for r in section.recommendations]
    assert got == [
        ("肥満を伴う2型糖尿病患者には、メトホルミンを使用することを推奨する。", 1, "B"),
        ("腎機能が低下した患者では減量を提案する。", 2, "C"),
    ]


def test_a_contents_list_without_page_numbers_is_text_and_its_entries_come_back_as_headings() -> None:
    """The 点数表 opens with a contents list (no leaders, no page numbers): 第N章 / 第N部 / 第N節 lines one after the
    other, several 節 empty; it is text of the opening, and the real 第1章 further on is the heading."""
    toc = "目次\n第1章 基本診療料\n第1部 初・再診料\n第1節 初診料\n第2節 再診料\n第2部 入院料等\n第1節 入院基本料\n"
    body = "第1章 基本診療料\n第1部 初・再診料\n通則\n初診及び再診の費用は、各区分の所定点数により算定する。\n"
    sections = split_sections([PageText(1, toc), PageText(2, body)])
    assert [(s.path, s.page_start) for s in sections] == [((), 1), (("第1部 初・再診料",), 2)]
    assert "第2節 再診料" in sections[0].text
