"""An app that only calls the service loads none of the server: `import rag_service.client` in a fresh interpreter
is quick, and using the client (both classes, every call built) loads no server module."""

from __future__ import annotations

import json
import subprocess
import sys

SERVER = ("fastapi", "mcp", "fitz", "pymupdf", "qdrant_client", "qdrant_edge", "fugashi", "ingestion", "torch",
          "rag_service.api", "rag_service.service", "rag_service.server", "rag_service.store")  # fmt: skip

PROBE = """
import json, sys, time
t0 = time.perf_counter()
import rag_service.client
t1 = time.perf_counter()
from rag_service.client import ApiError, AsyncRagClient, RagClient
from rag_service.client.calls import Calls
with RagClient("http://127.0.0.1:9") as rag:
    pass
calls = [Calls.search("高血圧"), Calls.answer("降圧目標は"), Calls.exam("どれか", {"a": "x", "b": "y"}),
         Calls.recommendations(cq="CQ2"), Calls.ingest(), Calls.job("j"), Calls.snapshot("s.tar.gz")]
t2 = time.perf_counter()
loaded = sorted(m for m in sys.modules if any(m == s or m.startswith(s + ".") for s in SERVER))
print(json.dumps({"import_s": t1 - t0, "use_s": t2 - t1, "loaded": loaded}))
"""


def _probe() -> dict[str, object]:
    code = f"SERVER = {SERVER!r}\n{PROBE}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_client_loads_no_server_module() -> None:
    got = _probe()
    assert got["loaded"] == [], f"the client loaded {got['loaded']}"


def test_import_rag_service_client_is_quick() -> None:
    """Under 0.3 s (best of three fresh interpreters, the machine may be busy): its modules load on first use."""
    best = min(float(_probe()["import_s"]) for _ in range(3))  # type: ignore[arg-type]
    assert best < 0.3, f"import rag_service.client took {best:.3f} s"
