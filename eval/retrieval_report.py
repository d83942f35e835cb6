"""The retrieval evaluation's report: which systems to show, the Markdown table, the PNG, the files on disk."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eval.datasets import RetrievalDataset
    from rag_service.settings import Settings

BASELINE = "bigram BM25 baseline (passages)"
DEFAULT = "DEFAULT: /v1/search hybrid, query_kind auto"
MODE_ROWS = {
    "bm25": "bm25 leg",
    "bigram": "bigram leg",
    "dense": "dense leg",
    "hybrid": DEFAULT,
    "hybrid+rerank": "hybrid+rerank (RAG_RERANKER)",
}
MODES = ("bm25", "bigram", "dense", "hybrid", "hybrid+rerank")
REFERENCE_ROWS = ("dbsf bm25+dense (old default)", "rrf2 bm25+dense", "rrf60 bm25+dense")


def select_systems(per_system: Mapping[str, Any], modes: Sequence[str], grid: bool) -> dict[str, Any]:
    """The rows a run shows: the chosen modes, the bigram baseline, the reference fusions, and with `grid` every
    grid configuration (unknown mode names are an error that lists the known ones)."""
    unknown = [m for m in modes if m not in MODE_ROWS]
    if unknown:
        raise ValueError(f"unknown mode(s) {', '.join(unknown)}: choose from {', '.join(MODES)}")
    keep = {MODE_ROWS[m] for m in modes} | {BASELINE, *REFERENCE_ROWS}
    return {
        name: rows
        for name, rows in per_system.items()
        if name in keep or (grid and not name.endswith(" leg") and name not in MODE_ROWS.values())
    }


def markdown(summary: dict[str, Any], title: str, metric: str = "ndcg@10") -> str:
    lines = [f"## {title}", ""]
    for subset, block in summary.items():
        best = block["best_leg"] or "none shown"
        lines += [f"### {subset} ({block['n']} queries; best single leg: {best})", ""]
        if "latency_ms" in block:
            lat = block["latency_ms"]
            lines += [f"Default search in process, top 10: median {lat['median']} ms, p95 {lat['p95']} ms.", ""]
        lines += [
            f"| system | {metric} | 95% CI | Δ best leg (p) | Δ bigram baseline (p) | R@1 | R@10 | R@100 | MRR@10 |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, row in sorted(block["systems"].items(), key=lambda kv: -kv[1][metric]):
            lo, hi = row["ci95"]
            d1, d2 = row.get("vs_best_leg"), row["vs_bigram_baseline"]
            vs_leg = f"{d1['diff']:+.3f} ({d1['p']:.3f})" if d1 else "–"
            lines.append(
                f"| {name} | {row[metric]:.3f} | {lo:.3f}–{hi:.3f} | {vs_leg} | {d2['diff']:+.3f} ({d2['p']:.3f}) | "
                f"{row['recall@1']:.3f} | {row['recall@10']:.3f} | {row['recall@100']:.3f} | {row['mrr@10']:.3f} |"
            )
        lines.append("")
    return "\n".join(lines)


JA_LABELS = {
    "bm25 leg": "BM25（形態素）",
    "bigram leg": "文字バイグラム",
    "dense leg": "密ベクトル",
    DEFAULT: "既定のハイブリッド",
    "hybrid+rerank (RAG_RERANKER)": "ハイブリッド＋再ランキング",
    BASELINE: "バイグラムBM25（基準）",
    "dbsf bm25+dense (old default)": "旧既定（DBSF 2脚）",
    "rrf2 bm25+dense": "RRF k=2",
    "rrf60 bm25+dense": "RRF k=60",
}
SUBSET_LABELS = {"all": "全クエリ", "medical": "医療", "non-medical": "医療以外"}


def plot_png(summary: dict[str, Any], title: str, path: Path, metric: str = "ndcg@10") -> None:
    """Grouped bars (one group per system, one bar per subset) with the 95% intervals; Japanese labels render with
    the IPAex Gothic font that `matplotlib-fontja` ships (no system font needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib_fontja  # noqa: F401  (sets a Japanese font family)

    names = [n for n in JA_LABELS if n in summary["all"]["systems"]]
    names += sorted(n for n in summary["all"]["systems"] if n not in JA_LABELS)[:6]
    subsets = list(summary)
    width = 0.8 / len(subsets)
    fig, ax = plt.subplots(figsize=(max(8.0, 1.1 * len(names)), 4.8), dpi=110)
    for j, subset in enumerate(subsets):
        rows = summary[subset]["systems"]
        xs = [i + (j - (len(subsets) - 1) / 2) * width for i in range(len(names))]
        means = [rows[n][metric] for n in names]
        errs = [[m - rows[n]["ci95"][0] for m, n in zip(means, names, strict=True)],
                [rows[n]["ci95"][1] - m for m, n in zip(means, names, strict=True)]]  # fmt: skip
        label = f"{SUBSET_LABELS.get(subset, subset)}（{summary[subset]['n']}問）"
        ax.bar(xs, means, width, yerr=errs, capsize=3, label=label)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([JA_LABELS.get(n, n) for n in names], rotation=25, ha="right", fontsize=8)
    ax.set_ylabel(f"{metric}（95%信頼区間）")
    ax.set_ylim(0.0, 1.08)
    ax.set_title(f"検索評価: {title}", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(
    folder: Path, title: str, summary: dict[str, Any], result: dict[str, Any], ds: RetrievalDataset, settings: Settings
) -> None:
    """report.json, report.md, report.png and per_query.jsonl (every shown system's scores for each query)."""
    folder.mkdir(parents=True, exist_ok=True)
    r = settings.retrieval
    config = {
        "embedder": settings.embedder,
        "fusion": r.fusion,
        "weights": r.leg_weights(),
        "prefetch_limit": r.prefetch_limit,
        "reranker": settings.reranker,
        "chunk_max_chars": settings.chunking.max_chars,
    }
    doc = {"title": title, "config": config, "summary": summary}
    (folder / "report.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "report.md").write_text(markdown(summary, title), encoding="utf-8")
    plot_png(summary, title, folder / "report.png")
    with (folder / "per_query.jsonl").open("w", encoding="utf-8") as f:
        for i, q in enumerate(ds.queries):
            row = {name: rows[i] for name, rows in result["per_system"].items()}
            f.write(json.dumps({"query_id": q.query_id, "scores": row}, ensure_ascii=False) + "\n")
