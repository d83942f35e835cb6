"""Mutated bytes of the real PDFs in ../shared/data/pdfs and random manifests: only the documented errors
(`SourceError`, `ManifestError`), never another exception and never a hang. The full run (more mutations per file)
is `python -m tests.integration.test_fuzz_sources N`; CI runs a seeded few per file."""

from __future__ import annotations

import contextlib
import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.manifest import load_manifest
from ingestion.pdf import extract_raw_pages
from ingestion.sources import read_source
from rag_service.errors import ManifestError, PdfExtractionError, SourceError

MUTATIONS_PER_FILE = 4


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of: flip bytes, truncate, splice a copy of another region, or insert garbage."""
    b = bytearray(data)
    kind = rng.choice(("flip", "truncate", "splice", "insert"))
    if kind == "flip":
        for _ in range(rng.randint(1, 64)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == "truncate":
        del b[rng.randrange(1, len(b)) :]
    elif kind == "splice":
        i, j = sorted(rng.sample(range(len(b)), 2))
        k = rng.randrange(len(b))
        b[k:k] = b[i : min(j, i + 4096)]
    else:
        k = rng.randrange(len(b))
        b[k:k] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 512)))
    return bytes(b)


def fuzz_pdfs(pdfs: list[Path], out: Path, per_file: int, seed: int = 0) -> dict[str, int]:
    outcomes = {"read": 0, "documented error": 0}
    for pdf in pdfs:
        rng = random.Random(f"{seed}-{pdf.name}")
        data = pdf.read_bytes()
        for n in range(per_file):
            path = out / f"{pdf.stem}-{n}.pdf"
            path.write_bytes(mutate(data, rng))
            try:
                read_source(path)
                outcomes["read"] += 1
            except SourceError as e:
                assert str(path) in str(e)  # the message names the file
                outcomes["documented error"] += 1
    return outcomes


def test_mutated_real_pdfs_read_or_fail_with_the_documented_error(shared_data: Path, tmp_path: Path) -> None:
    pdfs = sorted((shared_data / "pdfs").glob("*.pdf"))
    assert len(pdfs) >= 10
    outcomes = fuzz_pdfs(pdfs, tmp_path, MUTATIONS_PER_FILE)
    assert sum(outcomes.values()) == len(pdfs) * MUTATIONS_PER_FILE and outcomes["documented error"] > 0


def test_a_document_over_its_time_limit_fails_alone(shared_data: Path) -> None:
    pdf = shared_data / "pdfs" / "medical_demo_ai_generated_4p.pdf"
    with pytest.raises(PdfExtractionError, match=r"reading stopped after -?\d+ s at page 1 of 4"):
        extract_raw_pages(pdf, max_seconds=-1)
    assert len(extract_raw_pages(pdf)) == 4


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400).map(lambda b: b.decode("latin-1"))))
def test_any_manifest_text_is_read_or_refused_with_a_manifest_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with contextlib.suppress(ManifestError):  # anything else (or a hang) fails the test
        load_manifest(path)


@pytest.mark.parametrize(
    "text",
    [
        "editions: [",
        "editions:\n  - id: 1\n    title: [x]",
        "- a\n- b",
        "editions: {}",
        "\ufeffeditions: null",
        "!!python/object:os.system {}",
    ],
)
def test_hand_written_bad_manifests(tmp_path: Path, text: str) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_manifest(path)
    except ManifestError as e:
        assert str(path.resolve()) in str(e)


if __name__ == "__main__":  # the benchmark-sized run: python -m tests.integration.test_fuzz_sources 200
    import tempfile

    folder = Path(__file__).resolve().parents[3] / "shared" / "data" / "pdfs"
    with tempfile.TemporaryDirectory() as tmp:
        print(fuzz_pdfs(sorted(folder.glob("*.pdf")), Path(tmp), int(sys.argv[1]) if len(sys.argv) > 1 else 50))
