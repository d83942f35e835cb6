"""The index's own room: what the index records about itself, opening an existing one, and the catalog view.

Used by the writer (`ingestion/`), the service (`api/`), the CLI and the evaluation alike; it imports neither.

The catalog contract every store keeps: `read_catalog()` returns the *same object* for as long as the
catalog has not changed, and a new object once it has (the embedded store checks the file's inode, mtime and
size; a Qdrant server's catalog point is compared by value). `CatalogView` relies on it to parse a catalog once,
not on every search.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rag_service.catalog import Catalog
from rag_service.dense import Embedder, load_embedder
from rag_service.errors import BackendUnavailable
from rag_service.ja_text import tokenizer_id
from rag_service.rerank import Reranker, load_reranker
from rag_service.settings import IndexSettings, Settings
from rag_service.store import Backend, IndexMeta, SearchIndex, open_store

log = logging.getLogger(__name__)


def index_meta(
    embedder: Embedder | None, avgdl: float, bigram_avgdl: float = 0.0, build: IndexSettings | None = None
) -> IndexMeta:
    """What an index built with this embedder and this tokeniser records (avgdl: the BM25 legs' lengths; `build`:
    how its dense leg is built, recorded when the index is created)."""
    build = build or IndexSettings()
    return IndexMeta(
        embedder_id=embedder.id if embedder else "none",
        dim=embedder.dim if embedder else 0,
        tokenizer=tokenizer_id(),
        avgdl=avgdl,
        bigram_avgdl=bigram_avgdl,
        hnsw_m=build.hnsw_m,
        hnsw_ef_construct=build.hnsw_ef_construct,
        quantization=build.quantization,
    )


def open_existing(store: SearchIndex, embedder: Embedder | None) -> bool:
    """Open an index that exists (IndexMismatchError when it was built otherwise); False when there is none yet."""
    if store.meta is not None:
        return True
    existing = store.read_meta()
    if existing is None:
        return False
    store.open(index_meta(embedder, existing.avgdl, existing.bigram_avgdl))
    return True


class CatalogView:
    """The store's catalog, parsed again only when the store hands back a new document (see the contract above)."""

    def __init__(self, store: SearchIndex) -> None:
        self.store = store
        self._cached: tuple[object, Catalog] | None = None

    def current(self) -> Catalog:
        doc = self.store.read_catalog()
        cached = self._cached
        if cached is None or cached[0] is not doc:
            cached = (doc, Catalog.from_doc(doc))
            self._cached = cached
        return cached[1]


@dataclass
class OpenIndex:
    """An index opened for searching: what the service's lifespan, the CLI and the evaluation each need."""

    store: Backend
    embedder: Embedder | None
    reranker: Reranker | None
    exists: bool

    def close(self) -> None:
        self.store.close()


def open_for_search(settings: Settings, warm: bool = False, tolerate_outage: bool = False) -> OpenIndex:
    """Store, embedder and reranker as configured; the index opened when there is one (checked against the
    embedder). `warm`: load the embedder now rather than on the first query. `tolerate_outage`: a Qdrant server
    that does not answer is logged and left for later (the service starts and answers 503 until it is back)."""
    store = open_store(settings)
    embedder = load_embedder(settings.embedder, settings.embed_batch_size)
    if warm and embedder is not None:
        embedder.embed_query("起動確認")
    try:
        exists = open_existing(store, embedder)
    except BackendUnavailable as e:
        if not tolerate_outage:
            store.close()
            raise
        log.error("%s", e)
        exists = False
    except BaseException:
        store.close()
        raise
    return OpenIndex(store, embedder, load_reranker(settings.reranker), exists)
