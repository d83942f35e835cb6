"""The OpenAI-compatible chat facade, driven by the official `openai` package against the app served on 127.0.0.1
(the small law index; the LLM behind it is a rule-answering server that records what it is asked)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
import yaml

from rag_service.api.chat_routes import MarkerFilter
from rag_service.server import create_app
from rag_service.settings import Settings
from tests.local_server import serve_in_thread
from tests.rule_llm import RuleLLM

KEY, SEARCH_ONLY = "k-chat-all-0001", "k-chat-search-01"
QUESTION = "医師が死体を検案して異状があると認めたとき、何時間以内に届け出なければならないか。"
BM25 = {"mode": "bm25"}  # the law index has no dense leg


@pytest.fixture(scope="module")
def served(law_index: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, RuleLLM]]:
    tmp = tmp_path_factory.mktemp("chat")
    shutil.copytree(law_index[0], tmp / "var")
    keys = tmp / "keys.yaml"
    keys.write_text(yaml.safe_dump([{"key": KEY}, {"key": SEARCH_ONLY, "scopes": ["search"]}]), encoding="utf-8")
    with RuleLLM() as llm:
        settings = Settings(
            data_dir=tmp / "var", embedder="none", api_keys_file=keys, llm_base_url=f"http://127.0.0.1:{llm.port}/v1"
        )
        with serve_in_thread(create_app(settings)) as port:
            yield f"http://127.0.0.1:{port}/v1", llm


def client(url: str, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=url, api_key=key, max_retries=0)


def test_completion_answers_the_last_user_message_with_its_sources(served: tuple[str, RuleLLM]) -> None:
    url, llm = served
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "system", "content": "簡潔に答えてください。"},
        {"role": "user", "content": "未成年者の喫煙について教えて"},
        {"role": "assistant", "content": "未成年者喫煙禁止法があります。"},
        {"role": "user", "content": QUESTION},
    ]
    done = client(url).chat.completions.create(model="jp-guideline-rag", messages=messages, extra_body=BM25)
    assert done.object == "chat.completion" and done.model == "jp-guideline-rag"
    text = done.choices[0].message.content or ""
    assert text.startswith("医師は二十四時間以内") and done.choices[0].finish_reason == "stop"
    assert "\n\n出典:\n[1] 医師法（" in text and "p." in text
    citations = (done.model_extra or {})["citations"]
    assert citations[0]["number"] == 1 and citations[0]["citation"]["source_id"] == "law-19dc84fdb0"
    assert "異状" in citations[0]["text"] and (done.model_extra or {})["abstained"] is False
    prompt = llm.requests[-1]["messages"][-1]["content"]
    assert "異状があると認めたとき" in prompt and "未成年者の喫煙について" not in prompt  # only the last question
    assert llm.requests[-1]["temperature"] == 0.0
    assert done.usage is not None and done.usage.total_tokens > 0


def test_streamed_chunks_add_up_to_the_same_answer_without_invented_markers(served: tuple[str, RuleLLM]) -> None:
    url, llm = served
    rag = client(url)
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": QUESTION}]
    llm.append = "関連する規定もある[9]。"  # source [9] was never given (top_k 5): dropped, also when split in pieces
    try:
        whole = rag.chat.completions.create(model="jp-guideline-rag", messages=messages, extra_body=BM25)
        chunks = list(rag.chat.completions.create(model="x", messages=messages, stream=True, extra_body=BM25))
    finally:
        llm.append = ""
    assert llm.requests[-1]["stream"] is True
    assert all(c.object == "chat.completion.chunk" for c in chunks) and len(chunks) > 4
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == whole.choices[0].message.content
    assert "[9]" not in streamed and "関連する規定もある。" in streamed and "出典:\n[1] 医師法" in streamed
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[-1].choices[0].finish_reason == "stop"
    last = chunks[-1].model_extra or {}
    assert [c["chunk_id"] for c in last["citations"]] == [c["chunk_id"] for c in (whole.model_extra or {})["citations"]]


def test_an_abstention_has_no_sources(served: tuple[str, RuleLLM]) -> None:
    url, _ = served
    question = "未成年者が煙草を吸った場合、誰が罰せられるか。"  # the rule LLM finds no 「異状」 in these sources
    done = client(url).chat.completions.create(
        model="jp-guideline-rag", messages=[{"role": "user", "content": question}], extra_body=BM25
    )
    text = done.choices[0].message.content or ""
    assert text.startswith("回答不能") and "出典" not in text
    assert (done.model_extra or {})["citations"] == [] and (done.model_extra or {})["abstained"] is True
    chunks = list(
        client(url).chat.completions.create(
            model="x", messages=[{"role": "user", "content": question}], stream=True, extra_body=BM25
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks).startswith("回答不能")


def test_bad_requests_are_clear_4xx(served: tuple[str, RuleLLM]) -> None:
    url, _ = served
    with pytest.raises(openai.AuthenticationError) as no_key:
        client(url, "wrong-key").chat.completions.create(model="x", messages=[{"role": "user", "content": QUESTION}])
    assert "Authorization: Bearer" in str(no_key.value)
    with pytest.raises(openai.PermissionDeniedError) as scope:
        client(url, SEARCH_ONLY).chat.completions.create(model="x", messages=[{"role": "user", "content": QUESTION}])
    assert "answer" in str(scope.value)
    rag = client(url)
    with pytest.raises(openai.UnprocessableEntityError) as empty:
        rag.chat.completions.create(model="x", messages=[{"role": "system", "content": "あなたは医師です。"}])
    assert "role `user`" in str(empty.value)
    with pytest.raises(openai.UnprocessableEntityError):
        rag.chat.completions.create(model="x", messages=[{"role": "user", "content": QUESTION}], n=2)
    with pytest.raises(openai.APIStatusError) as too_long:
        rag.chat.completions.create(model="x", messages=[{"role": "user", "content": "届出" * 2000}])
    assert too_long.value.status_code == 413
    assert [m.id for m in rag.models.list()] == ["jp-guideline-rag"]


def test_no_llm_configured_is_503_not_500(law_index: tuple[Path, Path], tmp_path: Path) -> None:
    shutil.copytree(law_index[0], tmp_path / "var")
    app = create_app(Settings(data_dir=tmp_path / "var", embedder="none"))
    with serve_in_thread(app) as port, pytest.raises(openai.InternalServerError) as down:
        client(f"http://127.0.0.1:{port}/v1").chat.completions.create(
            model="x", messages=[{"role": "user", "content": QUESTION}]
        )
    assert down.value.status_code == 503 and "RAG_LLM_BASE_URL" in str(down.value)


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (["届け出る[1]。"], "届け出る[1]。"),
        (["届け出る[", "9", "]。"], "届け出る。"),
        (["届け出る［", "２］と", "【7】"], "届け出る[2]と"),  # as the final answer writes it
        (["[1,", " 9]です"], "[1]です"),
        (["注[a", "bc"], "注[abc"),  # not a marker: flushed at the end unchanged
    ],
)
def test_marker_filter_drops_numbers_over_the_sources_across_pieces(pieces: list[str], expected: str) -> None:
    marks = MarkerFilter(n_sources=5)
    assert "".join(marks.feed(p) for p in pieces) + marks.flush() == expected
