"""The arrows that must never exist (architecture.md): the core never imports the shells or the writer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHELLS = ("rag_service/api/", "rag_service/cli/", "rag_service/client/", "rag_service/console/")
MAX_LINES = 400


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _is_shell(path: Path) -> bool:
    rel = path.relative_to(REPO).as_posix()
    return rel.startswith(SHELLS)


def _forbidden(names: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


CORE = [p for p in _modules("rag_service") if not _is_shell(p)]


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.relative_to(REPO).as_posix())
def test_the_core_imports_neither_the_writer_nor_the_shells(path: Path) -> None:
    bad = _forbidden(_imports(path), ("ingestion", "eval", "rag_service.api", "rag_service.cli"))
    assert not bad, f"{path.relative_to(REPO)} imports {bad}: the core must not depend on them (architecture.md)"


@pytest.mark.parametrize("path", _modules("ingestion"), ids=lambda p: p.relative_to(REPO).as_posix())
def test_the_writer_imports_the_core_only(path: Path) -> None:
    bad = _forbidden(_imports(path), ("eval", "rag_service.api", "rag_service.cli"))
    assert not bad, f"{path.relative_to(REPO)} imports {bad}: ingestion/ may use the core, never the shells"


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The parser finds both import forms (so the tests above cannot pass by reading nothing)."""
    sample = tmp_path / "m.py"
    sample.write_text("import ingestion.run\nfrom rag_service.api.schemas import HitOut\nfrom . import x\n")
    assert _forbidden(_imports(sample), ("ingestion", "rag_service.api")) == [
        "ingestion.run",
        "rag_service.api.schemas",
    ]
    assert len(CORE) > 15 and not any(_is_shell(p) for p in CORE)


@pytest.mark.parametrize(
    "path", _modules("rag_service") + _modules("ingestion") + _modules("eval"), ids=lambda p: p.name
)
def test_no_module_over_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(REPO)} has {lines} lines: split it by concern (STYLE.md)"
