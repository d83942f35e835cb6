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
from rag_service.console.errors import ConsoleRoute
from rag_service.console.formatting import parse_day
from rag_service.console.messages import ConsoleText
from rag_service.console.templating import render, text_of
from rag_service.errors import RagError
from rag_service.query import QueryTooLong
from rag_service.service import Container
from rag_service.service.statuses import status_of
from rag_service.settings import RetrievalSettings
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
    limits = c.settings.retrieval
    return {"sources": sorted(sources, key=lambda s: s[1]), "specialties": specialties, "modes": MODES,
            "statuses": [s.value for s in EditionStatus], "llm": c.llm is not None, "pdf_sources": pdf,
            "max_top_k": limits.max_top_k, "max_query_chars": limits.max_query_chars}  # fmt: skip


def _note(request: Request) -> service.Note:
    def note(text: str) -> None:
        request.state.log_query = text

    return note


def form_problem(t: ConsoleText, form: dict[str, Any], limits: RetrievalSettings) -> tuple[str | None, date | None]:
    """Pure: what is wrong with the search form, in the reader's words (the limits are the server's own), and the
    day of `as_of` (typed as 2020-06-01, 2020/6/1 or 2020年6月1日)."""
    q, top_k = form["q"], form["top_k"]
    if not q.strip():
        return t.raw("err.query_empty"), None
    if len(q) > limits.max_query_chars:
        return str(t("err.query_long", n=len(q), max=limits.max_query_chars)), None
    if not (isinstance(top_k, int) and 1 <= top_k <= limits.max_top_k):
        return str(t("err.top_k", max=limits.max_top_k)), None
    if form["mode"] not in MODES:
        return t.raw("err.mode"), None
    if any(s not in {e.value for e in EditionStatus} for s in form["status"]):
        return t.raw("err.status"), None
    try:
        return None, parse_day(form["as_of"])
    except ValueError:
        return t.raw("err.as_of"), None


def search_error(t: ConsoleText, e: RagError) -> str:
    """A domain error from the search, said for a librarian (the service's own message names settings)."""
    if "needs a dense embedder" in str(e):
        return t.raw("err.dense")
    if isinstance(e, QueryTooLong):
        return t.raw("error.413")
    return t.raw(f"error.{status_of(e)}") if f"error.{status_of(e)}" in t.messages else t.raw("err.search")


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, c: ContainerDep, user: User) -> Response:
    top_k = min(10, c.settings.retrieval.max_top_k)
    form = {
        "q": "",
        "mode": "hybrid",
        "source": "",
        "specialty": "",
        "status": ["current"],
        "as_of": "",
        "top_k": top_k,
    }
    return render(request, "search.html", user=user, form=form, hits=None, error=None, **_form_context(c))


@router.post("/search", response_class=HTMLResponse)
def search(
    request: Request,
    c: ContainerDep,
    user: User,
    q: Annotated[str, Form(max_length=100_000)] = "",
    mode: Annotated[str, Form(max_length=20)] = "hybrid",
    source: Annotated[str, Form(max_length=500)] = "",
    specialty: Annotated[str, Form(max_length=500)] = "",
    status: Annotated[list[str] | None, Form()] = None,
    as_of: Annotated[str, Form(max_length=40)] = "",
    top_k: Annotated[str, Form(max_length=10)] = "10",
) -> Response:
    t = text_of(request)
    k = int(top_k) if top_k.strip().isdigit() else None
    form = {"q": q, "mode": mode, "source": source, "specialty": specialty, "status": status or [], "as_of": as_of,
            "top_k": k if k is not None else top_k}  # fmt: skip
    hits: list[HitOut] | None = None
    error, day = form_problem(t, form, c.settings.retrieval)
    code = 422 if error else 200
    if error is None:
        filters = {"source_ids": [source] if source else None, "specialties": [specialty] if specialty else None,
                   "status": status or ["current"], "as_of": day}  # fmt: skip
        try:
            body = SearchRequest.model_validate({"query": q, "top_k": k, "mode": mode, "filters": filters})
            hits = service.search(c, user, body, _note(request)).hits
        except ValidationError:
            error, code = t.raw("err.search"), 422
        except RagError as e:  # an empty index, a leg this server lacks: said on the page, beside the form
            error, code = search_error(t, e), status_of(e)
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
