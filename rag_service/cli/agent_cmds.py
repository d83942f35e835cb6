"""`rag mcp`: the MCP tools over stdio, for a desktop MCP client that starts the command itself."""

from __future__ import annotations

import logging
import sys

from rag_service.cli.app import app, handled
from rag_service.settings import Settings


@app.command("mcp")
def mcp_stdio() -> None:
    """Serve the MCP tools (search_guidelines, get_citation, guideline_outline, list_recommendations,
    edition_changes, answer_with_citations with an LLM) over stdin/stdout. Opens the index in this process
    (RAG_DATA_DIR): while `rag serve` holds it, connect to its /mcp instead (each tool call says so)."""
    from rag_service.server import serve_mcp_stdio

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)  # stdout carries the protocol
    with handled("while `rag serve` holds the index, point the MCP client at its /mcp (streamable HTTP)"):
        serve_mcp_stdio(Settings())
