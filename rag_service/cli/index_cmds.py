"""The librarian's commands: ingest, corpus status, corpus show."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.table import Table

from rag_service.cli.app import PARTLY, app, corpus_app, err, fail, handled, out
from rag_service.outline import page_runs
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
    for sid, pages in report.get("ocr_pages", {}).items():
        out.print(f"{sid}: {len(pages)} pages read by OCR ({page_runs(pages)})")
    for sid, items in report.get("left_out", {}).items():
        why = "; ".join(f"p.{i['page']} {i['why']}" for i in items)
        out.print(f"[yellow]{sid}: {len(items)} pages left out[/yellow] ({why})")
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
    """Bring the index in line with the manifest: only new or changed editions are embedded. Progress on stderr:
    bars on a terminal, plain lines otherwise (none with --json)."""
    from ingestion.progress import NullProgress, ProgressSink, RichProgress
    from rag_service.handoff import find_server

    settings = Settings()
    manifest_path = manifest or settings.manifest
    server = find_server(settings.server_file) if settings.qdrant_url is None else None
    bar: ProgressSink = NullProgress() if as_json else RichProgress()
    hint = (f"If `rag serve` is running on this folder, it writes {settings.server_file}; otherwise wait for the "
            "other `rag ingest` to finish.")  # fmt: skip
    with handled(hint), bar if isinstance(bar, RichProgress) else nullcontext():
        if server is not None:
            from rag_service.cli.remote import ingest_via_server

            if rebuild:
                fail(f"`rag serve` (pid {server.pid}) holds the index: stop it before `rag ingest --rebuild`")
            err.print(f"`rag serve` (pid {server.pid}) holds the index: handing the job to it at {server.url}")
            doc = ingest_via_server(server, str(manifest_path.resolve()), dry_run, bar)
        else:
            doc = _ingest_here(settings, manifest_path, dry_run, rebuild, bar)
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        _print_outcome(doc)
    if doc["report"] and doc["report"]["failed"]:
        raise typer.Exit(PARTLY)


def _ingest_here(settings: Settings, manifest: Path, dry_run: bool, rebuild: bool, bar: Any) -> dict[str, Any]:
    """No server holds the store: open it in this process and run the ingestion here."""
    from ingestion.run import outcome_doc, run_ingest
    from rag_service.catalog import Catalog
    from rag_service.dense import load_embedder
    from rag_service.store import open_store

    store = open_store(settings)
    try:
        if rebuild and not dry_run:
            store.drop()
            store.write_catalog(Catalog.empty().to_doc())
        embedder = load_embedder(settings.embedder, settings.embed_batch_size)
        return outcome_doc(run_ingest(settings, store, embedder, manifest, bar, dry_run=dry_run))
    finally:
        store.close()


@corpus_app.command("status")
def corpus_status(
    manifest: Annotated[Path | None, typer.Option(help="Manifest to compare with (default RAG_MANIFEST).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Per edition: its id and title, status, chunks, pages (PDFs), when ingested, and how the index differs from the
    manifest (`--json` also gives the content hash and every field)."""
    from rag_service import service

    with handled(), service.opened(Settings(), models=False) as c:
        view = service.corpus_plan(c, service.LOCAL, manifest)
        meta = c.store.read_meta()
    if view.problem or view.plan is None:
        fail(view.problem or "the manifest cannot be read")
    catalog, plan = view.catalog, view.plan
    pending = {e.id: "changed" if e.id in catalog.entries else "new" for e, _ in plan.ingest}
    pending |= {e.id: "metadata changed" for e, _ in plan.update_metadata}
    pending |= {sid: "not in manifest" for sid in plan.remove}
    rows = [{**e.to_doc(), "pending": pending.get(sid)} for sid, e in sorted(catalog.entries.items())] + [
        {"source_id": sid, "pending": why, "status": None}
        for sid, why in sorted(pending.items())
        if sid not in catalog.entries
    ]
    if as_json:
        print(json.dumps({"index": meta.to_dict() if meta else None, "editions": rows}, ensure_ascii=False, indent=2))
        return
    cells = [
        [
            r["source_id"],
            r.get("title") or "-",
            r.get("status") or "-",
            r.get("edition") or "-",
            str(r.get("chunks", "-")),
            str(r.get("pages", "-")) if str(r.get("source", "")).lower().endswith(".pdf") else "-",
            (r.get("ingested_at") or "-").replace("T", " ")[:16],
            r["pending"] or "up to date",
        ]
        for r in rows
    ]
    heads = ["id", "title", "status", "edition", "chunks", "pages", "ingested", "vs manifest"]
    widths = [max([cell_len(h), *(cell_len(row[i]) for row in cells)]) for i, h in enumerate(heads)]
    for optional in ("ingested", "pages", "chunks", "edition"):  # a narrow terminal keeps the id, title and status
        if _title_room(heads, widths) >= 10:
            break
        i = heads.index(optional)
        heads, widths, cells = (
            heads[:i] + heads[i + 1 :],
            widths[:i] + widths[i + 1 :],
            [r[:i] + r[i + 1 :] for r in cells],
        )
    table = Table(title=f"index: {meta.embedder_id if meta else 'empty'} — {len(catalog.entries)} editions")
    for head, width in zip(heads, widths, strict=True):
        if head == "title":  # the one column that gives way to the terminal's width
            table.add_column(head, no_wrap=True, overflow="ellipsis", max_width=max(_title_room(heads, widths), 6))
        else:  # as wide as its widest cell: an id is never cut, it is what the commands take
            table.add_column(head, no_wrap=True, min_width=width)
    for row in cells:
        table.add_row(*row)
    out.print(table)


def _title_room(heads: list[str], widths: list[int]) -> int:
    """What the terminal leaves for the title column (each column takes its width, padding and a rule)."""
    return out.width - 1 - sum(w + 3 for h, w in zip(heads, widths, strict=True) if h != "title") - 3


@corpus_app.command("diff")
def corpus_diff(
    old: Annotated[str, typer.Argument(help="The older edition's id.")],
    new: Annotated[str, typer.Argument(help="The newer edition's id.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (as GET /v1/documents/NEW/changes?since=OLD).")
    ] = False,
) -> None:
    """What changed between two editions of a guideline, statement by statement: added, removed, regraded,
    reworded (with the text difference), moved to another CQ; pages on both sides. Read from the index."""
    from rag_service import service
    from rag_service.cli.diff_text import changes_text

    with handled(), service.opened(Settings(), models=False) as c:
        found = service.changes(c, service.LOCAL, new, old)
    print(found.model_dump_json(indent=1) if as_json else changes_text(found))


@corpus_app.command("show")
def corpus_show(
    source_id: Annotated[str, typer.Argument(help="The edition's id (as in the manifest).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What ingestion read from an edition: sections with pages, every recommendation with its own grade and pages,
    pages OCR'd and left out. Check this after adding a guideline. Read from the index (the PDF is not opened)."""
    from rag_service import service
    from rag_service.outline import outline_text

    with handled(), service.opened(Settings(), models=False) as c:
        outline = service.outline(c, service.LOCAL, source_id)
    print(json.dumps(outline, ensure_ascii=False, indent=1) if as_json else outline_text(outline))
