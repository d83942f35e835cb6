#!/usr/bin/env bash
# Create .venv and install the project (idempotent). Usage: scripts/setup.sh [EXTRAS], e.g. scripts/setup.sh dev
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-12)-${extras:-base}"
if [ ! -f "$stamp" ]; then
  echo "setup: installing into .venv (extras: ${extras:-none}); the first time takes a few minutes" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  case ",$extras," in
    *,dev,*|*,gpu,*)
      # CPU PyTorch first: any other torch request pulls a multi-GB CUDA build (sentence-transformers needs torch)
      .venv/bin/python -m pip install -q "torch==2.13.0" ;;
  esac
  if [ -n "$extras" ]; then
    .venv/bin/python -m pip install -q -e ".[$extras]"
  else
    .venv/bin/python -m pip install -q -e .
  fi
  touch "$stamp"
fi
