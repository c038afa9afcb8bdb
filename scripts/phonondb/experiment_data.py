"""The data of the phonondb experiments (docs/results.md, "Phonondb"): one folder holding the
benchmark's rows followed by phonondb's, and one split folder per experiment.

    python3 scripts/phonondb/experiment_data.py OUT_DIR

writes OUT_DIR/data/phonon_dos.csv.gz (rows 0..1521 the benchmark, then the 6,279 phonondb rows)
and OUT_DIR/splits/{db_to_bench,both_to_bench,bench_to_db}/idx_{train,valid,test}.txt:

| split          | train                              | valid            | test            |
|----------------|------------------------------------|------------------|-----------------|
| db_to_bench    | phonondb train                     | benchmark valid  | benchmark test  |
| both_to_bench  | benchmark train + phonondb train   | benchmark valid  | benchmark test  |
| bench_to_db    | benchmark train                    | benchmark valid  | phonondb test   |
| joint          | benchmark train + phonondb train   | both valid       | (empty)         |

`joint` is the selection split of the bundled model v3: early stopping on both validation
splits and an empty test part, so that a training run never scores a test split (the test
splits are scored once, after the choice, with `dos eval`).

phonondb's training split holds no MP id of the benchmark's valid or test split, and its
valid/test splits hold no benchmark MP id at all (scripts/phonondb/assemble.py), so no
experiment trains on a crystal it is scored on. Standard library only.
"""

import gzip
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BENCH = os.path.join(ROOT, "crates", "dos-data", "data", "phonon")
DB = os.path.join(ROOT, "data", "phonondb")


def rows(folder):
    with gzip.open(os.path.join(folder, "phonon_dos.csv.gz"), "rt", newline="") as f:
        header = f.readline()
        return header, f.read()


def idx(folder, name, offset=0):
    with open(os.path.join(folder, f"idx_{name}.txt")) as f:
        return [int(line) + offset for line in f if line.strip()]


def count_rows(body):
    import csv
    import io

    return sum(1 for _ in csv.reader(io.StringIO(body)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    h_bench, body_bench = rows(BENCH)
    h_db, body_db = rows(DB)
    if h_bench != h_db:
        sys.exit(f"headers differ: {h_bench!r} vs {h_db!r}")
    n_bench = count_rows(body_bench)
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    path = os.path.join(out, "data", "phonon_dos.csv.gz")
    with gzip.open(path + ".tmp", "wt", newline="") as f:
        f.write(h_bench)
        f.write(body_bench if body_bench.endswith("\n") else body_bench + "\n")
        f.write(body_db)
    os.replace(path + ".tmp", path)

    bench = {s: idx(BENCH, s) for s in ("train", "valid", "test")}
    db = {s: idx(DB, s, n_bench) for s in ("train", "valid", "test")}
    splits = {
        "db_to_bench": (db["train"], bench["valid"], bench["test"]),
        "both_to_bench": (bench["train"] + db["train"], bench["valid"], bench["test"]),
        "bench_to_db": (bench["train"], bench["valid"], db["test"]),
        "joint": (bench["train"] + db["train"], bench["valid"] + db["valid"], []),
    }
    for name, parts in splits.items():
        d = os.path.join(out, "splits", name)
        os.makedirs(d, exist_ok=True)
        for part, ids in zip(("train", "valid", "test"), parts):
            with open(os.path.join(d, f"idx_{part}.txt"), "w") as f:
                f.write("".join(f"{i}\n" for i in ids))
        print(f"{name}: train {len(parts[0])}, valid {len(parts[1])}, test {len(parts[2])}")
    print(f"{path}: {n_bench} benchmark rows + phonondb rows")


if __name__ == "__main__":
    main()
