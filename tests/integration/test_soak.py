"""The soak in miniature (the 5-minute run is `python -m eval.soak`): a real server under closed-loop load answers
every request, and the report has what the benchmark needs (windows, p95, RSS)."""

from __future__ import annotations

from pathlib import Path

from eval.soak import build_index, soak


def test_a_short_soak_answers_every_request(tmp_path: Path) -> None:
    data_dir = build_index(tmp_path, n_laws=2)
    result = soak(data_dir, seconds=4, concurrency=2, window_s=2, log=tmp_path / "server.log")
    assert result["errors"] == 0, [w["error_sample"] for w in result["windows"]]
    assert len(result["windows"]) >= 2 and result["requests"] > 0
    assert all(w["rss_mb"] > 0 and w["p95_ms"] >= w["p50_ms"] for w in result["windows"])
