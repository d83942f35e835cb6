"""The HTTP API: request dependencies (`deps`), one router per resource, the error mapping (`app`). The app that
serves it with the console and MCP is composed in `rag_service.server`."""
