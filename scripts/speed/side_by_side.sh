#!/usr/bin/env bash
# Same-hour side-by-side timing of our `dos` binary and the authors' PyTorch DOSTransformer.
#
#   bash scripts/speed/side_by_side.sh [OUT]        # OUT default: target/side-by-side
#
# For each config hidden:batch:threads it runs, REPS times: dos, then PyTorch, then dos again
# (one training epoch on the phonon benchmark, then forward-only inference on the 189 test
# crystals at batch INFER_BATCH). Every process runs under /usr/bin/time -f %M for peak RSS. Writes
# OUT/side_by_side.csv (one row per run) and OUT/logs/, prints progress to stderr and a markdown
# table of medians with ratios PyTorch/dos (>1: dos is faster) to stdout (also OUT/side_by_side.md).
# env: DOS (default target/release/dos; not built here), PEER_DIR (default /work/shared/peer),
#      PEER_WORK (default /work/peer-work), CONFIGS (default "256:1:1 128:8:1 256:1:2 128:8:2"),
#      REPS (default 1), INFER_BATCH (batch size of both inference passes, default 1), DOS_EXTRA / PEER_EXTRA (extra flags for `dos train` / peer/run_epoch.sh,
#      e.g. PEER_EXTRA="--max-steps 20" for a quick smoke test: PyTorch's epoch is then extrapolated).
set -euo pipefail

DOS=${DOS:-target/release/dos}
PEER_DIR=${PEER_DIR:-/work/shared/peer}
PEER_WORK=${PEER_WORK:-/work/peer-work}
CONFIGS=${CONFIGS:-"256:1:1 128:8:1 256:1:2 128:8:2"}
REPS=${REPS:-1}
export INFER_BATCH=${INFER_BATCH:-1}   # exported: the summary below reads it
DOS_EXTRA=${DOS_EXTRA:-}
PEER_EXTRA=${PEER_EXTRA:-}
OUT=${1:-target/side-by-side}

die() { echo "side_by_side: $*" >&2; exit 1; }
[ -x "$DOS" ] || die "no binary at $DOS; build it first: cargo build --release -p dos-cli"
[ -f "$PEER_DIR/run_epoch.sh" ] || die "no $PEER_DIR/run_epoch.sh (set PEER_DIR)"
[ -x /usr/bin/time ] || die "needs /usr/bin/time (GNU time) for peak RSS"
[[ $INFER_BATCH =~ ^[1-9][0-9]*$ ]] || die "bad INFER_BATCH '$INFER_BATCH' (want a batch size >= 1)"
for c in $CONFIGS; do [[ $c =~ ^[0-9]+:[0-9]+:[0-9]+$ ]] || die "bad config '$c' (want hidden:batch:threads)"; done
DOS=$(realpath "$DOS"); PEER_DIR=$(realpath "$PEER_DIR")
mkdir -p "$OUT/logs"; OUT=$(realpath "$OUT")
CSV="$OUT/side_by_side.csv"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

HEADER="Side-by-side run started $(date '+%Y-%m-%d %H:%M:%S %Z') on $(hostname), nproc $(nproc), \
loadavg at start $(cut -d' ' -f1-3 /proc/loadavg), OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset}.
dos: $DOS (built $(date -r "$DOS" '+%Y-%m-%d %H:%M')); PyTorch: $PEER_DIR with PEER_WORK=$PEER_WORK.
Configs: $CONFIGS; REPS=$REPS; INFER_BATCH=$INFER_BATCH; DOS_EXTRA='$DOS_EXTRA'; PEER_EXTRA='$PEER_EXTRA'."
echo "$HEADER" >&2
echo "config,side,rep,train_s,infer_s,peak_rss_mib,timestamp,full_epoch" >"$CSV"

# record CONFIG SIDE REP TRAIN_S INFER_S RSS_KB FULL_EPOCH
record() {
  local mib; mib=$(awk -v k="$6" 'BEGIN { printf "%.1f", k / 1024 }')
  echo "$1,$2,$3,$4,$5,$mib,$(date -Is),$7" >>"$CSV"
  echo "[$(date +%T)] $1 $2 #$3: train $4 s, infer $5 s, peak RSS $mib MiB" >&2
}

# ours CONFIG HIDDEN BATCH THREADS REP: train one epoch, then time inference on the test split
ours() {
  local log="$OUT/logs/${1//:/-}-dos-$5" train_s infer_s
  rm -rf "$TMP/run"
  # shellcheck disable=SC2086  # DOS_EXTRA is a list of flags
  RAYON_NUM_THREADS=$4 CANDLE_NUM_THREADS=1 /usr/bin/time -f %M -o "$TMP/rss.train" \
    "$DOS" train --data benchmark --epochs 1 --batch-size "$3" --hidden "$2" --quiet \
    --out "$TMP/run" $DOS_EXTRA >"$log.train.log" 2>&1 || die "dos train failed, see $log.train.log"
  RAYON_NUM_THREADS=$4 CANDLE_NUM_THREADS=1 /usr/bin/time -f %M -o "$TMP/rss.eval" \
    "$DOS" eval --run "$TMP/run" --split test --batch-size "$INFER_BATCH" --format json \
    >"$log.eval.json" 2>"$log.eval.err" || die "dos eval failed, see $log.eval.err"
  train_s=$(sed -n 's|.* \([0-9.]*\) s/epoch train.*|\1|p' "$log.train.log")
  [ -n "$train_s" ] || die "no 's/epoch train' in $log.train.log"
  infer_s=$(python3 -c 'import json, sys; print("%.3f" % json.load(open(sys.argv[1]))["seconds"])' "$log.eval.json")
  # peak RSS of the two processes (PyTorch trains and infers in one)
  record "$1" dos "$5" "$train_s" "$infer_s" "$(sort -n "$TMP/rss.train" "$TMP/rss.eval" | tail -1)" 1
  rm -rf "$TMP/run"
}

# peer CONFIG HIDDEN BATCH THREADS REP: the same with the authors' code, timings from its --json
# (a partial epoch, e.g. PEER_EXTRA="--max-steps 20", is extrapolated to a whole one and flagged)
peer() {
  local log="$OUT/logs/${1//:/-}-pytorch-$5" fields train_s infer_s full
  # shellcheck disable=SC2086  # PEER_EXTRA is a list of flags
  (cd "$PEER_DIR/.." && PEER_WORK=$PEER_WORK /usr/bin/time -f %M -o "$TMP/rss.peer" \
    bash peer/run_epoch.sh --epochs 1 --hidden "$2" --batch-size "$3" --threads "$4" \
    --eval-batch-size "$INFER_BATCH" --json "$log.json" $PEER_EXTRA) >"$log.log" 2>&1 || die "PyTorch run failed, see $log.log"
  fields=$(python3 -c 'import json, sys
h = json.load(open(sys.argv[1]))["history"][0]
print("%.3f %.3f %d" % (h.get("epoch_s_extrapolated", h["train_s"]), h.get("infer_s", float("nan")), not h["partial"]))' "$log.json")
  read -r train_s infer_s full <<<"$fields"
  record "$1" pytorch "$5" "$train_s" "$infer_s" "$(tail -1 "$TMP/rss.peer")" "$full"
}

[[ $INFER_BATCH =~ ^[1-9][0-9]*$ ]] || die "bad INFER_BATCH '$INFER_BATCH' (want a batch size >= 1)"
for c in $CONFIGS; do
  IFS=: read -r h b t <<<"$c"
  for rep in $(seq 1 "$REPS"); do
    ours "$c" "$h" "$b" "$t" $((2 * rep - 1))
    peer "$c" "$h" "$b" "$t" "$rep"
    ours "$c" "$h" "$b" "$t" $((2 * rep))
  done
done

python3 - "$CSV" "$HEADER" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY' | tee "$OUT/side_by_side.md"
import csv, os, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
configs = list(dict.fromkeys(r["config"] for r in rows))

def med(cfg, side, key):
    return statistics.median(float(r[key]) for r in rows if r["config"] == cfg and r["side"] == side)

print(sys.argv[2].replace("\n", "  \n") + f"  \nloadavg at end {sys.argv[3]}.\n")
cols = [("train_s", "train s", "{:.2f}"), ("infer_s", "infer s", "{:.3f}"), ("peak_rss_mib", "peak RSS MiB", "{:.0f}")]
print("| config (d, B, threads) | " + " | ".join(f"dos {n} | PyTorch {n} | ratio" for _, n, _ in cols) + " |")
print("|---" * (1 + 3 * len(cols)) + "|")
partial = False
for cfg in configs:
    cells = [cfg.replace(":", ", ")]
    for key, _, fmt in cols:
        o, p = med(cfg, "dos", key), med(cfg, "pytorch", key)
        star = ""
        if key == "train_s" and any(r["full_epoch"] == "0" for r in rows if r["config"] == cfg and r["side"] == "pytorch"):
            star, partial = "*", True
        cells += [fmt.format(o), fmt.format(p) + star, f"{p / o:.2f}"]
    print("| " + " | ".join(cells) + " |")
n = {s: sum(r["side"] == s for r in rows) // len(configs) for s in ("dos", "pytorch")}
print(f"\nMedians over {n['dos']} dos and {n['pytorch']} PyTorch runs per config; ratio = PyTorch / dos (>1: dos is faster). "
      "Train: one epoch's training loop; infer: forward-only pass over the 189 test crystals at batch " + os.environ["INFER_BATCH"] + "; "
      "peak RSS from /usr/bin/time (dos: max of the train and eval processes).")
if partial:
    print("\n\\* PyTorch did not run a whole epoch (PEER_EXTRA): its time is extrapolated from the steps it ran.")
PY
