"""Convert phonondb tarballs into append-only JSON-lines shards, resumably.

    python run.py --mirror MIRROR.git --out SHARD_DIR [--workers 2] [--benchmark CSV.gz]

Reads the tarballs straight from a (bare) git clone of WMD-group/phononDB (`phonon_db_tarred/`
at HEAD); no work tree is needed. Each crystal becomes one JSON line in
`SHARD_DIR/shard-<start time>-<pid>.jsonl` (a new shard per run, never rewritten): the record of
convert.py with `status: ok`, or `status: failed` with `reason`. On start every complete line of
every shard counts as done, so killing the run and starting it again with the same command
resumes it (`--retry-failed` also redoes failures). Crystals whose MP id is in the benchmark
(`--benchmark`) come first, smallest tarball first within each group.
"""

from __future__ import annotations

import os

# One thread per worker: the machine is shared and the work is many small problems.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import glob  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert  # noqa: E402

TARBALL_DIR = "phonon_db_tarred/"


class Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise Timeout()


def _init_worker():
    signal.signal(signal.SIGALRM, _on_alarm)
    warnings.simplefilter("ignore")


def work_list(mirror: str) -> list[tuple[str, str, int]]:
    """(path, blob sha, size) of every tarball at HEAD of the mirror."""
    out = subprocess.run(
        ["git", "-C", mirror, "ls-tree", "-l", "HEAD", TARBALL_DIR],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    items = []
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        _, kind, sha, size = meta.split()
        if kind == "blob" and path.endswith(".tar.lzma"):
            items.append((path, sha, int(size)))
    return items


def benchmark_ids(path: str) -> set[str]:
    opener = gzip.open if path.endswith(".gz") else open
    csv.field_size_limit(1 << 24)
    with opener(path, "rt", newline="") as f:
        return {row["mp_id"] for row in csv.DictReader(f)}


def read_shards(out_dir: str) -> list[dict]:
    """Every complete JSON line of every shard (a line cut by a kill is skipped)."""
    recs = []
    for path in sorted(glob.glob(os.path.join(out_dir, "shard-*.jsonl"))):
        with open(path) as f:
            for line in f:
                try:
                    recs.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    return recs


def _job(args):
    mirror, path, sha, timeout_s = args
    t0 = time.time()
    try:
        blob = subprocess.run(
            ["git", "-C", mirror, "cat-file", "blob", sha], check=True, capture_output=True
        ).stdout
        signal.alarm(timeout_s)
        try:
            rec = convert.convert(blob, path)
        finally:
            signal.alarm(0)
    except Timeout:
        rec = {"status": "failed", "reason": f"timeout after {timeout_s} s"}
    except Exception as e:  # one crystal's failure is recorded, not fatal
        rec = {"status": "failed", "reason": f"{type(e).__name__}: {e}"[:500]}
    if rec.get("status") != "ok":
        try:
            rec["mp_id"] = convert.mp_id_of(path)
        except ValueError:
            rec["mp_id"] = path
        rec["tarball"] = os.path.basename(path)
    rec["wall_s"] = round(time.time() - t0, 3)
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirror", required=True, help="git dir of WMD-group/phononDB")
    ap.add_argument("--out", required=True, help="folder of shard-*.jsonl files")
    ap.add_argument("--benchmark", help="benchmark phonon_dos.csv(.gz): its MP ids go first")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="stop after this many (0: all)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per crystal")
    ap.add_argument("--retry-failed", action="store_true")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    items = work_list(args.mirror)
    first = benchmark_ids(args.benchmark) if args.benchmark else set()
    items.sort(key=lambda it: (convert.mp_id_of(it[0]) not in first, it[2], it[0]))
    done = {
        r["mp_id"]
        for r in read_shards(args.out)
        if r.get("status") == "ok" or not args.retry_failed
    }
    todo = [it for it in items if convert.mp_id_of(it[0]) not in done]
    if args.limit:
        todo = todo[: args.limit]
    n_first = sum(convert.mp_id_of(it[0]) in first for it in todo)
    log = lambda msg: print(time.strftime("%Y-%m-%d %H:%M:%S"), msg, flush=True)  # noqa: E731
    log(
        f"{len(items)} tarballs, {len(done)} already done, {len(todo)} to do "
        f"({n_first} with benchmark ids first), {args.workers} workers"
    )
    if not todo:
        return
    shard = os.path.join(args.out, f"shard-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.jsonl")
    t0 = time.time()
    n_ok = n_fail = 0
    jobs = [(args.mirror, p, sha, args.timeout) for p, sha, _ in todo]
    with open(shard, "a") as out, mp.Pool(args.workers, _init_worker, maxtasksperchild=200) as pool:
        for i, rec in enumerate(pool.imap_unordered(_job, jobs, chunksize=1), 1):
            out.write(json.dumps(rec, separators=(",", ":")) + "\n")
            out.flush()
            os.fsync(out.fileno())
            if rec["status"] == "ok":
                n_ok += 1
            else:
                n_fail += 1
                log(f"failed {rec['mp_id']}: {rec['reason']}")
            if i % 25 == 0 or i == len(jobs):
                rate = i / (time.time() - t0)
                eta_h = (len(jobs) - i) / rate / 3600
                log(
                    f"{i}/{len(jobs)} this run (ok {n_ok}, failed {n_fail}), "
                    f"{rate * 60:.1f}/min, eta {eta_h:.1f} h; total done {len(done) + i}/{len(items)}"
                )
    log(f"finished: ok {n_ok}, failed {n_fail}, shard {shard}")


if __name__ == "__main__":
    main()
