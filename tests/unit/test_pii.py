"""The patient-data masker on real Japanese clinical strings, the labelled sets, and properties for any text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval.pii_eval import DATA, load_labelled, parse_marked, score
from rag_service.pii import MASKS, find_pii, fold, mask
from rag_service.pii_lexicon import lexicon


def _found(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.type) for s in find_pii(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("患者 山田太郎様（昭和45年3月2日生）", [("山田太郎", "NAME"), ("昭和45年3月2日", "DOB")]),
        ("担当医 佐藤先生より説明", [("佐藤", "NAME")]),
        ("氏名：ヤマダ タロウ　TEL 03-1234-5678", [("ヤマダ タロウ", "NAME"), ("03-1234-5678", "PHONE")]),
        ("Pt: Taro Suzuki DOB 1948-09-30", [("Taro Suzuki", "NAME"), ("1948-09-30", "DOB")]),
        ("カルテ番号：0012345、診察券番号 7788123", [("0012345", "PATIENT_ID"), ("7788123", "PATIENT_ID")]),
        ("〒154-0001 東京都世田谷区池尻2丁目3番4号 池尻コーポ305",
         [("154-0001", "POSTAL"), ("東京都世田谷区池尻2丁目3番4号 池尻コーポ305", "ADDRESS")]),
        ("保険者番号 06130012 記号 12-34 番号 567",
         [("06130012", "INSURANCE"), ("12-34", "INSURANCE"), ("567", "INSURANCE")]),
        ("マイナンバー：３３４４５５６６７７８８", [("３３４４５５６６７７８８", "MYNUMBER")]),
        ("連絡先 hanako.sato85@example.com", [("hanako.sato85@example.com", "EMAIL")]),
        ("S45.3.2生 72歳男性", [("S45.3.2", "DOB")]),
    ],
)  # fmt: skip
def test_each_type(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "橋本病、バセドウ病、川崎病、クローン病、パーキンソン病の鑑別",
        "ギラン・バレー症候群とベーチェット病、高安動脈炎",
        "小林スコア 5点、Child-Pugh分類 B",
        "医師法第21条、高血圧治療ガイドライン2019、HbA1c 7.2%、アムロジピン 5mg 1日1回",
        "72歳男性、2024年5月10日受診、3階 305号室、東京都在住",
        "佐伯記念病院 循環器内科でフォロー",
    ],
)
def test_hard_negatives_stay(text: str) -> None:
    assert find_pii(text) == []


def test_mask_replaces_with_typed_masks_and_keeps_the_clinical_content() -> None:
    result = mask("患者 鈴木花子さん（ID A-20231145）橋本病 レボチロキシン 50μg")
    assert result.masked == f"患者 {MASKS['NAME']}さん（ID {MASKS['PATIENT_ID']}）橋本病 レボチロキシン 50μg"


def test_markup_parses_to_offsets() -> None:
    text, spans = parse_marked("患者 ⟦NAME:山田 太郎⟧ 様 ⟦PHONE:03-1234-5678⟧")
    assert text == "患者 山田 太郎 様 03-1234-5678"
    assert [(text[s.start : s.end], s.type) for s in spans] == [("山田 太郎", "NAME"), ("03-1234-5678", "PHONE")]
    with pytest.raises(ValueError, match="unknown type"):
        parse_marked("⟦FOO:x⟧")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ﾔﾏﾀﾞ ﾊﾅｺ 様の検査", ["ﾔﾏﾀﾞ ﾊﾅｺ"]),  # half-width kana, read in UniDic's lexicon by reading
        ("小児 喘息 はなこ 3歳 吸入", ["はなこ"]),
        ("Pt: Sato Kenji 45M", ["Sato Kenji"]),  # romaji, by reading
        ("Operator: T. Nakagawa", ["T. Nakagawa"]),
        ("術者 長岡、助手 安部 凛、麻酔 木内。", ["長岡", "安部 凛", "木内"]),  # staff, a surname alone after a role
        ("主治医 平山 より説明", ["平山"]),
        ("記録 沼田", ["沼田"]),
        ("実施者 滝口", ["滝口"]),
        ("南 大樹 25歳", ["南 大樹"]),  # a full name needs no cue, whatever the tagger made of it here …
        ("患者 南 大樹 25歳", ["南 大樹"]),  # … or here (池田, 南: a place to the tagger after 患者)
    ],
)  # fmt: skip
def test_names_with_no_honorific_or_label_in_reach(text: str, expected: list[str]) -> None:
    assert [text[s.start : s.end] for s in find_pii(text) if s.type == "NAME"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("公費負担者番号 51137019、受給者番号 5512340", [("51137019", "INSURANCE"), ("5512340", "INSURANCE")]),
        ("記号 ア-12 番号 3", [("ア-12", "INSURANCE"), ("3", "INSURANCE")]),
        ("記号 3 番号 456 枝番 01", [("3", "INSURANCE"), ("456", "INSURANCE"), ("01", "INSURANCE")]),
        ("国保 記号 練馬あ 番号 12", [("練馬あ", "INSURANCE"), ("12", "INSURANCE")]),
        ("生年月日 昭和四十三年七月二十日", [("昭和四十三年七月二十日", "DOB")]),
        ("生年月日 19700302", [("19700302", "DOB")]),
        ("S.58.10.10生", [("S.58.10.10", "DOB")]),
        ("生年月日 H.3.9.27", [("H.3.9.27", "DOB")]),
        ("H元年5月1日生", [("H元年5月1日", "DOB")]),
        ("カルテ00482211", [("00482211", "PATIENT_ID")]),
        ("個人番号（12桁）811203394750", [("811203394750", "MYNUMBER")]),
    ],
)  # fmt: skip
def test_structured_types_as_forms_write_them(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "田中ビネー式知能検査で IQ 68",
        "中條-西村症候群の鑑別",
        "武田薬品のアジルサルタン、大塚製薬 エビリファイ、小野薬品、沢井製薬 アムロジピン",
        "亀田総合病院への転院が決まりました",
        "宛先：武田総合病院 腎臓内科",
        "検体番号 1234 5678 9012",
    ],
)
def test_eponyms_drug_makers_hospitals_and_other_numbers_stay(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("#1 高K血症 杉山様", "#1 高K血症 ［氏名］様"),
        ("305号室 大野様", "305号室 ［氏名］様"),
        ("整形外科 藤田先生", "整形外科 ［氏名］先生"),
        ("妊娠32週 中村さん", "妊娠32週 ［氏名］さん"),
    ],
)
def test_a_mask_never_takes_the_clinical_word_before_a_name(text: str, masked: str) -> None:
    assert mask(text).masked == masked


def test_names_come_from_unidics_lexicon_offline() -> None:
    """The surname and given-name lists are read from the dictionary fugashi uses (no download, no hand list)."""
    lex = lexicon()
    assert len(lex.surnames) > 10_000 and len(lex.given) > 20_000
    assert {"池田", "木内", "堀"} <= lex.surnames and "大樹" in lex.given and "病院" not in lex.surnames


@pytest.mark.parametrize("name", ["dev", "test", "heldout", "fresh_dev", "fresh_dev2"])
def test_labelled_sets(name: str) -> None:
    """Guards below the measured figures (README, Safety): dev, fresh_dev and fresh_dev2 are where the rules were
    written or tuned, test and heldout were read for regressions (fresh.jsonl, the measuring set, is not a test: it is
    measured blind with `rag eval pii`)."""
    rows = load_labelled(DATA / f"{name}.jsonl")
    r = score(rows)
    assert r["overall"]["recall"] >= 0.97 and r["overall"]["precision"] >= 0.98
    assert r["types"]["NAME"]["recall"] >= 0.97
    assert r["eponyms_masked"] == []
    # every line without patient data untouched, but for a 受付番号's value (dev-177: the day's queue ticket, which
    # dev leaves unlabelled; masked since round 3, a decision for privacy)
    touched = [row.text for row in rows if not row.spans and find_pii(row.text)]
    assert all("受付番号" in text for text in touched) and len(touched) <= 1


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_spans_are_ordered_disjoint_and_inside_any_text(text: str) -> None:
    spans = find_pii(text)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert len(fold(text)) == len(text)
