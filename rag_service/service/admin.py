"""The librarian's and the operator's actions in the serving process: ingestion jobs (from `rag ingest`, the job API
or the console), an edition's status written back to the manifest, and snapshots of the embedded index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingestion.audit import append_audit, read_audit
from ingestion.progress import CounterProgress
from rag_service import wire
from rag_service.errors import BadRequest, Conflict, DiskFullError, NotFound, RagError
from rag_service.service.access import Caller
from rag_service.service.container import Container
from rag_service.service.jobs import Job
from rag_service.types import EditionStatus


def job_out(job: Job) -> wire.JobOut:
    doc = {"id": job.id, "state": job.state, "progress": job.progress.snapshot(), "result": job.result}
    return wire.JobOut.model_validate({**doc, "error": job.error})


def _start(c: Container, manifest: Path, dry_run: bool, via: str) -> Job:
    from ingestion.run import outcome_doc, run_ingest

    def work(progress: CounterProgress) -> dict[str, object]:
        # this process also answers searches: the writer makes short engine calls and optimises aside
        outcome = run_ingest(
            c.settings, c.store, c.embedder, manifest, progress, dry_run=dry_run, via=via, serving=True
        )
        return outcome_doc(outcome)

    return c.jobs.start(work)


def start_ingest(c: Container, who: Caller, req: wire.IngestRequest, door: str = "server") -> wire.JobOut:
    """Run ingestion in this process (it holds the store); Conflict while a job runs. `door`: for the audit log."""
    c.access.authorize(who, "admin")
    manifest = Path(req.manifest) if req.manifest else c.settings.manifest
    return job_out(_start(c, manifest, req.dry_run, f"{door}, {who.id}"))


def job(c: Container, who: Caller, job_id: str) -> wire.JobOut:
    c.access.authorize(who, "admin")
    found = c.jobs.get(job_id)
    if found is None:
        raise NotFound(f"no ingestion job {job_id!r}")
    return job_out(found)


def job_watch(c: Container, who: Caller, job_id: str) -> Callable[[], wire.JobOut]:
    """The job's state as of each call, for a page that follows it (any signed-in caller may watch)."""
    c.access.authorize(who, None)
    found = c.jobs.get(job_id)
    if found is None:
        raise NotFound(f"no ingestion job {job_id!r}")
    return lambda: job_out(found)


def audit(c: Container, who: Caller, last: int = 50) -> list[dict[str, Any]]:
    """The last `last` records of the audit log (ingestions, status changes, snapshots), oldest first."""
    c.access.authorize(who, None)
    return read_audit(c.settings.audit_log_path, last=last)


def set_status(c: Container, who: Caller, source_id: str, status: str, door: str = "console") -> wire.JobOut:
    """Write the new status into the manifest (comments kept), audit it, then re-ingest (a metadata-only update)."""
    from ingestion.manifest_edit import set_status as write_status

    c.access.authorize(who, "admin")
    try:
        new = EditionStatus(status)
    except ValueError:
        raise BadRequest(f"status must be one of {', '.join(s.value for s in EditionStatus)}") from None
    try:
        old = write_status(c.settings.manifest, source_id, new)
    except RagError as e:
        raise BadRequest(str(e)) from e
    via = f"{door}, {who.id}"
    append_audit(c.settings.audit_log_path, {
        "action": "status", "source_id": source_id, "from": old.value, "to": new.value,
        "manifest": str(c.settings.manifest), "via": via,
    })  # fmt: skip
    return job_out(_start(c, c.settings.manifest, False, via))


def snapshot(c: Container, who: Caller, req: wire.SnapshotRequest, door: str = "server") -> dict[str, Any]:
    """A consistent snapshot of the embedded index, taken by the process that holds it: ingestion waits (Conflict
    while a job runs), searches go on. Written under RAG_DATA_DIR/snapshots (a name, never a path)."""
    from rag_service.snapshot import create_embedded

    c.access.authorize(who, "admin")
    if c.settings.qdrant_url is not None:
        raise Conflict("the index is on a Qdrant server: `rag snapshot create` uses Qdrant's snapshots")
    target = c.settings.data_dir / "snapshots" / req.name
    with c.jobs.held():
        try:
            c.store.flush()
            info = create_embedded(c.settings, target)
        except OSError as e:
            raise DiskFullError(
                f"cannot write the snapshot {target} ({e.strerror or e}): free space under RAG_DATA_DIR"
            ) from e
        except RagError as e:
            raise Conflict(str(e)) from e
    append_audit(c.settings.audit_log_path, {"action": "snapshot", "via": f"{door}, {who.id}", "path": str(target)})
    return info
