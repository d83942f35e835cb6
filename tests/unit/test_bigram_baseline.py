"""eval.bigram_baseline: character bigrams, hand-computed Lucene BM25, and bm25s as an oracle on the same tokens."""

from __future__ import annotations

import math

import bm25s
import numpy as np
import pytest

from eval.bigram_baseline import BigramBM25, char_bigrams


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("２型糖尿病", ["2型", "型糖", "糖尿", "尿病"]),
        ("医師法", ["医師", "師法"]),
        ("高血圧 の\t治療", ["高血", "血圧", "圧の", "の治", "治療"]),
        ("高血圧　治療", ["高血", "血圧", "圧治", "治療"]),  # full-width space
        ("HbA1c", ["hb", "ba", "a1", "1c"]),
        ("ＨｂＡ１ｃ　７％", ["hb", "ba", "a1", "1c", "c7", "7%"]),
        ("薬", ["薬"]),
        (" 薬\n", ["薬"]),
        ("", []),
        (" \u3000\n", []),
    ],
)
def test_char_bigrams(text: str, expected: list[str]) -> None:
    assert char_bigrams(text) == expected


CORPUS = [
    ("dm-1", "２型糖尿病の治療目標はHbA1c 7.0%未満とする。"),
    ("dm-2", "糖尿病患者の血糖管理では低血糖を避けることが重要である。"),
    ("htn-1", "高血圧の治療では降圧目標を130/80mmHg未満とする。"),
    ("htn-2", "高齢者の高血圧には少量の降圧薬から治療を開始する。"),
    ("law-1", "医師法は医師の資格と業務について定める法律である。"),
    ("law-2", "医師でなければ医業をしてはならないと医師法に定める。"),
    ("inf-1", "感染症法は感染症の予防と患者の医療について定める。"),
    ("inf-2", "新型インフルエンザ等感染症の患者には入院を勧告できる。"),
]
QUERIES = ["糖尿病の治療目標", "高血圧 治療", "医師法の定め", "感染症の患者", "ＨｂＡ１ｃ未満", "患者の医療"]


@pytest.fixture(scope="module")
def ours() -> BigramBM25:
    return BigramBM25([doc_id for doc_id, _ in CORPUS], [text for _, text in CORPUS])


@pytest.fixture(scope="module")
def oracle() -> bm25s.BM25:
    index = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    index.index([char_bigrams(text) for _, text in CORPUS], show_progress=False)
    return index


@pytest.mark.parametrize("query", QUERIES)
def test_scores_and_top5_match_bm25s(ours: BigramBM25, oracle: bm25s.BM25, query: str) -> None:
    tokens = [t for t in dict.fromkeys(char_bigrams(query)) if t in oracle.vocab_dict]
    expected = np.asarray(oracle.get_scores(tokens), dtype=np.float64)
    np.testing.assert_allclose(ours.scores(query), expected, rtol=0, atol=1e-5)

    order = [pos for pos in np.argsort(-expected, kind="stable") if expected[pos] > 0][:5]
    hits = ours.search(query, 5)
    assert [doc_id for doc_id, _ in hits] == [CORPUS[pos][0] for pos in order]
    np.testing.assert_allclose([score for _, score in hits], expected[order], rtol=0, atol=1e-5)


def test_hand_computed_score() -> None:
    # N = 2, "糖尿" in one doc: idf = ln(1 + 1.5/1.5) = ln 2; tf = 1, dl = avgdl = 2: weight = ln 2 / (1 + 1.2)
    index = BigramBM25(["a", "b"], ["糖尿病", "高血圧"])
    assert index.search("糖尿", 5) == [("a", pytest.approx(math.log(2) / 2.2))]


def test_distinct_query_bigrams_count_once(ours: BigramBM25) -> None:
    assert ours.search("糖尿病糖尿病", 8) == ours.search("糖尿病", 8)


def test_ties_are_broken_by_doc_order() -> None:
    index = BigramBM25(["z", "y", "x", "w"], ["高血圧", "医師法", "高血圧", "高血圧"])
    assert [doc_id for doc_id, _ in index.search("血圧", 2)] == ["z", "x"]


def test_only_matching_docs_are_returned(ours: BigramBM25) -> None:
    assert ours.search("骨粗鬆症", 5) == []
    assert ours.search("", 5) == []
    # both law docs hold 医師 twice and 師法 once; law-1 is one character shorter, so it ranks first
    assert [doc_id for doc_id, _ in ours.search("医師法", 10)] == ["law-1", "law-2"]


@pytest.mark.parametrize("k", [0, -1])
def test_search_rejects_non_positive_k(ours: BigramBM25, k: int) -> None:
    with pytest.raises(ValueError, match="k must be positive"):
        ours.search("糖尿病", k)


def test_ids_and_texts_must_pair_up() -> None:
    with pytest.raises(ValueError, match="pair up"):
        BigramBM25(["a", "b"], ["糖尿病"])
