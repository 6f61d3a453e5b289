#!/usr/bin/env bash
# `make run` until the receiver lands: the best end-to-end path that exists today.
# Synthesises a test pattern, writes it as SigMF, renders what a model would see, and measures
# the frontend against its baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
RF=.venv/bin/rfclassify
OUT=out/demo
mkdir -p "$OUT"

echo "== 1. synthesise a test pattern (CW, OFDM bursts, chirp in noise) as SigMF"
$RF synth testpattern --rate 15.36e6 --seconds 0.08 --out "$OUT/testpattern.sigmf-meta"
echo
echo "== 2. render the frontend's view of it (4 windows of 20 ms)"
$RF spectrogram "$OUT/testpattern.sigmf-meta" --out "$OUT/testpattern.png" --windows 4
echo
echo "== 3. frontend throughput on one core, 30.72 MS/s stream"
$RF bench frontend --seconds 2
echo
echo "Open $OUT/testpattern.png to see the spectrogram."
