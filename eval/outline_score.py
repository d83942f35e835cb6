"""Score what ingestion reads from a PDF against an outline labelled by reading the document.

    python -m eval.outline_score [--out bench-results/outline] [--no-ocr]

Labelled sets: `tests/fixtures/real_outlines/*.json` (the real PDFs in ../shared/data/pdfs/real, labelled by a reader
who never saw the pipeline's output) and the drawn Minds-format guideline of `tests/pdf_gallery_minds.py`. Per
document:

- headings: *found* (a labelled heading is a heading of ours on the same page, text equal after NFKC and with spaces
  removed), *path right* (our path to it is the labelled path with headings left out, never a wrong parent), *wrong*
  (a line the labeller marked as not a heading became one), *spurious* (any other heading of ours on a labelled page);
- recommendations: *found* (same CQ and number, or the same statement), *grade right* (strength, certainty, class
  and direction all as labelled), *text bounded* (the statement exactly), *pages right*, *spurious* (a
  recommendation of ours that matches none);
- text: labelled phrases present on their page; running headers and footers absent from every section.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ingestion.sources import SourceDocument, read_source
from rag_service.errors import PdfExtractionError
from rag_service.radicals import fold_radicals
from rag_service.types import Recommendation, Section

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real_outlines"


def norm(text: str) -> str:
    """Compare text as a reader would: NFKC (width), radicals folded, dashes and spaces gone."""
    text = unicodedata.normalize("NFKC", fold_radicals(text))
    return re.sub(r"[\s\-‐–—―ー－]+", "", text)


@dataclass
class Score:
    name: str
    headings: int = 0
    found: int = 0
    path_right: int = 0
    wrong: int = 0
    spurious: int = 0
    recommendations: int = 0
    recs_found: int = 0
    grades_right: int = 0
    text_bounded: int = 0
    pages_right: int = 0
    recs_spurious: int = 0
    text_checks: int = 0
    text_found: int = 0
    running_left: int = 0
    missed: list[str] = field(default_factory=list)
    spurious_examples: list[str] = field(default_factory=list)


def _in_pages(page: int, ranges: Sequence[Sequence[int]]) -> bool:
    return any(a <= page <= b for a, b in ranges)


def our_headings(sections: Iterable[Section]) -> list[tuple[tuple[str, ...], int]]:
    """Every heading path prefix with the page where it first appears (a heading opening straight into a
    subheading has no section of its own, but it is in the path)."""
    seen: dict[tuple[str, ...], int] = {}
    for s in sections:
        for i in range(1, len(s.path) + 1):
            seen.setdefault(s.path[:i], s.page_start)
    return list(seen.items())


def _subsequence(ours: Sequence[str], theirs: Sequence[str]) -> bool:
    it = iter(theirs)
    return all(any(o == t for t in it) for o in ours)


def score_headings(score: Score, expected: dict[str, Any], sections: Sequence[Section]) -> None:
    ranges = expected["labelled_pages"]
    ours = [(tuple(norm(x) for x in path), page) for path, page in our_headings(sections) if _in_pages(page, ranges)]
    used: set[int] = set()
    for h in expected["headings"]:
        pages = {h["page"], *h.get("alt_pages", [])}
        want = [norm(x) for x in h["path"]]
        score.headings += 1
        match = next((i for i, (p, pg) in enumerate(ours) if i not in used and p[-1] == want[-1] and pg in pages),
                     None)  # fmt: skip
        if match is None:
            score.missed.append(f"p.{h['page']} heading {h['text']}")
            continue
        used.add(match)
        score.found += 1
        score.path_right += _subsequence(ours[match][0], want)
    not_headings = {(norm(n["text"]), n["page"]) for n in expected.get("not_headings", [])}
    for i, (path, page) in enumerate(ours):
        if i in used:
            continue
        if (path[-1], page) in not_headings:
            score.wrong += 1
        else:
            score.spurious += 1
        if len(score.spurious_examples) < 12:
            score.spurious_examples.append(f"p.{page} {path[-1]}")


def _same_rec(ours: Recommendation, want: dict[str, Any]) -> bool:
    if want.get("number") is not None and ours.cq == want.get("cq") and ours.number == want["number"]:
        return True
    return bool(ours.text) and norm(ours.text or "") == norm(want["text"])


def score_recommendations(score: Score, expected: dict[str, Any], sections: Sequence[Section]) -> None:
    ranges = expected["labelled_pages"]
    ours = [r for s in sections for r in s.recommendations if r.page_start and _in_pages(r.page_start, ranges)]
    used: set[int] = set()
    for want in expected.get("recommendations", []):
        score.recommendations += 1
        i = next((i for i, r in enumerate(ours) if i not in used and _same_rec(r, want)), None)
        if i is None:
            score.missed.append(f"{want.get('cq')} {want.get('number')}: {want['text'][:30]}")
            continue
        used.add(i)
        r = ours[i]
        score.recs_found += 1
        direction = r.direction.value if r.direction else None
        got = (r.strength, r.certainty, r.rec_class, direction if not r.grade.empty else None)
        graded = want.get("strength") or want.get("rec_class")
        direction_wanted = want.get("direction") if graded else None
        wanted = (want.get("strength"), want.get("certainty"), want.get("rec_class"), direction_wanted)
        score.grades_right += got == wanted
        score.text_bounded += norm(r.text or "") == norm(want["text"])
        score.pages_right += (r.page_start, r.page_end) == (want["page_start"], want["page_end"])
    score.recs_spurious += len(ours) - len(used)


def page_texts(sections: Sequence[Section]) -> dict[int, str]:
    """Each page's indexed text, from the sections' per-page offsets."""
    out: dict[int, str] = {}
    for s in sections:
        offsets = list(s.page_offsets) or [(0, s.page_start)]
        for (a, page), (b, _) in zip(offsets, [*offsets[1:], (len(s.text), 0)], strict=True):
            out[page] = out.get(page, "") + s.text[a:b] + "\n"
    return out


def score_text(score: Score, expected: dict[str, Any], sections: Sequence[Section]) -> None:
    pages = {p: norm(t) for p, t in page_texts(sections).items()}
    for check in expected.get("text_checks", []):
        score.text_checks += 1
        if norm(check["must_contain"]) in pages.get(check["page"], ""):
            score.text_found += 1
        else:
            score.missed.append(f"p.{check['page']} text {check['must_contain']}")
    every = "".join(norm(s.text) for s in sections)
    score.running_left = sum(norm(line) in every for line in expected.get("running_lines", []) if len(norm(line)) > 3)


def score_document(name: str, expected: dict[str, Any], doc: SourceDocument) -> Score:
    score = Score(name)
    score_headings(score, expected, doc.sections)
    score_recommendations(score, expected, doc.sections)
    score_text(score, expected, doc.sections)
    return score


def labelled_sets(shared: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    """(name, pdf, expected) for every labelled real PDF present."""
    out = []
    for f in sorted(FIXTURES.glob("*.json")):
        expected = json.loads(f.read_text(encoding="utf-8"))
        pdf = shared / "pdfs" / "real" / expected["file"]
        if pdf.exists():
            out.append((f.stem, pdf, expected))
    return out


def markdown(scores: Sequence[Score]) -> str:
    lines = [
        "| document | headings found | path right | spurious (of which marked not-heading) | recommendations found |"
        " grade right | text bounded | pages right | spurious recs | text checks | running lines left |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        lines.append(
            f"| {s.name} | {s.found}/{s.headings} | {s.path_right}/{s.found} | {s.spurious + s.wrong} ({s.wrong}) | "
            f"{s.recs_found}/{s.recommendations} | {s.grades_right}/{s.recs_found} | {s.text_bounded}/{s.recs_found} |"
            f" {s.pages_right}/{s.recs_found} | {s.recs_spurious} | {s.text_found}/{s.text_checks} | {s.running_left} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--out", type=Path, default=Path("bench-results/outline"))
    ap.add_argument("--no-ocr", action="store_true", help="do not OCR (the broken-layer manual then reads nothing)")
    args = ap.parse_args(argv)
    scores = []
    for name, pdf, expected in labelled_sets(args.shared):
        try:
            doc = read_source(pdf, ocr=not args.no_ocr)
        except PdfExtractionError as e:  # the broken-layer manual without OCR
            print(f"{name}: not scored ({e})")
            continue
        scores.append(score_document(name, expected, doc))
    text = markdown(scores)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(text + "\n", encoding="utf-8")
    (args.out / "report.json").write_text(json.dumps([asdict(s) for s in scores], ensure_ascii=False, indent=1))
    print(text)


if __name__ == "__main__":
    main()
