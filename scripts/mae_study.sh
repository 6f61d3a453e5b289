#!/usr/bin/env bash
# The commands behind docs/foundation-model.md (issue 9): data, MAE pretraining, the
# label-efficiency study, and the study's figures copied into docs/. Every step skips what is
# already done (datasets present, pretraining finished, study cells trained), so an
# interrupted run continues where it stopped.
#
#   scripts/mae_study.sh              the CPU study (ViT-Ti, 6 blocks; about 2 h on 2 cores, data included)
#   GPU=1 scripts/mae_study.sh        the issue's full size: ViT-S/16, 20 000 training examples,
#                                     longer pretraining and budget, on CUDA
#   METHODS=scratch,finetune          leave the linear probe out of the grid
#   QUICK=1 scripts/mae_study.sh      tiny settings, into a temporary folder: a smoke test
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'echo "mae_study.sh: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

RFC=${RFCLASSIFY:-.venv/bin/rfclassify}
METHODS=${METHODS:-scratch,finetune,probe}
if [[ ${QUICK:-0} == 1 ]]; then
    ROOT=$(mktemp -d -t rfclassify-mae-XXXXXX) DOCS=$ROOT/docs
    N_TRAIN=120 N_VAL=40 N_TEST=40
    MODEL=vit_tiny_patch16 ARGS='{"depth": 2}' DEVICE=cpu
    PRETRAIN=(--epochs 1 --batch-size 32 --accumulate 1)
    BUDGET=(--epochs 1 --steps-per-epoch 2 --batch-size 16 --seeds 0 --fractions 0.1,1)
elif [[ ${GPU:-0} == 1 ]]; then
    ROOT=${ROOT:-.} DOCS=${DOCS:-docs}
    N_TRAIN=20000 N_VAL=2000 N_TEST=4000
    MODEL=vit_small_patch16 ARGS='{}' DEVICE=cuda
    PRETRAIN=(--epochs 200 --batch-size 256 --accumulate 1)
    BUDGET=(--epochs 30 --steps-per-epoch 200 --batch-size 64)
else
    ROOT=${ROOT:-.} DOCS=${DOCS:-docs}
    N_TRAIN=10000 N_VAL=400 N_TEST=1600
    MODEL=vit_tiny_patch16 ARGS='{"depth": 6}' DEVICE=cpu
    PRETRAIN=(--epochs 40 --batch-size 64 --accumulate 2 --lr 1e-3 --warmup-epochs 3)
    BUDGET=(--epochs 10 --steps-per-epoch 30 --batch-size 32)
fi
DATA=$ROOT/data RUNS=$ROOT/runs

build() {  # name count seed
    [[ -f $DATA/$1/dataset.json ]] && grep -q '"complete": true' "$DATA/$1/dataset.json" && return
    "$RFC" dataset build --out "$DATA/$1" --n "$2" --seed "$3" --split "$1" --force
}
build val "$N_VAL" 2
build test "$N_TEST" 3
build train "$N_TRAIN" 1

if [[ ! -f $RUNS/mae/summary.json ]]; then
    "$RFC" pretrain --model "$MODEL" --model-args "$ARGS" --data "$DATA/train" \
        --mask-ratio 0.75 --out "$RUNS/mae" --device "$DEVICE" "${PRETRAIN[@]}"
fi

"$RFC" label-study --model "$MODEL" --model-args "$ARGS" --device "$DEVICE" \
    --data "$DATA/train" --val "$DATA/val" --test "$DATA/test" \
    --encoder "$RUNS/mae/encoder.safetensors" --methods "$METHODS" \
    --out "$RUNS/label-study" "${BUDGET[@]}"

mkdir -p "$DOCS/img/mae" "$DOCS/mae-study"
cp "$RUNS/mae/reconstruction.png" "$DOCS/img/mae/reconstruction.png"
cp "$RUNS/mae/curves.png" "$DOCS/img/mae/curves.png"
cp "$RUNS/label-study/label-efficiency.png" "$DOCS/img/mae/label-efficiency.png"
cp "$RUNS/label-study/results.json" "$RUNS/label-study/table.md" "$DOCS/mae-study/"
cp "$RUNS/mae/summary.json" "$DOCS/mae-study/pretrain-summary.json"
cp "$RUNS/mae/history.json" "$DOCS/mae-study/pretrain-history.json"
echo "mae_study.sh: figures in $DOCS/img/mae, results in $DOCS/mae-study"
