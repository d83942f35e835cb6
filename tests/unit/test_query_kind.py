"""Exam-style queries: stem + options detected, instruction boilerplate stripped, sub-queries built."""

from __future__ import annotations

import pytest

from rag_service.query_kind import parse_exam, resolve_kind, strip_instructions, sub_queries

NMLE = (
    "腸管出血性大腸菌感染症と診断された場合に正しいのはどれか。\n"
    "a: 入院勧告の対象となる。\nb: 届出は一週間以内に行う。\nc: 届出先は市町村長である。\n"
    "d: 医療費は全額公費負担となる。\ne: 児童の場合は出席停止となる。"
)


def test_parse_exam_question() -> None:
    exam = parse_exam(NMLE)
    assert exam is not None
    assert exam.stem == "腸管出血性大腸菌感染症と診断された場合に"
    assert exam.options[0] == "入院勧告の対象となる。" and len(exam.options) == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("医師法で定められているのはどれか。2つ選べ。", "医師法で定められている"),
        ("医療法で誤っているのはどれか。", "医療法で"),
        ("最も適切なのはどれか。", "最も適切なのはどれか。"),  # nothing else would be left
        ("２型糖尿病の薬物療法", "２型糖尿病の薬物療法"),
    ],
)
def test_strip_instructions(text: str, expected: str) -> None:
    assert strip_instructions(text) == expected


def test_full_width_and_parenthesised_options() -> None:
    text = "麻疹について正しいのはどれか。\n（ａ）空気感染する\n（ｂ）潜伏期は1日\n（ｃ）五類感染症である"
    exam = parse_exam(text)
    assert exam is not None and exam.options == ("空気感染する", "潜伏期は1日", "五類感染症である")


def test_plain_text_is_not_an_exam() -> None:
    assert parse_exam("高血圧の第一選択薬は何か") is None
    assert parse_exam("質問\na: ひとつだけ\nb: ふたつ") is None  # fewer than three options
    assert resolve_kind("高血圧の第一選択薬", "auto") == "plain"
    assert resolve_kind(NMLE, "auto") == "exam"


def test_sub_queries() -> None:
    assert sub_queries("高血圧", "plain") == ["高血圧"]
    subs = sub_queries(NMLE, "exam")
    assert len(subs) == 6
    assert "どれか" not in subs[0] and "児童の場合は出席停止となる。" in subs[0]
    assert subs[1] == "腸管出血性大腸菌感染症と診断された場合に\n入院勧告の対象となる。"
    assert sub_queries("高血圧", "exam") == ["高血圧"]  # not parseable: searched as it is
