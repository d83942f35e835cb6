"""Each grade reader with its own table (`ingestion.grade_readers`): what it reads from a printed grade line, what it
leaves to other readers, and what it refuses (a grade mentioned in prose). Also `direction_of` and `Grade.label`,
the one rendering of a grade."""

from __future__ import annotations

import pytest

from ingestion.grade_readers import direction_of, find_grades, join_open_brackets
from rag_service.ja_text import normalize_chars
from rag_service.types import Direction, Grade


def read(line: str) -> list[tuple[str, Grade]]:
    text = join_open_brackets(normalize_chars(line))
    return [(h.reader, h.grade) for h in find_grades(text)]


def one(line: str) -> tuple[str, Grade]:
    (hit,) = read(line)
    return hit


# (printed line, reader, strength, certainty, direction)
MINDS_COMBINED = [
    ("（推奨度・エビデンス総体の総括：1C（使用することを強く推奨する））", 1, "C", Direction.FOR),
    ("（推奨度・エビデンス総体の総括：1D（使用しないことを強く推奨する））", 1, "D", Direction.AGAINST),
    ("（推奨度・エビデンス総体の総括：2C（使用することを\n弱く推奨する））", 2, "C", Direction.FOR),  # wrapped
    ("【推奨度 2, エビデンスの確実性 C】", 2, "C", None),
    ("推奨グレード 1B", 1, "B", None),
    ("（2D）", 2, "D", None),
    ("[1A]", 1, "A", None),
]


@pytest.mark.parametrize(("line", "strength", "certainty", "direction"), MINDS_COMBINED)
def test_minds_combined(line: str, strength: int, certainty: str, direction: Direction | None) -> None:
    reader, grade = one(line)
    assert reader == "minds-combined"
    assert (grade.strength, grade.certainty, grade.direction) == (strength, certainty, direction)
    assert grade.printed and grade.printed.replace(" ", "") == normalize_chars(line).replace("\n", "").replace(" ", "")


MINDS_TWO_LINE = [
    ("推奨の強さ：1（強い）\nエビデンスの確実性（強さ）：C（弱い）", 1, "C"),
    ("推奨の強さ：1　エビデンスの強さ：B", 1, "B"),
    ("推奨の強さ:2(弱い)\nエビデンスの強さ:C", 2, "C"),
    ("推奨度 2", 2, None),
    ("エビデンスの確実性：B", None, "B"),
]


@pytest.mark.parametrize(("line", "strength", "certainty"), MINDS_TWO_LINE)
def test_minds_two_line(line: str, strength: int | None, certainty: str | None) -> None:
    reader, grade = one(line)
    assert (reader, grade.strength, grade.certainty) == ("minds-two-line", strength, certainty)


@pytest.mark.parametrize(
    ("line", "rec_class", "level", "direction"),
    [
        ("推奨クラス IIa, エビデンスレベル B", "IIa", "B", Direction.FOR),
        ("クラス I レベル A", "I", "A", Direction.FOR),
        ("推奨クラス III(Harm) エビデンスレベル C", "III", "C", Direction.AGAINST),
    ],
)
def test_jcs(line: str, rec_class: str, level: str, direction: Direction) -> None:
    reader, grade = one(line)
    assert (reader, grade.rec_class, grade.certainty, grade.direction) == ("jcs", rec_class, level, direction)


@pytest.mark.parametrize(
    ("line", "strength", "certainty"),
    [
        ("強い推奨、エビデンスの確実性：中", 1, "B"),
        ("弱い推奨（条件付き推奨）／エビデンスの確実性：低", 2, "C"),
        ("条件付き推奨、確実性 非常に低", 2, "D"),
        ("実施することを弱く推奨する（提案する）。確実性 中", 2, "B"),
    ],
)
def test_grade_words(line: str, strength: int, certainty: str) -> None:
    reader, grade = one(line)
    assert (reader, grade.strength, grade.certainty) == ("grade-words", strength, certainty)


@pytest.mark.parametrize(
    ("line", "minds_grade", "direction"),
    [
        ("【推奨グレードC1】", "C1", Direction.FOR),
        ("推奨グレード：D", "D", Direction.AGAINST),
        ("(グレードA)", "A", Direction.FOR),
    ],
)
def test_minds_2007_letter_grades(line: str, minds_grade: str, direction: Direction) -> None:
    reader, grade = one(line)
    assert (reader, grade.minds_grade, grade.direction, grade.strength) == ("minds-2007", minds_grade, direction, None)


@pytest.mark.parametrize(
    "line", ["Good Practice Statement", "GPS: 家庭血圧を勧める。", "【グッドプラクティスステートメント】"]
)
def test_good_practice_statement_marker(line: str) -> None:
    reader, grade = one(line)
    assert reader == "gps" and grade.good_practice and grade.empty is False


@pytest.mark.parametrize(
    "line",
    [
        "以上から、推奨度を2Cとした。",  # a grade mentioned in prose
        "推奨度2Cとした。",
        "クラスI抗不整脈薬は使用しない。",  # a drug class, not a recommendation class
        "GPSとして示した。",
        "推奨の強さ 1：強く推奨する",  # a definition in the methods chapter
        "HbA1c 7.0%未満を目標とする。",
    ],
)
def test_prose_is_not_a_printed_grade(line: str) -> None:
    assert read(line) == []


def test_a_strength_and_a_certainty_on_consecutive_lines_are_one_grade() -> None:
    (hit,) = read("強い推奨\nエビデンスレベル A")
    assert (hit[1].strength, hit[1].certainty) == (1, "A")


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("免疫グロブリン製剤を使用することを強く推奨する。", Direction.FOR),
        ("免疫グロブリン製剤を使用しないことを弱く推奨する。", Direction.AGAINST),
        ("ルーチンに追加しないことを提案する。", Direction.AGAINST),
        ("行わないよう勧められる。", Direction.AGAINST),
        ("現時点では明確な推奨ができない。", Direction.NONE),
        ("使用を考慮する。", Direction.FOR),
        ("高血圧の定義を示す。", None),
    ],
)
def test_direction_of(text: str, direction: Direction | None) -> None:
    assert direction_of(text) is direction


@pytest.mark.parametrize(
    ("grade", "label"),
    [
        (Grade(strength=1, certainty="C", direction=Direction.FOR), "1C・行うことを強く推奨"),
        (Grade(strength=2, certainty="D", direction=Direction.AGAINST), "2D・行わないことを弱く推奨"),
        (Grade(strength=1), "推奨の強さ 1"),
        (Grade(rec_class="IIa", certainty="B", direction=Direction.FOR), "推奨クラス IIa・エビデンスレベル B"),
        (
            Grade(rec_class="III", certainty="C", direction=Direction.AGAINST),
            "推奨クラス III・エビデンスレベル C・行わない",
        ),
        (Grade(minds_grade="C1", direction=Direction.FOR), "推奨グレード C1・行うことを推奨"),
        (Grade(good_practice=True), "Good Practice Statement"),
        (Grade(direction=Direction.FOR), ""),  # a direction alone is not a grade
    ],
)
def test_one_label_for_every_grade(grade: Grade, label: str) -> None:
    assert grade.label() == label
    assert Grade.from_doc(grade.to_doc()) == grade
