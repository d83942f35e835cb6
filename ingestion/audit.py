"""The audit log: one JSON line per ingestion run (who, when, what changed), appended, never rewritten."""

from __future__ import annotations

import getpass
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def append_audit(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    full = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": _who(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        **record,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(full, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return full


def read_audit(path: Path, last: int = 20) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[-last:] if line.strip()]
