"""SIGKILL `rag ingest` at random points, again and again; after each kill the index must be consistent.

Consistent means: every edition the catalog names has exactly the chunks the catalog says (no half-written edition is
visible), every search hit belongs to an edition the catalog names, and the next run completes; at the end, the
catalog equals that of a clean run of the same manifest (same editions, same edition keys, same chunk counts).

    .venv/bin/python -m eval.kill_ingest 30      # the benchmark (N kills); CI runs a few in tests/integration
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
RAG = [sys.executable, "-m", "rag_service.cli"]


def law_manifest(folder: Path, n: int = 40, skip: int = 0) -> Path:
    """A manifest of `n` statutes of the demo corpus (after the first `skip`), sources copied into `folder`."""
    from tests.conftest import demo_entries, write_manifest

    doc = yaml.safe_load((REPO / "corpora" / "manifest.yaml").read_text(encoding="utf-8"))
    ids = tuple(e["id"] for e in doc["editions"] if e["id"].startswith("law-"))[skip : skip + n]
    folder.mkdir(parents=True, exist_ok=True)
    return write_manifest(folder, demo_entries(ids))


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_EMBEDDER": "none", "HF_HUB_OFFLINE": "1"}


def ingest(data_dir: Path, manifest: Path, kill_after_s: float | None = None) -> int | None:
    """Run `rag ingest`; with `kill_after_s`, SIGKILL it then (None when it had finished before)."""
    proc = subprocess.Popen([*RAG, "ingest", "--manifest", str(manifest)], env=_env(data_dir), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    if kill_after_s is None:
        _, err = proc.communicate(timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"rag ingest failed ({proc.returncode}): {err.decode()[-2000:]}")
        return proc.returncode
    try:
        proc.wait(timeout=kill_after_s)
        return None
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return -9


def check_consistent(data_dir: Path) -> dict[str, Any]:
    """Open the index as search does; raise AssertionError if a half-written edition is visible."""
    from rag_service.catalog import Catalog
    from rag_service.index import open_for_search
    from rag_service.query import SearchQuery
    from rag_service.retrieve import Retriever
    from rag_service.settings import Settings

    settings = Settings(data_dir=data_dir, embedder="none")
    if not (settings.index_dir / "meta.json").exists():
        return {"editions": 0}  # killed before anything was written
    index = open_for_search(settings)
    try:
        catalog = Catalog.from_doc(index.store.read_catalog())
        counts = index.store.edition_counts()
        for entry in catalog.entries.values():
            got = counts.get(entry.edition_key, 0)
            assert got == entry.chunks, f"{entry.source_id}: catalog says {entry.chunks} chunks, the store has {got}"
        active = set(catalog.edition_keys())
        if active:
            retriever = Retriever(index.store, None, settings, None)
            for text in ("医師の届出", "予防接種 健康被害", "薬剤師 調剤"):
                hits = retriever.search(SearchQuery.checked(text, settings.retrieval, 20, "bm25")).hits
                stray = [h.chunk.edition_key for h in hits if h.chunk.edition_key not in active]
                assert not stray, f"search returned chunks of editions the catalog does not name: {stray[:3]}"
        return {"editions": len(catalog.entries), "orphans": sum(n for k, n in counts.items() if k not in active)}
    finally:
        index.close()


def catalog_summary(data_dir: Path) -> list[tuple[str, str, int]]:
    doc = json.loads((data_dir / "index" / "catalog.json").read_text(encoding="utf-8"))
    return sorted((k, v["edition_key"], v["chunks"]) for k, v in doc["editions"].items())


def kill_loop(kills: int, work: Path, n_laws: int = 40, seed: int = 0, max_delay_s: float = 8.0) -> dict[str, Any]:
    """Kill runs that alternate between two overlapping manifests (so every run adds, replaces and removes), then
    finish with the first and compare with a clean run of it."""
    rng = random.Random(seed)
    manifests = [law_manifest(work / "a", n_laws), law_manifest(work / "b", n_laws, skip=n_laws // 2)]
    clean, killed = work / "clean", work / "killed"
    t0 = time.perf_counter()
    ingest(clean, manifests[0])
    clean_s = time.perf_counter() - t0
    outcomes = {"killed": 0, "finished before the kill": 0}
    for i in range(kills):
        got = ingest(killed, manifests[i % 2], kill_after_s=rng.uniform(1.0, min(max_delay_s, clean_s)))
        outcomes["killed" if got == -9 else "finished before the kill"] += 1
        check_consistent(killed)
    ingest(killed, manifests[0])  # the next run completes
    check_consistent(killed)
    assert catalog_summary(killed) == catalog_summary(clean), "after the kills, the catalog differs from a clean run's"
    return {**outcomes, "clean_run_s": round(clean_s, 1), "editions": len(catalog_summary(clean))}


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        print(kill_loop(n, Path(tmp)))
