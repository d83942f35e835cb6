"""Issue 20's goals read off one `rag bench` run: each figure, beside today's code where the run measured it.

Pure: `goal_rows(search, reindex)` takes the search benchmark's and the re-index benchmark's JSON documents (either
may be missing) and returns one row per goal: the figure for our code, the same figure for the baseline checkout
when the run served one (`--baseline-root`), and whether the goal is met. `goals_markdown` renders them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Doc = dict[str, Any]


@dataclass(frozen=True)
class GoalRow:
    goal: str
    ours: float | None
    baseline: float | None
    met: bool | None  # None: not measured in this run
    unit: str


def _get(doc: Any, *path: str | int) -> Any:
    for p in path:
        if isinstance(doc, dict) and p in doc:
            doc = doc[p]
        else:
            return None
    return doc


def _size(search: Doc | None, chunks: int) -> Doc | None:
    for run in (search or {}).get("sizes", []):
        if run.get("chunks") == chunks:
            found: Doc = run
            return found
    return None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def _build_s(run: Doc | None) -> float | None:
    build = _get(run, "build")
    if not isinstance(build, dict):
        return None
    return round(sum(float(build.get(k, 0.0)) for k in ("upsert_s", "flush_s", "optimize_s")), 1)


def goal_rows(search: Doc | None, reindex: Doc | None) -> list[GoalRow]:
    """One row per goal of the issue, from whatever the run measured."""
    rows: list[GoalRow] = []

    def row(
        goal: str, unit: str, pick: Callable[[Doc | None], float | None], run: Doc | None, ok: Callable[[float], bool]
    ) -> None:
        ours = pick(run)
        base = pick(_get(run, "baseline")) if run is not None else None
        rows.append(GoalRow(goal, ours, base, None if ours is None else ok(ours), unit))

    k100, m1 = _size(search, 100_000), _size(search, 1_000_000)
    row(
        "100k, c=1: HTTP hybrid p50 ≤ 6 ms", "ms", lambda r: _get(r, "http", "hybrid", "p50_ms"), k100, lambda v: v <= 6
    )
    row(
        "100k, c=1: in-process hybrid p50 ≤ 4 ms",
        "ms",
        lambda r: _get(r, "edge_in_process", "hybrid", "p50_ms"),
        k100,
        lambda v: v <= 4,
    )
    bm25s = _get(k100, "bm25s", "bm25", "p50_ms")
    row(
        "100k: bm25 mode in process ≤ 1.5× bm25s",
        "× bm25s",
        lambda r: _ratio(_get(r, "edge_in_process", "bm25", "p50_ms"), bm25s),
        k100,
        lambda v: v <= 1.5,
    )
    row(
        "100k, c=8: hybrid ≥ 150 req/s",
        "req/s",
        lambda r: _get(r, "http_extra", "8", "hybrid", "requests_per_s"),
        k100,
        lambda v: v >= 150,
    )
    row(
        "1M: in-process hybrid p50 ≤ 10 ms",
        "ms",
        lambda r: _get(r, "edge_in_process", "hybrid", "p50_ms"),
        m1,
        lambda v: v <= 10,
    )
    row("1M: HTTP hybrid p50 ≤ 12 ms", "ms", lambda r: _get(r, "http", "hybrid", "p50_ms"), m1, lambda v: v <= 12)
    row("1M: server RSS ≤ 4 GB", "MB", lambda r: _get(r, "http", "rss_after_load_mb"), m1, lambda v: v <= 4096)
    row("1M: index build (upsert + HNSW) ≤ 10 min", "s", _build_s, m1, lambda v: v <= 600)
    runs = _get(reindex, "runs") or {}
    ours, base = runs.get("ours"), runs.get("baseline")
    ratio = _get(ours, "p99_during_over_idle")
    rows.append(
        GoalRow("ingest under c=4 search: p99 ≤ 5× idle", ratio, _get(base, "p99_during_over_idle"), _ok(ratio, 5), "×")
    )
    errors = _errors(ours)
    rows.append(GoalRow("ingest under c=4 search: zero errors", errors, _errors(base), _zero(errors), "errors"))
    return rows


def _ok(value: float | None, bound: float) -> bool | None:
    return None if value is None else value <= bound


def _zero(value: float | None) -> bool | None:
    return None if value is None else value == 0


def _errors(run: Doc | None) -> float | None:
    phases = _get(run, "phases")
    if not isinstance(phases, dict):
        return None
    return float(sum(int(p.get("errors", 0)) for p in phases.values()))


def goals_markdown(rows: list[GoalRow]) -> str:
    def cell(v: float | None) -> str:
        return "–" if v is None else f"{v:g}"

    lines = [
        "| goal | ours | today's code (same run) | met |",
        "|---|---:|---:|---|",
    ]
    for r in rows:
        met = "–" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.goal} | {cell(r.ours)} {r.unit} | {cell(r.baseline)} | {met} |")
    return "\n".join(lines)
