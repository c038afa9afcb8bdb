#!/usr/bin/env bash
# Bundled model v3: joins candidate ensembles and scores them on the two VALIDATION splits only
# (the benchmark's 141 crystals and phonondb's 500). The test splits are not read here.
#
#   bash scripts/v3/candidates.sh [WORK_DIR]      (default: target/v3; needs WORK/dos and the runs
#                                                  of scripts/phonondb/experiments.sh ... joint-*)
#
# Candidates: the bundled v2 package (five members), v2 plus each finished joint run, and the
# v1 package plus the joint runs. Each is packaged with `dos package` on the joint data and split
# (the spread's scale fitted on both validation splits together, int8 weights), then scored with
# `dos eval` on each validation split. The choice rule, fixed before scoring: the lowest mean of
# the two validation MSE x10; a tie goes to fewer members.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${1:-target/v3}
DOS="$W/dos"
V2=crates/dos-pretrained-phonon/package
V1=models/phonon-dostransformer-v1
JOINT=()
for r in "$W"/runs/joint-*; do
  [ -f "$r/metrics.json" ] && JOINT+=(--run "$r")
done
[ ${#JOINT[@]} -gt 0 ] || { echo "no finished joint run in $W/runs" >&2; exit 1; }
mkdir -p "$W/candidates"
pack() {  # NAME RUN...
  local name=$1; shift
  [ -d "$W/candidates/$name" ] || "$DOS" package "$@" --data "$W/data" --storage int8 \
    --out "$W/candidates/$name" > "$W/candidates/$name.log" 2>&1
}
pack joint "${JOINT[@]}"
pack v2+joint "${JOINT[@]}" --run "$V2"
pack v1+joint "${JOINT[@]}" --run "$V1"
score() {  # PACKAGE DATA -> mse_x10 mae coverage
  "$DOS" eval --model "$1" --data "$2" --split valid --format json 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(f"{d[\"mse_x10\"]:.4f} {d[\"mae\"]:.4f} {100*d.get(\"coverage_90\") if d.get(\"coverage_90\") is not None else float(\"nan\"):.1f}")'
}
echo "| candidate | members | bench valid MSE x10 / MAE / cov % | phonondb valid MSE x10 / MAE / cov % | mean MSE x10 |"
echo "|---|---|---|---|---|"
for c in "$V2" "$W/candidates/joint" "$W/candidates/v2+joint" "$W/candidates/v1+joint"; do
  read -r bm ba bc <<< "$(score "$c" benchmark)"
  read -r dm da dc <<< "$(score "$c" data/phonondb)"
  n=$(python3 -c "import json; print(len(json.load(open('$c/package.json'))['members']))")
  mean=$(python3 -c "print(f'{($bm + $dm) / 2:.4f}')")
  echo "| $c | $n | $bm / $ba / $bc | $dm / $da / $dc | $mean |"
done
