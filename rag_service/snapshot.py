"""Backups of the index: `rag snapshot create PATH` and `rag snapshot restore PATH`.

Embedded store: a `.tar.gz` of `RAG_DATA_DIR/index` (shard, meta, catalog) with a `snapshot.json` that says what it
holds. It is consistent because nothing writes while it is taken: with no server, the command opens nothing and
refuses while an ingestion holds the store; with `rag serve` holding the store, the server takes it itself
(`POST /v1/admin/snapshot`), flushing and holding its ingestion lock meanwhile, so searches go on and ingestion
waits. Restore replaces the index folder in two renames, and refuses while a server holds it (stop it first).

Qdrant server (`RAG_QDRANT_URL`): Qdrant's own snapshot API for the collection and its catalog collection
(`create_snapshot`, then `recover_snapshot` from the file's location as the server sees it).
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag_service.errors import RagError
from rag_service.settings import Settings

MARKER = "snapshot.json"


def _catalog_summary(index_dir: Path) -> dict[str, Any]:
    try:
        doc = json.loads((index_dir / "catalog.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"editions": 0, "chunks": 0}
    editions = doc.get("editions", {})
    return {"editions": len(editions), "chunks": sum(int(e.get("chunks", 0)) for e in editions.values())}


def create_embedded(settings: Settings, path: Path) -> dict[str, Any]:
    """Write the snapshot; the caller guarantees that nothing writes to the index meanwhile."""
    index_dir = settings.index_dir
    if not (index_dir / "meta.json").exists():
        raise RagError(f"{index_dir} holds no index: nothing to snapshot (run `rag ingest` first)")
    info = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "meta": json.loads((index_dir / "meta.json").read_text(encoding="utf-8")),
        **_catalog_summary(index_dir),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    with tarfile.open(tmp, "w:gz") as tar:
        tar.add(index_dir, arcname="index")
        data = json.dumps(info, ensure_ascii=False, indent=1).encode()
        member = tarfile.TarInfo(MARKER)
        member.size, member.mtime = len(data), int(time.time())
        tar.addfile(member, io.BytesIO(data))
    tmp.replace(path)  # a snapshot is either whole or absent
    return {**info, "path": str(path), "bytes": path.stat().st_size}


def read_info(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:gz") as tar:
            f = tar.extractfile(MARKER)
            if f is None:
                raise RagError(f"{path} is not a snapshot of this service (no {MARKER})")
            info: dict[str, Any] = json.loads(f.read())
            return info
    except (OSError, tarfile.TarError, KeyError, ValueError) as e:
        raise RagError(f"{path} is not a readable snapshot ({e}): was it written by `rag snapshot create`?") from e


def restore_embedded(settings: Settings, path: Path) -> dict[str, Any]:
    """Replace the index folder with the snapshot's (the caller guarantees that no process holds the store)."""
    info = read_info(path)
    index_dir = settings.index_dir
    staging = settings.data_dir / f".restore-{int(time.time() * 1000)}"
    staging.mkdir(parents=True)
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name == "index" or m.name.startswith("index/")]
            tar.extractall(staging, members=members, filter="data")  # no absolute paths, links out, devices
        if not (staging / "index" / "meta.json").exists():
            raise RagError(f"{path} holds no index/meta.json: not a snapshot of this service")
        old = settings.data_dir / f".replaced-{int(time.time() * 1000)}"
        if index_dir.exists():
            index_dir.rename(old)
        (staging / "index").rename(index_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {**info, "restored_to": str(index_dir)}


def create_on_server(settings: Settings, path: Path) -> dict[str, Any]:  # pragma: no cover - needs a Qdrant server
    """Qdrant's snapshots of the collection and its catalog collection, downloaded next to `path`."""
    import httpx
    from qdrant_client import QdrantClient

    assert settings.qdrant_url is not None
    client = QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key)
    headers = {"api-key": settings.qdrant_api_key} if settings.qdrant_api_key else {}
    out: dict[str, Any] = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), "files": []}
    path.mkdir(parents=True, exist_ok=True)
    for name in (settings.collection, f"{settings.collection}__catalog"):
        snap = client.create_snapshot(collection_name=name, wait=True)
        if snap is None:
            raise RagError(f"the Qdrant server did not create a snapshot of {name}")
        url = f"{settings.qdrant_url.rstrip('/')}/collections/{name}/snapshots/{snap.name}"
        target = path / f"{name}.snapshot"
        with httpx.stream("GET", url, headers=headers, timeout=600) as r:
            r.raise_for_status()
            with target.open("wb") as f:
                for chunk in r.iter_bytes():
                    f.write(chunk)
        out["files"].append(str(target))
    (path / MARKER).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return out


def restore_on_server(settings: Settings, path: Path) -> dict[str, Any]:  # pragma: no cover - needs a Qdrant server
    """Upload each collection's snapshot file back (Qdrant's `snapshots/upload`, priority snapshot)."""
    import httpx

    assert settings.qdrant_url is not None
    headers = {"api-key": settings.qdrant_api_key} if settings.qdrant_api_key else {}
    for name in (settings.collection, f"{settings.collection}__catalog"):
        file = path / f"{name}.snapshot"
        url = f"{settings.qdrant_url.rstrip('/')}/collections/{name}/snapshots/upload?priority=snapshot&wait=true"
        with file.open("rb") as f:
            r = httpx.post(url, headers=headers, files={"snapshot": (file.name, f)}, timeout=600)
        if r.status_code >= 300:
            raise RagError(f"the Qdrant server refused the snapshot of {name}: {r.status_code} {r.text[:300]}")
    return json.loads((path / MARKER).read_text(encoding="utf-8"))
