"""The hand-off file between `rag serve` and the other commands on one machine.

The embedded store belongs to one process, so while `rag serve` holds it, it writes `RAG_DATA_DIR/server.json`
(mode 0600: pid, URL, a per-run admin token) and removes it on shutdown; `rag ingest` and `rag snapshot create` find
that file and hand their job to the server's admin routes through the typed client. Only a serving process writes
the file: one-shot commands (`rag search`) open the index themselves and never announce a server.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from rag_service.settings import Settings


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    url: str
    admin_token: str


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_server(server_file: Path) -> ServerInfo | None:
    """The running server that holds this data folder, or None (a stale file from a dead process is ignored)."""
    try:
        doc = json.loads(server_file.read_text(encoding="utf-8"))
        info = ServerInfo(pid=int(doc["pid"]), url=str(doc["url"]), admin_token=str(doc["admin_token"]))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    return info if _pid_alive(info.pid) else None


def write_server_file(settings: Settings, admin_token: str) -> None:
    """Announce this process as the holder of the embedded store (atomic replace, owner-only permissions)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.server_file
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        url = f"http://{settings.host}:{settings.port}"
        json.dump({"pid": os.getpid(), "url": url, "admin_token": admin_token}, f)
    os.replace(tmp, path)


def remove_server_file(settings: Settings) -> None:
    """Withdraw the announcement, unless another process has written its own since."""
    try:
        doc = json.loads(settings.server_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return
    if doc.get("pid") == os.getpid():
        settings.server_file.unlink(missing_ok=True)
