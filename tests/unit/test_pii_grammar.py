"""The masker's second round (issue 17, fresh_dev2): each mechanism on real Japanese strings with the real tagger
(fugashi, unidic-lite), and the tuning set's floors. Strings are written for these tests, not copied from the sets."""

from __future__ import annotations

import pytest

from eval.pii_eval import DATA, DEFAULT_SETS, load_labelled, score
from rag_service.pii import find_pii, mask


def _found(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.type) for s in find_pii(text)]


def _names(text: str) -> list[str]:
    return [text[s.start : s.end] for s in find_pii(text) if s.type == "NAME"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("主治医石田より説明した", ["石田"]),  # a role joined before: the tagger splits 主治/医/石田
        ("担当看護師山口が対応", ["山口"]),  # the longer role first
        ("薬剤師宮本 さやかより主治医へ", ["宮本 さやか"]),
        ("本人前川 修氏は否定", ["前川 修"]),
        ("承認：岡部部長", ["岡部"]),  # an honorific or role joined after
        ("申し送り：今泉様 不眠あり", ["今泉"]),
        ("Ns.小林記録 血糖 58", ["小林"]),  # a record word joined after: the name ends there, no compound
        ("けいたくん 4歳、発熱", ["けいた"]),  # hiragana up to its honorific
        ("主治医 池田と相談した", ["池田"]),  # a particle after the name
        ("主治医の古川から説明予定", ["古川"]),  # の after a person's role
        ("隊員 平岡、機関員 柳", ["平岡", "柳"]),  # roles ending in 員, one-kanji surnames after a role
        ("器械出し：青木　外回り：ﾏｴﾀﾞ", ["青木", "ﾏｴﾀﾞ"]),
        ("処置者 菊池・宇野", ["菊池", "宇野"]),  # the next name of a list
        ("南PT・東OT 交代", ["南", "東"]),  # PT, OT after a name
        ("麻酔科 岡田、研修医：野田", ["岡田", "野田"]),
        ("主治医：四ノ宮", ["四ノ宮"]),  # ノ inside a kanji surname
    ],
)
def test_names_joined_to_roles_honorifics_and_particles(text: str, expected: list[str]) -> None:
    assert _names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "看護師長より連絡あり",  # 看護師長 is one word to the tagger: no 長 after a role
        "医師等の責務、当事者間の協議",  # a one-kanji word joined to a role
        "胸部CTでは明らかな腫瘤なし、お知らせします",  # 明|らか, 知|らせ: the tagger reads one word across
        "湯たんぽによる低温熱傷",
        "ワルファリン内服中のため主治医へ報告",  # a hiragana word joined to a kanji is no name
        "感冒様症状、右顔面チック様痙攣、ヘリオトロープ様紅斑",  # 様 before a noun is '-like'
        "患者サイドの視点、ケアマネさんへ連絡",
        "同様の症状、お一人様30分まで、奥様へ連絡",
        "患者ID 3049551 と製剤ラベルの患者IDが一致せず",  # ID, Ns, PT are abbreviations
        "訪問看護 仲村（Ns）と ST 根岸",
    ],
)
def test_words_that_only_look_like_names_stay(text: str) -> None:
    assert [n for n in _names(text) if n not in ("仲村", "根岸")] == []


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("患者 田中 来院。", "患者 ［氏名］ 来院。"),  # a common word after a surname is no given name
        ("看護師 吉田 夜勤", "看護師 ［氏名］ 夜勤"),
        ("依頼医 浜比嘉 真理子。", "依頼医 ［氏名］。"),  # one half known, a role before
        ("患者 坂之上 清 76歳", "患者 ［氏名］ 76歳"),  # … or an age after
        ("安西 優斗、1997/4/28", "［氏名］、［生年月日］"),  # … or a date after
        ("母親 ゆかりさん同席", "母親 ［氏名］さん同席"),  # kinship words are no names
    ],
)
def test_full_names_with_one_half_known_and_common_words_kept(text: str, masked: str) -> None:
    assert mask(text).masked == masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nowak, Piotr 41M, fall from ladder", ["Nowak, Piotr"]),  # surname, comma, given name, then an age
        ("Discharge summary: Mary K. Jones, DOB 04/02/1965", ["Mary K. Jones"]),  # a middle initial, DOB after
        ("ER note: pt Liam O'Neill, chest pain", ["Liam O'Neill"]),  # pt before, an apostrophe
        ("Lee Min-ho 様 来院", ["Lee Min-ho"]),  # a lowercase part after a hyphen
        ("氏名（ローマ字）：SILVA COSTA JOAO", ["SILVA COSTA JOAO"]),  # a label with its qualifier in brackets
        ("妻（Yumiko）へ連絡済み", ["Yumiko"]),  # one romaji given name in brackets after a kinship word
        ("受ける人の氏名 さとう はると", ["さとう はると"]),  # hiragana after a label
        ("患者ヘンリー=スミス様", ["ヘンリー=スミス"]),
    ],
)
def test_romaji_kana_and_foreign_names(text: str, expected: list[str]) -> None:
    assert _names(text) == expected


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("住所：京都市中京区烏丸通御池上ル二条殿町552番地", "京都市中京区烏丸通御池上ル二条殿町552番地"),
        ("札幌市北区北7条西5丁目8-3 グランハイム502", "札幌市北区北7条西5丁目8-3 グランハイム502"),
        # a bare number after a prefecture
        ("自宅 長野県北佐久郡軽井沢町大字長倉2143", "長野県北佐久郡軽井沢町大字長倉2143"),
        ("岩手県花巻市東和町土沢３地割１２番地", "岩手県花巻市東和町土沢３地割１２番地"),
        ("大阪府吹田市山田東３丁２２番地", "大阪府吹田市山田東３丁２２番地"),
        ("旭川市3条通9丁目左2号", "旭川市3条通9丁目左2号"),
    ],
)
def test_addresses_by_grammar(text: str, address: str) -> None:
    assert (address, "ADDRESS") in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "東京都港区の病院に2回入院した",
        "大阪府堺市の施設に3年入所",
        "東京都立墨東病院（東京都墨田区江東橋4-23-15）に転院",  # where a hospital is, not where a person lives
        "東京都在住、独居",
    ],
)
def test_no_home_address(text: str) -> None:
    assert [t for _, t in _found(text)] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("住所 福井市大手3丁目10-1 コーポ大手203 910-0005", [("910-0005", "POSTAL")]),  # beside an address
        ("勤務先 03-5511-2233 内線4102", [("03-5511-2233 内線4102", "PHONE")]),
        ("処方箋番号 0012345678 を確認", []),  # a number labelled as something else is no phone number
        ("記号・番号・枝番 51203・88・01", [("51203", "INSURANCE"), ("88", "INSURANCE"), ("01", "INSURANCE")]),
        ("記号 大阪 み45 番号 712", [("大阪 み45", "INSURANCE"), ("712", "INSURANCE")]),
        ("記号 ｵｵｻｶ 番号 771", [("ｵｵｻｶ", "INSURANCE"), ("771", "INSURANCE")]),
        ("国保 138214 で請求", [("138214", "INSURANCE")]),  # an insurer's name before its number
        ("受給者番号に誤り。正：4418207　誤：4418270", [("4418207", "INSURANCE"), ("4418270", "INSURANCE")]),
        ("マイナンバーカードの読み取り不可 482017735519", [("482017735519", "MYNUMBER")]),
    ],
)
def test_structured_values_as_forms_write_them(text: str, expected: list[tuple[str, str]]) -> None:
    assert [f for f in _found(text) if f[1] != "ADDRESS"] == expected


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("【入院番号】K24-001187", ["K24-001187"]),
        ("受付番号 AB-0042 の方", ["AB-0042"]),
        ("受付番号 0153 の方、受付日時 9:12", ["0153"]),  # the day's queue ticket too: decided for privacy (round 3)
        ("受診者番号 HK-240611-03", ["HK-240611-03"]),
        ("片山 恵（00391842）の検体", ["00391842"]),  # beside a name
        ("2211803 坂井 様、2211957 宮脇 様", ["2211803", "2211957"]),
        ("0048817 透析 シャント 穿刺", ["0048817"]),  # a 0-led record number wherever it stands
        ("検体番号 0012345、Lot 0456789", []),  # unless labelled as something else
        ("20240510 に採血", []),
    ],
)
def test_record_numbers(text: str, ids: list[str]) -> None:
    assert [s for s, t in _found(text) if t == "PATIENT_ID"] == ids


@pytest.mark.parametrize(
    ("text", "dob"),
    [
        ("DOB 11/30/1958", ["11/30/1958"]),
        ("長女 さくら（2021年7月生）", ["2021年7月"]),  # a year and month with 生
        ("ｵｵﾀ ﾐﾁｺ / 0077123 / 1944.02.17", ["1944.02.17"]),  # after the ID that follows the name
        ("石川 一郎 様　R7.3.14　ひまわり薬局", []),  # the day of the pharmacy's label, not a birth date
        ("依頼医 森 / 患者 今井 由美 / H.2.5.8 / 採血一式", ["H.2.5.8"]),
        ("2024年5月 受診", []),
    ],
)
def test_birth_dates(text: str, dob: list[str]) -> None:
    assert [s for s, t in _found(text) if t == "DOB"] == dob


def test_default_sets_include_the_tuning_sets_newest_first() -> None:
    assert DEFAULT_SETS[:4] == ("fresh_dev4", "fresh_dev3", "fresh_dev2", "fresh_dev") and DEFAULT_SETS[-1] == "fresh"


@pytest.mark.parametrize(("name", "floor"), [("fresh_dev2", 0.98), ("fresh_dev3", 0.99), ("fresh_dev4", 0.99)])
def test_tuning_set_floors(name: str, floor: float) -> None:
    """Guards below the figures measured on each tuning set (README, Safety): recall ≥ `floor` over all types and
    ≥ 0.97 per type, precision ≥ `floor`, no eponym masked, every negative line untouched."""
    r = score(load_labelled(DATA / f"{name}.jsonl"))
    assert r["overall"]["recall"] >= floor and r["overall"]["precision"] >= floor
    assert all(c["recall"] >= 0.97 for c in r["types"].values() if c["gold"])
    assert r["eponyms_masked"] == [] and r["rows_without_pii_untouched"] == r["rows_without_pii"]
