"""Pure: the grade lines of guideline text, read by one small reader per scheme into one `Grade` value.

A reader knows one way of printing a grade; `find_grades` runs them all over a CQ's normalised text and returns each
printed grade once (the earliest, then the longest match wins where two readers see the same words). Which
statement a grade belongs to is decided in `ingestion.recommendations`, not here. Readers, in priority order:

- ``minds-combined`` (Minds 2014–2020): ``（推奨度・エビデンス総体の総括：1C（使用することを強く推奨する））``,
  ``【推奨度 2, エビデンスの確実性 C】``, ``推奨グレード 1B``, a bare ``（1A）`` / ``[2C]``;
- ``minds-two-line``: ``推奨の強さ：1（強い）`` then ``エビデンスの確実性（強さ）：C`` (one line or two), or one alone;
- ``jcs``: ``推奨クラス IIa``, with ``エビデンスレベル B`` beside it (JCS / JHFS);
- ``grade-words`` (GRADE wording): ``強い推奨`` / ``弱い推奨`` / ``条件付き推奨``, with ``エビデンスの確実性：中``;
- ``minds-2007``: ``推奨グレード C1`` (A, B, C1, C2, D), the scheme of older guidelines;
- ``gps``: ``Good Practice Statement`` / ``GPS`` / ``グッドプラクティスステートメント`` (no grade by definition).

A new scheme is one more `GradeReader` in `READERS` and its table of examples in the tests. Each reader also says
whether its grade is printed after the statement it grades (the usual case) or before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from rag_service.ja_text import SPACES_BETWEEN_JP
from rag_service.types import Direction, Grade

_WORD_CERTAINTY = {"高": "A", "中": "B", "低": "C", "非常に低": "D"}
_OPEN, _CLOSE = r"(【\[〔<《", r")】\]〕>》"  # bracket characters, escaped for a character class


@dataclass(frozen=True, slots=True)
class GradeHit:
    """A printed grade: where it is in the text, what it says, and which reader read it."""

    start: int
    end: int
    grade: Grade
    reader: str
    position: Literal["after", "before", "label"]  # after / before its statement; `label`: marks it (GPS)


@dataclass(frozen=True, slots=True)
class GradeReader:
    name: str
    pattern: re.Pattern[str]
    read: Callable[[re.Match[str]], Grade]
    position: Literal["after", "before", "label"] = "after"


# --- direction ----------------------------------------------------------------------------------------------

_NONE = re.compile(r"推奨(?:を|は)?(?:提示|決定|作成)?(?:でき|し)ない|明確な推奨|推奨なし|推奨度なし|判断できない")
_AGAINST = re.compile(
    r"(?:ない|ず)(?:ことを|よう(?:に)?)[^。]{0,10}?(?:推奨|提案|勧め)"
    r"|(?:推奨|提案)しない|勧められない|べきでない|べきではない|控える(?:ことを|べき)|避ける(?:ことを|べき)"
)
_FOR = re.compile(r"(?:推奨|提案)する|勧められる|勧める|考慮する|すべきである|行う(?:べき|ことが望ましい)")


def direction_of(text: str) -> Direction | None:
    """Which way a statement or a worded grade points: `…しないことを推奨する` → against; `…することを提案する` →
    for; `明確な推奨ができない` → none; None when the words do not say."""
    if _NONE.search(text):
        return Direction.NONE
    if _AGAINST.search(text):
        return Direction.AGAINST
    if _FOR.search(text):
        return Direction.FOR
    return None


# --- readers --------------------------------------------------------------------------------------------------


def _printed(m: re.Match[str]) -> str:
    return SPACES_BETWEEN_JP.sub("", re.sub(r"\s+", " ", m.group(0))).strip()


def _worded(m: re.Match[str], grade: Grade) -> Grade:
    """The printed words' direction (`使用しないことを強く推奨する`), when they give one."""
    return replace(grade, direction=direction_of(m.group(0)), printed=_printed(m))


_LABEL = r"(?:推奨度(?:・エビデンス総体の総括)?|推奨の強さ|推奨グレード|総括|グレード|GRADE)"
# the bracket that opens the line (optional), the label, the 1C code, words in brackets, the closing brackets
_COMBINED = re.compile(
    rf"[{_OPEN}]?\s*{_LABEL}[^\n0-9{_CLOSE}]{{0,24}}?[:\s(]*(?P<s>[12])\s*(?P<c>[A-D])(?![A-Za-z0-9])"
    rf"(?:\s*\([^()\n]{{0,40}}\))?\s*[{_CLOSE}]*"
)
_PAIR = re.compile(
    rf"[{_OPEN}]?\s*(?:推奨度|推奨の強さ)\s*:?\s*(?P<s>[12])\s*[,、/]\s*"
    rf"エビデンスの(?:確実性|強さ)\s*:?\s*(?P<c>[A-D])(?![A-Za-z])\s*[{_CLOSE}]?"
)
_BARE = re.compile(r"[(【\[]\s*(?P<s>[12])\s*(?P<c>[A-D])\s*[)】\]]")


def _combined(m: re.Match[str]) -> Grade:
    return _worded(m, Grade(strength=int(m["s"]), certainty=m["c"]))


_STRENGTH = r"(?:推奨の強さ|推奨度)\s*:?\s*(?P<s>[12])(?![0-9A-Za-z])(?:\s*\((?:強い|弱い)[^()\n]{0,12}\))?"
_CERTAINTY = r"エビデンスの?(?:確実性|強さ|レベル)(?:\s*\([^()\n]{1,10}\))?\s*:?\s*(?P<c>[A-D])(?![A-Za-z])"
_TWO_LINE = re.compile(
    rf"{_STRENGTH}(?:[\s,、]*(?:\([^()\n]{{0,12}}\))?[\s,、]*{_CERTAINTY}(?:\s*\([^()\n]{{0,12}}\))?)?"
    rf"|{_CERTAINTY.replace('<c>', '<c2>')}(?:\s*\([^()\n]{{0,12}}\))?"
)


def _two_line(m: re.Match[str]) -> Grade:
    return _worded(m, Grade(strength=int(m["s"]) if m["s"] else None, certainty=m["c"] or m["c2"]))


_JCS = re.compile(
    r"(?:推奨)?クラス\s*:?\s*(?P<k>IIa|IIb|III|II|I)(?![a-zA-Z])(?:\s*\([^()\n]{0,12}\))?"
    r"(?:[\s,、/]*(?:エビデンス)?レベル\s*:?\s*(?P<c>[A-C])(?![A-Za-z]))?"
)


def _jcs(m: re.Match[str]) -> Grade:
    direction = Direction.AGAINST if m["k"] == "III" else Direction.FOR
    return Grade(rec_class=m["k"], certainty=m["c"], direction=direction, printed=_printed(m))


_CERTAINTY_WORDS = r"(?:エビデンスの)?確実性\s*[:=(]?\s*(?P<c>非常に低|高|中|低)(?:い)?\s*\)?"
_GRADE_WORDS = re.compile(
    rf"(?P<w>強い|弱い|条件付き(?:の)?)推奨(?:\s*\([^()\n]{{0,16}}\))?(?:[\s,、/]*{_CERTAINTY_WORDS})?"
    # a worded grade line: `実施することを弱く推奨する（提案する）。確実性 中` (the verb form needs its certainty)
    rf"|(?m:^)[^\n。]{{0,20}}?(?P<v>強く|弱く)推奨する(?:\s*\([^()\n]{{0,12}}\))?[。\s,、/]*"
    rf"{_CERTAINTY_WORDS.replace('<c>', '<c2>')}"
)


def _grade_words(m: re.Match[str]) -> Grade:
    strong = m["w"] == "強い" or m["v"] == "強く"
    certainty = m["c"] or m["c2"]
    return _worded(m, Grade(strength=1 if strong else 2, certainty=_WORD_CERTAINTY[certainty] if certainty else None))


_MINDS_2007 = re.compile(r"[(【\[]?\s*(?:推奨)?グレード\s*:?\s*(?P<g>C1|C2|A|B|D)(?![A-Za-z0-9])\s*[)】\]]?")
_MINDS_2007_DIRECTION = {"A": Direction.FOR, "B": Direction.FOR, "C1": Direction.FOR, "C2": Direction.AGAINST,
                         "D": Direction.AGAINST}  # fmt: skip


def _minds_2007(m: re.Match[str]) -> Grade:
    return Grade(minds_grade=m["g"], direction=_MINDS_2007_DIRECTION[m["g"]], printed=_printed(m))


GPS = r"Good\s*Practice\s*Statements?|グッドプラクティス・?ステートメント|(?<![A-Za-z])GPS(?![A-Za-z])"
_GPS = re.compile(rf"[(【\[]?\s*(?:{GPS})\s*[)】\]]?", re.I)


def _gps(m: re.Match[str]) -> Grade:
    return Grade(good_practice=True, printed=_printed(m))


READERS: tuple[GradeReader, ...] = (
    GradeReader("minds-combined", _PAIR, _combined),
    GradeReader("minds-combined", _COMBINED, _combined),
    GradeReader("minds-combined", _BARE, _combined),
    GradeReader("minds-two-line", _TWO_LINE, _two_line),
    GradeReader("jcs", _JCS, _jcs),
    GradeReader("grade-words", _GRADE_WORDS, _grade_words),
    GradeReader("minds-2007", _MINDS_2007, _minds_2007),
    GradeReader("gps", _GPS, _gps, position="label"),
)


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    return text.rfind("\n", 0, start) + 1, (e if (e := text.find("\n", end)) >= 0 else len(text))


_FILLER = re.compile(r"^[\s。、.,:;・()（）【】\[\]〔〕]*$")
_STATEMENT_END = ("。", ".", "る", "い", "う", "す")  # `…を推奨する（1C）`, `…が望ましい [2B]`


def _is_grade_line(text: str, start: int, end: int, position: str) -> bool:
    """A printed grade, not a grade mentioned in prose: it stands on its own line(s) or closes a statement's line
    (`…を推奨する（1C）。`); a GPS marker may also open its statement's line (`GPS: …`)."""
    a, b = _line_bounds(text, start, end)
    before, after = text[a:start].strip(), text[end:b]
    if _FILLER.match(after) and (_FILLER.match(before) or before.endswith(_STATEMENT_END)):
        return True
    return position == "label" and _FILLER.match(before) is not None and after.lstrip().startswith(":")


def join_open_brackets(text: str) -> str:
    """`text` with the line breaks inside an open bracket turned into spaces (same length, so offsets hold): a grade
    line wrapped over two lines or across a page break (`（推奨度…：1C（使用することを` / `強く推奨する））`) reads
    as one. A blank line closes every bracket."""
    out = list(text)
    depth = 0
    for i, ch in enumerate(text):
        if ch in "(【[〔":
            depth += 1
        elif ch in ")】]〕":
            depth = max(depth - 1, 0)
        elif ch == "\n":
            if text.startswith("\n\n", i) or depth > 2:
                depth = 0
            elif depth:
                out[i] = " "
    return "".join(out)


def find_grades(text: str) -> list[GradeHit]:
    """Every printed grade in `text` (already through `join_open_brackets`), in order, none overlapping: the
    earliest first, then the longest, then the reader earlier in `READERS`. A grade mentioned inside a sentence
    (`…から推奨度を2Cとした。`) is not a printed grade."""
    found: list[tuple[int, int, int, GradeHit]] = []
    for rank, reader in enumerate(READERS):
        for m in reader.pattern.finditer(text):
            start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
            end = m.start() + len(m.group(0).rstrip())
            if end > start:
                hit = GradeHit(start, end, reader.read(m), reader.name, reader.position)
                found.append((start, start - end, rank, hit))
    out: list[GradeHit] = []
    for _, _, _, hit in sorted(found, key=lambda t: t[:3]):
        if out and hit.start < out[-1].end:
            continue
        if _is_grade_line(text, hit.start, hit.end, hit.position):
            out.append(hit)
    return _merge_halves(text, out)


def _merge_halves(text: str, hits: list[GradeHit]) -> list[GradeHit]:
    """A strength and a certainty printed on consecutive lines by two readers (`強い推奨` / `エビデンスレベル A`) are
    one grade."""
    out: list[GradeHit] = []
    for hit in hits:
        prev = out[-1] if out else None
        if (
            prev is not None
            and _FILLER.match(text[prev.end : hit.start])
            and text[prev.end : hit.start].count("\n") <= 1
            and prev.grade.strength is not None
            and prev.grade.certainty is None
            and hit.grade.certainty is not None
            and hit.grade.strength is None
            and not (prev.grade.rec_class or hit.grade.rec_class or hit.grade.good_practice)
        ):
            printed = f"{prev.grade.printed or ''} {hit.grade.printed or ''}".strip()
            grade = replace(prev.grade, certainty=hit.grade.certainty, printed=printed)
            out[-1] = replace(prev, end=hit.end, grade=grade)
        else:
            out.append(hit)
    return out
