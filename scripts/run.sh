#!/usr/bin/env bash
# The main job: set up, ingest the bundled demo corpus into the embedded index, serve the API on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
case " $* " in
  *" --embedded-llm "*) scripts/setup.sh embedded-llm ;;  # the CPU generator (plumbing only)
  *) scripts/setup.sh ;;
esac
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/rag ingest
exec .venv/bin/rag serve "$@"
