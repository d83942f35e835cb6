"""`rag mcp`: the MCP tools over stdio, in a process that opens the index itself, as the local user.

An MCP client starts this command and reads only the protocol: a message on stderr and an exit are seen as
"Connection closed". So the server always starts, and an index it cannot open (held by `rag serve`, missing, of
another embedder) is each tool call's error, with what to do; a later call tries again."""

from __future__ import annotations

import sys
from contextlib import ExitStack

from rag_service.errors import RagError, StoreLockedError
from rag_service.mcp_tools.server import build_mcp
from rag_service.service import LOCAL, Container, opened
from rag_service.settings import Settings

HELD = "While `rag serve` runs, connect the MCP client to its /mcp (streamable HTTP) instead of `rag mcp`."


class _Opening:
    """The container, opened on first use and kept open; opening again after a failure."""

    def __init__(self, settings: Settings, stack: ExitStack) -> None:
        self.settings, self.stack = settings, stack
        self.container: Container | None = None

    def __call__(self) -> Container:
        if self.container is None:
            try:
                self.container = self.stack.enter_context(opened(self.settings, llm=True))
            except StoreLockedError as e:
                raise StoreLockedError(f"{e} {HELD}") from e
        return self.container


def serve_mcp_stdio(settings: Settings, warn: bool = True) -> None:
    """Serve until stdin closes (stdout carries the protocol; warnings go to stderr)."""
    with ExitStack() as stack:
        get = _Opening(settings, stack)
        try:
            c = get()
            if warn and not c.index_ready():
                print(f"warning: the index under {settings.data_dir} is empty: run `rag ingest` first", file=sys.stderr)
        except RagError as e:  # the client learns it from its first tool call; stderr is for its log
            print(f"error: {e} (each tool call will say so until the index can be opened)", file=sys.stderr)
        build_mcp(get, settings, lambda ctx: LOCAL).run("stdio")
