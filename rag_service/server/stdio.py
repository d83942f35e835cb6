"""`rag mcp`: the MCP tools over stdio, in a process that opens the index itself, as the local user."""

from __future__ import annotations

from rag_service.mcp_tools.server import build_mcp
from rag_service.service import LOCAL, opened
from rag_service.settings import Settings


def serve_mcp_stdio(settings: Settings, warn: bool = True) -> None:
    """Serve until stdin closes (stdout carries the protocol). StoreLockedError while `rag serve` holds the index."""
    import sys

    with opened(settings, llm=True) as c:
        if warn and not c.index_ready():
            print(f"warning: the index under {settings.data_dir} is empty: run `rag ingest` first", file=sys.stderr)
        build_mcp(lambda: c, settings, lambda ctx: LOCAL).run("stdio")
