"""Patient data (個人情報) in Japanese clinical text: find it and replace it with typed masks before text leaves a
request (logs, metrics, the audit log, error messages, the prompt sent to the LLM, feedback records).

Structured types (EMAIL, PHONE, POSTAL, PATIENT_ID, INSURANCE, MYNUMBER, DOB, ADDRESS) are found by patterns with
their labels (カルテ番号, 保険者番号, 〒, 生年月日 …) on a same-length folded copy of the text (full-width ASCII and
dashes folded), so offsets stay those of the input. NAME comes from fugashi's morphology (unidic marks 人名 姓/名),
honorifics (様, さん, 氏, 殿, くん, ちゃん, 先生 …), field labels (氏名, 患者氏名, 担当医 …) and titles (Mr., Dr.), with
eponymous diseases and signs (橋本病, ギラン・バレー症候群, 小林スコア) left alone. Measured on the labelled sets in
eval/data/pii with `rag eval pii`; spaCy/GiNZA NER was measured against these rules (see the README's Safety section).
"""

from __future__ import annotations

from rag_service.pii_base import MASKS, TYPES, Masked, PiiSpan, fold, resolve, words
from rag_service.pii_dates import dates_of_birth
from rag_service.pii_dictnames import checked, lexicon_names
from rag_service.pii_ids import ids_beside, near_copies
from rag_service.pii_names import context_names, morph_names, readings, segments, tokens
from rag_service.pii_structured import structured_spans

__all__ = ["MASKS", "TYPES", "Masked", "PiiSpan", "find_pii", "fold", "mask", "mask_text", "search_text", "words"]


def find_pii(text: str) -> list[PiiSpan]:
    """Every span of patient data in `text`, typed, non-overlapping, in order."""
    if not text:
        return []
    folded = fold(text)
    structured = structured_spans(folded)
    words = tokens(text)
    seg = segments(words)
    found = [*morph_names(text, words), *context_names(text), *lexicon_names(text, seg)]
    names = resolve(checked(text, found, seg))
    names = resolve([*names, *readings(text, names)])
    names = [n for n in names if not any(s.start <= n.start and n.end <= s.end for s in structured)]
    ids = ids_beside(folded, names, structured)
    dates = dates_of_birth(folded, names, [*structured, *ids])
    if dates:  # 石原 咲 H12/4/4 T-00772
        ids += ids_beside(folded, dates, [*structured, *ids, *dates])
    found = resolve([*structured, *ids, *names, *dates])
    return resolve([*found, *near_copies(folded, found)])


def mask(text: str) -> Masked:
    """`text` with each span replaced by its typed mask (［氏名］, ［電話番号］ …) and the spans found."""
    spans = find_pii(text)
    parts, pos = [], 0
    for s in spans:
        parts += [text[pos : s.start], MASKS[s.type]]
        pos = s.end
    parts.append(text[pos:])
    return Masked("".join(parts), spans)


def mask_text(text: str) -> str:
    return mask(text).masked


def search_text(text: str) -> str:
    """What a search looks up: the text with patient data taken out (not masked: a mask token would match nothing
    useful, and the patient's details carry no guideline knowledge while they match case reports)."""
    spans = find_pii(text)
    if not spans:
        return text
    parts, pos = [], 0
    for s in spans:
        parts += [text[pos : s.start], " "]
        pos = s.end
    parts.append(text[pos:])
    return "".join(parts)
