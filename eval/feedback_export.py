"""`rag eval export-qrels`: clinicians' judgements (RAG_DATA_DIR/feedback.jsonl) as files `rag eval retrieval` reads.

Writes queries.jsonl and qrels.jsonl (judged hits, by chunk id) and corpus.jsonl: every chunk of the active editions,
rebuilt from their sources exactly as ingestion cut them (same edition key, same chunk ids), so
`rag eval retrieval --corpus corpus.jsonl --queries queries.jsonl --qrels qrels.jsonl` measures the live corpus on
the clinicians' questions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingestion.chunking import chunk_edition
from ingestion.outline import source_path
from ingestion.sources import read_source
from rag_service.catalog import Catalog
from rag_service.feedback import feedback_qrels, read_feedback
from rag_service.index import open_for_search
from rag_service.points import index_text
from rag_service.settings import Settings


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def corpus_rows(settings: Settings, catalog: Catalog) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for entry in sorted(catalog.entries.values(), key=lambda e: e.source_id):
        doc = read_source(source_path(settings, entry))
        c = settings.chunking
        for chunk in chunk_edition(entry.edition, entry.edition_key, doc.sections, c.max_chars, c.overlap_sentences):
            rows.append({"doc_id": chunk.chunk_id, "title": entry.edition.title, "text": index_text(chunk)})
    return rows


def export_qrels(settings: Settings, out: Path) -> dict[str, int]:
    queries, qrels = feedback_qrels(read_feedback(settings.feedback_path))
    if not qrels:
        raise ValueError(
            f"{settings.feedback_path} has no judgements of hits with a query: POST /v1/feedback with "
            '{"target": "hit", "chunk_id": …, "query": …, "helpful": …} first'
        )
    index = open_for_search(settings)
    try:
        catalog = Catalog.from_doc(index.store.read_catalog())
    finally:
        index.close()
    corpus = corpus_rows(settings, catalog)
    known = {r["doc_id"] for r in corpus}
    kept = [q for q in qrels if q["doc_id"] in known]  # a chunk of an edition since replaced is no longer in the corpus
    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "queries.jsonl", [q for q in queries if any(r["query_id"] == q["query_id"] for r in kept)])
    _write_jsonl(out / "qrels.jsonl", kept)
    _write_jsonl(out / "corpus.jsonl", corpus)
    return {"queries": len({r["query_id"] for r in kept}), "judgements": len(kept), "dropped": len(qrels) - len(kept),
            "passages": len(corpus)}  # fmt: skip
