"""The drawn Minds-format guideline of `tests/pdf_gallery_minds.py` (what was seen on a held-out published one)
through the real pipeline: every graded statement with its own grade, direction and pages; the methods chapter's
CQ list and grade definitions give nothing; chunks hold their own statements only and never open with a neighbour's
grade line; the outline says which statement was left without a grade. Scored with `eval.outline_score`."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from eval.outline_score import score_document
from ingestion.chunking import chunk_edition
from ingestion.outline import build_outline
from ingestion.sources import SourceDocument, read_source
from rag_service.outline import outline_text
from rag_service.types import Direction, Edition, EditionStatus
from tests import pdf_gallery_minds as g

EDITION = Edition("gallery-ivig", "免疫グロブリン療法ガイドライン", "ギャラリー", "2026", date(2026, 4, 1),
                  EditionStatus.CURRENT)  # fmt: skip


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[SourceDocument, dict[str, tuple[int, int]]]:
    pdf, pages = g.minds_heldout_like(tmp_path_factory.mktemp("minds"))
    return read_source(pdf), pages


def test_every_graded_statement_comes_out_with_its_own_grade_direction_and_pages(
    drawn: tuple[SourceDocument, dict[str, tuple[int, int]]],
) -> None:
    doc, pages = drawn
    score = score_document("minds", g.expected(pages), doc)
    assert (score.recs_found, score.recommendations) == (13, 13), score.missed
    assert (score.grades_right, score.text_bounded, score.pages_right, score.recs_spurious) == (13, 13, 13, 0)
    assert (score.found, score.headings, score.path_right, score.spurious, score.wrong) == (6, 6, 6, 0, 0)
    assert score.running_left == 0


def test_the_ten_statements_of_one_cq(drawn: tuple[SourceDocument, dict[str, tuple[int, int]]]) -> None:
    doc, pages = drawn
    (cq2,) = [s for s in doc.sections if s.path[-1] == nfkc(g.CQ2)]  # the wrapped title is one heading
    recs = cq2.recommendations
    assert [r.number for r in recs] == list(range(1, 11))
    assert [r.text for r in recs] == [t for t, *_ in g.CQ2_STATEMENTS]  # the preamble is not glued to statement 1
    assert [f"{r.strength}{r.certainty}" if r.strength else "" for r in recs] == [c for _, c, *_ in g.CQ2_STATEMENTS]
    assert recs[5].grade.printed == "(推奨度・エビデンス総体の総括:1C(使用することを強く推奨する))"
    assert (recs[5].page_start, recs[5].page_end) == pages["CQ2.6"] and pages["CQ2.6"][0] < pages["CQ2.6"][1]
    assert [r.direction for r in recs[6:8]] == [Direction.AGAINST, Direction.AGAINST]  # 使用しないことを推奨する
    assert recs[6].grade.label() == "2C・行わないことを弱く推奨"
    nine = recs[8]  # printed without a grade between graded statements: never the neighbour's
    assert nine.grade.empty and nine.note == "no grade is printed after it"


def test_a_cq_opened_by_commentary_is_graded_and_one_with_commentary_only_is_not(
    drawn: tuple[SourceDocument, dict[str, tuple[int, int]]],
) -> None:
    doc, _ = drawn
    by_title = {s.path[-1]: s for s in doc.sections if s.path}
    (cq3,) = by_title[nfkc(g.CQ3)].recommendations
    assert (cq3.text, cq3.strength, cq3.certainty, cq3.direction) == (g.CQ3_STATEMENTS[0][0], 2, "D",
                                                                      Direction.AGAINST)  # fmt: skip
    assert by_title[nfkc(g.CQ4)].recommendations == ()
    methods = by_title[nfkc(g.CHAPTER_1)]
    assert methods.recommendations == () and nfkc(g.CQ2) in methods.text  # the CQ list stays the chapter's text


def test_chunks_hold_their_own_statements_and_the_outline_names_the_ungraded_one(
    drawn: tuple[SourceDocument, dict[str, tuple[int, int]]],
) -> None:
    doc, _ = drawn
    chunks = chunk_edition(EDITION, "gallery-ivig@x", doc.sections, max_chars=400, overlap_sentences=1)
    cq2 = [c for c in chunks if c.section_path[-1] == nfkc(g.CQ2)]
    holding = [c for c in cq2 if c.recommendations]
    assert [r.number for c in holding for r in c.recommendations] == list(range(1, 11))
    assert all(len(c.recommendations) == 1 for c in holding)
    for c in holding:  # each chunk holds the statement it contains, and its grade line
        (rec,) = c.recommendations
        assert rec.text is not None and rec.text[:20] in c.text.replace("\n", "")
        assert not rec.grade.printed or rec.grade.printed in c.text.replace("\n", "").replace(" ", "")
    assert not any(c.text.startswith("(推奨度") for c in chunks)  # never a neighbour's grade line first
    assert not any(c.text.startswith("推奨:免疫グロブリン製剤の有効性") and c.recommendations for c in cq2)
    outline = build_outline(doc, chunks)
    assert outline["notes"] == [f"第2章 臨床疑問と推奨 > {nfkc(g.CQ2)}: statement 9 — no grade is printed after it"]
    text = outline_text({"source_id": "x", "title": "t", "edition": "e", "indexed_chunks": 0, **outline})
    assert "推奨 7. 重症筋無力症の安定期" in text and "[2C・行わないことを弱く推奨]" in text
