"""The MCP front door: tools over the service layer (`server`), served at `/mcp` (`http`) or over stdio (`rag mcp`)."""
