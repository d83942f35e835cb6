"""One ingestion run: load the manifest, plan against the catalog, apply, audit. Used by the CLI and the server."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingestion.audit import append_audit
from ingestion.events import RunFinished
from ingestion.index_writer import IngestReport, apply_plan
from ingestion.manifest import Manifest, file_sha256, load_manifest
from ingestion.plan import Plan, content_hash, make_plan, pipeline_fingerprint
from ingestion.progress import ProgressSink, emit
from rag_service.catalog import Catalog
from rag_service.dense import Embedder
from rag_service.index import open_existing
from rag_service.ja_text import tokenizer_id
from rag_service.settings import Settings
from rag_service.store import VectorStore


@dataclass(frozen=True)
class IngestOutcome:
    plan: Plan
    report: IngestReport | None  # None for a dry run


def current_fingerprint(settings: Settings) -> str:
    return pipeline_fingerprint(
        settings.chunking.max_chars,
        settings.chunking.overlap_sentences,
        tokenizer_id(),
        settings.bm25.k1,
        settings.bm25.b,
    )


def plan_ingest(
    manifest_path: Path, store: VectorStore, settings: Settings, file_hash: Callable[[Path], str] = file_sha256
) -> tuple[Plan, Manifest]:
    """What ingesting the manifest would do. `file_hash`: how a source's bytes are hashed (the console's view passes
    a cached one; ingestion itself always reads the files)."""
    manifest = load_manifest(manifest_path)
    fp = current_fingerprint(settings)
    hashes = {e.id: content_hash(file_hash(manifest.source_path(e)), fp) for e in manifest.entries}
    plan = make_plan(list(manifest.entries), hashes, Catalog.from_doc(store.read_catalog()))
    return plan, manifest


def run_ingest(
    settings: Settings,
    store: VectorStore,
    embedder: Embedder | None,
    manifest_path: Path,
    progress: ProgressSink,
    dry_run: bool = False,
    via: str = "cli",
    serving: bool = False,
) -> IngestOutcome:
    """`serving`: this process also answers searches on `store` (the server's ingestion job; see `apply_plan`)."""
    started = time.perf_counter()
    plan, manifest = plan_ingest(manifest_path, store, settings)
    if dry_run or plan.is_empty:
        if not dry_run:
            # nothing to write, but unreferenced points (an interrupted run) are still collected
            gc = 0
            if open_existing(store, embedder):
                gc = store.delete_except(Catalog.from_doc(store.read_catalog()).edition_keys())
            report = IngestReport(unchanged=list(plan.unchanged), garbage_collected=gc)
            _finish(settings, manifest_path, via, report, time.perf_counter() - started, progress)
            return IngestOutcome(plan, report)
        return IngestOutcome(plan, None)
    report = apply_plan(plan, manifest, store, embedder, settings, progress, serving)
    _finish(settings, manifest_path, via, report, time.perf_counter() - started, progress)
    return IngestOutcome(plan, report)


def _finish(
    settings: Settings, manifest_path: Path, via: str, report: IngestReport, seconds: float, progress: ProgressSink
) -> None:
    _audit(settings, manifest_path, via, report, seconds)
    counts = {k: len(getattr(report, k)) for k in ("added", "replaced", "metadata_updated", "removed", "unchanged")}
    emit(progress, RunFinished(**counts, failed=len(report.failed), chunks_written=report.chunks_written,
                               garbage_collected=report.garbage_collected, seconds=round(seconds, 2)))  # fmt: skip


def _audit(settings: Settings, manifest_path: Path, via: str, report: IngestReport, seconds: float) -> None:
    append_audit(
        settings.audit_log_path,
        {
            "action": "ingest",
            "via": via,
            "manifest": str(manifest_path.resolve()),
            "seconds": round(seconds, 2),
            **report.to_doc(),
        },
    )


def outcome_doc(outcome: IngestOutcome) -> dict[str, object]:
    """The JSON shape of a run, the same whether the CLI or the server ran it."""
    plan = outcome.plan
    return {
        "plan": {
            "ingest": [e.id for e, _ in plan.ingest],
            "update_metadata": [e.id for e, _ in plan.update_metadata],
            "remove": plan.remove,
            "unchanged": len(plan.unchanged),
        },
        "report": outcome.report.to_doc() if outcome.report else None,
    }
