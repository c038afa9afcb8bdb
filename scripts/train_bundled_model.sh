#!/usr/bin/env bash
# Rebuilds the bundled phonon model (crates/dos-pretrained-phonon/package/, v3):
# six DOSTransformer members, all with one recipe (d 128, batch 8, cosine lr 5e-4, AdamW
# weight decay 0.3, weight average 0.999, gradient clip 1, one thread each), early-stopped and
# calibrated on the benchmark's validation split:
# 1. members 0-2 are the v1 package (models/phonon-dostransformer-v1/): seeds 0, 1, 2 on the
#    benchmark's 1,192 training crystals, 150 epochs, patience 30 (scripts/phonon_accuracy.sh;
#    about 2.5 CPU-hours). Set V1_WORK=DIR to retrain them instead of reusing the package;
# 2. member 3: seed 0 on the benchmark's training split + phonondb's (6,226 crystals), member 4:
#    seed 0 on phonondb's training split alone (5,034), 20 epochs each
#    (scripts/phonondb/experiments.sh: both_to_bench and db_to_bench; about 1 CPU-hour each);
# 3. member 5: seed 1 on the benchmark's training split + phonondb's, early stopping on both
#    validation splits (split `joint`), a 40-epoch cosine schedule (the shipped member stopped at
#    epoch 29 for a session's budget; about 1.5 CPU-hours to there);
# 4. `dos package` joins them, fits the uncertainty scale on validation, stores the large weight
#    matrices in int8 and scores the benchmark's test split once.
# Which members make the package was chosen on the validation split (docs/results.md).
#
#   bash scripts/train_bundled_model.sh [WORK_DIR]   (default: target/bundled-model)
#
# An interrupted run continues where it stopped (runs resume from their checkpoints). Rebuild
# the workspace afterwards so that the binary embeds the new package.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-target/bundled-model}
OUT=${OUT:-crates/dos-pretrained-phonon/package}
V1=models/phonon-dostransformer-v1
if [ -n "${V1_WORK:-}" ]; then
  DATA=crates/dos-data/data/phonon SEEDS="0 1 2" WEIGHT_DECAY=0.3 EMA=0.999 \
    bash scripts/phonon_accuracy.sh "$V1_WORK"
  "$V1_WORK/dos" package --run "$V1_WORK/seed0" --run "$V1_WORK/seed1" --run "$V1_WORK/seed2" \
    --data benchmark --storage f16 --out "$V1"
fi
bash scripts/phonondb/experiments.sh "$W/phonondb" both_to_bench-dostransformer-0 \
  db_to_bench-dostransformer-0
EPOCHS_LARGE=40 bash scripts/phonondb/experiments.sh "$W/phonondb" joint-dostransformer-1
"$W/phonondb/dos" package --run "$V1" \
  --run "$W/phonondb/runs/both_to_bench-dostransformer-0/package" \
  --run "$W/phonondb/runs/db_to_bench-dostransformer-0/package" \
  --run "$W/phonondb/runs/joint-dostransformer-1/package" \
  --data benchmark --storage int8 --out "$OUT"
