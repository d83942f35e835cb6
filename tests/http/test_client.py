"""`rag_service.client` against the real app served on 127.0.0.1 (the small law index, a rule-answering LLM), and
its retries against a real tiny server that answers 503 before it answers 200."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from rag_service.client import AnswerDelta, ApiError, ApiUnavailable, AsyncRagClient, RagClient
from rag_service.server import create_app
from rag_service.settings import Settings
from rag_service.wire import AnswerResponse, SearchResponse
from tests.local_server import free_port, serve_in_thread
from tests.rule_llm import RuleLLM

KEY = "k-client-0001"
QUERY = "医師が死体を検案して異状を認めたときの届出"
QUESTION = "医師が死体を検案して異状があると認めたとき、何時間以内に届け出なければならないか。"


@pytest.fixture(scope="module")
def served(law_index: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, RuleLLM]]:
    data_dir = tmp_path_factory.mktemp("client") / "var"
    shutil.copytree(law_index[0], data_dir)
    with RuleLLM() as llm:
        settings = Settings(
            data_dir=data_dir, embedder="none", api_keys=[KEY], llm_base_url=f"http://127.0.0.1:{llm.port}/v1"
        )
        with serve_in_thread(create_app(settings)) as port:
            yield f"http://127.0.0.1:{port}", llm


def test_search_returns_the_api_schema_with_citations(served: tuple[str, RuleLLM]) -> None:
    url, _ = served
    with RagClient(url, KEY) as rag:
        result = rag.search(QUERY, top_k=3, mode="bm25", filters={"source_ids": ["law-19dc84fdb0"]})
        assert rag.health() == {"status": "ok"} and rag.ready()["status"] == "ready"
    assert isinstance(result, SearchResponse) and 1 <= len(result.hits) <= 3
    top = result.hits[0]
    assert top.citation.source_id == "law-19dc84fdb0" and top.citation.title == "医師法"
    assert "異状" in " ".join(h.text for h in result.hits)
    assert top.scores["bm25"].rank == 1 and top.citation.page_start >= 1


def test_answer_and_its_stream_carry_the_same_citations(served: tuple[str, RuleLLM]) -> None:
    url, llm = served
    with RagClient(url, KEY) as rag:
        whole = rag.answer(QUESTION, mode="bm25")
        events = list(rag.answer_stream(QUESTION, mode="bm25"))
    assert isinstance(whole, AnswerResponse) and not whole.abstained and "二十四時間" in whole.answer
    assert whole.citations and whole.citations[0].citation.source_id == "law-19dc84fdb0"
    deltas = [e for e in events if isinstance(e, AnswerDelta)]
    done = events[-1]
    assert deltas and isinstance(done, AnswerResponse)  # a short answer is one piece (a stream holds 40 characters)
    assert "".join(d.text for d in deltas) == whole.answer  # no invented markers to strip here
    assert [c.chunk_id for c in done.citations] == [c.chunk_id for c in whole.citations]
    assert llm.requests[-1].get("stream") is True


def test_corpus_safety_and_exam_routes(served: tuple[str, RuleLLM]) -> None:
    url, _ = served
    with RagClient(url, KEY) as rag:
        editions = rag.documents().editions
        outline = rag.outline("law-19dc84fdb0")
        masked = rag.pii_mask("患者 山田太郎 電話 090-1234-5678")
        fb = rag.feedback("answer", True, query="山田太郎さんの件", reason="根拠が明確")
        exam = rag.exam(QUESTION, {"a": "12時間以内", "b": "24時間以内"}, mode="bm25")
    assert {e.source_id for e in editions} == {"law-19dc84fdb0", "law-1514a233a6"}
    assert outline.source_id == "law-19dc84fdb0" and outline.title == "医師法" and outline.sections
    assert "090-1234-5678" not in masked.masked and {s.type for s in masked.spans} >= {"PHONE"}
    assert fb.id and fb.query is not None and "山田太郎" not in fb.query
    assert exam.citations == [] or exam.citations[0].citation.source_id == "law-19dc84fdb0"


def test_client_errors_carry_the_servers_message(served: tuple[str, RuleLLM]) -> None:
    url, _ = served
    with RagClient(url, KEY, retries=0) as rag:
        with pytest.raises(ApiError) as too_many:
            rag.search(QUERY, top_k=999)
        with pytest.raises(ApiError) as missing:
            rag.outline("存在しない版")
        with pytest.raises(ApiError) as too_long:
            rag.search("届出" * 2000)
        with pytest.raises(ValidationError):  # the API's own request schema, checked before anything is sent
            rag.search(QUERY, filters={"status": ["廃止"]})
    assert too_many.value.status == 422 and "RAG_RETRIEVAL__MAX_TOP_K" in str(too_many.value)
    assert missing.value.status == 404 and "存在しない版" in missing.value.detail
    assert too_long.value.status == 413 and "RAG_RETRIEVAL__MAX_QUERY_CHARS" in too_long.value.detail
    with RagClient(url, "wrong-key") as rag, pytest.raises(ApiError) as denied:
        rag.search(QUERY)
    assert denied.value.status == 401 and "Authorization: Bearer" in denied.value.detail


def test_async_client_searches_and_streams(served: tuple[str, RuleLLM]) -> None:
    url, _ = served

    async def go() -> tuple[SearchResponse, list[Any]]:
        async with AsyncRagClient(url, KEY) as rag:
            found = await rag.search(QUERY, top_k=2, mode="bm25")
            events = [e async for e in rag.answer_stream(QUESTION, mode="bm25")]
            return found, events

    found, events = asyncio.run(go())
    assert found.hits[0].citation.source_id == "law-19dc84fdb0"
    assert isinstance(events[-1], AnswerResponse) and events[-1].citations


class Flaky:
    """A tiny real server: /v1/search answers 503 `fail` times (the first with Retry-After: 0), then a valid body;
    /v1/documents answers 429 with a Retry-After longer than any client waits."""

    def __init__(self, fail: int) -> None:
        self.fail, self.calls = fail, []  # type: ignore[var-annotated]
        self.app = FastAPI()

        @self.app.post("/v1/search")
        def search() -> JSONResponse:
            self.calls.append(time.monotonic())
            n = len(self.calls)
            if n <= self.fail:
                headers = {"Retry-After": "0"} if n == 1 else {}
                return JSONResponse({"detail": "Qdrant に接続できません"}, status_code=503, headers=headers)
            return JSONResponse({"hits": [], "timings_ms": {"total": 1.0}, "query_kind": "plain"})

        @self.app.get("/v1/documents")
        def documents() -> JSONResponse:
            self.calls.append(time.monotonic())
            return JSONResponse({"detail": "混雑しています"}, status_code=429, headers={"Retry-After": "3600"})


def test_503_is_retried_with_backoff_then_succeeds() -> None:
    flaky = Flaky(fail=2)
    with serve_in_thread(flaky.app) as port, RagClient(f"http://127.0.0.1:{port}", retries=3, backoff_s=0.2) as rag:
        result = rag.search(QUERY)
    assert result.hits == [] and len(flaky.calls) == 3
    assert flaky.calls[2] - flaky.calls[1] >= 0.4  # second retry: no Retry-After, backoff 0.2 * 2**1


def test_retries_are_bounded_and_a_long_retry_after_is_not_waited() -> None:
    flaky = Flaky(fail=100)
    with serve_in_thread(flaky.app) as port, RagClient(f"http://127.0.0.1:{port}", retries=2, backoff_s=0.01) as rag:
        with pytest.raises(ApiUnavailable) as gave_up:
            rag.search(QUERY)
        assert len(flaky.calls) == 3 and gave_up.value.status == 503 and "Qdrant" in gave_up.value.detail
        t0 = time.monotonic()
        with pytest.raises(ApiError) as busy:
            rag.documents()
        assert busy.value.status == 429 and "混雑" in busy.value.detail and time.monotonic() - t0 < 5
        assert len(flaky.calls) == 4


def test_no_server_is_unavailable_after_the_retries() -> None:
    rag = RagClient(f"http://127.0.0.1:{free_port()}", retries=2, backoff_s=0.01)
    with rag, pytest.raises(ApiUnavailable) as down:
        rag.health()
    assert down.value.status is None and "rag serve" in str(down.value)


def test_rag_search_asks_the_service_at_base_url(served: tuple[str, RuleLLM], tmp_path: Path) -> None:
    """`rag search --base-url` (or RAG_URL / RAG_API_KEY) queries the running service: no index is opened here."""
    from typer.testing import CliRunner

    from rag_service.cli import app

    url, _ = served
    runner = CliRunner()
    nowhere = {"RAG_DATA_DIR": str(tmp_path / "no-index")}
    args = ["search", QUERY, "--json", "--mode", "bm25", "-k", "2"]
    result = runner.invoke(app, [*args, "--base-url", url, "--api-key", KEY], env=nowhere)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["hits"][0]["citation"]["title"] == "医師法"
    by_env = runner.invoke(app, args, env={**nowhere, "RAG_URL": url, "RAG_API_KEY": KEY})
    assert by_env.exit_code == 0, by_env.output
    assert [h["chunk_id"] for h in json.loads(by_env.output)["hits"]] == [
        h["chunk_id"] for h in json.loads(result.output)["hits"]
    ]
    denied = runner.invoke(app, [*args, "--base-url", url, "--api-key", "wrong-key"], env=nowhere)
    assert denied.exit_code == 1 and "401" in denied.output and "Authorization: Bearer" in denied.output
    assert not (tmp_path / "no-index").exists()


def test_ragas_remote_answerer_reads_the_sources_through_the_client(served: tuple[str, RuleLLM]) -> None:
    """`rag eval ragas --base-url`: answers and the numbered sources (the judge's contexts) from /v1/answer."""
    from eval.ragas_run import remote_answerer

    url, _ = served
    answered = remote_answerer(url, KEY)(QUESTION)
    assert not answered.abstained and "二十四時間" in answered.answer
    assert answered.contexts and any("異状" in c for c in answered.contexts)
    with pytest.raises(ApiError) as denied:
        remote_answerer(url, "wrong-key")(QUESTION)
    assert denied.value.status == 401
