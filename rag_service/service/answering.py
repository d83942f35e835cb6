"""Answers from the guidelines with citations (whole, or streamed piece by piece) and exam mode."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rag_service import wire
from rag_service.answer import AnswerDelta, AnswerResult, EvidenceThreshold, stream_answer
from rag_service.answer import answer as answer_core
from rag_service.errors import BadRequest
from rag_service.exam import exam as exam_core
from rag_service.llm import LLMClient
from rag_service.query import SearchQuery
from rag_service.service.access import Caller
from rag_service.service.container import Container
from rag_service.service.convert import answer_query, citation_ref, citation_refs, exam_query
from rag_service.service.retrieval import Note, noted


def answer_response(result: AnswerResult, include_sources: bool = False) -> wire.AnswerResponse:
    sources = [citation_ref(n, h) for n, h in enumerate(result.hits, start=1)] if include_sources else None
    return wire.AnswerResponse(
        answer=result.answer,
        citations=citation_refs(result.citations),
        abstained=result.abstained,
        reason=result.reason,
        sources=sources,
    )


def take_usage(llm: LLMClient) -> dict[str, int] | None:
    """Tokens this thread's LLM requests used since the last call, when the client counts them."""
    take = getattr(llm, "take_usage", None)
    return take() if callable(take) else None


def _threshold(c: Container) -> EvidenceThreshold:
    a = c.settings.answer
    return EvidenceThreshold(min_dense=a.min_dense, min_bm25=a.min_bm25)


def _prepare(c: Container, who: Caller, req: wire.AnswerRequest, note: Note) -> tuple[SearchQuery, LLMClient]:
    c.access.authorize(who, "answer")
    llm = c.require_llm()
    q = answer_query(req, c.settings)
    noted(c, q.text, note)
    c.require_index()
    return q, llm


@dataclass(frozen=True)
class Answered:
    response: wire.AnswerResponse
    usage: dict[str, int] | None = None  # the LLM server's token counts, when it reports them


def answer(
    c: Container, who: Caller, req: wire.AnswerRequest, note: Note = None, max_tokens: int | None = None
) -> Answered:
    """Retrieve, then answer from the numbered sources only; abstain when the evidence is too weak."""
    q, llm = _prepare(c, who, req, note)
    limit = min(max_tokens or c.settings.answer.max_tokens, c.settings.answer.max_tokens)
    take_usage(llm)  # start counting this request's tokens
    result = answer_core(q, c.retriever, llm, _threshold(c), limit)
    return Answered(answer_response(result, req.include_sources), take_usage(llm))


@dataclass(frozen=True)
class AnswerStream:
    """The answer's pieces as the model writes them, then the whole `AnswerResponse`; the checks ran before it was
    made (a front door can still answer with a status). `top_k`: how many sources the model was given."""

    top_k: int
    events: Iterator[wire.AnswerDelta | wire.AnswerResponse]


def stream(
    c: Container, who: Caller, req: wire.AnswerRequest, note: Note = None, max_tokens: int | None = None
) -> AnswerStream:
    q, llm = _prepare(c, who, req, note)
    limit = min(max_tokens or c.settings.answer.max_tokens, c.settings.answer.max_tokens)

    def events() -> Iterator[wire.AnswerDelta | wire.AnswerResponse]:
        for event in stream_answer(q, c.retriever, llm, _threshold(c), limit):
            if isinstance(event, AnswerDelta):
                yield wire.AnswerDelta(text=event.text)
            else:
                yield answer_response(event.result, req.include_sources)

    return AnswerStream(q.top_k, events())


def exam(c: Container, who: Caller, req: wire.ExamRequest, note: Note = None) -> wire.ExamResponse:
    """Specialist-exam RAG: the question and its choices searched exam-style, the letters as schema-constrained JSON
    (or [ans]…[/ans] text where the endpoint refuses the schema), majority voting over `votes` samples."""
    c.access.authorize(who, "answer")
    llm = c.require_llm()
    a = c.settings.answer
    if req.votes > a.max_votes:
        raise BadRequest(f"votes {req.votes} is over the limit of {a.max_votes} (RAG_ANSWER__MAX_VOTES)")
    bad = [k for k in req.choices if len(k) != 1 or not k.isascii() or not k.isalpha()]
    if bad:
        raise BadRequest(f"choice keys must be single letters a–e; got {bad}")
    q = exam_query(req, c.settings)  # 413 / 422 name the limit, even closed book
    noted(c, req.question, note)
    if not req.no_rag:
        c.require_index()
    take_usage(llm)  # start counting this question's tokens
    result = exam_core(
        req.question, {k.lower(): v for k, v in req.choices.items()}, c.retriever, llm,
        search=None if req.no_rag else q, n_select=req.n_select, votes=req.votes, temperature=a.exam_temperature,
        max_tokens=a.exam_max_tokens,
    )  # fmt: skip
    return wire.ExamResponse(
        answer_letters=result.answer_letters,
        votes=result.votes,
        citations=citation_refs(result.citations),
        raw=result.raw,
        sources=[h.chunk.unit_id or h.chunk.chunk_id for h in result.hits],
        fallback_parsed=sum(result.fallback),
        usage=take_usage(llm),
    )
