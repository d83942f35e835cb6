"""Rerankers: one protocol and a sentence-transformers cross-encoder adapter, loaded lazily.

`load_reranker(spec)` turns the `RAG_RERANKER` setting into an adapter: empty, unset or `none`
turns reranking off; anything else is a cross-encoder model folder (ruri-reranker,
japanese-reranker-cross-encoder, bge-reranker-v2-m3, ...). Nothing heavy happens at import time or
construction: the model loads on first use, once, under a lock; on CUDA in fp16 when available,
else on CPU in float32; never from the hub.

A reranker scores the first `top_n` hits against the query on the text the index holds
(`points.index_text`: title + section path + body), re-sorts them by that score and keeps every
hit beyond `top_n` after them, unchanged, so nothing the first stage found is lost.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from rag_service.dense import _LazyModel
from rag_service.errors import RagError
from rag_service.points import index_text
from rag_service.types import Hit, LegScore


class RerankerError(RagError):
    """The reranker model folder is missing or is not a cross-encoder folder."""


@runtime_checkable
class Reranker(Protocol):
    """Re-scores the head of a ranked list. `id` names the model (reported with results and metrics)."""

    id: str

    def rerank(self, query: str, hits: Sequence[Hit], top_n: int) -> list[Hit]:
        """New hits: the first `top_n` with `rerank` set, sorted by it; then the rest in their order."""
        ...


def apply_rerank_scores(hits: Sequence[Hit], scores: Sequence[float]) -> list[Hit]:
    """Pure: the first `len(scores)` hits get `rerank=LegScore(score, rank)` and are sorted by score
    (descending; ties keep their previous order); the hits beyond follow unchanged. Inputs are not mutated."""
    n = len(scores)
    if n > len(hits):
        raise ValueError(f"{n} rerank scores for {len(hits)} hits")
    order = sorted(range(n), key=lambda i: -scores[i])  # stable: ties keep the previous order
    head = [
        dataclasses.replace(hits[i], rerank=LegScore(score=float(scores[i]), rank=rank))
        for rank, i in enumerate(order, start=1)
    ]
    return head + list(hits[n:])


class CrossEncoderReranker:
    """A sentence-transformers `CrossEncoder` model folder, scored in batches of `batch_size` pairs."""

    def __init__(self, path: str | os.PathLike[str], batch_size: int = 32, max_length: int = 512) -> None:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise RerankerError(
                f"cross-encoder model folder not found: {folder}. Mount or copy the reranker model folder there, "
                "or set RAG_RERANKER to a cross-encoder model folder (no hub downloads are made); "
                "leave RAG_RERANKER empty to turn reranking off."
            )
        if not (folder / "config.json").is_file():
            raise RerankerError(
                f"{folder} is not a cross-encoder model folder (no config.json). Set RAG_RERANKER to a folder "
                "saved with CrossEncoder.save() or a Hugging Face sequence-classification model's save_pretrained()."
            )
        self.path = folder.resolve()
        self.id = f"ce:{self.path}"
        self.batch_size = max(1, batch_size)
        self.max_length = max(1, max_length)
        self._model = _LazyModel(self._load)

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import CrossEncoder

        device = "cuda" if torch.cuda.is_available() else "cpu"
        model_kwargs: dict[str, Any] = {"dtype": torch.float16} if device == "cuda" else {}
        model = CrossEncoder(
            str(self.path),
            device=device,
            local_files_only=True,
            max_length=self._max_length_for_model(),
            model_kwargs=model_kwargs or None,
        )
        model.eval()
        return model

    def _max_length_for_model(self) -> int:
        """Never feed more tokens than the model has positions for (long Japanese passages would crash it)."""
        import json

        try:
            config = json.loads((self.path / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return self.max_length
        positions = config.get("max_position_embeddings")
        return min(self.max_length, int(positions)) if isinstance(positions, int) and positions > 0 else self.max_length

    @property
    def loaded(self) -> bool:
        return self._model.loaded

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        """One relevance score per passage (higher is more relevant), in passage order."""
        if not passages:
            return []
        out = self._model.get().predict(
            [(query, passage) for passage in passages],
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return [float(s) for s in out.reshape(-1)]

    def rerank(self, query: str, hits: Sequence[Hit], top_n: int) -> list[Hit]:
        if top_n < 0:
            raise ValueError(f"top_n must be >= 0, got {top_n}")
        n = min(top_n, len(hits))
        scores = self.score(query, [index_text(hit.chunk) for hit in hits[:n]])
        return apply_rerank_scores(hits, scores)


def load_reranker(spec: str | None, batch_size: int = 32, max_length: int = 512) -> Reranker | None:
    """None, empty or `none` → None (no reranking); otherwise a cross-encoder model folder.

    Constructs only (checks the folder); the model loads on first use."""
    path = (spec or "").strip()
    if not path or path.lower() == "none":
        return None
    return CrossEncoderReranker(path, batch_size=batch_size, max_length=max_length)
