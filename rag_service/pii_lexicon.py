"""Person names from data: every surname (人名-姓) and given name (人名-名) in UniDic's own lexicon, by writing and by
reading, read from the dictionary that fugashi already uses (unidic-lite's sys.dic: ~15,800 surnames, ~30,400
given names). The tagger picks one analysis per context (池田 is a place in 「患者 池田」, a surname elsewhere); the
lexicon says what a word *can* be, so a name is a name whatever surrounds it.

Readings are compared as keys that ignore vowel length (サトウ, Sato and さと are one key), so romaji (via jaconv)
and kana names (half-width too) are looked up in the same lexicon. Loaded once, on first use (~1 s, memory-mapped).
"""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jaconv
import unidic_lite

# a feature string in sys.dic: pos1,pos2,pos3,pos4,cType,cForm,lForm(reading),lemma,orth,…
_PERSON = re.compile("\x00名詞,固有名詞,人名,(姓|名),[^,\x00]*,[^,\x00]*,([^,\x00]*),[^,\x00]*,([^,\x00]*),".encode())
_LONG = re.compile(r"(?<=[オコソトノホモヨロゴゾドボポョォ])[ウオ]|(?<=[ウクスツヌフムユルグズヅブプュゥ])ウ|ー")


@dataclass(frozen=True)
class Lexicon:
    surnames: frozenset[str]  # writings: 池田, 木内, 堀 …
    given: frozenset[str]  # 大樹, 誠, はなこ …
    surname_readings: frozenset[str]  # reading keys (see `reading_key`)
    given_readings: frozenset[str]


def reading_key(kana: str) -> str:
    """Katakana with vowel length dropped: サトウ → サト, オオノ → オノ, ユウコ → ユコ (romaji rarely writes it)."""
    return _LONG.sub("", jaconv.hira2kata(jaconv.h2z(kana, kana=True, ascii=False, digit=False)))


@lru_cache(maxsize=1 << 14)
def romaji_key(word: str) -> str | None:
    """The reading key of a romaji word (Kenji → ケンジ), or None when it does not spell Japanese kana."""
    kana = jaconv.alphabet2kana(word.lower())
    if not re.fullmatch(r"[ぁ-んー]+", kana) or kana.endswith("っ"):  # 「ns」→「んっ」: not a word
        return None
    return reading_key(kana)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    path = Path(unidic_lite.DICDIR) / "sys.dic"
    found: dict[bytes, tuple[set[str], set[str]]] = {"姓".encode(): (set(), set()), "名".encode(): (set(), set())}
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for m in _PERSON.finditer(data):
            writings, readings = found[m.group(1)]
            writings.add(m.group(3).decode())
            if m.group(2) and m.group(2) != b"*":
                readings.add(reading_key(m.group(2).decode()))
    (sur, sur_read), (giv, giv_read) = found["姓".encode()], found["名".encode()]
    return Lexicon(frozenset(sur), frozenset(giv), frozenset(sur_read), frozenset(giv_read))


_KANA_WORD = re.compile(r"[ぁ-んァ-ヶー]+")


@lru_cache(maxsize=1 << 16)
def name_part(word: str, kind: str) -> bool:
    """`word` can be a surname (`kind` "姓") or a given name ("名"): by writing, or for kana by reading."""
    lex = lexicon()
    writings, readings = (lex.surnames, lex.surname_readings) if kind == "姓" else (lex.given, lex.given_readings)
    if word in writings:
        return True
    return bool(_KANA_WORD.fullmatch(word)) and len(word) >= 2 and reading_key(word) in readings
