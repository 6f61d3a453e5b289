#!/usr/bin/env bash
# The representation A/B of issue 20: the same examples imaged four ways, each trained with the
# same model, data and budget from two seeds, each judged on its validation set, the suite's
# noise battery and the real captures. Every step is skipped when its result exists, so a cut
# run continues where it stopped: run it again. The table: scripts/representation_table.py.
#
#   ROOT=/work/data/ab scripts/representation_ab.sh   # ~40 min per variant (2 seeds) on 2 cores
#
# Variants: base (128 x 128, standardised: the shipped frontend), rows256 (256 x 256: twice
# the frequency rows; the models are square, so twice the columns too), median (dB above the
# window's median / 10 dB instead of per-window standardisation), peak (a second, peak-hold
# plane normalised like the first); and base-decayall, below.
set -euo pipefail
cd "$(dirname "$0")/.."
RFC=${RFC:-.venv/bin/rfclassify}
ROOT=${ROOT:-data/ab}
N_TRAIN=${N_TRAIN:-4000}
N_VAL=${N_VAL:-1000}
EPOCHS=${EPOCHS:-10}
MODEL=${MODEL:-mobilevit_xxs}  # twice Vim's training speed on a CPU
SEEDS=${SEEDS:-"1 2"}
VARIANTS=${VARIANTS:-"base median peak rows256 base-decayall"}

flags() {
  case $1 in
    base) ;;
    median) echo "--normalisation median" ;;
    peak) echo "--extra-plane peak" ;;
    rows256) echo "--size 256x256" ;;
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
}

# base-decayall: the base data, trained with weight decay on every parameter (the rule before
# 2026-12-03), to measure what sparing biases, norms, embeddings and A_log/D is worth
data_of() { [ "$1" = base-decayall ] && echo base || echo "$1"; }
train_flags() { [ "$1" = base-decayall ] && echo "--decay-all" || true; }

complete() { grep -q '"complete": true' "$1/dataset.json" 2>/dev/null; }

mkdir -p "$ROOT"
for v in $VARIANTS; do
  v=$(data_of "$v")
  for split in train:11:$N_TRAIN val:12:$N_VAL; do
    IFS=: read -r name seed n <<<"$split"
    dir=$ROOT/$v/$name
    complete "$dir" && continue
    echo "== $v: $name ($n examples, seed $seed)"
    $RFC dataset build --out "$dir" --n "$n" --seed "$seed" --split "$name" --resume \
      --no-progress $(flags "$v")  # word splitting wanted
  done
done

for v in $VARIANTS; do
  for s in $SEEDS; do
    d=$(data_of "$v")
    run=$ROOT/$v/runs/$MODEL-s$s
    if [ ! -f "$run/summary.json" ]; then
      echo "== $v: training $MODEL, seed $s"
      resume=()
      [ -f "$run/last.pt" ] && resume=(--resume)
      $RFC train --model "$MODEL" --data "$ROOT/$d/train" --val "$ROOT/$d/val" --out "$run" \
        --epochs "$EPOCHS" --seed "$s" --quiet $(train_flags "$v") "${resume[@]}"
    fi
    if [ ! -f "$run/eval-val.json" ]; then
      $RFC eval "$run/best.safetensors" --data "$ROOT/$d/val" --json --quiet >"$run/eval.tmp"
      mv "$run/eval.tmp" "$run/eval-val.json"
    fi
    suite=$ROOT/$d/suite
    if [ ! -f "$suite/suite.json" ]; then
      echo "== $v: noise battery and real captures"
      $RFC dataset suite --out "$suite" --model "$run/best.safetensors" \
        --only noise_battery,real --quiet
    fi
    if [ ! -f "$run/eval-suite.json" ]; then
      $RFC eval "$run/best.safetensors" --suite "$suite" --json --quiet >"$run/eval.tmp"
      mv "$run/eval.tmp" "$run/eval-suite.json"
    fi
  done
done
.venv/bin/python scripts/representation_table.py "$ROOT" "$MODEL" $VARIANTS
