#!/usr/bin/env bash
# `make run`: the headless receiver on the built-in simulated source (LTE, NR, noise and other
# emitters in turn, in real time) with the shipped default model, printing one line per classified
# window until Ctrl-C. Extra arguments go to the receiver, e.g. `make run ARGS="--json"`.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "rfclassify_rx.py --source sim: live results below; Ctrl-C to stop." >&2
exec .venv/bin/rfclassify-rx --source sim "$@"
