#!/usr/bin/env bash
# Rebuilds the bundled phonon model (crates/dos-pretrained-phonon/package/, v3): four
# DOSTransformer members (d 128, batch 8, AdamW weight decay 0.3, weight average 0.999,
# gradient clip 1, cosine schedule, one thread each):
# 1. the v1 package's members (models/phonon-dostransformer-v1/): seeds 0, 1, 2 on the
#    benchmark's 1,192 training crystals, lr 5e-4, 150 epochs, patience 30
#    (scripts/phonon_accuracy.sh; about 2.5 CPU-hours). Set V1_WORK=DIR to retrain them instead
#    of reusing the package;
# 2. each fine-tuned on the joint set (benchmark + phonondb training splits, 6,226 crystals;
#    early stopping on both validation splits), lr 2e-4, 10 / 6 / 6 epochs
#    (scripts/v3/fine_tune_joint.sh; about 3 CPU-hours together);
# 3. seed 1 on the joint set from scratch, lr 5e-4, 40 epochs (scripts/phonondb/experiments.sh
#    joint-dostransformer-1; about 2 CPU-hours);
# 4. `dos package` joins the three fine-tuned members and seed 1 (int8; the second round's
#    package, WORK/second-round);
# 5. members 0 and 1 of that package fine-tuned again on the joint set, lr 1e-4, 6 epochs
#    (about 1.5 CPU-hours together);
# 6. `dos package` joins those two, the second round's member 2 and seed 1 (int8; the third
#    round's package, WORK/third-round);
# 7. members 2 and 3 of that package fine-tuned again the same way (about 1 CPU-hour together);
# 8. `dos package` joins the four twice-fine-tuned members, fits the spread's scale and the
#    out-of-distribution reference on the benchmark's validation split, stores the large
#    matrices in int8 and scores the benchmark's test split once. The model card (README.md in
#    the package folder) is kept.
# Which members make the package was chosen on both validation splits (scripts/v3/choose.sh).
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
EPOCHS_LARGE=40 bash scripts/phonondb/experiments.sh "$W" joint-dostransformer-1
cargo build --release -p dos-cli
cp target/release/dos "$W/dos-ft"
bash scripts/v3/fine_tune_joint.sh "$W" "$V1:0"
EPOCHS=6 bash scripts/v3/fine_tune_joint.sh "$W" "$V1:1" "$V1:2"
R="$W/runs"
[ -d "$W/second-round" ] || "$W/dos-ft" package --run "$R/ft-phonon-dostransformer-v1-m0" \
  --run "$R/ft-phonon-dostransformer-v1-m1" --run "$R/ft-phonon-dostransformer-v1-m2" \
  --run "$R/joint-dostransformer-1" --data benchmark --storage int8 --out "$W/second-round"
LR=1e-4 EPOCHS=6 bash scripts/v3/fine_tune_joint.sh "$W" "$W/second-round:0" "$W/second-round:1"
[ -d "$W/third-round" ] || "$W/dos-ft" package --run "$R/ft-second-round-m0" \
  --run "$R/ft-second-round-m1" --run "$R/ft-phonon-dostransformer-v1-m2" \
  --run "$R/joint-dostransformer-1" --data benchmark --storage int8 --out "$W/third-round"
LR=1e-4 EPOCHS=6 bash scripts/v3/fine_tune_joint.sh "$W" "$W/third-round:2" "$W/third-round:3"
cp "$OUT/README.md" "$W/model-card.md"
"$W/dos-ft" package --run "$R/ft-second-round-m0" --run "$R/ft-second-round-m1" \
  --run "$R/ft-third-round-m2" --run "$R/ft-third-round-m3" \
  --data benchmark --storage int8 --out "$OUT"
cp "$W/model-card.md" "$OUT/README.md"
