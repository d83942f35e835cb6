"""Optimising the embedded store aside (a child process on a copy, then a swap): nothing lost, searches go on,
an interrupted swap is finished or undone at the next open."""

from __future__ import annotations

import shutil
import threading
import uuid
from pathlib import Path

import pytest

from rag_service.errors import StoreLockedError
from rag_service.store import EdgeStore, IndexMeta, StoredPoint
from rag_service.store.base import DENSE, LegQuery
from rag_service.types import SparseVector

META = IndexMeta(embedder_id="test4", dim=4, tokenizer="fugashi-unidic-lite/nfkc-v1", avgdl=10.0)


def _points(start: int, n: int) -> list[StoredPoint]:
    return [
        StoredPoint(
            id=str(uuid.UUID(int=i + 1)),
            dense=[1.0, float(i), 0.5, 0.0],
            sparse=SparseVector((7, 1000 + i), (1.0, 2.0)),
            payload={"edition_key": "htn@aaa", "text": f"高血圧 第{i}節", "published": "2025-03-01"},
        )
        for i in range(start, start + n)
    ]


def _leftovers(store: EdgeStore) -> list[str]:
    return sorted(p.name for p in store.path.iterdir() if p.name.startswith("shard."))


def test_searches_go_on_while_the_index_is_optimised_aside(tmp_path: Path) -> None:
    store = EdgeStore(tmp_path / "index")
    store.open(META)
    store.upsert(_points(0, 3000))
    errors: list[BaseException] = []
    answers: list[str] = []
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            try:
                hits = store.search_sparse(SparseVector((1005,), (1.0,)), None, 1)
                answers.append(hits[0].payload["text"])
            except BaseException as e:  # every failure is the finding
                errors.append(e)

    searcher = threading.Thread(target=search)
    searcher.start()
    try:
        store.optimize(aside=True)
    finally:
        stop.set()
        searcher.join()
    assert not errors
    assert answers and set(answers) == {"高血圧 第5節"}
    assert store.count() == 3000 and _leftovers(store) == []
    store.upsert(_points(3000, 10))  # the swapped-in shard takes writes
    assert store.count() == 3010
    with pytest.raises(StoreLockedError):  # and it holds the lock like the old one did
        EdgeStore(store.path).open(META)
    store.close()
    again = EdgeStore(tmp_path / "index")
    again.open(META)
    assert again.count() == 3010
    again.close()


@pytest.mark.parametrize("crash", ["child-died", "between-renames", "before-removing-old"])
def test_an_interrupted_swap_is_finished_or_undone_at_open(tmp_path: Path, crash: str) -> None:
    store = EdgeStore(tmp_path / "index")
    store.open(META)
    store.upsert(_points(0, 40))
    store.close()
    shard = store.shard_dir
    if crash == "child-died":  # a half-optimised copy beside the shard
        shutil.copytree(shard, shard.with_name("shard.next"))
        shutil.rmtree(shard.with_name("shard.next") / "segments")
    elif crash == "between-renames":  # shard/ already moved to shard.old/, shard.next/ not yet in its place
        shutil.copytree(shard, shard.with_name("shard.next"))
        shard.rename(shard.with_name("shard.old"))
    else:
        shutil.copytree(shard, shard.with_name("shard.old"))
    again = EdgeStore(tmp_path / "index")
    again.open(META)
    try:
        assert again.count() == 40
        assert _leftovers(again) == []
    finally:
        again.close()


def test_an_int8_index_records_its_settings_and_rescores(tmp_path: Path) -> None:
    built = IndexMeta(**{**META.to_dict(), "quantization": "int8", "hnsw_m": 8, "hnsw_ef_construct": 32})
    store = EdgeStore(tmp_path / "index")
    store.open(built)
    store.upsert(_points(0, 300))
    store.optimize()
    assert store.search_dense([1.0, 7.0, 0.5, 0.0], None, 1)[0].payload["text"] == "高血圧 第7節"
    hits = store.search_legs([LegQuery(DENSE, [1.0, 7.0, 0.5, 0.0])], None, 3)[0]
    assert hits[0].id == str(uuid.UUID(int=8))
    store.close()
    again = EdgeStore(tmp_path / "index")
    again.open(META)  # configured with the defaults: the index keeps what it was built with
    assert again.meta is not None and (again.meta.quantization, again.meta.hnsw_m) == ("int8", 8)
    assert again.read_meta() == built
    again.close()
