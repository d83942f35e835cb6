"""The masker's third round (fresh_dev3): each mechanism on real Japanese strings with the real tagger (fugashi,
unidic-lite), the words and numbers it must leave alone, and the tuning set's floors. Strings are written for these
tests, not copied from the sets."""

from __future__ import annotations

import pytest

from rag_service.pii import find_pii


def _of(text: str, kind: str) -> list[str]:
    return [text[s.start : s.end] for s in find_pii(text) if s.type == kind]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("介護記録番号 KR-2031-0415／訪問 3回", ["KR-2031-0415"]),  # labels as care services write them
        ("利用者番号 00562 の契約書", ["00562"]),
        ("リストバンド 0081-2290 を確認", ["0081-2290"]),
        ("ER 仮登録 ER-270105-02、本登録 8830145 に統合", ["ER-270105-02", "8830145"]),
        ("受診者番号 31M-00412 の結果", ["31M-00412"]),  # digits, a letter, then the number
        ("透析患者 PD-0733 の K 値", ["PD-0733"]),  # a code right after 患者
        ("0072-5518 藤原 健 胃癌 術後", ["0072-5518"]),  # beside a name, hyphenated
        ("採血票：B00417 村上 翼 空腹", ["B00417"]),  # beside a name, a letter first
        ("宮田 奏　H9/2/3　S-00815", ["S-00815"]),  # after the birth date that follows the name
        ("西川 悠 様 22871 2027/01/05 調剤", ["22871"]),  # five digits beside a name
        ("返却 000412 森 光 ／000589 林 誠", ["000412", "000589"]),  # after a slash
        ("予診票の番号 00318 は本日分", ["00318"]),  # a 0-led number of five digits or more, a bare 番号 before it
        ("カードの番号 ０００６１９３２ が読めず", ["０００６１９３２"]),
        ("受付番号 0153 の方", ["0153"]),  # the day's queue ticket: masked, a decision for privacy
    ],
)
def test_record_numbers(text: str, ids: list[str]) -> None:
    assert _of(text, "PATIENT_ID") == ids


@pytest.mark.parametrize(
    "text",
    [
        "レセプト番号 0001932 の返戻理由",  # a compound 番号 label of something else
        "処方箋番号 0045-118 の調剤完了",
        "内線 01234 へ転送",
        "品番 01234 を発注",
        "棚番号 B-12 に保管、文書番号 DOC-2027-01-0457",
        "検体番号 270105-0087、オーダー番号 OR-2027-558213",
        "2024-05 から通院",  # a year and month
        "患者 COVID-19 陽性、患者 3名 入院",
    ],
)
def test_numbers_of_something_else_stay(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "kind", "values"),
    [
        ("診察券No.007731 と 007713 は同一人物か", "PATIENT_ID", ["007731", "007713"]),  # a register's duplicate
        ("ラベル 5521904 / 実際の患者 5521940（高木 亮 様）", "PATIENT_ID", ["5521904", "5521940"]),
        ("生年月日 1970/03/12 → 正しくは 1970/03/21", "DOB", ["1970/03/12", "1970/03/21"]),  # a typo corrected
    ],
)
def test_near_copies_of_a_value_found(text: str, kind: str, values: list[str]) -> None:
    assert _of(text, kind) == values


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("保険者 06271044、被保番号 01882210", ["06271044", "01882210"]),  # clerks' short labels
        ("保険証は 32130118 記号 41 番号 7", ["32130118", "41", "7"]),
        ("公費：21136014（育成医療）受給者 0471183", ["21136014", "0471183"]),
        ("小児医療証 83137010／2218465", ["83137010", "2218465"]),  # a 公費 pair after its label
        ("指定難病 遠藤 結 54137021 0933820", ["54137021", "0933820"]),  # a 公費 pair with no label
        ("保険証 01134519／大阪2／881", ["01134519", "大阪2", "881"]),  # a card's fields in a row
        ("国保 271209 さかい 30518", ["271209", "さかい", "30518"]),
        ("後期 39271015-00419832 資格確認", ["39271015", "00419832"]),
        ("記号欄「ひょうご７」番号欄「４１２」", ["ひょうご７", "４１２"]),
    ],
)
def test_insurance_as_clerks_write_it(text: str, values: list[str]) -> None:
    assert _of(text, "INSURANCE") == values


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("協会けんぽ 01130146 で 3 割負担", ["01130146"]),  # で 3 is no 記号 and 番号
        ("公費 2000円を負担、保険者 2026年度の通知、受給者 10名", []),  # amounts, years, counts
        ("記号番号誤りで返戻", []),  # 番号 is no 記号
        ("20261130 1234567 の処理", []),  # a date and a number, no 公費 pair
    ],
)
def test_insurance_words_without_numbers_stay(text: str, values: list[str]) -> None:
    assert _of(text, "INSURANCE") == values


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("長谷 陸、413806527719、S40.2.9", ["413806527719"]),  # 12 digits with no label
        ("マイナンバー 413-806-527-719 と記入", ["413-806-527-719"]),  # in groups of three after the cue
        ("マイナ保険証が読めず、カード券面の番号 ４１３８ ０６５２ ７７１９ を控えた", ["４１３８ ０６５２ ７７１９"]),
        ("受付日時 202612010930、伝票 123456789012、JANコード 4987123456789", []),  # a datetime, labels, 13 digits
    ],
)
def test_my_numbers(text: str, values: list[str]) -> None:
    assert _of(text, "MYNUMBER") == values


@pytest.mark.parametrize(
    ("text", "dob"),
    [
        ("氏名 北村 実　生年月日 1982年（昭和57年）4月9日", ["1982年（昭和57年）4月9日"]),  # 西暦 with the era's year
        ("高井 勲、一九四八年十月三日生", ["一九四八年十月三日"]),  # 西暦 in 漢数字
        ("佐野 恵 1985年（昭和60年）生", ["1985年（昭和60年）"]),  # a year alone, with the era's year and 生
        ("昭和60年（1985年）3月2日生", ["昭和60年（1985年）3月2日"]),  # the era first, 西暦 in brackets
        ("生年月日を伺います。「平成二年の五月八日です」", ["平成二年の五月八日"]),  # の, a question then its answer
        ("Patient: Ruth Baker, DOB: 3 Mar 1958", ["3 Mar 1958"]),  # English dates
        ("Name Liam Scott, Date of birth March 9, 2001", ["March 9, 2001"]),
        ("生：昭和５２年６月１日", ["昭和５２年６月１日"]),  # 生： as a label
        ("沢田 勉 様 昭和19年生 在宅酸素", ["昭和19年"]),  # a year alone, with 生
        ("肺炎球菌 定期接種 村井 キヨ 昭和十一年 既往なし", ["昭和十一年"]),  # an era's year right after the name
        ("誕生日は 5月5日 と本人", ["5月5日"]),  # a month and day with a label
        ("里見 遼 58 19660311 腎生検", ["19660311"]),  # after the name's age
        ("ID 40412 / 水野 絢 / F / H8.6.1 / 術前", ["H8.6.1"]),  # after the name's sex
        ("ｺﾝﾄﾞｳ ﾏﾘ 女 1991/7/7", ["1991/7/7"]),
        ("三浦 涼（ミウラ リョウ）1979年2月8日 CT", ["1979年2月8日"]),  # after the reading in brackets
        ("アラン・ルイス さん（在日20年）、1962-05-19", ["1962-05-19"]),  # after a note in brackets
        ("辻 舞、個人番号 381920473651、患者ID 55120、1984年6月30日", ["1984年6月30日"]),  # after the name's numbers
    ],
)
def test_birth_dates(text: str, dob: list[str]) -> None:
    assert _of(text, "DOB") == dob


@pytest.mark.parametrize(
    "text",
    [
        "令和6年度 診療報酬改定、昭和22年の法律第164号",
        "生年月日を確認した。次回 2026/12/10 予約",  # a label in another sentence
        "発生: 2024/05/10、1990年代から増加",
        "5月5日 こどもの日",
    ],
)
def test_dates_that_are_no_birth_dates(text: str) -> None:
    assert _of(text, "DOB") == []


@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        ("住所（都道府県）：長崎県　（市区町村）：西彼杵郡時津町　（番地）：浦郷２７４－３",
         ["長崎県", "西彼杵郡時津町", "浦郷２７４－３"]),  # an address split over labelled fields
        ("住所：東京都北区王子２－１１－４\n　　　メゾン王子３０５\n電話：03-3911-0000",
         ["東京都北区王子２－１１－４\n　　　メゾン王子３０５"]),  # the building on the next line, indented
        ("東京都杉並区高円寺南４－２－１ 高円寺ハイツ３Ｂ", ["東京都杉並区高円寺南４－２－１ 高円寺ハイツ３Ｂ"]),  # 3B
        ("大阪府大阪市西区新町2丁目4番3-1105号", ["大阪府大阪市西区新町2丁目4番3-1105号"]),  # 号 after the room
        ("住所 東京都港区芝1-2-3 101号室", ["東京都港区芝1-2-3 101号室"]),  # a room alone
        ("東京都港区芝1-2-3 来院 2回", ["東京都港区芝1-2-3"]),  # no building: 来院 2回
    ],
)  # fmt: skip
def test_addresses(text: str, addresses: list[str]) -> None:
    assert _of(text, "ADDRESS") == addresses


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("「娘の ミエコ です。明日伺います」", ["ミエコ"]),  # の after a kinship word, where the tagger reads a name
        ("妻の希望で退院、母の日、娘の話では", []),  # … and nowhere else
        ("Emma Watson 03/22/1990 妊娠 葉酸", ["Emma Watson"]),  # a romaji name before a birth date
        ("ER 受付：Carter Jones、旅券のみ、DOB 1985.04.02", ["Carter Jones"]),  # … or before its label
    ],
)
def test_names(text: str, names: list[str]) -> None:
    assert _of(text, "NAME") == names


@pytest.mark.parametrize(
    "text",
    [
        "武田薬品 ボノプラザン、大塚製薬のエビリファイ、テルモの血糖測定チップ（品番 MS-GR030）",
        "紹介状の宛先：鈴木記念病院 脳神経外科、さくら台ファミリークリニック",
        "田中ビネー式 WISC-V、川崎病 急性期治療 2020 改訂、高安動脈炎 トシリズマブ",
        "Lot 26K11、使用期限 2027/08、ICD-10 E06.3、YJコード 2149044F1023",
    ],
)
def test_eponyms_makers_hospitals_and_codes_stay(text: str) -> None:
    assert find_pii(text) == []

