"""Apply a plan to the store: write new editions' points, switch the catalog, then delete what is unreferenced.

Order matters for atomicity. A crash after the points are written but before the catalog switch leaves
points that no search can see (searches filter on the catalog's edition keys); the next run writes the
same ids again (ids are content hashes) and garbage-collects whatever no catalog entry references.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ingestion.chunking import chunk_edition
from ingestion.events import ChunksWritten, EditionFailed, EditionFinished, EditionStarted, PageLeftOut, PagesRead
from ingestion.manifest import Manifest, ManifestEntry
from ingestion.outline import build_outline
from ingestion.plan import Plan, edition_key
from ingestion.progress import ProgressSink, emit
from ingestion.sources import read_source
from rag_service.catalog import Catalog, CatalogEntry
from rag_service.dense import Embedder
from rag_service.errors import DiskFullError, SourceError
from rag_service.index import index_meta
from rag_service.ja_text import char_bigrams, tokenize
from rag_service.points import chunk_to_payload, index_text, metadata_payload
from rag_service.settings import Settings
from rag_service.sparse import average_length, document_vector
from rag_service.store import IndexMeta, StoredPoint, VectorStore
from rag_service.store.base import check_meta
from rag_service.types import Chunk

UPSERT_BATCH = 256
# the engine holds the GIL for a whole upsert call: in a serving process, calls short enough not to stall a search
SERVING_UPSERT_BATCH = 32


@dataclass(frozen=True)
class PreparedEdition:
    entry: ManifestEntry
    content_hash: str
    edition_key: str
    chunks: list[Chunk]
    tokens: list[list[str]]
    pages: int
    bigram_lengths: list[int] = field(default_factory=list)  # for the bigram leg's avgdl (bigrams are cheap to redo)
    outline: dict[str, Any] = field(default_factory=dict)  # what was read from the source (`ingestion.outline`)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    metadata_updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    garbage_collected: int = 0
    chunks_written: int = 0
    ocr_pages: dict[str, list[int]] = field(default_factory=dict)  # per edition read: pages read by OCR
    left_out: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per edition: [{page, why}] not indexed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced or self.metadata_updated or self.removed or self.garbage_collected)

    def to_doc(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def prepare(
    manifest: Manifest,
    items: Sequence[tuple[ManifestEntry, str]],
    settings: Settings,
    progress: ProgressSink,
    report: IngestReport,
    serving: bool = False,
) -> list[PreparedEdition]:
    """Extract, chunk and tokenise every edition to (re)ingest; a failing source fails only its edition."""
    prepared: list[PreparedEdition] = []
    progress.total("documents", len(items))
    for entry, chash in items:
        if serving:
            time.sleep(0)  # let a waiting search have the GIL between two editions
        key = edition_key(entry.id, chash)
        emit(progress, EditionStarted(entry.id, entry.title))
        try:
            doc = read_source(manifest.source_path(entry), ocr=settings.ocr == "auto")
        except SourceError as e:
            _failed(report, progress, entry.id, str(e))
            continue
        chunks = chunk_edition(
            entry.to_edition(), key, doc.sections, settings.chunking.max_chars, settings.chunking.overlap_sentences
        )
        if doc.ocr_pages:  # a chunk that touches an OCR'd page says so in its citation
            ocr = set(doc.ocr_pages)
            chunks = [replace(c, ocr=True) if ocr & set(range(c.page_start, c.page_end + 1)) else c for c in chunks]
            report.ocr_pages[entry.id] = list(doc.ocr_pages)
        if doc.left_out:  # indexed without them: the librarian learns which pages and why
            report.left_out[entry.id] = [{"page": p, "why": why} for p, why in doc.left_out]
        left = tuple(PageLeftOut(p, why) for p, why in doc.left_out)
        emit(progress, PagesRead(entry.id, doc.pages, tuple(doc.ocr_pages), left))
        if not chunks:
            _failed(report, progress, entry.id, f"{manifest.source_path(entry)}: no text to index")
            continue
        texts = [index_text(c) for c in chunks]
        tokens = [tokenize(t) for t in texts]
        bigram_lengths = [len(char_bigrams(t)) for t in texts]
        outline = build_outline(doc, chunks)
        prepared.append(PreparedEdition(entry, chash, key, chunks, tokens, doc.pages, bigram_lengths, outline))
        progress.total("pages", doc.pages)
        progress.advance("pages", doc.pages)
        progress.total("chunks", len(chunks))
        progress.advance("documents")
    return prepared


def _failed(report: IngestReport, progress: ProgressSink, source_id: str, reason: str) -> None:
    report.failed[source_id] = reason
    emit(progress, EditionFailed(source_id, reason))
    progress.advance("documents")


def _mean(values: Sequence[int]) -> float:
    return sum(values) / len(values) if values else 1.0


def _points(ed: PreparedEdition, embedder: Embedder | None, meta: IndexMeta, settings: Settings) -> list[StoredPoint]:
    texts = [index_text(c) for c in ed.chunks]
    vectors = embedder.embed_documents(texts) if embedder else None
    k1, b = settings.bm25.k1, settings.bm25.b
    return [
        StoredPoint(
            id=c.chunk_id,
            dense=None if vectors is None else vectors[i].tolist(),
            sparse=document_vector(ed.tokens[i], meta.avgdl, k1, b),
            bigram=document_vector(char_bigrams(texts[i]), meta.bigram_avgdl, k1, b),
            payload=chunk_to_payload(c),
        )
        for i, c in enumerate(ed.chunks)
    ]


def _write_edition(
    store: VectorStore,
    ed: PreparedEdition,
    embedder: Embedder | None,
    settings: Settings,
    progress: ProgressSink,
    serving: bool = False,
) -> None:
    assert store.meta is not None
    batch = max(settings.embed_batch_size, 1) * (1 if serving else 4)
    upsert_batch = SERVING_UPSERT_BATCH if serving else UPSERT_BATCH
    for start in range(0, len(ed.chunks), batch):
        part = PreparedEdition(
            ed.entry,
            ed.content_hash,
            ed.edition_key,
            ed.chunks[start : start + batch],
            ed.tokens[start : start + batch],
            ed.pages,
        )
        points = _points(part, embedder, store.meta, settings)
        for i in range(0, len(points), upsert_batch):
            store.upsert(points[i : i + upsert_batch])
            if serving:
                time.sleep(0)  # let a waiting search have the GIL between two engine calls
        progress.advance("chunks", len(points))


def edition_bytes(ed: PreparedEdition, embedder: Embedder | None) -> int:
    """A generous estimate of what an edition adds on disk: text and payload (UTF-8, ×3 for the WAL, the segment
    and the payload index), sparse vectors and the dense vector (×2: WAL and segment)."""
    dim = embedder.dim if embedder is not None else 0
    text = sum(len(c.text.encode()) + 512 for c in ed.chunks)
    sparse = sum(len(t) for t in ed.tokens) * 8 * 2 + sum(ed.bigram_lengths) * 8 * 2
    return 3 * text + sparse + 2 * 4 * dim * len(ed.chunks)


def _free_bytes(settings: Settings) -> int:
    folder = settings.data_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def check_free_space(settings: Settings, ed: PreparedEdition | None, embedder: Embedder | None) -> None:
    """Stop before an edition that might not fit (None: before opening the store for writing). The embedded store
    writes through memory-mapped files: a disk that fills under it kills the process with SIGBUS in the middle of a
    write (measured on a small tmpfs: opening it for writing with 20 MiB free), so ingestion keeps a margin."""
    if settings.qdrant_url is not None:
        return
    free = _free_bytes(settings)
    margin = settings.min_free_mb * 1024 * 1024
    fix = "free some space or move RAG_DATA_DIR, then run `rag ingest` again."
    if ed is None and free < margin:
        raise DiskFullError(
            f"only {free / 2**20:.1f} MiB free under {settings.data_dir}; ingestion keeps RAG_MIN_FREE_MB="
            f"{settings.min_free_mb} MiB free: {fix} Nothing was written; search answers from the catalog as it was."
        )
    if ed is not None and free < (need := edition_bytes(ed, embedder) + margin):
        raise DiskFullError(
            f"only {free / 2**20:.1f} MiB free under {settings.data_dir}; writing {ed.entry.id} needs about "
            f"{need / 2**20:.1f} MiB (its estimate plus RAG_MIN_FREE_MB={settings.min_free_mb}): {fix} The "
            "editions written so far are in the catalog and searchable; this one and the rest are not."
        )


def catalog_entry(ed: PreparedEdition) -> CatalogEntry:
    """The catalog's record of a prepared edition (switched in once its points are written)."""
    return CatalogEntry(
        edition=ed.entry.to_edition(),
        edition_key=ed.edition_key,
        content_hash=ed.content_hash,
        source=str(Path(ed.entry.source)),
        chunks=len(ed.chunks),
        pages=ed.pages,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def finished(ed: PreparedEdition, outcome: Literal["added", "replaced"]) -> EditionFinished:
    ocr, left = ed.outline.get("ocr_pages", []), ed.outline.get("left_out", [])
    return EditionFinished(ed.entry.id, outcome, len(ed.chunks), ed.pages, len(ocr), len(left))


def _switch_in(
    store: VectorStore,
    catalog: Catalog,
    ed: PreparedEdition,
    embedder: Embedder | None,
    settings: Settings,
    progress: ProgressSink,
    report: IngestReport,
    serving: bool,
) -> Catalog:
    """Write one edition's points and outline, then switch the catalog to it and delete the edition it replaces."""
    _write_edition(store, ed, embedder, settings, progress, serving)
    emit(progress, ChunksWritten(ed.entry.id, len(ed.chunks)))
    store.write_outline(ed.edition_key, ed.outline)
    store.flush()
    old = catalog.entries.get(ed.entry.id)
    catalog = catalog.with_entry(catalog_entry(ed))
    store.write_catalog(catalog.to_doc())  # the switch: the new edition becomes visible here
    if old is not None:
        store.delete_editions([old.edition_key])
    (report.added if old is None else report.replaced).append(ed.entry.id)
    report.chunks_written += len(ed.chunks)
    emit(progress, finished(ed, "added" if old is None else "replaced"))
    return catalog


def apply_plan(
    plan: Plan,
    manifest: Manifest,
    store: VectorStore,
    embedder: Embedder | None,
    settings: Settings,
    progress: ProgressSink,
    serving: bool = False,
) -> IngestReport:
    """`serving`: the process also answers searches (the server's admin job): the writer makes short engine calls,
    yields between them, and the index is optimised aside (`VectorStore.optimize`),
    so searches go on meanwhile."""
    report = IngestReport(unchanged=list(plan.unchanged))
    catalog = Catalog.from_doc(store.read_catalog())
    prepared = prepare(manifest, plan.ingest, settings, progress, report, serving)
    existing = store.read_meta()
    if existing:
        avgdl, bigram_avgdl = existing.avgdl, existing.bigram_avgdl
    else:
        avgdl = average_length(t for ed in prepared for t in ed.tokens)
        bigram_avgdl = _mean([n for ed in prepared for n in ed.bigram_lengths])
    wanted = index_meta(embedder, avgdl, bigram_avgdl, settings.index)
    if prepared:
        check_free_space(settings, None, embedder)
    if store.meta is None:
        store.open(wanted)
    else:  # the serving process already holds the store open
        check_meta(store.meta, wanted, "the open index")

    for ed in prepared:
        check_free_space(settings, ed, embedder)
        catalog = _switch_in(store, catalog, ed, embedder, settings, progress, report, serving)

    for entry, changed in plan.update_metadata:
        current = catalog.entries[entry.id]
        store.set_payload(current.edition_key, metadata_payload(entry.to_edition(), changed))
        catalog = catalog.with_entry(replace(current, edition=entry.to_edition()))
        store.write_catalog(catalog.to_doc())
        report.metadata_updated.append(entry.id)

    for source_id in plan.remove:
        old_entry = catalog.entries.get(source_id)
        catalog = catalog.without(source_id)
        store.write_catalog(catalog.to_doc())
        if old_entry is not None:
            store.delete_editions([old_entry.edition_key])
        report.removed.append(source_id)

    report.garbage_collected = store.delete_except(catalog.edition_keys())
    store.flush()
    if report.changed:
        store.optimize(aside=serving)
    return report
