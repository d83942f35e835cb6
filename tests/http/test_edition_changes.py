"""What changed between editions (`GET /v1/documents/{id}/changes?since=`), through every door (the typed client,
the MCP tool `edition_changes`, `rag corpus diff`), and a hit from a superseded edition saying what the edition in
force now recommends: the demo's 2019 and 2025 hypertension editions, read from the stored outlines (PDFs gone)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.cli import app as cli
from rag_service.client import RagClient
from rag_service.server import create_app
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from tests.conftest import demo_entries, write_manifest
from tests.local_server import mcp_tool, serve_in_thread


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("changes")
    manifest = write_manifest(tmp, demo_entries(("demo-htn-2019", "demo-htn-2025", "law-19dc84fdb0")))
    settings = Settings(data_dir=tmp / "var", embedder="none", manifest=manifest)
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, None, manifest, NullProgress())
    store.close()
    for pdf in (tmp / "guidelines").glob("*.pdf"):
        pdf.unlink()
    return settings


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_changes_since_the_edition_it_supersedes(client: TestClient) -> None:
    r = client.get("/v1/documents/demo-htn-2025/changes")  # since: the edition it supersedes
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["edition"]["edition"], doc["since"]["edition"]) == ("2025年版", "2019年版")
    assert doc["summary"] == {"added": 1, "removed": 0, "changed": 2, "unchanged": 5, "regraded": 1,
                              "reworded": 2, "moved": 0}  # fmt: skip
    target = next(s for s in doc["statements"] if s["new"] and s["new"]["cq"] == "CQ2-1")
    assert target["kind"] == "changed" and target["changes"] == ["regraded", "reworded"]
    assert (target["old"]["grade"], target["new"]["grade"]) == ("1B・行うことを強く推奨", "1A・行うことを強く推奨")
    assert {"op": "insert", "text": "130"} in target["text_diff"]
    assert target["old"]["page_start"] and target["new"]["page_start"]  # pages on both sides
    added = [s for s in doc["statements"] if s["kind"] == "added"]
    assert [s["new"]["cq"] for s in added] == ["CQ3-2"]
    assert client.get("/v1/documents/demo-htn-2025/changes", params={"since": "demo-htn-2019"}).json() == doc


def test_changes_errors_name_the_fix(client: TestClient) -> None:
    r = client.get("/v1/documents/demo-htn-2019/changes")  # it supersedes nothing
    assert r.status_code == 422 and "since" in r.json()["detail"]
    r = client.get("/v1/documents/demo-htn-2025/changes", params={"since": "no-such"})
    assert r.status_code == 404 and "no-such" in r.json()["detail"]
    r = client.get("/v1/documents/demo-htn-2025/changes", params={"since": "demo-htn-2025"})
    assert r.status_code == 422


def test_a_superseded_hit_says_what_is_recommended_now(client: TestClient) -> None:
    body = {"query": "成人の降圧目標 140/90", "top_k": 5, "mode": "bm25",
            "filters": {"source_ids": ["demo-htn-2019"], "as_of": "2020-06-01"}}  # fmt: skip
    hits = client.post("/v1/search", json=body).json()["hits"]
    hit = next(h for h in hits if h["citation"]["recommendations"] and h["citation"]["recommendation"]["cq"] == "CQ2-1")
    now = hit["citation"]["now"]
    assert (now["source_id"], now["edition"], now["status"]) == ("demo-htn-2025", "2025年版", "current")
    (statement,) = now["statements"]
    assert statement["kind"] == "changed" and statement["changes"] == ["regraded", "reworded"]
    assert "130/80mmHg未満" in statement["now"]["text"] and statement["now"]["grade"] == "1A・行うことを強く推奨"
    again = client.get(f"/v1/chunks/{hit['chunk_id']}").json()  # the chunk route says the same
    assert again["citation"]["now"] == now
    current = client.post("/v1/search", json={"query": "成人の降圧目標", "top_k": 3, "mode": "bm25"}).json()["hits"]
    assert all(h["citation"]["now"] is None for h in current)  # a current edition's citation needs nothing


def test_every_front_door_gives_the_same_changes(client: TestClient, settings: Settings, tmp_path: Path) -> None:
    want = client.get("/v1/documents/demo-htn-2025/changes").json()
    env = {"RAG_DATA_DIR": str(settings.data_dir), "RAG_EMBEDDER": "none", "RAG_MANIFEST": str(settings.manifest)}
    here = CliRunner().invoke(cli, ["corpus", "diff", "demo-htn-2019", "demo-htn-2025", "--json"], env=env)
    assert here.exit_code == 0, here.output
    assert json.loads(here.output) == want
    text = CliRunner().invoke(cli, ["corpus", "diff", "demo-htn-2019", "demo-htn-2025"], env=env)
    assert text.exit_code == 0 and "[変更：推奨度・文言] CQ2-1" in text.output and "[-140-]{+130+}" in text.output
    missing = CliRunner().invoke(cli, ["corpus", "diff", "nope", "demo-htn-2025"], env=env)
    assert missing.exit_code != 0 and "nope" in missing.output
    copy = settings.model_copy(update={"data_dir": tmp_path / "var"})
    shutil.copytree(settings.data_dir, copy.data_dir)
    with serve_in_thread(create_app(copy)) as port:
        url = f"http://127.0.0.1:{port}"
        with RagClient(url) as rag:
            typed = rag.changes("demo-htn-2025", since="demo-htn-2019")
        assert typed.model_dump(mode="json") == want
        tool = mcp_tool(f"{url}/mcp", "edition_changes", {"source_id": "demo-htn-2025"})
    assert tool == want
