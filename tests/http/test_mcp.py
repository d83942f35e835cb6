"""The MCP server through the SDK's own client, over both transports: streamable HTTP at /mcp of the app served on
127.0.0.1 (the same API keys and scopes), and stdio (`rag mcp` as a subprocess that opens the index itself)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import pytest
import yaml
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, ImageContent, TextContent

from rag_service import service
from rag_service.client import RagClient
from rag_service.server import create_app
from rag_service.settings import Settings
from rag_service.version import service_version
from tests.local_server import serve_in_thread
from tests.rule_llm import RuleLLM

KEY, SEARCH_ONLY = "k-mcp-all-00001", "k-mcp-search-01"
QUERY = "医師法 第二十一条 異状死体の届出"
QUESTION = "医師が死体を検案して異状があると認めたとき、何時間以内に届け出なければならないか。"
T = TypeVar("T")


@pytest.fixture(scope="module")
def served(law_index: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("mcp")
    shutil.copytree(law_index[0], tmp / "var")
    keys = tmp / "keys.yaml"
    keys.write_text(yaml.safe_dump([{"key": KEY}, {"key": SEARCH_ONLY, "scopes": ["search"]}]), encoding="utf-8")
    with RuleLLM() as llm:
        settings = Settings(
            data_dir=tmp / "var", embedder="none", api_keys_file=keys, llm_base_url=f"http://127.0.0.1:{llm.port}/v1"
        )
        with serve_in_thread(create_app(settings)) as port:
            yield f"http://127.0.0.1:{port}/mcp"


def over_http(url: str, key: str | None, work: Callable[[Client], Awaitable[T]]) -> T:
    async def go() -> T:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        http = httpx2.AsyncClient(headers=headers)
        async with http, Client(streamable_http_client(url, http_client=http)) as client:
            return await work(client)

    return asyncio.run(go())


def texts(result: CallToolResult) -> list[str]:
    return [c.text for c in result.content if isinstance(c, TextContent)]


async def search_then_cite(client: Client) -> dict[str, Any]:
    tools = await client.list_tools()
    found = await client.call_tool("search_guidelines", {"query": QUERY, "top_k": 3, "mode": "bm25"})
    hits = (found.structured_content or {})["hits"]
    cited = await client.call_tool("get_citation", {"chunk_id": hits[0]["chunk_id"]})
    missing = await client.call_tool("get_citation", {"chunk_id": "存在しないID"})
    return {
        "tools": {t.name for t in tools.tools},
        "schemas": {t.name: t.output_schema for t in tools.tools},
        "version": client.server_info.version if client.server_info else None,
        "found": found,
        "hits": hits,
        "cited": cited,
        "missing": missing,
    }


def check_schemas(got: dict[str, Any]) -> None:
    """Every tool declares its output schema (agents validate and read `structured_content` by it), and the server
    reports the installed version."""
    assert got["version"] == service_version()
    for name, schema in got["schemas"].items():
        assert schema and schema["type"] == "object" and schema["properties"], name
    assert {"hits", "timings_ms"} <= set(got["schemas"]["search_guidelines"]["properties"])
    assert {"hit", "page_image", "why"} <= set(got["schemas"]["get_citation"]["properties"])


def check_search_and_citation(got: dict[str, Any]) -> None:
    assert not got["found"].is_error and 1 <= len(got["hits"]) <= 3
    top = got["hits"][0]
    assert top["citation"]["source_id"] == "law-19dc84fdb0" and top["citation"]["title"] == "医師法"
    assert "異状" in top["text"] and top["citation"]["page_start"] >= 1
    cited = got["cited"]
    assert not cited.is_error
    doc = (cited.structured_content or {})["hit"]
    assert doc["chunk_id"] == top["chunk_id"] and doc["text"] == top["text"] and doc["citation"]["title"] == "医師法"
    assert json.loads(texts(cited)[0])["hit"]["chunk_id"] == doc["chunk_id"]  # the same, for a client without it
    # the laws are text sources: no page image, and the reason given
    assert not [c for c in cited.content if isinstance(c, ImageContent)]
    assert (cited.structured_content or {})["page_image"] is None and (cited.structured_content or {})["why"]
    assert got["missing"].is_error and "存在しないID" in texts(got["missing"])[0]


def test_http_lists_the_tools_and_returns_cited_hits(served: str) -> None:
    got = over_http(served, KEY, search_then_cite)
    assert got["tools"] == {
        "search_guidelines",
        "get_citation",
        "guideline_outline",
        "list_recommendations",
        "edition_changes",
        "answer_with_citations",
    }
    check_search_and_citation(got)
    check_schemas(got)


def test_http_answer_tool_cites_and_needs_the_answer_scope(served: str) -> None:
    async def ask(client: Client) -> CallToolResult:
        return await client.call_tool("answer_with_citations", {"question": QUESTION, "mode": "bm25"})

    answered = over_http(served, KEY, ask)
    doc = answered.structured_content or {}
    assert not answered.is_error and not doc["abstained"] and "二十四時間" in doc["answer"]
    assert doc["citations"][0]["citation"]["source_id"] == "law-19dc84fdb0"
    refused = over_http(served, SEARCH_ONLY, ask)
    assert refused.is_error and "may not use `answer`" in texts(refused)[0]

    async def search(client: Client) -> CallToolResult:
        return await client.call_tool("search_guidelines", {"query": QUERY, "mode": "bm25"})

    assert not over_http(served, SEARCH_ONLY, search).is_error


def test_http_without_a_key_is_refused(served: str) -> None:
    async def list_tools(client: Client) -> Any:
        return await client.list_tools()

    for key in (None, "wrong-key-123"):
        with pytest.raises(Exception) as refused:  # mcp 2.3 wraps the 401 as a generic MCPError in a task group
            over_http(served, key, list_tools)
        assert "MCPError" in repr(refused.value) or "401" in repr(refused.value), repr(refused.value)
    with httpx2.Client() as http:  # what any client sees: 401 with the reason
        r = http.post(served, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert r.status_code == 401 and "Authorization: Bearer" in r.json()["detail"]


def rag_mcp_on_a_copy(index: Path, tmp_path: Path) -> StdioServerParameters:
    """`rag mcp` as a desktop client starts it, on a copy of the index under `tmp_path/var`."""
    shutil.copytree(index, tmp_path / "var")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "HF_HUB_OFFLINE": "1",
        "RAG_DATA_DIR": str(tmp_path / "var"),
        "RAG_EMBEDDER": "none",
    }
    return StdioServerParameters(command=sys.executable, args=["-m", "rag_service.cli", "mcp"], env=env)


def test_stdio_rag_mcp_opens_the_index_itself(law_index: tuple[Path, Path], tmp_path: Path) -> None:
    params = rag_mcp_on_a_copy(law_index[0], tmp_path)

    async def go() -> dict[str, Any]:
        async with Client(params, read_timeout_seconds=120) as client:
            return await search_then_cite(client)

    got = asyncio.run(go())
    corpus = {"guideline_outline", "list_recommendations", "edition_changes"}
    assert got["tools"] == {"search_guidelines", "get_citation", *corpus}  # no LLM: no answer tool
    check_search_and_citation(got)
    check_schemas(got)


def test_stdio_on_an_index_held_elsewhere_answers_with_the_reason(law_index: tuple[Path, Path], tmp_path: Path) -> None:
    """An MCP client sees only the protocol: while another process (here: this one, as `rag serve` would) holds the
    index, `rag mcp` still starts, each tool call is an error that says what to do, and once the index is free the
    next call answers."""
    params = rag_mcp_on_a_copy(law_index[0], tmp_path)
    held = ExitStack()
    held.enter_context(service.opened(Settings(data_dir=tmp_path / "var", embedder="none")))  # as `rag serve` does

    async def go() -> tuple[CallToolResult, CallToolResult, Any]:
        async with Client(params, read_timeout_seconds=120) as client:
            tools = await client.list_tools()
            refused = await client.call_tool("search_guidelines", {"query": QUERY, "mode": "bm25"})
            held.close()  # the other process lets go
            found = await client.call_tool("search_guidelines", {"query": QUERY, "mode": "bm25"})
            return refused, found, tools

    try:
        refused, found, tools = asyncio.run(go())
    finally:
        held.close()
    assert "search_guidelines" in {t.name for t in tools.tools}
    assert refused.is_error
    assert "holds the index" in texts(refused)[0] and "/mcp" in texts(refused)[0]
    assert not found.is_error and (found.structured_content or {})["hits"][0]["citation"]["title"] == "医師法"


def test_get_citation_of_a_pdf_passage_carries_the_highlighted_page(tmp_path: Path) -> None:
    """A guideline PDF: the cited page comes back as a PNG (the page image module) with the passage highlighted."""
    from ingestion.progress import NullProgress
    from ingestion.run import run_ingest
    from rag_service.store import EdgeStore
    from tests.conftest import demo_entries, write_manifest

    settings = Settings(data_dir=tmp_path / "var", embedder="none")
    store = EdgeStore(settings.index_dir)
    entry = {k: v for k, v in demo_entries(("demo-htn-2025",))[0].items() if k != "supersedes"}
    run_ingest(settings, store, None, write_manifest(tmp_path, [entry]), NullProgress())
    store.close()

    async def cite(client: Client) -> CallToolResult:
        found = await client.call_tool("search_guidelines", {"query": "降圧目標", "top_k": 1, "mode": "bm25"})
        return await client.call_tool(
            "get_citation", {"chunk_id": (found.structured_content or {})["hits"][0]["chunk_id"]}
        )

    async def outline(client: Client) -> CallToolResult:
        return await client.call_tool("guideline_outline", {"source_id": "demo-htn-2025"})

    with serve_in_thread(create_app(settings)) as port:
        cited = over_http(f"http://127.0.0.1:{port}/mcp", None, cite)
        with RagClient(f"http://127.0.0.1:{port}") as rag:  # the typed client reaches the same chunk and page
            cited_id = (cited.structured_content or {})["hit"]["chunk_id"]
            same = rag.chunk(cited_id)
            png = rag.chunk_page(cited_id, dpi=72)
        (tmp_path / "guidelines" / "demo_htn_2025.pdf").unlink()  # the outline is read from the index, not the PDF
        shown = over_http(f"http://127.0.0.1:{port}/mcp", None, outline)
    assert same.chunk_id == cited_id and png[:8] == b"\x89PNG\r\n\x1a\n"
    recs = (shown.structured_content or {})["recommendations"]
    assert not shown.is_error and {r["cq"] for r in recs} >= {"CQ2-1", "CQ2-2"}
    assert all(r["grade"]["strength"] in (1, 2) and r["page_start"] >= 1 for r in recs)
    assert not cited.is_error
    images = [c for c in cited.content if isinstance(c, ImageContent)]
    assert len(images) == 1 and base64.b64decode(images[0].data)[:8] == b"\x89PNG\r\n\x1a\n"
    note = (cited.structured_content or {})["page_image"]
    doc = (cited.structured_content or {})["hit"]
    assert (
        doc["citation"]["page_start"] <= note["page"] <= doc["citation"]["page_end"] and note["highlighted_boxes"] > 0
    )
