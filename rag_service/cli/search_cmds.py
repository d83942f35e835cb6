"""What the index answers: `rag search` and `rag recommendations`. Each asks the service at --base-url (RAG_URL) through
the typed client, or runs the same use case in this process (never announcing itself as a server)."""

from __future__ import annotations

import json
from typing import Annotated, Any, cast, get_args

import typer
from rich.markup import escape

from rag_service.cli.app import app, fail, handled, out
from rag_service.settings import Settings
from rag_service.wire import Direction, EditionStatus, Mode, RecommendationsQuery, SearchFilters, SearchRequest

BaseUrl = Annotated[
    str | None, typer.Option(envvar="RAG_URL", help="Ask this running service instead of opening the index.")
]
ApiKey = Annotated[str | None, typer.Option(envvar="RAG_API_KEY", help="API key for --base-url.")]


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for (Japanese text).")],
    top_k: Annotated[int, typer.Option("--top-k", "-k")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid | bm25 | bigram | dense")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this edition (repeat for more).")] = None,
    specialty: Annotated[
        list[str] | None, typer.Option("--specialty", help="Editions tagged with this specialty (repeat for more).")
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="current | superseded | retired (repeat; default current).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The editions in force on this date (YYYY-MM-DD; overrides --status).")
    ] = None,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
) -> None:
    """What a query finds (for librarians checking the index), with the API's filters. Asks the service at
    --base-url (RAG_URL), or the server that holds the embedded index; otherwise opens the index in this process."""
    from rag_service.handoff import find_server

    if mode not in get_args(Mode):
        fail(f"unknown mode {mode!r}: use one of {', '.join(get_args(Mode))}")
    settings = Settings()
    server = find_server(settings.server_file) if base_url is None and settings.qdrant_url is None else None
    url = base_url or (server.url if server else None)
    key = api_key or (settings.api_keys[0] if settings.api_keys and not base_url else None)
    with handled():
        try:
            filters = SearchFilters.model_validate(
                {"source_ids": source, "specialties": specialty, "as_of": as_of}
                | ({"status": status} if status else {})
            )
            req = SearchRequest(query=query, top_k=top_k, mode=cast(Mode, mode), filters=filters)
        except ValueError as e:  # the request schema refused the arguments
            fail(_schema_error(e))
        doc = _search_remote(url, key, req) if url else _search_here(settings, req)
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for i, h in enumerate(doc["hits"], start=1):
        c = h["citation"]
        where = f"p.{c['page_start']}" + (f"-{c['page_end']}" if c["page_end"] != c["page_start"] else "")
        section = escape(" > ".join(c["section_path"]))
        out.print(
            f"[bold][{i}][/bold] {escape(c['title'])} {escape(c['edition'])} {where} {section} ({c['source_id']})"
        )
        out.print(f"    {escape(' '.join(h['text'].split())[:160])}")
        for r in c["recommendations"]:
            out.print(f"    推奨 {escape(r['text'] or '')}  [{escape(r['grade'] or '推奨度の記載なし')}]")
        if c.get("now"):
            out.print(f"    [yellow]{_now_line(c['now'])}[/yellow]")


def _now_line(now: dict[str, Any]) -> str:
    """A superseded hit: what the edition in force says now."""
    parts = []
    for s in now["statements"]:
        if s["now"] is None:
            parts.append("現行版にはこの推奨はありません")
        else:
            parts.append(f"{s['now']['text']} [{s['now']['grade'] or '推奨度の記載なし'}]")
    return escape(f"現行版（{now['edition']}, {now['source_id']}）では: " + " / ".join(parts))


def _schema_error(e: ValueError) -> str:
    """A refused argument in one line that names it (pydantic's first error)."""
    errors = getattr(e, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        return f"{where}: {first.get('msg', e)}" if where else str(first.get("msg", e))
    return str(e)


def _search_remote(url: str, api_key: str | None, req: SearchRequest) -> dict[str, Any]:
    """`POST /v1/search` through the typed client (the service checks the limits and says which one)."""
    from rag_service.client import RagClient

    with RagClient(url, api_key, timeout_s=60) as rag:
        found = rag.search(req.query, top_k=req.top_k, mode=req.mode, filters=req.filters)
    return found.model_dump(mode="json")


def _search_here(settings: Settings, req: SearchRequest) -> dict[str, Any]:
    """The search use case on the index itself: no HTTP app, so no API key is needed and no server.json is written."""
    from rag_service import service

    with service.opened(settings) as c:
        return service.search(c, service.LOCAL, req).model_dump(mode="json")


@app.command()
def recommendations(
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this edition (repeat for more).")] = None,
    cq: Annotated[str | None, typer.Option(help="A CQ: CQ2-1, or CQ2 for CQ2 and its parts.")] = None,
    text: Annotated[str | None, typer.Option("--text", "-q", help="Text the statement contains.")] = None,
    direction: Annotated[Direction | None, typer.Option(help="for | against | none")] = None,
    strength: Annotated[int | None, typer.Option(min=1, max=2, help="推奨の強さ: 1 or 2.")] = None,
    status: Annotated[list[EditionStatus] | None, typer.Option(help="Edition statuses (default: current).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
) -> None:
    """The recommendations (推奨) of the indexed guidelines, each with its own grade and pages, read from the outlines
    ingestion stored (no PDF is opened). Asks the service at --base-url (RAG_URL), or reads the index here."""
    query = RecommendationsQuery(
        source_ids=source,
        cq=cq,
        q=text,
        direction=direction,
        strength=strength,
        status=status or [EditionStatus.CURRENT],
    )
    with handled():
        doc = _recommendations_remote(base_url, api_key, query) if base_url else _recommendations_here(query)
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for r in doc["recommendations"]:
        pages = f"p.{r['page_start']}" + (f"–{r['page_end']}" if r["page_end"] not in (None, r["page_start"]) else "")
        label = f"{r['cq'] or '-'}" + (f" 推奨{r['number']}" if r["number"] else "")
        grade = r["grade"] or (f"no grade: {r['note']}" if r["note"] else "grade not printed")
        out.print(f"{r['source_id']} {escape(r['edition'])} {escape(label)} [{escape(grade)}] {pages}", highlight=False)
        out.print(f"    {escape((r['text'] or '')[:160])}", highlight=False)
    for sid in doc.get("editions_without_outline", []):
        out.print(f"{sid}: no outline stored (ingested by an older version): run `rag ingest` to read it")


def _recommendations_remote(url: str, api_key: str | None, query: RecommendationsQuery) -> dict[str, Any]:
    from rag_service.client import RagClient

    with RagClient(url, api_key, timeout_s=60) as rag:
        found = rag.recommendations(query.source_ids, query.cq, query.q, query.direction, query.strength, query.status)
    return found.model_dump(mode="json")


def _recommendations_here(query: RecommendationsQuery) -> dict[str, Any]:
    """Read from the stored outlines in this process; the embedded store's lock is not taken (works beside a
    running `rag serve`)."""
    from rag_service import service

    with service.opened(Settings(), models=False) as c:
        return service.recommendations(c, service.LOCAL, query).model_dump(mode="json")
