"""The console's search playground: the query form, hits with their citation and every leg's score and rank, a hit's
page rendered with the passage highlighted (or, for text and .jsonl sources, its unit's text with the passage
marked), and a streamed cited answer when an LLM is configured. Queries are posted, never put in URLs, and reach
the request log only masked (`RAG_LOG_QUERIES=masked`), as for the API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool

from rag_service import service
from rag_service.console.auth import ApiUser, ContainerDep, User, same_origin
from rag_service.console.errors import ConsoleRoute, status_of
from rag_service.console.templating import render
from rag_service.errors import RagError
from rag_service.service import Container
from rag_service.types import EditionStatus
from rag_service.wire import AnswerDelta, AnswerRequest, AnswerResponse, HitOut, SearchRequest

router = APIRouter(
    prefix="/console", include_in_schema=False, dependencies=[Depends(same_origin)], route_class=ConsoleRoute
)
MODES = ("hybrid", "bm25", "bigram", "dense")


def _form_context(c: Container) -> dict[str, Any]:
    catalog = c.retriever.catalog()
    specialties = sorted({s for e in catalog.entries.values() for s in e.edition.specialties})
    sources = sorted((e.source_id, f"{e.edition.title}（{e.edition.edition}）") for e in catalog.entries.values())
    pdf = {sid for sid, e in catalog.entries.items() if e.source.lower().endswith(".pdf")}
    return {"sources": sources, "specialties": specialties, "statuses": [s.value for s in EditionStatus],
            "modes": MODES, "llm": c.llm is not None, "pdf_sources": pdf}  # fmt: skip


def _note(request: Request) -> service.Note:
    def note(text: str) -> None:
        request.state.log_query = text

    return note


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, c: ContainerDep, user: User) -> Response:
    form = {"q": "", "mode": "hybrid", "source": "", "specialty": "", "status": ["current"], "as_of": "", "top_k": 10}
    return render(request, "search.html", user=user, form=form, hits=None, error=None, **_form_context(c))


@router.post("/search", response_class=HTMLResponse)
def search(
    request: Request,
    c: ContainerDep,
    user: User,
    q: Annotated[str, Form(max_length=20_000)],
    mode: Annotated[str, Form()] = "hybrid",
    source: Annotated[str, Form()] = "",
    specialty: Annotated[str, Form()] = "",
    status: Annotated[list[str] | None, Form()] = None,
    as_of: Annotated[str, Form()] = "",
    top_k: Annotated[int, Form(ge=1, le=100)] = 10,
) -> Response:
    form = {"q": q, "mode": mode, "source": source, "specialty": specialty, "status": status or [], "as_of": as_of,
            "top_k": top_k}  # fmt: skip
    hits: list[HitOut] | None = None
    error, code = None, 200
    try:
        filters = {
            "source_ids": [source] if source else None,
            "specialties": [specialty] if specialty else None,
            "status": status or ["current"],
            "as_of": date.fromisoformat(as_of) if as_of else None,
        }
        body = SearchRequest.model_validate({"query": q, "top_k": top_k, "mode": mode, "filters": filters})
        hits = service.search(c, user, body, _note(request)).hits
    except (ValidationError, ValueError) as e:
        error, code = (str(e).splitlines()[0] if isinstance(e, ValidationError) else str(e)), 422
    except RagError as e:  # a bad query, an empty index: said on the page, beside the form
        error, code = str(e), status_of(e)
    return render(
        request, "search.html", status_code=code, user=user, form=form, hits=hits, error=error, **_form_context(c)
    )


@router.get("/hits/{chunk_id}", response_class=HTMLResponse)
def hit_page(
    request: Request, chunk_id: str, c: ContainerDep, user: User, page: Annotated[int | None, Query(ge=1)] = None
) -> Response:
    cited = service.cited_passage(c, user, chunk_id)
    shown = page if page in cited.pages else cited.pages[0]
    return render(
        request, "hit.html", user=user, hit=cited.hit, pdf=cited.pdf, page=shown, pages=cited.pages, spans=cited.spans
    )


@router.get("/hits/{chunk_id}/page.png")
def hit_image(
    chunk_id: str, c: ContainerDep, user: ApiUser, page: Annotated[int | None, Query(ge=1, le=100_000)] = None
) -> Response:
    image = service.page_image(c, user, chunk_id, page, dpi=110)
    return Response(image.png, media_type="image/png", headers={"X-Highlight-Boxes": str(image.boxes)})


async def _sse(events: Iterator[AnswerDelta | AnswerResponse]) -> AsyncIterator[dict[str, str]]:
    try:
        async for event in iterate_in_threadpool(events):
            name = "delta" if isinstance(event, AnswerDelta) else "done"
            yield {"event": name, "data": event.model_dump_json()}
    except RagError as e:  # the headers are gone: the page's script shows the message
        yield {"event": "error", "data": json.dumps({"detail": str(e), "error": type(e).__name__}, ensure_ascii=False)}


@router.post("/answer")
def answer(body: AnswerRequest, request: Request, c: ContainerDep, user: ApiUser) -> Response:
    """A streamed answer (server-sent `delta` events, then `done` with citations), as `POST /v1/answer` streams."""
    return EventSourceResponse(_sse(service.stream(c, user, body, _note(request)).events))
