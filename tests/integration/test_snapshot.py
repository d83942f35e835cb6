"""`rag snapshot create|restore`: restore-then-search gives the hits of the moment the snapshot was taken, with and
without a running server; a bad file or a running server is refused with a message."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx

from eval.kill_ingest import REPO, law_manifest
from tests.integration.test_faults import RAG, _serve
from tests.local_server import free_port

QUERIES = ("医師 届出", "未成年者 喫煙", "薬剤師 調剤 義務")


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_EMBEDDER": "none", "HF_HUB_OFFLINE": "1",
            "RAG_PORT": str(free_port())}  # fmt: skip


def _rag(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RAG, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=600)


def _hits(env: dict[str, str]) -> list[list[str]]:
    out = []
    for q in QUERIES:
        r = _rag(env, "search", q, "--json", "--mode", "bm25", "-k", "5")
        assert r.returncode == 0, r.stderr
        out.append([h["chunk_id"] for h in json.loads(r.stdout)["hits"]])
    return out


def test_restore_then_search_gives_the_snapshot_hits(law_index: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    shutil.copytree(law_index[0], data_dir)
    env = _env(data_dir)
    before = _hits(env)
    snap = tmp_path / "backup" / "index.tar.gz"
    made = _rag(env, "snapshot", "create", str(snap))
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["editions"] == 2

    more = law_manifest(tmp_path / "more", 12)
    assert _rag(env, "ingest", "--manifest", str(more)).returncode == 0  # the index changes after the snapshot
    assert _hits(env) != before

    restored = _rag(env, "snapshot", "restore", str(snap))
    assert restored.returncode == 0, restored.stderr
    assert _hits(env) == before

    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not a tar")
    refused = _rag(env, "snapshot", "restore", str(bad))
    assert refused.returncode == 1 and "not a readable snapshot" in refused.stderr and _hits(env) == before


def test_snapshot_through_a_running_server(law_index: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    shutil.copytree(law_index[0], data_dir)
    env = _env(data_dir)
    server = _serve(env)
    url = f"http://127.0.0.1:{env['RAG_PORT']}"
    try:
        before = httpx.post(f"{url}/v1/search", json={"query": QUERIES[0], "mode": "bm25"}, timeout=30).json()["hits"]
        snap = tmp_path / "live.tar.gz"
        made = _rag(env, "snapshot", "create", str(snap))  # handed to the server, which holds the store
        assert made.returncode == 0, made.stderr
        refused = _rag(env, "snapshot", "restore", str(snap))
        assert refused.returncode == 1 and "stop it" in refused.stderr
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    shutil.rmtree(data_dir / "index")
    assert _rag(env, "snapshot", "restore", str(snap)).returncode == 0
    server = _serve(env)
    try:
        after = httpx.post(f"{url}/v1/search", json={"query": QUERIES[0], "mode": "bm25"}, timeout=30).json()["hits"]
        assert [h["chunk_id"] for h in after] == [h["chunk_id"] for h in before]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    audit = (data_dir / "audit.jsonl").read_text(encoding="utf-8")
    assert '"action": "snapshot"' in audit
