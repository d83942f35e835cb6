"""`rag mcp`: the MCP tools over stdio, for a desktop MCP client that starts the command itself."""

from __future__ import annotations

import logging
import sys

from rag_service.cli.app import app, err, fail
from rag_service.errors import RagError, StoreLockedError
from rag_service.settings import Settings


@app.command("mcp")
def mcp_stdio() -> None:
    """Serve the MCP tools (search_guidelines, get_citation, answer_with_citations with an LLM) over stdin/stdout.
    Opens the index in this process (RAG_DATA_DIR): while `rag serve` holds it, connect to its /mcp instead."""
    from rag_service.api.app import service_state
    from rag_service.api.mcp_server import build_mcp

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)  # stdout carries the protocol
    settings = Settings()
    try:
        with service_state(settings) as state:
            if not state.index_ready():
                err.print(f"warning: the index under {settings.data_dir} is empty: run `rag ingest` first")
            build_mcp(lambda: state, settings).run("stdio")
    except StoreLockedError as e:
        fail(f"{e}: while `rag serve` holds the index, point the MCP client at its /mcp (streamable HTTP)")
    except RagError as e:
        fail(str(e))
