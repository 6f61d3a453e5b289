#!/usr/bin/env bash
# Issue 20: the whole job for a lent GPU machine, in one call of under 10 minutes (the `device`
# tool: one H200, 16 cores; its python3 holds a CUDA torch, numpy, scipy, onnx, onnxruntime,
# safetensors, tqdm, matplotlib; no GNU Radio, which the core never imports). It builds training,
# validation and test data on the machine's cores (generator version 3, seeds 1 / 2 / 3), trains
# the larger models with the seeds' settings (ResNet-50 RF, ViT-B/16) and longer Vim / MobileViT
# runs on the GPU, each under a wall-clock budget (a run cut by it keeps its best epoch so far),
# exports every model with its held-out test metrics, and compares them.
#
#   device run:  OUT=$OUT scripts/gpu_train.sh           (timeout_s 590; nothing to carry)
#   CPU smoke:   TINY=1 OUT=/tmp/gpu PYTHON=.venv/bin/python scripts/gpu_train.sh
#
# What comes back in $OUT (the tool returns at most 8 files of 16 MiB): the ONNX and card of
# Vim and MobileViT (small enough to ship), the cards of ResNet-50 RF and ViT-B/16 (their ONNX
# files are 90-330 MB: they stay there; the cards hold their metrics and how to remake them),
# compare.md (`rfclassify compare` of the four) and gpu_train.log.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?set OUT to the folder whose files come back}"
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_train.log") 2>&1
trap 'echo "gpu_train.sh: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

PY=${PYTHON:-python3}
export PYTHONPATH=$PWD/python${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
RFC=("$PY" -m rfclassify.cli)
WORK=${WORK:-$(mktemp -d -t rfclassify-gpu-XXXXXX)}
TINY=${TINY:-0}
if [[ $TINY == 1 ]]; then  # seconds on a CPU: the script's plumbing, not its figures
    N_TRAIN=48 N_VAL=16 N_TEST=16 DEVICE=cpu BUDGET_S=120
    FRONTEND=(--window-ms 5 --size 32x32)
    SMALL='{"patch_size":4,"depth":2}'  # no spaces: it travels as one word
    # name run-name epochs batch extra-args...
    RUNS=("vim_ultralight vim-lte-nr 1 8 --model-args $SMALL"
          "mobilevit_xxs mobilevit-xxs-lte-nr 1 8"
          "resnet50_rf resnet50-rf-lte-nr 1 8"
          "vit_tiny_patch4_32 vit-b16-lte-nr 1 8")
else
    N_TRAIN=${N_TRAIN:-16000} N_VAL=${N_VAL:-2000} N_TEST=${N_TEST:-3000} DEVICE=cuda
    BUDGET_S=${BUDGET_S:-75}
    FRONTEND=(--frontend models/vim-lte-nr.json)  # the shipped models' frontend
    RUNS=("vim_ultralight vim-lte-nr 60 32"
          "mobilevit_xxs mobilevit-xxs-lte-nr 60 64"
          "resnet50_rf resnet50-rf-lte-nr 10 75"
          "vit_base_patch16 vit-b16-lte-nr 10 8")
fi
WORKERS=$("$PY" -c 'import os; print(len(os.sched_getaffinity(0)))')
echo "gpu_train.sh: $WORKERS cores, work in $WORK, results in $OUT, TINY=$TINY"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'

build() {  # folder count seed split
    "${RFC[@]}" dataset build --out "$WORK/$1" --n "$2" --seed "$3" --split "$4" \
        --workers "$WORKERS" --no-progress "${FRONTEND[@]}"
}
build train "$N_TRAIN" 1 train
build val "$N_VAL" 2 val
build test "$N_TEST" 3 test

for run in "${RUNS[@]}"; do
    read -r model name epochs batch extra <<<"$run"
    echo "== $name: $model, $epochs epochs at most, batch $batch, ${BUDGET_S} s at most"
    # the budget cuts a run between or inside epochs; its best epoch so far is kept
    timeout --signal INT "$BUDGET_S" "${RFC[@]}" train --model "$model" \
        --data "$WORK/train" --val "$WORK/val" --out "$WORK/runs/$name" --device "$DEVICE" \
        --epochs "$epochs" --batch-size "$batch" --workers 4 --quiet ${extra:+$extra} \
        || echo "$name: stopped by its ${BUDGET_S} s budget (or failed): best epoch so far kept"
    if [[ -f $WORK/runs/$name/best.safetensors ]]; then
        "${RFC[@]}" export "$WORK/runs/$name/best.safetensors" --out "$WORK/export/$name.onnx" \
            --test "$WORK/test"
    else
        echo "$name: no epoch finished within the budget"
    fi
done

"${RFC[@]}" compare "$WORK"/runs/* --data "$WORK/test" > "$OUT/compare.md" || true
cat "$OUT/compare.md"
for name in vim-lte-nr mobilevit-xxs-lte-nr; do
    cp "$WORK/export/$name.onnx" "$WORK/export/$name.json" "$OUT/" 2>/dev/null || true
done
for name in resnet50-rf-lte-nr vit-b16-lte-nr; do
    cp "$WORK/export/$name.json" "$OUT/" 2>/dev/null || true
done
ls -la "$OUT"
