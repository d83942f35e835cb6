"""Faults lose nothing: `rag ingest` killed with SIGKILL at random points (a few here; `python -m eval.kill_ingest 30`
is the benchmark), a disk that fills up during ingestion (a small tmpfs), and a server killed mid-ingest that must
open the index and serve again after a restart."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from eval.kill_ingest import REPO, catalog_summary, check_consistent, ingest, kill_loop, law_manifest
from tests.local_server import free_port

RAG = [sys.executable, "-m", "rag_service.cli"]


def test_sigkill_at_random_points_never_exposes_a_half_ingested_edition(tmp_path: Path) -> None:
    outcome = kill_loop(kills=3, work=tmp_path, n_laws=24, seed=7)
    assert outcome["editions"] == 24 and outcome["killed"] >= 1


@contextmanager
def small_disk(path: Path, megabytes: int) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RAG, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_a_disk_that_fills_up_stops_ingestion_cleanly_and_search_answers(tmp_path: Path) -> None:
    small = law_manifest(tmp_path / "small", 2)
    big = law_manifest(tmp_path / "big", 60, skip=2)
    with small_disk(tmp_path / "disk", 100) as disk:
        env = {**os.environ, "RAG_DATA_DIR": str(disk / "var"), "RAG_EMBEDDER": "none", "HF_HUB_OFFLINE": "1",
               "RAG_MIN_FREE_MB": "40"}  # fmt: skip
        assert _run(env, "ingest", "--manifest", str(small)).returncode == 0
        before = catalog_summary(disk / "var")
        free_mb = shutil.disk_usage(disk).free // 2**20
        (disk / "ballast").write_bytes(b"\0" * ((free_mb - 52) * 2**20))  # ~52 MiB left: a few editions fit
        run = _run(env, "ingest", "--manifest", str(big))
        assert run.returncode == 1, run.stdout + run.stderr
        message = " ".join(run.stderr.split())
        assert "MiB free under" in message and "RAG_MIN_FREE_MB=40" in message and "Traceback" not in run.stderr
        after = catalog_summary(disk / "var")
        assert set(before) <= set(after)  # the previous catalog is intact (editions written before the stop stay)
        check_consistent(disk / "var")  # every edition the catalog names is whole
        found = _run(env, "search", "医師 届出", "--json")
        assert found.returncode == 0 and "chunk_id" in found.stdout
        (disk / "ballast").unlink()
        assert _run(env, "ingest", "--manifest", str(big)).returncode == 0  # with space again, the run completes


def _serve(env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen([*RAG, "serve"], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    url = f"http://127.0.0.1:{env['RAG_PORT']}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"rag serve exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail("rag serve did not become healthy in 90 s")


def test_a_server_killed_mid_ingest_opens_and_serves_after_a_restart(tmp_path: Path) -> None:
    first = law_manifest(tmp_path / "first", 2)
    more = law_manifest(tmp_path / "more", 40)
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "var"), "RAG_EMBEDDER": "none", "HF_HUB_OFFLINE": "1",
           "RAG_PORT": str(free_port())}  # fmt: skip
    ingest(tmp_path / "var", first)
    server = _serve(env)
    url = f"http://127.0.0.1:{env['RAG_PORT']}"
    try:
        handed = subprocess.Popen([*RAG, "ingest", "--manifest", str(more)], env=env, cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(2.5)  # the server is writing the new editions
        server.send_signal(signal.SIGKILL)  # a power cut
        server.wait()
        handed.wait(timeout=60)
    finally:
        server.kill()
    check_consistent(tmp_path / "var")
    server = _serve(env)
    try:
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        hits = httpx.post(f"{url}/v1/search", json={"query": "医師 届出", "mode": "bm25"}, timeout=30).json()["hits"]
        assert hits and all(h["citation"]["title"] for h in hits)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    ingest(tmp_path / "var", more)  # and the interrupted work completes
    check_consistent(tmp_path / "var")
