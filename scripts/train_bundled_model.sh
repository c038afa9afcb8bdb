#!/usr/bin/env bash
# Rebuilds the bundled phonon model (crates/dos-predict/models/phonon-dostransformer/):
# 1. scripts/phonon_accuracy.sh trains three DOSTransformer members (seeds 0 1 2; d 128,
#    batch 8, cosine lr 5e-4 over 150 epochs, AdamW weight decay 0.3, weight average 0.999,
#    gradient clip 1, patience 30) side by side on the benchmark's fixed training split, one
#    thread each, early-stopped on the validation split;
# 2. `dos package` joins them into one model package, fits the uncertainty scale on the
#    validation split, stores the large weight matrices in f16 and scores the test split once.
#
#   bash scripts/train_bundled_model.sh [WORK_DIR]   (default: target/bundled-model)
#
# Environment: DATA (default: the benchmark shipped in crates/dos-data/data/phonon), SEEDS
# (default "0 1 2"), OUT (default: crates/dos-predict/models/phonon-dostransformer).
# An interrupted run continues where it stopped (each seed resumes from its checkpoint).
# About 2.5 CPU-hours on the 2-core development machine; rebuild the workspace afterwards so
# that the binary embeds the new package.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-target/bundled-model}
export DATA=${DATA:-crates/dos-data/data/phonon}
export SEEDS=${SEEDS:-"0 1 2"}
OUT=${OUT:-crates/dos-predict/models/phonon-dostransformer}
WEIGHT_DECAY=0.3 EMA=0.999 bash scripts/phonon_accuracy.sh "$W"
runs=()
for s in $SEEDS; do runs+=(--run "$W/seed$s"); done
"$W/dos" package "${runs[@]}" --data benchmark --storage f16 --out "$OUT"
