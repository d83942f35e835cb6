"""Admin calls: ingestion jobs with their typed progress events, and snapshots of the embedded index."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    manifest: str | None = Field(None, description="Manifest path on the server (default RAG_MANIFEST).")
    dry_run: bool = False


class PageLeftOut(BaseModel):
    page: int
    why: str


class EditionStarted(BaseModel):
    type: Literal["edition_started"] = "edition_started"
    source_id: str
    title: str


class PagesRead(BaseModel):
    type: Literal["pages_read"] = "pages_read"
    source_id: str
    pages: int
    ocr_pages: list[int] = Field(default_factory=list, description="Pages read by OCR.")
    left_out: list[PageLeftOut] = Field(default_factory=list, description="Pages indexed without, and why.")


class ChunksWritten(BaseModel):
    type: Literal["chunks_written"] = "chunks_written"
    source_id: str
    chunks: int


class EditionFinished(BaseModel):
    type: Literal["edition_finished"] = "edition_finished"
    source_id: str
    outcome: Literal["added", "replaced"]
    chunks: int
    pages: int
    ocr_pages: int = Field(description="How many pages were read by OCR.")
    left_out: int = Field(description="How many pages were left out.")


class EditionFailed(BaseModel):
    type: Literal["edition_failed"] = "edition_failed"
    source_id: str
    reason: str


class RunFinished(BaseModel):
    type: Literal["run_finished"] = "run_finished"
    added: int
    replaced: int
    metadata_updated: int
    removed: int
    unchanged: int
    failed: int
    chunks_written: int
    garbage_collected: int
    seconds: float


IngestEvent = Annotated[
    EditionStarted | PagesRead | ChunksWritten | EditionFinished | EditionFailed | RunFinished,
    Field(discriminator="type"),
]


class JobProgress(BaseModel):
    totals: dict[str, int] = Field(default_factory=dict, description="documents, pages, chunks to do.")
    done: dict[str, int] = Field(default_factory=dict)
    events: list[IngestEvent] = Field(default_factory=list, description="What happened so far, in order.")


class JobOut(BaseModel):
    id: str
    state: Literal["running", "done", "failed"]
    progress: JobProgress
    result: dict[str, Any] | None = Field(None, description="The run's plan and report (as `rag ingest --json`).")
    error: str | None = None


class SnapshotRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
        description="File name of the .tar.gz the server writes under RAG_DATA_DIR/snapshots (never a path).",
    )
