"""Retrieval quality of the service itself, on the full benchmark corpora, with 95% intervals and paired tests.

    python -m eval.retrieval --dataset jaqa_wiki|nmle_law [--work-dir bench-results/eval] [--out DIR] [--limit N]

The corpus (all 13,447 jaqa_wiki passages, or all 4,386 statute articles for nmle_law) becomes one `.jsonl`
edition and goes through the real ingestion path into an index under `--work-dir`, reused while the corpus,
the pipeline and the embedder are unchanged. Every query goes through the pipeline `/v1/search` runs, in the
container the service opens: the query made and checked as the service makes it (`service.convert.search_query`:
a query over RAG_RETRIEVAL__MAX_QUERY_CHARS is refused, as the service refuses it), planned (`Retriever.plan`),
each leg's ranking fetched once (top 100, one batched engine call), fused by `rag_service.retrieve.fused_ranking`
(the default row is exactly the service's fused ranking; every other configuration is the same function with other
weights over the same rankings). Hits are collapsed to units
(a passage or article split into several chunks counts once, at its best rank). A character-bigram BM25 over
the whole passages (`eval.bigram_baseline`) is computed in the same run as the outside baseline.

Reports graded nDCG@10, Recall@10/100, MRR@10 per configuration and subset, each with a bootstrap 95% interval,
and a paired randomisation test of each configuration against the best single leg and the bigram baseline.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eval.bigram_baseline import BigramBM25
from eval.datasets import Passage, RetrievalDataset, first_queries, load_dataset
from eval.metrics import mrr_at_k, ndcg_at_k, recall_at_k
from eval.retrieval_report import MODES, markdown, select_systems, write_report
from eval.stats import bootstrap_ci, paired_test
from ingestion.progress import NullProgress
from ingestion.run import current_fingerprint, run_ingest
from rag_service import service
from rag_service.dense import load_embedder
from rag_service.errors import BadRequest
from rag_service.fusion import FusionMethod
from rag_service.retrieve import LEGS, Fusion, Leg, fused_ranking
from rag_service.service.convert import search_query
from rag_service.settings import IndexSettings, Settings
from rag_service.store import open_store
from rag_service.wire import SearchRequest

DEPTH = 100  # each leg's ranking depth (recall@100 needs it)
Rankings = dict[str, list[tuple[str, float]]]


@dataclass(frozen=True)
class FusionConfig:
    name: str
    method: FusionMethod
    weights: Mapping[str, float]
    rrf_k: float = 2.0


def default_configs(settings: Settings) -> list[FusionConfig]:
    """The service's configured hybrid, the engine's old default (DBSF of BM25 and dense) and RRF for reference."""
    r = settings.retrieval
    return [
        FusionConfig("hybrid (configured default)", r.fusion, r.leg_weights(), r.rrf_k),
        FusionConfig("dbsf bm25+dense (old default)", "dbsf", {"bm25": 1, "dense": 1}),
        FusionConfig("rrf2 bm25+dense", "rrf", {"bm25": 1, "dense": 1}),
        FusionConfig("rrf60 bm25+dense", "rrf", {"bm25": 1, "dense": 1}, 60),
    ]


def grid_configs() -> list[FusionConfig]:
    """One weight per leg (BM25 fixed at 1) on a small grid, for each fusion method: what the defaults were chosen
    from. Keep the grid small: held-out queries decide, and every extra knob is a chance to fit the dev set."""
    configs = []
    for method, k in (("dbsf", 2.0), ("convex", 2.0), ("rrf", 2.0), ("rrf", 60.0)):
        for wg in (0.0, 0.5, 0.75, 1.0, 1.5):
            for wd in (0.0, 0.1, 0.2, 0.35, 0.5, 1.0):
                if wd == 0 and wg == 0:
                    continue
                label = method if method != "rrf" else f"rrf{k:g}"
                weights: dict[str, float] = {"bm25": 1.0, "bigram": wg, "dense": wd}
                configs.append(FusionConfig(f"{label} bm25 1 bigram {wg:g} dense {wd:g}", method, weights, k))  # type: ignore[arg-type]
    return configs


def corpus_digest(ds: RetrievalDataset) -> str:
    h = hashlib.sha256()
    for p in ds.corpus:
        h.update("\x1f".join((p.doc_id, p.title, p.text)).encode())
        h.update(b"\x1e")
    return h.hexdigest()[:12]


def editions_of(ds: RetrievalDataset) -> dict[str, list[Passage]]:
    """Edition title → passages. The statutes are one edition per law (as the demo corpus and a librarian would
    ingest them: the law's name heads every chunk); jaqa_wiki's passages are one edition."""
    if ds.name != "nmle_law":
        return {"Wikipedia": list(ds.corpus)}
    laws: dict[str, list[Passage]] = {}
    for p in ds.corpus:
        laws.setdefault(p.title.split(" ", 1)[0], []).append(p)
    return laws


def build_index(ds: RetrievalDataset, settings: Settings, work_dir: Path) -> Settings:
    """The corpus as `.jsonl` editions through the real ingestion path; reused while the corpus, the embedder and
    the pipeline (chunking, tokenizer revision, BM25 parameters, `PIPELINE_REVISION`) are unchanged: they name the
    folder, so an upgrade builds a new index instead of failing on the old one."""
    chars = settings.chunking.max_chars
    pipeline = current_fingerprint(settings)
    embedder = re.sub(r"[^A-Za-z0-9._-]", "_", settings.embedder)  # `st:/models/ruri-v3` names one folder
    build = settings.index  # an approximate dense index (int8, other HNSW parameters) is an index of its own
    tag = "" if build == IndexSettings() else f"-m{build.hnsw_m}-ef{build.hnsw_ef_construct}-{build.quantization}"
    folder = work_dir / f"{ds.name}-{embedder}-{chars}-{corpus_digest(ds)}-{pipeline}{tag}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["editions:"]
    for i, (title, passages) in enumerate(sorted(editions_of(ds).items())):
        source = folder / f"part-{i:03d}.jsonl"
        if not source.exists():
            rows = ({"doc_id": p.doc_id, "title": p.title, "text": p.text} for p in passages)
            source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        lines += [
            f"- id: part-{i:03d}",
            f"  title: {json.dumps(title, ensure_ascii=False)}",
            "  publisher: benchmark",
            "  edition: '1'",
            "  published: '2024-01-01'",
            "  status: current",
            f"  source: {source.name}",
        ]
    manifest = folder / "manifest.yaml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = settings.model_copy(update={"data_dir": folder / "var", "manifest": manifest})
    store = open_store(settings)
    try:
        run_ingest(settings, store, load_embedder(settings.embedder), manifest, NullProgress(), via="eval")
    finally:
        store.close()
    return settings


def collect_rankings(ds: RetrievalDataset, settings: Settings, exam_style: bool) -> tuple[dict[str, Any], str]:
    """Per query: each leg's top-DEPTH chunk ranking (plain, and exam-style), the default search's fused ranking as
    `/v1/search` makes it, the reranked hits when a reranker is configured, and chunk → unit."""
    unit_of: dict[str, str] = {}
    per_query: dict[str, Any] = {}
    latency: dict[str, float] = {}
    refused: dict[str, str] = {}
    with service.opened(settings) as c:  # the container the service opens: store, embedder, reranker
        if not c.index_ready():
            raise SystemExit(f"no index under {settings.data_dir}")
        every = tuple(leg for leg in LEGS if leg != "dense" or c.embedder is not None)
        for q in ds.queries:
            try:
                entry = _query_rankings(c, q.text, every, exam_style, latency, q.query_id)
            except (BadRequest, ValueError) as e:  # the service refuses it (too long, empty): it finds nothing
                refused[q.query_id] = str(e)
                entry = {"plain": {}, "default": {"hits": []}}
            ids = {pid for kind in entry.values() for ranked in kind.values() for pid, _ in ranked}
            missing = [pid for pid in ids if pid not in unit_of]
            for p in c.store.retrieve(missing):
                unit_of[p.id] = str(p.payload.get("unit_id") or p.id)
            per_query[q.query_id] = entry
        embedder_id = c.embedder.id if c.embedder else "none"
    cache = {"queries": per_query, "unit_of": unit_of, "latency_ms": latency, "refused": refused}
    return cache, embedder_id


def _query_rankings(
    c: service.Container, text: str, every: tuple[Leg, ...], exam_style: bool, latency: dict[str, float], qid: str
) -> dict[str, Any]:
    retriever = c.retriever
    query = search_query(SearchRequest(query=text, top_k=10), c.settings.retrieval)  # what /v1/search checks
    t0 = time.perf_counter()  # what a caller waits for: the default search, in process, top 10
    retriever.search(query)
    latency[qid] = round((time.perf_counter() - t0) * 1000, 2)
    plan = retriever.plan(query)
    entry: dict[str, Any] = {"plain": retriever.rankings(retriever.with_kind(plan, "plain", every), DEPTH)}
    if exam_style or plan.kind == "exam":
        entry["exam"] = retriever.rankings(retriever.with_kind(plan, "exam", every), DEPTH)
    # the service's own fusion of its planned legs: the same function and arguments as /v1/search (deeper lists
    # are cut to the plan's depth inside it), kept whole for recall@100
    entry["default"] = {"hits": fused_ranking(entry[plan.kind], plan.legs, plan.fusion)}
    if retriever.reranker is not None:  # the configured hybrid, then the cross-encoder over its top RERANK_TOP_N
        reranked = retriever.search(replace(query, top_k=c.settings.retrieval.rerank_top_n, rerank=True)).hits
        entry["rerank"] = {"hits": [(h.chunk.chunk_id, h.rerank.score if h.rerank else 0.0) for h in reranked]}
    return entry


def to_units(ranked: Sequence[tuple[str, float]], unit_of: Mapping[str, str]) -> list[str]:
    return list(dict.fromkeys(unit_of.get(pid, pid) for pid, _ in ranked))


def score_rows(units: Sequence[str], qrels: Mapping[str, int]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at_k(units, qrels, 10),
        "recall@1": recall_at_k(units, qrels, 1),
        "recall@10": recall_at_k(units, qrels, 10),
        "recall@100": recall_at_k(units, qrels, 100),
        "mrr@10": mrr_at_k(units, qrels, 10),
    }


def systems(
    configs: Sequence[FusionConfig], exam_style: bool, prefetch: int
) -> dict[str, Callable[[dict[str, Rankings]], Any]]:
    """Name → function of one query's cached rankings giving a (chunk id, score) ranking."""
    out: dict[str, Callable[[dict[str, Rankings]], Any]] = {}
    for leg in LEGS:
        out[f"{leg} leg"] = _leg_getter(leg)
    out["hybrid+rerank (RAG_RERANKER)"] = lambda e: e["rerank"]["hits"] if "rerank" in e else []
    out["DEFAULT: /v1/search hybrid, query_kind auto"] = lambda e: e.get("default", {}).get("hits", [])
    kinds = ["plain", "exam"] if exam_style else ["plain"]
    for kind in kinds:
        for cfg in configs:
            label = cfg.name if kind == "plain" else f"exam-style {cfg.name}"
            out[label] = _fuser(kind, cfg, prefetch)
    return out


def _leg_getter(leg: str) -> Callable[[dict[str, Rankings]], Any]:
    return lambda e: e["plain"].get(leg, [])


def _fuser(kind: str, cfg: FusionConfig, prefetch: int) -> Callable[[dict[str, Rankings]], Any]:
    """What `/v1/search` does with another configuration: each leg's top `prefetch` (RAG_RETRIEVAL__PREFETCH_LIMIT),
    fused by the service's own fusion step."""
    fusion = Fusion(cfg.method, cfg.weights, cfg.rrf_k, prefetch)
    return lambda e: fused_ranking(e[kind], LEGS, fusion)


def evaluate(
    ds: RetrievalDataset, cache: dict[str, Any], configs: Sequence[FusionConfig], exam_style: bool, prefetch: int = 50
) -> dict[str, Any]:
    unit_of = cache["unit_of"]
    per_system: dict[str, list[dict[str, float]]] = {}
    has_rerank = any("rerank" in e for e in cache["queries"].values())
    for name, fn in systems(configs, exam_style, prefetch).items():
        if "rerank" in name and not has_rerank:
            continue
        per_system[name] = [
            score_rows(to_units(fn(cache["queries"][q.query_id]), unit_of), ds.qrels.get(q.query_id, {}))
            for q in ds.queries
        ]
    baseline = BigramBM25([p.doc_id for p in ds.corpus], [p.indexed_text for p in ds.corpus])
    per_system["bigram BM25 baseline (passages)"] = [
        score_rows([d for d, _ in baseline.search(q.text[:2000], DEPTH)], ds.qrels.get(q.query_id, {}))
        for q in ds.queries
    ]
    subsets: dict[str, list[int]] = {"all": list(range(len(ds.queries)))}
    if any(q.medical for q in ds.queries) and not all(q.medical for q in ds.queries):
        subsets["medical"] = [i for i, q in enumerate(ds.queries) if q.medical]
        subsets["non-medical"] = [i for i, q in enumerate(ds.queries) if not q.medical]
    return {"per_system": per_system, "subsets": subsets}


def summarise(result: dict[str, Any], metric: str = "ndcg@10") -> dict[str, Any]:
    per_system, subsets = result["per_system"], result["subsets"]
    legs = [f"{leg} leg" for leg in LEGS if f"{leg} leg" in per_system]
    out: dict[str, Any] = {}
    for subset, idx in subsets.items():
        vals = {name: [rows[i][metric] for i in idx] for name, rows in per_system.items()}
        best_leg = max(legs, key=lambda n: sum(vals[n])) if legs else None
        table = {}
        for name, v in vals.items():
            ci = bootstrap_ci(v, seed=0)
            vs_base = paired_test(v, vals["bigram BM25 baseline (passages)"], seed=0)
            rows = per_system[name]
            others = {m: round(sum(rows[i][m] for i in idx) / max(len(idx), 1), 3) for m in rows[0]}
            table[name] = {
                metric: round(ci.mean, 4),
                "ci95": [round(ci.low, 4), round(ci.high, 4)],
                "vs_bigram_baseline": {"diff": round(vs_base.mean_diff, 4), "p": round(vs_base.p_value, 4)},
                **{m: x for m, x in others.items() if m != metric},
            }
            if best_leg is not None:
                vs_leg = paired_test(v, vals[best_leg], seed=0)
                table[name]["vs_best_leg"] = {"diff": round(vs_leg.mean_diff, 4), "p": round(vs_leg.p_value, 4)}
        out[subset] = {"n": len(idx), "best_leg": best_leg, "systems": table}
    return out


def run(
    ds: RetrievalDataset,
    settings: Settings,
    work_dir: Path,
    out: Path | None = None,
    modes: Sequence[str] = MODES,
    grid: bool = False,
    exam_style: bool | None = None,
) -> dict[str, Any]:
    """Index the corpus (or reuse the index), query every leg once, score every system, write the report."""
    settings = build_index(ds, settings, work_dir)
    exam_style = ds.name == "nmle_law" if exam_style is None else exam_style
    digest = hashlib.sha256("\x1f".join(f"{q.query_id}\x1e{q.text}" for q in ds.queries).encode()).hexdigest()[:12]
    rr = "-rerank" if settings.reranker else ""
    cache_path = settings.data_dir.parent / f"rankings-v2-{digest}{rr}.json"  # v2: the service's default kept
    if cache_path.exists():
        cache, embedder_id = json.loads(cache_path.read_text(encoding="utf-8")), settings.embedder
    else:
        cache, embedder_id = collect_rankings(ds, settings, exam_style)
        cache_path.write_text(json.dumps(cache, ensure_ascii=False), encoding="utf-8")
    configs = default_configs(settings) + (grid_configs() if grid else [])
    result = evaluate(ds, cache, configs, exam_style, settings.retrieval.prefetch_limit)
    result["per_system"] = select_systems(result["per_system"], modes, grid)
    summary = summarise(result)
    ms = sorted(cache.get("latency_ms", {}).values())
    if ms:  # the default /v1/search path in process (no HTTP), top 10, one query at a time
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        summary["all"]["latency_ms"] = {"median": round(statistics.median(ms), 2), "p95": p95}
    title = f"{ds.name}: {len(ds.corpus)} passages, {len(ds.queries)} queries, embedder {embedder_id}"
    folder = out or settings.data_dir.parent
    write_report(folder, title, summary, result, ds, settings)
    return {"title": title, "summary": summary, "out": str(folder)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="nmle_law", choices=["nmle_law", "jaqa_wiki"])
    ap.add_argument("--work-dir", type=Path, default=Path("bench-results/eval"))
    ap.add_argument("--out", type=Path, default=None, help="folder for report.json / report.md / report.png")
    ap.add_argument("--limit", type=int, default=0, help="only the first N queries (smoke runs)")
    ap.add_argument("--embedder", default=None, help="RAG_EMBEDDER for the index (default: the setting)")
    ap.add_argument("--grid", action="store_true", help="also every configuration of the weight grid")
    ap.add_argument("--chunk-chars", type=int, default=None, help="RAG_CHUNKING__MAX_CHARS for the index")
    args = ap.parse_args()
    settings = Settings()
    if args.embedder:
        settings = settings.model_copy(update={"embedder": args.embedder})
    if args.chunk_chars:
        chunking = settings.chunking.model_copy(update={"max_chars": args.chunk_chars})
        settings = settings.model_copy(update={"chunking": chunking})
    ds = load_dataset(args.dataset)
    if args.limit:
        ds = first_queries(ds, args.limit)
    report = run(ds, settings, args.work_dir, args.out, grid=args.grid)
    print(markdown(report["summary"], report["title"]))


if __name__ == "__main__":
    main()
