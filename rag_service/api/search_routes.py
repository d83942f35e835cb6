"""Search and the corpus: `POST /v1/search`, the editions, an edition's outline, the recommendations, a chunk and its
page image. Thin: each route calls one use case of `rag_service.service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from rag_service import service
from rag_service.api.deps import CallerDep, ContainerDep, MetricsDep, NoteDep
from rag_service.wire import (
    Direction,
    DocumentsResponse,
    EditionChangesResponse,
    EditionStatus,
    HitOut,
    OutlineResponse,
    RecommendationsQuery,
    RecommendationsResponse,
    SearchRequest,
    SearchResponse,
)

router = APIRouter(prefix="/v1")


@router.post("/search", response_model=SearchResponse, tags=["search"])
def search(
    body: SearchRequest, c: ContainerDep, who: CallerDep, note: NoteDep, metrics: MetricsDep, request: Request
) -> Response:
    found = service.search(c, who, body, note)
    metrics.observe_stages(found.timings_ms)
    request.state.stages = found.timings_ms
    # the model is valid already: pydantic-core writes its JSON once (FastAPI would validate and encode it again;
    # measured 0.77× the c=1 latency at 100k chunks, README Benchmarks)
    return Response(found.model_dump_json(), media_type="application/json")


@router.get("/documents", response_model=DocumentsResponse, tags=["corpus"])
def documents(c: ContainerDep, who: CallerDep) -> DocumentsResponse:
    return service.documents(c, who)


@router.get("/documents/{source_id}/outline", response_model=OutlineResponse, tags=["corpus"])
def document_outline(source_id: str, c: ContainerDep, who: CallerDep) -> OutlineResponse:
    """What ingestion read from one edition: section tree with pages, every recommendation with its own grade and
    pages, pages OCR'd and left out, text-quality scores (the same as `rag corpus show ID --json`). Read from the
    index: the source PDF is not opened."""
    return service.outline_response(c, who, source_id)


@router.get("/documents/{source_id}/changes", response_model=EditionChangesResponse, tags=["corpus"])
def document_changes(
    source_id: str,
    c: ContainerDep,
    who: CallerDep,
    since: Annotated[
        str | None, Query(max_length=200, description="The older edition (default: the one this edition supersedes).")
    ] = None,
) -> EditionChangesResponse:
    """What changed since an older edition, statement by statement: added, removed, regraded (grade or direction),
    reworded (with the text difference), moved to another CQ; pages on both sides. Read from the stored outlines."""
    return service.changes(c, who, source_id, since)


@router.get("/recommendations", response_model=RecommendationsResponse, tags=["corpus"])
def recommendations(
    c: ContainerDep,
    who: CallerDep,
    source_id: Annotated[list[str] | None, Query(description="Only these editions (repeat the parameter).")] = None,
    cq: Annotated[str | None, Query(max_length=100, description="`CQ2-1`, or `CQ2` for CQ2 and its parts.")] = None,
    q: Annotated[str | None, Query(max_length=500, description="Text the statement contains.")] = None,
    direction: Annotated[Direction | None, Query(description="for, against or none.")] = None,
    strength: Annotated[int | None, Query(ge=1, le=2, description="推奨の強さ: 1 or 2.")] = None,
    status: Annotated[list[EditionStatus] | None, Query(description="Edition statuses (default: current).")] = None,
) -> RecommendationsResponse:
    """The recommendations (推奨) of the indexed editions, each with its own grade and pages and its edition's
    citation fields, read from the outlines ingestion stored (no PDF is opened)."""
    query = RecommendationsQuery(
        source_ids=source_id,
        cq=cq,
        q=q,
        direction=direction,
        strength=strength,
        status=status or [EditionStatus.CURRENT],
    )
    return service.recommendations(c, who, query)


@router.get("/chunks/{chunk_id}", response_model=HitOut, tags=["corpus"])
def get_chunk(chunk_id: str, c: ContainerDep, who: CallerDep) -> HitOut:
    """One chunk with its citation (a search hit's `chunk_id`), without scores."""
    return service.chunk(c, who, chunk_id)


@router.get(
    "/chunks/{chunk_id}/page.png",
    tags=["corpus"],
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "the page with the chunk highlighted"}},
)
def chunk_page(
    chunk_id: str,
    c: ContainerDep,
    who: CallerDep,
    page: Annotated[int | None, Query(ge=1, le=100_000, description="Default: the chunk's first page.")] = None,
    dpi: Annotated[int, Query(ge=36, le=200)] = 110,
) -> Response:
    """The cited PDF page rendered as PNG with the chunk's text highlighted (`X-Highlight-Boxes`: how many line
    boxes were painted; 0 for an OCR'd page, whose text has no positions in the PDF). 409 for a non-PDF source."""
    image = service.page_image(c, who, chunk_id, page, dpi)
    return Response(image.png, media_type="image/png", headers={"X-Highlight-Boxes": str(image.boxes)})
