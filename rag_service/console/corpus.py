"""The console's corpus page and its actions: every edition against the manifest (filtered, sorted, one page at a
time: `corpus_table`), the audit log as sentences, an ingest started (its progress and summary are on the job's
page, `jobs`), and an edition's status written back to the manifest."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rag_service import service
from rag_service.console.auth import ApiUser, ContainerDep, User, same_origin
from rag_service.console.corpus_table import DIFFS, SORTS, TableQuery, corpus_rows, names_of, select
from rag_service.console.errors import ConsoleRoute, reader_detail
from rag_service.console.formatting import parse_day
from rag_service.console.messages import ConsoleText
from rag_service.console.templating import render, text_of
from rag_service.console.wording import Names, audit_action, audit_line, audit_who
from rag_service.service import Caller, Container
from rag_service.types import EditionStatus
from rag_service.wire import IngestRequest

router = APIRouter(
    prefix="/console", include_in_schema=False, dependencies=[Depends(same_origin)], route_class=ConsoleRoute
)
AUDIT_SHOWN = 50


def audit_rows(
    c: Container, who: Caller, t: ConsoleText, names: Names, last: int = AUDIT_SHOWN
) -> list[dict[str, Any]]:
    """The last audit records, newest first: when (local time), what kind, who (readably), and what was done."""
    return [
        {"at": t.time(a.get("at")), "action": audit_action(t, a), "who": audit_who(t, a),
         "line": audit_line(t, a, names)}
        for a in reversed(service.audit(c, who, last=last))
    ]  # fmt: skip


def _int(text: str, default: int = 1) -> int:
    return int(text) if text.strip().isdigit() and len(text) < 7 else default


def table_query(params: dict[str, str]) -> tuple[TableQuery, bool]:
    """The corpus page's URL query as a TableQuery (anything unknown is ignored); False when `since` is not a day."""
    get = {k: str(v)[:200] for k, v in params.items()}
    try:
        since, ok = parse_day(get.get("since", "")), True
    except ValueError:
        since, ok = None, False
    query = TableQuery(
        q=get.get("q", "").strip(), publisher=get.get("publisher", ""), specialty=get.get("specialty", ""),
        status=get.get("status", "") if get.get("status") in {s.value for s in EditionStatus} else "",
        diff=get.get("diff", "") if get.get("diff") in DIFFS else "", since=since,
        sort=get.get("sort", "title") if get.get("sort") in SORTS else "title", desc=get.get("order") == "desc",
        page=_int(get.get("page", "1")),
    )  # fmt: skip
    return query, ok


@router.get("", response_class=HTMLResponse)
def corpus_page(request: Request, c: ContainerDep, user: User) -> Response:
    params = dict(request.query_params)
    job = params.get("job") or params.get("finished") or ""
    if re.fullmatch(r"[0-9a-f]{1,32}", job):  # older links: the job's own page has its progress and summary
        return RedirectResponse(f"/console/jobs/{job}", status_code=303)
    t = text_of(request)
    query, since_ok = table_query(params)
    view = service.corpus_plan(c, user, cached_hash=True)
    names = names_of(view.catalog, view.manifest)
    table = select(corpus_rows(view.catalog, view.manifest, view.plan), query, t.tz)
    running = c.jobs.current()

    def url(**over: Any) -> str:
        found = query.params(**over)
        return "/console" + ("?" + urlencode(found) if found else "")

    return render(
        request, "corpus.html", user=user, table=table, query=query, since_ok=since_ok, url=url,
        since_text=params.get("since", "")[:40], manifest_path=str(c.settings.manifest),
        manifest_problem=reader_detail(view.problem) if view.problem else None,
        audit=audit_rows(c, user, t, names), running=running.id if running else None,
        statuses=[s.value for s in EditionStatus], diffs=DIFFS,
    )  # fmt: skip


@router.post("/ingest")
def ingest(c: ContainerDep, user: ApiUser) -> Response:
    started = service.start_ingest(c, user, IngestRequest(), door="console")
    return RedirectResponse(f"/console/jobs/{started.id}", status_code=303)


@router.post("/editions/{source_id}/status")
def change_status(source_id: str, status: Annotated[str, Form()], c: ContainerDep, user: ApiUser) -> Response:
    """Write the new status into the manifest (comments kept), audit it, then re-ingest (a metadata-only update)."""
    started = service.set_status(c, user, source_id, status, door="console")
    return RedirectResponse(f"/console/jobs/{started.id}", status_code=303)
