"""POST /v1/answer (JSON or server-sent events) and POST /v1/exam: retrieval, then the LLM, with citations."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator

from fastapi import APIRouter
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool

from rag_service import service
from rag_service.api.deps import CallerDep, ContainerDep, MetricsDep, NoteDep
from rag_service.errors import RagError
from rag_service.wire import AnswerDelta, AnswerRequest, AnswerResponse, ExamRequest, ExamResponse

router = APIRouter(prefix="/v1", tags=["answer"])


async def sse_events(events: Iterator[AnswerDelta | AnswerResponse]) -> AsyncIterator[dict[str, str]]:
    """`delta` events, then one `done`; an error after the headers went travels as an `error` event."""
    try:
        async for event in iterate_in_threadpool(events):
            name = "delta" if isinstance(event, AnswerDelta) else "done"
            yield {"event": name, "data": event.model_dump_json()}
    except RagError as e:
        yield {"event": "error", "data": json.dumps({"detail": str(e), "error": type(e).__name__}, ensure_ascii=False)}


@router.post("/answer", response_model=AnswerResponse)
def post_answer(
    body: AnswerRequest, c: ContainerDep, who: CallerDep, note: NoteDep, metrics: MetricsDep
) -> AnswerResponse | EventSourceResponse:
    """Retrieve, then answer from the numbered sources only; abstain when the evidence is too weak."""
    if body.stream:
        return EventSourceResponse(sse_events(service.stream(c, who, body, note).events))
    t0 = time.perf_counter()
    answered = service.answer(c, who, body, note)
    metrics.observe_stages({"answer": (time.perf_counter() - t0) * 1000})
    return answered.response


@router.post("/exam", response_model=ExamResponse)
def post_exam(body: ExamRequest, c: ContainerDep, who: CallerDep, note: NoteDep, metrics: MetricsDep) -> ExamResponse:
    """Specialist-exam RAG: the question and its choices searched exam-style, the letters as schema-constrained JSON
    (or [ans]…[/ans] text where the endpoint refuses the schema), majority voting over `votes` samples."""
    t0 = time.perf_counter()
    out = service.exam(c, who, body, note)
    metrics.observe_stages({"exam": (time.perf_counter() - t0) * 1000})
    return out
