"""Search looks up the question without its patient details: a question full of them (a name, a birth date, an ID,
an age, dates) ranks the statute above case reports, whose dates and numbers the details would otherwise match."""

from __future__ import annotations

import pytest

from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.query import SearchQuery
from rag_service.retrieve import Retriever
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from tests.conftest import demo_entries, write_manifest

QUESTION = (
    "患者 山田 太郎 様（昭和45年3月2日生、カルテ番号 00482211、TEL 090-1234-5678）、2024年5月10日 自宅で死亡"
    "しているのを"
    "家族 山田 花子 さんが発見。担当医 佐藤 が死体を検案して異状を認めた。届け出はどうするか。"
)


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    tmp = tmp_path_factory.mktemp("masked-search")
    manifest = write_manifest(tmp, demo_entries(("law-19dc84fdb0", "medtxt-cr")))
    settings = Settings(data_dir=tmp / "var", embedder="none")
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, None, manifest, NullProgress())
    return Retriever(store, None, settings)


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "bigram"])
def test_a_question_full_of_patient_details_finds_the_statute_first(retriever: Retriever, mode: str) -> None:
    hits = retriever.search(SearchQuery(QUESTION, top_k=10, mode=mode)).hits  # type: ignore[arg-type]
    ranks = {h.chunk.edition.source_id: i for i, h in reversed(list(enumerate(hits)))}
    article = next(i for i, h in enumerate(hits) if "第二十一条" in " ".join(h.chunk.section_path))
    assert article == 0 and ranks.get("medtxt-cr", 99) > article, [h.chunk.section_path for h in hits[:5]]
