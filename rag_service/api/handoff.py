"""The hand-off between `rag serve` and `rag ingest` on one machine, both sides in one module.

The embedded store belongs to one process, so while `rag serve` holds it, it writes `RAG_DATA_DIR/server.json`
(mode 0600: pid, URL, a per-run admin token) and removes it on shutdown; `rag ingest` finds that file and hands
its job to `POST /v1/admin/ingest`, following progress from `GET /v1/admin/jobs/{id}`. Only a serving process
writes the file: one-shot commands (`rag search`) open the index themselves and never announce a server.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ingestion.progress import ProgressSink
from rag_service.errors import BackendUnavailable, RagError
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


def _sync(progress: ProgressSink, seen: dict[str, dict[str, int]], snap: dict[str, Any]) -> None:
    for part, fn in (("totals", progress.total), ("done", progress.advance)):
        for kind, value in snap.get(part, {}).items():
            delta = int(value) - seen[part].get(kind, 0)
            if delta:
                fn(kind, delta)
                seen[part][kind] = int(value)


def ingest_via_server(
    server: ServerInfo, manifest: Path, dry_run: bool, progress: ProgressSink, poll_s: float = 0.5
) -> dict[str, Any]:
    """Start the job on the server and follow its progress; returns the job's result."""
    headers = {"X-Admin-Token": server.admin_token}
    try:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30.0) as client:
            r = client.post("/v1/admin/ingest", json={"manifest": str(manifest.resolve()), "dry_run": dry_run})
            if r.status_code != 202:
                raise RagError(f"the server at {server.url} refused the ingestion job: {r.status_code} {r.text}")
            job_id = r.json()["id"]
            seen: dict[str, dict[str, int]] = {"totals": {}, "done": {}}
            while True:
                job = client.get(f"/v1/admin/jobs/{job_id}").json()
                _sync(progress, seen, job["progress"])
                if job["state"] != "running":
                    break
                time.sleep(poll_s)
    except httpx.HTTPError as e:
        raise BackendUnavailable(
            f"`rag serve` (pid {server.pid}) holds the index but did not answer at {server.url}: {e}. "
            "Check that it is healthy, or stop it and run `rag ingest` again."
        ) from e
    if job["state"] == "failed":
        raise RagError(f"ingestion failed on the server: {job['error']}")
    result: dict[str, Any] = job["result"]
    return result
