"""The `rag` command's Typer apps and what its commands share: the consoles, and the CLI's error mapping (no commands
here). Each command is a thin adapter: it builds a wire request, calls the service layer in this process (or the
running service through the typed client), and prints the result."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

app = typer.Typer(help="Guideline-grounded retrieval for Japanese clinical guidelines.", no_args_is_help=True)
corpus_app = typer.Typer(help="What the index holds.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
eval_app = typer.Typer(help="Evaluation runs: retrieval quality on a bundled set or your own.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
out = Console()
err = Console(stderr=True)

FAILED = 1  # the command could not do what was asked (the message says why and what to do)
PARTLY = 2  # `rag ingest`: some editions failed, the others are indexed


def fail(message: str, code: int = FAILED) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


USER_ERRORS = (ValueError, FileNotFoundError)  # a file or an argument the command could not use (eval runs)


@contextmanager
def handled(locked_hint: str | None = None, also: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """The CLI's error mapping, in one place: a domain error (or the service's answer through the client), or one of
    `also`, is its message on stderr and exit code 1; `locked_hint` is added when another process holds the
    embedded store."""
    from rag_service.client import ApiError
    from rag_service.errors import RagError, StoreLockedError

    mapped: tuple[type[Exception], ...] = (RagError, ApiError, *also)
    try:
        yield
    except StoreLockedError as e:
        fail(f"{e}{'. ' + locked_hint if locked_hint else ''}")
    except mapped as e:
        fail(str(e))
