#!/usr/bin/env bash
# Bundled model v3, third and fourth rounds: candidate ensembles from the second round's four
# members and those members fine-tuned once more (scripts/v3/fine_tune_joint.sh with PACKAGE
# `bundled`, LR 1e-4, EPOCHS 6: members 0 and 1 in the third round, whose package shipped as
# g0 g1 f2 j1; members 2 and 3 of that package in the fourth), each
# packaged on the joint data (benchmark training split + phonondb's;
# the spread's scale and the out-of-distribution reference fitted on both validation splits
# together, int8 weights) and scored on the two VALIDATION splits only. The test splits are
# not read here.
#
#   [SECOND_ROUND=DIR] [THIRD_ROUND=DIR] bash scripts/v3/choose.sh [WORK_DIR]
#        (default: target/v3; a round's package can be taken from git, e.g.
#        git archive 59c15d3 crates/dos-pretrained-phonon/package | tar -x --strip-components=3 -C DIR)
#
# Members (names used in the table):
#   f0 f1 f2 j1  the shipped package's members 0-3 (benchmark-only seeds 0-2 fine-tuned on the
#                joint set; joint seed 1 from scratch, 40 epochs); the second round's choice
#   g0 g1 g2 g3  f0 f1 f2 j1 fine-tuned once more (runs WORK/runs/ft-second-round-m0/1 and
#                ft-third-round-m2/3, or ft-bundled-m0..3: started from the package bundled
#                when the run began); without a run, g0 and g1 are cut from the third round's
#                package (THIRD_ROUND, members 0 and 1: the bundled package of commit 59c15d3)
#   best         for each of the four slots, f or g, whichever has the lower mean of the
#                member's two validation MSE x10 (read from the table's one-member rows)
# The choice rule, fixed before scoring: the lowest mean of the two validation MSE x10; a tie
# (within 0.001) goes to the shipped package (the third round's g0 g1 f2 j1). A member that
# has not finished is left out of every candidate that names it (the table says which ran).
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${1:-target/v3}
DOS=${DOS:-target/release/dos}
# The second round's package: WORK/second-round (scripts/train_bundled_model.sh writes it), or
# the bundled package of commit 61d0f47.
V3=${SECOND_ROUND:-$W/second-round}
C="$W/choose"
mkdir -p "$C"
cut() {  # PACKAGE MEMBER OUT: member MEMBER of PACKAGE alone, uncalibrated, in folder OUT
  python3 - "$1" "$3" "$2" <<'PY'
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
}
declare -A SRC=()
for k in 0 1 2 3; do  # the second round's members
  name=(f0 f1 f2 j1)
  cut "$V3" "$k" "$C/${name[$k]}"
  SRC[${name[$k]}]="$C/${name[$k]}"
done
for k in 0 1 2 3; do  # scripts/train_bundled_model.sh: ft-second-round-m0/1, ft-third-round-m2/3
  SRC[g$k]="$W/runs/ft-bundled-m$k"
  for round in second third; do
    [ -d "$W/runs/ft-$round-round-m$k" ] && SRC[g$k]="$W/runs/ft-$round-round-m$k"
  done
  if [ ! -d "${SRC[g$k]}" ] && [ "$k" -lt 2 ] && [ -n "${THIRD_ROUND:-}" ]; then
    cut "$THIRD_ROUND" "$k" "$C/g$k"
    SRC[g$k]="$C/g$k"
  fi
done
# ONLY="..." scores just that candidate (e.g. while the other members train).
CANDIDATES=(f0 f1 f2 j1 g0 g1 g2 g3 "f0 f1 f2 j1" "g0 g1 f2 j1" "g0 g1 g2 g3" best
  "g0 g1 f2 j1 g2 g3")
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
declare -A MEAN=()
for cand in "${CANDIDATES[@]}"; do
  if [ "$cand" = best ]; then  # per slot, the member with the lower validation mean
    cand=""
    for k in 0 1 2 3; do
      f=f$k; [ $k = 3 ] && f=j1
      g=g$k
      if [ -n "${MEAN[$g]:-}" ] && python3 -c "import sys; sys.exit(not ${MEAN[$g]} < ${MEAN[$f]})"
      then cand+=" $g"; else cand+=" $f"; fi
    done
  fi
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
  [ ${#used[@]} -ge 1 ] || continue
  # Every candidate, one member too, is packaged as it would ship (int8 weights).
  pkg="$C/pkg-$name"
  [ -d "$pkg" ] || "$DOS" package "${args[@]}" --data "$W/data" --split "$W/splits/joint" \
    --storage int8 --out "$pkg" > "$pkg.log" 2>&1
  read -r bm ba bc <<< "$(score "$pkg" benchmark)"
  read -r dm da dc <<< "$(score "$pkg" data/phonondb)"
  mean=$(python3 -c "print('%.4f' % (($bm + $dm) / 2))")
  MEAN[$name]=$mean
  echo "| $name | ${#used[@]} | $bm / $ba / $bc | $dm / $da / $dc | $mean |"
done
