#!/usr/bin/env bash
# The README's console screenshots (docs/console/*.png, 1280 and 800 wide), taken by the browser test's second walk
# in Debian's Chromium against the real app: filter the corpus, ingest a new edition, what changed, a superseded hit.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
CONSOLE_SCREENSHOTS="${1:-docs/console}" "${PYTHON:-python}" -m pytest -q tests/e2e/test_console_browser.py \
  -k "what_changed_between_editions"
ls -l "${1:-docs/console}"
