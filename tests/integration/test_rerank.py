"""The cross-encoder reranker on tiny BERT cross-encoders built here from a config (no downloads).

Two models, both saved with `save_pretrained` and loaded back through `CrossEncoderReranker(folder)`:

- `random_model`: seeded random weights; its scores are checked against `CrossEncoder.predict` run
  independently on the same (query, index text) pairs, so pairing, ordering and batching are exercised.
- `keyword_model`: hand-set weights that make it a detector of one character (糖) anywhere in the
  pair: a pair containing it scores sigmoid(2·tanh 4) ≈ 0.88, any other pair exactly sigmoid(0) = 0.5.
  The expected order is then known in advance, ties included.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
sentence_transformers = pytest.importorskip("sentence_transformers")

from rag_service.errors import RagError  # noqa: E402
from rag_service.points import index_text  # noqa: E402
from rag_service.rerank import CrossEncoderReranker, Reranker, RerankerError, load_reranker  # noqa: E402
from rag_service.types import Chunk, Edition, EditionStatus, Hit, LegScore  # noqa: E402

KEYWORD = "糖"
QUERY = "高血圧の薬物療法"
# (section path, body): the keyword sits in the section path of one chunk, in the body of two others.
PASSAGES = [
    (("第1章 総論",), "高血圧の定義と診断基準を示す。"),
    (("第2章 糖尿病",), "合併症の評価を行う。"),
    (("第3章 薬物療法", "CQ3-2"), "降圧薬の選択について述べる。"),
    (("第4章 生活習慣",), "食事療法では糖質と塩分を控える。"),
    (("第5章 妊娠",), "妊娠高血圧症候群の管理。"),
    (("第6章 検査",), "HbA1c 7.0%未満を目標とする２型糖尿病。"),
    (("第7章 小児",), "小児の血圧測定の方法。"),
]
TITLE = "高血圧治療ガイドライン"
VOCAB_TEXT = QUERY + TITLE + "".join("".join(path) + body for path, body in PASSAGES)


def make_hits() -> list[Hit]:
    hits = []
    for i, (path, body) in enumerate(PASSAGES, start=1):
        chunk = Chunk(
            edition_key="jsh2019@abc",
            edition=Edition(
                source_id="jsh2019",
                title=TITLE,
                publisher="日本高血圧学会",
                edition="2019",
                published=date(2019, 4, 1),
                status=EditionStatus.CURRENT,
                specialties=("循環器",),
            ),
            page_start=i,
            page_end=i,
            section_path=path,
            text=body,
        )
        hits.append(Hit(chunk=chunk, fused=LegScore(score=1.0 / (60 + i), rank=i)))
    return hits


def _write_tokenizer(folder: Path) -> int:
    """A character-level BERT WordPiece vocabulary covering every character used here; returns its size."""
    chars = sorted(set(VOCAB_TEXT) - {" "})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(folder), do_lower_case=False)
    assert KEYWORD in tokenizer.tokenize(f"{KEYWORD}尿病")
    tokenizer.save_pretrained(str(folder))
    return len(vocab)


def _config(vocab_size: int, initializer_range: float = 0.02) -> object:
    return transformers.BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=512,  # room for a whole chunk, character by character
        num_labels=1,
        initializer_range=initializer_range,
    )


@pytest.fixture(scope="module")
def random_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("random-ce")
    vocab_size = _write_tokenizer(folder)
    torch.manual_seed(1234)
    model = transformers.BertForSequenceClassification(_config(vocab_size, initializer_range=0.3))
    model.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def keyword_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All weights zero except: the keyword's embedding u = e0 - e1; identity value/output/pooler
    projections with zero query/key (uniform attention: [CLS] sees the mean of all tokens);
    LayerNorm gains 1; classifier weight u. So a pair containing the keyword scores 2·tanh(4) and
    any other pair scores exactly 0, whatever its length."""
    folder = tmp_path_factory.mktemp("keyword-ce")
    vocab_size = _write_tokenizer(folder)
    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(folder))
    model = transformers.BertForSequenceClassification(_config(vocab_size))
    hidden = model.config.hidden_size
    u = torch.zeros(hidden)
    u[0], u[1] = 1.0, -1.0
    eye = torch.eye(hidden)
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.zero_()
            if "LayerNorm.weight" in name:
                param.fill_(1.0)
        bert = model.bert
        bert.embeddings.word_embeddings.weight[tokenizer.convert_tokens_to_ids(KEYWORD)] = u
        layer = bert.encoder.layer[0]
        layer.attention.self.value.weight.copy_(eye)
        layer.attention.output.dense.weight.copy_(eye)
        bert.pooler.dense.weight.copy_(eye)
        model.classifier.weight[0] = u
    model.save_pretrained(str(folder))
    return folder


def _predict_independently(folder: Path, query: str, hits: list[Hit]) -> list[float]:
    model = sentence_transformers.CrossEncoder(str(folder), device="cpu", local_files_only=True)
    return [float(s) for s in model.predict([(query, index_text(h.chunk)) for h in hits], show_progress_bar=False)]


def test_scores_match_cross_encoder_predict_and_sort(random_model: Path) -> None:
    hits = make_hits()
    before = list(hits)
    reranker = CrossEncoderReranker(random_model, batch_size=2)  # 5 pairs in batches of 2
    assert isinstance(reranker, Reranker)
    assert not reranker.loaded  # construction does not load the model

    out = reranker.rerank(QUERY, hits, top_n=5)

    expected = _predict_independently(random_model, QUERY, hits[:5])
    # Preconditions that make the test meaningful: distinct scores, not already in score order.
    assert len(set(expected)) == 5
    assert expected != sorted(expected, reverse=True)
    by_id = {h.chunk.chunk_id: h for h in out}
    for hit, score in zip(hits[:5], expected, strict=True):
        got = by_id[hit.chunk.chunk_id].rerank
        assert got is not None
        assert got.score == pytest.approx(score, rel=1e-5, abs=1e-6)
    head = out[:5]
    head_scores = [h.rerank.score for h in head if h.rerank is not None]
    assert head_scores == sorted(head_scores, reverse=True)
    assert [h.rerank.rank for h in head if h.rerank is not None] == [1, 2, 3, 4, 5]
    # Other legs' evidence survives; hits beyond top_n keep their order, unscored.
    assert all(h.fused == by_id[h.chunk.chunk_id].fused for h in hits)
    assert out[5:] == hits[5:]
    assert all(h.rerank is None for h in out[5:])
    # Inputs are untouched: same objects, same order, no rerank set.
    assert hits == before
    assert all(a is b for a, b in zip(hits, before, strict=True))
    assert all(h.rerank is None for h in hits)
    assert {h.chunk.chunk_id for h in out} == {h.chunk.chunk_id for h in hits}


def test_keyword_model_gives_the_known_order_and_ties_keep_previous_order(keyword_model: Path) -> None:
    hits = make_hits()
    out = CrossEncoderReranker(keyword_model, batch_size=3).rerank(QUERY, hits, top_n=len(hits))

    # Hits 2 (keyword in the section path only), 4 and 6 (keyword in the body) first, in their previous
    # order; then the ties at 0.5, in their previous order.
    assert [h.fused.rank for h in out if h.fused is not None] == [2, 4, 6, 1, 3, 5, 7]
    assert [h.rerank.rank for h in out if h.rerank is not None] == [1, 2, 3, 4, 5, 6, 7]
    high = torch.sigmoid(torch.tensor(2 * torch.tanh(torch.tensor(4.0)).item())).item()
    scores = [h.rerank.score for h in out if h.rerank is not None]
    assert scores[:3] == pytest.approx([high] * 3, abs=1e-4)
    assert scores[3:] == pytest.approx([0.5] * 4, abs=1e-6)


def test_top_n_is_bounded_and_edge_cases(keyword_model: Path) -> None:
    reranker = CrossEncoderReranker(keyword_model)
    hits = make_hits()
    out = reranker.rerank(QUERY, hits, top_n=100)
    assert len(out) == len(hits)
    assert all(h.rerank is not None for h in out)

    assert reranker.rerank(QUERY, [], top_n=10) == []
    unchanged = reranker.rerank(QUERY, hits, top_n=0)
    assert unchanged == hits and unchanged is not hits
    with pytest.raises(ValueError, match="top_n"):
        reranker.rerank(QUERY, hits, top_n=-1)


def test_concurrent_first_use_agrees(keyword_model: Path) -> None:
    reranker = CrossEncoderReranker(keyword_model)
    hits = make_hits()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: reranker.rerank(QUERY, hits, top_n=4), range(4)))
    assert reranker.loaded
    assert all(r == results[0] for r in results)


def test_load_reranker_specs(keyword_model: Path, tmp_path: Path) -> None:
    assert load_reranker(None) is None
    assert load_reranker("") is None
    assert load_reranker("  none ") is None
    reranker = load_reranker(str(keyword_model), batch_size=8, max_length=64)
    assert isinstance(reranker, CrossEncoderReranker)
    assert reranker.batch_size == 8 and reranker.max_length == 64
    assert reranker.id == f"ce:{keyword_model.resolve()}"

    missing = tmp_path / "no-such-reranker"
    with pytest.raises(RerankerError, match="RAG_RERANKER") as info:
        load_reranker(str(missing))
    assert isinstance(info.value, RagError)
    assert str(missing) in str(info.value)

    with pytest.raises(RerankerError, match=r"config\.json"):
        CrossEncoderReranker(tmp_path)  # a folder, but no model in it


def test_max_length_never_exceeds_the_model_positions(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"max_position_embeddings": 128}', encoding="utf-8")
    assert CrossEncoderReranker(tmp_path, max_length=512)._max_length_for_model() == 128
    assert CrossEncoderReranker(tmp_path, max_length=64)._max_length_for_model() == 64
