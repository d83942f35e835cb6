"""The resumable results files of the evaluation runs (`rag eval exam`, `rag eval ragas`): one JSON line per answered
item, tagged with a hash of the configuration that produced it, so a later run reuses exactly its own rows."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def config_key(config: dict[str, Any]) -> str:
    """A short stable hash of a configuration (the keys' order does not matter)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]


def rows_of_run(results: Path, key: str) -> list[dict[str, Any]]:
    """The rows of `results` written under `key` (a partly written last line, from a crash, is skipped)."""
    if not results.exists():
        return []
    rows = []
    for line in results.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if row.get("run") == key:
            rows.append(row)
    return rows
