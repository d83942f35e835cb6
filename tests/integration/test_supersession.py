"""A citation from a superseded edition says what the current edition now recommends for the same statement
(`rag_service.supersession`), from the two editions' stored outlines: the demo's 2019 hypertension edition, found by
an `as_of` search, against the 2025 edition that supersedes it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.query import Filters, SearchQuery
from rag_service.retrieve import Retriever
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from rag_service.supersession import Supersession, newest_successor
from rag_service.types import EditionStatus
from tests.conftest import demo_entries, write_manifest


def test_a_superseded_citation_carries_the_current_recommendation(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, demo_entries(("demo-htn-2019", "demo-htn-2025")))
    settings = Settings(data_dir=tmp_path / "var", embedder="none", manifest=manifest)
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, None, manifest, NullProgress())
    retriever = Retriever(store, None, settings)
    catalog = retriever.catalog()
    assert newest_successor(catalog, "demo-htn-2019").source_id == "demo-htn-2025"  # type: ignore[union-attr]
    assert newest_successor(catalog, "demo-htn-2025") is None

    then = Filters(source_ids=("demo-htn-2019",), as_of=date(2020, 6, 1))
    q = SearchQuery.checked("成人の降圧目標 140/90", settings.retrieval, 5, "bm25", then)
    hits = [h for h in retriever.search(q).hits if h.chunk.recommendations]
    hit = next(h for h in hits if h.chunk.recommendations[0].cq == "CQ2-1")
    assert hit.chunk.edition.status is EditionStatus.SUPERSEDED

    now = Supersession(store).now(catalog, hit.chunk)
    assert now is not None and now.current.source_id == "demo-htn-2025"
    (change,) = now.statements
    assert change.old == hit.chunk.recommendations[0] and change.new is not None
    assert change.changes == ("regraded", "reworded") and "130/80mmHg未満" in (change.new.text or "")
    assert change.new.grade.label() == "1A・行うことを強く推奨" and change.new.page_start

    q_now = SearchQuery.checked("成人の降圧目標", settings.retrieval, 5, "bm25", Filters(source_ids=("demo-htn-2025",)))
    current = next(h for h in retriever.search(q_now).hits if h.chunk.recommendations)
    assert Supersession(store).now(catalog, current.chunk) is None  # a current edition's citation needs nothing
    store.close()
