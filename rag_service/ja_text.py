"""Japanese text for search: one normalisation and one fugashi tokeniser, used for index and query alike."""

from __future__ import annotations

import importlib.metadata
import threading
import unicodedata
from dataclasses import dataclass

import fugashi

# Bump when normalisation or token filtering changes: the index records it and refuses a mismatch.
TOKENIZER_REVISION = "v1"
_DROP_POS1 = ("補助記号,", "空白,")  # prefixes of the raw feature string: 3x faster than parsing `feature.pos1`
_local = threading.local()


def tokenizer_id() -> str:
    """What the index records about the analyser (a mismatch means re-index)."""
    fv = importlib.metadata.version("fugashi")
    dv = importlib.metadata.version("unidic-lite")
    return f"fugashi-{fv}/unidic-lite-{dv}/nfkc-lower-{TOKENIZER_REVISION}"


def normalize_for_search(text: str) -> str:
    """NFKC (full-width digits and Latin, Kangxi radicals) and lower case (HbA1c == HBA1C)."""
    return unicodedata.normalize("NFKC", text).lower()


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
