"""An edition's status written back into the manifest file: comments, order and quoting kept, validated first."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.manifest import load_manifest
from ingestion.manifest_edit import set_status
from rag_service.errors import ManifestError
from rag_service.types import EditionStatus

MANIFEST = """\
# 当院のガイドライン台帳 (librarian's notes stay)
editions:
- id: htn-2019   # 旧版
  title: '高血圧治療ガイドライン'
  publisher: 日本高血圧学会
  edition: 2019年版
  published: '2019-04-01'
  status: current
  source: a.txt
- id: htn-2025
  title: 高血圧治療ガイドライン
  publisher: 日本高血圧学会
  edition: 2025年版
  published: '2025-04-01'
  supersedes: htn-2019
  source: a.txt
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text("第1章 総論\n高血圧の定義。\n", encoding="utf-8")
    path = tmp_path / "manifest.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    return path


def test_only_the_status_line_changes(manifest: Path) -> None:
    assert set_status(manifest, "htn-2019", EditionStatus.SUPERSEDED) is EditionStatus.CURRENT
    after = manifest.read_text(encoding="utf-8")
    assert after == MANIFEST.replace("  status: current\n", "  status: superseded\n", 1)
    assert load_manifest(manifest).entries[0].status is EditionStatus.SUPERSEDED


def test_an_entry_without_status_gets_one(manifest: Path) -> None:
    assert set_status(manifest, "htn-2025", EditionStatus.RETIRED) is EditionStatus.CURRENT
    assert "  status: retired\n" in manifest.read_text(encoding="utf-8")
    assert load_manifest(manifest).entries[1].status is EditionStatus.RETIRED


def test_an_unknown_id_or_a_manifest_that_would_not_validate_changes_nothing(manifest: Path, tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no edition with id 'htn-2030'"):
        set_status(manifest, "htn-2030", EditionStatus.RETIRED)
    assert manifest.read_text(encoding="utf-8") == MANIFEST
    (tmp_path / "a.txt").unlink()  # the manifest no longer validates: the edit is refused, the file left as it was
    with pytest.raises(ManifestError, match="source file not found"):
        set_status(manifest, "htn-2019", EditionStatus.RETIRED)
    assert manifest.read_text(encoding="utf-8") == MANIFEST
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.yaml"]  # no temporary file left behind
