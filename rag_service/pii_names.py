"""Names (NAME) from fugashi's morphology (unidic marks 人名 姓/名), honorifics (様, さん, 氏, 殿, くん, ちゃん,
先生 …), field labels (氏名, 患者氏名, 担当医 …) and titles (Mr., Dr.), with eponymous diseases and signs (橋本病,
ギラン・バレー症候群, 小林スコア) left alone; the other writing of a name in brackets (碓氷 さくら（ウスイ サクラ）)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import fugashi

from rag_service.pii_base import SEP as _SEP
from rag_service.pii_base import PiiSpan, alt
from rag_service.pii_vocab import LIKE_NOT_SAMA
from rag_service.pii_vocab import NOT_NAMES as _NOT_NAMES

_TITLES = "様 さま さん 氏 殿 くん 君 ちゃん 先生 医師 看護師 師長 夫妻 部長 所長 院長 医長 科長 主任 教授 准教授 講師"
_HONORIFIC = re.compile(r"^ ?(?:" + LIKE_NOT_SAMA + alt(_TITLES) + r"|Dr\.?)")
_ORG_AFTER = re.compile(
    r"^[ぁ-んァ-ヶー]{0,6}"
    + alt(
        "記念 内科 外科 小児科 皮膚科 眼科 歯科 整形 耳鼻 クリニック 病院 医院 診療所 薬局 大学 医療 "
        "会 市 区 町 村 駅 通り"
    )
    + r"|^[ぁ-んァ-ヶー]{0,6}ステ[ーｰ-]ション"
)
_EPONYM_AFTER = re.compile(
    r"^(?:[・=-][ァ-ヶーA-Za-z]+)*"
    + alt(
        "病 症候群 症 型 脳症 リンパ腫 動脈炎 食道 反射 徴候 試験 分類 スコア 療法 法 体 腫 細胞 反応 点 線 骨折 潰瘍 "
        "肉腫 憩室 熱 貧血 サイン 徴 甲状腺炎 四徴 奇形 変性 腎炎 管 嚢 小体 結節 手術 切除 術 の法則 の分類 基準 "
        "スケール 指数 係数 菌 ウイルス 式 研究"
    )
)
_EPONYM_BEFORE = re.compile(r"[ァ-ヶー]+[・=-]$")
_STRONG = "氏名 患者名 患者氏名 名前 お名前 フリガナ ふりがな ﾌﾘｶﾞﾅ カナ氏名 紹介患者 受診者 Name Pt pt Patient"
_WEAK = (
    "患者 担当医 主治医 担当看護師 担当 紹介医 記載者 記録者 家族 キーパーソン "
    "長男 長女 次男 次女 三男 三女 妻 夫 母 父 "
    "息子 娘 兄 姉 弟 妹 孫 祖母 祖父 医師 看護師 薬剤師 当直医 指導医 記載医 研修医 執刀医 院長 患児 利用者 MSW "
    "ケアマネ ケアマネジャー ソーシャルワーカー Nurse Dr Dr. Mr Mr. Ms Ms. Mrs Mrs. Prof Prof."
)
_STRONG_LABEL = re.compile(alt(_STRONG) + r"(?:[（(][^（()）]{1,6}[）)])?" + _SEP + r" ?$")  # 氏名（ローマ字）：
_STRONG_AT = re.compile(alt(_STRONG) + r"(?:[（(][^（()）]{1,6}[）)])?" + _SEP + r" ?")
_PARTS = re.compile(r"[ ・･=＝,]+")
_KIN = "長男 長女 次男 次女 三男 三女 妻 夫 母 父 息子 娘 兄 姉 弟 妹 孫 祖母 祖父"
_WEAK_LABEL = (
    re.compile(  # 娘の ミエコ: の after a kinship word (a name only where the tagger says so, or in two parts)
        r"(?:" + alt(_WEAK.replace(".", "\\.")) + r"|[一-龥]{1,6}科)" + _SEP + r" ?$|" + alt(_KIN) + r"の ?$"
    )
)
_LABEL_WORDS = (
    r"(?!"
    + alt("氏名 患者名 患者氏名 名前 患者 患児 紹介患者 受診者 担当医 主治医 記載医 指導医 当直医 利用者")
    + r"[ :：])"
)
_KANA = r"[ァ-ヶーｦ-ﾟ]"
_KANA_RUN = re.compile(
    r"(?<!" + _KANA + r")(?!(?:フリガナ|ﾌﾘｶﾞﾅ|カナ)[ :：])" + _KANA + r"+(?:[ ・･=＝]" + _KANA + r"+)*"
)
_TITLE_WORDS = (
    alt(
        "Pt Dr Mr Ms Mrs Prof Nurse Patient Name DOB Email E-mail Phone TEL Tel My Date Dear ID MRN Ns PT OT ST ER "
        "ICU HCU CCU MSW CW SW OP"
    )
    + r"\b"
)
_WORD = r"(?:[A-Z]')?(?:[A-Z]{2,}|[A-Z][a-zà-ÿ]+)(?:-[A-Za-zà-ÿ]+)?"  # O'Brien, Soo-jin
_NOT_TITLE = r"(?!" + _TITLE_WORDS + r")"
_ROMAJI = re.compile(  # Kowalski, Anna; John A. Miller; GARCIA LOPEZ ANA
    r"(?<![A-Za-z'])" + _NOT_TITLE + _WORD
    + r"(?:(?:,? |(?: [A-Z]\.)? )" + _NOT_TITLE + _WORD + r"(?: " + _NOT_TITLE + _WORD + r")?)?"
)  # fmt: skip
_AGE_AFTER = re.compile(  # an age, a bracket, a birth date or its label after a romaji or katakana name
    r"^,? ?(?:\d{1,3} ?(?:歳|M|F|y|yo|男|女)|（|\(|DOB|MRN|ID\b|\d{4}[/.-]\d|\d{1,2}/\d{1,2}/\d)"
    r"|^[、,] ?[^。\n]{0,14}?(?:DOB|生年月日|[Dd]ate of [Bb]irth)"
)
_HIRAGANA_NAME = re.compile(r"(?<![ぁ-ん])[ぁ-ん]{2,6}(?:[ \u3000][ぁ-ん]{1,6})?(?![ぁ-ん])")  # 氏名 しみず あおと
_KANJI_NAME = re.compile(r"(?<![一-龥々])" + _LABEL_WORDS + r"[一-龥々]{1,4}(?: ?[一-龥々ぁ-んァ-ヶー]{1,5})?")
_KANJI_BEFORE_HONORIFIC = re.compile(
    r"(?<![一-龥々])"
    + _LABEL_WORDS
    + r"[一-龥々]{1,4}( [一-龥々ぁ-んァ-ヶー]{1,5})?(?= ?"
    + alt("様 さん 氏 殿 先生 医師 ちゃん くん")
    + ")"
)


@lru_cache(maxsize=1)
def _tagger() -> fugashi.Tagger:
    return fugashi.Tagger()


@dataclass(slots=True)  # not frozen: built for every word, and a frozen dataclass's __init__ is slower
class _Token:
    start: int
    end: int
    proper: bool  # 固有名詞 (人名, 地名, 一般, 組織)
    person: str | None  # 姓 | 名 | 一般 when unidic marks it 人名
    plain: bool  # a word no name is made of: a common noun of two characters or more (来院, 休暇), a suffix (中, 済)


@dataclass(frozen=True, slots=True)
class Segments:
    """Where the tagger's words begin and end, and where the plain words (see _Token) begin."""

    edges: frozenset[int]
    plain: frozenset[int]


def segments(words: Sequence[_Token]) -> Segments:
    edges = frozenset([t.start for t in words] + [t.end for t in words])
    return Segments(edges, frozenset(t.start for t in words if t.plain))


def tokens(text: str) -> list[_Token]:
    """fugashi's words of `text` with their offsets: is each a proper noun, a person's name (姓, 名), a plain word?"""
    out, pos = [], 0
    find = text.find
    for word in _tagger()(text):
        surface = word.surface
        start = find(surface, pos)
        if start < 0:
            continue
        pos = start + len(surface)
        raw = word.feature_raw  # pos1,pos2,pos3,pos4,…: read as a string, faster than .feature (a tuple of 26)
        if raw.startswith("名詞"):
            proper = raw.startswith("名詞,固有名詞,")
            person = raw.split(",", 4)[3] if proper and raw.startswith("名詞,固有名詞,人名,") else None
            plain = pos - start >= 2 and raw.startswith("名詞,普通名詞,")
        else:
            proper, person, plain = False, None, raw.startswith("接尾辞,")
        out.append(_Token(start, pos, proper, person, plain))
    return out


_HONORIFIC_WORDS = frozenset(_TITLES.split())


def _is_eponym(text: str, start: int, end: int) -> bool:
    """橋本病, ギラン・バレー症候群, 小林スコア; also 佐伯記念病院, 桐生あおば内科 (a name inside an organisation's)."""
    after = text[end : end + 12]
    return bool(
        _EPONYM_AFTER.match(after) or _ORG_AFTER.match(after) or _EPONYM_BEFORE.search(text[max(0, start - 12) : start])
    )


def _context(text: str, start: int, end: int) -> tuple[bool, bool, bool]:
    """(honorific after, strong label before, weak label before)."""
    before = text[max(0, start - 12) : start]
    return (
        bool(_HONORIFIC.match(text[end : end + 4])),
        bool(_STRONG_LABEL.search(before)),
        bool(_WEAK_LABEL.search(before)),
    )


def _adjacent(text: str, a: _Token | PiiSpan, b: _Token) -> bool:
    return 0 <= b.start - a.end <= 1 and not text[a.end : b.start].strip(" 　")


def morph_names(text: str, tokens: Sequence[_Token]) -> list[PiiSpan]:
    """Person names from unidic's 人名 tags (surname + given name joined), and proper nouns before an honorific."""
    groups: list[list[_Token]] = []
    for tok in (t for t in tokens if t.person):  # 山田 太郎: surname and given name (one space between) are one name
        if groups and _adjacent(text, groups[-1][-1], tok):
            groups[-1].append(tok)
        else:
            groups.append([tok])
    out = []
    for g in groups:
        start, end = g[0].start, g[-1].end
        if _is_eponym(text, start, end) or text[start:end] in _NOT_NAMES:
            continue
        honorific, strong, weak = _context(text, start, end)
        has_surname = any(t.person == "姓" for t in g)
        kana_only = all(re.fullmatch(r"[ァ-ヶー]+", text[t.start : t.end]) for t in g)
        if kana_only and len(g) == 1 and not (honorific or strong or weak):
            continue  # バセドウ, ギラン alone: a katakana 人名 token needs a context to be a person
        if has_surname or honorific or strong or weak or len(g) > 1:
            out.append(PiiSpan(start, end, "NAME"))
    for i, tok in enumerate(tokens):  # 中村医師, 石田 様: unidic calls them places, the honorific calls them people
        if text[tok.start : tok.end] not in _HONORIFIC_WORDS:
            continue
        j = i
        while j > 0 and tokens[j - 1].proper and _adjacent(text, tokens[j - 1], tokens[j]) and i - j < 2:
            j -= 1
        if j < i and not _is_eponym(text, tokens[j].start, tokens[i - 1].end):
            out.append(PiiSpan(tokens[j].start, tokens[i - 1].end, "NAME"))
    return out


def _context_ok(text: str, pattern: re.Pattern[str], m: re.Match[str], parts: list[str]) -> bool:
    """Is the run a name in its context? The cheap cues first: most runs (drug names in katakana) have none."""
    start, end = m.start(), m.end()
    before = text[max(0, start - 12) : start]
    if _STRONG_LABEL.search(before):
        # a hiragana run only after a space or a colon: 氏名 しみず あおと, not 名前とのこと
        return pattern is not _HIRAGANA_NAME or text[start - 1 : start] in " \u3000:："
    if pattern is _KANJI_NAME or pattern is _HIRAGANA_NAME:
        return False  # after a weak label only when unidic calls it a name (morph_names)
    weak = bool(_WEAK_LABEL.search(before))
    if pattern is _KANJI_BEFORE_HONORIFIC:  # 担当医 林先生 (林 is a forest to unidic); not 同様, 模様
        return weak or bool(m.group(1))  # 千々岩 ルミ子 様: surname, space, given name, honorific
    honorific = bool(_HONORIFIC.match(text[end : end + 4]))
    aged = len(parts) > 1 and bool(_AGE_AFTER.match(text[end : end + 24]))
    if pattern is _KANA_RUN:  # 家族 メール is not a person; マルティネス・ガルシア 26歳 is
        return honorific or (len(parts) > 1 and weak) or aged
    surface = m.group(0)
    if len(parts) == 1 and (len(surface) <= 2 or (surface.isupper() and len(surface) <= 3)):
        return False  # Ns, PT, ER: abbreviations, not names
    if text[end : end + 1] == "-" and text[end + 1 : end + 2].isdigit():
        return False  # COVID-19, NYHA-3: a word numbered, not a person
    return honorific or weak or aged  # romaji: Hiroshi Kato 45M, John A. Miller, DOB …


def context_names(text: str) -> list[PiiSpan]:
    """Names unidic does not know: katakana, romaji and kanji runs after a label or before an honorific; kanji and
    hiragana runs right after a strong label (氏名, 患者名 …)."""
    found = [(p, m) for p in (_KANA_RUN, _ROMAJI, _KANJI_BEFORE_HONORIFIC) for m in p.finditer(text)]
    for label in _STRONG_AT.finditer(text):
        found += [(p, m) for p in (_KANJI_NAME, _HIRAGANA_NAME) if (m := p.match(text, label.end()))]
    out = []
    for pattern, m in found:
        parts = _PARTS.split(m.group(0).strip())
        if not _context_ok(text, pattern, m, parts):
            continue
        if _is_eponym(text, m.start(), m.end()) or any(p in _NOT_NAMES or p in _HONORIFIC_WORDS for p in parts):
            continue  # 様 娘, 奥様, ケアマネさん
        out.append(PiiSpan(m.start(), m.end(), "NAME"))
    return out


_READING_AFTER = re.compile(r"^ ?[（(]([^（()）、。,:：\d]{2,24})[）)]")
_READING_BEFORE = re.compile(r"(?:^|[\s、。：:])([^\s（()）、。,:：\d]{2,24}) ?[（(]$")
_READING_WORD = re.compile(r"[ぁ-んァ-ヶーｦ-ﾟA-Za-z][ぁ-んァ-ヶーｦ-ﾟA-Za-z ・･.]*")  # a reading, not 訪問看護記録（東條）


def _is_reading(word: str) -> bool:
    """Not （応援勤務）, （カナ）, （ER Ns）."""
    if word in _NOT_NAMES or re.fullmatch(r"(?:[A-Z]{1,4}|Ns|Dr|Mr|Ms)\.?(?: ?(?:[A-Z]{1,4}|Ns|Dr)\.?)*", word):
        return False
    return " " in word or not re.search(r"[一-龥]", word)


def readings(text: str, names: Sequence[PiiSpan]) -> list[PiiSpan]:
    """碓氷 さくら（ウスイ サクラ）, HIGASHIKUNI Sayaka（東久邇 紗也香）: the other writing of a name is a name too."""
    out = []
    for n in names:
        after = _READING_AFTER.match(text[n.end : n.end + 28])
        if after and _is_reading(after.group(1)):
            out.append(PiiSpan(n.end + after.start(1), n.end + after.end(1), "NAME"))
        before = _READING_BEFORE.search(text[max(0, n.start - 28) : n.start])
        if before and text[n.end : n.end + 1] in "）)" and _READING_WORD.fullmatch(before.group(1)):
            offset = max(0, n.start - 28)
            out.append(PiiSpan(offset + before.start(1), offset + before.end(1), "NAME"))
    return out
