#!/usr/bin/env bash
# Rebuilds the bundled phonon model (crates/dos-predict/models/phonon-dostransformer/): three
# DOSTransformer members (seeds 0 1 2; d 128, batch 8, cosine lr 5e-4 over 150 epochs, AdamW
# weight decay 0.3, weight average 0.999, gradient clip 1, patience 30) trained side by side on
# the benchmark's fixed training split, one thread each, early-stopped on the validation split.
# Then `dos package` joins them into one model package, fits the uncertainty scale on the
# validation split, stores the weights in f16 and scores the test split once.
#
#   bash scripts/train_bundled_model.sh [WORK_DIR]   (default: target/bundled-model)
#
# Environment: DATA (default: the benchmark shipped in crates/dos-data/data/phonon),
# SEEDS (default "0 1 2"), OUT (default: crates/dos-predict/models/phonon-dostransformer).
# An interrupted run continues where it stopped (each seed resumes from its checkpoint).
# About 2.5 CPU-hours on the 2-core development machine.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-target/bundled-model}
DATA=${DATA:-crates/dos-data/data/phonon}
SEEDS=${SEEDS:-"0 1 2"}
OUT=${OUT:-crates/dos-predict/models/phonon-dostransformer}
cargo build --release -p dos-cli
# A copy, so that rebuilding the workspace during the runs does not touch their binary.
DOS="$W/dos"
mkdir -p "$W"
cp target/release/dos "$DOS"

start=$(date +%s)
for s in $SEEDS; do
  out="$W/seed$s"
  resume=()
  [ -f "$out/checkpoint.safetensors" ] && resume=(--resume)
  [ -f "$out/metrics.json" ] && continue
  RAYON_NUM_THREADS=1 "$DOS" train --data "$DATA" --model dostransformer \
    --hidden 128 --epochs 150 --batch-size 8 --lr 5e-4 --schedule cosine --grad-clip 1.0 \
    --patience 30 --weight-decay 0.3 --ema 0.999 --seed "$s" --quiet --out "$out" \
    "${resume[@]}" > "$W/seed$s.log" 2>&1 &
done
wait
echo "training wall time: $(( $(date +%s) - start )) s"
