"""`rag serve`: the HTTP API, the console and MCP in one process. Its options go into the settings it hands to
`create_app` (no environment variables are set on the way)."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from rag_service.cli.app import app, fail
from rag_service.errors import RagError
from rag_service.settings import Settings

log = logging.getLogger("rag.serve")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default RAG_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default RAG_PORT, 8000).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (only with RAG_QDRANT_URL).")] = 1,
    embedded_llm: Annotated[
        bool, typer.Option("--embedded-llm", help="Start the CPU generator (gemma3-270m): plumbing, not answers.")
    ] = False,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM): serve HTTPS, no proxy.")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM) for --ssl-certfile.")] = None,
) -> None:
    """Serve the HTTP API (JSON log lines on stderr, one per request). The embedded store belongs to one process:
    several workers need a Qdrant server."""
    import logging.config

    from rag_service.logs import logging_config
    from rag_service.service.access import is_loopback, load_keys

    options: dict[str, Any] = {"host": host, "port": port, "llm_embedded": True if embedded_llm else None}
    settings = Settings().model_copy(update={k: v for k, v in options.items() if v is not None})
    try:
        keys = load_keys(settings.api_keys, settings.api_keys_file, settings.rate_limit_per_minute)
    except ValueError as e:
        fail(str(e))
    if not keys and not is_loopback(settings.host):
        fail(
            f"refusing to listen on {settings.host} without API keys: set RAG_API_KEYS (comma-separated) or "
            "RAG_API_KEYS_FILE, or listen on 127.0.0.1"
        )
    if bool(ssl_certfile) != bool(ssl_keyfile):
        fail("TLS needs both --ssl-certfile and --ssl-keyfile")
    for f in (ssl_certfile, ssl_keyfile):
        if f is not None and not f.is_file():
            fail(f"{f}: no such file")
    if workers > 1 and settings.qdrant_url is None:
        fail("the embedded store belongs to one process: use --workers 1, or set RAG_QDRANT_URL to a Qdrant server")
    _preflight(settings)
    config = logging_config()
    logging.config.dictConfig(config)
    _announce(settings, ssl_certfile is not None)
    tls = {"ssl_certfile": str(ssl_certfile) if ssl_certfile else None,
           "ssl_keyfile": str(ssl_keyfile) if ssl_keyfile else None}  # fmt: skip
    try:
        _run(settings, workers, config, tls)
    except RagError as e:
        fail(str(e))


def _announce(settings: Settings, tls: bool) -> None:
    where = f"{'https' if tls else 'http'}://{settings.host}:{settings.port}"
    log.info("serving the API at %s/v1 (OpenAPI at /docs), the librarian's console at %s/console, MCP at %s/mcp",
             where, where, where)  # fmt: skip
    from rag_service.service.access import is_loopback

    if not is_loopback(settings.host) and not tls:
        log.warning(
            "listening on %s without TLS: API keys and questions cross the network in clear text; use "
            "--ssl-certfile/--ssl-keyfile or a TLS proxy",
            settings.host,
        )


def _run(settings: Settings, workers: int, log_config: dict[str, Any], tls: dict[str, str | None]) -> None:
    """uvicorn with the app built from these settings: one process, or `workers` processes that each build it
    (spawned: the factory and its settings travel pickled, not through the environment)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from rag_service.server import create_app

    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": log_config,
        "access_log": False,
        **tls,
    }  # fmt: skip  (the request log is the access log)
    if workers <= 1:
        uvicorn.run(create_app(settings), **common)
        return
    config = uvicorn.Config(partial(create_app, settings), factory=True, workers=workers, **common)
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def port_problem(host: str, port: int) -> str | None:
    """Why `rag serve` cannot listen on host:port (in use, not an address of this machine, a privileged port), in
    words that name the fix; None when it can. Bound and released at once, with uvicorn's own SO_REUSEADDR."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return (f"port {port} on {host} is already in use (another `rag serve`, or another program): "
                        "choose a free one with --port or RAG_PORT, or stop what holds it")  # fmt: skip
            if e.errno == errno.EACCES:
                return f"port {port} needs privileges on this machine: use a port above 1023 (--port or RAG_PORT)"
            return f"cannot listen on {host}:{port} ({e.strerror}): check --host / RAG_HOST and --port / RAG_PORT"
    return None


def _preflight(settings: Settings) -> None:
    """Say what is wrong before uvicorn starts (its start-up failures end in a traceback)."""
    if problem := port_problem(settings.host, settings.port):
        fail(problem)
    from rag_service.dense import load_embedder
    from rag_service.index import index_meta
    from rag_service.store import open_store
    from rag_service.store.base import check_meta

    try:
        meta = open_store(settings).read_meta()
        if meta is not None:
            check_meta(meta, index_meta(load_embedder(settings.embedder), meta.avgdl), str(settings.index_dir))
    except RagError as e:
        if settings.qdrant_url is None:  # a Qdrant outage is not fatal: the service starts and answers 503
            fail(str(e))
    except ValueError as e:  # an unknown RAG_EMBEDDER
        fail(str(e))
