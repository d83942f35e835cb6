"""The evaluation measures what the service does: for each query, the evaluation's default ranking (the fused
ranking it keeps for recall@100) begins with exactly the hits `/v1/search` returns, in order, through the same
plan, legs and fusion step; a query the service refuses is refused there too."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.retrieval import DEPTH, _query_rankings, systems
from rag_service import service
from rag_service.retrieve import LEGS
from rag_service.settings import Settings
from rag_service.wire import SearchRequest

QUERIES = [
    "医師が死体を検案して異状を認めたときの届出",
    "未成年者の喫煙を知りながら制止しなかった親権者",
    "異状死体を検案した医師の届出先はどれか。\na: 保健所長\nb: 市町村長\nc: 所轄警察署\nd: 都道府県知事",
    "応招義務",
]


@pytest.fixture
def container(law_index: tuple[Path, Path], tmp_path: Path) -> Iterator[service.Container]:
    shutil.copytree(law_index[0], tmp_path / "var")
    c = service.open_container(Settings(data_dir=tmp_path / "var", embedder="none"))
    yield c
    c.close()


@pytest.mark.parametrize("text", QUERIES)
def test_the_evaluations_default_is_the_services_search(container: service.Container, text: str) -> None:
    latency: dict[str, float] = {}
    every = tuple(leg for leg in LEGS if leg != "dense")
    entry = _query_rankings(container, text, every, exam_style=True, latency=latency, qid="q")
    served = service.search(container, service.LOCAL, SearchRequest(query=text, top_k=10))
    default = systems([], exam_style=False, prefetch=50)["DEFAULT: /v1/search hybrid, query_kind auto"](entry)
    assert [pid for pid, _ in default[:10]] == [h.chunk_id for h in served.hits]
    assert [round(s, 9) for _, s in default[:10]] == [round(h.scores["fused"].score, 9) for h in served.hits]
    assert all(len(ranked) <= DEPTH for ranked in entry["plain"].values()) and latency["q"] > 0
    assert ("exam" in entry) and served.query_kind in ("plain", "exam")


def test_a_query_the_service_refuses_is_refused_by_the_evaluation(container: service.Container) -> None:
    from rag_service.errors import BadRequest

    with pytest.raises(BadRequest, match="RAG_RETRIEVAL__MAX_QUERY_CHARS"):
        _query_rankings(container, "届出" * 2000, ("bm25",), exam_style=False, latency={}, qid="q")
