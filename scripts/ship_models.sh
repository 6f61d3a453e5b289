#!/usr/bin/env bash
# Issue 20's release, from nothing to the shipped files, carried through as many working sessions
# as it takes: every step is skipped when its result exists and resumes where it was cut
# (dataset builds and training runs both resume), so the same command is run again each session.
#
#   scripts/ship_models.sh            # data, Vim, MobileViT, suites at 5/10/20/40 ms, export, eval
#   STEPS="data" scripts/ship_models.sh            # only some steps: data vim mvit suite ship
#
# The training set holds examples of every window length from 5 ms (a burst recorder's) to 40 ms
# (recipe window_ms), so one model serves them all; the suite's held-out set is the cards' test
# set, and suites at 5, 10, 20 and 40 ms say how each length fares.
set -euo pipefail
cd "$(dirname "$0")/.."
RFC=${RFC:-.venv/bin/rfclassify}
DATA=${DATA:-data}
RUNS=${RUNS:-runs}
N_TRAIN=${N_TRAIN:-100000}
N_VAL=${N_VAL:-5000}
N_SUITE=${N_SUITE:-2000}
VIM_EPOCHS=${VIM_EPOCHS:-8}
MVIT_EPOCHS=${MVIT_EPOCHS:-8}
FRONTEND_FLAGS=${FRONTEND_FLAGS:-}  # what the representation A/B chose (docs/training.md)
STEPS=${STEPS:-"data vim mvit suite ship"}
SESSION_STOP=${SESSION_STOP:-}  # e.g. 2: each call trains at most 2 epochs of a model, then ends

want() { [[ " $STEPS " == *" $1 "* ]]; }
complete() { grep -q '"complete": true' "$1/dataset.json" 2>/dev/null; }

mkdir -p "$DATA" "$RUNS"
windows=$DATA/windows.json
echo '{"window_ms": [5.0, 40.0]}' >"$windows"

if want data; then
  for split in train:1:$N_TRAIN val:2:$N_VAL; do
    IFS=: read -r name seed n <<<"$split"
    dir=$DATA/$name-v3w
    complete "$dir" && continue
    echo "== data: $name, $n examples, seed $seed, windows 5-40 ms"
    # shellcheck disable=SC2086  # FRONTEND_FLAGS is a list of flags
    $RFC dataset build --out "$dir" --n "$n" --seed "$seed" --split "$name" --config "$windows" \
      --resume $FRONTEND_FLAGS
  done
fi

epochs_done() {  # epochs in a run's history (0: none yet)
  .venv/bin/python -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' \
    "$1/history.json" 2>/dev/null || echo 0
}

train() {  # name model epochs
  local run=$RUNS/$1 resume=() stop=()
  [ "$(epochs_done "$run")" -ge "$3" ] && return 0
  [ -f "$run/last.pt" ] && resume=(--resume)
  [ -n "$SESSION_STOP" ] && stop=(--stop-after-epochs "$SESSION_STOP")
  echo "== train $2 into $run ($3 epochs; $(epochs_done "$run") done)"
  $RFC train --model "$2" --data "$DATA/train-v3w" --val "$DATA/val-v3w" --out "$run" \
    --epochs "$3" --quiet "${resume[@]}" "${stop[@]}"
}
want vim && train vim-lte-nr-v3 vim_ultralight "$VIM_EPOCHS"
want mvit && train mobilevit-xxs-lte-nr-v3 mobilevit_xxs "$MVIT_EPOCHS"

if want suite; then
  for ms in 20 5 10 40; do
    suite=$DATA/suite-v3-${ms}ms
    [ -f "$suite/suite.json" ] && continue
    echo "== suite at $ms ms"
    $RFC dataset suite --out "$suite" --model "$RUNS/vim-lte-nr-v3/best.safetensors" \
      --window-ms "$ms" --n "$N_SUITE" --resume --quiet
  done
fi

if want ship; then
  $RFC export "$RUNS/vim-lte-nr-v3/best.safetensors" --out models/vim-lte-nr.onnx \
    --test "$DATA/suite-v3-20ms/held_out" --name vim-lte-nr --quiet
  $RFC export "$RUNS/mobilevit-xxs-lte-nr-v3/best.safetensors" \
    --out models/mobilevit-xxs-lte-nr.onnx --test "$DATA/suite-v3-20ms/held_out" \
    --name mobilevit-xxs-lte-nr --quiet
  mkdir -p docs/suite-v3
  for model in vim-lte-nr mobilevit-xxs-lte-nr; do
    for ms in 20 5 10 40; do
      $RFC eval "models/$model.onnx" --suite "$DATA/suite-v3-${ms}ms" --json --quiet \
        >"docs/suite-v3/$model-${ms}ms.json"
    done
  done
fi
