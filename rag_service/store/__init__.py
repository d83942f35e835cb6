"""Both retrieval legs in one collection: the `VectorStore` protocol and its two backends."""

from rag_service.store.base import IndexMeta, ScoredPoint, SearchFilter, StoredPoint, VectorStore
from rag_service.store.edge import EdgeStore
from rag_service.store.factory import open_store
from rag_service.store.remote import RemoteStore

__all__ = [
    "EdgeStore",
    "IndexMeta",
    "RemoteStore",
    "ScoredPoint",
    "SearchFilter",
    "StoredPoint",
    "VectorStore",
    "open_store",
]
