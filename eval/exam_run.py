"""`rag eval exam`: open the index and the LLM as configured, run the harness with a progress bar, write the report."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from eval.datasets import read_qrels, shared_data_dir
from eval.exam_harness import CONDITIONS, ExamRun, in_process_answerer, load_questions, remote_answerer, run_exam
from eval.exam_report import exam_markdown, summarise_exam, write_exam_report
from rag_service.embedded_llm import start_embedded_llm
from rag_service.index import open_for_search
from rag_service.llm import LLMClient, OpenAICompatClient
from rag_service.retrieve import Retriever
from rag_service.settings import Settings


def _qrels(path: Path | None) -> dict[str, dict[str, int]]:
    if path is not None:
        return read_qrels(path)
    try:
        return read_qrels(shared_data_dir() / "retrieval" / "nmle_law" / "qrels.dev.jsonl")
    except FileNotFoundError:
        return {}


def local_llm(settings: Settings, stack: ExitStack) -> LLMClient:
    if not (settings.llm_base_url or settings.llm_embedded):
        raise ValueError("no LLM is configured: set RAG_LLM_BASE_URL (and RAG_LLM_MODEL), or RAG_LLM_EMBEDDED=true")
    if settings.llm_embedded:
        embedded = stack.enter_context(start_embedded_llm(settings.models_dir, threads=settings.llm_threads))
        return OpenAICompatClient(embedded.base_url, embedded.model, timeout=settings.llm_timeout_s)
    url, s = settings.llm_base_url, settings
    assert url is not None
    return stack.enter_context(OpenAICompatClient(url, s.llm_model, s.llm_api_key, s.llm_timeout_s))


def run_exam_cli(
    settings: Settings,
    files: Sequence[Path],
    conditions: tuple[str, ...],
    votes: int,
    limit: int,
    top_k: int,
    qrels_path: Path | None,
    concurrency: int,
    seed: int,
    out: Path,
    base_url: str | None = None,
    api_key: str | None = None,
) -> str:
    """In process (the configured index and LLM) or, with `base_url`, through a running service's /v1/exam."""
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown or not conditions:
        raise ValueError(f"unknown condition(s) {unknown}: choose from {', '.join(CONDITIONS)}")
    questions = load_questions(files)
    asked = [q for q in questions if q.left_out() is None][: limit or None]
    r = settings.retrieval
    with ExitStack() as stack:
        llm = None if base_url else local_llm(settings, stack)
        run = ExamRun(
            conditions=conditions,
            votes=votes,
            top_k=top_k,
            temperature=settings.answer.exam_temperature,
            max_tokens=settings.answer.exam_max_tokens,
            seed=seed,
            model=llm.model if llm else f"the service at {base_url}",
            retrieval={"embedder": settings.embedder, "fusion": r.fusion, "weights": r.leg_weights()} if llm else {},
        )
        if llm is None:
            assert base_url is not None
            answer = remote_answerer(base_url, api_key, run)
        else:
            index = open_for_search(settings)
            stack.callback(index.close)
            retriever = Retriever(index.store, index.embedder, settings, index.reranker)
            answer = in_process_answerer(retriever, llm, run, settings)
        right: dict[str, list[bool]] = {c: [] for c in conditions}
        columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
        with Progress(*columns, TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task("exam", total=len(asked) * len(conditions))

            def on_row(row: dict[str, Any]) -> None:
                right[row["condition"]].append(bool(row["correct"]))
                so_far = "  ".join(f"{c} {sum(v) / len(v):.2f}" for c, v in right.items() if v)
                bar.update(task, advance=1, description=f"exam  {so_far}")

            rows = run_exam(asked, run, answer, out / "results.jsonl", concurrency, on_row)
    summary = summarise_exam(questions, rows, conditions, _qrels(qrels_path))
    title = f"{', '.join(p.name for p in files)}: {len(asked)} questions, model {run.model}"
    config = {**{k: v for k, v in vars(run).items() if k != "conditions"}, "conditions": list(conditions)}
    config["run_key"] = run.key()
    write_exam_report(out, title, summary, config)
    return exam_markdown(summary, title, "gemma3-270m" in run.model)
