"""Loaders for the retrieval benchmarks in `../shared/data` (read in place, never copied into the repo).

- `jaqa_wiki`: 13,447 Japanese Wikipedia passages, 597 dev queries (232 marked medical), one gold passage each.
- `nmle_law`: 26 national-exam questions → the statute articles that decide them (graded qrels 1/2);
  its corpus is `corpus/egov_health_laws_2013.jsonl` (4,386 articles).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DATASETS = ("jaqa_wiki", "nmle_law")


@dataclass(frozen=True)
class Passage:
    doc_id: str
    title: str
    text: str
    medical: bool = False

    @property
    def indexed_text(self) -> str:
        """What every system indexes: the title line, then the text (the title names the article or statute)."""
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True)
class Query:
    query_id: str
    text: str
    medical: bool = False
    orig_split: str = ""


@dataclass(frozen=True)
class RetrievalDataset:
    name: str
    corpus: tuple[Passage, ...]
    queries: tuple[Query, ...]
    qrels: dict[str, dict[str, int]] = field(repr=False)
    note: str = ""

    def gold_ids(self) -> set[str]:
        return {doc_id for grades in self.qrels.values() for doc_id, rel in grades.items() if rel > 0}


def shared_data_dir() -> Path:
    """`../shared/data` next to the repository root, or `RAG_SHARED_DATA` when set."""
    override = os.environ.get("RAG_SHARED_DATA")
    path = Path(override) if override else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not path.is_dir():
        raise FileNotFoundError(
            f"shared data folder not found: {path}. "
            "Set RAG_SHARED_DATA to the folder that holds retrieval/ and corpus/."
        )
    return path


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise FileNotFoundError(f"missing benchmark file: {path} (set RAG_SHARED_DATA to the shared data folder)")
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{line_no}: not valid JSON: {exc}") from exc


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for row in _read_jsonl(path):
        qrels.setdefault(str(row["query_id"]), {})[str(row["doc_id"])] = int(row["relevance"])
    return qrels


def load_jaqa_wiki(data_dir: Path | None = None) -> RetrievalDataset:
    root = (data_dir or shared_data_dir()) / "retrieval" / "jaqa_wiki"
    corpus = tuple(
        Passage(str(r["doc_id"]), str(r.get("title") or ""), str(r["text"]), bool(r.get("medical", False)))
        for r in _read_jsonl(root / "corpus.jsonl")
    )
    queries = tuple(
        Query(str(r["query_id"]), str(r["text"]), bool(r.get("medical", False)), str(r.get("orig_split", "")))
        for r in _read_jsonl(root / "queries.dev.jsonl")
    )
    return RetrievalDataset("jaqa_wiki", corpus, queries, read_qrels(root / "qrels.dev.jsonl"))


def load_nmle_law(data_dir: Path | None = None) -> RetrievalDataset:
    base = data_dir or shared_data_dir()
    root = base / "retrieval" / "nmle_law"
    corpus = tuple(
        Passage(str(r["doc_id"]), str(r.get("title") or ""), str(r["text"]), True)
        for r in _read_jsonl(base / "corpus" / "egov_health_laws_2013.jsonl")
    )
    queries = tuple(Query(str(r["query_id"]), str(r["text"]), True) for r in _read_jsonl(root / "queries.dev.jsonl"))
    return RetrievalDataset("nmle_law", corpus, queries, read_qrels(root / "qrels.dev.jsonl"))


def load_custom(corpus: Path, queries: Path, qrels: Path, name: str = "custom") -> RetrievalDataset:
    """A hospital's own set in the bundled formats: corpus rows `{doc_id, title?, text, medical?}`, query rows
    `{query_id, text, medical?}`, qrels rows `{query_id, doc_id, relevance}` (graded; ≤ 0 is not relevant)."""
    passages = tuple(
        Passage(str(r["doc_id"]), str(r.get("title") or ""), str(r["text"]), bool(r.get("medical", False)))
        for r in _read_jsonl(corpus)
    )
    qs = tuple(Query(str(r["query_id"]), str(r["text"]), bool(r.get("medical", False))) for r in _read_jsonl(queries))
    judged = read_qrels(qrels)
    if not passages or not qs:
        raise ValueError(f"{corpus if not passages else queries}: no rows")
    known = {p.doc_id for p in passages}
    missing = sorted({d for grades in judged.values() for d in grades} - known)
    if missing:
        raise ValueError(f"{qrels}: {len(missing)} judged doc ids are not in {corpus} (first: {missing[0]})")
    return RetrievalDataset(name, passages, qs, judged)


def load_dataset(name: str, data_dir: Path | None = None) -> RetrievalDataset:
    if name == "jaqa_wiki":
        return load_jaqa_wiki(data_dir)
    if name == "nmle_law":
        return load_nmle_law(data_dir)
    raise ValueError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")


def first_queries(dataset: RetrievalDataset, n: int) -> RetrievalDataset:
    """The first `n` queries and their qrels only (so a sub-corpus keeps just their gold passages)."""
    queries = dataset.queries[:n]
    keep = {q.query_id for q in queries}
    return replace(dataset, queries=queries, qrels={k: v for k, v in dataset.qrels.items() if k in keep})


def sub_corpus(dataset: RetrievalDataset, size: int, seed: int = 0) -> RetrievalDataset:
    """Every gold passage of the queries plus a seeded random sample of distractors, `size` passages in all.

    The sample is drawn from the sorted ids of the non-gold passages with `random.Random(seed)`, so the same
    (dataset, size, seed) gives the same sub-corpus on any machine; corpus order is kept.
    """
    gold = dataset.gold_ids()
    present = {p.doc_id for p in dataset.corpus}
    n_gold = len(gold & present)
    if size >= len(dataset.corpus):
        return dataset
    if size < n_gold:
        raise ValueError(f"sub-corpus of {size} cannot hold the {n_gold} gold passages of {dataset.name}")
    distractors = sorted(present - gold)
    keep = gold | set(random.Random(seed).sample(distractors, size - n_gold))
    corpus = tuple(p for p in dataset.corpus if p.doc_id in keep)
    note = f"sub-corpus: {n_gold} gold + {size - n_gold} distractors (random.Random({seed}) over sorted ids)"
    return replace(dataset, corpus=corpus, note=note)
