#!/usr/bin/env bash
# make soak: the long paced run an unattended station must survive (issue 10).
#
# 600 s of vim-lte-nr at 30.72 MS/s through a real flowgraph (throttle -> classifier -> ZMQ,
# a subscriber reading along), judged against: zero skipped windows, RSS growth < 2 %, zero ZMQ
# messages lost, no inference error or worker restart. Run it on an otherwise idle machine: a
# second job on the same cores is what makes windows skip, not the classifier.
#
#   SOAK_SECONDS=600 SOAK_RATE=30.72e6 SOAK_MODEL=vim-lte-nr bash scripts/soak.sh
#
# Writes docs/perf/soak/soak.json and docs/img/reliability/soak-rss.png; exit 1 if a target is
# missed.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-30.72e6}
MODEL=${SOAK_MODEL:-vim-lte-nr}
OUT=docs/perf/soak
mkdir -p "$OUT" docs/img/reliability
echo "soak: $MODEL at $RATE S/s for $SECONDS_ s (load average now: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
status=0
.venv/bin/rfclassify bench stream --soak --model "$MODEL" --rate "$RATE" --seconds "$SECONDS_" \
    --plot docs/img/reliability/soak-rss.png --json > "$OUT/soak.json" || status=$?
.venv/bin/python - "$OUT/soak.json" <<'PY'
import json, sys
from rfclassify.bench.soak import checks_table
r = json.load(open(sys.argv[1]))
p = r["paced"]
print(f"{r['model']}, {r['rate_msps']:g} MS/s, {p['seconds']:.0f} s paced, {p['windows']} windows, "
      f"latency p50 {p['latency_p50_ms']:.1f} ms / p99 {p['latency_p99_ms']:.1f} ms, "
      f"CPU {p['cpu_percent']:.0f} %, steal {p['steal_percent']:.1f} %"
      + (f", heap in use {p['heap_growth_percent']:+.2f} %" if "heap_growth_percent" in p else ""))
print(checks_table(r["soak"]))
PY
exit $status
