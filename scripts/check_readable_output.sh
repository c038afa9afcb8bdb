#!/usr/bin/env bash
# Every line a person reads is written with Display: runs the examples and the command line's
# text outputs (on the shipped benchmark and on generated data) and fails on Rust Debug text:
# `Some(`, `None`, `Ok(`, `Err(`, a struct printed as `Name { ... }`, or a Rust type path.
#
#   bash scripts/check_readable_output.sh    (needs `cargo build --release -p dos-cli --bin dos`)
#
# .ci/run calls it; about two minutes on two cores after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
DOS=${DOS:-${CARGO_TARGET_DIR:-target}/release/dos}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PATTERN='\b(Some|Ok|Err)\(|\bNone\b|\b[A-Z][A-Za-z0-9]+ \{ [a-z_]+: |\b[A-Z][A-Za-z0-9]+::[A-Z]|\b(PathBuf|Vec<|Option<|HashMap|BTreeMap)'
# The pattern itself is tested on the kinds of line it must catch and let through.
for bad in "space group Some(225)" "None edge features" "Test split: Ok(3)" \
  'config Crystal { lattice: [1.0] }' "model ModelKind::Mlp"; do
  grep -qE "$PATTERN" <<< "$bad" || { echo "pattern misses: $bad" >&2; exit 1; }
done
for good in "space group 225 (cubic)" "test split: 189 crystals, MSE x10 0.1420" \
  "none of the crystals" "Some crystals {not all}"; do
  ! grep -qE "$PATTERN" <<< "$good" || { echo "pattern flags: $good" >&2; exit 1; }
done

fail=0
check() {  # NAME COMMAND...: runs it (stdout and stderr) and looks for Debug text
  local name=$1 out
  shift
  if ! out=$("$@" 2>&1); then
    printf '%s failed:\n%s\n' "$name" "$(tail -n 5 <<< "$out")" >&2
    exit 1
  fi
  if grep -nE "$PATTERN" <<< "$out" >&2; then
    echo "^ $name prints Rust Debug text" >&2
    fail=1
  else
    echo "ok  $name ($(wc -l <<< "$out") lines)"
  fi
}

for ex in ${EXAMPLES:-phonon_dos predict_cif train_own_data custom_model fine_tune}; do
  check "example $ex" cargo run --release --quiet --example "$ex"
done
NACL=crates/dos-predict/models/examples/NaCl.cif
check "dos predict" "$DOS" predict --format text "$NACL"
check "dos eval (bundled, benchmark valid)" "$DOS" eval --split valid
check "dos data inspect" "$DOS" data inspect --data "$NACL"
check "dos data generate" "$DOS" data generate --kind phonon --random 60 --seed 1 --out "$W/gen"
for seed in 0 1; do
  check "dos train (seed $seed)" "$DOS" train --data "$W/gen" --hidden 16 --epochs 2 \
    --seed "$seed" --quiet --out "$W/run$seed"
done
check "dos eval --run" "$DOS" eval --run "$W/run0" --run "$W/run1"
check "dos compare" "$DOS" compare "$W/run0" "$W/run1"
check "dos package" "$DOS" package --run "$W/run0" --run "$W/run1" --data "$W/gen" --out "$W/pkg"
check "dos eval --model" "$DOS" eval --model "$W/pkg" --split valid
check "dos predict --model" "$DOS" predict --format text --model "$W/pkg" "$NACL"
check "dos params" "$DOS" params
[ "$fail" -eq 0 ] && echo "no Rust Debug text in what people read"
exit "$fail"
