"""`rag eval ragas`: faithfulness, response relevancy, context precision and context recall over the service's answers.

Rows are `{id?, question, reference}` (or exam questions: the reference is the correct choices' text). Each question
is answered through the code of `POST /v1/answer` (in process, or a running service with `include_sources`), then
ragas' metrics score it with Japanese prompts (`eval.ragas_ja`) and a judge at any OpenAI-compatible endpoint.
Embeddings (answer relevancy only) come from the service's own embedder unless an endpoint is named.

ragas 0.4's metrics that take prompts are the "legacy" ones behind `LangchainLLMWrapper` (deprecated in 0.4 but the
only ones whose prompts can be replaced and that parse plain-text JSON, which every endpoint can give); ragas' `n`
(answer relevancy asks for 3 questions) goes out as separate requests (`bypass_n`): llama.cpp refuses n > 1.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # ragas' analytics: never from a hospital's machine

from eval.run_log import config_key, rows_of_run
from eval.stats import bootstrap_ci
from rag_service.settings import Settings

METRICS = ("faithfulness", "answer_relevancy", "context_precision", "context_recall")
ANSWER_ONLY = {"faithfulness", "answer_relevancy"}  # not scored on abstentions: there is no claim to judge


@dataclass(frozen=True)
class RagasRow:
    id: str
    question: str
    reference: str


@dataclass(frozen=True)
class Answered:
    answer: str
    contexts: list[str]  # every numbered source the model saw, in order
    abstained: bool
    latency_s: float


Answerer = Callable[[str], Answered]


def row_from_json(doc: dict[str, Any], fallback_id: str) -> RagasRow:
    """A `{question, reference}` row, or an exam question whose reference is the text of its correct choices."""
    question = str(doc.get("question") or "").strip()
    if not question:
        raise ValueError("no `question`")
    rid = str(doc.get("id") or fallback_id)
    if doc.get("reference"):
        return RagasRow(rid, question, str(doc["reference"]).strip())
    choices = {str(k).lower(): str(v) for k, v in (doc.get("choices") or {}).items()}
    answer = str(doc.get("answer") or "").lower()
    if choices and answer and all(a in choices for a in answer):
        listed = "\n".join(f"{k}. {v}" for k, v in sorted(choices.items()))
        return RagasRow(rid, f"{question}\n{listed}", "、".join(choices[a] for a in answer))
    raise ValueError("needs `reference`, or exam `choices` with an `answer` among them")


def load_rows(path: Path, limit: int = 0) -> list[RagasRow]:
    rows: list[RagasRow] = []
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                rows.append(row_from_json(json.loads(line), f"{path.stem}-{line_no}"))
            except (ValueError, TypeError, AttributeError) as e:
                raise ValueError(f"{path}:{line_no}: not a RAGAS row ({e})") from e
    return rows[: limit or None]


# --- answers --------------------------------------------------------------------------------------------------------


def in_process_answerer(settings: Settings, stack: ExitStack) -> tuple[Answerer, Any]:
    """Answers through `rag_service.answer.answer` with the configured index and LLM; also returns the embedder."""
    from eval.exam_run import local_llm
    from rag_service.answer import EvidenceThreshold, answer
    from rag_service.index import open_for_search
    from rag_service.query import SearchQuery
    from rag_service.retrieve import Retriever

    llm = local_llm(settings, stack)
    index = open_for_search(settings)
    stack.callback(index.close)
    retriever = Retriever(index.store, index.embedder, settings, index.reranker)
    a = settings.answer
    threshold = EvidenceThreshold(min_dense=a.min_dense, min_bm25=a.min_bm25)

    def ask(question: str) -> Answered:
        t0 = time.perf_counter()
        q = SearchQuery.checked(question, settings.retrieval, a.top_k, "hybrid", what="question")
        r = answer(q, retriever, llm, threshold, a.max_tokens)
        return Answered(r.answer, [h.chunk.text for h in r.hits], r.abstained, round(time.perf_counter() - t0, 3))

    return ask, index.embedder


def remote_answerer(base_url: str, api_key: str | None, timeout_s: float = 600.0) -> Answerer:
    """Answers through a running service's `POST /v1/answer` (its own index and LLM)."""
    from rag_service.client import RagClient

    client = RagClient(base_url, api_key, timeout_s=timeout_s)

    def ask(question: str) -> Answered:
        t0 = time.perf_counter()
        doc = client.answer(question, include_sources=True)
        contexts = [s.text for s in doc.sources or []]
        return Answered(doc.answer, contexts, doc.abstained, round(time.perf_counter() - t0, 3))

    return ask


# --- the judge ------------------------------------------------------------------------------------------------------


def check_reachable(base_url: str, what: str) -> None:
    """Fail at once, with the URL, when an endpoint cannot be reached at all (rather than 100% "judge failed")."""
    import httpx

    root = base_url.rstrip("/")
    try:
        httpx.get(f"{root if root.endswith('/v1') else root + '/v1'}/models", timeout=10)
    except httpx.HTTPError as e:  # any HTTP answer (even 404) means something listens there
        raise ValueError(f"the {what} at {base_url} cannot be reached ({type(e).__name__}: {e}): is it running?") from e


def judge_llm(base_url: str, model: str, api_key: str | None, timeout_s: float) -> Any:
    from langchain_openai import ChatOpenAI
    from ragas.llms import LangchainLLMWrapper

    root = base_url.rstrip("/")
    chat = ChatOpenAI(
        base_url=root if root.endswith("/v1") else f"{root}/v1",
        api_key=api_key or "not-needed",
        model=model,
        temperature=0.0,
        timeout=timeout_s,
        max_retries=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return LangchainLLMWrapper(chat, bypass_n=True)


def ragas_embeddings(embedder: Any, base_url: str | None, model: str | None) -> Any:
    """ragas embeddings over our `Embedder` (query side for both: answer relevancy compares questions), or over an
    OpenAI-compatible `/v1/embeddings` endpoint; None when neither is there."""
    from ragas.embeddings.base import BaseRagasEmbeddings

    if base_url:
        from langchain_openai import OpenAIEmbeddings
        from ragas.embeddings import LangchainEmbeddingsWrapper

        root = base_url.rstrip("/")
        # base_url and api_key are pydantic aliases of openai_api_base / openai_api_key
        oe = OpenAIEmbeddings(  # type: ignore[call-arg]
            base_url=root if root.endswith("/v1") else f"{root}/v1",
            model=model or "default",
            api_key="not-needed",
            check_embedding_ctx_length=False,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return LangchainEmbeddingsWrapper(oe)
    if embedder is None:
        return None

    class OwnEmbeddings(BaseRagasEmbeddings):
        def embed_query(self, text: str) -> list[float]:
            return [float(x) for x in embedder.embed_query(text)]

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [self.embed_query(t) for t in texts]

        async def aembed_query(self, text: str) -> list[float]:
            return self.embed_query(text)

        async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.embed_documents(texts)

    return OwnEmbeddings()


def prepared_metrics(llm: Any, embeddings: Any, timeout_s: float) -> dict[str, Any]:
    from ragas.run_config import RunConfig

    from eval.ragas_ja import japanese_metrics

    chosen = japanese_metrics()
    if embeddings is None:
        chosen.pop("answer_relevancy")
    config = RunConfig(timeout=int(timeout_s), max_retries=1)
    for name, metric in chosen.items():
        metric.llm = llm  # type: ignore[attr-defined]
        if name == "answer_relevancy":
            metric.embeddings = embeddings  # type: ignore[attr-defined]
        metric.init(config)  # type: ignore[attr-defined]
    return chosen


async def _score(metric: Any, sample: Any) -> tuple[float | None, str | None]:
    try:
        value = float(await metric.single_turn_ascore(sample))
    except Exception as e:  # a judge that cannot be parsed scores nothing for this row; the report counts it
        return None, f"{type(e).__name__}: {e}"[:300]
    return (None, "the judge's output gave no score (NaN)") if math.isnan(value) else (value, None)


async def score_row(row: RagasRow, got: Answered, metrics: dict[str, Any]) -> dict[str, Any]:
    from ragas import SingleTurnSample

    sample = SingleTurnSample(
        user_input=row.question, response=got.answer, retrieved_contexts=got.contexts or [""], reference=row.reference
    )
    scores: dict[str, float | None] = {}
    errors: dict[str, str] = {}
    for name, metric in metrics.items():
        if got.abstained and name in ANSWER_ONLY:
            continue
        value, error = await _score(metric, sample)
        scores[name] = value
        if error:
            errors[name] = error
    return {"scores": scores, "errors": errors}


# --- the run --------------------------------------------------------------------------------------------------------


def run_ragas(
    rows: Sequence[RagasRow],
    ask: Answerer,
    metrics: dict[str, Any],
    results: Path,
    config: dict[str, Any],
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Answer and score every row, appending to `results` and resuming rows already scored under this configuration."""
    key = config_key(config)
    done = {doc["id"]: doc for doc in rows_of_run(results, key)}
    results.parent.mkdir(parents=True, exist_ok=True)

    async def all_rows() -> None:  # one event loop for the run: the judge's async HTTP client is bound to it
        for row in rows:
            if row.id in done:
                continue
            got = await asyncio.to_thread(ask, row.question)
            scored = await score_row(row, got, metrics)
            doc = {"run": key, "id": row.id, "question": row.question, **asdict(got), **scored}
            with results.open("a", encoding="utf-8") as f:
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
            done[row.id] = doc
            if on_row is not None:
                on_row(doc)

    asyncio.run(all_rows())
    return [done[r.id] for r in rows]


def summarise_ragas(per_row: Sequence[dict[str, Any]], metric_names: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": len(per_row), "abstained": sum(1 for r in per_row if r["abstained"]), "metrics": {}}
    for name in metric_names:
        asked = [r for r in per_row if name in r["scores"]]
        values = [r["scores"][name] for r in asked if r["scores"][name] is not None]
        ci = bootstrap_ci(values)
        out["metrics"][name] = {
            "mean": round(ci.mean, 4) if values else None,
            "ci95": [round(ci.low, 4), round(ci.high, 4)] if values else None,
            "scored": len(values),
            "failed": len(asked) - len(values),
        }
    return out


def ragas_markdown(summary: dict[str, Any], title: str) -> str:
    lines = [f"## {title}", "", f"{summary['rows']} questions, {summary['abstained']} abstentions (faithfulness and "
             "answer relevancy are not scored on abstentions).", "",
             "| metric | mean | 95% CI | scored | judge failed |", "|---|---:|---|---:|---:|"]  # fmt: skip
    for name, m in summary["metrics"].items():
        if m["mean"] is None:
            lines.append(f"| {name} | – | – | 0 | {m['failed']} |")
            continue
        lo, hi = m["ci95"]
        lines.append(f"| {name} | {m['mean']:.3f} | {lo:.3f}–{hi:.3f} | {m['scored']} | {m['failed']} |")
    return "\n".join(lines) + "\n"


def write_ragas_report(out: Path, title: str, summary: dict[str, Any], config: dict[str, Any]) -> str:
    text = ragas_markdown(summary, title)
    doc = {"title": title, "config": config, "summary": summary}
    (out / "report.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "report.md").write_text(text, encoding="utf-8")
    return text


def run_ragas_cli(
    settings: Settings,
    questions: Path,
    out: Path,
    judge_base_url: str,
    judge_model: str,
    judge_api_key: str | None = None,
    limit: int = 0,
    base_url: str | None = None,
    api_key: str | None = None,
    embeddings_base_url: str | None = None,
    embeddings_model: str | None = None,
    timeout_s: float = 300.0,
) -> str:
    rows = load_rows(questions, limit)
    if not rows:
        raise ValueError(f"{questions} has no rows")
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with ExitStack() as stack:
        embedder = None
        if base_url:
            ask = remote_answerer(base_url, api_key)
        else:
            ask, embedder = in_process_answerer(settings, stack)
        if embedder is None and not embeddings_base_url:
            from rag_service.dense import load_embedder

            embedder = load_embedder(settings.embedder)  # None with RAG_EMBEDDER=none: answer relevancy left out
        check_reachable(judge_base_url, "judge")
        if embeddings_base_url:
            check_reachable(embeddings_base_url, "embeddings endpoint")
        llm = judge_llm(judge_base_url, judge_model, judge_api_key, timeout_s)
        metrics = prepared_metrics(llm, ragas_embeddings(embedder, embeddings_base_url, embeddings_model), timeout_s)
        config = {
            "questions": questions.name,
            "answers": base_url or "in process",
            "judge": f"{judge_model} at {judge_base_url}",
            "embeddings": embeddings_base_url or settings.embedder,
            "metrics": sorted(metrics),
            "prompts": "ja-v1",
        }
        columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
        with Progress(*columns, TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task("ragas", total=len(rows))
            per_row = run_ragas(rows, ask, metrics, out / "per_row.jsonl", config, lambda _: bar.advance(task))
    summary = summarise_ragas(per_row, list(metrics))
    if "answer_relevancy" not in metrics:
        summary["note"] = "answer_relevancy left out: no embedder (RAG_EMBEDDER=none) and no --embeddings-base-url"
    title = f"RAGAS on {questions.name}: {len(rows)} questions, judge {judge_model}"
    return write_ragas_report(out, title, summary, config)
