"""What the librarian checks after adding a guideline: `rag corpus show ID` and `GET /v1/documents/{id}/outline`
list the section tree with pages, every recommendation with its own grade and pages, from the demo guideline PDF.
Both read the outline ingestion wrote beside the index: with the source file gone they answer the same."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.cli import app
from rag_service.server import create_app
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from tests.conftest import demo_entries, write_manifest

runner = CliRunner()


def test_outline_of_the_demo_guideline(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, demo_entries(("demo-htn-2019", "demo-htn-2025")))
    settings = Settings(data_dir=tmp_path / "var", embedder="none", manifest=manifest)
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, None, manifest, NullProgress())
    store.close()

    env = {"RAG_DATA_DIR": str(settings.data_dir), "RAG_EMBEDDER": "none", "RAG_MANIFEST": str(manifest)}
    shown = runner.invoke(app, ["corpus", "show", "demo-htn-2025", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    outline = json.loads(shown.output)
    assert outline["chunks"] == outline["indexed_chunks"] > 0 and outline["unusable_pages"] == []
    recs = outline["recommendations"]
    assert recs and all(r["cq"].startswith("CQ") and r["grade"]["strength"] in (1, 2) and r["grade"]["certainty"]
                        for r in recs)  # fmt: skip
    assert all(1 <= r["page_start"] <= r["page_end"] <= outline["pages"] for r in recs)
    text = runner.invoke(app, ["corpus", "show", "demo-htn-2025"], env=env)
    assert text.exit_code == 0 and "推奨 " in text.output and "2C・行うことを弱く推奨" in text.output

    (tmp_path / "guidelines" / "demo_htn_2025.pdf").unlink()  # the source is gone: the outline does not need it
    again = runner.invoke(app, ["corpus", "show", "demo-htn-2025", "--json"], env=env)
    assert again.exit_code == 0 and json.loads(again.output) == outline
    missing = runner.invoke(app, ["corpus", "show", "no-such-id"], env=env)
    assert missing.exit_code == 1 and "rag corpus status" in missing.output

    with TestClient(create_app(settings)) as client:
        r = client.get("/v1/documents/demo-htn-2025/outline")
        assert r.status_code == 200 and r.json()["recommendations"] == recs
        assert client.get("/v1/documents/nope/outline").status_code == 404
