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
# OCR for PDF pages without a usable text layer (Debian packages; the tests need them, the service uses them when
# present). Installed only where apt-get can run as root (CI, containers); elsewhere a note says what to install.
case ",$extras," in
  *,dev,*)
    if ! command -v tesseract >/dev/null 2>&1 || ! ls /usr/share/tesseract-ocr/*/tessdata/jpn.traineddata >/dev/null 2>&1; then
      if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "setup: installing tesseract-ocr with its Japanese models (apt-get)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert >/dev/null \
          || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert >/dev/null; }
      else
        echo "setup: OCR tests need tesseract-ocr tesseract-ocr-jpn (apt-get as root); they skip without it" >&2
      fi
    fi
    # the console's browser test drives Debian's Chromium with Playwright (never a browser download); IPA Gothic
    # so that its screenshots show Japanese
    if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=ja 2>/dev/null | grep -q .; then
      if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "setup: installing chromium for the console's browser test (apt-get)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-ipafont-gothic >/dev/null \
          || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-ipafont-gothic >/dev/null; }
      else
        echo "setup: the console's browser test needs Debian's chromium (apt-get as root); it skips without it" >&2
      fi
    fi ;;
esac
