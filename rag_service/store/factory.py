"""Pick the backend from settings."""

from __future__ import annotations

from rag_service.settings import Settings
from rag_service.store.edge import EdgeStore
from rag_service.store.remote import RemoteStore

Backend = EdgeStore | RemoteStore  # a `VectorStore`, with the engine-side searches and counts of its own


def open_store(settings: Settings) -> Backend:
    """A Qdrant server when `RAG_QDRANT_URL` is set, else the embedded store under `index_dir`.

    Nothing is opened yet: call `read_meta()` / `open(meta)` on the result.
    """
    if settings.qdrant_url:
        return RemoteStore(settings.qdrant_url, settings.qdrant_api_key, settings.collection)
    return EdgeStore(settings.index_dir)
