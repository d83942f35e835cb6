"""The librarian's and the operator's commands: ingest, corpus status, search, serve."""

from __future__ import annotations

import json
import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any, cast, get_args

import typer
from rich.table import Table

from rag_service.cli.app import app, corpus_app, err, fail, out
from rag_service.errors import RagError, StoreLockedError
from rag_service.query import Mode, SearchQuery
from rag_service.settings import Settings


def _print_outcome(doc: dict[str, Any]) -> None:
    plan, report = doc["plan"], doc["report"]
    if report is None:
        out.print("[bold]dry run[/bold]: nothing written")
        out.print(f"  would ingest (new or changed): {', '.join(plan['ingest']) or '-'}")
        out.print(f"  would update metadata only:   {', '.join(plan['update_metadata']) or '-'}")
        out.print(f"  would remove:                 {', '.join(plan['remove']) or '-'}")
        out.print(f"  unchanged: {plan['unchanged']}")
        return
    changed = any(report[k] for k in ("added", "replaced", "metadata_updated", "removed", "garbage_collected"))
    if not changed and not report["failed"]:
        out.print(f"no changes: the index already matches the manifest ({len(report['unchanged'])} editions)")
        return
    for key, label in (
        ("added", "added"),
        ("replaced", "re-indexed"),
        ("metadata_updated", "metadata updated"),
        ("removed", "removed"),
    ):
        if report[key]:
            out.print(f"{label}: {', '.join(report[key])}")
    out.print(f"chunks written: {report['chunks_written']}; unchanged editions: {len(report['unchanged'])}")
    if report["garbage_collected"]:
        out.print(f"removed {report['garbage_collected']} unreferenced points (left by an interrupted run)")
    for sid, why in report["failed"].items():
        err.print(f"[red]FAILED[/red] {sid}: {why}")


@app.command()
def ingest(
    manifest: Annotated[Path | None, typer.Option(help="Manifest file (default RAG_MANIFEST).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the index and re-embed everything.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Bring the index in line with the manifest: only new or changed editions are embedded."""
    from ingestion.progress import NullProgress, RichProgress
    from ingestion.run import outcome_doc, run_ingest
    from rag_service.api.handoff import find_server, ingest_via_server
    from rag_service.dense import load_embedder
    from rag_service.store import open_store

    settings = Settings()
    manifest_path = manifest or settings.manifest
    server = find_server(settings.server_file) if settings.qdrant_url is None else None
    bar = NullProgress() if as_json or not sys.stderr.isatty() else RichProgress()
    try:
        if server is not None:
            if rebuild:
                fail(f"`rag serve` (pid {server.pid}) holds the index: stop it before `rag ingest --rebuild`")
            err.print(f"`rag serve` (pid {server.pid}) holds the index: handing the job to it at {server.url}")
            with bar if isinstance(bar, RichProgress) else nullcontext():
                doc = ingest_via_server(server, manifest_path, dry_run, bar)
        else:
            store = open_store(settings)
            if rebuild and not dry_run:
                from rag_service.catalog import Catalog

                store.drop()
                store.write_catalog(Catalog.empty().to_doc())
            embedder = load_embedder(settings.embedder, settings.embed_batch_size)
            try:
                with bar if isinstance(bar, RichProgress) else nullcontext():
                    outcome = run_ingest(settings, store, embedder, manifest_path, bar, dry_run=dry_run)
            finally:
                store.close()
            doc = outcome_doc(outcome)
    except StoreLockedError as e:
        fail(
            f"{e}. If `rag serve` is running on this folder, it writes {settings.server_file}; otherwise wait for "
            "the other `rag ingest` to finish."
        )
    except RagError as e:
        fail(str(e))
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        _print_outcome(doc)
    if doc["report"] and doc["report"]["failed"]:
        raise typer.Exit(2)


@corpus_app.command("status")
def corpus_status(
    manifest: Annotated[Path | None, typer.Option(help="Manifest to compare with (default RAG_MANIFEST).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Per edition: status, chunks, pages, hash, when ingested, and how the index differs from the manifest."""
    from ingestion.run import plan_ingest
    from rag_service.catalog import Catalog
    from rag_service.store import open_store

    settings = Settings()
    store = open_store(settings)
    try:
        catalog = Catalog.from_doc(store.read_catalog())
        plan, _ = plan_ingest(manifest or settings.manifest, store, settings)
    except RagError as e:
        fail(str(e))
    pending = {e.id: "changed" if e.id in catalog.entries else "new" for e, _ in plan.ingest}
    pending |= {e.id: "metadata changed" for e, _ in plan.update_metadata}
    pending |= {sid: "not in manifest" for sid in plan.remove}
    rows = [{**e.to_doc(), "pending": pending.get(sid)} for sid, e in sorted(catalog.entries.items())] + [
        {"source_id": sid, "pending": why, "status": None}
        for sid, why in sorted(pending.items())
        if sid not in catalog.entries
    ]
    meta = store.read_meta()
    if as_json:
        print(json.dumps({"index": meta.to_dict() if meta else None, "editions": rows}, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"index: {meta.embedder_id if meta else 'empty'} — {len(catalog.entries)} editions")
    for col in ("id", "status", "edition", "chunks", "pages", "hash", "ingested", "vs manifest"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["source_id"],
            r.get("status") or "-",
            r.get("edition") or "-",
            str(r.get("chunks", "-")),
            str(r.get("pages", "-")),
            (r.get("content_hash") or "-")[:12],
            r.get("ingested_at") or "-",
            r["pending"] or "up to date",
        )
    out.print(table)


@corpus_app.command("show")
def corpus_show(
    source_id: Annotated[str, typer.Argument(help="The edition's id (as in the manifest).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What ingestion read from an edition: sections with pages, every recommendation with its own grade and pages,
    pages OCR'd and left out. Check this after adding a guideline. Read from the index (the PDF is not opened)."""
    from rag_service.catalog import Catalog
    from rag_service.outline import edition_outline, outline_text
    from rag_service.store import open_store

    settings = Settings()
    try:
        store = open_store(settings)
        catalog = Catalog.from_doc(store.read_catalog())
        entry = catalog.entries.get(source_id)
        if entry is None:
            known = ", ".join(sorted(catalog.entries)[:8])
            fail(f"no edition {source_id!r} in the index (some there: {known}); `rag corpus status` lists them all")
        outline = edition_outline(store, entry)
    except RagError as e:
        fail(str(e))
    print(json.dumps(outline, ensure_ascii=False, indent=1) if as_json else outline_text(outline))


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for (Japanese text).")],
    top_k: Annotated[int, typer.Option("--top-k", "-k")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid | bm25 | bigram | dense")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    base_url: Annotated[
        str | None, typer.Option(envvar="RAG_URL", help="Ask this running service instead of opening the index.")
    ] = None,
    api_key: Annotated[str | None, typer.Option(envvar="RAG_API_KEY", help="API key for --base-url.")] = None,
) -> None:
    """What a query finds (for librarians checking the index). Asks the service at --base-url (RAG_URL), or the
    server that holds the embedded index; otherwise opens the index in this process (never announcing itself as a
    server)."""
    from rag_service.api.handoff import find_server

    if mode not in get_args(Mode):
        fail(f"unknown mode {mode!r}: use one of {', '.join(get_args(Mode))}")
    settings = Settings()
    server = find_server(settings.server_file) if base_url is None and settings.qdrant_url is None else None
    url = base_url or (server.url if server else None)
    key = api_key or (settings.api_keys[0] if settings.api_keys and not base_url else None)
    try:
        if url:
            doc = _search_remote(url, key, query, top_k, cast(Mode, mode))
        else:
            doc = _search_in_process(settings, SearchQuery.checked(query, settings.retrieval, top_k, cast(Mode, mode)))
    except (RagError, ValueError) as e:  # ValueError: the request schema refused the arguments
        fail(str(e))
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for i, h in enumerate(doc["hits"], start=1):
        c = h["citation"]
        where = f"p.{c['page_start']}" + (f"-{c['page_end']}" if c["page_end"] != c["page_start"] else "")
        section = " > ".join(c["section_path"])
        out.print(f"[bold][{i}][/bold] {c['title']} {c['edition']} {where} {section} ({c['source_id']})")
        out.print(f"    {h['text'][:160]}")


def _search_remote(url: str, api_key: str | None, query: str, top_k: int, mode: Mode) -> dict[str, Any]:
    """`POST /v1/search` through the typed client (the service checks the limits and says which one)."""
    from rag_service.client import RagClient

    with RagClient(url, api_key, timeout_s=60) as rag:
        return rag.search(query, top_k=top_k, mode=mode).model_dump(mode="json")


def _search_in_process(settings: Settings, q: SearchQuery) -> dict[str, Any]:
    """The Retriever on the index itself: no HTTP app, so no API key is needed and no server.json is written."""
    from rag_service.api.schemas import HitOut, SearchResponse
    from rag_service.index import open_for_search
    from rag_service.retrieve import Retriever

    index = open_for_search(settings)
    try:
        if not index.exists:
            fail("the index is empty: run `rag ingest` first")
        result = Retriever(index.store, index.embedder, settings, index.reranker).search(q)
    finally:
        index.close()
    response = SearchResponse(
        hits=[HitOut.from_hit(h) for h in result.hits], timings_ms=result.timings_ms, query_kind=result.query_kind
    )
    return response.model_dump(mode="json")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default RAG_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default RAG_PORT, 8000).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (only with RAG_QDRANT_URL).")] = 1,
    embedded_llm: Annotated[
        bool, typer.Option("--embedded-llm", help="Start the CPU generator (gemma3-270m): plumbing, not answers.")
    ] = False,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM): serve HTTPS, no proxy.")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM) for --ssl-certfile.")] = None,
) -> None:
    """Serve the HTTP API (JSON log lines on stderr, one per request). The embedded store belongs to one process:
    several workers need a Qdrant server."""
    import logging.config

    import uvicorn

    from rag_service.api.request_log import logging_config
    from rag_service.api.security import is_loopback, load_keys

    if host:
        os.environ["RAG_HOST"] = host
    if port:
        os.environ["RAG_PORT"] = str(port)
    if embedded_llm:
        os.environ["RAG_LLM_EMBEDDED"] = "true"
    settings = Settings()
    try:
        keys = load_keys(settings.api_keys, settings.api_keys_file, settings.rate_limit_per_minute)
    except ValueError as e:
        fail(str(e))
    if not keys and not is_loopback(settings.host):
        fail(
            f"refusing to listen on {settings.host} without API keys: set RAG_API_KEYS (comma-separated) or "
            "RAG_API_KEYS_FILE, or listen on 127.0.0.1"
        )
    if bool(ssl_certfile) != bool(ssl_keyfile):
        fail("TLS needs both --ssl-certfile and --ssl-keyfile")
    for f in (ssl_certfile, ssl_keyfile):
        if f is not None and not f.is_file():
            fail(f"{f}: no such file")
    if workers > 1 and settings.qdrant_url is None:
        fail("the embedded store belongs to one process: use --workers 1, or set RAG_QDRANT_URL to a Qdrant server")
    _preflight(settings)
    config = logging_config()
    logging.config.dictConfig(config)
    scheme = "https" if ssl_certfile else "http"
    where = f"{scheme}://{settings.host}:{settings.port}"
    logging.getLogger("rag.serve").info(
        "serving the API at %s/v1 (OpenAPI at /docs), the librarian's console at %s/console, MCP at %s/mcp",
        where, where, where,
    )  # fmt: skip
    if not is_loopback(settings.host) and ssl_certfile is None:
        logging.getLogger("rag.serve").warning(
            "listening on %s without TLS: API keys and questions cross the network in clear text; use "
            "--ssl-certfile/--ssl-keyfile or a TLS proxy",
            settings.host,
        )
    try:
        uvicorn.run(
            "rag_service.api.asgi:app_factory",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_config=config,
            access_log=False,  # the request log (rag.access) is the access log, with ids and without query text
            ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
            ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        )
    except RagError as e:
        fail(str(e))


def _preflight(settings: Settings) -> None:
    """Say what is wrong before uvicorn starts (its start-up failures end in a traceback)."""
    from rag_service.dense import load_embedder
    from rag_service.index import index_meta
    from rag_service.store import open_store
    from rag_service.store.base import check_meta

    try:
        meta = open_store(settings).read_meta()
        if meta is not None:
            check_meta(meta, index_meta(load_embedder(settings.embedder), meta.avgdl), str(settings.index_dir))
    except RagError as e:
        if settings.qdrant_url is None:  # a Qdrant outage is not fatal: the service starts and answers 503
            fail(str(e))
    except ValueError as e:  # an unknown RAG_EMBEDDER
        fail(str(e))
