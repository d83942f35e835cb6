"""The search benchmark's pure helpers: percentiles, replica counts, memory per 100k chunks."""

from __future__ import annotations

import numpy as np
import pytest

from eval.bench_common import per_100k, percentile, replica_count


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 50, 5.0),
        ([5.0], 95, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 0, 1.0),
        ([4.0, 1.0, 3.0, 2.0], 100, 4.0),
        ([10.0, 20.0], 95, 19.5),
    ],
)
def test_percentile_table(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


@pytest.mark.parametrize("q", [0, 5, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy_linear(q: float) -> None:
    values = [float(x) for x in np.random.default_rng(7).gamma(2.0, 10.0, size=101)]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_rejects_empty_and_out_of_range() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="within"):
        percentile([1.0], 101)


@pytest.mark.parametrize(
    ("n_base", "size", "expected"),
    [(5705, 10_000, 2), (5705, 100_000, 18), (5705, 5705, 1), (5705, 100, 1), (100, 1000, 10)],
)
def test_replica_count(n_base: int, size: int, expected: int) -> None:
    assert replica_count(n_base, size) == expected


def test_replica_count_rejects_empty_base() -> None:
    with pytest.raises(ValueError, match="empty"):
        replica_count(0, 10)


def test_per_100k_slope_and_absolute() -> None:
    assert per_100k({10_000: 400.0, 100_000: 850.0}) == {"slope_mb_per_100k": 500.0, "absolute_mb_per_100k": 850.0}
    assert per_100k({50_000: 300.0}) == {"slope_mb_per_100k": None, "absolute_mb_per_100k": 600.0}
