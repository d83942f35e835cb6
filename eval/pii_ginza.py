"""What spaCy/GiNZA's NER adds to the masker's NAME rules, and what it costs (a measurement, not a dependency).

    .venv/bin/pip install ginza ja-ginza && .venv/bin/python -m eval.pii_ginza

GiNZA alone (its `Person` entities), the rules alone, and their union, on the three labelled sets: NAME recall and
precision, eponymous diseases masked, characters per second.
"""

from __future__ import annotations

import time

from eval.pii_eval import DATA, load_labelled, score
from rag_service.pii import PiiSpan, find_pii
from rag_service.pii_base import resolve as _resolve
from rag_service.pii_names import _is_eponym


def main() -> None:
    import spacy

    nlp = spacy.load("ja_ginza")

    def ginza_names(text: str) -> list[PiiSpan]:
        return [PiiSpan(e.start_char, e.end_char, "NAME") for e in nlp(text).ents if e.label_ == "Person"]

    def union(text: str) -> list[PiiSpan]:
        extra = [s for s in ginza_names(text) if not _is_eponym(text, s.start, s.end)]
        return _resolve([*find_pii(text), *extra])

    for name in ("dev", "test", "heldout"):
        rows = load_labelled(DATA / f"{name}.jsonl")
        chars = sum(len(r.text) for r in rows)
        for label, fn in (("ginza", ginza_names), ("rules", find_pii), ("rules+ginza", union)):
            t0 = time.perf_counter()
            r = score(rows, fn)
            speed = chars / (time.perf_counter() - t0)
            c = r["types"]["NAME"]
            print(f"{name:8} {label:12} NAME recall {c['recall']:.3f} precision {c['precision'] or 0:.3f}  "
                  f"eponyms masked {len(r['eponyms_masked'])}  {speed:,.0f} chars/s")  # fmt: skip


if __name__ == "__main__":
    main()
