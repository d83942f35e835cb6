"""All three retrieval legs in one collection: the `SearchIndex` (read) and `VectorStore` (write) protocols and
their two backends."""

from rag_service.store.base import IndexMeta, ScoredPoint, SearchFilter, SearchIndex, StoredPoint, VectorStore
from rag_service.store.edge import EdgeStore
from rag_service.store.factory import Backend, open_store
from rag_service.store.remote import RemoteStore

__all__ = [
    "Backend",
    "EdgeStore",
    "IndexMeta",
    "RemoteStore",
    "ScoredPoint",
    "SearchFilter",
    "SearchIndex",
    "StoredPoint",
    "VectorStore",
    "open_store",
]
