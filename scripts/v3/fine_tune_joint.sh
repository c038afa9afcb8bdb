#!/usr/bin/env bash
# Bundled model v3 candidates: members of earlier packages fine-tuned on the joint set (the
# benchmark's training split + phonondb's, 6,226 crystals), early-stopped on both validation
# splits together (split `joint` of scripts/phonondb/experiment_data.py, no test part).
# Recipe: EPOCHS epochs (default 10, about 7,800 steps), cosine lr from LR (default 2e-4) to
# LR/100, batch 8, AdamW weight decay 0.3, weight average 0.999, gradient clip 1, one thread;
# about 30 CPU-minutes each.
#
#   bash scripts/v3/fine_tune_joint.sh [WORK_DIR] [PACKAGE:MEMBER ...]
#        (default: target/v3; the v1 package's members 0, 1, 2 - benchmark-only seeds 0-2;
#        PACKAGE `bundled` is the package dos-pretrained-phonon ships)
#
# Each start gives run WORK/runs/ft-<package name>-m<member>; an interrupted run resumes from
# its checkpoint, a finished one (metrics.json) is skipped. Needs WORK/data and WORK/splits
# (scripts/phonondb/experiments.sh makes them) and WORK/dos-ft, a `dos` with --init-member.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${1:-target/v3}
shift || true
STARTS=("$@")
[ ${#STARTS[@]} -gt 0 ] || STARTS=(models/phonon-dostransformer-v1:0
  models/phonon-dostransformer-v1:1 models/phonon-dostransformer-v1:2)
DOS=${DOS:-$W/dos-ft}
mkdir -p "$W/runs"
for start in "${STARTS[@]}"; do
  pkg=${start%:*}
  member=${start##*:}
  out="$W/runs/ft-$(basename "$pkg")-m$member"
  [ -f "$out/metrics.json" ] && continue
  resume=()
  [ -f "$out/checkpoint.safetensors" ] && resume=(--resume)
  RAYON_NUM_THREADS=1 nice "$DOS" train --data "$W/data" --split "$W/splits/joint" \
    --init "$pkg" --init-member "$member" --epochs "${EPOCHS:-10}" --batch-size 8 --lr "${LR:-2e-4}" \
    --schedule cosine --grad-clip 1.0 --patience 30 --weight-decay 0.3 --ema 0.999 \
    --seed "$member" --quiet --out "$out" "${resume[@]}" >> "$out.log" 2>&1
  echo "$out: $("$DOS" eval --run "$out" --split valid | sed -n 1p)"
done
