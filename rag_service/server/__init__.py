"""The serving process, composed: one container behind the HTTP API, the console and MCP (`create_app`), or MCP alone
over stdio (`serve_mcp_stdio`). The only place that imports every front door."""

from rag_service.server.app import create_app
from rag_service.server.stdio import serve_mcp_stdio

__all__ = ["create_app", "serve_mcp_stdio"]
