"""The exam run's report: accuracy per condition with Wilson 95% intervals, McNemar's exact test RAG vs closed book,
breakdowns (exam, year, category, single vs multi answer), 禁忌肢 chosen, fallback-parsed answers, questions left
out, and, where the questions have statute qrels (nmle_law), accuracy with and without a deciding article among the
sources the model saw. Pure functions over the result rows, plus the writer."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.exam_harness import ExamQuestion

PLUMBING = (
    "**These numbers measure the plumbing, not medicine**: the generator is the embedded demo model (gemma3-270m), "
    "which cannot answer exam questions."
)


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion k/n ((0, 0) when n is 0)."""
    if n == 0:
        return 0.0, 0.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: b = right only under A, c = right only under B (binomial, p = 0.5)."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def _accuracy(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    k, n = sum(bool(r["correct"]) for r in rows), len(rows)
    lo, hi = wilson(k, n)
    return {"n": n, "correct": k, "accuracy": round(k / n, 4) if n else 0.0, "ci95": [round(lo, 4), round(hi, 4)]}


def summarise_exam(
    questions: Sequence[ExamQuestion],
    rows: Sequence[Mapping[str, Any]],
    conditions: Sequence[str],
    qrels: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, Any]:
    by_id = {q.id: q for q in questions}
    left_out = Counter(reason for q in questions if (reason := q.left_out()) is not None)
    out: dict[str, Any] = {
        "in_files": len(questions),
        "asked": len({r["id"] for r in rows}),
        "left_out": dict(left_out),
        "conditions": {},
    }
    for cond in conditions:
        mine = [r for r in rows if r["condition"] == cond]
        block = _accuracy(mine)
        block["kinki_chosen"] = sum(bool(r.get("kinki_chosen")) for r in mine)
        block["unreadable"] = sum(not r["letters"] for r in mine)
        block["fallback_parsed"] = sum(int(r.get("fallback", 0)) > 0 for r in mine)
        block["median_latency_s"] = sorted(r["latency_s"] for r in mine)[len(mine) // 2] if mine else 0.0
        for label, key in (("by_exam", "exam"), ("by_year", "year"), ("by_category", "category")):
            groups: dict[str, list[Mapping[str, Any]]] = {}
            for r in mine:
                groups.setdefault(str(getattr(by_id[r["id"]], key) or "-"), []).append(r)
            block[label] = {g: _accuracy(rs) for g, rs in sorted(groups.items())}
        kinds = {"single": [r for r in mine if len(by_id[r["id"]].accepted[0]) == 1]}
        kinds["multi"] = [r for r in mine if len(by_id[r["id"]].accepted[0]) > 1]
        block["by_answer_count"] = {k: _accuracy(v) for k, v in kinds.items() if v}
        if qrels and cond != "closed":
            block["retrieval_link"] = _retrieval_link(mine, qrels)
        out["conditions"][cond] = block
    for rag in ("rag", "rag-vote"):
        if "closed" in conditions and rag in conditions:
            closed = {r["id"]: bool(r["correct"]) for r in rows if r["condition"] == "closed"}
            with_rag = {r["id"]: bool(r["correct"]) for r in rows if r["condition"] == rag}
            both = closed.keys() & with_rag.keys()
            b = sum(with_rag[i] and not closed[i] for i in both)
            c = sum(closed[i] and not with_rag[i] for i in both)
            out[f"mcnemar_{rag}_vs_closed"] = {"rag_only": b, "closed_only": c, "p": round(mcnemar_exact(b, c), 4)}
    return out


def _retrieval_link(rows: Sequence[Mapping[str, Any]], qrels: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
    """Accuracy when a deciding article (grade 2) was among the sources the model saw, and when it was not."""
    judged = [r for r in rows if r["id"] in qrels]
    hit = [r for r in judged if {d for d, g in qrels[r["id"]].items() if g >= 2} & set(r.get("source_units") or ())]
    missed = [r for r in judged if r not in hit]
    return {"judged": len(judged), "deciding_article_seen": _accuracy(hit), "not_seen": _accuracy(missed)}


def exam_markdown(summary: Mapping[str, Any], title: str, plumbing: bool) -> str:
    lines = [PLUMBING, ""] if plumbing else []
    left = ", ".join(f"{k} {v}" for k, v in summary["left_out"].items()) or "none"
    lines += [f"## {title}", "", f"{summary['in_files']} questions in the files; left out: {left}; asked: "
              f"{summary['asked']}.", ""]  # fmt: skip
    lines += ["| condition | accuracy | 95% CI | n | 禁忌肢 chosen | unreadable | fallback-parsed | median s |"]
    lines += ["|---|---:|---|---:|---:|---:|---:|---:|"]
    for cond, b in summary["conditions"].items():
        lo, hi = b["ci95"]
        lines.append(
            f"| {cond} | {b['accuracy']:.3f} | {lo:.3f}–{hi:.3f} | {b['n']} | {b['kinki_chosen']} | "
            f"{b['unreadable']} | {b['fallback_parsed']} | {b['median_latency_s']} |"
        )
    for key, test in summary.items():
        if key.startswith("mcnemar_"):
            lines += ["", f"McNemar ({key.removeprefix('mcnemar_')}): right only with RAG {test['rag_only']}, "
                      f"right only closed book {test['closed_only']}, exact p = {test['p']}."]  # fmt: skip
    for cond, b in summary["conditions"].items():
        link = b.get("retrieval_link")
        if link and link["judged"]:
            seen, not_seen = link["deciding_article_seen"], link["not_seen"]
            lines += [
                "",
                f"{cond}: with a deciding article among the sources {seen['correct']}/{seen['n']} right; "
                f"without {not_seen['correct']}/{not_seen['n']} ({link['judged']} questions with qrels).",
            ]
    return "\n".join(lines) + "\n"


def write_exam_report(folder: Path, title: str, summary: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    plumbing = "gemma3-270m" in str(config.get("model", ""))
    doc = {"title": title, "plumbing_only": plumbing, "config": dict(config), "summary": dict(summary)}
    (folder / "report.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "report.md").write_text(exam_markdown(summary, title, plumbing), encoding="utf-8")
