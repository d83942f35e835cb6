"""Retrieval quality of the service itself: our index and our Retriever, per mode and fusion setting.

    python -m eval.retrieval --data-dir var [--dataset nmle_law|jaqa_wiki] [--out bench-results/retrieval.json]

`nmle_law` (national-exam questions → the statute articles that decide them, graded qrels) is answered by
the demo corpus's statute articles: a hit's `unit_id` is the article's `doc_id`; run `rag ingest` on the demo
manifest first (RAG_DATA_DIR=... rag ingest); the search is limited to the statutes (specialty 法規). For
`jaqa_wiki`, ingest a `.jsonl` of its passages (`doc_id`, `title`, `text`) as one edition into its own data folder.
Reports nDCG@10, recall@10, MRR@10 and median ms per query;
hits are collapsed to units (an article split into several chunks counts once, at its best rank).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import load_dataset
from eval.metrics import mean, mrr_at_k, ndcg_at_k, recall_at_k
from rag_service.dense import load_embedder
from rag_service.retrieve import Filters, Mode, Retriever
from rag_service.settings import RetrievalSettings, Settings
from rag_service.store import open_store


@dataclass(frozen=True)
class Config:
    name: str
    mode: Mode
    fusion: str = "rrf"
    rrf_k: int = 60


CONFIGS = [
    Config("bm25 (fugashi)", "bm25"),
    Config("dense", "dense"),
    Config("hybrid rrf k=60", "hybrid", "rrf", 60),
    Config("hybrid rrf k=2", "hybrid", "rrf", 2),
    Config("hybrid dbsf (default)", "hybrid", "dbsf"),
]


def evaluate(settings: Settings, dataset: str, k: int = 10) -> dict[str, Any]:
    ds = load_dataset(dataset)
    store = open_store(settings)
    meta = store.read_meta()
    if meta is None:
        raise SystemExit(f"no index under {settings.data_dir}: run `rag ingest` first")
    embedder = load_embedder(meta.embedder_id)
    from ingestion.index_writer import index_meta

    store.open(index_meta(embedder, meta.avgdl))
    results: dict[str, Any] = {"dataset": dataset, "queries": len(ds.queries), "embedder": meta.embedder_id}
    # the benchmark's corpus is the statutes: search them only (case reports and guidelines would take slots)
    filters = Filters(specialties=["法規"]) if dataset == "nmle_law" else Filters()
    try:
        for cfg in CONFIGS:
            if cfg.mode != "bm25" and embedder is None:
                continue
            retrieval = RetrievalSettings(fusion=cfg.fusion, rrf_k=cfg.rrf_k)
            retriever = Retriever(store, embedder, settings.model_copy(update={"retrieval": retrieval}))
            ndcg, rec, mrr, ms = [], [], [], []
            for q in ds.queries:
                t0 = time.perf_counter()
                hits = retriever.search(q.text[:2000], 3 * k, cfg.mode, filters).hits
                ms.append((time.perf_counter() - t0) * 1000)
                # an article longer than one chunk comes back once per chunk: rank units, first chunk wins
                ranked = list(dict.fromkeys(h.chunk.unit_id or h.chunk.chunk_id for h in hits))[:k]
                qrels = ds.qrels.get(q.query_id, {})
                ndcg.append(ndcg_at_k(ranked, qrels, k))
                rec.append(recall_at_k(ranked, qrels, k))
                mrr.append(mrr_at_k(ranked, qrels, k))
            results[cfg.name] = {
                f"ndcg@{k}": round(mean(ndcg), 3),
                f"recall@{k}": round(mean(rec), 3),
                f"mrr@{k}": round(mean(mrr), 3),
                "ms_median": round(statistics.median(ms), 1),
            }
    finally:
        store.close()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--dataset", default="nmle_law")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    result = evaluate(Settings(data_dir=args.data_dir), args.dataset)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
