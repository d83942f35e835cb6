"""Names found with UniDic's lexicon (`pii_lexicon`), whatever the tagger made of them in context, and the checks every
name span passes before it is masked.

- A full name (a surname and a given name, kanji or kana, one space between; or romaji: Kenji Sato, T. Nakagawa) is a
  name with no other cue. A surname alone is one after a role or label (術者, 受付, 麻酔, 依頼医, 担当, Ns …), before an
  honorific or role (様, 先生, Dr, （Ns）), or before an age (25歳). Half-width kana are read as full-width (jaconv).
- A word joined to what follows (no space) is part of a compound, not a person: 大塚製薬, 亀田総合病院, 田中ビネー式,
  中條-西村症候群 (UniDic splits them into a surname and a common noun; a person's name is followed by a space, a
  particle, punctuation, an honorific or a role).
- A mask covers the name and nothing before it: a leading word that cannot be part of a name (高K血症 杉山, 305号室
  大野) is left out of the span.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import jaconv

from rag_service.pii_base import PiiSpan, alt
from rag_service.pii_lexicon import name_part, romaji_key

_ROLE_AFTER = alt(
    "様 さま さん 氏 殿 くん 君 ちゃん 先生 医師 看護師 師長 夫妻 部長 所長 院長 医長 科長 主任 教授 准教授 講師 "
    "Dr Dr. Ns Ns. 宅 家 一家 ら 宛 主治医 担当医"
)
_FOLLOWS_PERSON = re.compile(
    r"^(?: ?"
    + _ROLE_AFTER.replace(".", r"\.")
    + r"|[（(] ?(?:Ns|Dr|PT|OT|ST|MSW|看護師|医師|薬剤師|研修医)[^）)]{0,8}[）)]"
    r"| ?\d{1,3} ?(?:歳|y|M|F|才)|[一-龥]{0,3}[医師士](?![一-龥]))"
)
_ROLE_BEFORE = re.compile(
    r"(?:"
    + alt(
        "患者 患児 本人 家族 術者 助手 麻酔 受付 依頼 記録 指導 当直 介助 立会 担当 主治医 担当医 宛先 氏名 利用者 "
        "Ns Dr PT OT ST MSW 長男 長女 次男 次女 三男 三女 妻 夫 母 父 息子 娘 兄 姉 弟 妹 "
        "孫 祖母 祖父 ケアマネ 医事課 Operator Surgeon Patient Pt Name Assistant Nurse"
    )
    + r"|[一-龥]{0,5}[医師者士])[：:.]? ?$"
)
_K = r"[一-龥々][一-龥々ヶノ]{0,3}"
_SPACED = re.compile(r"(?<![一-龥々ぁ-んァ-ヶーA-Za-z])(" + _K + r"|[ァ-ヶー]{2,8}|[ぁ-ん]{2,6})"
                     r"(?: (" + _K + r"|[ァ-ヶー]{2,8}|[ぁ-ん]{2,6}))?(?![一-龥々ァ-ヶーぁ-ん])")  # fmt: skip
_HONORIFICS = frozenset(["様", "さま", "さん", "氏", "殿", "くん", "君", "ちゃん", "先生", "医師", "看護師"])
_ROMAJI_PAIR = re.compile(r"(?<![A-Za-z.])([A-Z](?:\.|[a-z]+|[A-Z]+)) ([A-Z][a-z]+|[A-Z]{2,})(?![A-Za-z])")
_HALF_KANA = re.compile(r"[ｦ-ﾝ][ﾞﾟ]?")


def kana_view(text: str) -> tuple[str, list[int]]:
    """`text` with half-width kana made full-width (ﾆｼﾑﾗ ｼﾞｭﾝ → ニシムラ ジュン), and for each of its characters (and its
    end) the offset in `text`, so a span found in the view maps back."""
    if not _HALF_KANA.search(text):
        return text, list(range(len(text) + 1))
    out: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in _HALF_KANA.finditer(text):
        out.append(text[pos : m.start()])
        offsets.extend(range(pos, m.start()))
        full = jaconv.h2z(m.group(0), kana=True, ascii=False, digit=False)
        out.append(full)
        offsets.extend([m.start()] * len(full))
        pos = m.end()
    out.append(text[pos:])
    offsets.extend(range(pos, len(text) + 1))
    return "".join(out), offsets


def compound_after(text: str, end: int) -> bool:
    """The word goes on after `end` (no space): 製薬, 総合病院, ビネー, -西村症候群; not an honorific or a role."""
    after = text[end : end + 12]
    if not after or _FOLLOWS_PERSON.match(after):
        return False
    if re.match(r"[一-龥々ァ-ヶ]", after):
        return True
    return bool(re.match(r"[-‐・=][一-龥々ァ-ヶ]", after))


def _person_context(text: str, start: int, end: int) -> bool:
    """A role or label before, or an honorific, a role or an age after (an age only for two characters or more:
    満61歳)."""
    if _ROLE_BEFORE.search(text[max(0, start - 14) : start]):
        return True
    after = _FOLLOWS_PERSON.match(text[end : end + 12])
    return bool(after) and (end - start >= 2 or not re.match(r" ?\d", text[end : end + 2]))


def _kanji_or_kana(word: str) -> bool:
    return bool(re.fullmatch(r"[一-龥々]+|[ァ-ヶー]+|[ぁ-ん]+", word))


def _spaced_names(view: str) -> Iterator[tuple[int, int]]:
    for m in _SPACED.finditer(view):
        first, second = m.group(1), m.group(2)
        full = second and name_part(first, "姓") and name_part(second, "名") and max(len(first), len(second)) >= 2
        if full and not compound_after(view, m.end()):
            yield m.start(), m.end()  # 市原 誠, ニシムラ ジュン, 南 大樹: a full name needs no cue
            continue
        for word, start in ((first, m.start(1)), (second, m.start(2))):
            if not word or not _kanji_or_kana(word) or word in _HONORIFICS:
                continue
            end = start + len(word)
            known = name_part(word, "姓") or name_part(word, "名")
            if known and _person_context(view, start, end) and not compound_after(view, end):
                yield start, end  # 術者 長岡, 受付 堀, 植木様, りく 5歳


def _romaji_names(view: str) -> Iterator[tuple[int, int]]:
    for m in _ROMAJI_PAIR.finditer(view):
        keys = [romaji_key(w.rstrip(".")) if len(w.rstrip(".")) > 1 else "" for w in (m.group(1), m.group(2))]
        known = [k is not None and (k == "" or name_part(k, "姓") or name_part(k, "名")) for k in keys]
        if all(known) and any(keys):
            yield m.start(), m.end()  # Kenji Sato, ITO HARUKA, T. Nakagawa


def lexicon_names(text: str) -> list[PiiSpan]:
    """Names by UniDic's lexicon of surnames and given names, with offsets into `text`."""
    view, offsets = kana_view(text)
    found = [*_spaced_names(view), *_romaji_names(view)]
    return [PiiSpan(offsets[s], offsets[e], "NAME") for s, e in found]


_NOT_A_NAME_HEAD = re.compile(
    r".*(?:[一-龥]科|室|号|週|病棟|症|病|床)$|.*[0-9]|.*[A-Za-z].*[^A-Za-z.-]|.*[^A-Za-z.-].*[A-Za-z]"
)


def _leading_word_is_no_name(text: str, start: int, head: str) -> bool:
    """高K血症 杉山 (the head is the end of a longer word, or holds digits), 整形外科 藤田, 305号室 大野."""
    joined = start > 0 and bool(re.match(r"[0-9A-Za-z一-龥々]", text[start - 1])) and not head.isascii()
    return joined or bool(_NOT_A_NAME_HEAD.match(head))


def checked(text: str, names: Sequence[PiiSpan]) -> list[PiiSpan]:
    """Name spans that pass the checks above: compounds dropped, leading words that are no name cut off."""
    view, offsets = kana_view(text)
    back = {o: i for i, o in enumerate(offsets)}
    out = []
    for n in names:
        start, end = back.get(n.start), back.get(n.end)
        if start is None or end is None:
            out.append(n)
            continue
        if compound_after(view, end):
            continue
        if re.match(r"[ァ-ヶー]", view[end : end + 1]) and re.match(r"[ァ-ヶー]", view[end - 1 : end]):
            continue  # a katakana word cut in two: ビネ|ー
        surface = view[start:end]
        if " " in surface or "\u3000" in surface:
            head = re.split(r"[ \u3000]", surface, maxsplit=1)[0]
            if _leading_word_is_no_name(view, start, head):
                start += len(head) + 1  # 高K血症 杉山 → 杉山
        if start < end:
            out.append(PiiSpan(offsets[start], offsets[end], n.type))
    return out
