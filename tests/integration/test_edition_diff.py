"""What changed between two editions (`rag_service.edition_diff`): pure pairing of statements, on a table of
cases, on two drawn editions that differ in every way, and on the demo corpus's two hypertension editions."""

from __future__ import annotations

from pathlib import Path

from ingestion.chunking import chunk_edition
from ingestion.outline import build_outline
from ingestion.sources import read_source
from rag_service.edition_diff import diff_recommendations, outline_recommendations, summary, text_changes
from rag_service.types import Direction, Grade, Recommendation
from tests import pdf_gallery_minds as g
from tests.integration.test_pdf_gallery_minds import EDITION

DEMO = Path(__file__).resolve().parents[2] / "corpora" / "guidelines"


def rec(cq: str, number: int, text: str, strength: int, certainty: str, against: bool = False) -> Recommendation:
    grade = Grade(strength=strength, certainty=certainty, direction=Direction.AGAINST if against else Direction.FOR)
    return Recommendation(cq=cq, number=number, text=text, grade=grade)


def test_pairs_by_text_and_names_what_changed() -> None:
    old = [rec("CQ1", 1, "減塩を推奨する。", 1, "A"), rec("CQ1", 2, "運動を提案する。", 2, "C"),
           rec("CQ2", 1, "禁煙を推奨する。", 1, "B")]  # fmt: skip
    new = [rec("CQ1", 1, "減塩を推奨する。", 1, "A"), rec("CQ1", 2, "運動を提案する。", 1, "B"),
           rec("CQ3", 1, "禁煙を推奨する。", 1, "B"), rec("CQ3", 2, "節酒を提案する。", 2, "C")]  # fmt: skip
    changes = diff_recommendations(old, new)
    assert [(c.kind, c.changes) for c in changes] == [
        ("unchanged", ()), ("changed", ("regraded",)), ("changed", ("moved",)), ("added", ()),
    ]  # fmt: skip
    assert summary(changes) == {"added": 1, "removed": 0, "changed": 2, "unchanged": 1, "regraded": 1,
                                "reworded": 0, "moved": 1}  # fmt: skip


def test_text_changes_are_runs() -> None:
    runs = text_changes("分娩前に使用することを推奨する。", "分娩前に使用しないことを推奨する。")
    assert "".join(r.text for r in runs if r.op != "insert") == "分娩前に使用することを推奨する。"
    assert "".join(r.text for r in runs if r.op != "delete") == "分娩前に使用しないことを推奨する。"
    assert [r.op for r in runs if r.op != "equal"] == ["delete", "insert"]


def _recs(pdf: Path) -> list[Recommendation]:
    doc = read_source(pdf)
    return outline_recommendations(build_outline(doc, chunk_edition(EDITION, "x@1", doc.sections, 400, 1)))


def test_two_drawn_editions_that_differ_in_every_way(tmp_path: Path) -> None:
    old = _recs(g.edition(tmp_path, "2020", g.OLD_EDITION))
    new = _recs(g.edition(tmp_path, "2025", g.NEW_EDITION))
    assert len(old) == 6 and len(new) == 6
    by_new = {(c.new.cq, c.new.number): c for c in diff_recommendations(old, new) if c.new}
    changes = diff_recommendations(old, new)
    assert by_new[("CQ1", 1)].kind == "unchanged"
    regraded = by_new[("CQ1", 2)]
    assert regraded.changes == ("regraded", "reworded") and regraded.old is not None
    assert (regraded.old.grade.label(), regraded.new.grade.label() if regraded.new else "") == (
        "2C・行うことを弱く推奨", "1B・行うことを強く推奨")  # fmt: skip
    assert by_new[("CQ1", 3)].kind == "added"
    turned = by_new[("CQ2", 1)]
    assert "regraded" in turned.changes and turned.old and turned.new
    assert (turned.old.direction, turned.new.direction) == (Direction.FOR, Direction.AGAINST)
    assert by_new[("CQ2", 2)].changes == ("reworded",)
    assert any(t.op == "insert" and "重い" in t.text for t in by_new[("CQ2", 2)].text_diff)
    moved = by_new[("CQ4", 1)]
    assert moved.changes == ("moved",) and moved.old and moved.old.cq == "CQ3"
    (removed,) = [c for c in changes if c.kind == "removed"]
    assert removed.old and removed.old.text and "脾臓摘出術" in removed.old.text
    assert all(c.old is None or c.old.page_start for c in changes)  # pages on both sides


def test_the_demo_hypertension_editions() -> None:
    old = _recs(DEMO / "demo_htn_2019.pdf")
    new = _recs(DEMO / "demo_htn_2025.pdf")
    changes = diff_recommendations(old, new)
    by_cq = {c.new.cq: c for c in changes if c.new}
    target = by_cq["CQ2-1"]  # 140/90 → 130/80 and certainty B → A
    assert target.changes == ("regraded", "reworded")
    assert target.old and target.new and (target.old.certainty, target.new.certainty) == ("B", "A")
    assert [(t.op, t.text) for t in target.text_diff if t.op != "equal"] == [
        ("delete", "140"), ("insert", "130"), ("delete", "90"), ("insert", "80"),
    ]  # fmt: skip
    assert by_cq["CQ3-2"].kind == "added"  # 有酸素運動: new in 2025
    assert by_cq["CQ1-1"].kind == "unchanged" and not [c for c in changes if c.kind == "removed"]
