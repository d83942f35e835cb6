"""Statistics for retrieval evaluation: pure functions over per-query scores (no I/O, no models).

`bootstrap_ci` is a percentile bootstrap over queries; `paired_test` compares two systems on the same
queries with a bootstrap interval of the mean difference and a two-sided paired sign-flip randomisation
test. Both draw from `numpy.random.default_rng(seed)`, so a seed gives the same numbers on every run.
Resamples are drawn in fixed-size blocks, which bounds memory without changing the draws for a seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_BLOCK = 1000  # resamples drawn per block: memory ~ _BLOCK × n_queries × 8 bytes
_TIE_RTOL = 1e-9  # relative slack so a flipped mean equal to the observed one up to rounding counts as extreme

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Interval:
    """A sample mean with the low and high ends of its bootstrap confidence interval."""

    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class PairedResult:
    """mean(a) − mean(b), the bootstrap 95% interval of that difference, and the sign-flip test's p-value."""

    mean_diff: float
    low: float
    high: float
    p_value: float


def _as_array(values: Sequence[float]) -> FloatArray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _check_resamples(n_resamples: int) -> None:
    if n_resamples <= 0:
        raise ValueError(f"n_resamples must be positive, got {n_resamples}")


def _block_sizes(n_resamples: int) -> list[int]:
    full, rest = divmod(n_resamples, _BLOCK)
    return [_BLOCK] * full + ([rest] if rest else [])


def _bootstrap_means(values: FloatArray, n_resamples: int, rng: np.random.Generator) -> FloatArray:
    """Means of `n_resamples` resamples of `values` drawn with replacement."""
    n = values.size
    blocks = [values[rng.integers(0, n, size=(size, n))].mean(axis=1) for size in _block_sizes(n_resamples)]
    return np.concatenate(blocks)


def _sign_flip_means(diffs: FloatArray, n_resamples: int, rng: np.random.Generator) -> FloatArray:
    """Means of `diffs` with each sign flipped by a fair coin, once per resample."""
    n = diffs.size
    blocks = [
        (rng.integers(0, 2, size=(size, n)) * 2 - 1).astype(np.float64) @ diffs / n
        for size in _block_sizes(n_resamples)
    ]
    return np.concatenate(blocks)


def _percentile_interval(means: FloatArray, level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return float(low), float(high)


def _interval(data: FloatArray, n_resamples: int, seed: int, level: float) -> Interval:
    _check_resamples(n_resamples)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    if data.size == 0:
        return Interval(0.0, 0.0, 0.0)
    if np.all(data == data[0]):
        return Interval(float(data[0]), float(data[0]), float(data[0]))  # exact, not a rounded sum / n
    mean = float(data.mean())
    low, high = _percentile_interval(_bootstrap_means(data, n_resamples, np.random.default_rng(seed)), level)
    return Interval(mean, low, high)


def _p_value(diffs: FloatArray, n_resamples: int, seed: int) -> float:
    _check_resamples(n_resamples)
    if diffs.size == 0:
        return 1.0
    observed = abs(float(diffs.mean()))
    flipped = np.abs(_sign_flip_means(diffs, n_resamples, np.random.default_rng(seed)))
    extreme = int(np.count_nonzero(flipped >= observed * (1.0 - _TIE_RTOL)))
    return (extreme + 1) / (n_resamples + 1)


def bootstrap_ci(values: Sequence[float], n_resamples: int = 2000, seed: int = 0, level: float = 0.95) -> Interval:
    """Percentile bootstrap interval of the mean over queries.

    An empty sequence gives (0, 0, 0); a constant one (a single value included) gives (v, v, v).
    """
    return _interval(_as_array(values), n_resamples, seed, level)


def sign_flip_p_value(diffs: Sequence[float], n_resamples: int = 10000, seed: int = 0) -> float:
    """Two-sided paired randomisation test of a zero mean: each difference's sign is flipped by a fair coin.

    p = (count(|flipped mean| ≥ |observed mean|) + 1) / (n_resamples + 1); no differences give 1.0.
    """
    return _p_value(_as_array(diffs), n_resamples, seed)


def paired_test(a: Sequence[float], b: Sequence[float], n_resamples: int = 10000, seed: int = 0) -> PairedResult:
    """Compare system a with system b on the same queries (a[i] and b[i] score query i).

    mean_diff is mean(a) − mean(b); low and high bound the percentile bootstrap 95% interval of the mean
    per-query difference (the same draws as `bootstrap_ci(a − b, n_resamples, seed)`); p_value is the
    two-sided sign-flip test of a zero mean difference. Empty inputs give (0, 0, 0, 1).
    """
    if len(a) != len(b):
        raise ValueError(f"a and b must score the same queries: got {len(a)} and {len(b)} values")
    first, second = _as_array(a), _as_array(b)
    diffs = first - second
    interval = _interval(diffs, n_resamples, seed, level=0.95)
    mean_diff = float(first.mean() - second.mean()) if diffs.size else 0.0
    p_value = _p_value(diffs, n_resamples, seed)
    return PairedResult(mean_diff=mean_diff, low=interval.low, high=interval.high, p_value=p_value)
