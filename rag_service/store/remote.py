"""Scale-out backend: a Qdrant server or cluster through qdrant-client (`:memory:` for tests).

Meta: the collection's own metadata (`metadata={"rag_index_meta": {...}}`, set at creation).
Catalog: a companion collection `<collection>__catalog` without vectors, holding one point (id 1) whose
payload is the catalog document; upserting one point is atomic.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import grpc
import httpx
from qdrant_client import QdrantClient
from qdrant_client import models as m
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from rag_service.errors import BackendUnavailable, IndexMismatchError, RagError
from rag_service.store.base import (
    BIGRAM,
    DATETIME_FIELDS,
    DENSE,
    FACET_LIMIT,
    KEYWORD_FIELDS,
    SPARSE,
    SPARSE_VECTORS,
    Fusion,
    IndexMeta,
    LegQuery,
    ScoredPoint,
    SearchFilter,
    StoredPoint,
    as_floats,
    check_meta,
    check_point,
    require_dense,
    require_open,
)
from rag_service.types import SparseVector

META_KEY = "rag_index_meta"
CATALOG_ID = 1
OUTLINE_OF = "outline_of"  # the payload key of an outline point in the catalog collection: its edition key
UPSERT_BATCH = 256
RESCORE_OVERSAMPLING = 2.0  # as the embedded store (`edge_model`)


class RemoteStore:
    """`VectorStore` on one Qdrant collection. qdrant-client's in-process `:memory:` mode is not thread-safe,
    so there every call holds a lock; the HTTP client needs none."""

    def __init__(self, url: str, api_key: str | None, collection: str) -> None:
        self.url, self.collection = url, collection
        self.catalog_collection = f"{collection}__catalog"
        self.meta: IndexMeta | None = None
        self._catalog_doc: dict[str, Any] | None = None
        self._in_memory = url == ":memory:"
        if self._in_memory:
            self._client = QdrantClient(":memory:")
            self._lock: contextlib.AbstractContextManager[Any] = threading.RLock()
        else:
            self._client = QdrantClient(url=url, api_key=api_key, check_compatibility=False)
            self._lock = contextlib.nullcontext()

    # lifecycle ---------------------------------------------------------------------------------

    def open(self, meta: IndexMeta) -> None:
        with self._guard():
            if not self._client.collection_exists(self.collection):
                self._create(meta)
                stored = meta
            else:
                found = self._read_meta()
                if found is None:
                    raise IndexMismatchError(
                        f"Collection {self.collection!r} at {self.url} exists but records no index meta "
                        "(not created by this service?). Re-index with `rag ingest --rebuild`, or set RAG_COLLECTION."
                    )
                stored = found
                check_meta(stored, meta, f"{self.url} (collection {self.collection!r})")
            self._ensure_payload_indexes()
            self.meta = stored

    def read_meta(self) -> IndexMeta | None:
        with self._guard():
            return self._read_meta()

    def optimize(self, aside: bool = False) -> None:
        """The server builds its indexes in the background: nothing to do."""

    def flush(self) -> None:
        """Writes use `wait=True`: the server has applied them (and logged them in its WAL) on return."""

    def close(self) -> None:
        """Forget the open index; in `:memory:` mode the client *is* the data, so it stays open."""
        self.meta = None
        if not self._in_memory:
            with self._guard():
                self._client.close()

    def drop(self) -> None:
        with self._guard():
            self._client.delete_collection(self.collection)
        self.meta = None

    # writes ------------------------------------------------------------------------------------

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        meta = require_open(self.meta)
        for point in points:
            check_point(point, meta.dim)
        with self._guard():
            for start in range(0, len(points), UPSERT_BATCH):
                batch = [_to_point(p) for p in points[start : start + UPSERT_BATCH]]
                self._client.upsert(self.collection, batch, wait=True)

    def set_payload(self, edition_key: str, payload: dict[str, Any]) -> None:
        with self._guard():
            self._client.set_payload(self.collection, payload, points=_edition_filter([edition_key]), wait=True)

    def delete_editions(self, edition_keys: Sequence[str]) -> None:
        if not edition_keys:
            return
        with self._guard():
            self._client.delete(self.collection, m.FilterSelector(filter=_edition_filter(edition_keys)), wait=True)
            self._delete_outlines(None, edition_keys)

    def delete_except(self, keep_edition_keys: Sequence[str]) -> int:
        keep = m.FieldCondition(key="edition_key", match=m.MatchAny(any=list(keep_edition_keys)))
        with self._guard():
            before = self._count(None)
            self._client.delete(self.collection, m.FilterSelector(filter=m.Filter(must_not=[keep])), wait=True)
            self._delete_outlines(keep_edition_keys)
            return before - self._count(None)

    def write_catalog(self, doc: dict[str, Any]) -> None:
        with self._guard():
            self._ensure_catalog_collection()
            point = m.PointStruct(id=CATALOG_ID, vector={}, payload=doc)
            self._client.upsert(self.catalog_collection, [point], wait=True)

    def write_outline(self, edition_key: str, doc: dict[str, Any]) -> None:
        with self._guard():
            self._ensure_catalog_collection()
            point = m.PointStruct(id=_outline_id(edition_key), vector={}, payload={OUTLINE_OF: edition_key, "doc": doc})
            self._client.upsert(self.catalog_collection, [point], wait=True)

    def read_outline(self, edition_key: str) -> dict[str, Any] | None:
        try:
            with self._guard():
                records = self._client.retrieve(self.catalog_collection, [_outline_id(edition_key)], with_payload=True)
        except (UnexpectedResponse, ValueError):  # no catalog collection yet
            return None
        doc = (records[0].payload or {}).get("doc") if records else None
        return dict(doc) if isinstance(doc, dict) else None

    def _delete_outlines(self, keep: Sequence[str] | None, drop: Sequence[str] = ()) -> None:
        """Inside `_guard`. Outlines of `drop`, or of every edition not in `keep`."""
        if not self._client.collection_exists(self.catalog_collection):
            return
        if keep is None:
            ids: list[Any] = [_outline_id(k) for k in drop]
        else:
            kept = {_outline_id(k) for k in keep}
            records, _ = self._client.scroll(self.catalog_collection, limit=FACET_LIMIT, with_payload=[OUTLINE_OF])
            ids = [r.id for r in records if r.payload and OUTLINE_OF in r.payload and str(r.id) not in kept]
        if ids:
            self._client.delete(self.catalog_collection, m.PointIdsList(points=ids), wait=True)

    def _ensure_catalog_collection(self) -> None:
        if not self._client.collection_exists(self.catalog_collection):
            self._client.create_collection(self.catalog_collection, vectors_config={})

    # reads -------------------------------------------------------------------------------------

    def read_catalog(self) -> dict[str, Any] | None:
        """One round trip; the same object as long as the catalog's content is unchanged (the contract in
        `rag_service.index`: the Retriever parses a catalog once, not on every search)."""
        try:
            with self._guard():
                records = self._client.retrieve(self.catalog_collection, [CATALOG_ID], with_payload=True)
        except UnexpectedResponse as e:
            if e.status_code == 404:
                return None
            raise
        except ValueError as e:  # local mode: "Collection … not found"
            if "not found" in str(e):
                return None
            raise
        doc = dict(records[0].payload or {}) if records else None
        if doc is not None and doc == self._catalog_doc:
            return self._catalog_doc
        self._catalog_doc = doc
        return doc

    def count(self, flt: SearchFilter | None = None) -> int:
        require_open(self.meta)
        with self._guard():
            return self._count(flt)

    def edition_counts(self) -> dict[str, int]:
        require_open(self.meta)
        with self._guard():
            facet = self._client.facet(self.collection, "edition_key", limit=FACET_LIMIT, exact=True)
        return {str(hit.value): hit.count for hit in facet.hits if hit.count > 0}

    def search_sparse(
        self, vec: SparseVector, flt: SearchFilter | None, limit: int, with_payload: bool = True
    ) -> list[ScoredPoint]:
        require_open(self.meta)
        return self._query(
            query=_to_sparse(vec), using=SPARSE, query_filter=_to_filter(flt), limit=limit, with_payload=with_payload
        )

    def search_dense(
        self, vec: Sequence[float], flt: SearchFilter | None, limit: int, with_payload: bool = True
    ) -> list[ScoredPoint]:
        require_dense(self.meta)
        return self._query(
            query=as_floats(vec), using=DENSE, query_filter=_to_filter(flt), limit=limit, with_payload=with_payload
        )

    def search_legs(self, legs: Sequence[LegQuery], flt: SearchFilter | None, limit: int) -> list[list[ScoredPoint]]:
        require_open(self.meta)
        if not legs:
            return []
        if any(leg.using == DENSE for leg in legs):
            require_dense(self.meta)
        f = _to_filter(flt)
        rescore = None
        if self.meta is not None and self.meta.quantization == "int8":
            rescore = m.SearchParams(
                quantization=m.QuantizationSearchParams(rescore=True, oversampling=RESCORE_OVERSAMPLING)
            )
        requests = [
            m.QueryRequest(
                query=_leg_vector(leg),
                using=leg.using,
                filter=f,
                limit=limit,
                with_payload=False,
                params=rescore if leg.using == DENSE else None,
            )
            for leg in legs
        ]
        with self._guard():
            responses = self._client.query_batch_points(self.collection, requests=requests)
        return [[ScoredPoint(id=str(p.id), score=p.score, payload={}) for p in r.points] for r in responses]

    def retrieve(self, ids: Sequence[str]) -> list[ScoredPoint]:
        require_open(self.meta)
        if not ids:
            return []
        with self._guard():
            records = self._client.retrieve(self.collection, list(ids), with_payload=True)
        by_id = {str(r.id): r for r in records}
        return [ScoredPoint(id=i, score=0.0, payload=dict(by_id[i].payload or {})) for i in ids if i in by_id]

    def search_hybrid(
        self,
        dense: Sequence[float],
        sparse: SparseVector,
        flt: SearchFilter | None,
        limit: int,
        prefetch_limit: int,
        fusion: Fusion,
        rrf_k: int,
    ) -> list[ScoredPoint]:
        require_dense(self.meta)
        f = _to_filter(flt)
        prefetch = [
            m.Prefetch(query=as_floats(dense), using=DENSE, filter=f, limit=prefetch_limit),
            m.Prefetch(query=_to_sparse(sparse), using=SPARSE, filter=f, limit=prefetch_limit),
        ]
        fuse: m.RrfQuery | m.FusionQuery = (
            m.RrfQuery(rrf=m.Rrf(k=rrf_k)) if fusion == "rrf" else m.FusionQuery(fusion=m.Fusion.DBSF)
        )
        return self._query(query=fuse, prefetch=prefetch, limit=limit)

    # helpers -----------------------------------------------------------------------------------

    def _query(self, with_payload: bool = True, **kwargs: Any) -> list[ScoredPoint]:
        with self._guard():
            response = self._client.query_points(self.collection, with_payload=with_payload, **kwargs)
        return [ScoredPoint(id=str(p.id), score=p.score, payload=dict(p.payload or {})) for p in response.points]

    def _count(self, flt: SearchFilter | None) -> int:
        return self._client.count(self.collection, count_filter=_to_filter(flt), exact=True).count

    def _read_meta(self) -> IndexMeta | None:
        if not self._client.collection_exists(self.collection):
            return None
        metadata = self._client.get_collection(self.collection).config.metadata or {}
        doc = metadata.get(META_KEY)
        return IndexMeta.from_dict(doc) if isinstance(doc, dict) else None

    def _create(self, meta: IndexMeta) -> None:
        quant = None
        if meta.quantization == "int8":
            quant = m.ScalarQuantization(scalar=m.ScalarQuantizationConfig(type=m.ScalarType.INT8, always_ram=True))
        dense = {DENSE: m.VectorParams(size=meta.dim, distance=m.Distance.COSINE)} if meta.dim else {}
        self._client.create_collection(
            self.collection,
            vectors_config=dense,
            hnsw_config=m.HnswConfigDiff(m=meta.hnsw_m, ef_construct=meta.hnsw_ef_construct),
            quantization_config=quant,
            sparse_vectors_config={name: m.SparseVectorParams(modifier=m.Modifier.IDF) for name in SPARSE_VECTORS},
            metadata={META_KEY: meta.to_dict()},
        )

    def _ensure_payload_indexes(self) -> None:
        if self._in_memory:
            return  # local mode has no payload indexes (and warns about each)
        have = set(self._client.get_collection(self.collection).payload_schema)
        wanted = [(k, m.PayloadSchemaType.KEYWORD) for k in KEYWORD_FIELDS]
        wanted += [(k, m.PayloadSchemaType.DATETIME) for k in DATETIME_FIELDS]
        for key, schema in wanted:
            if key not in have:
                self._client.create_payload_index(self.collection, key, schema, wait=True)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Hold the local-mode lock; turn connection failures and 5xx replies into BackendUnavailable."""
        check = "check that the server is running and reachable, and RAG_QDRANT_URL"
        try:
            with self._lock:
                yield
        except UnexpectedResponse as e:
            if e.status_code is not None and e.status_code >= 500:
                raise BackendUnavailable(f"Qdrant at {self.url} answered {e.status_code}: {check}. ({e})") from e
            if e.status_code in (401, 403):
                raise RagError(
                    f"Qdrant at {self.url} refused the API key ({e.status_code}): check RAG_QDRANT_API_KEY."
                ) from e
            raise
        except (ResponseHandlingException, httpx.HTTPError, grpc.RpcError, ConnectionError) as e:
            raise BackendUnavailable(f"Qdrant at {self.url} cannot be reached: {check}. ({e})") from e


def _outline_id(edition_key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rag-outline:{edition_key}"))


def _to_point(p: StoredPoint) -> m.PointStruct:
    vector: dict[str, Any] = {SPARSE: _to_sparse(p.sparse)}
    if p.bigram is not None:
        vector[BIGRAM] = _to_sparse(p.bigram)
    if p.dense is not None:
        vector[DENSE] = as_floats(p.dense)
    return m.PointStruct(id=p.id, vector=vector, payload=p.payload)


def _leg_vector(leg: LegQuery) -> m.SparseVector | list[float]:
    return _to_sparse(leg.vector) if isinstance(leg.vector, SparseVector) else as_floats(leg.vector)


def _to_sparse(vec: SparseVector) -> m.SparseVector:
    return m.SparseVector(indices=list(vec.indices), values=list(vec.values))


def _edition_filter(edition_keys: Sequence[str]) -> m.Filter:
    return m.Filter(must=[m.FieldCondition(key="edition_key", match=m.MatchAny(any=list(edition_keys)))])


def _to_filter(flt: SearchFilter | None) -> m.Filter | None:
    if flt is None:
        return None
    must: list[m.Condition] = [m.FieldCondition(key=k, match=m.MatchAny(any=v)) for k, v in flt.any_of()]
    if flt.published_from is not None or flt.published_to is not None:
        rng = m.DatetimeRange(gte=flt.published_from, lte=flt.published_to)
        must.append(m.FieldCondition(key="published", range=rng))
    return m.Filter(must=must) if must else None
