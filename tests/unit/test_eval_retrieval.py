"""The retrieval evaluation's own logic on a hand-made case: units, fusion configurations, the baseline, the report."""

from __future__ import annotations

import pytest

from eval.datasets import Passage, Query, RetrievalDataset
from eval.retrieval import FusionConfig, evaluate, markdown, summarise, to_units

DS = RetrievalDataset(
    "toy",
    corpus=(
        Passage(
            "law-1",
            "医師法 第二十一条",
            "医師は、死体を検案して異状があると認めたときは、二十四時間以内に所轄警察署に届け出なければならない。",
        ),
        Passage(
            "law-2",
            "医師法 第十九条",
            "診療に従事する医師は、診察治療の求があつた場合には、正当な事由がなければ、これを拒んではならない。",
        ),
        Passage(
            "law-3",
            "健康増進法 第二十五条",
            "多数の者が利用する施設を管理する者は、受動喫煙を防止するために必要な措置を講ずるように努めなければならない。",
        ),
    ),
    queries=(
        Query("q1", "異状死体の届出先", medical=True),
        Query("q2", "応招義務", medical=True),
        Query("q3", "受動喫煙の防止", medical=False),
    ),
    qrels={"q1": {"law-1": 2}, "q2": {"law-2": 2}, "q3": {"law-3": 1}},
)
UNIT = {"c1a": "law-1", "c1b": "law-1", "c2": "law-2", "c3": "law-3"}
# bm25 ranks every gold unit first; dense ranks them second (behind another unit); law-1 has two chunks
CACHE = {
    "unit_of": UNIT,
    "queries": {
        "q1": {"plain": {"bm25": [("c1b", 9.0), ("c1a", 8.0), ("c2", 1.0)], "dense": [("c2", 0.6), ("c1a", 0.5)]}},
        "q2": {"plain": {"bm25": [("c2", 7.0), ("c3", 2.0)], "dense": [("c3", 0.6), ("c2", 0.5)]}},
        "q3": {"plain": {"bm25": [("c3", 5.0), ("c1a", 1.0)], "dense": [("c1a", 0.7), ("c3", 0.4)]}},
    },
}


def test_to_units_keeps_each_unit_once_at_its_best_rank() -> None:
    assert to_units([("c1b", 9.0), ("c2", 3.0), ("c1a", 2.0), ("x", 1.0)], UNIT) == ["law-1", "law-2", "x"]


def test_evaluate_scores_legs_fusions_and_the_baseline_per_subset() -> None:
    configs = [
        FusionConfig("configured", "dbsf", {"bm25": 1.0, "dense": 0.5}),
        FusionConfig("dense heavy", "convex", {"bm25": 0.1, "dense": 1.0}),
    ]
    result = evaluate(DS, CACHE, configs, exam_style=False, prefetch=50)
    summary = summarise(result)
    systems = summary["all"]["systems"]
    assert systems["bm25 leg"]["ndcg@10"] == pytest.approx(1.0)
    assert systems["dense leg"]["ndcg@10"] == pytest.approx(1 / 1.584963, abs=1e-4)  # second place: 1/log2(3)
    assert systems["configured"]["ndcg@10"] == pytest.approx(1.0)
    assert systems["dense heavy"]["ndcg@10"] < 1.0
    assert summary["all"]["best_leg"] == "bm25 leg"
    # 応招義務 shares no bigram with 第十九条's words: the lexical baseline finds two of the three
    assert systems["bigram BM25 baseline (passages)"]["recall@100"] == pytest.approx(0.667)
    assert summary["medical"]["n"] == 2 and summary["non-medical"]["n"] == 1
    assert "hybrid+rerank (RAG_RERANKER)" not in systems  # no reranker in the cache: no row
    lo, hi = systems["dense leg"]["ci95"]
    assert lo <= systems["dense leg"]["ndcg@10"] <= hi
    table = markdown(summary, "toy")
    assert table.splitlines()[0] == "## toy" and "| bm25 leg | 1.000 |" in table
