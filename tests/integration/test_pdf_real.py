"""The 17 real Japanese PDFs in ../shared/data/pdfs: Japanese characters recovered, vertical text, Kangxi radicals.

Counting rule (`ingestion.normalize.count_japanese`), the same on both sides: after `normalize_chars` (NFKC, dash
and tilde folding), count U+3001–U+303F (Japanese punctuation), hiragana, katakana, CJK unified ideographs and
extension A, and CJK compatibility ideographs. The reference side is `expected_text_pdfminer/<name>.txt` counted
with the same rule; ours is the text of `extract_pages` (running lines removed). Tolerance: ours >= 90% of it.
(`jp_chars_pdfminer` in the manifest counts hiragana, katakana and U+4E00–U+9FFF on the raw text; it is checked
too, with the same tolerance.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ingestion.normalize import count_japanese, normalize_text
from ingestion.pdf import extract_pages

pytestmark = pytest.mark.shared_data

TOLERANCE = 0.9
# PyMuPDF genuinely cannot read these; each is asserted to still fail, so a fix shows up as an XPASS.
KNOWN_UNREADABLE = {
    "simple3_hello_aiueo.pdf": "hand-made, malformed PDF (no xref, dictionaries without <<>>) whose Japanese font "
    "uses the bare predefined CMap /V with a non-embedded Ryumin-Light CIDFont: MuPDF emits the raw JIS bytes "
    "('$\"$$$&') instead of あいうえお",
}
PHRASES = {
    "denki_yohin_excerpt_issue15340.pdf": "検知機構を一つの箱内に収めたもの",
    "denki_yohin_excerpt_issue15759.pdf": None,
    "denki_yohin_interpretation_issue16063.pdf": "ねじなし端子であって、工具を用いずに電線の接続を行うことができる",
    "kanpou_4817_official_gazette.pdf": "道路交通法施行令",
    "miyazawa_haru_to_shura_jo_vertical.pdf": "大正十三年一月廿日宮澤賢治",
    "vertical.pdf": "日本語",
}
_JP_PAIR_SPACE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff] [\u3040-\u30ff\u4e00-\u9fff]")


def _manifest(shared_data: Path) -> list[dict[str, object]]:
    return json.loads((shared_data / "pdfs" / "manifest.json").read_text(encoding="utf-8"))


def _names() -> list[str]:
    """File names for parametrisation (collection time); the `shared_data` fixture skips or fails when absent."""
    path = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pdfs" / "manifest.json"
    if not path.is_file():
        return ["<no shared data>"]
    return [str(row["file"]) for row in json.loads(path.read_text(encoding="utf-8"))]


def _param(name: str) -> object:
    if name in KNOWN_UNREADABLE:
        return pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_UNREADABLE[name], strict=True))
    return name


@pytest.mark.parametrize("name", [_param(n) for n in _names()])
def test_japanese_characters_recovered(shared_data: Path, name: str) -> None:
    row = next(r for r in _manifest(shared_data) if r["file"] == name)
    pdfs = shared_data / "pdfs"
    expected = count_japanese((pdfs / "expected_text_pdfminer" / f"{Path(name).stem}.txt").read_text("utf-8"))
    text = "\n".join(p.text for p in extract_pages(pdfs / name))
    ours = count_japanese(text)
    assert ours >= TOLERANCE * expected, f"{name}: {ours} Japanese characters, pdfminer text has {expected}"
    assert ours >= TOLERANCE * int(str(row["jp_chars_pdfminer"]))
    assert not _JP_PAIR_SPACE.search(text), f"{name}: a space between Japanese characters"
    assert not re.search("[\u2f00-\u2fdf]", text), f"{name}: Kangxi radicals left"


@pytest.mark.parametrize(("name", "phrase"), [(n, p) for n, p in PHRASES.items() if p])
def test_vertical_and_kangxi_text_reads_as_japanese(shared_data: Path, name: str, phrase: str) -> None:
    pdfs = shared_data / "pdfs"
    reference = normalize_text((pdfs / "expected_text_pdfminer" / f"{Path(name).stem}.txt").read_text("utf-8"))
    assert phrase in reference.replace("\n", "")
    text = "".join(p.text for p in extract_pages(pdfs / name))
    assert phrase in text.replace("\n", "")
    if "vertical" in name or "kanpou" in name:
        lines = [line for line in text.splitlines() if line.strip()]
        assert sum(len(line) for line in lines) / len(lines) > 5, "vertical text still one character per line"
