"""The arrows that must never exist (architecture.md), checked on every module's imports: the core imports neither the
writer nor anything above it; the wire needs only pydantic; the service layer imports no front door; no front door
imports another; the client imports only the wire and httpx."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAX_LINES = 400
DOORS = ("rag_service.api", "rag_service.mcp_tools", "rag_service.console", "rag_service.cli")
ABOVE_CORE = (*DOORS, "rag_service.client", "rag_service.server", "rag_service.service", "rag_service.wire")
ROOMS = {p.replace(".", "/") + "/" for p in ABOVE_CORE}


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


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _forbidden(names: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


def _outside(names: set[str], allowed: tuple[str, ...]) -> list[str]:
    """Imports that are neither the standard library nor under one of `allowed`."""
    return sorted(n for n in names if n.split(".")[0] not in sys.stdlib_module_names and not _forbidden({n}, allowed))


def _ids(p: Path) -> str:
    return _rel(p)


CORE = [p for p in _modules("rag_service") if not _rel(p).startswith(tuple(ROOMS))]
WIRE = _modules("rag_service/wire")
SERVICE = _modules("rag_service/service")
CLIENT = _modules("rag_service/client")
DOOR_MODULES = [(door, p) for door in DOORS for p in _modules(door.replace(".", "/"))]


@pytest.mark.parametrize("path", CORE, ids=_ids)
def test_the_core_imports_neither_the_writer_nor_anything_above_it(path: Path) -> None:
    bad = _forbidden(_imports(path), ("ingestion", "eval", *ABOVE_CORE))
    assert not bad, f"{_rel(path)} imports {bad}: the core must not depend on them (architecture.md)"


@pytest.mark.parametrize("path", _modules("ingestion"), ids=_ids)
def test_the_writer_imports_the_core_only(path: Path) -> None:
    bad = _forbidden(_imports(path), ("eval", *ABOVE_CORE))
    assert not bad, f"{_rel(path)} imports {bad}: ingestion/ may use the core, never what is above it"


@pytest.mark.parametrize("path", WIRE, ids=_ids)
def test_the_wire_needs_only_pydantic(path: Path) -> None:
    bad = _outside(_imports(path), ("pydantic", "rag_service.wire"))
    assert not bad, f"{_rel(path)} imports {bad}: the wire models are shared with the client and need only pydantic"


@pytest.mark.parametrize("path", SERVICE, ids=_ids)
def test_the_service_layer_imports_no_front_door(path: Path) -> None:
    bad = _forbidden(_imports(path), ("eval", "rag_service.client", "rag_service.server", *DOORS))
    assert not bad, f"{_rel(path)} imports {bad}: the use cases are below every front door"


@pytest.mark.parametrize(("door", "path"), DOOR_MODULES, ids=lambda x: x if isinstance(x, str) else _rel(x))
def test_no_front_door_imports_another(door: str, path: Path) -> None:
    others = tuple(d for d in DOORS if d != door)
    bad = _forbidden(_imports(path), others + (() if door == "rag_service.cli" else ("rag_service.server",)))
    assert not bad, f"{_rel(path)} imports {bad}: a front door calls the service layer, never another door"


@pytest.mark.parametrize("path", CLIENT, ids=_ids)
def test_the_client_imports_only_the_wire_and_httpx(path: Path) -> None:
    bad = _outside(_imports(path), ("httpx", "pydantic", "rag_service.wire", "rag_service.client"))
    assert not bad, f"{_rel(path)} imports {bad}: an app that calls the service must not load the server"


def test_the_wire_speaks_the_cores_words() -> None:
    """The wire spells the statuses, directions, modes and query kinds again (it needs only pydantic): the same."""
    from typing import get_args

    from rag_service import query, query_kind, types, wire

    assert {s.value for s in wire.EditionStatus} == {s.value for s in types.EditionStatus}
    assert {d.value for d in wire.Direction} == {d.value for d in types.Direction}
    assert set(get_args(wire.Mode)) == set(get_args(query.Mode))
    assert set(get_args(wire.QueryKind)) == set(get_args(query_kind.QueryKind))


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The parser finds both import forms (so the tests above cannot pass by reading nothing)."""
    sample = tmp_path / "m.py"
    sample.write_text(
        "import ingestion.run\nfrom rag_service.api.deps import CallerDep\nfrom . import x\nimport json\n"
    )
    assert _forbidden(_imports(sample), ("ingestion", "rag_service.api")) == ["ingestion.run", "rag_service.api.deps"]
    assert _outside(_imports(sample), ("rag_service.wire",)) == ["ingestion.run", "rag_service.api.deps"]
    assert len(CORE) > 15 and WIRE and SERVICE and CLIENT and len({d for d, _ in DOOR_MODULES}) == len(DOORS)
    assert not any(_rel(p).startswith(("rag_service/api/", "rag_service/service/")) for p in CORE)


@pytest.mark.parametrize(
    "path", _modules("rag_service") + _modules("ingestion") + _modules("eval"), ids=lambda p: p.name
)
def test_no_module_over_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_rel(path)} has {lines} lines: split it by concern (architecture.md)"
