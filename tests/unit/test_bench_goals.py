"""Issue 20's goals read off a benchmark run: the figures, today's code beside them, met or not."""

from __future__ import annotations

from eval.bench_goals import goal_rows, goals_markdown


def _mode(p50: float, rps: float) -> dict[str, float]:
    return {"p50_ms": p50, "requests_per_s": rps}


SEARCH = {
    "sizes": [
        {
            "chunks": 100_000,
            "http": {"hybrid": _mode(5.5, 150), "rss_after_load_mb": 900},
            "http_extra": {"8": {"hybrid": _mode(50, 120)}},
            "edge_in_process": {"hybrid": _mode(4.5, 0), "bm25": _mode(0.9, 0)},
            "bm25s": {"bm25": {"p50_ms": 0.6}},
            "baseline": {
                "http": {"hybrid": _mode(10.6, 84)},
                "http_extra": {"8": {"hybrid": _mode(90, 83)}},
                "edge_in_process": {"hybrid": _mode(9.9, 0), "bm25": _mode(2.7, 0)},
            },
        },
        {
            "chunks": 1_000_000,
            "http": {"hybrid": _mode(11.0, 80), "rss_after_load_mb": 4200},
            "edge_in_process": {"hybrid": _mode(12.0, 0)},
            "build": {"upsert_s": 300.0, "flush_s": 1.0, "optimize_s": 500.0},
        },
    ]
}
REINDEX = {
    "runs": {
        "ours": {"phases": {"idle": {"errors": 0}, "during": {"errors": 0}}, "p99_during_over_idle": 2.5},
        "baseline": {"phases": {"idle": {"errors": 0}, "during": {"errors": 3}}, "p99_during_over_idle": 40.0},
    }
}


def test_every_goal_with_its_figure_baseline_and_verdict() -> None:
    rows = {r.goal: r for r in goal_rows(SEARCH, REINDEX)}
    http = rows["100k, c=1: HTTP hybrid p50 ≤ 6 ms"]
    assert (http.ours, http.baseline, http.met) == (5.5, 10.6, True)
    assert rows["100k, c=1: in-process hybrid p50 ≤ 4 ms"].met is False
    bm25 = rows["100k: bm25 mode in process ≤ 1.5× bm25s"]
    assert (bm25.ours, bm25.baseline, bm25.met) == (1.5, 4.5, True)
    assert rows["100k, c=8: hybrid ≥ 150 req/s"].met is False
    assert rows["1M: index build (upsert + HNSW) ≤ 10 min"].ours == 801.0
    assert rows["1M: server RSS ≤ 4 GB"].met is False and rows["1M: HTTP hybrid p50 ≤ 12 ms"].met is True
    assert rows["1M: HTTP hybrid p50 ≤ 12 ms"].baseline is None  # no baseline at that size in this run
    ingest = rows["ingest under c=4 search: p99 ≤ 5× idle"]
    assert (ingest.ours, ingest.baseline, ingest.met) == (2.5, 40.0, True)
    errors = rows["ingest under c=4 search: zero errors"]
    assert (errors.ours, errors.baseline, errors.met) == (0, 3, True)


def test_a_run_without_a_size_or_benchmark_leaves_its_goals_unmeasured() -> None:
    rows = goal_rows({"sizes": []}, None)
    assert len(rows) == 10 and all(r.met is None and r.ours is None for r in rows)
    md = goals_markdown(rows)
    assert md.count("\n") == 11 and "| 100k, c=1: HTTP hybrid p50 ≤ 6 ms | – ms | – | – |" in md
