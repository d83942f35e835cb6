"""The MCP server (the official `mcp` SDK) for agents: `search_guidelines`, `get_citation` (text, citation and the
page image) and, when an LLM is configured, `answer_with_citations`. The tools call the same in-process code as the
HTTP routes, on the `ServiceState` they are given.

Two transports: streamable HTTP at `/mcp` in the service's own app (`install_mcp`: the same API keys, a key's scopes
checked per tool — `search` for the search tools, `answer` for the answer — and its rate limit), and stdio
(`rag mcp`, which opens the index in its own process).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ImageContent, TextContent
from pydantic import Field
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from rag_service.answer import answer
from rag_service.api.answer_routes import answer_out, evidence_threshold
from rag_service.api.routes import active_chunk, cited_page
from rag_service.api.schemas import AnswerRequest, AnswerResponse, HitOut, SearchFilters, SearchRequest, SearchResponse
from rag_service.api.security import ApiKey, RateLimiter, bearer_or_header, find_key, retry_after
from rag_service.api.state import ServiceState
from rag_service.errors import RagError
from rag_service.outline import edition_outline
from rag_service.settings import Settings
from rag_service.types import EditionStatus, Hit

Mode = Literal["hybrid", "bm25", "bigram", "dense"]
GetState = Callable[[], ServiceState]
NO_KEY = "a valid API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY`"
PAGE_DPI = 110

Query = Annotated[str, Field(description="What to look for, in Japanese (e.g. 「異状死体の届出」).", min_length=1)]
Sources = Annotated[list[str] | None, Field(description="Only these editions (manifest ids, a hit's source_id).")]
Specialties = Annotated[list[str] | None, Field(description="Editions tagged with any of these specialties.")]
Statuses = Annotated[list[EditionStatus] | None, Field(description="Edition statuses to include (default: current).")]
AsOf = Annotated[date | None, Field(description="The editions in force on this date, YYYY-MM-DD (overrides status).")]
LegMode = Annotated[Mode, Field(description="`hybrid` fuses every leg (BM25, bigram, dense); or one leg alone.")]


class _Gate:
    """Who may call a tool: with API keys configured, an HTTP request's key must hold the tool's scope and be under
    its rate limit (the same keys and limits as the routes). stdio has no request: the local user opened the index."""

    def __init__(self, keys: list[ApiKey], limiter: RateLimiter) -> None:
        self.keys, self.limiter = keys, limiter

    def check(self, ctx: Context, scope: str) -> None:
        headers = getattr(ctx.request_context.request, "headers", None)
        if not self.keys or headers is None:
            return
        key = find_key(bearer_or_header(headers.get("authorization"), headers.get("x-api-key")), self.keys)
        if key is None:
            raise ToolError(NO_KEY)
        if scope not in key.scopes:
            raise ToolError(
                f"this key ({key.id}) may not use {scope} tools; its scopes: {', '.join(sorted(key.scopes))}"
            )
        wait = self.limiter.take(key)
        if wait:
            raise ToolError(f"this key ({key.id}) is over its limit of {key.per_minute} requests a minute: retry in "
                            f"{retry_after(wait)} s")  # fmt: skip


def _filters(
    source_ids: list[str] | None, specialties: list[str] | None, status: list[EditionStatus] | None, as_of: date | None
) -> SearchFilters:
    return SearchFilters(
        source_ids=source_ids,
        specialties=specialties,
        status=status or [EditionStatus.CURRENT],
        as_of=as_of,
    )


def _ready(state: ServiceState) -> None:
    if not state.index_ready():
        raise ToolError("the index is empty: run `rag ingest` first")


def build_mcp(get_state: GetState, settings: Settings, gate: _Gate | None = None) -> MCPServer:
    """The MCP server over the state `get_state` returns (the app's, once its lifespan has opened it)."""
    gate = gate or _Gate([], RateLimiter())
    server: MCPServer = MCPServer(
        "jp-guideline-rag",
        instructions="日本の診療ガイドラインと医療関連法令の検索。回答には必ず出典（ガイドライン名・版・ページ）を示すこと。",
        log_level="WARNING",
    )

    @server.tool()
    def search_guidelines(
        ctx: Context,
        query: Query,
        top_k: Annotated[int, Field(ge=1, description="Number of hits.")] = 5,
        mode: LegMode = "hybrid",
        source_ids: Sources = None,
        specialties: Specialties = None,
        status: Statuses = None,
        as_of: AsOf = None,
    ) -> SearchResponse:
        """Search Japanese clinical guidelines and laws: passages with their citation (guideline, edition, pages,
        section, CQ and recommendation with its strength) and per-leg scores. Cite what you use."""
        gate.check(ctx, "search")
        state = get_state()
        body = SearchRequest(
            query=query, top_k=top_k, mode=mode, filters=_filters(source_ids, specialties, status, as_of)
        )
        try:
            q = body.to_query(state.settings.retrieval)
            _ready(state)
            result = state.retriever.search(q)
        except RagError as e:
            raise ToolError(str(e)) from e
        hits = [HitOut.from_hit(h) for h in result.hits]
        return SearchResponse(hits=hits, timings_ms=result.timings_ms, query_kind=result.query_kind)

    @server.tool()
    def get_citation(
        ctx: Context, chunk_id: Annotated[str, Field(description="A hit's chunk_id (from search_guidelines).")]
    ) -> list[TextContent | ImageContent]:
        """One passage by its chunk_id: its text and citation (JSON), and the PDF page it stands on as a PNG with
        the passage highlighted (for a PDF source)."""
        gate.check(ctx, "search")
        state = get_state()
        try:
            chunk = active_chunk(state, chunk_id)
        except HTTPException as e:
            raise ToolError(str(e.detail)) from e
        except RagError as e:
            raise ToolError(str(e)) from e
        text = HitOut.from_hit(Hit(chunk=chunk)).model_dump_json(exclude={"scores"})
        out: list[TextContent | ImageContent] = [TextContent(type="text", text=text)]
        try:
            page = cited_page(state, chunk, None, PAGE_DPI)
        except HTTPException as e:  # not a PDF, or the file is gone: the text is the whole citation
            out.append(
                TextContent(type="text", text=json.dumps({"page_image": None, "why": e.detail}, ensure_ascii=False))
            )
            return out
        out.append(ImageContent(type="image", data=base64.b64encode(page.png).decode("ascii"), mime_type="image/png"))
        note = {"page_image": {"page": page.page, "pages": page.pages, "highlighted_boxes": page.boxes}}
        out.append(TextContent(type="text", text=json.dumps(note)))
        return out

    @server.tool()
    def guideline_outline(
        ctx: Context,
        source_id: Annotated[str, Field(description="An edition's source_id (from a hit's citation).")],
    ) -> dict[str, Any]:
        """What ingestion read from one edition: its sections with pages, and every recommendation (推奨) with its
        own number, text, grade (strength, certainty, direction, as printed) and pages; pages OCR'd and left out."""
        gate.check(ctx, "search")
        state = get_state()
        entry = state.retriever.catalog().entries.get(source_id) if state.index_ready() else None
        if entry is None:
            raise ToolError(f"no edition {source_id!r} in the index: search hits name their source_id")
        try:
            return edition_outline(state.retriever.store, entry)
        except RagError as e:
            raise ToolError(str(e)) from e

    if settings.llm_base_url or settings.llm_embedded:

        @server.tool()
        def answer_with_citations(
            ctx: Context,
            question: Annotated[str, Field(description="The question, in Japanese.", min_length=1)],
            top_k: Annotated[int | None, Field(ge=1, description="Sources given to the model.")] = None,
            mode: LegMode = "hybrid",
            source_ids: Sources = None,
            specialties: Specialties = None,
            status: Statuses = None,
            as_of: AsOf = None,
        ) -> AnswerResponse:
            """An answer written only from retrieved guideline passages, citing them as [n] (the `citations`), or
            an abstention with its reason when the passages do not answer the question."""
            gate.check(ctx, "answer")
            state = get_state()
            if state.llm is None:
                raise ToolError("no LLM is configured: set RAG_LLM_BASE_URL (and RAG_LLM_MODEL)")
            f = _filters(source_ids, specialties, status, as_of)
            body = AnswerRequest(question=question, top_k=top_k, mode=mode, filters=f)
            try:
                q = body.to_query(state.settings)
                _ready(state)
                result = answer(
                    q, state.retriever, state.llm, evidence_threshold(state), state.settings.answer.max_tokens
                )
            except RagError as e:
                raise ToolError(str(e)) from e
            return answer_out(result)

    return server


class _KeyRequired:
    """The `/mcp` endpoint refuses a request without a configured key (401) before the SDK sees it."""

    def __init__(self, app: ASGIApp, keys: list[ApiKey]) -> None:
        self.app, self.keys = app, keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.keys and scope["type"] == "http":
            h = Headers(scope=scope)
            if find_key(bearer_or_header(h.get("authorization"), h.get("x-api-key")), self.keys) is None:
                body = {"detail": NO_KEY, "error": "Unauthorized"}
                await JSONResponse(body, 401, headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_mcp(app: FastAPI, settings: Settings) -> MCPServer:
    """Streamable HTTP at `/mcp` on `app`, behind its keys; the lifespan must run `server.session_manager.run()`."""
    server = build_mcp(lambda: app.state.svc, settings, _Gate(app.state.keys, app.state.limiter))
    http = server.streamable_http_app(streamable_http_path="/mcp", host=settings.host)
    endpoint = _KeyRequired(http, app.state.keys)
    app.router.routes.append(Route("/mcp", endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False))
    return server
