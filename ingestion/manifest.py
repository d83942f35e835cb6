"""The corpus manifest: one entry per guideline edition, validated as a whole before anything is written."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rag_service.errors import ManifestError
from rag_service.types import Edition, EditionStatus

SOURCE_SUFFIXES = (".pdf", ".txt", ".md", ".jsonl")


class ManifestEntry(BaseModel):
    """One guideline edition. `source` is relative to the manifest file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$", description="Stable id of this edition.")
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1, description="学会 or 省庁 that publishes it.")
    specialties: tuple[str, ...] = ()
    edition: str = Field(min_length=1, description="Edition label, e.g. 2025年版.")
    published: date
    status: EditionStatus = EditionStatus.CURRENT
    supersedes: str | None = None
    source: str = Field(min_length=1)
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    license: str | None = None
    redistributable: bool = False

    @field_validator("edition", mode="before")
    @classmethod
    def _edition_as_text(cls, v: object) -> object:
        """`edition: 2025` (a YAML number, as a librarian writes it) is the label "2025"; a bool is not."""
        if isinstance(v, int | float) and not isinstance(v, bool):
            return str(int(v)) if float(v).is_integer() else str(v)
        return v

    @field_validator("source")
    @classmethod
    def _suffix(cls, v: str) -> str:
        if not v.lower().endswith(SOURCE_SUFFIXES):
            raise ValueError(f"source must end with one of {', '.join(SOURCE_SUFFIXES)}")
        return v

    def to_edition(self) -> Edition:
        """The citation metadata of this entry: every `Edition` field by name (`id` is the source id)."""
        named = {f.name: getattr(self, f.name) for f in fields(Edition) if f.name != "source_id"}
        return Edition(source_id=self.id, **named)


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: Path
    entries: tuple[ManifestEntry, ...]

    def source_path(self, entry: ManifestEntry) -> Path:
        return (self.path.parent / entry.source).resolve()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as strings, so a bad date is reported by field, not as a YAML crash."""


_Loader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _entry_nodes(path: Path, text: str) -> list[tuple[dict[str, Any], int]]:
    """The raw entries with the 1-based line each starts on."""
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        raise ManifestError(str(path), f"not valid YAML: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("editions"), list):
        raise ManifestError(str(path), "expected a mapping with a list under `editions:`")
    lines: list[int] = []
    if root is not None:
        for key, value in root.value:
            if key.value == "editions":
                lines = [node.start_mark.line + 1 for node in value.value]
    return [(raw, lines[i] if i < len(lines) else 0) for i, raw in enumerate(data["editions"])]


def _validate_entry(path: Path, raw: Any, index: int, line: int) -> ManifestEntry:
    label = f"#{index + 1} (line {line}" + (f", id {raw.get('id')!r})" if isinstance(raw, dict) else ")")
    if not isinstance(raw, dict):
        raise ManifestError(str(path), "each edition must be a mapping", entry=label)
    try:
        return ManifestEntry.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise ManifestError(str(path), err["msg"], entry=label, field=field) from e


def _check_links(path: Path, entries: list[tuple[ManifestEntry, str]]) -> None:
    ids: dict[str, str] = {}
    for entry, label in entries:
        if entry.id in ids:
            raise ManifestError(str(path), f"duplicate id (also {ids[entry.id]})", entry=label, field="id")
        ids[entry.id] = label
    for entry, label in entries:
        if entry.supersedes is not None and entry.supersedes not in ids:
            raise ManifestError(
                str(path),
                f"supersedes {entry.supersedes!r}, which is not in the manifest",
                entry=label,
                field="supersedes",
            )
        if entry.supersedes == entry.id:
            raise ManifestError(str(path), "an edition cannot supersede itself", entry=label, field="supersedes")


def _check_source(path: Path, entry: ManifestEntry, label: str) -> None:
    source = (path.parent / entry.source).resolve()
    if not source.is_file():
        raise ManifestError(str(path), f"source file not found: {source}", entry=label, field="source")
    if entry.sha256 is not None and file_sha256(source) != entry.sha256:
        raise ManifestError(
            str(path),
            f"{source} does not match its sha256 pin: update the pin if the new file is intended",
            entry=label,
            field="sha256",
        )


def load_manifest(path: Path) -> Manifest:
    """Parse and validate the whole manifest; the first bad entry raises ManifestError (file, entry, field)."""
    path = path.resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ManifestError(str(path), f"cannot read the manifest: {e}") from e
    validated: list[tuple[ManifestEntry, str]] = []
    for i, (raw, line) in enumerate(_entry_nodes(path, text)):
        entry = _validate_entry(path, raw, i, line)
        validated.append((entry, f"#{i + 1} (line {line}, id {entry.id!r})"))
    _check_links(path, validated)
    for entry, label in validated:
        _check_source(path, entry, label)
    return Manifest(path=path, entries=tuple(e for e, _ in validated))
