"""`rag`: ingest, corpus, search, recommendations, eval, bench, serve, mcp, snapshot, pii. A thin front door over the
service layer (`rag_service.service`), the typed client (a running service), ingestion/ and eval/.

Importing the command modules registers their commands on `app` (Typer's decorators); nothing else happens here.
"""

from rag_service.cli import (  # noqa: F401  (registers)
    agent_cmds,
    backup_cmds,
    eval_cmds,
    index_cmds,
    safety_cmds,
    search_cmds,
    serve_cmds,
)
from rag_service.cli.app import app

__all__ = ["app"]
