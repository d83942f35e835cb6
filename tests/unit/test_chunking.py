"""Chunking: sentence splits, token-safe cuts, overlap, page spans; Hypothesis properties on real Japanese."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion.chunking import chunk_edition, chunk_spans, page_span, split_sentences
from rag_service.ja_text import token_spans
from rag_service.types import Edition, EditionStatus, Section

EDITION = Edition(
    source_id="demo",
    title="高血圧診療ガイドライン",
    publisher="学会",
    edition="2025年版",
    published=date(2025, 4, 1),
    status=EditionStatus.CURRENT,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("降圧目標は130/80mmHg未満とする。減塩を推奨する。", ["降圧目標は130/80mmHg未満とする。", "減塩を推奨する。"]),
        ("「血圧が高い。」と患者は述べた。", ["「血圧が高い。」と患者は述べた。"]),
        ("食塩（1日6g未満。目安）を守る！本当か？", ["食塩（1日6g未満。目安）を守る！", "本当か？"]),
        ("表1 降圧目標\n対象 | 目標\n75歳未満 | 130/80", ["表1 降圧目標", "対象 | 目標", "75歳未満 | 130/80"]),
        ("（注：本文は\n架空である）次へ。", ["（注：本文は\n架空である）次へ。"]),
        ("（閉じない括弧\n\n次の段落。", ["（閉じない括弧", "次の段落。"]),
        ("HbA1c 7.0%未満を目標とする。", ["HbA1c 7.0%未満を目標とする。"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_long_sentence_is_cut_between_tokens() -> None:
    text = "高血圧治療においては" + "生活習慣の修正と降圧薬治療を組み合わせ" * 10 + "ることが推奨される。"
    spans = chunk_spans(text, 50, 0)
    assert len(spans) > 1
    boundaries = {t.start for t in token_spans(text)} | {len(text)}
    for s, e in spans:
        assert e - s <= 50
        assert s in boundaries and e in boundaries


def test_overlap_repeats_the_previous_sentence() -> None:
    sents = ["第一文である。", "第二文はもう少し長い文である。", "第三文である。", "第四文で終わる。"]
    text = "".join(sents)
    spans = chunk_spans(text, 30, 1)
    chunks = [text[s:e] for s, e in spans]
    assert len(chunks) >= 2
    for prev, nxt in itertools.pairwise(chunks):
        last_sentence = [text[s:e] for s, e in split_sentences(prev)][-1]
        assert nxt.startswith(last_sentence)


def test_page_span_from_offsets() -> None:
    text = "一ページ目の文。二ページ目の文。三ページ目の文。"
    section = Section(path=("第1章",), text=text, page_start=3, page_end=5, page_offsets=((0, 3), (8, 4), (16, 5)))
    assert page_span(section, 0, 8) == (3, 3)
    assert page_span(section, 0, 9) == (3, 4)
    assert page_span(section, 8, 24) == (4, 5)


def test_chunks_carry_provenance_and_stable_ids() -> None:
    section = Section(
        path=("第3章 薬物療法", "CQ3-2"), text="ACE阻害薬を第一選択とする。" * 3, page_start=7, page_end=7, unit_id="u1"
    )
    a = chunk_edition(EDITION, "demo@abc", [section], 400, 1)
    b = chunk_edition(EDITION, "demo@abc", [section], 400, 1)
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    assert a[0].section_path == ("第3章 薬物療法", "CQ3-2")
    assert (a[0].page_start, a[0].page_end, a[0].unit_id, a[0].edition.edition) == (7, 7, "u1", "2025年版")
    assert all(c.edition is EDITION for c in a)  # carried by reference, not copied field by field


def test_a_chunk_never_spans_two_sections() -> None:
    s1 = Section(path=("第1章",), text="第一章の本文。", page_start=1, page_end=1)
    s2 = Section(path=("第2章",), text="第二章の本文。", page_start=2, page_end=2)
    chunks = chunk_edition(EDITION, "k", [s1, s2], 400, 1)
    assert [(c.section_path, c.text) for c in chunks] == [
        (("第1章",), "第一章の本文。"),
        (("第2章",), "第二章の本文。"),
    ]


SENTENCES = st.sampled_from(
    [
        "高血圧の治療では生活習慣の修正を行う。",
        "2型糖尿病の薬物療法を開始する。",
        "HbA1c 7.0%未満を目標とする。",
        "「減塩（1日6g未満）」を推奨する。",
        "医師は、診察しないで治療をしてはならない。",
        "表1 | 75歳未満 | 130/80",
        "ACE阻害薬またはARBを第一選択とする！",
        "エビデンスの確実性はBである？",
        "\n",
        "\n\n",
        "長い文章" * 30 + "である。",
    ]
)


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(SENTENCES, min_size=1, max_size=25), max_chars=st.integers(40, 400), overlap=st.integers(0, 2))
def test_chunk_properties(parts: list[str], max_chars: int, overlap: int) -> None:
    text = "".join(parts)
    spans = chunk_spans(text, max_chars, overlap)
    covered = set()
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        assert e - s <= max_chars  # within budget
        covered.update(range(s, e))
    assert [s for s, _ in spans] == sorted(s for s, _ in spans)  # ordered
    assert all(e1 <= e2 for (_, e1), (_, e2) in itertools.pairwise(spans))
    missing = [i for i, ch in enumerate(text) if not ch.isspace() and i not in covered]
    assert missing == []  # the chunks cover the text
