"""Our points, filters and index configuration in qdrant-edge's own types (pure conversions, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import qdrant_edge as qe

from rag_service.store.base import (
    BIGRAM,
    DENSE,
    SPARSE,
    SPARSE_VECTORS,
    IndexMeta,
    LegQuery,
    SearchFilter,
    StoredPoint,
    as_floats,
)
from rag_service.types import SparseVector

DEFAULT_HNSW_M, DEFAULT_HNSW_EF_CONSTRUCT = 16, 100  # the engine's own defaults (what older indexes were built with)
FULL_SCAN_KB = 10_000  # the engine's default: below this many KB of vectors a segment is searched exactly
RESCORE_OVERSAMPLING = 2.0  # int8 index: twice the limit searched in int8, then rescored with the originals


def edge_config(meta: IndexMeta) -> qe.EdgeConfig:
    """The shard's configuration from the index meta: the engine's defaults unless the meta records otherwise."""
    sparse = {name: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf) for name in SPARSE_VECTORS}
    if meta.dim == 0:
        return qe.EdgeConfig(sparse_vectors=sparse)
    hnsw = None
    if (meta.hnsw_m, meta.hnsw_ef_construct) != (DEFAULT_HNSW_M, DEFAULT_HNSW_EF_CONSTRUCT):
        hnsw = qe.HnswIndexConfig(m=meta.hnsw_m, ef_construct=meta.hnsw_ef_construct, full_scan_threshold=FULL_SCAN_KB)
    if meta.quantization == "int8":  # int8 copies in RAM, the originals read from disk only to rescore the best
        quant = qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=0.99, memory=qe.Memory.Pinned)
        params = qe.EdgeVectorParams(
            size=meta.dim,
            distance=qe.Distance.Cosine,
            quantization_config=quant,
            hnsw_config=hnsw,
            memory=qe.Memory.Cold,
        )
    else:
        params = qe.EdgeVectorParams(size=meta.dim, distance=qe.Distance.Cosine, hnsw_config=hnsw)
    return qe.EdgeConfig(vectors={DENSE: params}, sparse_vectors=sparse)


def dense_params(meta: IndexMeta | None) -> qe.SearchParams | None:
    """Search parameters of the dense leg: rescoring with the original vectors when the index is quantised."""
    if meta is None or meta.quantization != "int8":
        return None
    return qe.SearchParams(quantization=qe.QuantizationSearchParams(rescore=True, oversampling=RESCORE_OVERSAMPLING))


def to_point(p: StoredPoint) -> qe.Point:
    vector: dict[str, Any] = {SPARSE: to_sparse(p.sparse)}
    if p.bigram is not None:
        vector[BIGRAM] = to_sparse(p.bigram)
    if p.dense is not None:
        vector[DENSE] = as_floats(p.dense)
    return qe.Point(p.id, vector, p.payload)


def leg_vector(leg: LegQuery) -> Any:
    return to_sparse(leg.vector) if isinstance(leg.vector, SparseVector) else as_floats(leg.vector)


def to_sparse(vec: SparseVector) -> qe.SparseVector:
    return qe.SparseVector(list(vec.indices), list(vec.values))


def edition_filter(edition_keys: Sequence[str]) -> qe.Filter:
    return qe.Filter(must=[qe.FieldCondition(key="edition_key", match=qe.MatchAny(list(edition_keys)))])


def to_filter(flt: SearchFilter | None) -> qe.Filter | None:
    if flt is None:
        return None
    must: list[Any] = [qe.FieldCondition(key=k, match=qe.MatchAny(v)) for k, v in flt.any_of()]
    if flt.published_from is not None or flt.published_to is not None:
        rng = qe.RangeDateTime(
            gte=flt.published_from.isoformat() if flt.published_from else None,
            lte=flt.published_to.isoformat() if flt.published_to else None,
        )
        must.append(qe.FieldCondition(key="published", range=rng))
    return qe.Filter(must=must) if must else None
