"""The evaluation runs' commands: `rag eval retrieval`, `rag eval exam`, `rag bench`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rag_service.cli.app import USER_ERRORS, app, err, eval_app, fail, handled
from rag_service.settings import Settings


@eval_app.command("retrieval")
def eval_retrieval(
    dataset: Annotated[str | None, typer.Option(help="jaqa_wiki | nmle_law (in ../shared/data).")] = None,
    corpus: Annotated[Path | None, typer.Option(help="Your corpus: {doc_id, title?, text} rows.")] = None,
    queries: Annotated[Path | None, typer.Option(help="Your queries: {query_id, text, medical?} rows.")] = None,
    qrels: Annotated[Path | None, typer.Option(help="Your judgements: {query_id, doc_id, relevance} rows.")] = None,
    modes: Annotated[str, typer.Option(help="Rows: bm25,bigram,dense,hybrid[,hybrid+rerank].")] = "",
    fusion: Annotated[str | None, typer.Option(help="Override RAG_RETRIEVAL__FUSION: dbsf | rrf | convex.")] = None,
    limit: Annotated[int, typer.Option(help="Only the first N queries.")] = 0,
    corpus_size: Annotated[int, typer.Option(help="Gold passages + seeded distractors, N in all (0: all).")] = 0,
    grid: Annotated[bool, typer.Option("--grid", help="Also every configuration of the weight grid.")] = False,
    work_dir: Annotated[Path, typer.Option(help="Where the evaluation indexes live.")] = Path("bench-results/eval"),
    out: Annotated[Path | None, typer.Option(help="Report folder (default: beside the index).")] = None,
) -> None:
    """Retrieval quality through the service's own ingestion and Retriever: nDCG@10, recall, MRR with 95% intervals,
    paired tests against the best leg and a character-bigram BM25 baseline; report.{json,md,png}, per_query.jsonl."""

    from eval.datasets import first_queries, load_custom, load_dataset, sub_corpus
    from eval.retrieval import run
    from eval.retrieval_report import markdown

    settings = Settings()
    if fusion:
        if fusion not in ("dbsf", "rrf", "convex"):
            fail(f"unknown fusion {fusion!r}: use dbsf, rrf or convex")
        settings = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"fusion": fusion})})
    own = (corpus, queries, qrels)
    with handled(also=USER_ERRORS):
        if dataset and any(own):
            fail("give either --dataset or --corpus/--queries/--qrels, not both")
        if dataset:
            ds = load_dataset(dataset)
        elif all(own):
            ds = load_custom(*own)  # type: ignore[arg-type]
        else:
            fail("give --dataset jaqa_wiki|nmle_law, or all three of --corpus, --queries and --qrels")
        if limit:
            ds = first_queries(ds, limit)
        if corpus_size:
            ds = sub_corpus(ds, corpus_size)
        chosen = [m.strip() for m in modes.split(",") if m.strip()] or [
            "bm25", "bigram", "dense", "hybrid", *(["hybrid+rerank"] if settings.reranker else [])
        ]  # fmt: skip
        if settings.embedder.lower() == "none":
            chosen = [m for m in chosen if m != "dense"]
        report = run(ds, settings, work_dir, out, modes=chosen, grid=grid)
    print(markdown(report["summary"], report["title"]))
    err.print(f"report written to {report['out']} (report.md, report.json, report.png, per_query.jsonl)")


@eval_app.command("exam")
def eval_exam(
    questions: Annotated[list[Path], typer.Argument(help="Question files (../shared/data/questions/*.jsonl format).")],
    conditions: Annotated[str, typer.Option(help="closed,rag,rag-vote (comma-separated).")] = "closed,rag",
    votes: Annotated[int, typer.Option(help="Samples for rag-vote (majority wins).")] = 5,
    limit: Annotated[int, typer.Option(help="Only the first N questions asked.")] = 0,
    top_k: Annotated[int, typer.Option(help="Sources in the prompt.")] = 5,
    qrels: Annotated[
        Path | None, typer.Option(help="Statute qrels for the retrieval link (default: nmle_law).")
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Questions in flight at once.")] = 1,
    seed: Annotated[int, typer.Option(help="Sampling seed (deterministic for a fixed endpoint).")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for results.jsonl (resumed) and the report.")] = Path(
        "bench-results/exam"
    ),
    base_url: Annotated[
        str | None, typer.Option(help="A running service (its /v1/exam) instead of in process.")
    ] = None,
    api_key: Annotated[str | None, typer.Option(help="API key for --base-url.")] = None,
) -> None:
    """Exam accuracy closed book vs RAG (vs RAG + voting) through the code of /v1/exam, with the configured LLM
    (RAG_LLM_BASE_URL, or RAG_LLM_EMBEDDED for the plumbing); resumable; report.md / report.json."""
    from eval.exam_run import run_exam_cli

    chosen = tuple(c.strip() for c in conditions.split(",") if c.strip())
    with handled(also=USER_ERRORS):
        settings = Settings()
        text = run_exam_cli(
            settings, questions, chosen, votes, limit, top_k, qrels, concurrency, seed, out, base_url, api_key
        )
    print(text)


@app.command()
def bench(
    sizes: Annotated[str, typer.Option(help="Search index sizes in chunks, comma-separated.")] = "10000,100000",
    concurrency: Annotated[str, typer.Option(help="HTTP callers, comma-separated (e.g. 1,8).")] = "1,8",
    requests: Annotated[int, typer.Option(help="HTTP requests per mode, size and concurrency.")] = 400,
    quick: Annotated[bool, typer.Option("--quick", help="Fewer repeats and time caps (a smoke run).")] = False,
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("bench-results/bench"),
    baseline_root: Annotated[
        Path | None, typer.Option(help="A checkout of today's code, run on the same indexes beside ours.")
    ] = None,
) -> None:
    """Ingestion and search benchmarks in one run: report.json and report.md with the machine, package versions
    and the commit (1,000,000 chunks: ~8 GB of disk and ~40 minutes on 2 cores, most of it HNSW)."""
    from eval.bench_all import run_bench

    try:
        levels = [int(c) for c in concurrency.split(",") if c.strip()]
    except ValueError:
        fail(f"--concurrency takes whole numbers, comma-separated; got {concurrency!r}")
    path = run_bench(out, sizes, levels or [1], requests, quick, baseline_root)
    err.print(f"report written to {path}")


@eval_app.command("ragas")
def eval_ragas(
    questions: Annotated[Path, typer.Argument(help="{id?, question, reference} rows, or exam questions (jsonl).")],
    judge_base_url: Annotated[str, typer.Option(help="The judge: any OpenAI-compatible endpoint (vLLM, llama.cpp).")],
    judge_model: Annotated[str, typer.Option(help="The judge's model name at that endpoint.")] = "default",
    judge_api_key: Annotated[str | None, typer.Option(help="API key for the judge endpoint.")] = None,
    limit: Annotated[int, typer.Option(help="Only the first N rows.")] = 0,
    base_url: Annotated[
        str | None, typer.Option(help="A running service (its /v1/answer) instead of in process.")
    ] = None,
    api_key: Annotated[str | None, typer.Option(help="API key for --base-url.")] = None,
    embeddings_base_url: Annotated[
        str | None, typer.Option(help="An OpenAI-compatible /v1/embeddings (default: the service's embedder).")
    ] = None,
    embeddings_model: Annotated[str | None, typer.Option(help="The model name at --embeddings-base-url.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per judge request.")] = 300.0,
    out: Annotated[Path, typer.Option(help="Folder for per_row.jsonl (resumed) and the report.")] = Path(
        "bench-results/ragas"
    ),
) -> None:
    """Faithfulness, answer relevancy, context precision and context recall of /v1/answer's answers, judged with
    Japanese prompts by an LLM you name; 95% intervals; resumable; report.md / report.json / per_row.jsonl."""
    try:
        from eval.ragas_run import run_ragas_cli
    except ImportError as e:
        fail(f"RAGAS needs the eval extra: scripts/setup.sh eval ({e})")
    with handled(also=USER_ERRORS):
        text = run_ragas_cli(
            Settings(), questions, out, judge_base_url, judge_model, judge_api_key, limit, base_url, api_key,
            embeddings_base_url, embeddings_model, timeout,
        )  # fmt: skip
    print(text)
