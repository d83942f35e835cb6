"""The masker's fourth round (fresh_dev4): home addresses to their last character and record numbers under every
label clerks and nurses write, on real Japanese strings with the real tagger (fugashi, unidic-lite); the addresses of
institutions and the numbers of things that stay; the tuning set's floors. Strings are written for these tests, not
copied from the sets."""

from __future__ import annotations

import pytest

from rag_service.pii import find_pii


def _of(text: str, kind: str) -> list[str]:
    return [text[s.start : s.end] for s in find_pii(text) if s.type == kind]


@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        # a building's name after a space, then its room, wing or floor
        ("住所：横浜市青葉区美しが丘2丁目15番地3 ドミール美しが丘 201",
         ["横浜市青葉区美しが丘2丁目15番地3 ドミール美しが丘 201"]),
        ("自宅 名古屋市緑区鳴海町字向田1-3 サンシャイン鳴海 B-105",
         ["名古屋市緑区鳴海町字向田1-3 サンシャイン鳴海 B-105"]),
        ("送付先：札幌市白石区本通14丁目北1-25 ハイツ本通 3F", ["札幌市白石区本通14丁目北1-25 ハイツ本通 3F"]),
        ("現住所 大阪市西成区天下茶屋東二丁目3番21号 天下茶屋ハイツ 2-105",
         ["大阪市西成区天下茶屋東二丁目3番21号 天下茶屋ハイツ 2-105"]),
        ("訪問先 豊中市服部元町1-6-2 服部マンション C棟 702号室", ["豊中市服部元町1-6-2 服部マンション C棟 702号室"]),
        ("自宅：仙台市泉区将監3-4-8 将監ﾊｲﾂ105", ["仙台市泉区将監3-4-8 将監ﾊｲﾂ105"]),  # half-width kana
        ("住所：福岡市博多区博多駅南4-2-10\nプレジデント博多 503",
         ["福岡市博多区博多駅南4-2-10\nプレジデント博多 503"]),  # the building on the next line, not indented
        # a form's fields: the first with no number, the second to the end of its line
        ("住所1：大阪府豊中市新千里東町\n住所2：1-4-2 千里ライフ 1203",
         ["大阪府豊中市新千里東町", "1-4-2 千里ライフ 1203"]),
        ("番地：本町3-8-1\n建物名：ルミエール本町 402", ["本町3-8-1", "ルミエール本町 402"]),
        ("京都市東山区大和大路通四条下ル大和町 在住", ["京都市東山区大和大路通四条下ル大和町"]),  # Kyoto, no number
        ("自宅：ｻｲﾀﾏｼ ｳﾗﾜｸ ﾀｶｻｺﾞ 3-17-5", ["ｻｲﾀﾏｼ ｳﾗﾜｸ ﾀｶｻｺﾞ 3-17-5"]),  # a clerk's system in half-width kana
        ("住所：東京都新宿区西新宿二丁目八番一号", ["東京都新宿区西新宿二丁目八番一号"]),  # 漢数字 from 丁目 on
        ("自宅住所 東京都豊島区巣鴨四丁目 三番 十二号", ["東京都豊島区巣鴨四丁目 三番 十二号"]),
        ("自宅 東京都 世田谷区 桜丘 3-12-5", ["東京都 世田谷区 桜丘 3-12-5"]),  # typed with spaces between the parts
        ("住所：名古屋市中区栄3-15-33 栄ハイツ、独居", ["名古屋市中区栄3-15-33 栄ハイツ"]),  # a building, no room
        ("横浜市中区山下町1-2-3 ロイヤルタワー山下 24階 2401", ["横浜市中区山下町1-2-3 ロイヤルタワー山下 24階 2401"]),
    ],
)  # fmt: skip
def test_addresses_to_their_last_character(text: str, addresses: list[str]) -> None:
    assert _of(text, "ADDRESS") == addresses


@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        ("自宅：足立区梅島2-3-14 インスリン 4単位 自己注射", ["足立区梅島2-3-14"]),  # no building: a dose
        ("自宅 練馬区石神井町5-19-3 ヘルパー 2回/週", ["練馬区石神井町5-19-3"]),
        ("自宅 練馬区石神井町5-19-3 デイサービス利用", ["練馬区石神井町5-19-3"]),  # a service, not a building
        ("住所 福井市大手3丁目10-1 コーポ大手203 910-0005", ["福井市大手3丁目10-1 コーポ大手203"]),  # a postal code
        ("精神科退院後の住所（世田谷区北沢2-24-3）", ["世田谷区北沢2-24-3"]),  # 科 … 住所: a home all the same
        ("東京都 港区 2-3月に受診、東京都港区の病院で三番目", []),  # a month, an order
    ],
)
def test_an_address_ends_where_it_ends(text: str, addresses: list[str]) -> None:
    assert _of(text, "ADDRESS") == addresses


@pytest.mark.parametrize(
    "text",
    [
        "紹介先：城南中央病院 消化器内科（東京都大田区大森北1-2-3）",  # a department after the hospital's name
        "受付：千葉市中央区亥鼻1-8-1 千葉総合医療センター 外来棟",  # the institution after its address
        "提出先：足立区役所 福祉課（足立区中央本町1-17-1）",
        "宿泊先：ホテルサンルート品川（品川区東品川4-1-1）",
        "当院は大阪市北区梅田3-1-1にあります",  # and 院は is no part of an address
        "居宅介護支援事業所：ケアプランみどり（川崎市麻生区上麻生2-5-1）",
        "薬局：ひかり薬局 本町店（渋谷区本町6-2-3）",
        "〒113-8655 東京都文京区本郷7-3-1 東京大学医学部附属病院",  # the hospital's postal code too
        "さくら病院 〒330-0064 さいたま市浦和区岸町7-11-5",
    ],
)
def test_institutions_have_no_home_address(text: str) -> None:
    assert find_pii(text) == []


def test_a_homes_postal_code_is_still_masked() -> None:
    text = "送付先 〒330-0064 さいたま市浦和区岸町7-11-5 ハイツ岸町 201"
    assert [(text[s.start : s.end], s.type) for s in find_pii(text)] == [
        ("330-0064", "POSTAL"),
        ("さいたま市浦和区岸町7-11-5 ハイツ岸町 201", "ADDRESS"),
    ]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("郵送先 川口市本町4-1-8 山崎様方", ["山崎"]),  # a care-of after the address: the name, not 様 or 方
        ("住所：東京都中野区弥生町2-41-7 工藤方", ["工藤"]),
        ("自宅 江東区北砂3-2-1 夕方に訪問", []),  # 夕方 is a word
        ("デイサービス 月・水・金、送迎あり", []),  # days of the week, not 金 as a surname
        ("おかげさまで退院できました、お疲れさまでした", []),  # words with さま
        ("金さん 来院、ゆうきさま", ["金", "ゆうき"]),  # … and names with them still
    ],
)
def test_care_of_names_and_words_that_are_none(text: str, names: list[str]) -> None:
    assert _of(text, "NAME") == names


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("患者No 00451122 の採血", ["00451122"]),  # labels as wards and care services write them
        ("病歴No.A-20331 の紹介状", ["A-20331"]),
        ("ヘルパー記録 利用者No.31-0417", ["31-0417"]),
        ("カルテの番号は 0032-1145 です", ["0032-1145"]),
        ("診察券の番号 5-118-204", ["5-118-204"]),
        ("登録番号：R-11820（がん登録）", ["R-11820"]),
        ("母のカルテ番号（0081-3312）を伝えた", ["0081-3312"]),  # in brackets after its label
        ("カルテ番号 0071 4420 氏名 未記入", ["0071 4420"]),  # two groups with a space
        ("患者 #00813320 #1 心不全", ["00813320"]),  # 患者 #…, and #1 is a problem number
        ("患者00771234の腎機能", ["00771234"]),  # joined to 患者 in a search box
        ("旧番号 0031188 → 新番号 0097712", ["0031188", "0097712"]),  # 旧/新番号 refer to the patient's
        ("検体ラベル バーコード *00319921*", ["00319921"]),  # a barcode is not a product code
        ("病理提出：00918822 胃生検", ["00918822"]),  # a 0-led number after a colon
        ("カルテ No. 12345 の患者", ["12345"]),  # No. after the label
        ("ID末尾 4521 の方、カルテ番号の下4桁 2231", ["4521", "2231"]),  # the last digits, as staff say them
        ("カルテNO.123456、診療券番号 0045123、診察カード番号：5512034", ["123456", "0045123", "5512034"]),
        ("Chart No. 55102, Patient ID: 88123456", ["55102", "88123456"]),  # English labels
        ("12345678（カルテ番号）の患者、ID.20451 再診", ["12345678", "20451"]),  # the label after, in brackets
    ],
)
def test_record_numbers_under_every_label(text: str, ids: list[str]) -> None:
    assert _of(text, "PATIENT_ID") == ids


@pytest.mark.parametrize(
    "text",
    [
        "検体受付番号 20260412 を確認",  # the specimen's reception number
        "REF 012345、LOT 0A123",  # a device's catalogue number
        "登録番号：T1234567890123（当院）",  # an invoice registration number
        "医籍登録番号 123456",
        "患者#1 高K血症、患者 2026年 3名入院",
    ],
)
def test_numbers_of_something_else_stay(text: str) -> None:
    assert find_pii(text) == []

