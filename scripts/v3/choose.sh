#!/usr/bin/env bash
# Bundled model v3, second round: candidate ensembles from the first round's six members and
# the runs of this round, each packaged on the joint data (benchmark training split +
# phonondb's; the spread's scale and the out-of-distribution reference fitted on both
# validation splits together, int8 weights) and scored on the two VALIDATION splits only.
# The test splits are not read here.
#
#   bash scripts/v3/choose.sh [WORK_DIR]        (default: target/v3)
#
# Members (names used in the table):
#   b0 b1 b2   the first round's members 0-2: benchmark only, seeds 0-2, 150 epochs
#   both0      its member 3: benchmark + phonondb training splits, seed 0, 20 epochs
#   db0        its member 4: phonondb only, seed 0, 20 epochs
#   j1         joint seed 1, 40-epoch schedule to the end (the first round shipped epoch 29)
#   f0 f1 f2   b0-b2 fine-tuned on the joint set (scripts/v3/fine_tune_joint.sh: 10, 6, 6 epochs)
# Candidates (fixed before scoring): the first round's package, and f0 f1 f2 with j1, both0,
# db0 in the combinations below. The choice rule, fixed before scoring: the lowest mean of the
# two validation MSE x10; a tie (within 0.001) goes to fewer members. A member that has not
# finished is left out of every candidate that names it (the table says which ran).
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${1:-target/v3}
DOS=${DOS:-target/release/dos}
V3=crates/dos-pretrained-phonon/package
C="$W/choose"
mkdir -p "$C"
# One-member packages cut from the first round's package.
for k in 0 1 2 3 4; do
  name=(b0 b1 b2 both0 db0)
  python3 - "$V3" "$C/${name[$k]}" "$k" <<'PY'
import json, os, shutil, sys
src, out, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = json.load(open(os.path.join(src, "package.json")))
member = m["members"][k]
os.makedirs(out, exist_ok=True)
shutil.copy(os.path.join(src, member["weights"]), os.path.join(out, "member-0.safetensors"))
member["weights"] = "member-0.safetensors"
m["members"] = [member]
m["calibration"] = None
json.dump(m, open(os.path.join(out, "package.json"), "w"), indent=2)
PY
done
declare -A SRC=([b0]="$C/b0" [b1]="$C/b1" [b2]="$C/b2" [both0]="$C/both0" [db0]="$C/db0"
  [j1]="$W/runs/joint-dostransformer-1" [f0]="$W/runs/ft-phonon-dostransformer-v1-m0"
  [f1]="$W/runs/ft-phonon-dostransformer-v1-m1" [f2]="$W/runs/ft-phonon-dostransformer-v1-m2")
# ONLY="..." scores just that candidate (e.g. while the other members train).
CANDIDATES=(
  "b0 b1 b2 both0 db0 j1"
  "f0 f1 f2 both0 db0 j1"
  "f0 f1 f2 both0 j1"
  "f0 f1 f2 j1"
  "f0 f1 f2 db0 j1"
  "f0 f1 f2"
)
[ -z "${ONLY:-}" ] || CANDIDATES=("$ONLY")
score() {  # PACKAGE DATA -> mse_x10 mae coverage%
  "$DOS" eval --model "$1" --data "$2" --split valid --format json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = d.get("coverage_90")
print("%.4f %.4f %.1f" % (d["mse_x10"], d["mae"], 100 * c if c is not None else float("nan")))'
}
echo "| candidate | members | bench valid MSE x10 / MAE / cov % | phonondb valid MSE x10 / MAE / cov % | mean MSE x10 |"
echo "|---|---|---|---|---|"
for cand in "${CANDIDATES[@]}"; do
  args=()
  used=()
  for m in $cand; do
    d=${SRC[$m]}
    if [ -f "$d/package.json" ] || [ -f "$d/metrics.json" ]; then
      args+=(--run "$d")
      used+=("$m")
    fi
  done
  name=$(IFS=+; echo "${used[*]}")
  [ ${#args[@]} -ge 2 ] || continue
  [ -d "$C/pkg-$name" ] || "$DOS" package "${args[@]}" --data "$W/data" --split "$W/splits/joint" \
    --storage int8 \
    --out "$C/pkg-$name" > "$C/pkg-$name.log" 2>&1
  read -r bm ba bc <<< "$(score "$C/pkg-$name" benchmark)"
  read -r dm da dc <<< "$(score "$C/pkg-$name" data/phonondb)"
  mean=$(python3 -c "print(f'{($bm + $dm) / 2:.4f}')")
  echo "| $name | ${#used[@]} | $bm / $ba / $bc | $dm / $da / $dc | $mean |"
done
