"""Routes under /v1 plus health checks. Dependencies come from app.state through `Depends`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response

from ingestion.audit import append_audit
from rag_service.api.schemas import (
    DocumentsResponse,
    EditionOut,
    HitOut,
    IngestRequest,
    JobOut,
    SearchRequest,
    SearchResponse,
    SnapshotRequest,
)
from rag_service.api.security import ApiKey, bearer_or_header, find_key, retry_after
from rag_service.api.state import ServiceState
from rag_service.errors import RagError
from rag_service.outline import edition_outline
from rag_service.page_image import PageImage, render_page
from rag_service.pii import mask_text
from rag_service.types import Chunk, Hit

router = APIRouter()  # health checks


def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.svc
    return state


State = Annotated[ServiceState, Depends(get_state)]


def _presented_key(request: Request, authorization: str | None, x_api_key: str | None) -> ApiKey | None:
    """The configured key the request carries (raises 401 when keys are required and none matches); None when
    the service runs without keys (loopback only)."""
    keys: list[ApiKey] = request.app.state.keys
    if not keys:
        return None
    key = find_key(bearer_or_header(authorization, x_api_key), keys)
    if key is None:
        raise HTTPException(
            401,
            "a valid API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.key_id = key.id
    return key


def _allow(request: Request, key: ApiKey, scope: str) -> None:
    if scope not in key.scopes:
        raise HTTPException(
            403, f"this key ({key.id}) may not use {scope} routes; its scopes: {', '.join(sorted(key.scopes))}"
        )
    wait = request.app.state.limiter.take(key)
    if wait:
        raise HTTPException(
            429,
            f"this key ({key.id}) is over its limit of {key.per_minute} requests a minute: retry in "
            f"{retry_after(wait)} s",
            headers={"Retry-After": retry_after(wait)},
        )


def require_scope(scope: str) -> Callable[..., None]:
    """A dependency: the request's key must have `scope` and be under its rate limit (401 / 403 / 429)."""

    def check(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> None:
        key = _presented_key(request, authorization, x_api_key)
        if key is not None:
            _allow(request, key, scope)

    return check


require_key = require_scope("search")


def require_admin(
    request: Request,
    state: State,
    x_admin_token: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> ServiceState:
    """The admin token from server.json (what `rag ingest` sends), or an API key with the `admin` scope."""
    if x_admin_token is not None and secrets.compare_digest(x_admin_token, state.admin_token):
        request.state.actor = "admin token (server.json)"
        return state
    if request.app.state.keys and (authorization or x_api_key):
        key = _presented_key(request, authorization, x_api_key)
        assert key is not None
        _allow(request, key, "admin")
        request.state.actor = key.id
        return state
    raise HTTPException(
        401,
        "admin token missing or wrong: `rag ingest` reads it from RAG_DATA_DIR/server.json (or use a key with "
        "the admin scope)",
    )


Admin = Annotated[ServiceState, Depends(require_admin)]


def note_query(request: Request, state: ServiceState, text: str) -> None:
    """The query for the request log: only with RAG_LOG_QUERIES=masked, and only masked."""
    if state.settings.log_queries == "masked":
        request.state.log_query = mask_text(text)


v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])  # everything apps call
admin = APIRouter(prefix="/v1/admin", tags=["admin"])  # `rag ingest` hand-off, admin token from server.json


@router.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", tags=["health"], include_in_schema=False)
def metrics(state: State) -> Response:
    return state.metrics.render()


@router.get("/readyz", tags=["health"])
def readyz(state: State) -> dict[str, object]:
    if not state.index_ready():
        raise HTTPException(503, "the index is empty: run `rag ingest`")
    llm = "not configured"
    if state.llm is not None:
        llm = "reachable" if state.llm.ping() else "unreachable"
        if llm == "unreachable":
            raise HTTPException(503, "the LLM does not answer: check RAG_LLM_BASE_URL")
    return {"status": "ready", "embedder": state.embedder.id if state.embedder else "none", "llm": llm}


@v1.post("/search", response_model=SearchResponse, tags=["search"])
def search(body: SearchRequest, state: State, request: Request) -> SearchResponse:
    q = body.to_query(state.settings.retrieval)  # 413 / 422 name the limit
    note_query(request, state, q.text)
    if not state.index_ready():
        raise HTTPException(503, "the index is empty: run `rag ingest` first")
    result = state.retriever.search(q)
    state.metrics.observe_stages(result.timings_ms)
    request.state.stages = result.timings_ms
    return SearchResponse(
        hits=[HitOut.from_hit(h) for h in result.hits], timings_ms=result.timings_ms, query_kind=result.query_kind
    )


@v1.get("/documents", response_model=DocumentsResponse, tags=["corpus"])
def documents(state: State) -> DocumentsResponse:
    catalog = state.retriever.catalog()
    return DocumentsResponse(
        editions=[EditionOut.from_entry(e) for e in sorted(catalog.entries.values(), key=lambda e: e.source_id)]
    )


@v1.get("/documents/{source_id}/outline", tags=["corpus"])
def document_outline(source_id: str, state: State) -> dict[str, object]:
    """What ingestion read from one edition: section tree with pages, every recommendation with its own grade and
    pages, pages OCR'd and left out, text-quality scores (the same as `rag corpus show ID --json`). Read from the
    index: the source PDF is not opened."""
    entry = state.retriever.catalog().entries.get(source_id)
    if entry is None:
        raise HTTPException(404, f"no edition {source_id!r} in the index: GET /v1/documents lists them")
    try:
        return edition_outline(state.retriever.store, entry)
    except RagError as e:
        raise HTTPException(409, str(e)) from e


def active_chunk(state: ServiceState, chunk_id: str) -> Chunk:
    chunk = state.retriever.get_chunk(chunk_id) if state.index_ready() else None
    if chunk is None:
        raise HTTPException(404, f"no chunk {chunk_id!r} in an active edition: chunk ids come from search hits")
    return chunk


def cited_page(state: ServiceState, chunk: Chunk, page: int | None, dpi: int) -> PageImage:
    """The chunk's PDF page with its passage highlighted (the route's, the console's and the MCP tool's)."""
    from ingestion.ocr import ocr_textpage, tessdata
    from ingestion.outline import source_path

    entry = state.retriever.catalog().entries.get(chunk.edition.source_id)
    path = source_path(state.settings, entry) if entry else None
    if path is None or path.suffix.lower() != ".pdf":
        raise HTTPException(409, "this chunk's source is not a PDF: its text is the whole citation (GET /v1/chunks/ID)")
    if page is not None and not chunk.page_start <= page <= chunk.page_end:
        raise HTTPException(422, f"page {page} is outside the chunk's pages {chunk.page_start}–{chunk.page_end}")
    folder = tessdata() if chunk.ocr else None
    ocr = (lambda pg: ocr_textpage(pg, folder)) if folder else None  # an OCR'd page: its text positions again
    try:
        return render_page(path, chunk, page, dpi, ocr)
    except RagError as e:
        raise HTTPException(409, str(e)) from e


@v1.get("/chunks/{chunk_id}", response_model=HitOut, tags=["corpus"])
def get_chunk(chunk_id: str, state: State) -> HitOut:
    """One chunk with its citation (a search hit's `chunk_id`), without scores."""
    return HitOut.from_hit(Hit(chunk=active_chunk(state, chunk_id)))


@v1.get(
    "/chunks/{chunk_id}/page.png",
    tags=["corpus"],
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "the page with the chunk highlighted"}},
)
def chunk_page(
    chunk_id: str,
    state: State,
    page: Annotated[int | None, Query(ge=1, le=100_000, description="Default: the chunk's first page.")] = None,
    dpi: Annotated[int, Query(ge=36, le=200)] = 110,
) -> Response:
    """The cited PDF page rendered as PNG with the chunk's text highlighted (`X-Highlight-Boxes`: how many line
    boxes were painted; 0 for an OCR'd page, whose text has no positions in the PDF). 409 for a non-PDF source."""
    image = cited_page(state, active_chunk(state, chunk_id), page, dpi)
    return Response(image.png, media_type="image/png", headers={"X-Highlight-Boxes": str(image.boxes)})


@admin.post("/ingest", response_model=JobOut, status_code=202)
def admin_ingest(body: IngestRequest, state: Admin, request: Request) -> JobOut:
    manifest = Path(body.manifest) if body.manifest else state.settings.manifest
    job = state.start_ingest(manifest, body.dry_run, actor=request.state.actor)
    if job is None:
        raise HTTPException(409, "an ingestion job is already running: wait for it to finish")
    return JobOut(id=job.id, state="running", progress=job.progress.snapshot())


@admin.post("/snapshot")
def admin_snapshot(body: SnapshotRequest, state: Admin, request: Request) -> dict[str, object]:
    """A consistent snapshot of the embedded index, taken by the process that holds it: ingestion waits (409 while a
    job runs), searches go on. Used by `rag snapshot create` while `rag serve` runs."""
    from rag_service.snapshot import create_embedded

    if state.settings.qdrant_url is not None:
        raise HTTPException(409, "the index is on a Qdrant server: `rag snapshot create` uses Qdrant's snapshots")
    if not state.lock_for_snapshot():
        raise HTTPException(409, "an ingestion job is running: take the snapshot when it has finished")
    target = state.settings.data_dir / "snapshots" / body.name  # a name, never a path: the server writes only here
    try:
        state.store.flush()
        info = create_embedded(state.settings, target)
    except OSError as e:
        raise HTTPException(507, f"cannot write the snapshot {target} ({e.strerror or e}): free space under "
                            "RAG_DATA_DIR") from e  # fmt: skip
    except RagError as e:
        raise HTTPException(409, str(e)) from e
    finally:
        state.unlock_after_snapshot()
    append_audit(state.settings.audit_log_path, {"action": "snapshot", "via": request.state.actor, "path": str(target)})
    return info


@admin.get("/jobs/{job_id}", response_model=JobOut)
def admin_job(job_id: str, state: Admin) -> JobOut:
    job = state.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no ingestion job {job_id!r}")
    return JobOut(id=job.id, state=job.state, progress=job.progress.snapshot(), result=job.result, error=job.error)
