"""Specialist-exam mode: multiple-choice questions answered from numbered sources (or closed book), letters read
from structured output where the endpoint supports it and from the text otherwise, majority voting.

The exam path searches the question with its choices exam-style (see `query_kind`); the model is asked for JSON
constrained by a schema (`{"answer": ["c"], "sources": [1]}`: vLLM and llama.cpp honour it), and when the
endpoint refuses the schema or the text is not that JSON, the `[ans]…[/ans]` text parser reads it (counted per
sample in `ExamResult.fallback`, so a report can say how many answers came from the fallback).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rag_service.answer import format_sources
from rag_service.citations import Citation, citations_for, parse_citations
from rag_service.errors import LLMRequestError
from rag_service.llm import LLMClient, Message
from rag_service.prompting import DATA_RULES, fence_question, leaks_system_prompt, masked_choices
from rag_service.query import SearchQuery
from rag_service.retrieve import Retriever
from rag_service.types import Hit

EXAM_LETTERS = "abcde"
WITHHELD = "（この出力はシステムの指示文を含んでいたため表示しません）"  # a sample's text, as answers are withheld

EXAM_SYSTEM_PROMPT = f"""あなたは日本の医師国家試験と専門医試験の問題に答える医学の専門家です。
問題文と選択肢をよく読み、正しい選択肢の記号を選んでください。
{DATA_RULES}"""

_KANJI_COUNTS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_N_SELECT = re.compile(r"([1-5一二三四五])\s*つ\s*(?:を)?\s*選")
_SELECT_ALL = re.compile(r"(?:すべて|全て|全部)\s*(?:を)?\s*選")


def answer_schema(valid_letters: str, n_select: int | None) -> dict[str, Any]:
    """OpenAI `response_format` for an exam answer: the letters (exactly `n_select` when known) and source numbers."""
    answer: dict[str, Any] = {"type": "array", "items": {"type": "string", "enum": list(valid_letters)}}
    answer.update({"minItems": n_select, "maxItems": n_select} if n_select else {"minItems": 1})
    schema = {
        "type": "object",
        "properties": {"answer": answer, "sources": {"type": "array", "items": {"type": "integer"}}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    return {"type": "json_schema", "json_schema": {"name": "exam_answer", "schema": schema}}


def parse_structured(raw: str, valid_letters: str, n_select: int | None) -> tuple[str, list[int]] | None:
    """(letters sorted, source numbers) from the schema's JSON, or None when the text is not that JSON."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("answer"), list):
        return None
    letters = sorted({str(x).strip().lower() for x in doc["answer"]} & set(valid_letters))
    if not letters or (n_select is not None and len(letters) > n_select):
        return None
    sources = [int(x) for x in doc.get("sources") or [] if isinstance(x, int) and not isinstance(x, bool)]
    return "".join(letters), sources


@dataclass(frozen=True)
class ExamResult:
    answer_letters: str  # the voted answer, letters sorted ("ac"); "" when no sample gave a usable answer
    votes: list[str]  # each sample's parsed letters, in sample order ("" for an unusable sample)
    citations: list[Citation]  # sources cited by the samples that gave the winning answer, by first use
    raw: list[str]  # each sample's text as it came back, or WITHHELD when it repeats the system prompt
    hits: list[Hit]  # the numbered sources in the prompt (empty for no_rag)
    fallback: list[bool] = field(default_factory=list)  # per sample: read by the text parser


def infer_n_select(question: str) -> int | None:
    """How many letters the question asks for: `2つ選べ`/`２つ選べ`/`二つ選べ` → 2; `すべて選べ` → None (any
    number); no instruction → 1 (single best answer)."""
    text = unicodedata.normalize("NFKC", question)
    if _SELECT_ALL.search(text):
        return None
    m = _N_SELECT.search(text)
    if m is None:
        return 1
    return _KANJI_COUNTS.get(m.group(1)) or int(m.group(1))


def build_exam_prompt(
    question: str, choices: Mapping[str, str], hits: Sequence[Hit], n_select: int | None, structured: bool = False
) -> list[Message]:
    """Numbered sources (none in closed-book mode), the question, choices a–e, and the answer format: the
    `[ans]…[/ans]` text, or with `structured` the JSON object the schema constrains."""
    how_many = "正しいものをすべて" if n_select is None else f"{n_select}つ"
    parts = []
    if hits:
        parts.append(f"## 参考資料\n{format_sources(hits)}")
    parts.append(f"## 問題\n{fence_question(question)}")
    parts.append("## 選択肢\n" + "\n".join(masked_choices(dict(choices))))
    if structured:
        example = '{"answer": ["a"], "sources": [1]}' if n_select == 1 else '{"answer": ["a", "c"], "sources": [2]}'
        rule = f"選択肢から{how_many}選び、JSON で答えてください（例: {example}）。"
        rule += "sources には根拠にした参考資料の番号を入れてください（なければ空）。" if hits else ""
    else:
        example = "[ans]a[/ans]" if n_select == 1 else "[ans]a,c[/ans]"
        rule = f"選択肢から{how_many}選び、記号を [ans] と [/ans] の間に書いてください（例: {example}）。"
        if hits:
            rule += "参考資料を根拠にした場合は、その番号を [1] のように示してください。"
    parts.append(rule)
    return [{"role": "system", "content": EXAM_SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


_ANS_BLOCK = re.compile(r"\[\s*ans\s*\](.*?)(?:\[\s*/\s*ans\s*\]|\n|$)", re.IGNORECASE | re.DOTALL)
_ANSWER_LINE = re.compile(r"(?:答え|解答|正解|回答|answer)\s*(?:は)?\s*[:：]?\s*([^\n。]*)", re.IGNORECASE)
_TOKEN_SPLIT = re.compile(r"(?:[\s,、，・/]|および|及び|と)+")


def _letters_in(segment: str, valid: str) -> list[str]:
    """Letters of one answer segment: tokens split on separators; a token counts only if all its ASCII letters are
    valid choices (`ac` → a, c; `(c)` → c; `none` → nothing, so words do not leak letters)."""
    out: list[str] = []
    for token in _TOKEN_SPLIT.split(segment.lower()):
        letters = re.sub(r"[^a-z]", "", token)
        if letters and all(ch in valid for ch in letters):
            out.extend(ch for ch in letters if ch not in out)
    return out


def parse_answer_letters(raw: str, valid_letters: str = EXAM_LETTERS, n_select: int | None = 1) -> str:
    """The answer letters in a model's text, sorted ("ac"), or "" when none can be read.

    Looks in the last `[ans]…[/ans]` block that holds a valid letter (a missing closing tag ends the block at the
    line's end), else in an `答え: c` / `正解は c` line. Full-width letters and brackets are folded (NFKC), case is
    ignored, letters outside `valid_letters` are dropped. Wrong count: more letters than `n_select` keeps the first
    `n_select` in the order written; fewer are kept as they are (a partial answer, which exact-match scoring counts
    wrong); `n_select=None` accepts any number.
    """
    text = unicodedata.normalize("NFKC", raw)
    valid = valid_letters.lower()
    segments = [m.group(1) for m in _ANS_BLOCK.finditer(text)] or [m.group(1) for m in _ANSWER_LINE.finditer(text)]
    letters: list[str] = []
    for segment in reversed(segments):
        letters = _letters_in(segment, valid)
        if letters:
            break
    if n_select is not None and len(letters) > n_select:
        letters = letters[:n_select]
    return "".join(sorted(letters))


def majority_vote(answers: Sequence[str]) -> tuple[str, list[int]]:
    """The most frequent non-empty answer and the indices of the samples that gave it; ties go to the answer that
    appeared first. ("", []) when no sample gave an answer."""
    counts = Counter(a for a in answers if a)
    if not counts:
        return "", []
    best = max(counts.values())
    winner = next(a for a in answers if a and counts[a] == best)
    return winner, [i for i, a in enumerate(answers) if a == winner]


def exam_query_text(question: str, choices: Mapping[str, str]) -> str:
    """The question with its choices as option lines (`a: …`): what the exam path searches, exam-style."""
    return "\n".join([question, *(f"{letter}: {text}" for letter, text in choices.items())])


def exam_hits(question: str, choices: Mapping[str, str], retriever: Retriever, search: SearchQuery) -> list[Hit]:
    """One exam-style search (`query_kind` exam: the question without 「…はどれか」, and stem + each choice, merged
    per leg): measured on nmle_law at +0.03 nDCG@10 over searching the question as plain text (README)."""
    q = replace(search.with_text(exam_query_text(question, choices)), query_kind="exam")
    return retriever.search(q).hits


def exam(
    question: str,
    choices: Mapping[str, str],
    retriever: Retriever | None,
    llm: LLMClient,
    search: SearchQuery | None = None,
    n_select: int | None = None,
    votes: int = 1,
    temperature: float = 0.7,
    max_tokens: int = 256,
    seed: int | None = 0,
    structured: bool = True,
) -> ExamResult:
    """Answer one multiple-choice question; `search=None` is the closed-book baseline through the same path (with a
    `search`, its top_k, mode and filters apply to the question and its choices; its text is replaced by them).

    `n_select=None` infers the count from the question (`infer_n_select`). `votes` samples are drawn at
    `temperature` (at 0 when `votes == 1`) and the majority answer wins; its citations are those of the samples
    that gave it.
    """
    if votes < 1:
        raise ValueError("votes must be at least 1")
    count = infer_n_select(question) if n_select is None else n_select
    hits: list[Hit] = []
    if search is not None:
        if retriever is None:
            raise ValueError("exam with retrieval needs a retriever (or no search: closed book)")
        hits = exam_hits(question, choices, retriever, search)
    valid = "".join(k.lower() for k in choices) or EXAM_LETTERS
    temp = temperature if votes > 1 else 0.0
    raw: list[str] = []
    if structured:  # the schema first; an endpoint that refuses it (4xx) gets the text format instead
        prompt = build_exam_prompt(question, choices, hits, count, structured=True)
        try:
            raw = llm.complete(prompt, temp, max_tokens, votes, seed, response_format=answer_schema(valid, count))
        except LLMRequestError:
            raw = []
    if not raw:
        prompt = build_exam_prompt(question, choices, hits, count)
        raw = llm.complete(prompt, temperature=temp, max_tokens=max_tokens, n=votes, seed=seed)
    read = [parse_structured(r, valid, count) for r in raw]
    parsed = [got[0] if got else parse_answer_letters(r, valid, count) for got, r in zip(read, raw, strict=True)]
    winner, winners = majority_vote(parsed)
    used: list[int] = []
    for i in winners:
        got = read[i]
        cited = got[1] if got else parse_citations(raw[i], len(hits)).used
        used.extend(n for n in cited if n not in used and 1 <= n <= len(hits))
    shown = [WITHHELD if leaks_system_prompt(r, [EXAM_SYSTEM_PROMPT]) else r for r in raw]
    return ExamResult(winner, parsed, citations_for(used, hits), shown, hits, [got is None for got in read])
