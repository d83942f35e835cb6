"""eval.stats: bootstrap intervals and the paired sign-flip test, on cases whose answers are known by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from eval.stats import Interval, PairedResult, bootstrap_ci, paired_test, sign_flip_p_value


def _varied(n: int = 200, seed: int = 7) -> list[float]:
    return np.random.default_rng(seed).random(n).tolist()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([], Interval(0.0, 0.0, 0.0), id="empty"),
        pytest.param([0.42], Interval(0.42, 0.42, 0.42), id="single-value"),
        pytest.param([0.7] * 30, Interval(0.7, 0.7, 0.7), id="constant-zero-width"),
        # resample means of [0, 1] are 0, 0.5, 1 with chances 1/4, 1/2, 1/4: the 2.5% and 97.5% points are 0 and 1
        pytest.param([0.0, 1.0], Interval(0.5, 0.0, 1.0), id="two-values"),
    ],
)
def test_bootstrap_ci_known_cases(values: list[float], expected: Interval) -> None:
    assert bootstrap_ci(values) == expected


def test_bootstrap_ci_contains_the_mean() -> None:
    values = _varied()
    interval = bootstrap_ci(values)
    assert interval.mean == pytest.approx(float(np.mean(values)))
    assert interval.low < interval.mean < interval.high


def test_bootstrap_ci_narrows_with_a_lower_level() -> None:
    values = _varied()
    wide, narrow = bootstrap_ci(values, level=0.99), bootstrap_ci(values, level=0.5)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_bootstrap_ci_is_deterministic_under_the_seed() -> None:
    values = _varied()
    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)
    assert bootstrap_ci(values, seed=3) != bootstrap_ci(values, seed=4)


@pytest.mark.parametrize(
    "kwargs", [{"n_resamples": 0}, {"level": 0.0}, {"level": 1.0}], ids=["no-resamples", "level-0", "level-1"]
)
def test_bootstrap_ci_rejects_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        bootstrap_ci([0.1, 0.2], **kwargs)


def test_identical_systems_give_p_one_and_no_difference() -> None:
    scores = _varied(50)
    assert paired_test(scores, scores) == PairedResult(mean_diff=0.0, low=0.0, high=0.0, p_value=1.0)


def test_a_clearly_better_system_is_significant() -> None:
    # every flip but the two all-same-sign ones (chance 2/2^50) has a smaller |mean|: count 0, p = 1/10001
    result = paired_test([0.5] * 50, [0.0] * 50)
    assert result == PairedResult(mean_diff=0.5, low=0.5, high=0.5, p_value=1 / 10001)
    assert result.p_value < 0.001


def test_sign_flip_p_value_approaches_the_exact_test() -> None:
    # ten equal differences: exactly 2 of the 2^10 sign patterns reach |mean| = 1, so the exact p is 2/1024
    assert sign_flip_p_value([1.0] * 10) == pytest.approx(2 / 1024, abs=0.0015)


@pytest.mark.parametrize("diffs", [[0.3], [1.0, -1.0], []], ids=["one-query", "cancelling", "none"])
def test_sign_flip_p_value_is_one_when_nothing_can_be_more_extreme(diffs: list[float]) -> None:
    assert sign_flip_p_value(diffs) == 1.0


def test_paired_interval_is_the_bootstrap_of_the_differences() -> None:
    a, b = _varied(seed=1), _varied(seed=2)
    result = paired_test(a, b, n_resamples=2000, seed=5)
    diffs = bootstrap_ci([x - y for x, y in zip(a, b, strict=True)], n_resamples=2000, seed=5)
    assert result.mean_diff == pytest.approx(float(np.mean(a) - np.mean(b)))
    assert (result.low, result.high) == (diffs.low, diffs.high)
    assert result.low < result.mean_diff < result.high


def test_paired_test_is_antisymmetric() -> None:
    a, b = _varied(seed=1), _varied(seed=2)
    forward, backward = paired_test(a, b), paired_test(b, a)
    assert backward.mean_diff == pytest.approx(-forward.mean_diff)
    assert (backward.low, backward.high) == pytest.approx((-forward.high, -forward.low))
    assert backward.p_value == forward.p_value


def test_paired_test_is_deterministic_under_the_seed() -> None:
    a = _varied(seed=1)
    b = [x + noise for x, noise in zip(a, _varied(seed=2), strict=True)]
    assert paired_test(a, b, seed=11) == paired_test(a, b, seed=11)
    assert paired_test(a, b, seed=11) != paired_test(a, b, seed=12)


def test_paired_test_rejects_unequal_lengths() -> None:
    with pytest.raises(ValueError, match="same queries"):
        paired_test([0.1, 0.2, 0.3], [0.1, 0.2])
