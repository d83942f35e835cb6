"""An OpenAI-compatible chat facade, so existing chat front-ends can point at the service: `POST /v1/chat/completions`
answers the last user message with the cited-answer code of `/v1/answer` (earlier turns are not sources), the
sources listed under the answer and, as an extra field, the same `citations` as `/v1/answer`; `GET /v1/models` names
the one model. Scope `answer`.

Streaming sends the model's text as it comes, with citation markers held back until they are whole (a marker may
arrive split over several pieces) and dropped when they name a number over `top_k` (the final `citations` are
checked against the sources the model saw, as in `/v1/answer`). Only text the answer keeps is streamed (see
`answer.gated`: nothing before the first citation, nothing from a sign of an abstention or an echoed system prompt);
when the finished answer is withheld after all, a last piece says so instead of the source list.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag_service import service
from rag_service.api.deps import CallerDep, ContainerDep, NoteDep
from rag_service.citations import parse_citations
from rag_service.errors import BadRequest, RagError
from rag_service.query import first_surrogate
from rag_service.wire import AnswerDelta, AnswerRequest, AnswerResponse, CitationRef, Mode, SearchFilters

MODEL_ID = "jp-guideline-rag"
router = APIRouter(prefix="/v1", tags=["chat"])


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text: a string, or its `text` parts joined (images and audio are not read)."""
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "\n".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


class ChatRequest(BaseModel):
    """OpenAI's chat request; fields a front-end sends that do not apply here (tools, top_p, …) are ignored.
    Extra fields of this service (with the openai package: `extra_body`): `top_k`, `mode`, `filters`."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(MODEL_ID, description="Echoed in the response; there is one model.")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(None, description="Ignored: answers are generated at temperature 0.")
    max_tokens: int | None = Field(None, ge=1, description="At most RAG_ANSWER__MAX_TOKENS.")
    max_completion_tokens: int | None = Field(None, ge=1)
    n: int = Field(1, ge=1, le=1, description="One answer per request.")
    top_k: int | None = Field(None, ge=1, description="Sources given to the model (default RAG_ANSWER__TOP_K).")
    mode: Mode = "hybrid"
    filters: SearchFilters = Field(default_factory=SearchFilters)

    def question(self) -> str:
        users = [m for m in self.messages if m.role == "user"]
        text = users[-1].text().strip() if users else ""
        if not text:
            raise BadRequest("no question: the last message with role `user` must hold text")
        return text

    def answer_request(self) -> AnswerRequest:
        return AnswerRequest(question=self.question(), top_k=self.top_k, mode=self.mode, filters=self.filters)


def _pages(ref: CitationRef) -> str:
    c = ref.citation
    return f"p.{c.page_start}" if c.page_start == c.page_end else f"p.{c.page_start}–{c.page_end}"


def sources_block(citations: list[CitationRef]) -> str:
    """`出典:` and one line per cited source: [n] title（edition）pages ／ section ／ CQ."""
    lines = ["", "", "出典:"]
    for ref in citations:
        c = ref.citation
        line = f"[{ref.number}] {c.title}（{c.edition}）{_pages(ref)}"
        if c.section_path:
            line += " ／ " + " > ".join(c.section_path)
        cq = c.recommendation.cq if c.recommendation else None
        if cq and cq not in c.section_path:
            line += f" ／ {cq}"
        lines.append(line)
    return "\n".join(lines) if citations else ""


class MarkerFilter:
    """Streamed text with citation markers that name no source removed: text from an opening bracket is held until
    its closing bracket arrives (or it is clearly not a marker), then checked like the final answer's markers."""

    OPEN, CLOSE, LONGEST = "[［【", "]］】", 40

    def __init__(self, n_sources: int) -> None:
        self.n, self.held = n_sources, ""

    def feed(self, text: str) -> str:
        out: list[str] = []
        rest = self.held + text
        while rest:
            i = next((k for k, ch in enumerate(rest) if ch in self.OPEN), -1)
            if i < 0:
                out.append(rest)
                rest = ""
                break
            out.append(rest[:i])
            rest = rest[i:]
            j = next((k for k, ch in enumerate(rest) if ch in self.CLOSE), -1)
            if j < 0:
                if len(rest) <= self.LONGEST:
                    break  # hold it: the marker's end has not come yet
                out.append(rest[0])  # too long for a marker: let the bracket through
                rest = rest[1:]
                continue
            out.append(parse_citations(rest[: j + 1], self.n).text)
            rest = rest[j + 1 :]
        self.held = rest
        return "".join(out)

    def flush(self) -> str:
        text, self.held = self.held, ""
        return text


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def _content(result: AnswerResponse) -> str:
    return result.answer + sources_block(result.citations)


@router.get("/models")
def models(c: ContainerDep, who: CallerDep) -> dict[str, Any]:
    """The one model, for front-ends that list models before they chat."""
    c.access.authorize(who, "answer")
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rag-service"}]}


@router.post("/chat/completions", response_model=None)
def chat_completions(
    body: ChatRequest, c: ContainerDep, who: CallerDep, note: NoteDep
) -> dict[str, Any] | StreamingResponse:
    """The last user message answered from the guidelines, with citations: a `chat.completion` object, or with
    `stream` server-sent `chat.completion.chunk` events ended by `data: [DONE]`."""
    if first_surrogate(body.model) is not None:  # it is echoed in every chunk: refuse it before the stream starts
        raise BadRequest("`model` holds a lone surrogate: send valid UTF-8 text")
    req = body.answer_request()
    max_tokens = body.max_completion_tokens or body.max_tokens
    head = {"id": _completion_id(), "created": int(time.time()), "model": body.model}
    if body.stream:
        answer = service.stream(c, who, req, note, max_tokens)
        return StreamingResponse(
            _chunks(head, answer.events, MarkerFilter(answer.top_k)), media_type="text/event-stream"
        )
    answered = service.answer(c, who, req, note, max_tokens)
    result, used = answered.response, answered.usage or {}
    prompt, completion = used.get("prompt_tokens", 0), used.get("completion_tokens", 0)
    message = {"role": "assistant", "content": _content(result)}
    return {
        **head,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        "citations": [ref.model_dump(mode="json") for ref in result.citations],
        "abstained": result.abstained,
    }


def _chunk(head: dict[str, Any], delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    doc = {**head, "object": "chat.completion.chunk", **extra}
    doc["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
    return f"data: {json.dumps(doc, ensure_ascii=False)}\n\n"


def _chunks(head: dict[str, Any], events: Iterator[AnswerDelta | AnswerResponse], marks: MarkerFilter) -> Iterator[str]:
    yield _chunk(head, {"role": "assistant", "content": ""})
    streamed: list[str] = []
    try:
        for event in events:
            if isinstance(event, AnswerDelta):
                streamed.append(event.text)
                if piece := marks.feed(event.text):
                    yield _chunk(head, {"content": piece})
                continue
            result = event
            if not streamed:  # nothing was kept (an abstention, a withheld answer): the final answer is the whole reply
                tail = _content(result)
            elif result.abstained:  # what was streamed cited a source, and then the answer was withheld
                marks.flush()
                tail = f"\n\n（{result.answer}）"
            else:
                tail = marks.flush() + sources_block(result.citations)
            if tail:
                yield _chunk(head, {"content": tail})
            extra = {
                "citations": [ref.model_dump(mode="json") for ref in result.citations],
                "abstained": result.abstained,
            }
            yield _chunk(head, {}, "stop", **extra)
    except RagError as e:  # the headers are gone: the error travels as an event, as OpenAI's API sends it
        error = {"message": str(e), "type": type(e).__name__, "code": None}
        yield f"data: {json.dumps({'error': error}, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"
