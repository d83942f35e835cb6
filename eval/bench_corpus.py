"""The benchmark corpus: the demo statutes through the real pipeline, replicated with distinct ids, indexed."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench_common import (
    BATCH,
    ROOT,
    replica_count,
)
from ingestion.index_writer import IngestReport, catalog_entry, prepare
from ingestion.manifest import Manifest, file_sha256, load_manifest
from ingestion.plan import content_hash
from ingestion.progress import NullProgress
from ingestion.run import current_fingerprint
from rag_service.catalog import Catalog, CatalogEntry
from rag_service.dense import Embedder
from rag_service.index import index_meta
from rag_service.ja_text import char_bigrams
from rag_service.points import chunk_to_payload, index_text
from rag_service.settings import IndexSettings, Settings
from rag_service.sparse import average_length, document_vector
from rag_service.store import EdgeStore, StoredPoint, VectorStore
from rag_service.types import Chunk, SparseVector, stable_chunk_id

# the corpus -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    chunks: list[Chunk]
    sparse: list[SparseVector]
    tokens: list[list[str]]
    vectors: np.ndarray  # one row per chunk
    avgdl: float
    bigram: list[SparseVector]
    bigram_avgdl: float
    entries: list[CatalogEntry]
    build_s: dict[str, float]


def _embed_cached(embedder: Embedder, texts: list[str], cache: Path) -> tuple[np.ndarray, float, bool]:
    """Vectors of unique `texts`, cached by a hash of the texts and embedder; (vectors, seconds, from cache)."""
    digest = hashlib.sha256("\x1e".join([embedder.id, *texts]).encode()).hexdigest()[:16]
    path = cache / f"{embedder.id}-{digest}.npy"
    if path.exists():
        return np.load(path), 0.0, True
    t0 = time.perf_counter()
    vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    seconds = time.perf_counter() - t0
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, seconds, False


def load_base(settings: Settings, embedder: Embedder, cache: Path) -> Base:
    """The statute editions through the real chunker and tokeniser, embedded once (unique texts)."""
    manifest: Manifest = load_manifest(ROOT / "corpora" / "manifest.yaml")
    fp = current_fingerprint(settings)
    laws = [e for e in manifest.entries if e.source.startswith("laws/")]
    items = [(e, content_hash(file_sha256(manifest.source_path(e)), fp)) for e in laws]
    t0 = time.perf_counter()
    prepared = prepare(manifest, items, settings, NullProgress(), IngestReport())
    chunk_s = time.perf_counter() - t0
    chunks = [c for ed in prepared for c in ed.chunks]
    tokens = [t for ed in prepared for t in ed.tokens]
    avgdl = average_length(tokens)
    texts = [index_text(c) for c in chunks]
    unique = sorted(set(texts))
    vecs, embed_s, cached = _embed_cached(embedder, unique, cache)
    row = {t: i for i, t in enumerate(unique)}
    vectors = vecs[[row[t] for t in texts]]
    k1, b = settings.bm25.k1, settings.bm25.b
    sparse = [document_vector(t, avgdl, k1, b) for t in tokens]
    bigrams = [char_bigrams(t) for t in texts]
    bigram_avgdl = average_length(bigrams)
    bigram = [document_vector(g, bigram_avgdl, k1, b) for g in bigrams]
    entries = [catalog_entry(ed) for ed in prepared]
    build = {"chunk_tokenize_s": round(chunk_s, 1), "embed_s": round(embed_s, 1), "embed_cached": float(cached)}
    build["unique_texts"] = len(unique)
    return Base(chunks, sparse, tokens, vectors, avgdl, bigram, bigram_avgdl, entries, build)


def replica_chunk(c: Chunk, r: int) -> Chunk:
    if r == 0:
        return c
    unit = f"{c.unit_id}#r{r}"
    ed = replace(c.edition, source_id=f"law-copy-r{r}")
    cid = stable_chunk_id(ed.source_id, ed.edition, c.page_start, c.page_end, c.text, unit_id=unit)
    return replace(c, edition_key=f"law-copy-r{r}", edition=ed, unit_id=unit, chunk_id=cid)


def point_batches(base: Base, size: int) -> Iterator[list[StoredPoint]]:
    batch: list[StoredPoint] = []
    n = len(base.chunks)
    for j in range(size):
        r, i = divmod(j, n)
        c = replica_chunk(base.chunks[i], r)
        batch.append(StoredPoint(c.chunk_id, base.vectors[i], base.sparse[i], chunk_to_payload(c), base.bigram[i]))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def catalog_doc(base: Base, size: int) -> dict[str, Any]:
    catalog = Catalog({e.source_id: e for e in base.entries})
    n = len(base.chunks)
    for r in range(1, replica_count(n, size)):
        count = min(n, size - r * n)
        sid = f"law-copy-r{r}"
        template = base.entries[0]
        ed = replace(template.edition, source_id=sid)
        catalog = catalog.with_entry(
            replace(template, edition=ed, edition_key=sid, content_hash=sid, source="replica", chunks=count)
        )
    return catalog.to_doc()


def fill(store: VectorStore, base: Base, size: int) -> float:
    t0 = time.perf_counter()
    for batch in point_batches(base, size):
        store.upsert(batch)
    store.write_catalog(catalog_doc(base, size))
    return time.perf_counter() - t0


def build_edge(
    index_dir: Path, base: Base, embedder: Embedder, size: int, build: IndexSettings | None = None
) -> dict[str, float]:
    store = EdgeStore(index_dir)
    store.open(index_meta(embedder, base.avgdl, base.bigram_avgdl, build))
    upsert_s = fill(store, base, size)
    t0 = time.perf_counter()
    store.flush()
    flush_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.optimize()
    optimize_s = time.perf_counter() - t0
    count = store.count()
    store.close()
    if count != size:
        raise RuntimeError(f"the index holds {count} points, expected {size}")
    return {"upsert_s": round(upsert_s, 1), "flush_s": round(flush_s, 1), "optimize_s": round(optimize_s, 1)}


def disk_mb(path: Path) -> dict[str, float]:
    apparent = allocated = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            st = os.stat(os.path.join(dirpath, name))
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return {"apparent_mb": round(apparent / 2**20, 1), "allocated_mb": round(allocated / 2**20, 1)}


# the served index under load ------------------------------------------------------------------
