"""Exam mode's pure parts: answer letters from sloppy model output, n_select from the question, voting, merging."""

from __future__ import annotations

from datetime import date

import pytest

from rag_service.exam import (
    answer_schema,
    build_exam_prompt,
    exam_query_text,
    infer_n_select,
    majority_vote,
    parse_answer_letters,
    parse_structured,
)
from rag_service.query_kind import parse_exam
from rag_service.types import Chunk, Edition, EditionStatus, Hit, LegScore


@pytest.mark.parametrize(
    ("raw", "n_select", "expected"),
    [
        ("[ans]c[/ans]", 1, "c"),
        ("[ans]a,c[/ans]", 2, "ac"),
        ("[ans] A [/ans]", 1, "a"),
        ("[ans]ａ[/ans]", 1, "a"),  # full-width letter
        ("［ａｎｓ］ｂ［／ａｎｓ］", 1, "b"),  # full-width brackets and tag
        ("[ans]d", 1, "d"),  # missing closing tag
        ("[ans]b\n理由: aは誤り。", 1, "b"),  # missing closing tag: the block ends at the line's end
        ("答え: c", 1, "c"),
        ("正解はeです。", 1, "e"),
        ("答えはaとcです。", 2, "ac"),
        ("[ans]ac[/ans]", 2, "ac"),
        ("[ans]a、c[/ans]", 2, "ac"),
        ("[ans]c, a[/ans]", 2, "ac"),  # sorted
        ("[ans](b)[/ans]", 1, "b"),
        ("[ans]a,f[/ans]", 2, "a"),  # f is not a choice: dropped, the partial answer is kept
        ("[ans]none[/ans]", 1, ""),  # a word does not leak its letters
        ("[ans]a,b,c[/ans]", 2, "ab"),  # too many: the first n_select as written
        ("[ans]d,b,c[/ans]", 2, "bd"),
        ("[ans]a,b,c[/ans]", None, "abc"),  # すべて選べ: any number
        ("例: [ans]a[/ans] ... 解答 [ans]d[/ans]", 1, "d"),  # the last block wins (the prompt's example echoed)
        ("[ans]d[/ans] 以上。[ans][/ans]", 1, "d"),  # an empty last block does not erase the answer
        ("わかりません", 1, ""),
        ("", 1, ""),
    ],
)
def test_parse_answer_letters(raw: str, n_select: int | None, expected: str) -> None:
    assert parse_answer_letters(raw, "abcde", n_select) == expected


def test_parse_respects_the_valid_letters() -> None:
    assert parse_answer_letters("[ans]d[/ans]", "abc", 1) == ""
    assert parse_answer_letters("[ans]B[/ans]", "abc", 1) == "b"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("高血圧の治療で正しいのはどれか。", 1),
        ("正しいのはどれか。1つ選べ。", 1),
        ("正しいのはどれか。2つ選べ。", 2),
        ("正しいのはどれか。２つ選べ。", 2),
        ("誤っているのはどれか。二つ選べ。", 2),
        ("適切なのはどれか。3つ選べ。", 3),
        ("正しいものを２つ 選べ", 2),
        ("該当するものをすべて選べ。", None),
        ("該当するものを全て選べ。", None),
    ],
)
def test_infer_n_select(question: str, expected: int | None) -> None:
    assert infer_n_select(question) == expected


@pytest.mark.parametrize(
    ("answers", "winner", "indices"),
    [
        (["a", "b", "a"], "a", [0, 2]),
        (["b", "a", "a", "b"], "b", [0, 3]),  # tie: the answer seen first wins
        (["", "c", ""], "c", [1]),  # unusable samples do not vote
        (["ac", "ac", "a"], "ac", [0, 1]),
        (["", ""], "", []),
        ([], "", []),
    ],
)
def test_majority_vote(answers: list[str], winner: str, indices: list[int]) -> None:
    assert majority_vote(answers) == (winner, indices)


def _hit(text: str, rank: int) -> Hit:
    chunk = Chunk(
        edition_key="dm@x",
        edition=Edition(
            source_id="dm-2024",
            title="糖尿病診療ガイドライン",
            publisher="日本糖尿病学会",
            edition="2024年版",
            published=date(2024, 5, 1),
            status=EditionStatus.CURRENT,
            specialties=(),
        ),
        page_start=1,
        page_end=1,
        section_path=(),
        text=text,
    )
    return Hit(chunk=chunk, fused=LegScore(1 / (60 + rank), rank))


def test_exam_query_text_puts_each_choice_on_an_option_line() -> None:
    """What the exam path searches: the question and its choices as `a: …` lines, which parse back exam-style."""
    choices = {"a": "保健所長", "b": "市町村長", "c": "所轄警察署"}
    text = exam_query_text("異状死体を検案した医師の届出先はどれか。", choices)
    assert text == "異状死体を検案した医師の届出先はどれか。\na: 保健所長\nb: 市町村長\nc: 所轄警察署"
    exam = parse_exam(text)
    assert exam is not None and exam.options == ("保健所長", "市町村長", "所轄警察署")
    assert exam.stem == "異状死体を検案した医師の届出先"


def test_exam_prompt_lists_sources_question_choices_and_format() -> None:
    choices = {"a": "メトホルミン", "b": "インスリン", "c": "SGLT2阻害薬", "d": "スルホニル尿素薬", "e": "食事療法"}
    prompt = build_exam_prompt("2型糖尿病の第一選択薬はどれか。2つ選べ。", choices, [_hit("メトホルミン", 1)], 2)
    user = prompt[-1]["content"]
    assert user.index("## 参考資料") < user.index("[1] 糖尿病診療ガイドライン") < user.index("## 問題")
    assert "e. 食事療法" in user and "2つ選び" in user and "[ans]" in user
    closed = build_exam_prompt("正しいのはどれか。", choices, [], 1)[-1]["content"]
    assert "参考資料" not in closed and "[1]" not in closed


def test_answer_schema_constrains_letters_and_count() -> None:
    schema = answer_schema("abcde", 2)["json_schema"]["schema"]
    answer = schema["properties"]["answer"]
    assert answer["items"]["enum"] == ["a", "b", "c", "d", "e"] and answer["minItems"] == answer["maxItems"] == 2
    assert schema["required"] == ["answer"]
    assert "maxItems" not in answer_schema("abcd", None)["json_schema"]["schema"]["properties"]["answer"]


@pytest.mark.parametrize(
    ("raw", "n_select", "expected"),
    [
        ('{"answer": ["c"], "sources": [2]}', 1, ("c", [2])),
        ('{"answer": ["E", "a"]}', 2, ("ae", [])),
        ('{"answer": ["f"]}', 1, None),  # not a choice
        ('{"answer": ["a", "b"]}', 1, None),  # more letters than asked: the text parser decides
        ("[ans]c[/ans]", 1, None),  # not JSON: the fallback parser reads it
        ('{"sources": [1]}', 1, None),
    ],
)
def test_parse_structured(raw: str, n_select: int, expected: tuple[str, list[int]] | None) -> None:
    assert parse_structured(raw, "abcde", n_select) == expected
