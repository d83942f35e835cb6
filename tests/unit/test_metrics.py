"""Table tests for eval.metrics with values computed by hand (gain 2^rel − 1, discount log2(rank + 1))."""

from __future__ import annotations

import math

import pytest

from eval.metrics import dcg_at_k, mean, mrr_at_k, ndcg_at_k, recall_at_k

LOG2_3 = math.log2(3)  # discount at rank 2

# ranking, qrels, k, nDCG, recall, MRR
CASES = [
    pytest.param(["a"], {"a": 1}, 10, 1.0, 1.0, 1.0, id="single-hit-at-1"),
    pytest.param(["x", "a"], {"a": 1}, 10, 1 / LOG2_3, 1.0, 0.5, id="binary-hit-at-2"),
    pytest.param(["x", "y", "a"], {"a": 1}, 2, 0.0, 0.0, 0.0, id="hit-beyond-k"),
    pytest.param(["x", "y"], {}, 10, 0.0, 0.0, 0.0, id="no-relevant-docs"),
    pytest.param([], {"a": 1}, 10, 0.0, 0.0, 0.0, id="empty-ranking"),
    # graded: DCG@3 = 3/log2(3); ideal grades (2, 1, 1) → 3/1 + 1/log2(3) + 1/2
    pytest.param(
        ["a", "b", "c", "d"],
        {"b": 2, "d": 1, "e": 1},
        3,
        (3 / LOG2_3) / (3 + 1 / LOG2_3 + 0.5),
        1 / 3,
        0.5,
        id="graded-nmle-style",
    ),
    # the grade-2 doc first, a grade-1 doc at rank 3: (3 + 1/2) / (3 + 1/log2(3))
    pytest.param(["b", "x", "d"], {"b": 2, "d": 1}, 10, 3.5 / (3 + 1 / LOG2_3), 1.0, 1.0, id="graded-swap"),
    # a duplicate counts once, at its first rank: top 2 = [a, b]
    pytest.param(["a", "a", "b"], {"b": 1}, 2, 1 / LOG2_3, 1.0, 0.5, id="duplicate-ids"),
    # grade 0 in the qrels is not relevant
    pytest.param(["a", "b"], {"a": 0, "b": 1}, 10, 1 / LOG2_3, 1.0, 0.5, id="grade-zero"),
    # two relevant, one retrieved at rank 1, k smaller than the relevant set's ideal length
    pytest.param(["a", "x"], {"a": 1, "b": 1}, 1, 1.0, 0.5, 1.0, id="k-1-ideal-truncated"),
]


@pytest.mark.parametrize(("ranked", "qrels", "k", "ndcg", "recall", "mrr"), CASES)
def test_metric_table(ranked: list[str], qrels: dict[str, int], k: int, ndcg: float, recall: float, mrr: float) -> None:
    assert ndcg_at_k(ranked, qrels, k) == pytest.approx(ndcg)
    assert recall_at_k(ranked, qrels, k) == pytest.approx(recall)
    assert mrr_at_k(ranked, qrels, k) == pytest.approx(mrr)


def test_dcg_uses_exponential_gain() -> None:
    # grade 3 at rank 1 → 7; grade 2 at rank 2 → 3 / log2(3)
    assert dcg_at_k(["a", "b"], {"a": 3, "b": 2}, 2) == pytest.approx(7 + 3 / LOG2_3)


def test_ndcg_is_within_unit_interval_for_any_order() -> None:
    qrels = {"a": 2, "b": 1, "c": 1}
    for ranked in (["a", "b", "c"], ["c", "b", "a"], ["x", "c", "y", "a"]):
        assert 0.0 <= ndcg_at_k(ranked, qrels, 10) <= 1.0
    assert ndcg_at_k(["a", "b", "c"], qrels, 10) == pytest.approx(1.0)


@pytest.mark.parametrize("fn", [ndcg_at_k, recall_at_k, mrr_at_k])
def test_k_must_be_positive(fn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="k must be positive"):
        fn(["a"], {"a": 1}, 0)


@pytest.mark.parametrize(("values", "expected"), [([], 0.0), ([1.0], 1.0), ([1.0, 2.0], 1.5), ((0.25, 0.75), 0.5)])
def test_mean(values: list[float], expected: float) -> None:
    assert mean(values) == pytest.approx(expected)
