"""The embedded default: a qdrant-edge shard on disk, owned by one handle at a time.

Layout of the store folder (`settings.index_dir`):
    shard/          the qdrant-edge shard (segments + WAL)
    meta.json       the IndexMeta, written before the shard is created
    catalog.json    the catalog document, replaced atomically
    outlines/       one outline per edition key (what ingestion read from the source), written before the catalog
                    switch that activates the edition and deleted with its points

Durability: every update goes to the shard's write-ahead log before `update()` returns, and the log is
replayed on load, so a process that dies without `flush()` loses nothing it was told was written
(checked by killing a writer with `os._exit`). `flush()` writes the segments themselves to disk; `close()`
flushes first. The WAL lock belongs to the shard handle, not the process: a second `EdgeStore` on the same
folder fails with StoreLockedError even inside the same process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

import qdrant_edge as qe

from rag_service.errors import IndexMismatchError, StoreLockedError
from rag_service.store import edge_aside
from rag_service.store.base import (
    DATETIME_FIELDS,
    DENSE,
    FACET_LIMIT,
    KEYWORD_FIELDS,
    SPARSE,
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
from rag_service.store.edge_model import (
    dense_params,
    edge_config,
    edition_filter,
    leg_vector,
    to_filter,
    to_point,
    to_sparse,
)
from rag_service.types import SparseVector

UPSERT_BATCH = 1024
BORROW_WAIT_S = 60.0
T = TypeVar("T")


def _engine(call: Callable[[], T]) -> T:
    """One call into the shard. The binding refuses a call while another thread's call holds the shard (pyo3's
    "Already borrowed", raised before the call starts: nothing was done): wait for that call to end, then retry."""
    deadline = time.monotonic() + BORROW_WAIT_S
    while True:
        try:
            return call()
        except RuntimeError as e:
            if "borrowed" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.001)


class EdgeStore:
    """`VectorStore` on a qdrant-edge shard under `path`. A lock serialises writes and open/close; a call the binding
    refuses while another thread's call holds the shard waits for it (`_engine`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.meta: IndexMeta | None = None
        self._shard: qe.EdgeShard | None = None
        self._lock = threading.Lock()
        self._catalog_cache: tuple[tuple[int, int, int], dict[str, Any]] | None = None

    @property
    def shard_dir(self) -> Path:
        return self.path / "shard"

    @property
    def meta_path(self) -> Path:
        return self.path / "meta.json"

    @property
    def catalog_path(self) -> Path:
        return self.path / "catalog.json"

    # lifecycle ---------------------------------------------------------------------------------

    def open(self, meta: IndexMeta) -> None:
        with self._lock:
            if self._shard is not None:
                raise RuntimeError(f"the store at {self.path} is already open")
            stored = self.read_meta()
            edge_aside.recover(self.shard_dir)
            shard_exists = (self.shard_dir / "edge_config.json").exists()
            if stored is None and shard_exists:
                raise _no_meta_error(self.meta_path)
            if stored is not None:
                check_meta(stored, meta, str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                _atomic_write_json(self.meta_path, meta.to_dict())
                stored = meta
            self._shard = _load_or_create(self.shard_dir, stored, create=not shard_exists)
            self._ensure_payload_indexes(self._shard)
            self.meta = stored

    def read_meta(self) -> IndexMeta | None:
        try:
            doc = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return IndexMeta.from_dict(doc)

    def optimize(self, aside: bool = False) -> None:
        """Build HNSW and merge segments; blocks (~27 s at 50k points). Call after bulk upserts. `aside`: in a child
        process on a copy, swapped in after (`edge_aside`), so the searches of a serving process go on meanwhile."""
        with self._lock:
            shard = self._require_shard()
            if not aside:
                _engine(shard.optimize)
                return
            _engine(shard.flush)
            edge_aside.optimize_copy(self.shard_dir)
            edge_aside.swap_in(self.shard_dir)
            self._shard = qe.EdgeShard.load(str(self.shard_dir))
            _engine(shard.close)  # a search that took the old handle before the swap retries on the new one (`_read`)
            edge_aside.remove_old(self.shard_dir)

    def flush(self) -> None:
        with self._lock:
            _engine(self._require_shard().flush)

    def close(self) -> None:
        with self._lock:
            if self._shard is None:
                return
            shard, self._shard, self.meta = self._shard, None, None
            _engine(shard.flush)
            _engine(shard.close)

    def drop(self) -> None:
        self.close()
        with self._lock:
            shutil.rmtree(self.shard_dir, ignore_errors=True)
            self.meta_path.unlink(missing_ok=True)

    # writes ------------------------------------------------------------------------------------

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        meta = require_open(self.meta)
        for point in points:
            check_point(point, meta.dim)
        with self._lock:
            shard = self._require_shard()
            for start in range(0, len(points), UPSERT_BATCH):
                batch = [to_point(p) for p in points[start : start + UPSERT_BATCH]]
                _engine(partial(shard.update, qe.UpdateOperation.upsert_points(batch)))

    def set_payload(self, edition_key: str, payload: dict[str, Any]) -> None:
        with self._lock:
            op = qe.UpdateOperation.set_payload_by_filter(edition_filter([edition_key]), payload)
            shard = self._require_shard()
            _engine(lambda: shard.update(op))

    def delete_editions(self, edition_keys: Sequence[str]) -> None:
        if not edition_keys:
            return
        with self._lock:
            op = qe.UpdateOperation.delete_points_by_filter(edition_filter(edition_keys))
            shard = self._require_shard()
            _engine(lambda: shard.update(op))
            self._delete_outlines(None, edition_keys)

    def delete_except(self, keep_edition_keys: Sequence[str]) -> int:
        keep = qe.FieldCondition(key="edition_key", match=qe.MatchAny(list(keep_edition_keys)))
        with self._lock:
            shard = self._require_shard()
            exact = qe.CountRequest(exact=True)
            before = _engine(lambda: shard.count(exact))
            op = qe.UpdateOperation.delete_points_by_filter(qe.Filter(must_not=[keep]))
            _engine(lambda: shard.update(op))
            self._delete_outlines(keep_edition_keys)
            return before - _engine(lambda: shard.count(exact))

    def write_catalog(self, doc: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        _atomic_write_json(self.catalog_path, doc)

    def write_outline(self, edition_key: str, doc: dict[str, Any]) -> None:
        folder = self.path / "outlines"
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_write_json(folder / outline_file(edition_key), doc)

    def read_outline(self, edition_key: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = json.loads((self.path / "outlines" / outline_file(edition_key)).read_text("utf-8"))
        except FileNotFoundError:
            return None
        return doc

    def _delete_outlines(self, keep: Sequence[str] | None, drop: Sequence[str] = ()) -> None:
        folder = self.path / "outlines"
        if not folder.is_dir():
            return
        kept = {outline_file(k) for k in keep} if keep is not None else None
        dropped = {outline_file(k) for k in drop}
        for f in folder.glob("*.json"):
            if f.name in dropped or (kept is not None and f.name not in kept):
                f.unlink(missing_ok=True)

    # reads -------------------------------------------------------------------------------------

    def read_catalog(self) -> dict[str, Any] | None:
        """The catalog document; the same object until the file is replaced (every search reads it: do not mutate)."""
        try:
            st = os.stat(self.catalog_path)
        except FileNotFoundError:
            return None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)  # os.replace gives a new inode
        cached = self._catalog_cache
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            doc: dict[str, Any] = json.loads(self.catalog_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        self._catalog_cache = (stamp, doc)
        return doc

    def count(self, flt: SearchFilter | None = None) -> int:
        request = qe.CountRequest(exact=True, filter=to_filter(flt))
        return self._read(lambda shard: shard.count(request))

    def edition_counts(self) -> dict[str, int]:
        request = qe.FacetRequest(key="edition_key", limit=FACET_LIMIT, exact=True)
        facet = self._read(lambda shard: shard.facet(request))
        return {str(hit.value): hit.count for hit in facet.hits if hit.count > 0}

    def search_sparse(
        self, vec: SparseVector, flt: SearchFilter | None, limit: int, with_payload: bool = True
    ) -> list[ScoredPoint]:
        query = qe.Query.Nearest(to_sparse(vec), using=SPARSE)
        return self._query(qe.QueryRequest(limit=limit, query=query, filter=to_filter(flt), with_payload=with_payload))

    def search_dense(
        self, vec: Sequence[float], flt: SearchFilter | None, limit: int, with_payload: bool = True
    ) -> list[ScoredPoint]:
        require_dense(self.meta)
        query = qe.Query.Nearest(as_floats(vec), using=DENSE)
        params = dense_params(self.meta)
        flt_ = to_filter(flt)
        return self._query(
            qe.QueryRequest(limit=limit, query=query, filter=flt_, with_payload=with_payload, params=params)
        )

    def search_legs(self, legs: Sequence[LegQuery], flt: SearchFilter | None, limit: int) -> list[list[ScoredPoint]]:
        if not legs:
            return []
        f = to_filter(flt)
        dense = dense_params(self.meta)
        requests = [
            qe.QueryRequest(
                limit=limit,
                query=qe.Query.Nearest(leg_vector(leg), using=leg.using),
                filter=f,
                params=dense if leg.using == DENSE else None,
            )
            for leg in legs
        ]
        if any(leg.using == DENSE for leg in legs):
            require_dense(self.meta)
        batch = qe.QueryBatchRequest(requests)
        results = self._read(lambda shard: shard.query_batch(batch))
        return [[ScoredPoint(id=str(h.id), score=h.score, payload={}) for h in hits] for hits in results]

    def retrieve(self, ids: Sequence[str]) -> list[ScoredPoint]:
        if not ids:
            return []
        records = self._read(lambda shard: shard.retrieve(list(ids), True, False))
        return [ScoredPoint(id=str(r.id), score=0.0, payload=dict(r.payload or {})) for r in records]

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
        f = to_filter(flt)
        prefetches = [
            qe.Prefetch(limit=prefetch_limit, query=qe.Query.Nearest(as_floats(dense), using=DENSE), filter=f),
            qe.Prefetch(limit=prefetch_limit, query=qe.Query.Nearest(to_sparse(sparse), using=SPARSE), filter=f),
        ]
        # the stubs type Fusion.Rrf / Fusion.Dbsf as nested classes, not as Fusion values
        fuse = cast(qe.Fusion, qe.Fusion.Rrf(k=rrf_k) if fusion == "rrf" else qe.Fusion.Dbsf())
        return self._query(qe.QueryRequest(limit=limit, prefetches=prefetches, query=fuse, with_payload=True))

    # helpers -----------------------------------------------------------------------------------

    def _query(self, request: qe.QueryRequest) -> list[ScoredPoint]:
        hits = self._read(lambda shard: shard.query(request))
        return [ScoredPoint(id=str(h.id), score=h.score, payload=dict(h.payload or {})) for h in hits]

    def _read(self, call: Callable[[qe.EdgeShard], T]) -> T:
        """A read on the current shard; once more on the new one when `optimize(aside=True)` swapped it meanwhile."""
        shard = self._require_shard()
        try:
            return _engine(lambda: call(shard))
        except Exception:
            current = self._shard
            if current is None or current is shard:
                raise
            return _engine(lambda: call(current))

    def _require_shard(self) -> qe.EdgeShard:
        if self._shard is None:
            raise RuntimeError(f"the store at {self.path} is not open: call open(meta) first")
        return self._shard

    @staticmethod
    def _ensure_payload_indexes(shard: qe.EdgeShard) -> None:
        have = set(shard.info().payload_schema)
        wanted = [(k, qe.PayloadSchemaType.Keyword) for k in KEYWORD_FIELDS]
        wanted += [(k, qe.PayloadSchemaType.Datetime) for k in DATETIME_FIELDS]
        for key, schema in wanted:
            if key not in have:
                shard.update(qe.UpdateOperation.create_field_index(key, schema))


def _load_or_create(shard_dir: Path, meta: IndexMeta, create: bool) -> qe.EdgeShard:
    try:
        if create:
            return qe.EdgeShard.create(str(shard_dir), edge_config(meta))
        return qe.EdgeShard.load(str(shard_dir))
    except Exception as e:  # the binding raises a bare Exception
        if "WouldBlock" in str(e):
            raise StoreLockedError(
                f"Another process (e.g. `rag serve`) or another open store holds the index at {shard_dir.parent}. "
                "Stop it, or hand the job to the running server, and try again."
            ) from e
        raise


def _no_meta_error(meta_path: Path) -> IndexMismatchError:
    return IndexMismatchError(
        f"The index beside {meta_path} has no {meta_path.name}, so its embedder and tokenizer are unknown. "
        "Re-index with `rag ingest --rebuild`."
    )


def outline_file(edition_key: str) -> str:
    """The file name of an edition's outline (edition keys hold `@` and whatever a source id holds)."""
    return hashlib.sha256(edition_key.encode()).hexdigest()[:32] + ".json"


def _atomic_write_json(path: Path, doc: dict[str, Any]) -> None:
    """Write beside `path`, fsync, then `os.replace`: readers see the old or the new file, never half."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)
