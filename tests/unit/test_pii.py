"""The patient-data masker on real Japanese clinical strings, the labelled sets, and properties for any text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval.pii_eval import DATA, load_labelled, parse_marked, score
from rag_service.pii import MASKS, find_pii, fold, mask


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


@pytest.mark.parametrize("name", ["dev", "heldout"])
def test_labelled_sets(name: str) -> None:
    """Guards below the measured figures (README, Safety): dev is where the rules were written, heldout was never
    looked at while writing them."""
    r = score(load_labelled(DATA / f"{name}.jsonl"))
    floor = 0.97 if name == "dev" else 0.93
    assert r["overall"]["recall"] >= floor and r["overall"]["precision"] >= 0.97
    assert r["eponyms_masked"] == [] and r["rows_without_pii_untouched"] == r["rows_without_pii"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_spans_are_ordered_disjoint_and_inside_any_text(text: str) -> None:
    spans = find_pii(text)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert len(fold(text)) == len(text)
