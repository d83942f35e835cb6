"""The MCP server (the official `mcp` SDK) for agents: `search_guidelines`, `get_citation` (text, citation and the
page image), `guideline_outline`, `list_recommendations` and, when an LLM is configured, `answer_with_citations`.
Each tool calls one use case of `rag_service.service` on the container it is given, as the caller it identifies;
domain errors become tool errors in one place (`tool_errors`). Served over streamable HTTP at `/mcp`
(`rag_service.mcp_tools.http`) and over stdio (`rag mcp`)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, ImageContent, TextContent
from pydantic import Field

from rag_service import service
from rag_service.errors import RagError
from rag_service.service import Caller, Container
from rag_service.settings import Settings
from rag_service.version import service_version
from rag_service.wire import (
    AnswerRequest,
    AnswerResponse,
    CitedPassageOut,
    Direction,
    EditionChangesResponse,
    EditionStatus,
    Mode,
    OutlineResponse,
    PageImageOut,
    RecommendationsQuery,
    RecommendationsResponse,
    SearchFilters,
    SearchRequest,
    SearchResponse,
)

GetContainer = Callable[[], Container]
Identify = Callable[[Context], Caller]  # who calls a tool: a request's key over HTTP, the local user over stdio
PAGE_DPI = 110

Query = Annotated[str, Field(description="What to look for, in Japanese (e.g. 「異状死体の届出」).", min_length=1)]
Sources = Annotated[list[str] | None, Field(description="Only these editions (manifest ids, a hit's source_id).")]
Specialties = Annotated[list[str] | None, Field(description="Editions tagged with any of these specialties.")]
Statuses = Annotated[list[EditionStatus] | None, Field(description="Edition statuses to include (default: current).")]
AsOf = Annotated[date | None, Field(description="The editions in force on this date, YYYY-MM-DD (overrides status).")]
LegMode = Annotated[Mode, Field(description="`hybrid` fuses every leg (BM25, bigram, dense); or one leg alone.")]


@contextmanager
def tool_errors() -> Iterator[None]:
    """The MCP door's error mapping: a domain error is a tool error with its message (what to do)."""
    try:
        yield
    except RagError as e:
        raise ToolError(str(e)) from e


def _filters(
    source_ids: list[str] | None, specialties: list[str] | None, status: list[EditionStatus] | None, as_of: date | None
) -> SearchFilters:
    return SearchFilters(
        source_ids=source_ids, specialties=specialties, status=status or [EditionStatus.CURRENT], as_of=as_of
    )


def build_mcp(get: GetContainer, settings: Settings, identify: Identify) -> MCPServer:
    """The MCP server over the container `get` returns (the app's, once its lifespan has opened it)."""
    server: MCPServer = MCPServer(
        "jp-guideline-rag",
        instructions="日本の診療ガイドラインと医療関連法令の検索。回答には必ず出典（ガイドライン名・版・ページ）を示すこと。",
        version=service_version(),
        log_level="WARNING",
    )
    _search_tools(server, get, identify)
    _corpus_tools(server, get, identify)
    if settings.llm_base_url or settings.llm_embedded:
        _answer_tool(server, get, identify)
    return server


def _search_tools(server: MCPServer, get: GetContainer, identify: Identify) -> None:
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
        f = _filters(source_ids, specialties, status, as_of)
        with tool_errors():
            return service.search(get(), identify(ctx), SearchRequest(query=query, top_k=top_k, mode=mode, filters=f))

    @server.tool()
    def get_citation(
        ctx: Context, chunk_id: Annotated[str, Field(description="A hit's chunk_id (from search_guidelines).")]
    ) -> Annotated[CallToolResult, CitedPassageOut]:
        """One passage by its chunk_id: its text and citation, and the PDF page it stands on as a PNG with the
        passage highlighted (for a PDF source; otherwise `why` says there is none)."""
        with tool_errors():
            cited = service.cited_page(get(), identify(ctx), chunk_id, PAGE_DPI)
        image = cited.image
        page = PageImageOut(page=image.page, pages=image.pages, highlighted_boxes=image.boxes) if image else None
        out = CitedPassageOut(hit=cited.hit, page_image=page, why=cited.why)
        content: list[ContentBlock] = [TextContent(type="text", text=out.model_dump_json(exclude={"hit": {"scores"}}))]
        if image is not None:
            png = base64.b64encode(image.png).decode("ascii")
            content.append(ImageContent(type="image", data=png, mime_type="image/png"))
        return CallToolResult(content=content, structured_content=out.model_dump(mode="json"))


def _corpus_tools(server: MCPServer, get: GetContainer, identify: Identify) -> None:
    @server.tool()
    def guideline_outline(
        ctx: Context,
        source_id: Annotated[str, Field(description="An edition's source_id (from a hit's citation).")],
    ) -> OutlineResponse:
        """What ingestion read from one edition: its sections with pages, and every recommendation (推奨) with its
        own number, text, grade (strength, certainty, direction, as printed) and pages; pages OCR'd and left out."""
        with tool_errors():
            return service.outline_response(get(), identify(ctx), source_id)

    @server.tool()
    def list_recommendations(
        ctx: Context,
        source_ids: Sources = None,
        cq: Annotated[str | None, Field(description="A CQ: `CQ2-1`, or `CQ2` for CQ2 and its parts.")] = None,
        q: Annotated[str | None, Field(description="Text the statement contains (e.g. 「降圧目標」).")] = None,
        direction: Annotated[Direction | None, Field(description="`for`, `against` or `none`.")] = None,
        strength: Annotated[int | None, Field(ge=1, le=2, description="推奨の強さ: 1 (強い) or 2 (弱い).")] = None,
        status: Statuses = None,
    ) -> RecommendationsResponse:
        """The recommendations (推奨) of the indexed guidelines, each with its own grade (strength, certainty,
        direction, as printed), its pages and its guideline's title and edition. Filter by edition, CQ or text."""
        query = RecommendationsQuery(source_ids=source_ids, cq=cq, q=q, direction=direction, strength=strength,
                                     status=status or [EditionStatus.CURRENT])  # fmt: skip
        with tool_errors():
            return service.recommendations(get(), identify(ctx), query)

    @server.tool()
    def edition_changes(
        ctx: Context,
        source_id: Annotated[str, Field(description="The newer edition's source_id.")],
        since: Annotated[
            str | None, Field(description="The older edition's source_id (default: the one it supersedes).")
        ] = None,
    ) -> EditionChangesResponse:
        """What changed between two editions of a guideline, statement by statement: added, removed, regraded
        (e.g. 2C → 1B, for → against), reworded (with the text difference), moved to another CQ; pages on both
        sides. Use it to answer "what is new in this edition"."""
        with tool_errors():
            return service.changes(get(), identify(ctx), source_id, since)


def _answer_tool(server: MCPServer, get: GetContainer, identify: Identify) -> None:
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
        f = _filters(source_ids, specialties, status, as_of)
        req = AnswerRequest(question=question, top_k=top_k, mode=mode, filters=f)
        with tool_errors():
            return service.answer(get(), identify(ctx), req).response
