"""An ingestion job's own page, `/console/jobs/{id}`: a progress bar while it runs (the page polls a small HTML
fragment of itself, `/panel`, once a second; without JavaScript it reloads), then a summary that stays: what was
added, replaced, updated, removed, how many editions were unchanged, what failed and why, the pages read by OCR or
left out, and for an edition that replaced another (the manifest's `supersedes`), its recommendation-level changes
with a link to the edition's page. The job is kept by the serving process (`IngestJobs`); the audit log keeps the
record after a restart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from rag_service import service
from rag_service.console.auth import ApiUser, ContainerDep, User, same_origin
from rag_service.console.corpus_table import names_of
from rag_service.console.errors import ConsoleRoute
from rag_service.console.messages import ConsoleText
from rag_service.console.templating import render, text_of
from rag_service.console.wording import Names, edition_ref, event_line, failure_reason, left_out_reason
from rag_service.errors import RagError
from rag_service.service import Caller, Container
from rag_service.wire import JobOut

router = APIRouter(
    prefix="/console", include_in_schema=False, dependencies=[Depends(same_origin)], route_class=ConsoleRoute
)
STAGES = ("documents", "chunks")  # read (extract, chunk), then written (embedded, stored)


@dataclass(frozen=True)
class Bar:
    stage: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else min(100, round(100 * self.done / self.total))


def bars(job: JobOut) -> list[Bar]:
    """One bar per stage; a finished job's bars are full (a run with nothing to do has no totals)."""
    p = job.progress
    out = []
    for stage in STAGES:
        total, done = p.totals.get(stage, 0), p.done.get(stage, 0)
        if job.state != "running":
            done = total = max(total, done)
        out.append(Bar(stage, done, total))
    return out


def overall(job: JobOut) -> int:
    """One figure for the whole job: reading and writing count half each (100 once finished)."""
    if job.state != "running":
        return 100
    read, written = bars(job)
    return (read.percent if read.total else 0) // 2 + (written.percent if written.total else 0) // 2


@dataclass(frozen=True)
class Replacement:
    """An edition this run added or re-read that supersedes another in the index: what changed, statement by
    statement (`service.changes`), or why that cannot be said."""

    source_id: str
    since: str
    counts: dict[str, int] = field(default_factory=dict)
    problem: str | None = None


def replacements(c: Container, who: Caller, report: dict[str, Any], names: Names) -> list[Replacement]:
    out = []
    for sid in [*report.get("added", []), *report.get("replaced", [])]:
        older = names[sid].supersedes if sid in names else None
        if not older:
            continue
        try:
            found = service.changes(c, who, sid)
        except RagError as e:
            out.append(Replacement(sid, older, problem=str(e)))
            continue
        out.append(Replacement(sid, older, found.summary.model_dump()))
    return out


def summary(c: Container, who: Caller, job: JobOut, t: ConsoleText, names: Names) -> dict[str, Any] | None:
    """What a finished job did, for the page (None while it runs)."""
    if job.state == "running":
        return None
    report: dict[str, Any] = (job.result or {}).get("report") or {}
    finished = next((e for e in job.progress.events if e.type == "run_finished"), None)
    return {
        "lists": [(key, report.get(key) or []) for key in ("added", "replaced", "metadata_updated", "removed")],
        "unchanged": len(report.get("unchanged") or []),
        "failed": [(sid, failure_reason(t, why), why) for sid, why in (report.get("failed") or {}).items()],
        "ocr": [(sid, pages) for sid, pages in (report.get("ocr_pages") or {}).items() if pages],
        "left_out": [
            (sid, [(i["page"], left_out_reason(t, i["why"])) for i in items])
            for sid, items in (report.get("left_out") or {}).items()
            if items
        ],
        "chunks": report.get("chunks_written", 0),
        "seconds": finished.seconds if finished is not None else None,
        "changed": any(report.get(k) for k in ("added", "replaced", "metadata_updated", "removed", "failed")),
        "replacements": replacements(c, who, report, names) if job.state == "done" else [],
    }


def _manifest(c: Container, user: Caller) -> Any:
    return service.corpus_plan(c, user, cached_hash=True).manifest


def _context(request: Request, c: Container, user: Caller, job_id: str) -> dict[str, Any]:
    job = service.job_watch(c, user, job_id)()  # 404 for an unknown job
    t = text_of(request)
    catalog = c.retriever.catalog()
    # while it runs (polled each second): the index's names, and the titles its events carry; once finished, the
    # manifest's too (an edition that failed before it was ever indexed)
    names = names_of(catalog) if job.state == "running" else names_of(catalog, _manifest(c, user))
    return {
        "job": job, "bars": bars(job), "overall": overall(job), "names": names,
        "summary": summary(c, user, job, t, names),
        "lines": [event_line(t, e.model_dump(mode="json"), names) for e in job.progress.events
                  if e.type not in ("run_finished",)][-200:],
        "ref": lambda sid: edition_ref(t, names, sid),
    }  # fmt: skip


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, c: ContainerDep, user: User) -> Response:
    return render(request, "job.html", user=user, nav="corpus", **_context(request, c, user, job_id))


@router.get("/jobs/{job_id}/panel", response_class=HTMLResponse)
def job_panel(request: Request, job_id: str, c: ContainerDep, user: ApiUser) -> Response:
    """The page's changing part alone, for its script to swap in."""
    return render(request, "job_panel.html", user=user, **_context(request, c, user, job_id))
