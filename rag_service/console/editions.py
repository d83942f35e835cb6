"""An edition's page, `/console/editions/{id}`: its title, publisher, edition, status and pages (for a PDF), the edition
that replaced it or that it replaced, its outline as ingestion read it (sections with pages, each recommendation with
its grade), and what changed since the edition it supersedes (`service.changes`): added, removed, regraded, reworded
(the word-level difference marked), moved, with pages on both sides. Read from the stored outlines, never the PDF."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from rag_service import service
from rag_service.console.auth import ContainerDep, User, same_origin
from rag_service.console.corpus_table import names_of
from rag_service.console.errors import ConsoleRoute
from rag_service.console.templating import render, text_of
from rag_service.console.wording import edition_ref
from rag_service.errors import NotFound, RagError
from rag_service.outline import OutlineMissing
from rag_service.supersession import newest_successor
from rag_service.types import Grade

router = APIRouter(
    prefix="/console", include_in_schema=False, dependencies=[Depends(same_origin)], route_class=ConsoleRoute
)
MAX_SECTIONS = 400  # a statute has hundreds of articles; the page shows the first ones


def outline_view(outline: dict[str, Any]) -> list[dict[str, Any]]:
    """Pure: the stored outline's sections as rows of the page: depth, heading, pages, statements with grades."""
    rows = []
    for s in outline.get("sections", [])[:MAX_SECTIONS]:
        recs = [{"number": r.get("number"), "text": r.get("text"),
                 "grade": Grade.from_doc(r.get("grade") or {}).label(),
                 "note": r.get("note"), "pages": (r.get("page_start"), r.get("page_end"))}
                for r in s.get("recommendations", [])]  # fmt: skip
        path = s.get("path") or []
        rows.append(
            {"depth": max(len(path) - 1, 0), "label": path[-1] if path else "", "pages": s["pages"], "recs": recs}
        )
    return rows


@router.get("/editions/{source_id}", response_class=HTMLResponse)
def edition_page(
    request: Request,
    source_id: str,
    c: ContainerDep,
    user: User,
    since: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    t = text_of(request)
    catalog = c.retriever.catalog()
    entry = catalog.entries.get(source_id)
    if entry is None:
        raise NotFound(f"no edition {source_id!r} in the index")
    names = names_of(catalog)
    outline, outline_missing = None, False
    try:
        outline = service.outline(c, user, source_id)
    except OutlineMissing:
        outline_missing = True
    older = since or entry.edition.supersedes
    changes, changes_problem = None, None
    if older:
        try:
            changes = service.changes(c, user, source_id, since=older)
        except RagError as e:  # the older edition is not in the index, or has no outline
            changes_problem = str(e)
    successor = newest_successor(catalog, source_id)
    return render(
        request, "edition.html", user=user, nav="corpus", entry=entry, ed=entry.edition, t=t,
        pdf=entry.source.lower().endswith(".pdf"), outline=outline, sections=outline_view(outline) if outline else [],
        more_sections=max(0, len(outline.get("sections", [])) - MAX_SECTIONS) if outline else 0,
        outline_missing=outline_missing, changes=changes, changes_problem=changes_problem, older=older,
        successor=successor, ref=lambda sid: edition_ref(t, names, sid),
    )  # fmt: skip
