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
from dataclasses import dataclass

import jaconv

from rag_service.pii_base import PiiSpan
from rag_service.pii_lexicon import name_part, romaji_key
from rag_service.pii_names import Segments
from rag_service.pii_vocab import (
    FOLLOWS_PERSON,
    HIRAGANA_HONORIFIC,
    JOINED_AFTER_WORDS,
    JOINED_HONORIFIC,
    JOINED_RECORD,
    JOINED_ROLE_END,
    JOINED_ROLES,
    NOT_NAMES,
    RECORD_AFTER,
    RECORD_WORDS,
    ROLE_BEFORE,
    ROLE_WORD_END,
)

# runs of one script: kanji (四ノ宮, 井ノ口 keep their ノ), katakana, or hiragana up to an honorific (ゆうと|ちゃん)
_RUN = re.compile(
    r"[一-龥々〆][一-龥々〆ヶノ]*|[ァ-ヶー]{2,}"
    r"|(?<![ぁ-ん])[ぁ-ん]{2,6}?(?=" + HIRAGANA_HONORIFIC + r"|[^ぁ-ん]|$)"
)
_HONORIFICS = frozenset(["様", "さま", "さん", "氏", "殿", "くん", "君", "ちゃん", "先生", "医師", "看護師"])
_ROMAJI_PAIR = re.compile(r"(?<![A-Za-z.])([A-Z](?:\.|[a-z]+|[A-Z]+)) ([A-Z][a-z]+|[A-Z]{2,})(?![A-Za-z])")
_ROMAJI_IN_BRACKETS = re.compile(r"[（(]([A-Z][a-z]{2,})[）)]")
_HALF_KANA = re.compile(r"[ｦ-ﾝ][ﾞﾟ]?")
_SUFFIX_ENDS = frozenset(w[-1] for w in (JOINED_AFTER_WORDS + " " + RECORD_WORDS).split())
_WORD_CHAR = re.compile(r"[一-龥々ァ-ヶ]")
_LISTED = re.compile(r"・([一-龥々]{1,4})(?![一-龥々ァ-ヶ])")  # 南・北村: a list; 中條・西村症候群: one word
_JOINED_ON = re.compile(r"[-‐・=][一-龥々ァ-ヶ]")
_ONE_SCRIPT = re.compile(r"[一-龥々][一-龥々ヶノ]*|[ァ-ヶー]+|[ぁ-ん]+")
_KANJI_WORD = re.compile(r"[一-龥々][一-龥々ヶノ]{0,4}")
_KANA_OR_KANJI = re.compile(r"[ぁ-んァ-ヶー一-龥々]")
_DATE_AFTER = re.compile(r"[、,]? ?[（(]?(?:(?:明治|大正|昭和|平成|令和|[MTSHR])\.? ?\d{1,2}|(?:19|20)\d{2})[年./-]\d")
_HIRAGANA_AFTER = re.compile(r" ?(?:様|さま|さん|ちゃん|くん|君|\d{1,2} ?歳)")
_LIST_SEP = re.compile(r"^ ?(?:様|さん|氏)? ?[・、,，/／] ?$")


@dataclass(frozen=True, slots=True)
class _Tagged:
    """The tagger's segments seen from the kana view (offsets map view positions to the text's)."""

    offsets: Sequence[int]
    seg: Segments

    def bound(self, p: int) -> bool:
        """Is there a word boundary (a tagger token's edge) at this offset of the view?"""
        return self.offsets[p] in self.seg.edges

    def plain(self, start: int, end: int) -> bool:
        """Does a word no name is made of (来院, 休暇中) begin in [start, end) of the view?"""
        return any(self.offsets[p] in self.seg.plain for p in range(start, end))


def kana_view(text: str) -> tuple[str, Sequence[int]]:
    """`text` with half-width kana made full-width (ﾆｼﾑﾗ ｼﾞｭﾝ → ニシムラ ジュン), and for each of its characters (and its
    end) the offset in `text`, so a span found in the view maps back."""
    if not _HALF_KANA.search(text):
        return text, range(len(text) + 1)
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
    """The word goes on after `end` (no space): 製薬, 総合病院, ビネー, -西村症候群; not an honorific or a role, and
    not the next name of a list (南・北村)."""
    after = text[end : end + 12]
    if not after or FOLLOWS_PERSON.match(after) or RECORD_AFTER.match(after):
        return False
    if _WORD_CHAR.match(after):
        return True
    listed = _LISTED.match(after)
    if listed:
        return not name_part(listed.group(1), "姓")
    return bool(_JOINED_ON.match(after))


def _person_context(text: str, start: int, end: int) -> bool:
    """A role or label before, or an honorific, a role or an age after (an age only for two characters or more:
    満61歳)."""
    if ROLE_BEFORE.search(text[max(0, start - 14) : start]):
        return True
    after = FOLLOWS_PERSON.match(text[end : end + 20])
    return bool(after) and (end - start >= 2 or not re.match(r" ?\d", text[end : end + 2]))


def _kanji_or_kana(word: str) -> bool:
    return bool(_ONE_SCRIPT.fullmatch(word))


@dataclass(slots=True)  # not frozen: one for every run of the text, and a frozen dataclass's __init__ is slower
class _Run:
    start: int  # the word without a role joined before it or an honorific or record word joined after it
    end: int
    word: str
    role_before: bool  # 主治医石田
    role_after: bool  # 岡部部長, 植木様, ゆうとちゃん
    word_after: bool  # any of those, or a record word (小林記録): the name ends here, it is no compound


def _runs(view: str, tagged: _Tagged) -> list[_Run]:
    """Runs of one script, each without the role or honorific joined to it where the tagger splits there too (看護師長
    is one word to it, 主治医石田 is 主治/医/石田)."""
    out = []
    for m in _RUN.finditer(view):
        start, end = m.start(), m.end()
        if start and view[start - 1].isdigit():
            continue  # 2日生, 3階東: a counter after a number
        before = honorific = None
        if end - start >= 2 and view[start] >= "一":  # a kanji run: a role or an honorific may be joined to it
            roles = (r.match(view, start, end) for r in JOINED_ROLES)
            before = next((r for r in roles if r and r.end() < end and tagged.bound(r.end())), None)
            if before:
                start = before.end()
            if view[end - 1] in _SUFFIX_ENDS:
                honorific = JOINED_HONORIFIC.search(view, start + 1, end) or JOINED_RECORD.search(view, start + 1, end)
            if honorific and tagged.bound(honorific.start()):
                end = honorific.start()
            else:
                honorific = None
        if not (tagged.bound(start) and tagged.bound(end)):
            continue  # 明らか, 強い, 湯たんぽ, お知らせ: the tagger reads one word across the edge
        hira = "ぁ" <= view[start] <= "ん" and view.startswith(("ちゃん", "くん", "さん", "さま"), end)
        role_after = bool(honorific and not JOINED_RECORD.match(honorific.group(0))) or hira
        out.append(_Run(start, end, view[start:end], bool(before), role_after, bool(honorific) or hira))
    return out


def _ends_in_kana(view: str, end: int) -> bool:
    return bool(_KANA_OR_KANJI.match(view, end))


def _is_name(run: _Run, kind: str) -> bool:
    return run.word not in NOT_NAMES and name_part(run.word, kind) and _kanji_or_kana(run.word)


def _ends(view: str, run: _Run) -> bool:
    """The name ends with `run`: an honorific, a role or a record word after it, or no word joined to it."""
    return run.word_after or not compound_after(view, run.end)


def _full_name(view: str, a: _Run, b: _Run, tagged: _Tagged) -> bool:
    """市原 誠, ニシムラ ジュン, 南 大樹: a surname and a given name need no cue; 坂之上 清 76歳, 依頼医 浜比嘉 真理子,
    小野 蒼（そう）くん: one part known, with a role before or an honorific or age after."""
    if a.word_after or b.role_before or view[a.end : b.start] not in (" ", "\u3000") or not _ends(view, b):
        return False
    surname, given = _is_name(a, "姓"), _is_name(b, "名")
    if surname and given and max(len(a.word), len(b.word)) >= 2:
        return True
    if not (surname or given) or not all(_KANJI_WORD.fullmatch(r.word) for r in (a, b)):
        return False
    unknown, known = (b, a) if surname else (a, b)
    if unknown.word in NOT_NAMES or unknown.word in _HONORIFICS or (unknown is b and len(b.word) > 3):
        return False
    if (unknown is b and len(known.word) < 2) or tagged.plain(unknown.start, unknown.end):
        return False  # 患者 田中 来院, 生 入院日: a common word after a surname is no given name
    cue = a.role_before or b.role_after or bool(_DATE_AFTER.match(view, b.end))  # 安西 優斗、1997/4/28
    return cue or _person_context(view, a.start, b.end)


def _single_name(view: str, run: _Run, listed: bool) -> bool:
    """術者 長岡, 受付 堀, 植木様, ゆうきくん, 処置者 菊池・宇野 (the next of a list): a known surname or given name
    with a role or honorific in reach."""
    if run.word in _HONORIFICS or not (_is_name(run, "姓") or _is_name(run, "名")) or not _ends(view, run):
        return False
    if run.role_after:
        return True
    if run.role_before and len(run.word) < 2:
        return False  # 医師等, 当事者間: a one-kanji word joined to a role is no name without an honorific
    if "ぁ" <= run.word[0] <= "ん":  # りく 5歳, Ns.ひらの／; not 内服中のため主治医
        if run.start > 0 and _KANA_OR_KANJI.match(view, run.start - 1):
            return False
        return bool(_HIRAGANA_AFTER.match(view, run.end)) or (
            bool(ROLE_BEFORE.search(view, max(0, run.start - 14), run.start)) and not _ends_in_kana(view, run.end)
        )
    return run.role_before or listed or _person_context(view, run.start, run.end)


def _spaced_names(view: str, tagged: _Tagged) -> Iterator[tuple[int, int]]:
    runs = _runs(view, tagged)
    last = -1  # where the last name found ended: the next one after ・ or 、 is the same list's
    i = 0
    while i < len(runs):
        a = runs[i]
        listed = last >= 0 and bool(_LIST_SEP.match(view[last : a.start]))
        if i + 1 < len(runs) and _full_name(view, a, runs[i + 1], tagged):
            last = runs[i + 1].end
            yield a.start, last
            i += 2
            continue
        if _single_name(view, a, listed):
            last = a.end
            yield a.start, a.end
        i += 1


def _romaji_names(view: str) -> Iterator[tuple[int, int]]:
    for m in _ROMAJI_PAIR.finditer(view):
        keys = [romaji_key(w.rstrip(".")) if len(w.rstrip(".")) > 1 else "" for w in (m.group(1), m.group(2))]
        known = [k is not None and (k == "" or name_part(k, "姓") or name_part(k, "名")) for k in keys]
        if all(known) and any(keys):
            yield m.start(), m.end()  # Kenji Sato, ITO HARUKA, T. Nakagawa
    for m in _ROMAJI_IN_BRACKETS.finditer(view):  # 夫（Kenta）: one romaji name after a role or kinship word
        key = romaji_key(m.group(1))
        if key and (name_part(key, "名") or name_part(key, "姓")) and ROLE_WORD_END.search(view, 0, m.start()):
            yield m.start(1), m.end(1)


def lexicon_names(text: str, seg: Segments) -> list[PiiSpan]:
    """Names by UniDic's lexicon of surnames and given names, with offsets into `text`; `seg` says where the
    tagger's words begin and end (offsets into `text`)."""
    view, offsets = kana_view(text)
    found = [*_spaced_names(view, _Tagged(offsets, seg)), *_romaji_names(view)]
    return [PiiSpan(offsets[s], offsets[e], "NAME") for s, e in found]


_NOT_A_NAME_HEAD = re.compile(
    r".*(?:[一-龥]科|室|号|週|病棟|症|病|床)$|.*[0-9]|.*[A-Za-z].*[^A-Za-zà-ÿ.,'-]|.*[^A-Za-zà-ÿ.,'-].*[A-Za-z]"
)


def _leading_word_is_no_name(head: str, joined: bool) -> bool:
    """高K血症 杉山 (the head is the end of a longer word, or holds digits), 整形外科 藤田, 305号室 大野."""
    return (joined and not head.isascii()) or bool(_NOT_A_NAME_HEAD.match(head))


def _joined_before(view: str, start: int, tagged: _Tagged) -> bool:
    """The name's first word is the end of a longer word (肺音清 is 肺音 + 清, 3F病棟 杉山), not a name after a role
    (主治医石田) or after another script (妻ハルミ)."""
    if start == 0 or not re.match(r"[0-9A-Za-z一-龥々]", view[start - 1]):
        return False
    if not re.match(r"[一-龥々]", view[start]) or not re.match(r"[一-龥々]", view[start - 1]):
        return not view[start].isascii() and view[start - 1].isascii()  # 3F杉山; not Mr.Sato, 妻ハルミ
    return not (JOINED_ROLE_END.search(view, max(0, start - 8), start) and tagged.bound(start))


_WEEKDAY_LIST = re.compile(r"[月火水木金土日](?:[・/][月火水木金土日])+")  # デイ 火・金: days, not 金 as a surname
_POLITE_SAMA = re.compile(r"[おご][ぁ-ん]{1,5}")  # おかげさま, おつかれさま, ごくろうさま: words, not a name with さま


def _a_word(view: str, start: int, end: int) -> bool:
    if end - start == 1 and view[start] in "月火水木金土日":
        return any(m.start() <= start < m.end() for m in _WEEKDAY_LIST.finditer(view, max(0, start - 14), end + 14))
    return view.startswith("さま", end) and bool(_POLITE_SAMA.fullmatch(view, start, end))


def checked(text: str, names: Sequence[PiiSpan], seg: Segments) -> list[PiiSpan]:
    """Name spans that pass the checks above: compounds dropped, leading words that are no name cut off."""
    view, offsets = kana_view(text)
    tagged = _Tagged(offsets, seg)
    back = None if isinstance(offsets, range) else {o: i for i, o in enumerate(offsets)}
    out = []
    for n in names:
        start, end = (n.start, n.end) if back is None else (back.get(n.start), back.get(n.end))
        if start is None or end is None:
            out.append(n)
            continue
        if compound_after(view, end) or _a_word(view, start, end):
            continue
        if re.match(r"[ァ-ヶー]", view[end : end + 1]) and re.match(r"[ァ-ヶー]", view[end - 1 : end]):
            continue  # a katakana word cut in two: ビネ|ー
        role = next((r for r in (r.match(view, start, end) for r in JOINED_ROLES) if r and tagged.bound(r.end())), None)
        if role and role.end() < end and view[role.end()] not in " \u3000":
            start = role.end()  # 本人前川 修 → 前川 修
        surface = view[start:end]
        joined = _joined_before(view, start, tagged)
        if " " in surface or "\u3000" in surface:
            head = re.split(r"[ \u3000]", surface, maxsplit=1)[0]
            if _leading_word_is_no_name(head, joined):
                start += len(head) + 1  # 高K血症 杉山 → 杉山
        elif joined:
            continue
        if start < end:
            out.append(PiiSpan(offsets[start], offsets[end], n.type))
    return out
