#!/usr/bin/env bash
# The phonondb experiments of docs/results.md ("Phonondb"): DOSTransformer and the Graph Network
# trained on phonondb alone, on phonondb + the benchmark's training split (both scored on the
# benchmark's test split), and on the benchmark alone (scored on phonondb's test split).
#
#   bash scripts/phonondb/experiments.sh [WORK_DIR] [RUN ...]   (default: target/phonondb-exp)
#
# RUN names are EXPERIMENT-MODEL-SEED, e.g. both_to_bench-dostransformer-0 (default: the six
# seed-0 runs). Each run trains with one thread; runs named together go side by side, two at a
# time (JOBS). The recipe is the benchmark's (scripts/phonon_accuracy.sh: d 128, batch 8, lr 5e-4
# cosine, weight decay 0.3, weight average 0.999, gradient clip 1), with the epoch count set so
# that a run takes about as many optimiser steps as the benchmark recipe's 150 epochs
# (EPOCHS_LARGE, default 20, for training sets with phonondb in them: 630-780 steps per epoch
# against 149). Early stopping and model choice use the benchmark's validation split.
# An interrupted run resumes from its checkpoint; a finished one (metrics.json) is skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${1:-target/phonondb-exp}
shift || true
RUNS=("$@")
if [ ${#RUNS[@]} -eq 0 ]; then
  for e in both_to_bench db_to_bench bench_to_db; do
    for m in dostransformer graph-network; do RUNS+=("$e-$m-0"); done
  done
fi
JOBS=${JOBS:-2}
EPOCHS_LARGE=${EPOCHS_LARGE:-20}

[ -f "$W/data/phonon_dos.csv.gz" ] && [ -d "$W/splits/joint" ] ||
  python3 scripts/phonondb/experiment_data.py "$W"
if [ ! -x "$W/dos" ]; then
  cargo build --release -p dos-cli
  cp target/release/dos "$W/dos"   # a copy: rebuilding the workspace does not touch it
fi

train() {
  local run=$1 exp model seed epochs out
  IFS=- read -r exp model seed <<< "${run/graph-network/graph_network}"
  model=${model/graph_network/graph-network}
  out="$W/runs/$run"
  [ -f "$out/metrics.json" ] && return 0
  epochs=$EPOCHS_LARGE
  [ "$exp" = bench_to_db ] && epochs=150
  local resume=()
  [ -f "$out/checkpoint.safetensors" ] && resume=(--resume)
  mkdir -p "$W/runs"
  RAYON_NUM_THREADS=1 nice "$W/dos" train --data "$W/data" --split "$W/splits/$exp" \
    --model "$model" --hidden 128 --epochs "$epochs" --batch-size 8 --lr 5e-4 \
    --schedule cosine --grad-clip 1.0 --patience 30 --weight-decay 0.3 --ema 0.999 \
    --seed "$seed" --quiet --out "$out" "${resume[@]}" >> "$W/runs/$run.log" 2>&1
}

for run in "${RUNS[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  train "$run" &
done
wait

for run in "${RUNS[@]}"; do
  exp=${run%%-*}
  split=test
  [ "$exp" = joint ] && split=valid   # the joint split has no test part
  echo "$run: $("$W/dos" eval --run "$W/runs/$run" --split "$split" | sed -n 1p)"
done
