"""`rag eval pii`: precision and recall of the patient-data masker per type, on labelled Japanese clinical sentences.

The sets (eval/data/pii/dev.jsonl and the held-out test.jsonl, written independently) mark each span inline as
⟦TYPE:surface⟧. A gold span is *found* when every one of its characters is masked (by a span of any type: what
matters for privacy is that it does not leave); *typed* when a predicted span of its own type overlaps it. A predicted
span is *right* when it overlaps a gold span. Eponymous diseases (橋本病 …) in the text must never be masked. Speed is
characters per second on one core over the whole set (median of repeats).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag_service.pii import TYPES, PiiSpan, find_pii, words

DATA = Path(__file__).parent / "data" / "pii"
# `rag eval pii` with no arguments: the tuning sets (the newest first), the older sets, then the measuring set
DEFAULT_SETS = ("fresh_dev3", "fresh_dev2", "fresh_dev", "dev", "test", "heldout", "fresh")
# measuring sets: their misses and false positives are never listed or written (figures only): not for tuning
BLIND_SETS = frozenset({"fresh"})
MARK = re.compile(r"⟦([A-Z_]+):(.*?)⟧")
EPONYMS = words(
    "橋本病 バセドウ病 川崎病 クローン病 パーキンソン病 ギラン・バレー症候群 ベーチェット病 "
    "高安動脈炎 アルツハイマー シェーグレン症候群 ホジキンリンパ腫 アジソン病 クッシング症候群 "
    "メニエール病 ウェルニッケ脳症 レビー小体 ハンチントン病 ウィルソン病 ファロー四徴症 "
    "マルファン症候群 スティーブンス・ジョンソン症候群 ブルガダ症候群 バレット食道 菊池病 "
    "小林スコア 江上スコア 佐野スコア Hoehn-Yahr Killip Child-Pugh "
)


@dataclass(frozen=True)
class Labelled:
    id: str
    style: str
    text: str
    spans: list[PiiSpan]


def parse_marked(marked: str) -> tuple[str, list[PiiSpan]]:
    """`患者 ⟦NAME:山田 太郎⟧ 様` → ("患者 山田 太郎 様", [PiiSpan(3, 8, "NAME")])."""
    parts: list[str] = []
    spans: list[PiiSpan] = []
    pos = length = 0
    for m in MARK.finditer(marked):
        if m.group(1) not in TYPES:
            raise ValueError(f"unknown type {m.group(1)!r}")
        parts.append(marked[pos : m.start()])
        length += m.start() - pos
        spans.append(PiiSpan(length, length + len(m.group(2)), m.group(1)))
        parts.append(m.group(2))
        length += len(m.group(2))
        pos = m.end()
    parts.append(marked[pos:])
    text = "".join(parts)
    if "⟦" in text or "⟧" in text:
        raise ValueError("unbalanced ⟦ ⟧ markup")
    return text, spans


def load_labelled(path: Path) -> list[Labelled]:
    rows = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            text, spans = parse_marked(doc["text"])
        except (ValueError, KeyError) as e:
            raise ValueError(f"{path}:{line_no}: {e}") from e
        rows.append(Labelled(str(doc["id"]), str(doc.get("style", "")), text, spans))
    return rows


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (95% by default) of a proportion k/n: stays inside [0, 1] and is sound at 0 and n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4))


def _overlaps(a: PiiSpan, b: PiiSpan) -> bool:
    return a.start < b.end and b.start < a.end


def score(rows: Sequence[Labelled], predict: Callable[[str], list[PiiSpan]] = find_pii) -> dict[str, Any]:
    per: dict[str, dict[str, int]] = {t: {"gold": 0, "found": 0, "typed": 0, "predicted": 0, "right": 0} for t in TYPES}
    misses: list[dict[str, str]] = []
    false: list[dict[str, str]] = []
    eponyms_masked: list[str] = []
    clean_rows = clean_untouched = 0
    for row in rows:
        predicted = predict(row.text)
        masked = [False] * len(row.text)
        for p in predicted:
            for i in range(p.start, p.end):
                masked[i] = True
        for g in row.spans:
            c = per[g.type]
            c["gold"] += 1
            if all(masked[g.start : g.end]):
                c["found"] += 1
            else:
                misses.append({"id": row.id, "type": g.type, "span": row.text[g.start : g.end]})
            c["typed"] += any(p.type == g.type and _overlaps(p, g) for p in predicted)
        for p in predicted:
            c = per[p.type]
            c["predicted"] += 1
            if any(_overlaps(p, g) for g in row.spans):
                c["right"] += 1
            else:
                false.append({"id": row.id, "type": p.type, "span": row.text[p.start : p.end]})
        for e in EPONYMS:
            for m in re.finditer(re.escape(e), row.text):
                if any(masked[m.start() : m.end()]):
                    eponyms_masked.append(f"{row.id}: {e}")
        if not row.spans:
            clean_rows += 1
            clean_untouched += not predicted
    types = {}
    for t, c in per.items():
        types[t] = {
            **c,
            "recall": round(c["found"] / c["gold"], 4) if c["gold"] else None,
            "recall_ci": wilson(c["found"], c["gold"]) if c["gold"] else None,
            "typed_recall": round(c["typed"] / c["gold"], 4) if c["gold"] else None,
            "precision": round(c["right"] / c["predicted"], 4) if c["predicted"] else None,
            "precision_ci": wilson(c["right"], c["predicted"]) if c["predicted"] else None,
        }
    gold = sum(c["gold"] for c in per.values())
    found = sum(c["found"] for c in per.values())
    predicted_n = sum(c["predicted"] for c in per.values())
    right = sum(c["right"] for c in per.values())
    return {
        "rows": len(rows),
        "types": types,
        "overall": {
            "gold": gold,
            "recall": round(found / gold, 4) if gold else None,
            "recall_ci": wilson(found, gold) if gold else None,
            "predicted": predicted_n,
            "precision": round(right / predicted_n, 4) if predicted_n else None,
            "precision_ci": wilson(right, predicted_n) if predicted_n else None,
        },
        "rows_without_pii": clean_rows,
        "rows_without_pii_untouched": clean_untouched,
        "eponyms_masked": eponyms_masked,
        "misses": misses,
        "false_positives": false,
    }


def chars_per_second(rows: Sequence[Labelled], repeats: int = 5) -> float:
    texts = [r.text for r in rows]
    n = sum(len(t) for t in texts)
    find_pii(texts[0])  # the tagger loads once
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for t in texts:
            find_pii(t)
        times.append(time.perf_counter() - t0)
    return n / statistics.median(times)


def _fmt(value: float | None, ci: tuple[float, float] | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f} [{ci[0]:.3f}–{ci[1]:.3f}]" if ci else f"{value:.3f}"


def pii_markdown(results: dict[str, dict[str, Any]], misses: bool = True) -> str:
    """Per set: recall and precision per type with 95% Wilson intervals, what was masked that must not be, speed;
    then every miss and false positive (`misses=False` leaves them out; a measuring set's never are: BLIND_SETS)."""
    lines = []
    for name, r in results.items():
        lines += [f"### {name}: {r['rows']} sentences ({r['rows_without_pii']} without patient data)", ""]
        lines += ["| type | gold | recall [95% CI] | typed recall | predicted | precision [95% CI] |"]
        lines += ["|---|---:|---:|---:|---:|---:|"]
        for t, c in r["types"].items():
            typed = "–" if c["typed_recall"] is None else f"{c['typed_recall']:.3f}"
            lines.append(
                f"| {t} | {c['gold']} | {_fmt(c['recall'], c['recall_ci'])} | {typed} | {c['predicted']} | "
                f"{_fmt(c['precision'], c['precision_ci'])} |"
            )
        o = r["overall"]
        lines += [
            f"| all | {o['gold']} | {_fmt(o['recall'], o['recall_ci'])} | | {o['predicted']} | "
            f"{_fmt(o['precision'], o['precision_ci'])} |",
            "",
            f"Eponymous diseases masked: {len(r['eponyms_masked'])}. Sentences without patient data left untouched: "
            f"{r['rows_without_pii_untouched']}/{r['rows_without_pii']}. Speed: {r['chars_per_s']:,.0f} characters/s "
            "on one core.",
            "",
        ]
        if misses and "misses" in r:
            lines += [f"Misses ({len(r['misses'])}):", ""]
            lines += [f"- {m['id']} {m['type']}: 「{m['span']}」" for m in r["misses"]]
            lines += ["", f"Masked but not patient data ({len(r['false_positives'])}):", ""]
            lines += [f"- {m['id']} {m['type']}: 「{m['span']}」" for m in r["false_positives"]]
            lines.append("")
    return "\n".join(lines)


def run_pii_eval(paths: Sequence[Path], out: Path | None = None, misses: bool = True) -> tuple[str, dict[str, Any]]:
    results = {}
    for path in paths:
        rows = load_labelled(path)
        r = score(rows)
        r["chars_per_s"] = round(chars_per_second(rows))
        if path.stem in BLIND_SETS:  # figures only: what it missed is not for reading
            r["misses_n"], r["false_positives_n"] = len(r.pop("misses")), len(r.pop("false_positives"))
            r["eponyms_masked"] = [e.split(": ", 1)[1] for e in r["eponyms_masked"]]
        results[path.stem] = r
    text = pii_markdown(results, misses)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        (out / "report.md").write_text(text, encoding="utf-8")
    return text, results
