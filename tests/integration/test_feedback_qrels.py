"""Clinicians' judgements become evaluation data: POST /v1/feedback, `rag eval export-qrels`, then `rag eval
retrieval` on the exported files (the live corpus, the clinicians' questions, masked)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from eval.datasets import load_custom
from eval.pii_eval import DATA
from rag_service.cli import app
from rag_service.feedback import feedback_qrels
from rag_service.server import create_app
from rag_service.settings import Settings

runner = CliRunner()


def test_judged_hits_become_qrels_that_eval_retrieval_reads(law_index: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    shutil.copytree(law_index[0], data_dir)
    settings = Settings(data_dir=data_dir, embedder="none", manifest=law_index[1])
    question = "佐藤 花子さんの件。医師が異状死体を届け出る期限は"
    with TestClient(create_app(settings)) as client:
        hits = client.post("/v1/search", json={"query": question, "top_k": 3}).json()["hits"]
        for hit, helpful in zip(hits, (True, False, True), strict=True):
            r = client.post(
                "/v1/feedback",
                json={"target": "hit", "chunk_id": hit["chunk_id"], "query": question, "helpful": helpful},
            )
            assert r.status_code == 201
        assert client.post("/v1/feedback", json={"target": "hit", "helpful": True}).status_code == 422  # no chunk
        assert client.post("/v1/feedback", json={"target": "answer", "helpful": False}).status_code == 201

    out = tmp_path / "qrels"
    env = {"RAG_DATA_DIR": str(data_dir), "RAG_EMBEDDER": "none", "RAG_MANIFEST": str(law_index[1])}
    result = runner.invoke(app, ["eval", "export-qrels", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    queries = [json.loads(line) for line in (out / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(queries) == 1 and "佐藤" not in queries[0]["text"] and "［氏名］" in queries[0]["text"]
    qrels = [json.loads(line) for line in (out / "qrels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(q["relevance"] for q in qrels) == [0, 2, 2]
    ds = load_custom(out / "corpus.jsonl", out / "queries.jsonl", out / "qrels.jsonl")
    assert {h["chunk_id"] for h in hits} <= {p.doc_id for p in ds.corpus}

    run = runner.invoke(
        app,
        ["eval", "retrieval", "--corpus", str(out / "corpus.jsonl"), "--queries", str(out / "queries.jsonl"),
         "--qrels", str(out / "qrels.jsonl"), "--modes", "bm25", "--work-dir", str(tmp_path / "w"),
         "--out", str(tmp_path / "report")],
        env={**env, "RAG_DATA_DIR": str(tmp_path / "evalvar")},
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]  # the clinicians' one query, scored


def test_the_latest_judgement_of_a_pair_wins() -> None:
    rows = [
        {"at": "2026-01-01T00:00:00", "target": "hit", "query": "q", "chunk_id": "c", "helpful": True},
        {"at": "2026-01-02T00:00:00", "target": "hit", "query": "q", "chunk_id": "c", "helpful": False},
        {"at": "2026-01-01T00:00:00", "target": "answer", "query": "q", "helpful": True},
    ]
    queries, qrels = feedback_qrels(rows)
    assert len(queries) == 1 and qrels == [{"query_id": queries[0]["query_id"], "doc_id": "c", "relevance": 0}]


def test_eval_pii_cli_writes_the_report(tmp_path: Path) -> None:
    blind = tmp_path / "fresh.jsonl"  # named as the measuring set (not read here): its misses are never written
    shutil.copy(DATA / "dev.jsonl", blind)
    out = tmp_path / "out"
    result = runner.invoke(app, ["eval", "pii", str(DATA / "heldout.jsonl"), str(blind), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report) == {"heldout", "fresh"} and report["heldout"]["eponyms_masked"] == []
    assert "misses" in report["heldout"] and not {"misses", "false_positives"} & set(report["fresh"])
    assert "| NAME |" in (out / "report.md").read_text(encoding="utf-8")
