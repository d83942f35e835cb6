"""Pure text normalisation for extracted Japanese text: code points, dashes, tildes, wrapped lines, running lines.

Choices (the same function runs on index text and query text):

- NFKC first: Kangxi radicals (⼀ U+2F00) become the ideographs they stand for (一), full-width ASCII becomes
  ASCII (``２型`` → ``2型``, ``（`` → ``(``), half-width katakana becomes full-width.
- Dashes fold to ASCII ``-``: U+2010–U+2015, U+2212 (minus), U+FE58, U+FE63, U+FF0D and U+0336 (the combining
  overlay PyMuPDF emits for an em dash). The prolonged sound mark ``ー`` (U+30FC) is never touched.
- Tildes fold to ASCII ``~``: 〜 (U+301C), ～ (U+FF5E, which NFKC already maps to ``~``), ∼ (U+223C), 〰 (U+3030).
- Wrapped lines are joined: no space when either side is Japanese (kana, kanji, Japanese punctuation), one space
  between Latin words, nothing after a trailing hyphen. A newline stays after a sentence end (。!?), around
  blank lines (paragraphs), before and after table rows (`` | ``), before a heading, list item or recommendation
  label, and after a short heading line. Vertical text that arrives one character per line becomes running text.
- Runs of spaces collapse to one; spaces between two Japanese characters are removed.
"""

from __future__ import annotations

import re
from collections import Counter

from rag_service.ja_text import JP_CHAR_RE, SPACES_BETWEEN_JP, normalize_chars
from rag_service.types import PageText

_SENTENCE_END = ("。", "!", "?")
_CLOSING = (")", "」", "』", "】", "〕", "〉", "》")  # a closing bracket after 。 belongs to the sentence
TABLE_SEP = " | "
_HEADING = (
    r"第[0-9一二三四五六七八九十百]+[章節部編款]"
    r"|(?:区分\s*)?[A-N]\d{3}(?:-\d{1,2})*\s"  # a fee schedule's 区分 entry (A000 初診料)
    r"|(?:CQ|BQ|FQ|FRQ)\s*\d"
    r"|\d{1,2}(?:[.\-]\d{1,2})*\.?\s+(?![a-z%])\S"
    r"|\(?\d{1,2}\)\s*\S"
    r"|\d{1,2}\.(?![\d.])\s*(?=[^\x00-\x7f])"  # a numbered item set without a space: `2.腎機能…` (`１．` after NFKC)
    r"|[IVX]{1,5}\.\s*\S"
    r"|#{1,6}\s"
    r"|【"
)
_LABEL = (
    r"(?:推奨文|推奨の強さ|推奨度|推奨(?=\s*$)|推奨(?=\s*(?:\d|[①-⑳]))|エビデンスの(?:確実性|強さ|レベル)|エビデンスレベル|解説|背景・目的|背景"
    r"|Good Practice Statement|GPS|グッドプラクティス・?ステートメント)"
    r"(?=[\s:0-9A-D(]|$)"
)
_HEADING_START = re.compile(f"(?:{_HEADING})")
_BLOCK_START = re.compile(f"(?:{_HEADING}|{_LABEL}|[・●○■□◆◇▶►•※◎]\\s*\\S)")
_LABEL_ONLY = re.compile(f"{_LABEL}\\s*(?:\\d+(?:-\\d+)*|[①-⑳])?\\s*[:]?$")  # 推奨, 推奨1, 推奨の強さ:
_SHORT_HEADING = 30


def is_japanese(ch: str) -> bool:
    """Kana, kanji (CJK unified, extension A, compatibility) or Japanese punctuation (U+3001–U+303F)."""
    return bool(JP_CHAR_RE.match(ch))


def count_japanese(s: str) -> int:
    """Japanese characters in `s` after `normalize_chars` (Kangxi radicals count as their ideographs, 〜 as ~).

    Counted: U+3001–U+303F (Japanese punctuation), hiragana, katakana, CJK unified ideographs and extension A,
    CJK compatibility ideographs. Full-width ASCII becomes ASCII under NFKC and is not counted.
    """
    return len(JP_CHAR_RE.findall(normalize_chars(s)))


def _keeps_newline(cur: str, nxt: str) -> bool:
    """Whether the line break between the (accumulated) line `cur` and the next line `nxt` is a real one."""
    if not cur or not nxt:
        return True
    if cur.endswith(_SENTENCE_END):
        return not nxt.startswith(_CLOSING)
    if TABLE_SEP in cur or TABLE_SEP in nxt or _BLOCK_START.match(nxt) or _bracketed(cur):
        return True
    return bool(_LABEL_ONLY.match(cur) or (_HEADING_START.match(cur) and len(cur) <= _SHORT_HEADING))


def _bracketed(line: str) -> bool:
    """A line that is one bracketed unit (`（推奨度・エビデンス総体の総括：1C（…））`, `【推奨度 2, …】`): it ends
    there."""
    if line[:1] not in "(【[〔" or line[-1:] not in ")】]〕":
        return False
    depth = 0
    for i, ch in enumerate(line):
        depth += ch in "(【[〔"
        depth -= ch in ")】]〕"
        if depth == 0 and i < len(line) - 1:
            return False
    return depth == 0


def _join(cur: str, nxt: str) -> str:
    a, b = cur[-1], nxt[0]
    if is_japanese(a) or is_japanese(b) or (a == "-" and cur[-2:-1].isalpha()):
        return cur + nxt
    return cur + " " + nxt


def join_wrapped_lines(s: str) -> str:
    """Join lines that a layout wrapped; keep paragraph breaks (one blank line) and real line ends."""
    out: list[str] = []
    cur = ""
    blank = False
    for line in s.split("\n"):
        if not line:
            blank = bool(cur) or blank
            continue
        if cur and (blank or _keeps_newline(cur, line)):
            out.append(cur + ("\n" if blank else ""))
            cur = line
        else:
            cur = _join(cur, line) if cur else line
        blank = False
    if cur:
        out.append(cur)
    return "\n".join(out)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufff0-\ufffd\U000f0000-\U0010ffff]")


def strip_control(s: str) -> str:
    """Characters that are not text: C0/C1 controls (a check box extracts as U+0000), private-use code points (a
    bullet drawn from a symbol font: U+F0D8) and the replacement/special block. Removed before the quality gate."""
    return _CONTROL.sub("", s)


def normalize_text(s: str) -> str:
    """Normalise extracted text for indexing and for queries (see the module docstring for every rule)."""
    return SPACES_BETWEEN_JP.sub("", join_wrapped_lines(normalize_chars(strip_control(s)))).strip()


# --- running headers, footers and page numbers -------------------------------------------------------------

_DASHY = "-‐–—―ーｰ一~ "  # OCR reads a footer's dashes as ー or 一 (`ーー45 ーー`)
_PAGE_NUMBER = re.compile(
    rf"^(?:[{_DASHY}]*\d{{1,4}}[{_DASHY}]*|\d{{1,4}}\s*/\s*\d{{1,4}}|(?:p|P|page|Page)\.?\s*\d{{1,4}}|\d{{1,4}}\s*頁"
    r"|\(\d{1,4}\))$"
)
_DASH_ONLY = re.compile(f"^[{_DASHY}]+$")
_EDGE = 1  # lines counted as running-line candidates on each end of a page (labels repeat just inside them)
_STRIP_MAX = 3  # lines at most removed from each end of a page
_MIN_PAGES = 3


def _line_key(line: str) -> str:
    return re.sub(r"\d+", "#", normalize_chars(line)).replace(" ", "")


def _is_page_number(line: str) -> bool:
    """`- 3 -`, `3 / 10`, `p. 3`, `3頁`, `(3)`; and a line of dashes alone (OCR splits `ーー 45 ーー` into lines)."""
    line = normalize_chars(line).strip()
    return bool(_PAGE_NUMBER.match(line) or _DASH_ONLY.match(line))


def _cell_keys(line: str) -> set[str]:
    """A line's key, and its cells' keys when it is a row (`0100 各施設の役割と対応 | …マニュアル(2025.09.09 版)`: a
    running header whose left half changes with the chapter and whose right half repeats)."""
    keys = {_line_key(line)}
    if TABLE_SEP in line:
        keys |= {k for cell in line.split(TABLE_SEP) if len(k := _line_key(cell)) >= _MIN_CELL_KEY}
    return {k for k in keys if len(k) >= 2}


_MIN_CELL_KEY = 6


def _edge_keys(text: str) -> set[tuple[str, str]]:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    top = {("top", k) for ln in lines[:_EDGE] for k in _cell_keys(ln)}
    return top | {("bottom", k) for ln in lines[-_EDGE:] for k in _cell_keys(ln)}


def _running_keys(pages: list[PageText]) -> set[str]:
    if len(pages) < _MIN_PAGES:
        return set()
    counts = Counter(k for p in pages for k in _edge_keys(p.text))
    return {k for (_, k), n in counts.items() if n >= max(2, (len(pages) + 1) // 2)}


def _strip_edges(text: str, running: set[str]) -> str:
    lines = text.split("\n")

    def drop(line: str) -> bool:
        return not line.strip() or _is_page_number(line) or bool(_cell_keys(line) & running)

    start, end, dropped = 0, len(lines), 0
    while start < end and drop(lines[start]) and dropped < _STRIP_MAX:
        dropped += bool(lines[start].strip())
        start += 1
    dropped = 0
    while end > start and drop(lines[end - 1]) and dropped < _STRIP_MAX:
        dropped += bool(lines[end - 1].strip())
        end -= 1
    return "\n".join(lines[start:end])


def strip_running_lines(pages: list[PageText]) -> list[PageText]:
    """Remove running headers/footers and page numbers from the top and bottom of each page.

    A line is running when, with its digits masked ("- 3 -", "3 / 10", "p. 3" all match their siblings), it is among
    the first (or the last) line of at least half the pages of a document of three or more pages. A line that is
    only a page number is removed from the top or bottom of any page.
    """
    running = _running_keys(pages)
    return [PageText(page=p.page, text=_strip_edges(p.text, running)) for p in pages]
