"""Patient-data commands: `rag pii mask` (stdin to stdout), `rag eval pii`, and `rag eval export-qrels`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from rag_service.cli.app import USER_ERRORS, app, err, eval_app, handled
from rag_service.settings import Settings

pii_app = typer.Typer(help="Patient data (個人情報) in Japanese clinical text.", no_args_is_help=True)
app.add_typer(pii_app, name="pii")


@pii_app.command("mask")
def pii_mask(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per input line: {masked, spans}.")] = False,
) -> None:
    """Read text on stdin; write it line by line with patient data replaced by typed masks (［氏名］ …)."""
    from rag_service.pii import mask

    for line in sys.stdin:
        text = line.rstrip("\n")
        result = mask(text)
        if as_json:
            spans = [{"start": s.start, "end": s.end, "type": s.type} for s in result.spans]
            print(json.dumps({"masked": result.masked, "spans": spans}, ensure_ascii=False))
        else:
            print(result.masked)


@eval_app.command("pii")
def eval_pii(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Labelled sets (⟦TYPE:surface⟧ markup); default: the bundled eight.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("bench-results/pii"),
    misses: Annotated[
        bool, typer.Option(help="List every miss and false positive (off for a measuring set you must not read).")
    ] = True,
) -> None:
    """Recall and precision of the masker per type with 95% intervals, what it missed, characters per second."""
    from eval.pii_eval import DATA, DEFAULT_SETS, run_pii_eval

    paths = files or [DATA / f"{name}.jsonl" for name in DEFAULT_SETS]
    with handled(also=USER_ERRORS):
        text, _ = run_pii_eval(paths, out, misses)
    print(text)
    err.print(f"report written to {out} (report.md, report.json with every miss and false positive)")


@eval_app.command("export-qrels")
def export_qrels_cmd(
    out: Annotated[Path, typer.Option(help="Folder for queries.jsonl, qrels.jsonl and corpus.jsonl.")] = Path(
        "bench-results/feedback-qrels"
    ),
) -> None:
    """Clinicians' judgements (POST /v1/feedback) as an evaluation set for `rag eval retrieval --corpus … --queries …
    --qrels …` over the live corpus."""
    from eval.feedback_export import export_qrels

    with handled(also=USER_ERRORS):
        counts = export_qrels(Settings(), out)
    err.print(
        f"{counts['queries']} queries, {counts['judgements']} judgements ({counts['dropped']} of chunks no longer "
        f"indexed left out), {counts['passages']} passages written to {out}"
    )
    print(f"rag eval retrieval --corpus {out}/corpus.jsonl --queries {out}/queries.jsonl --qrels {out}/qrels.jsonl")


@eval_app.command("injection")
def eval_injection(
    limit: Annotated[int, typer.Option(help="Only the first N attacks.")] = 0,
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("bench-results/injection"),
) -> None:
    """The bundled prompt-injection set (70 attacks, Japanese and English) through the answer path's prompt and checks,
    against the configured LLM (RAG_LLM_BASE_URL, or RAG_LLM_EMBEDDED=true for the CPU generator)."""
    from contextlib import ExitStack

    from eval.exam_run import local_llm
    from eval.injection_eval import run_injection_eval

    with handled(also=USER_ERRORS), ExitStack() as stack:
        text = run_injection_eval(local_llm(Settings(), stack), out, limit)
    print(text)
