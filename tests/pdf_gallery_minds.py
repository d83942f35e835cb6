"""A Minds-format guideline drawn to reproduce what a published one does (issue 16, seen on a held-out society
guideline): a methods chapter that lists every CQ again and defines the grades; CQ titles that wrap onto a second
line; numbered statements 1.–10. in one CQ, each followed by its own grade line
`（推奨度・エビデンス総体の総括：1C（使用することを強く推奨する））` on the same line, on the next one, wrapped over two
lines or across a page break; an ungraded preamble (`推奨：… 推奨グレードは原疾患別に記載する。`) before statement 1; a
graded CQ that opens with 「解説：」; a CQ answered by an ungraded 解説 only; statements that recommend against
(`使用しないことを推奨する`); a numbered statement printed without a grade between graded ones; running header and
`- n -` footers. The text is fictional, written for these tests (not clinical advice).

`minds_heldout_like(folder)` returns the PDF's path; `EXPECTED` is what a right reading gives (written from what is
drawn here, never from the pipeline's output), in the schema of `tests/fixtures/real_outlines/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.pdf_gallery import LEADING, Sheet, wrap

PER_LINE = 40
DRUG = "免疫グロブリン製剤"


def _verb(code: str, against: bool) -> str:
    return f"使用{'しない' if against else 'する'}ことを{'強く' if code[:1] == '1' else '弱く'}推奨する" if code else ""


def _grade(code: str, against: bool) -> str:
    return f"（推奨度・エビデンス総体の総括：{code}（{_verb(code, against)}））" if code else ""


# CQ2's ten statements: (statement, grade code, against, how the grade line is set)
# set: "next" (own line), "same" (after the statement on its last line), "wrap" (grade wrapped over two lines),
# "page" (the grade line at the top of the next page), "none" (no grade printed: a statement left ungraded)
CQ2_STATEMENTS: list[tuple[str, str, bool, str]] = [
    ("川崎病急性期には、発症7日以内に免疫グロブリン製剤を使用することを強く推奨する。", "1A", False, "next"),
    ("川崎病の不応例には、免疫グロブリン製剤の追加投与を使用することを弱く推奨する。", "2B", False, "same"),
    ("ギラン・バレー症候群で歩行不能な例には、免疫グロブリン製剤を使用することを強く推奨する。", "1A", False, "wrap"),
    ("慢性炎症性脱髄性多発根ニューロパチーには、維持療法として使用することを強く推奨する。", "1B", False, "next"),
    ("多巣性運動ニューロパチーには、免疫グロブリン製剤を使用することを強く推奨する。", "1C", False, "next"),
    ("重症筋無力症の急性増悪には、免疫グロブリン製剤を使用することを強く推奨する。", "1C", False, "page"),
    ("重症筋無力症の安定期の維持療法には、免疫グロブリン製剤を使用しないことを弱く推奨する。", "2C", True, "next"),
    ("多発性硬化症の再発予防には、免疫グロブリン製剤を使用しないことを強く推奨する。", "1B", True, "same"),
    ("封入体筋炎には、免疫グロブリン製剤の使用を考慮してもよい。", "", False, "none"),
    ("スティッフパーソン症候群には、免疫グロブリン製剤を使用することを弱く推奨する。", "2D", False, "next"),
]
CQ1_STATEMENTS = [
    ("免疫グロブリン製剤は、投与前に血清IgA値を測定してから使用することを強く推奨する。", "1C", False),
    ("腎機能障害のある患者には、投与速度を落として使用することを弱く推奨する。", "2C", False),
]
CQ3_STATEMENTS = [
    ("血栓症の既往がある患者には、免疫グロブリン製剤を大量に使用しないことを弱く推奨する。", "2D", True),
]
HEADER = "免疫グロブリン療法ガイドライン2026（ギャラリー）"
CQ1 = "CQ1 免疫グロブリン製剤の投与前に確認すべき事項は何か？"
CQ2_LINES = ("CQ2 神経・免疫疾患において免疫グロブリン製剤を使用する", "ことは推奨されるか？")
CQ2 = "CQ2 神経・免疫疾患において免疫グロブリン製剤を使用することは推奨されるか？"
CQ3 = "CQ3 血栓症の既往がある患者に免疫グロブリン製剤を大量に使用するか？"
CQ4 = "CQ4 免疫グロブリン製剤の自己注射は可能か？"
CHAPTER_1 = "第1章 作成方法"
CHAPTER_2 = "第2章 臨床疑問と推奨"
FILLER = (
    "本ガイドラインの推奨は、系統的レビューで得られたエビデンス総体の評価に基づき、益と害のバランス、患者の価値観、"
    "費用を勘案して作成委員会の合意により決定した。"
)


def _page(s: Sheet) -> int:
    return int(s.page.number) + 1


def _statement(s: Sheet, number: int, text: str, grade: str, how: str) -> tuple[int, int]:
    """Draw one numbered statement and its grade line as `how` says; the pages its first and last line went on."""
    lines = wrap(f"{number}．{text}{grade if how == 'same' else ''}", PER_LINE)
    if how == "page":  # the statement ends at the bottom of a page, its grade line opens the next one
        while s.y + LEADING * len(lines) <= 770:
            s.y += LEADING
    if s.y > 770:
        s.new_page()
    first = _page(s)
    for line in lines:
        s.text(line)
    if how == "next":
        s.text(grade)
    elif how == "wrap":
        s.text(grade[:24])
        s.text(grade[24:])
    elif how == "page":
        s.new_page()
        s.text(grade)
    return first, _page(s)


def minds_heldout_like(folder: Path) -> tuple[Path, dict[str, tuple[int, int]]]:
    """The PDF, and the pages each CQ (`CQ2`) and statement (`CQ2.6`) was drawn on."""
    s = Sheet(header=HEADER, footer="- {n} -")
    pages: dict[str, tuple[int, int]] = {}
    s.heading(CHAPTER_1)
    s.paragraph("本ガイドラインはMinds診療ガイドライン作成マニュアル2020に準拠して作成した。" + FILLER)
    s.text("1．臨床疑問（CQ）の一覧")
    for title in (CQ1, CQ2, CQ3, CQ4):  # the methods chapter lists every CQ again
        s.text(title, size=10)
    s.y += 8
    s.text("2．推奨の強さとエビデンスの確実性")
    s.text("推奨の強さ 1（強い）：「実施する」または「実施しない」ことを推奨する")
    s.text("推奨の強さ 2（弱い）：「実施する」または「実施しない」ことを提案する")
    s.text("エビデンスの確実性 A（強）：効果の推定値に強く確信がある")
    s.text("エビデンスの確実性 D（とても弱い）：効果の推定値がほとんど確信できない")
    s.new_page()
    s.heading(CHAPTER_2)
    s.heading(CQ1, size=11)
    pages["CQ1"] = (_page(s), _page(s))
    s.text("推奨：")
    for i, (text, code, against) in enumerate(CQ1_STATEMENTS, start=1):
        pages[f"CQ1.{i}"] = _statement(s, i, text, _grade(code, against), "next")
    s.text("解説：")
    s.paragraph("免疫グロブリン製剤の副作用には、頭痛、発熱、アナフィラキシー、腎障害、血栓症がある。" + FILLER * 2)
    s.y += 6
    s.text(CQ2_LINES[0], size=11, after=LEADING + 2)  # a title that wraps onto a second line
    pages["CQ2"] = (_page(s), _page(s))
    s.text(CQ2_LINES[1], size=11, after=LEADING + 4)
    s.text("推奨：免疫グロブリン製剤の有効性は原疾患により異なる。推奨グレードは原疾患別に記載する。")
    for i, (text, code, against, how) in enumerate(CQ2_STATEMENTS, start=1):
        pages[f"CQ2.{i}"] = _statement(s, i, text, _grade(code, against), how)
    s.text("解説：")
    s.paragraph("原疾患ごとのランダム化比較試験の結果を表に示す。" + FILLER * 2)
    s.heading(CQ3, size=11)
    pages["CQ3"] = (_page(s), _page(s))
    s.text("解説：")  # a graded CQ that opens with 解説 instead of 推奨
    for i, (text, code, against) in enumerate(CQ3_STATEMENTS, start=1):
        pages[f"CQ3.{i}"] = _statement(s, i, text, _grade(code, against), "next")
    s.paragraph("血栓症の危険因子を持つ患者では、投与量と投与速度に注意する。" + FILLER)
    s.heading(CQ4, size=11)
    pages["CQ4"] = (_page(s), _page(s))
    s.text("解説：")  # answered by an ungraded commentary only
    s.paragraph("皮下注射用の製剤では、医療機関で十分な指導を受けた後に自己注射が可能である。" + FILLER * 2)
    return s.save(folder / "minds_heldout_like.pdf"), pages


def _rec(cq: str, number: int, text: str, code: str, against: bool, page: tuple[int, int]) -> dict[str, Any]:
    direction = ("against" if against else "for") if code else None
    return {
        "cq": cq,
        "number": number,
        "text": text,
        "page_start": page[0],
        "page_end": page[1],
        "strength": int(code[0]) if code else None,
        "certainty": code[1] if code else None,
        "direction": direction,
    }


def expected(pages: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """What a right reading of the drawn PDF gives; `pages` is what `minds_heldout_like` recorded while drawing."""
    recs = [_rec("CQ1", i, t, c, v, pages[f"CQ1.{i}"]) for i, (t, c, v) in enumerate(CQ1_STATEMENTS, start=1)]
    recs += [_rec("CQ2", i, t, c, v, pages[f"CQ2.{i}"]) for i, (t, c, v, _) in enumerate(CQ2_STATEMENTS, start=1)]
    recs += [_rec("CQ3", i, t, c, v, pages[f"CQ3.{i}"]) for i, (t, c, v) in enumerate(CQ3_STATEMENTS, start=1)]
    chapter2 = [CHAPTER_2]
    return {
        "file": "minds_heldout_like.pdf",
        "labelled_by": "drawn by tests/pdf_gallery_minds.py: the expected values are what was drawn",
        "labelled_pages": [[1, 99]],
        "headings": [
            {"page": 1, "text": CHAPTER_1, "kind": "章", "path": [CHAPTER_1]},
            {"page": 2, "text": CHAPTER_2, "kind": "章", "path": chapter2},
            {"page": 2, "text": CQ1, "kind": "CQ", "path": [*chapter2, CQ1]},
            {"page": pages["CQ2"][0], "text": CQ2, "kind": "CQ", "path": [*chapter2, CQ2]},
            {"page": pages["CQ3"][0], "text": CQ3, "kind": "CQ", "path": [*chapter2, CQ3]},
            {"page": pages["CQ4"][0], "text": CQ4, "kind": "CQ", "path": [*chapter2, CQ4]},
        ],
        "not_headings": [{"page": 1, "text": t, "why": "the methods chapter's list of CQs"} for t in (CQ1, CQ3, CQ4)],
        "running_lines": [HEADER],
        "recommendations": recs,
        "text_checks": [],
    }


# Two editions of one guideline that differ in every way a librarian is asked about (drawn like the held-out one):
# (cq, statement, grade code, against) per edition. CQ1.1 is unchanged; CQ1.2 is regraded 2C → 1B; CQ2.1 turns from
# for to against; CQ2.2 is reworded; CQ3.1 moves to CQ4 in the new edition; OLD's CQ3.2 is removed; NEW's CQ1.3 is
# added.
OLD_EDITION = [
    ("CQ1", "成人のITPには、副腎皮質ステロイドを初回治療として使用することを強く推奨する。", "1B", False),
    ("CQ1", "出血症状のない患者には、血小板数にかかわらず経過観察を弱く推奨する。", "2C", False),
    ("CQ2", "妊娠中のITPには、免疫グロブリン製剤を分娩前に使用することを弱く推奨する。", "2C", False),
    ("CQ2", "小児の急性ITPには、出血症状がなければ無治療で経過を観察することを弱く推奨する。", "2D", False),
    ("CQ3", "難治例には、トロンボポエチン受容体作動薬を使用することを強く推奨する。", "1A", False),
    ("CQ3", "難治例には、脾臓摘出術を第一に行うことを弱く推奨する。", "2C", False),
]
NEW_EDITION = [
    ("CQ1", "成人のITPには、副腎皮質ステロイドを初回治療として使用することを強く推奨する。", "1B", False),
    ("CQ1", "出血症状のない患者には、血小板数にかかわらず経過観察を強く推奨する。", "1B", False),
    ("CQ1", "ヘリコバクター・ピロリ陽性のITPには、除菌療法を行うことを強く推奨する。", "1B", False),
    ("CQ2", "妊娠中のITPには、免疫グロブリン製剤を分娩前に使用しないことを弱く推奨する。", "2C", True),
    ("CQ2", "小児の急性ITPには、重い出血症状がなければ無治療で慎重に経過を観察することを弱く推奨する。", "2D", False),
    ("CQ4", "難治例には、トロンボポエチン受容体作動薬を使用することを強く推奨する。", "1A", False),
]
CQ_TITLES = {
    "CQ1": "CQ1 成人のITPの初回治療は何か？",
    "CQ2": "CQ2 妊娠と小児のITPをどう治療するか？",
    "CQ3": "CQ3 難治性ITPをどう治療するか？",
    "CQ4": "CQ4 二次治療に何を用いるか？",
}


def edition(folder: Path, name: str, statements: list[tuple[str, str, str, bool]]) -> Path:
    """One edition: its CQs in order, each with its numbered statements and their grade lines."""
    s = Sheet(header=f"ITP診療ガイドライン {name}（ギャラリー）", footer="- {n} -")
    s.heading("第1章 治療")
    for cq in dict.fromkeys(c for c, *_ in statements):
        s.heading(CQ_TITLES[cq], size=11)
        s.text("推奨：")
        mine = [(t, code, against) for c, t, code, against in statements if c == cq]
        for i, (text, code, against) in enumerate(mine, start=1):
            _statement(s, i, text, _grade(code, against), "next")
        s.text("解説：")
        s.paragraph(FILLER)
    return s.save(folder / f"itp_{name}.pdf")


def manifest_entries(folder: Path, new_edition: bool = True) -> list[dict[str, Any]]:
    """Manifest entries of the two drawn ITP editions (`OLD_EDITION` as itp-2020, `NEW_EDITION` as itp-2025, which
    supersedes it), their PDFs drawn under `folder/guidelines` (once); only the old one, current, when not
    `new_edition`."""
    (folder / "guidelines").mkdir(parents=True, exist_ok=True)
    common = {"title": "ITP診療ガイドライン（ギャラリー・架空）", "publisher": "ギャラリー血液学会（架空）",
              "specialties": ["血液"], "license": "CC-BY-4.0 (this project)"}  # fmt: skip
    old = {"id": "itp-2020", **common, "edition": "2020年版", "published": "2020-04-01",
           "status": "superseded" if new_edition else "current", "source": "guidelines/itp_2020.pdf"}  # fmt: skip
    for name, statements in (("2020", OLD_EDITION), ("2025", NEW_EDITION))[: 2 if new_edition else 1]:
        if not (folder / "guidelines" / f"itp_{name}.pdf").exists():  # drawn again, a PDF's bytes differ
            edition(folder / "guidelines", name, statements)
    if not new_edition:
        return [old]
    new = {"id": "itp-2025", **common, "edition": "2025年版", "published": "2025-04-01", "status": "current",
           "supersedes": "itp-2020", "source": "guidelines/itp_2025.pdf"}  # fmt: skip
    return [old, new]
