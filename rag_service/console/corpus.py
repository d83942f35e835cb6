"""The console's corpus page and its actions: every edition against the manifest, the audit log, ingest with live
progress (server-sent events from the job runner), and an edition's status written back to the manifest."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sse_starlette.sse import EventSourceResponse

from ingestion.audit import append_audit, read_audit
from ingestion.manifest import Manifest, file_sha256
from ingestion.manifest_edit import set_status
from ingestion.plan import Plan
from ingestion.run import plan_ingest
from rag_service.api.routes import State
from rag_service.api.state import ServiceState
from rag_service.catalog import Catalog
from rag_service.console.auth import ConsoleUser, api_user, current_user, require, same_origin
from rag_service.console.templating import render
from rag_service.errors import RagError
from rag_service.types import EditionStatus

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[Depends(same_origin)])
User = Annotated[ConsoleUser, Depends(current_user)]
ApiUser = Annotated[ConsoleUser, Depends(api_user)]


@dataclass(frozen=True)
class Row:
    """One line of the corpus table: the edition as the manifest declares it and as the index holds it."""

    source_id: str
    title: str
    publisher: str
    edition: str
    published: str
    status: str  # in the manifest (what the next ingest makes it)
    indexed_status: str | None  # in the index now
    pages: int | None
    chunks: int | None
    ingested_at: str | None
    content_hash: str | None
    diff: str  # new | changed | metadata-only | removed | unchanged
    changed_fields: tuple[str, ...] = ()


def corpus_rows(catalog: Catalog, manifest: Manifest | None, plan: Plan | None) -> list[Row]:
    """Pure: the manifest's editions (with what the next ingest would do to each) and the indexed ones it no longer
    lists. Without a readable manifest, the index's editions alone (diff "unchanged")."""
    rows: list[Row] = []
    ingest = {e.id for e, _ in plan.ingest} if plan else set()
    meta = {e.id: tuple(sorted(changes)) for e, changes in plan.update_metadata} if plan else {}
    for m in manifest.entries if manifest else ():
        cur = catalog.entries.get(m.id)
        diff = ("changed" if cur else "new") if m.id in ingest else "metadata-only" if m.id in meta else "unchanged"
        rows.append(Row(
            m.id, m.title, m.publisher, m.edition, m.published.isoformat(), m.status.value,
            cur.status.value if cur else None, cur.pages if cur else None, cur.chunks if cur else None,
            cur.ingested_at if cur else None, cur.content_hash[:12] if cur else None, diff, meta.get(m.id, ()),
        ))  # fmt: skip
    listed = {r.source_id for r in rows}
    for sid, cur in sorted(catalog.entries.items()):
        if sid not in listed:
            ed = cur.edition
            rows.append(Row(
                sid, ed.title, ed.publisher, ed.edition, ed.published.isoformat(), ed.status.value, ed.status.value,
                cur.pages, cur.chunks, cur.ingested_at, cur.content_hash[:12], "removed" if manifest else "unchanged",
            ))  # fmt: skip
    return rows


_HASHES: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) → sha256, for the page view only


def cached_sha256(path: Path) -> str:
    """A source's sha256, read again only when its size or modification time changed: the corpus page must not read
    gigabytes of PDFs at every view. (Ingestion itself always reads the files.)"""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        if len(_HASHES) > 100_000:
            _HASHES.clear()
        _HASHES[key] = file_sha256(path)
    return _HASHES[key]


def _manifest_view(state: ServiceState) -> tuple[Manifest | None, Plan | None, str | None]:
    try:
        plan, manifest = plan_ingest(state.settings.manifest, state.store, state.settings, cached_sha256)
    except RagError as e:
        return None, None, str(e)
    return manifest, plan, None


@router.get("", response_class=HTMLResponse)
def corpus_page(request: Request, state: State, user: User, job: str | None = None) -> Response:
    manifest, plan, problem = _manifest_view(state)
    catalog = state.retriever.catalog()
    audit = list(reversed(read_audit(state.settings.audit_log_path, last=50)))
    running = next((j.id for j in state.jobs.values() if j.state == "running"), None)
    return render(
        request, "corpus.html", user=user, rows=corpus_rows(catalog, manifest, plan), manifest_problem=problem,
        manifest_path=str(state.settings.manifest), audit=audit, job=job or running,
        statuses=[s.value for s in EditionStatus],
    )  # fmt: skip


def _start(state: ServiceState, user: ConsoleUser) -> str:
    job = state.start_ingest(state.settings.manifest, dry_run=False, actor=f"console, {user.id}")
    if job is None:
        raise HTTPException(409, "an ingestion job is already running: wait for it to finish (see the corpus page)")
    return job.id


@router.post("/ingest")
def ingest(state: State, user: ApiUser) -> Response:
    require(user, "admin")
    return RedirectResponse(f"/console?job={_start(state, user)}", status_code=303)


@router.post("/editions/{source_id}/status")
def change_status(source_id: str, status: Annotated[str, Form()], state: State, user: ApiUser) -> Response:
    """Write the new status into the manifest (comments kept), audit it, then re-ingest (a metadata-only update)."""
    require(user, "admin")
    try:
        new = EditionStatus(status)
    except ValueError:
        raise HTTPException(422, f"status must be one of {', '.join(s.value for s in EditionStatus)}") from None
    try:
        old = set_status(state.settings.manifest, source_id, new)
    except RagError as e:
        raise HTTPException(422, str(e)) from e
    append_audit(state.settings.audit_log_path, {
        "action": "status", "source_id": source_id, "from": old.value, "to": new.value,
        "manifest": str(state.settings.manifest), "via": f"console, {user.id}",
    })  # fmt: skip
    return RedirectResponse(f"/console?job={_start(state, user)}", status_code=303)


@router.get("/jobs/{job_id}/events")
async def job_events(job_id: str, request: Request, state: State, user: ApiUser) -> EventSourceResponse:
    """`progress` events (counters and notes) while the job runs, then one `done` with its outcome."""
    job = state.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no ingestion job {job_id!r}")

    async def events() -> AsyncIterator[dict[str, str]]:
        last: dict[str, Any] | None = None
        while True:
            snap = {"state": job.state, **job.progress.snapshot()}
            if snap != last:
                yield {"event": "progress", "data": json.dumps(snap, ensure_ascii=False)}
                last = snap
            if job.state != "running":
                done = {"state": job.state, "result": job.result, "error": job.error}
                yield {"event": "done", "data": json.dumps(done, ensure_ascii=False, default=str)}
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.25)

    return EventSourceResponse(events())
