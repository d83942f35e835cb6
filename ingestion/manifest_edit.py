"""Change an edition's status in the manifest file itself, keeping its comments, order and quoting (ruamel.yaml
round-trip). The new text is validated as a whole manifest before it replaces the old file (atomically), so a
change from the console can never leave a manifest that `rag ingest` refuses."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ingestion.manifest import load_manifest
from rag_service.errors import ManifestError
from rag_service.types import EditionStatus


def _yaml() -> YAML:
    y = YAML()  # round-trip: comments, key order and quotes survive
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a long title
    y.indent(mapping=2, sequence=2, offset=0)
    return y


def set_status(manifest: Path, source_id: str, status: EditionStatus) -> EditionStatus:
    """Write `status` on the edition `source_id`; returns its previous status. ManifestError names what is wrong."""
    manifest = manifest.resolve()
    y = _yaml()
    try:
        doc = y.load(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as e:
        raise ManifestError(str(manifest), f"cannot read the manifest: {e}") from e
    editions = doc.get("editions") if hasattr(doc, "get") else None
    entry = next((e for e in editions or [] if hasattr(e, "get") and e.get("id") == source_id), None)
    if entry is None:
        raise ManifestError(str(manifest), f"no edition with id {source_id!r}: the manifest lists the editions")
    old = EditionStatus(entry.get("status", EditionStatus.CURRENT.value))
    entry["status"] = status.value
    out = io.StringIO()
    y.dump(doc, out)
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", suffix=".yaml", dir=manifest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(out.getvalue())
            f.flush()
            os.fsync(f.fileno())
        load_manifest(Path(tmp))  # the whole manifest still validates (sources resolve from the same folder)
        os.chmod(tmp, manifest.stat().st_mode & 0o777)
        os.replace(tmp, manifest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return old
