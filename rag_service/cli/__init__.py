"""`rag`: ingest, corpus status, search, eval, bench, serve. A thin shell over ingestion/, rag_service/ and eval/.

Importing the command modules registers their commands on `app` (Typer's decorators); nothing else happens here.
"""

from rag_service.cli import agent_cmds, backup_cmds, eval_cmds, index_cmds, safety_cmds  # noqa: F401  (registers)
from rag_service.cli.app import app

__all__ = ["app"]
