"""`rag eval exam` against an OpenAI-compatible endpoint started in the test (the one boundary we do not own): it
records what it receives and answers by rule, so accuracy, the McNemar test, resume and the report are checkable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from typer.testing import CliRunner

from eval.exam_harness import load_questions
from eval.exam_report import mcnemar_exact, wilson
from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.cli import app
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from tests.conftest import demo_entries, write_manifest
from tests.local_server import ServedAPI, serve_in_thread

runner = CliRunner()


class RuleLLM(ServedAPI):
    """Answers the right letter when the prompt carries sources (RAG), else "a"; JSON when asked for a schema.
    `fail_after`: answer 500 from that request on (a crash in the middle of a run)."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers, self.requests, self.fail_after = answers, [], None  # type: ignore[var-annotated]
        api = FastAPI()

        @api.post("/v1/chat/completions")
        async def chat(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            if self.fail_after is not None and len(self.requests) > self.fail_after:
                return JSONResponse({"error": {"message": "scripted outage"}}, status_code=500)
            prompt = body["messages"][-1]["content"]
            right = next(a for q, a in self.answers.items() if q in prompt)
            letters = list(right) if "## 参考資料" in prompt else ["a"]
            if "response_format" in body:
                text = json.dumps({"answer": letters, "sources": [1] if "## 参考資料" in prompt else []})
            else:
                text = f"[ans]{','.join(letters)}[/ans]"
            usage = {"prompt_tokens": len(prompt), "completion_tokens": len(text)}  # counted by rule, checkable
            choice = {"index": 0, "message": {"role": "assistant", "content": text}}
            return JSONResponse({"choices": [choice], "usage": usage})

        self.serve(api)


@pytest.fixture
def questions(shared_data: Path, tmp_path: Path) -> Path:
    """Ten real NMLE dev questions that can be asked, plus one that needs a figure (left out and counted)."""
    rows = [json.loads(line) for line in (shared_data / "questions" / "igakuqa.dev.jsonl").open(encoding="utf-8")]
    asked = [r for r in rows if not r["has_image"] and r["answer_type"] in ("single", "multi")][:10]
    image = next(r for r in rows if r["has_image"])
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [*asked, image]), encoding="utf-8")
    return path


@pytest.fixture
def index(tmp_path: Path) -> Path:
    manifest = write_manifest(tmp_path, demo_entries(("law-19dc84fdb0", "law-1514a233a6")))
    data_dir = tmp_path / "var"
    store = EdgeStore(Settings(data_dir=data_dir).index_dir)
    run_ingest(Settings(data_dir=data_dir, embedder="none"), store, None, manifest, NullProgress())
    store.close()
    return data_dir


def _rag(llm: RuleLLM, data_dir: Path, *args: str) -> tuple[int, str]:
    env = {"RAG_DATA_DIR": str(data_dir), "RAG_EMBEDDER": "none", "RAG_LLM_BASE_URL": f"http://127.0.0.1:{llm.port}/v1"}
    result = runner.invoke(app, ["eval", "exam", *args], env=env)
    return result.exit_code, result.output


def test_closed_book_vs_rag_report_and_resume_after_a_crash(questions: Path, index: Path, tmp_path: Path) -> None:
    answers = {q.question.strip(): q.accepted[0] for q in load_questions([questions])}
    out = tmp_path / "exam"
    with RuleLLM(answers) as llm:
        llm.fail_after = 7  # the run dies after 7 answers
        code, text = _rag(llm, index, str(questions), "--out", str(out))
        assert code == 1 and "scripted outage" in text.replace("\n", " ")
        assert len((out / "results.jsonl").read_text().splitlines()) == 7
        llm.fail_after = None
        before = len(llm.requests)
        code, text = _rag(llm, index, str(questions), "--out", str(out))
        assert code == 0, text
        assert len(llm.requests) - before == 20 - 7  # only what was not answered yet is asked again
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 20 and len({(r["id"], r["condition"]) for r in rows}) == 20
    assert all(r["correct"] for r in rows if r["condition"] == "rag")
    assert all(r["source_units"] and r["fallback"] == 0 for r in rows if r["condition"] == "rag")
    sent = {len(req["messages"][-1]["content"]) for req in llm.requests}  # what each prompt's tokens were said to be
    assert all(r["tokens"]["prompt_tokens"] in sent and r["tokens"]["completion_tokens"] > 0 for r in rows)
    assert all(r["source_units"] == [] for r in rows if r["condition"] == "closed")
    schema = llm.requests[-1]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["answer"]["items"]["enum"][:2] == ["a", "b"]

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    summary = report["summary"]
    closed_right = sum(q.accepted[0] == "a" for q in load_questions([questions]) if not q.has_image)
    assert summary["conditions"]["rag"]["accuracy"] == 1.0
    assert summary["conditions"]["closed"]["correct"] == closed_right
    assert summary["left_out"] == {"needs a figure": 1}
    mc = summary["mcnemar_rag_vs_closed"]
    assert (mc["rag_only"], mc["closed_only"]) == (10 - closed_right, 0)
    assert mc["p"] == pytest.approx(mcnemar_exact(10 - closed_right, 0), abs=1e-4)
    assert report["plumbing_only"] is False and "| rag | 1.000 |" in (out / "report.md").read_text(encoding="utf-8")


def test_statistics() -> None:
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-3) and hi == pytest.approx(0.9433, abs=1e-3)
    assert wilson(0, 0) == (0.0, 0.0)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(6, 0) == pytest.approx(2 / 64)  # both tails of Binomial(6, 0.5)
    assert mcnemar_exact(3, 3) == 1.0


def test_no_llm_is_a_clear_error(questions: Path, index: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "exam", str(questions)], env={"RAG_DATA_DIR": str(index)})
    assert result.exit_code == 1 and "RAG_LLM_BASE_URL" in result.output


def test_against_a_running_service(questions: Path, index: Path, tmp_path: Path) -> None:
    """`--base-url`: the same harness through a served /v1/exam (its own index, its own LLM, an API key)."""
    from rag_service.server import create_app

    answers = {q.question.strip(): q.accepted[0] for q in load_questions([questions])}
    with RuleLLM(answers) as llm:
        settings = Settings(
            data_dir=index, embedder="none", api_keys=["k-exam"], llm_base_url=f"http://127.0.0.1:{llm.port}/v1"
        )
        with serve_in_thread(create_app(settings)) as port:
            out = tmp_path / "remote"
            args = ["eval", "exam", str(questions), "--limit", "4", "--out", str(out)]
            result = runner.invoke(app, [*args, "--base-url", f"http://127.0.0.1:{port}", "--api-key", "k-exam"])
            assert result.exit_code == 0, result.output
            again = ["eval", "exam", str(questions), "--limit", "4", "--out", str(tmp_path / "bad")]
            bad = runner.invoke(app, [*again, "--base-url", f"http://127.0.0.1:{port}", "--api-key", "wrong"])
            assert bad.exit_code == 1 and "401" in bad.output
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and all(r["correct"] for r in rows if r["condition"] == "rag")
    assert all(r["source_units"] for r in rows if r["condition"] == "rag")
    assert all(r["tokens"] and r["tokens"]["prompt_tokens"] > 0 for r in rows)  # through /v1/exam's `usage`
    assert json.loads((out / "report.json").read_text())["config"]["model"].startswith("the service at")
