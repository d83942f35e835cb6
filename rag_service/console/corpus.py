"""The console's corpus page and its actions: every edition against the manifest, the audit log, ingest with live
progress (server-sent events from the job runner), and an edition's status written back to the manifest."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sse_starlette.sse import EventSourceResponse

from rag_service import service
from rag_service.catalog import Catalog
from rag_service.console.auth import ApiUser, ContainerDep, User, same_origin
from rag_service.console.errors import ConsoleRoute
from rag_service.console.templating import render
from rag_service.console.wording import audit_line, event_line
from rag_service.service import Caller, Container
from rag_service.types import EditionStatus
from rag_service.wire import IngestRequest, JobOut

if TYPE_CHECKING:
    from ingestion.manifest import Manifest
    from ingestion.plan import Plan

router = APIRouter(
    prefix="/console", include_in_schema=False, dependencies=[Depends(same_origin)], route_class=ConsoleRoute
)


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


def _audit_rows(c: Container, who: Caller) -> list[dict[str, str]]:
    """The last 50 audit records, newest first: when, what, who, and what was done as one Japanese sentence."""
    return [
        {"at": a.get("at", ""), "action": a.get("action") or "ingest", "via": a.get("via") or a.get("user", ""),
         "line": audit_line(a)}
        for a in reversed(service.audit(c, who, last=50))
    ]  # fmt: skip


@router.get("", response_class=HTMLResponse)
def corpus_page(request: Request, c: ContainerDep, user: User, job: str | None = None) -> Response:
    view = service.corpus_plan(c, user, cached_hash=True)
    running = c.jobs.current()
    return render(
        request, "corpus.html", user=user, rows=corpus_rows(view.catalog, view.manifest, view.plan),
        manifest_problem=view.problem, manifest_path=str(c.settings.manifest), audit=_audit_rows(c, user),
        job=job or (running.id if running else None), statuses=[s.value for s in EditionStatus],
    )  # fmt: skip


@router.post("/ingest")
def ingest(c: ContainerDep, user: ApiUser) -> Response:
    started = service.start_ingest(c, user, IngestRequest(), door="console")
    return RedirectResponse(f"/console?job={started.id}", status_code=303)


@router.post("/editions/{source_id}/status")
def change_status(source_id: str, status: Annotated[str, Form()], c: ContainerDep, user: ApiUser) -> Response:
    """Write the new status into the manifest (comments kept), audit it, then re-ingest (a metadata-only update)."""
    started = service.set_status(c, user, source_id, status, door="console")
    return RedirectResponse(f"/console?job={started.id}", status_code=303)


def _progress(job: JobOut) -> dict[str, Any]:
    """The job's counters, and its events as Japanese sentences (never the events' raw fields)."""
    p = job.progress
    lines = [event_line(e.model_dump(mode="json")) for e in p.events]
    return {"state": job.state, "totals": p.totals, "done": p.done, "lines": lines}


@router.get("/jobs/{job_id}/events")
async def job_events(job_id: str, request: Request, c: ContainerDep, user: ApiUser) -> EventSourceResponse:
    """`progress` events (counters and what happened, in Japanese) while the job runs, then one `done`."""
    now = service.job_watch(c, user, job_id)  # 404 for an unknown job

    async def events() -> AsyncIterator[dict[str, str]]:
        last: dict[str, Any] | None = None
        while True:
            job = now()
            snap = _progress(job)
            if snap != last:
                yield {"event": "progress", "data": json.dumps(snap, ensure_ascii=False)}
                last = snap
            if job.state != "running":
                done = {"state": job.state, "result": job.result, "error": job.error}
                yield {"event": "done", "data": json.dumps(done, ensure_ascii=False)}
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.25)

    return EventSourceResponse(events())
