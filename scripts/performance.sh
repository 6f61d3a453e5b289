#!/usr/bin/env bash
# The one command behind docs/performance.md (issue 8): runs every benchmark, saves each JSON
# object under docs/perf/results/, then renders the page and its plots from them with
# `rfclassify bench report`. About 10 minutes; run it on an otherwise idle machine, since a busy
# one understates everything (the page says so when it sees a high load average).
#
#   scripts/performance.sh              measure, then write docs/performance.md
#   QUICK=1 scripts/performance.sh      tiny settings: a smoke test of this script and the page
#                                       (figures meaningless), into a temporary folder
#   OUT=DIR                             page DIR/performance.md, results DIR/perf/results,
#                                       plots DIR/img/performance (default: docs)
#   MODELS=a,b,...                      architectures for `bench models` (default: the served
#                                       models' own, vim_ultralight and mobilevit_xxs)
#
# Re-render the page from the saved results alone (no measuring):
#   .venv/bin/rfclassify bench report --results docs/perf/results --out docs/performance.md
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'echo "performance.sh: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

RFC=${RFCLASSIFY:-.venv/bin/rfclassify}
PY=${PYTHON:-.venv/bin/python}
QUICK=${QUICK:-0}
MODELS=${MODELS:-vim_ultralight,mobilevit_xxs}
if [[ $QUICK == 1 ]]; then
    OUT=${OUT:-$(mktemp -d -t rfclassify-perf-XXXXXX)}
    MINUTES=2 FE_SECONDS=0.3 STREAM_SECONDS=1 MEMORY_SECONDS=2
    MODEL_FLAGS=(--batches 1 --runs 3 --quick --threads 1)
    COMMAND="QUICK=1 scripts/performance.sh"
else
    OUT=${OUT:-docs}
    MINUTES=10 FE_SECONDS=5 STREAM_SECONDS=20 MEMORY_SECONDS=60
    MODEL_FLAGS=(--served)  # the input the shipped models see: a like-for-like comparison
    COMMAND="scripts/performance.sh"
fi
RESULTS=$OUT/perf/results
IMG=$OUT/img/performance
# Debian's GNU Radio logs to stdout (/etc/gnuradio/conf.d: log_file = stdout), which would put
# log lines in front of the JSON that --json prints
export GR_CONF_LOG_LOG_FILE=stderr

load=$(cut -d' ' -f1 /proc/loadavg)
echo "performance.sh: about $MINUTES minutes; run it on an otherwise idle machine." >&2
echo "performance.sh: results in $RESULTS, page $OUT/performance.md (load average now $load)" >&2
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    echo "performance.sh: WARNING: load average $load: this machine is busy, the figures will" \
        "understate the code (the page will say so)" >&2
fi

mkdir -p "$RESULTS" "$IMG"
rm -f "$RESULTS"/*.json "$IMG"/*.png # a stale result must not mix with this run's

run() { # run NAME COMMAND...: print the command, save its stdout (one JSON object) as NAME.json
    local name=$1
    shift
    echo "+ $* > $RESULTS/$name.json" >&2
    "$@" >"$RESULTS/$name.json"
}

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
printf '{"bench": "session", "command": "%s", "render": "%s", "quick": %s, "started": "%s", %s}\n' \
    "$COMMAND" "rfclassify bench report --results $RESULTS --out $OUT/performance.md" \
    "$([[ $QUICK == 1 ]] && echo true || echo false)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    "\"commit\": \"$commit\", \"load_average_1min\": $load" >"$RESULTS/session.json"

run frontend-1core "$RFC" bench frontend --seconds "$FE_SECONDS" --json
run frontend-2cores "$RFC" bench frontend --seconds "$FE_SECONDS" --workers 2 --cores 2 --json
run models "$RFC" bench models --models "$MODELS" "${MODEL_FLAGS[@]}" --json

stream() { # stream NAME MODEL RATE SECONDS [FLAGS...]
    local name=$1 model=$2 rate=$3 seconds=$4
    shift 4
    run "$name" "$RFC" bench stream --model "$model" --rate "$rate" --seconds "$seconds" "$@" --json
}
stream stream-vim-61.44 vim-lte-nr 61.44e6 "$STREAM_SECONDS" --baseline
# the stretch rate, where the model's frontend serves it; otherwise the report judges the stretch
# target from the 61.44 MS/s run's unthrottled MS/s (the chain's speed, not a pace)
if "$PY" -c 'from rfclassify.inference.engine import Classifier as C
C("vim-lte-nr", "onnxruntime", "cpu", 1, None).window_length(122.88e6)' 2>/dev/null; then
    stream stream-vim-122.88 vim-lte-nr 122.88e6 "$STREAM_SECONDS" --baseline
else
    echo "performance.sh: skipping 122.88 MS/s: vim-lte-nr's frontend does not serve it" >&2
fi
stream stream-mobilevit-30.72 mobilevit-xxs-lte-nr 30.72e6 "$STREAM_SECONDS" --baseline
# memory: RSS growth over a long paced run
stream stream-vim-30.72-memory vim-lte-nr 30.72e6 "$MEMORY_SECONDS"

echo "+ $RFC bench report --results $RESULTS --out $OUT/performance.md" >&2
"$RFC" bench report --results "$RESULTS" --out "$OUT/performance.md" --img-dir "$IMG"
echo "performance.sh: done: $OUT/performance.md" >&2
