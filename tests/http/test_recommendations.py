"""`GET /v1/recommendations` and every other door onto the same use case (the typed client, the MCP tool
`list_recommendations`, `rag recommendations`): the demo guideline's statements, each with its own grade and pages and
its edition's citation fields, read from the outlines ingestion stored (the PDFs may be gone)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    tmp = tmp_path_factory.mktemp("recs")
    manifest = write_manifest(tmp, demo_entries(("demo-htn-2019", "demo-htn-2025", "law-19dc84fdb0")))
    settings = Settings(data_dir=tmp / "var", embedder="none", manifest=manifest)
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, None, manifest, NullProgress())
    store.close()
    for pdf in (tmp / "guidelines").glob("*.pdf"):
        pdf.unlink()  # read from the stored outlines: no PDF is opened
    return settings


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def listed(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/v1/recommendations", params=params)
    assert r.status_code == 200, r.text
    recs: list[dict[str, Any]] = r.json()["recommendations"]
    return recs


def test_the_current_editions_statements_with_their_grades_pages_and_citation(client: TestClient) -> None:
    recs = listed(client)
    assert [r["cq"] for r in recs] == ["CQ1-1", "CQ1-2", "CQ2-1", "CQ2-2", "CQ3-1", "CQ3-2", "CQ4-1", "CQ4-2"]
    assert {(r["source_id"], r["edition"], r["status"]) for r in recs} == {("demo-htn-2025", "2025年版", "current")}
    salt = next(r for r in recs if r["cq"] == "CQ3-1")
    assert salt["text"].startswith("高血圧患者には、食塩摂取量を1日6g未満とする減塩指導")
    assert (salt["strength"], salt["certainty"], salt["direction"], salt["grade"]) == (
        1,
        "A",
        "for",
        "1A・行うことを強く推奨",
    )
    assert (salt["page_start"], salt["page_end"]) == (3, 4) and salt["section_path"][0] == "第3章 生活習慣の修正"
    assert salt["title"] and salt["publisher"] and salt["published"] == "2025-04-01"


@pytest.mark.parametrize(
    ("params", "cqs"),
    [
        ({"cq": "CQ2"}, ["CQ2-1", "CQ2-2"]),  # a CQ and its parts
        ({"cq": "ｃｑ２－１"}, ["CQ2-1"]),  # full width, any case
        ({"q": "減塩"}, ["CQ3-1"]),
        ({"direction": "against"}, ["CQ4-2"]),
        ({"strength": 2}, ["CQ1-2", "CQ2-2", "CQ4-2"]),
        ({"strength": 1, "cq": "CQ3"}, ["CQ3-1", "CQ3-2"]),
        ({"source_id": "law-19dc84fdb0"}, []),  # a statute holds no recommendation
        ({"cq": "CQ9"}, []),
    ],
)
def test_filters(client: TestClient, params: dict[str, Any], cqs: list[str]) -> None:
    assert [r["cq"] for r in listed(client, **params)] == cqs


def test_the_superseded_edition_is_listed_when_asked_for(client: TestClient) -> None:
    old = listed(client, status="superseded")
    assert old and {r["source_id"] for r in old} == {"demo-htn-2019"}
    both = listed(client, status=["current", "superseded"], cq="CQ2-1")
    assert [r["source_id"] for r in both] == ["demo-htn-2019", "demo-htn-2025"]


def test_bad_filters_are_refused_with_the_field(client: TestClient) -> None:
    for params in ({"direction": "sideways"}, {"strength": 3}, {"status": "gone"}):
        r = client.get("/v1/recommendations", params=params)
        assert r.status_code == 422, (params, r.text)


def test_an_edition_without_a_stored_outline_is_named(settings: Settings, tmp_path: Path) -> None:
    import shutil

    copy = settings.model_copy(update={"data_dir": tmp_path / "var"})
    shutil.copytree(settings.data_dir, copy.data_dir)
    for f in (copy.index_dir / "outlines").glob("*.json"):
        f.unlink()
    with TestClient(create_app(copy)) as c:
        doc = c.get("/v1/recommendations").json()
    assert doc == {"recommendations": [], "editions_without_outline": ["demo-htn-2025", "law-19dc84fdb0"]}


def test_every_front_door_lists_the_same(client: TestClient, settings: Settings, tmp_path: Path) -> None:
    """The typed client, the MCP tool and `rag recommendations` (in process and through the service) agree."""
    import shutil

    want = client.get("/v1/recommendations", params={"cq": "CQ2"}).json()
    env = {"RAG_DATA_DIR": str(settings.data_dir), "RAG_EMBEDDER": "none", "RAG_MANIFEST": str(settings.manifest)}
    here = CliRunner().invoke(cli, ["recommendations", "--cq", "CQ2", "--json"], env=env)  # beside the serving app
    assert here.exit_code == 0, here.output
    assert json.loads(here.output) == want
    text = CliRunner().invoke(cli, ["recommendations", "--strength", "2", "--direction", "against"], env=env)
    assert text.exit_code == 0 and "CQ4-2" in text.output and "2B・行わないことを弱く推奨" in text.output
    copy = settings.model_copy(update={"data_dir": tmp_path / "var"})  # the embedded store belongs to one app
    shutil.copytree(settings.data_dir, copy.data_dir)
    with serve_in_thread(create_app(copy)) as port:
        url = f"http://127.0.0.1:{port}"
        with RagClient(url) as rag:
            typed = rag.recommendations(cq="CQ2")
        assert typed.model_dump(mode="json") == want
        remote = CliRunner().invoke(cli, ["recommendations", "--cq", "CQ2", "--json", "--base-url", url], env=env)
        assert remote.exit_code == 0 and json.loads(remote.output) == want
        tool = mcp_tool(f"{url}/mcp", "list_recommendations", {"cq": "CQ2"})
    assert tool == want
