"""Our sparse BM25 (client-side tf weights + Qdrant's IDF modifier) against bm25s on the same fugashi tokens.

bm25s is the reference implementation (it checks itself against rank_bm25). Same corpus (the demo corpus's
4,386 statute articles), same tokens, same k1/b/avgdl: the top-10 must agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
import pytest

from rag_service.ja_text import tokenize
from rag_service.sparse import average_length, document_vector, query_vector
from rag_service.store import EdgeStore, IndexMeta, StoredPoint
from rag_service.types import stable_chunk_id

LAWS = Path(__file__).resolve().parents[2] / "corpora" / "laws"
K1, B = 1.2, 0.75
QUERIES = [
    "医師が死体を検案して異状があると認めたときの届出",
    "診療録の記載と保存の義務",
    "感染症の患者を診断した医師の届出",
    "予防接種による健康被害の救済",
    "麻薬中毒者の届出",
    "病院の開設許可",
    "受動喫煙の防止",
    "精神科病院への措置入院",
    "保健所の業務",
    "臓器の摘出と脳死判定",
    "薬剤師の調剤の求めに応じる義務",
    "看護師の守秘義務",
    "食品衛生責任者",
    "水道水の水質基準",
    "墓地の経営許可",
]


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[list[str]]]:
    ids, tokens = [], []
    for path in sorted(LAWS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            ids.append(stable_chunk_id("law", "2013", 1, 1, row["text"], row["doc_id"]))
            tokens.append(tokenize(f"{row['title']}\n{row['text']}"))
    assert len(ids) == 4386
    return ids, tokens


@pytest.fixture(scope="module")
def edge(corpus: tuple[list[str], list[list[str]]], tmp_path_factory: pytest.TempPathFactory) -> EdgeStore:
    ids, tokens = corpus
    avgdl = average_length(tokens)
    store = EdgeStore(tmp_path_factory.mktemp("bm25"))
    store.open(IndexMeta(embedder_id="none", dim=0, tokenizer="fugashi", avgdl=avgdl))
    points = [
        StoredPoint(id=i, dense=None, sparse=document_vector(t, avgdl, K1, B), payload={"edition_key": "laws"})
        for i, t in zip(ids, tokens, strict=True)
    ]
    for start in range(0, len(points), 1000):
        store.upsert(points[start : start + 1000])
    store.flush()
    return store


@pytest.fixture(scope="module")
def reference(corpus: tuple[list[str], list[list[str]]]) -> bm25s.BM25:
    _, tokens = corpus
    model = bm25s.BM25(k1=K1, b=B, method="lucene")
    model.index(tokens, show_progress=False)
    return model


@pytest.mark.parametrize("query", QUERIES)
def test_same_top10_as_bm25s(
    query: str, corpus: tuple[list[str], list[list[str]]], edge: EdgeStore, reference: bm25s.BM25
) -> None:
    ids, _ = corpus
    q_tokens = sorted(set(tokenize(query)))
    known = [t for t in q_tokens if t in reference.vocab_dict]
    scores = reference.get_scores(known)
    order = np.argsort(-scores, kind="stable")[:10]
    expected = [(ids[i], float(scores[i])) for i in order if scores[i] > 0]

    got = edge.search_sparse(query_vector(q_tokens), None, 10)
    assert len(got) == len(expected)
    # Lucene BM25 omits the (k1 + 1) factor our document weights carry: scores differ by exactly that constant.
    for (_eid, escore), hit in zip(expected, got, strict=True):
        assert hit.score == pytest.approx(escore * (K1 + 1), rel=1e-3)
    # Same documents in the same order, up to ties (equal scores may come in either order).
    assert {e for e, s in expected if s > expected[-1][1] + 1e-6} <= {h.id for h in got}
