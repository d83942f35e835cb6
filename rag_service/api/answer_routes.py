"""POST /v1/answer (JSON or server-sent events) and POST /v1/exam: retrieval, then the LLM, with citations."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool

from rag_service.answer import AnswerDelta, AnswerResult, EvidenceThreshold, answer, stream_answer
from rag_service.api.routes import State, note_query, require_scope
from rag_service.api.schemas import (
    AnswerRequest,
    AnswerResponse,
    CitationRef,
    ExamRequest,
    ExamResponse,
    HitOut,
)
from rag_service.api.state import ServiceState
from rag_service.citations import Citation
from rag_service.errors import RagError
from rag_service.exam import exam
from rag_service.llm import LLMClient
from rag_service.types import Hit

answers = APIRouter(prefix="/v1", dependencies=[Depends(require_scope("answer"))], tags=["answer"])


def require_llm(state: State) -> LLMClient:
    if state.llm is None:
        raise HTTPException(
            503, "no LLM is configured: set RAG_LLM_BASE_URL (and RAG_LLM_MODEL), or run `rag serve --embedded-llm`"
        )
    return state.llm


LLM = Annotated[LLMClient, Depends(require_llm)]


def require_index(state: ServiceState) -> None:
    if not state.index_ready():
        raise HTTPException(503, "the index is empty: run `rag ingest` first")


def _refs(citations: list[Citation]) -> list[CitationRef]:
    return [CitationRef.from_citation(c.number, HitOut.from_hit(Hit(chunk=c.chunk))) for c in citations]


def answer_out(result: AnswerResult, include_sources: bool = False) -> AnswerResponse:
    sources = None
    if include_sources:
        sources = [CitationRef.from_citation(n, HitOut.from_hit(h)) for n, h in enumerate(result.hits, start=1)]
    return AnswerResponse(
        answer=result.answer,
        citations=_refs(result.citations),
        abstained=result.abstained,
        reason=result.reason,
        sources=sources,
    )


def take_usage(llm: LLMClient) -> dict[str, int] | None:
    """Tokens this thread's LLM requests used since the last call, when the client counts them."""
    take = getattr(llm, "take_usage", None)
    return take() if callable(take) else None


def evidence_threshold(state: ServiceState) -> EvidenceThreshold:
    a = state.settings.answer
    return EvidenceThreshold(min_dense=a.min_dense, min_bm25=a.min_bm25)


@answers.post("/answer", response_model=AnswerResponse)
def post_answer(body: AnswerRequest, state: State, llm: LLM, request: Request) -> AnswerResponse | EventSourceResponse:
    """Retrieve, then answer from the numbered sources only; abstain when the evidence is too weak."""
    q = body.to_query(state.settings)  # 413 / 422 name the limit
    note_query(request, state, q.text)
    require_index(state)
    args = (q, state.retriever, llm, evidence_threshold(state), state.settings.answer.max_tokens)
    if not body.stream:
        t0 = time.perf_counter()
        result = answer(*args)
        state.metrics.observe_stages({"answer": (time.perf_counter() - t0) * 1000})
        return answer_out(result, body.include_sources)

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            async for event in iterate_in_threadpool(stream_answer(*args)):
                if isinstance(event, AnswerDelta):
                    yield {"event": "delta", "data": json.dumps({"text": event.text}, ensure_ascii=False)}
                else:
                    yield {"event": "done", "data": answer_out(event.result, body.include_sources).model_dump_json()}
        except RagError as e:  # headers are gone: the error travels as an event
            yield {
                "event": "error",
                "data": json.dumps({"detail": str(e), "error": type(e).__name__}, ensure_ascii=False),
            }

    return EventSourceResponse(events())


@answers.post("/exam", response_model=ExamResponse)
def post_exam(body: ExamRequest, state: State, llm: LLM, request: Request) -> ExamResponse:
    """Specialist-exam RAG: the question and its choices searched exam-style, the letters as schema-constrained JSON
    (or [ans]…[/ans] text where the endpoint refuses the schema), majority voting over `votes` samples."""
    a = state.settings.answer
    if body.votes > a.max_votes:
        raise HTTPException(422, f"votes {body.votes} is over the limit of {a.max_votes} (RAG_ANSWER__MAX_VOTES)")
    bad = [k for k in body.choices if len(k) != 1 or not k.isascii() or not k.isalpha()]
    if bad:
        raise HTTPException(422, f"choice keys must be single letters a–e; got {bad}")
    q = body.to_query(state.settings)  # 413 / 422 name the limit
    note_query(request, state, body.question)
    if not body.no_rag:
        require_index(state)
    t0 = time.perf_counter()
    take_usage(llm)  # start counting this question's tokens
    result = exam(
        body.question,
        {k.lower(): v for k, v in body.choices.items()},
        state.retriever,
        llm,
        search=None if body.no_rag else q,
        n_select=body.n_select,
        votes=body.votes,
        temperature=a.exam_temperature,
        max_tokens=a.exam_max_tokens,
    )
    state.metrics.observe_stages({"exam": (time.perf_counter() - t0) * 1000})
    usage = take_usage(llm)
    return ExamResponse(
        answer_letters=result.answer_letters,
        votes=result.votes,
        citations=_refs(result.citations),
        raw=result.raw,
        sources=[h.chunk.unit_id or h.chunk.chunk_id for h in result.hits],
        fallback_parsed=sum(result.fallback),
        usage=usage,
    )
