"""Rank fusion: hand-computed RRF / DBSF / convex cases and Hypothesis properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag_service.fusion import fuse

BM25 = [("a", 12.0), ("b", 9.0), ("c", 3.0)]
DENSE = [("c", 0.61), ("a", 0.58)]


def test_rrf_is_qdrants_formula_with_0_based_ranks() -> None:
    got = dict(fuse({"bm25": BM25, "dense": DENSE}, "rrf", rrf_k=2))
    assert got["a"] == pytest.approx(1 / 2 + 1 / 3)
    assert got["b"] == pytest.approx(1 / 3)
    assert got["c"] == pytest.approx(1 / 4 + 1 / 2)


def test_dbsf_maps_mean_plus_minus_three_sigma() -> None:
    scores = [12.0, 9.0, 3.0]
    mean = sum(scores) / 3
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / 2)
    got = dict(fuse({"bm25": BM25}, "dbsf"))
    assert got["a"] == pytest.approx((12.0 - (mean - 3 * std)) / (6 * std))
    # a one-item leg scores 0.5, as the engine does
    assert dict(fuse({"dense": [("x", 0.9)]}, "dbsf")) == {"x": 0.5}


def test_convex_weights_normalised_scores() -> None:
    got = dict(fuse({"bm25": BM25, "dense": DENSE}, "convex", {"bm25": 1.0, "dense": 0.5}))
    assert got["a"] == pytest.approx(1.0 + 0.5 * 0.0)
    assert got["b"] == pytest.approx((9 - 3) / 9)
    assert got["c"] == pytest.approx(0.0 + 0.5 * 1.0)


def test_a_zero_weight_leaves_a_leg_out() -> None:
    assert [i for i, _ in fuse({"bm25": BM25, "dense": DENSE}, "dbsf", {"bm25": 1.0, "dense": 0.0})] == ["a", "b", "c"]
    assert fuse({"bm25": BM25}, "rrf", {"bm25": 0.0}) == []


def test_weights_change_who_wins() -> None:
    bm25_first = fuse({"bm25": BM25, "dense": DENSE}, "convex", {"bm25": 1.0, "dense": 0.2})
    dense_first = fuse({"bm25": BM25, "dense": DENSE}, "convex", {"bm25": 0.2, "dense": 1.0})
    assert bm25_first[0][0] == "a" and dense_first[0][0] == "c"


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="rrf, dbsf or convex"):
        fuse({"bm25": BM25}, "sum")  # type: ignore[arg-type]


legs_strategy = st.dictionaries(
    st.sampled_from(["bm25", "bigram", "dense"]),
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.floats(-5, 50, allow_nan=False)), max_size=8, unique_by=lambda t: t[0]
    ),
)


@given(legs_strategy, st.sampled_from(["rrf", "dbsf", "convex"]))
def test_fusion_is_deterministic_and_covers_the_union(legs: dict, method: str) -> None:
    ranked = {name: sorted(items, key=lambda t: -t[1]) for name, items in legs.items()}
    a = fuse(ranked, method)  # type: ignore[arg-type]
    b = fuse(dict(reversed(list(ranked.items()))), method)  # type: ignore[arg-type]
    assert {i for i, _ in a} == {i for items in ranked.values() for i, _ in items}
    assert [s for _, s in a] == sorted((s for _, s in a), reverse=True)
    assert {i: round(s, 9) for i, s in a} == {i: round(s, 9) for i, s in b}
    assert a == fuse(ranked, method)  # type: ignore[arg-type]
