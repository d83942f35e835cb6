"""Clinicians' judgements of hits and answers, kept as evaluation data.

`POST /v1/feedback` appends one JSON line to RAG_DATA_DIR/feedback.jsonl. Free text (the query, a reason) passes the
patient-data masker first, so the file holds no more than the logs may. `feedback_qrels` turns the judgements of
hits into the query and qrels files `rag eval retrieval` reads (helpful → relevance 2, not helpful → 0; the latest
judgement of a query–chunk pair wins).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag_service.pii import mask_text


def feedback_record(
    target: str,
    helpful: bool,
    request_id: str | None = None,
    chunk_id: str | None = None,
    query: str | None = None,
    reason: str | None = None,
    key_id: str | None = None,
) -> dict[str, Any]:
    """One judgement as stored: free text masked, a new id, the time in UTC."""
    return {
        "id": uuid.uuid4().hex[:16],
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "target": target,
        "helpful": helpful,
        "request_id": request_id,
        "chunk_id": chunk_id,
        "query": mask_text(query) if query else None,
        "reason": mask_text(reason) if reason else None,
        "key_id": key_id,
    }


def append_feedback(path: Path, record: dict[str, Any]) -> None:
    """One whole line, flushed and synced: a crash loses at most the judgement being written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_feedback(path: Path) -> list[dict[str, Any]]:
    """Every judgement in the file; a partly written last line (a crash) is skipped."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def query_id(text: str) -> str:
    return "fb-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def feedback_qrels(records: Iterable[dict[str, Any]]) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """(queries, qrels) from the judgements of hits that carry a query and a chunk id."""
    grades: dict[tuple[str, str], int] = {}
    texts: dict[str, str] = {}
    for r in sorted(records, key=lambda r: str(r.get("at", ""))):
        if r.get("target") != "hit" or not r.get("query") or not r.get("chunk_id"):
            continue
        qid = query_id(r["query"])
        texts[qid] = r["query"]
        grades[(qid, r["chunk_id"])] = 2 if r.get("helpful") else 0
    queries = [{"query_id": q, "text": t} for q, t in sorted(texts.items())]
    qrels = [{"query_id": q, "doc_id": d, "relevance": g} for (q, d), g in sorted(grades.items())]
    return queries, qrels
