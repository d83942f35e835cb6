"""The admin routes: ingestion jobs in the serving process (what `rag ingest` hands over) and snapshots of the
embedded index. The admin token from server.json, or a key with the `admin` scope (audited with its id)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rag_service import service
from rag_service.api.deps import AdminDep, ContainerDep
from rag_service.wire import IngestRequest, JobOut, SnapshotRequest

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post("/ingest", response_model=JobOut, status_code=202)
def admin_ingest(body: IngestRequest, c: ContainerDep, who: AdminDep) -> JobOut:
    """Start an ingestion job (409 while one runs); follow it at GET /v1/admin/jobs/{id}."""
    return service.start_ingest(c, who, body)


@router.get("/jobs/{job_id}", response_model=JobOut)
def admin_job(job_id: str, c: ContainerDep, who: AdminDep) -> JobOut:
    """The job's state, counters and typed events so far, and its result when it is done."""
    return service.job(c, who, job_id)


@router.post("/snapshot")
def admin_snapshot(body: SnapshotRequest, c: ContainerDep, who: AdminDep) -> dict[str, Any]:
    """A consistent snapshot of the embedded index, taken by the process that holds it: ingestion waits (409 while a
    job runs), searches go on. Used by `rag snapshot create` while `rag serve` runs."""
    return service.snapshot(c, who, body)
