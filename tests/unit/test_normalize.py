from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestion.normalize import count_japanese, is_japanese, normalize_text, strip_running_lines
from rag_service.types import PageText


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("⼀つの箱内に収めたもの", "一つの箱内に収めたもの"),  # Kangxi radical U+2F00
        ("⼈⼝の⼤半", "人口の大半"),
        ("２型糖尿病", "2型糖尿病"),
        ("ＨｂＡ１ｃ　７．０％未満", "HbA1c 7.0%未満"),
        ("HbA1c 7.0%未満", "HbA1c 7.0%未満"),
        ("HbA1c\n7.0%未満", "HbA1c 7.0%未満"),
        ("高血圧の\n治療", "高血圧の治療"),
        (
            "降圧薬は少量から\n開始し、数週間かけて\n緩徐に下げる。",
            "降圧薬は少量から開始し、数週間かけて緩徐に下げる。",
        ),
        ("あ\nい\nう\nえ\nお\n日\n本\n語", "あいうえお日本語"),  # vertical text, one character per line
        ("The quick brown\nfox jumps", "The quick brown fox jumps"),
        ("well-\nknown", "well-known"),
        ("ARB\nまたはACE阻害薬", "ARBまたはACE阻害薬"),
        ("130/80\nmmHg未満", "130/80 mmHg未満"),
        ("高血圧 の 治療", "高血圧の治療"),
        ("高血圧　　治療", "高血圧治療"),
        ("A  B   C", "A B C"),
        ("推奨する。\n次の文。", "推奨する。\n次の文。"),
        ("含む。\n）」を", "含む。)」を"),
        ("段落一。\n\n\n\n段落二。", "段落一。\n\n段落二。"),
        ("第1章 総論\n高血圧は重要", "第1章総論\n高血圧は重要"),
        ("本文の途中で\nCQ3-2 減塩は推奨されるか？", "本文の途中で\nCQ3-2 減塩は推奨されるか?"),
        ("対象 | 目標\n高齢者 | 140/90", "対象 | 目標\n高齢者 | 140/90"),
        ("推奨の強さ：1（強い）\nエビデンスの確実性：Ｂ", "推奨の強さ:1(強い)\nエビデンスの確実性:B"),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1—2", "1-2"),  # em dash
        ("1\u03362", "1-2"),  # combining overlay PyMuPDF emits for an em dash
        ("1–2 1‐2 1‑2 1‒2 1―2 1−2 1－2", "1-2 1-2 1-2 1-2 1-2 1-2 1-2"),
        ("5〜10mg", "5~10mg"),
        ("5～10mg", "5~10mg"),
        ("5∼10mg", "5~10mg"),
        ("コーヒー", "コーヒー"),  # the prolonged sound mark stays
        ("ｺｰﾋｰ", "コーヒー"),  # half-width katakana
        ("ゼロ幅\u200bスペース", "ゼロ幅スペース"),
    ],
)
def test_dashes_and_tildes_fold(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_count_japanese_counts_kana_kanji_punctuation_after_nfkc() -> None:
    assert count_japanese("⼀つの箱、ABC（注）") == 6  # 一 つ の 箱 、 注 (the brackets become ASCII)
    assert is_japanese("ー") and is_japanese("。") and not is_japanese("A")


def _pages(texts: list[str]) -> list[PageText]:
    return [PageText(page=i + 1, text=t) for i, t in enumerate(texts)]


def test_strip_running_header_footer_and_page_numbers() -> None:
    pages = _pages([f"高血圧診療ガイドライン（デモ）2025年版\n本文{i}ページ目の内容。\n- {i} -" for i in range(1, 6)])
    out = strip_running_lines(pages)
    assert [p.text for p in out] == [f"本文{i}ページ目の内容。" for i in range(1, 6)]
    assert [p.page for p in out] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("footer", ["{i} / 10", "p. {i}", "{i}", "- {i} -", "{i}頁"])
def test_strip_page_number_forms(footer: str) -> None:
    bodies = ["高血圧の定義。", "降圧目標。", "薬物療法。"]
    pages = _pages([f"{body}\n{footer.format(i=i)}" for i, body in enumerate(bodies, 1)])
    assert [p.text for p in strip_running_lines(pages)] == bodies


def test_running_lines_need_three_pages_and_half_of_them() -> None:
    two = _pages(["見出しA\n本文。", "見出しA\n本文。"])
    assert strip_running_lines(two) == two
    once = _pages(["見出しA\n本文一。", "見出しB\n本文二。", "見出しC\n本文三。", "見出しD\n本文四。"])
    assert strip_running_lines(once) == once


def test_repeated_label_inside_the_page_is_kept() -> None:
    pages = _pages([f"ヘッダー\n推奨の強さ：{i % 2 + 1}（強い）\n本文{i}。\n- {i} -" for i in range(1, 5)])
    assert all(p.text.startswith("推奨の強さ") for p in strip_running_lines(pages))


_JP_TEXT = st.text(
    alphabet=st.sampled_from(list("高血圧の治療推奨強いあいうえおカタコーヒ一二、。「」（）ＡＢ１２abcXY 　\n-—〜～")),
    max_size=80,
)


@given(_JP_TEXT)
def test_normalize_is_idempotent(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once


@given(_JP_TEXT)
def test_no_japanese_character_is_lost(s: str) -> None:
    assert count_japanese(normalize_text(s)) == count_japanese(s)


@given(st.lists(st.sampled_from(list("高血圧の治療あいうえお一二")), min_size=1, max_size=40))
def test_vertical_text_becomes_running_text(chars: list[str]) -> None:
    assert normalize_text("\n".join(chars)) == "".join(chars)


def _is_unified_ideograph(ch: str) -> bool:
    cp = ord(ch)
    return 0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3FFFF


@pytest.mark.parametrize("block", [(0x2E80, 0x2EFF), (0x2F00, 0x2FDF)], ids=["radicals supplement", "kangxi"])
def test_every_radical_becomes_its_ideograph(block: tuple[int, int]) -> None:
    """Every assigned code point of both radical blocks (U+2E80 has no equivalent ideograph and stays)."""
    import unicodedata

    from rag_service.ja_text import normalize_chars

    assigned = [cp for cp in range(block[0], block[1] + 1) if unicodedata.category(chr(cp)) != "Cn"]
    assert len(assigned) >= 115 if block[0] == 0x2E80 else len(assigned) == 214
    left = [hex(cp) for cp in assigned if cp != 0x2E80 and not _is_unified_ideograph(normalize_chars(chr(cp)))]
    assert not left
    assert normalize_chars("⻑期入院、⼀般病棟") == "長期入院、一般病棟"


def test_a_colon_extracted_as_i_diaeresis_between_digits_is_a_colon() -> None:
    from rag_service.ja_text import normalize_chars

    assert normalize_chars("業務時間 16ï30-17ï30、7ï30に集合") == "業務時間 16:30-17:30、7:30に集合"
    assert normalize_chars("naïve Bayes") == "naïve Bayes"  # a real ï stays
