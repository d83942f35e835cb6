"""The cross-encoder stage over HTTP: a tiny keyword cross-encoder (built in the test) reorders real hits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.dense import load_embedder
from rag_service.server import create_app
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from tests.conftest import demo_entries, write_manifest
from tests.integration.test_rerank import KEYWORD, keyword_model  # noqa: F401 - a fixture

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, keyword_model: Path) -> Iterator[TestClient]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("rerank-api")
    entry = {k: v for k, v in demo_entries(("demo-htn-2025",))[0].items() if k != "supersedes"}
    manifest = write_manifest(tmp, [entry])
    settings = Settings(data_dir=tmp / "var", embedder="none", reranker=str(keyword_model))
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, load_embedder("none"), manifest, NullProgress())
    store.close()
    with TestClient(create_app(settings)) as c:
        yield c


def test_rerank_puts_the_keyword_chunks_first_and_keeps_every_leg(client: TestClient) -> None:
    body = {"query": "家庭血圧の測定", "top_k": 8, "mode": "bm25"}
    plain = client.post("/v1/search", json={**body, "rerank": False}).json()["hits"]
    reranked = client.post("/v1/search", json=body).json()["hits"]
    assert all("rerank" not in h["scores"] for h in plain)
    assert all({"rerank", "bm25", "fused"} <= set(h["scores"]) for h in reranked)
    assert [h["scores"]["rerank"]["rank"] for h in reranked] == list(range(1, len(reranked) + 1))

    def has_keyword(h: dict) -> bool:  # type: ignore[type-arg]
        c = h["citation"]
        return KEYWORD in f"{c['title']} {' '.join(c['section_path'])}\n{h['text']}"

    flags = [has_keyword(h) for h in reranked]
    assert any(flags) and not all(flags)
    assert flags == sorted(flags, reverse=True)  # every keyword chunk ranks above every other one
    assert [has_keyword(h) for h in plain] != flags  # the reranker changed the order


def test_rerank_required_without_a_model_is_a_clear_422(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, embedder="none"))) as c:
        r = c.post("/v1/search", json={"query": "高血圧", "rerank": True, "mode": "bm25"})
    # the empty index answers 503 before retrieval; with an index the retriever says what to set
    assert r.status_code in (422, 503)
    assert "RAG_RERANKER" in r.json()["detail"] or "rag ingest" in r.json()["detail"]
