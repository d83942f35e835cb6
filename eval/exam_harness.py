"""The specialist-exam setting, reproducible: closed book, RAG, and RAG with majority voting, over exam questions in
the format of `../shared/data/questions/*.jsonl`, through the same `exam()` as `POST /v1/exam`.

Each answered (question, condition) is appended to `results.jsonl` at once, keyed by question id, condition and a
hash of the configuration, so a run that dies at question 900 continues at 901 when started again with the same
configuration. Questions that need a figure (`has_image`), numeric answers and rows without an answer are left
out and counted.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.run_log import config_key, rows_of_run
from rag_service.exam import exam, exam_query_text
from rag_service.llm import LLMClient
from rag_service.query import Mode, SearchQuery
from rag_service.retrieve import Retriever
from rag_service.settings import Settings

CONDITIONS = ("closed", "rag", "rag-vote")


@dataclass(frozen=True)
class ExamQuestion:
    id: str
    question: str
    choices: dict[str, str]
    accepted: tuple[str, ...]  # each an accepted answer, letters sorted ("ac")
    answer_type: str  # single | multi | numeric | alternatives | missing
    n_select: int | None = None
    exam: str = ""
    year: int | None = None
    category: str = ""
    has_image: bool = False
    kinki: tuple[str, ...] = ()  # 禁忌肢: letters a careful clinician must never choose

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ExamQuestion:
        accepted = row.get("accepted") or ([row["answer"]] if row.get("answer") else [])
        return cls(
            id=str(row["id"]),
            question=str(row["question"]),
            choices={str(k).lower(): str(v) for k, v in (row.get("choices") or {}).items()},
            accepted=tuple("".join(sorted(str(a).lower())) for a in accepted),
            answer_type=str(row.get("answer_type") or "single"),
            n_select=row.get("n_select"),
            exam=str(row.get("exam") or ""),
            year=row.get("year"),
            category=str(row.get("category") or ""),
            has_image=bool(row.get("has_image")),
            kinki=tuple(str(k).lower() for k in row.get("kinki") or ()),
        )

    def left_out(self) -> str | None:
        """Why this question is not asked (None: it is)."""
        if self.has_image:
            return "needs a figure"
        if self.answer_type == "missing" or not self.accepted:
            return "no answer"
        if self.answer_type == "numeric":
            return "numeric answer"
        if len(self.choices) < 2:
            return "no choices"
        return None

    def is_correct(self, letters: str) -> bool:
        return bool(letters) and "".join(sorted(letters)) in self.accepted


def load_questions(paths: Iterable[Path]) -> list[ExamQuestion]:
    questions: list[ExamQuestion] = []
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    questions.append(ExamQuestion.from_row(json.loads(line)))
                except (ValueError, KeyError, TypeError) as e:
                    raise ValueError(f"{path}:{line_no}: not an exam question row ({e})") from e
    return questions


@dataclass(frozen=True)
class ExamRun:
    """What decides the answers: a result from another configuration is never reused."""

    conditions: tuple[str, ...] = ("closed", "rag")
    votes: int = 5
    top_k: int = 5
    mode: Mode = "hybrid"
    temperature: float = 0.7
    max_tokens: int = 256
    seed: int = 0
    model: str = ""
    retrieval: dict[str, Any] = field(default_factory=dict)  # embedder, fusion, weights: what the sources depend on

    def key(self) -> str:
        return config_key({k: v for k, v in asdict(self).items() if k != "conditions"})


Answerer = Callable[[ExamQuestion, str], dict[str, Any]]


def in_process_answerer(retriever: Retriever, llm: LLMClient, run: ExamRun, settings: Settings) -> Answerer:
    """Answers through `rag_service.exam.exam`, the code behind `POST /v1/exam`."""

    def answer(q: ExamQuestion, condition: str) -> dict[str, Any]:
        search = None
        if condition != "closed":
            text = exam_query_text(q.question, q.choices)
            search = SearchQuery.checked(text, settings.retrieval, run.top_k, run.mode, query_kind="exam")
        votes = run.votes if condition == "rag-vote" else 1
        take = getattr(llm, "take_usage", None)
        if callable(take):
            take()  # start counting this question's tokens
        result = exam(
            q.question, q.choices, retriever, llm, search, q.n_select, votes, run.temperature, run.max_tokens, run.seed
        )
        return {
            "letters": result.answer_letters,
            "votes": result.votes,
            "fallback": sum(result.fallback),
            "cited_units": [c.chunk.unit_id or c.chunk.chunk_id for c in result.citations],
            "source_units": [h.chunk.unit_id or h.chunk.chunk_id for h in result.hits],
            "tokens": take() if callable(take) else None,
        }

    return answer


def remote_answerer(base_url: str, api_key: str | None, run: ExamRun, timeout_s: float = 600.0) -> Answerer:
    """Answers through a running service's `POST /v1/exam` (its own LLM and index; `run` says how to ask)."""
    from rag_service.client import RagClient

    client = RagClient(base_url, api_key, timeout_s=timeout_s)

    def answer(q: ExamQuestion, condition: str) -> dict[str, Any]:
        doc = client.exam(
            q.question,
            q.choices,
            n_select=q.n_select,
            votes=run.votes if condition == "rag-vote" else 1,
            no_rag=condition == "closed",
            top_k=run.top_k,
            mode=run.mode,
        )
        return {
            "letters": doc.answer_letters,
            "votes": doc.votes,
            "fallback": doc.fallback_parsed,
            "cited_units": [c.citation.unit_id or c.chunk_id for c in doc.citations],
            "source_units": doc.sources,
            "tokens": doc.usage,
        }

    return answer


def load_done(results: Path, run_key: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Rows already answered under this configuration (a partly written last line is ignored)."""
    return {(row["id"], row["condition"]): row for row in rows_of_run(results, run_key)}


def run_exam(
    questions: Sequence[ExamQuestion],
    run: ExamRun,
    answer: Answerer,
    results: Path,
    concurrency: int = 1,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Answer every asked question under every condition, resuming from `results`; the rows of this run."""
    key = run.key()
    done = load_done(results, key)
    todo = [(q, c) for q in questions if q.left_out() is None for c in run.conditions if (q.id, c) not in done]
    results.parent.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()
    failed = threading.Event()

    def one(item: tuple[ExamQuestion, str]) -> dict[str, Any] | None:
        if failed.is_set():  # after the first error nothing new is asked: the next run resumes from the file
            return None
        q, condition = item
        t0 = time.perf_counter()
        try:
            got = answer(q, condition)
        except BaseException:
            failed.set()
            raise
        row = {
            "run": key,
            "id": q.id,
            "condition": condition,
            **got,
            "correct": q.is_correct(got["letters"]),
            "kinki_chosen": bool(set(got["letters"]) & set(q.kinki)),
            "latency_s": round(time.perf_counter() - t0, 3),
        }
        with lock:  # one whole line at a time, flushed: a crash loses at most the answer in flight
            with results.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
            done[(q.id, condition)] = row
            if on_row is not None:
                on_row(row)
        return row

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        list(pool.map(one, todo))  # the first error stops the run; what was written stays for the next one
    return [done[(q.id, c)] for q in questions if q.left_out() is None for c in run.conditions]
