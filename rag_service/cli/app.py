"""The `rag` command's Typer apps and the helpers its commands share (no commands here)."""

from __future__ import annotations

import os
from typing import NoReturn

import typer
from rich.console import Console

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

app = typer.Typer(help="Guideline-grounded retrieval for Japanese clinical guidelines.", no_args_is_help=True)
corpus_app = typer.Typer(help="What the index holds.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
eval_app = typer.Typer(help="Evaluation runs: retrieval quality on a bundled set or your own.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)
