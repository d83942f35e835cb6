"""Japanese text for search: one normalisation and one fugashi tokeniser, used for index and query alike."""

from __future__ import annotations

import importlib.metadata
import re
import threading
import unicodedata
from dataclasses import dataclass

import fugashi

from rag_service.radicals import fold_radicals

# Bump when normalisation or token filtering changes: the index records it and refuses a mismatch.
TOKENIZER_REVISION = "v3"  # v2: the character-bigram leg (bigrams + single kanji); v3: radicals supplement folded
# Prefixes of the raw feature string (3x faster than parsing `feature.pos1`). Particles and auxiliary verbs stay:
# dropping them lifted this leg alone (jaqa_wiki 0.906 → 0.912) but cost the hybrid 0.032 on nmle_law (six of
# seven changed questions got worse); lemmas instead of surfaces lost on nmle_law (0.431 vs 0.450, passage level).
_DROP_POS1 = ("補助記号,", "空白,")
_local = threading.local()

JP_CHARS = "\u3001-\u303f\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
JP_CHAR_RE = re.compile(f"[{JP_CHARS}]")
KANJI_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SPACES_BETWEEN_JP = re.compile(f"(?<=[{JP_CHARS}]) +(?=[{JP_CHARS}])")

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u0336"), "-")
_TILDES = dict.fromkeys(map(ord, "\u301c\uff5e\u223c\u3030"), "~")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# A full-width colon that some PDF printers (Chromium) map to U+00EF: `9ï00` for 9：00. Between digits it is certain.
_COLON_MOJIBAKE = re.compile("(?<=[0-9])\u00ef(?=[0-9])")
_SPACE_RUN = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def tokenizer_id() -> str:
    """What the index records about the analyser (a mismatch means re-index)."""
    fv = importlib.metadata.version("fugashi")
    dv = importlib.metadata.version("unidic-lite")
    return f"fugashi-{fv}/unidic-lite-{dv}/nfkc-lower-{TOKENIZER_REVISION}"


def normalize_chars(s: str) -> str:
    """Code-point normalisation only (no line joining): NFKC, dashes, tildes, spaces, invisible characters."""
    s = s.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE).translate(_DASHES)
    s = unicodedata.normalize("NFKC", fold_radicals(s)).translate(_TILDES)
    s = _COLON_MOJIBAKE.sub(":", s)
    lines = (_SPACE_RUN.sub(" ", line).strip() for line in s.split("\n"))
    return "\n".join(SPACES_BETWEEN_JP.sub("", line) for line in lines)


def normalize_for_search(text: str) -> str:
    """NFKC (full-width digits and Latin, Kangxi radicals) and lower case (HbA1c == HBA1C)."""
    return unicodedata.normalize("NFKC", fold_radicals(text)).lower()


def normalize_query(text: str) -> str:
    """A query as the index text was normalised (`２型` → `2型`, dashes and tildes folded), for every leg."""
    return normalize_chars(text)


def char_bigrams(text: str) -> list[str]:
    """Overlapping character pairs of the normalised text, white space dropped, then every kanji on its own
    (`2型糖` → `2型`, `型糖`, `型`, `糖`).

    The second lexical leg: it needs no dictionary, so it matches compounds and names that the morphological
    analyser splits differently in the query and the document. A kanji alone is often a word (届, 罰, 肺, 腎):
    adding them lifted a bigram BM25 from 0.410 to 0.475 nDCG@10 on nmle_law and from 0.917 to 0.922 on
    jaqa_wiki (kana and Latin unigrams lost on nmle_law: 0.445). A one-character text gives that character.
    """
    chars = "".join(normalize_for_search(text).split())
    if len(chars) < 2:
        return [chars] if chars else []
    return [chars[i : i + 2] for i in range(len(chars) - 1)] + KANJI_RE.findall(chars)


def _tagger() -> fugashi.Tagger:
    # MeCab taggers are not safe to share across threads: one per thread.
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        tagger = fugashi.Tagger()
        _local.tagger = tagger
    return tagger


def tokenize(text: str) -> list[str]:
    """Surface forms of content-bearing tokens (punctuation and white space dropped), in order."""
    norm = normalize_for_search(text)
    return [w.surface for w in _tagger()(norm) if w.surface.strip() and not w.feature_raw.startswith(_DROP_POS1)]


@dataclass(frozen=True, slots=True)
class TokenSpan:
    """A token's surface and its [start, end) character offsets in the text it came from."""

    surface: str
    start: int
    end: int


def token_spans(text: str) -> list[TokenSpan]:
    """Token boundaries in `text` itself (no normalisation), so callers can cut only between tokens."""
    spans: list[TokenSpan] = []
    pos = 0
    for w in _tagger()(text):
        surface = w.surface
        start = text.find(surface, pos)
        if start < 0:  # MeCab should echo its input; fall back to the running position
            start = pos
        end = start + len(surface)
        spans.append(TokenSpan(surface, start, end))
        pos = end
    return spans
