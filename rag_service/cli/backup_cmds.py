"""`rag snapshot create|restore`: a consistent backup of the index, and putting one back."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from rag_service.cli.app import app, err, fail, handled
from rag_service.settings import Settings

snapshot_app = typer.Typer(help="Backups of the index (embedded store or Qdrant server).", no_args_is_help=True)
app.add_typer(snapshot_app, name="snapshot")


def _through_server(settings: Settings, path: Path) -> dict[str, Any] | None:
    """The running server takes the snapshot when it holds the embedded store; None when no server does."""
    from rag_service.cli.remote import snapshot_via_server
    from rag_service.handoff import find_server

    server = find_server(settings.server_file)
    if server is None:
        return None
    name = f"snapshot-{os.getpid()}-{int(time.time())}.tar.gz"  # the server writes under RAG_DATA_DIR/snapshots
    info = snapshot_via_server(server, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(info["path"], path)  # same machine: from the data folder to where it was asked for
    return {**info, "path": str(path), "bytes": path.stat().st_size}


@snapshot_app.command("create")
def snapshot_create(
    path: Annotated[Path, typer.Argument(help="The snapshot file (.tar.gz; a folder on Qdrant).")],
) -> None:
    """A consistent copy of the index: through `rag serve` when it holds the store (searches go on), else directly."""
    from rag_service import snapshot
    from rag_service.index import open_for_search

    settings = Settings()
    with handled():
        info: dict[str, Any] | None
        if settings.qdrant_url is not None:
            info = snapshot.create_on_server(settings, path)
        else:
            info = _through_server(settings, path)
            if info is None:
                index = open_for_search(settings)  # holds the store's lock: no ingestion starts meanwhile
                try:
                    info = snapshot.create_embedded(settings, path)
                finally:
                    index.close()
        assert info is not None
    err.print(f"snapshot written: {path} ({info.get('editions', '?')} editions, {info.get('chunks', '?')} chunks)")
    print(json.dumps(info, ensure_ascii=False))


@snapshot_app.command("restore")
def snapshot_restore(path: Annotated[Path, typer.Argument(help="A snapshot from `rag snapshot create`.")]) -> None:
    """Put the index back as it was in the snapshot (stop `rag serve` first; the next search sees it)."""
    from rag_service import snapshot
    from rag_service.handoff import find_server
    from rag_service.index import open_for_search

    settings = Settings()
    with handled():
        if settings.qdrant_url is not None:
            info = snapshot.restore_on_server(settings, path)
        else:
            server = find_server(settings.server_file)
            if server is not None:
                fail(f"`rag serve` (pid {server.pid}) holds the index: stop it, restore, then start it again")
            snapshot.read_info(path)  # a bad file fails before anything is touched
            if (settings.index_dir / "meta.json").exists():
                open_for_search(settings).close()  # StoreLockedError while an ingestion holds the store
            info = snapshot.restore_embedded(settings, path)
    err.print(f"restored {path}: {info.get('editions', '?')} editions, {info.get('chunks', '?')} chunks")
    print(json.dumps(info, ensure_ascii=False))
