"""The console's search playground: the query form, hits with their citation and every leg's score and rank, a hit's
page rendered with the passage highlighted (or, for text and .jsonl sources, its unit's text with the passage
marked), and a streamed cited answer when an LLM is configured. Queries are posted, never put in URLs, and reach
the request log only masked (`RAG_LOG_QUERIES=masked`), as for the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from ingestion.outline import source_path
from ingestion.sources import read_source
from rag_service.api.answer_routes import post_answer, require_llm
from rag_service.api.routes import State, active_chunk, cited_page, note_query
from rag_service.api.schemas import AnswerRequest, HitOut, SearchFilters, SearchRequest
from rag_service.api.state import ServiceState
from rag_service.console.auth import ConsoleUser, api_user, current_user, require, same_origin
from rag_service.console.templating import render
from rag_service.errors import RagError
from rag_service.page_image import passage_spans
from rag_service.query import BadQuery, QueryTooLong
from rag_service.types import Chunk, EditionStatus, Hit

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[Depends(same_origin)])
User = Annotated[ConsoleUser, Depends(current_user)]
ApiUser = Annotated[ConsoleUser, Depends(api_user)]
MODES = ("hybrid", "bm25", "bigram", "dense")


def _form_context(state: ServiceState) -> dict[str, Any]:
    catalog = state.retriever.catalog()
    specialties = sorted({s for e in catalog.entries.values() for s in e.edition.specialties})
    sources = sorted((e.source_id, f"{e.edition.title}（{e.edition.edition}）") for e in catalog.entries.values())
    return {
        "sources": sources,
        "specialties": specialties,
        "statuses": [s.value for s in EditionStatus],
        "modes": MODES,
        "llm": state.llm is not None,
        "pdf_sources": _pdf_sources(state),
    }


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, state: State, user: User) -> Response:
    form = {"q": "", "mode": "hybrid", "source": "", "specialty": "", "status": ["current"], "as_of": "", "top_k": 10}
    return render(request, "search.html", user=user, form=form, hits=None, error=None, **_form_context(state))


@router.post("/search", response_class=HTMLResponse)
def search(
    request: Request,
    state: State,
    user: User,
    q: Annotated[str, Form(max_length=20_000)],
    mode: Annotated[str, Form()] = "hybrid",
    source: Annotated[str, Form()] = "",
    specialty: Annotated[str, Form()] = "",
    status: Annotated[list[str] | None, Form()] = None,
    as_of: Annotated[str, Form()] = "",
    top_k: Annotated[int, Form(ge=1, le=100)] = 10,
) -> Response:
    require(user, "search")
    form = {"q": q, "mode": mode, "source": source, "specialty": specialty, "status": status or [], "as_of": as_of,
            "top_k": top_k}  # fmt: skip
    hits: list[HitOut] | None = None
    error = None
    try:
        filters = SearchFilters(
            source_ids=[source] if source else None,
            specialties=[specialty] if specialty else None,
            status=[EditionStatus(s) for s in status or ["current"]],
            as_of=date.fromisoformat(as_of) if as_of else None,
        )
        body = SearchRequest.model_validate({"query": q, "top_k": top_k, "mode": mode, "filters": filters})
        query = body.to_query(state.settings.retrieval)
        note_query(request, state, query.text)
        if not state.index_ready():
            raise BadQuery("the index is empty: run an ingest from the corpus page")
        hits = [HitOut.from_hit(h) for h in state.retriever.search(query).hits]
    except (ValidationError, ValueError, BadQuery, QueryTooLong) as e:
        error = str(e).splitlines()[0] if isinstance(e, ValidationError) else str(e)
    return render(
        request, "search.html", status_code=422 if error else 200, user=user, form=form, hits=hits, error=error,
        **_form_context(state),
    )  # fmt: skip


def _unit_text(state: ServiceState, chunk: Chunk) -> list[tuple[str, bool]] | None:
    """The chunk's unit (a .jsonl row, a text section) with the passage marked; None when the source is gone."""
    entry = state.retriever.catalog().entries.get(chunk.edition.source_id)
    if entry is None:
        return None
    try:
        doc = read_source(source_path(state.settings, entry), ocr=False)
    except RagError:
        return None
    same = [s for s in doc.sections if (s.unit_id == chunk.unit_id if chunk.unit_id else s.path == chunk.section_path)]
    if not same:
        return None
    best = max(same, key=lambda s: chunk.text[:40] in s.text)  # a text source may repeat a heading path
    return passage_spans(best.text, chunk.text)


@router.get("/hits/{chunk_id}", response_class=HTMLResponse)
def hit_page(
    request: Request, chunk_id: str, state: State, user: User, page: Annotated[int | None, Query(ge=1)] = None
) -> Response:
    require(user, "search")
    chunk = active_chunk(state, chunk_id)
    hit = HitOut.from_hit(Hit(chunk=chunk))
    entry = state.retriever.catalog().entries.get(chunk.edition.source_id)
    is_pdf = entry is not None and entry.source.lower().endswith(".pdf")
    shown = page if page and chunk.page_start <= page <= chunk.page_end else chunk.page_start
    spans = None if is_pdf else _unit_text(state, chunk)
    return render(
        request, "hit.html", user=user, hit=hit, pdf=is_pdf, page=shown,
        pages=list(range(chunk.page_start, chunk.page_end + 1)), spans=spans,
    )  # fmt: skip


def _pdf_sources(state: ServiceState) -> set[str]:
    catalog = state.retriever.catalog()
    return {sid for sid, e in catalog.entries.items() if e.source.lower().endswith(".pdf")}


@router.get("/hits/{chunk_id}/page.png")
def hit_image(
    chunk_id: str, state: State, user: ApiUser, page: Annotated[int | None, Query(ge=1, le=100_000)] = None
) -> Response:
    require(user, "search")
    image = cited_page(state, active_chunk(state, chunk_id), page, dpi=110)
    return Response(image.png, media_type="image/png", headers={"X-Highlight-Boxes": str(image.boxes)})


@router.post("/answer")
def answer(body: AnswerRequest, request: Request, state: State, user: ApiUser) -> Response:
    """The same streamed answer as `POST /v1/answer` (server-sent `delta` events, then `done` with citations)."""
    require(user, "answer")
    llm = require_llm(state)  # 503 without an LLM; the question's limits are the API's (413 / 422)
    streamed = post_answer(body.model_copy(update={"stream": True}), state, llm, request)
    assert isinstance(streamed, Response)  # stream=True always gives the event stream
    return streamed
