"""Routes under /v1 plus health checks. Dependencies come from app.state through `Depends`."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response

from rag_service.api.schemas import (
    DocumentsResponse,
    EditionOut,
    HitOut,
    IngestRequest,
    JobOut,
    SearchRequest,
    SearchResponse,
)
from rag_service.api.security import bearer_or_header, key_is_valid
from rag_service.api.state import ServiceState
from rag_service.catalog import Catalog

router = APIRouter()  # health checks


def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.svc
    return state


State = Annotated[ServiceState, Depends(get_state)]


def require_admin(state: State, x_admin_token: Annotated[str | None, Header()] = None) -> ServiceState:
    if x_admin_token is None or not secrets.compare_digest(x_admin_token, state.admin_token):
        raise HTTPException(401, "admin token missing or wrong: `rag ingest` reads it from RAG_DATA_DIR/server.json")
    return state


Admin = Annotated[ServiceState, Depends(require_admin)]


def require_key(
    state: State,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> None:
    keys = state.settings.api_keys
    if keys and not key_is_valid(bearer_or_header(authorization, x_api_key), keys):
        raise HTTPException(
            401,
            "a valid API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY`",
            headers={"WWW-Authenticate": "Bearer"},
        )


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
def search(body: SearchRequest, state: State) -> SearchResponse:
    q = body.to_query(state.settings.retrieval)  # 413 / 422 name the limit
    if not state.index_ready():
        raise HTTPException(503, "the index is empty: run `rag ingest` first")
    result = state.retriever.search(q)
    state.metrics.observe_stages(result.timings_ms)
    return SearchResponse(
        hits=[HitOut.from_hit(h) for h in result.hits], timings_ms=result.timings_ms, query_kind=result.query_kind
    )


@v1.get("/documents", response_model=DocumentsResponse, tags=["corpus"])
def documents(state: State) -> DocumentsResponse:
    catalog = Catalog.from_doc(state.store.read_catalog())
    return DocumentsResponse(
        editions=[EditionOut.from_entry(e) for e in sorted(catalog.entries.values(), key=lambda e: e.source_id)]
    )


@admin.post("/ingest", response_model=JobOut, status_code=202)
def admin_ingest(body: IngestRequest, state: Admin) -> JobOut:
    manifest = Path(body.manifest) if body.manifest else state.settings.manifest
    job = state.start_ingest(manifest, body.dry_run)
    if job is None:
        raise HTTPException(409, "an ingestion job is already running: wait for it to finish")
    return JobOut(id=job.id, state="running", progress=job.progress.snapshot())


@admin.get("/jobs/{job_id}", response_model=JobOut)
def admin_job(job_id: str, state: Admin) -> JobOut:
    job = state.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no ingestion job {job_id!r}")
    return JobOut(id=job.id, state=job.state, progress=job.progress.snapshot(), result=job.result, error=job.error)
