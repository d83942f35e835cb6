"""Manifest validation: a bad entry stops with the file, the entry (line, id) and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.manifest import file_sha256, load_manifest
from rag_service.errors import ManifestError
from rag_service.types import EditionStatus

GOOD = """\
editions:
  - id: jsh-htn-2025
    title: 高血圧治療ガイドライン
    publisher: 日本高血圧学会
    specialties: [循環器]
    edition: 2025年版
    published: 2025-04-01
    status: current
    supersedes: jsh-htn-2019
    source: htn2025.txt
  - id: jsh-htn-2019
    title: 高血圧治療ガイドライン
    publisher: 日本高血圧学会
    edition: 2019年版
    published: 2019-04-01
    status: superseded
    source: htn2019.txt
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "htn2025.txt").write_text("降圧目標は130/80mmHg未満とする。", encoding="utf-8")
    (tmp_path / "htn2019.txt").write_text("降圧目標は140/90mmHg未満とする。", encoding="utf-8")
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_manifest_loads(tmp_path: Path) -> None:
    m = load_manifest(write(tmp_path, GOOD))
    assert [e.id for e in m.entries] == ["jsh-htn-2025", "jsh-htn-2019"]
    assert m.entries[1].status is EditionStatus.SUPERSEDED
    assert m.source_path(m.entries[0]) == (tmp_path / "htn2025.txt").resolve()
    assert m.entries[0].to_edition().specialties == ("循環器",)


@pytest.mark.parametrize(
    ("old", "new", "field", "entry", "words"),
    [
        ("status: current", "status: obsolete", "status", "id 'jsh-htn-2025'", "current"),
        ("published: 2025-04-01", "published: 2025-13-01", "published", "line 2", "date"),
        ("id: jsh-htn-2019", "id: jsh-htn-2025", "id", "line 11", "duplicate"),
        ("supersedes: jsh-htn-2019", "supersedes: jsh-htn-2010", "supersedes", "line 2", "not in the manifest"),
        ("source: htn2025.txt", "source: missing.pdf", "source", "line 2", "not found"),
        ("source: htn2025.txt", "source: htn2025.docx", "source", "line 2", ".pdf"),
        ("    edition: 2019年版\n", "", "edition", "line 11", "Field required"),
        ("    status: current\n", "    status: current\n    colour: red\n", "colour", "line 2", "Extra inputs"),
        ("    supersedes: jsh-htn-2019\n", "    sha256: " + "ab" * 32 + "\n", "sha256", "line 2", "sha256 pin"),
    ],
)
def test_bad_entries_name_file_entry_and_field(
    tmp_path: Path, old: str, new: str, field: str, entry: str, words: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    message = str(info.value)
    assert str(path) in message
    assert f"field {field!r}" in message
    assert entry in message
    assert words in message


def test_sha256_pin_that_matches_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    digest = file_sha256(tmp_path / "htn2019.txt")
    path.write_text(GOOD + f"    sha256: {digest}\n", encoding="utf-8")
    assert load_manifest(path).entries[1].sha256 == digest


@pytest.mark.parametrize("text", ["editions: {}", "- just a list", "editions:\n  - [1, 2]", ": bad: yaml: ["])
def test_malformed_documents(tmp_path: Path, text: str) -> None:
    with pytest.raises(ManifestError):
        load_manifest(write(tmp_path, text))


def test_the_repository_demo_manifest_is_valid() -> None:
    m = load_manifest(Path(__file__).resolve().parents[2] / "corpora" / "manifest.yaml")
    ids = {e.id for e in m.entries}
    assert {"demo-htn-2019", "demo-htn-2025", "medtxt-cr"} <= ids
    assert sum(e.id.startswith("law-") for e in m.entries) == 97
    assert all(e.redistributable and e.license for e in m.entries)


@pytest.mark.parametrize(("written", "label"), [("2025", "2025"), ("2019.5", "2019.5"), ('"2025年版"', "2025年版")])
def test_an_edition_written_as_a_number_is_its_label(tmp_path: Path, written: str, label: str) -> None:
    m = load_manifest(write(tmp_path, GOOD.replace("edition: 2025年版", f"edition: {written}")))
    assert m.entries[0].edition == label and m.entries[0].to_edition().edition == label


def test_an_edition_written_as_a_boolean_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="edition"):
        load_manifest(write(tmp_path, GOOD.replace("edition: 2025年版", "edition: yes")))
