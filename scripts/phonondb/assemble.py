"""Build data/phonondb/ from the conversion shards.

    python assemble.py --shards SHARD_DIR --benchmark-dir crates/dos-data/data/phonon \
                       --out data/phonondb [--total 10034]

Writes, atomically (temp + rename):

- `phonon_dos.csv.gz`: the benchmark's CSV format (`mp_id,structure,phfreq,phdos`; Python
  literals; 51 points 0..1000 cm^-1; max-normalised), rows in MP-id order, gzip with mtime 0 so
  the same input gives the same bytes. The name is the one `dos train --data DIR` and
  `PhononDataset::load` look for.
- `idx_train.txt`, `idx_valid.txt`, `idx_test.txt`: 0-based row indices (see `split_role`).
- `meta.csv`: per row: mp_id, atoms in the primitive cell, space group and crystal system
  (spglib, symprec 0.01 and 5 degrees, the tolerances of dos-data's SymmetryConfig), BORN
  present, lowest mode (cm^-1), the benchmark split holding the MP id (or empty), split role.
- `counts.json`: what was converted, dropped and excluded;
- `README.md`: source, licence, processing and these counts (rendered by `readme`).

The DOS is reduced again from each record's stored high-resolution DOS (convert.reduce_dos), so
the set always carries the processing of the checked-out convert.py.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert  # noqa: E402
from run import read_shards  # noqa: E402
from noise_floor import read_benchmark, spacegroup_of  # noqa: E402


def split_role(mp_id: str, benchmark_split: str | None) -> str | None:
    """Where a phonondb crystal goes.

    MP ids in the benchmark's valid or test split: nowhere (None), so no model trained here sees
    a crystal it is scored on in the benchmark. MP ids in the benchmark's train split: train.
    Every other id by a hash of the id (stable as the set grows): 10 % test, 10 % valid, 80 %
    train; so the phonondb test and valid splits hold no benchmark crystal at all.
    """
    if benchmark_split in ("valid", "test"):
        return None
    if benchmark_split == "train":
        return "train"
    h = int.from_bytes(hashlib.sha256(mp_id.encode()).digest()[:8], "big") % 10
    return {0: "test", 1: "valid"}.get(h, "train")


def _mp_number(mp_id: str) -> int:
    return int(mp_id.split("-")[1])


def write_atomic(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def readme(c: dict) -> str:
    """data/phonondb/README.md for the counts `c` of `main`."""
    done = c["processed"] == c["tarballs"]
    status = (
        "**Complete**: every tarball of the source was processed."
        if done
        else (
            f"**Partial set**: {c['processed']:,} of {c['tarballs']:,} tarballs processed "
            f"(benchmark MP ids first, then by tarball size, smallest first, so larger cells "
            f"are under-represented). To finish, resume the conversion and assemble again "
            f"(scripts/phonondb/README.md); rows already here keep their split."
        )
    )
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(c["failed_by_reason"].items())) or "none"
    s = c["split"]
    return f"""# phonondb in the phonon benchmark's representation

{status}

| file | what |
|---|---|
| `phonon_dos.csv.gz` | {c['rows']:,} rows, header `mp_id,structure,phfreq,phdos`, the format of `crates/dos-data/data/phonon` |
| `idx_train.txt`, `idx_valid.txt`, `idx_test.txt` | split: {s['train']:,} / {s['valid']:,} / {s['test']:,} 0-based row indices |
| `meta.csv` | per row: atoms, space group, crystal system, BORN present, lowest mode, benchmark split, role |
| `counts.json` | the counts below, machine-readable |
| `LICENSE` | CC BY 4.0 notice and attribution |

**Source and attribution.** Atsushi Togo's phonon database (phonondb, Kyoto University),
release 2018-04-17: Materials Project crystals relaxed with VASP (PBEsol), force constants by
finite displacements (phonopy), Born charges and dielectric tensors for polar crystals; as
republished in `WMD-group/phononDB` on GitHub (one tarball per crystal). Licensed CC BY 4.0;
see `LICENSE` for the attribution and citations.

**Processing** (scripts/phonondb, phonopy {c['phonopy']}): force constants from `FORCE_SETS`
(translational and permutation symmetrisation), the non-analytic correction where `BORN`
exists; frequencies on a Gamma-centred mesh of length {c['mesh_length']:g} A; the DOS as a
histogram in 1 cm^-1 bins on 0..{c['hr_max_cm1']:g} cm^-1; then the benchmark's reduction
(Chen et al. 2021, `phonondos_e3nn`): Savitzky-Golay filter, window {c['savgol_window']} points,
order {c['savgol_order']}; negative values to 0; linear interpolation at 0, 20, ..., 1000 cm^-1;
divided by the maximum. `structure` is phonopy's primitive cell of the published unit cell
(ASE `Atoms.todict()` literal). Match to the benchmark and noise floor: docs/phonondb.md.

**Counts.** {c['processed']:,} of {c['tarballs']:,} tarballs processed; {c['converted']:,}
converted, {c['failed']:,} failed ({reasons}); {c['dropped_imaginary']:,} dropped for a mode
below -{c['imag_drop_cm1']:g} cm^-1 on the mesh (dynamically unstable at this level of theory);
{c['dropped_zero_dos']:,} dropped for a DOS that is zero on 0..1000 cm^-1;
{c['dropped_listed']:,} left out by `scripts/phonondb/exclude.txt` (structures whose symmetry
analysis dos-data refuses, so that the folder loads). {c['rows']:,} rows,
{c['in_benchmark']:,} of them MP ids that the benchmark also holds.

**Split** (`assemble.split_role`): MP ids in the benchmark's validation or test split are in no
split ({c['excluded_benchmark_valid_test']:,} rows), so a model trained here is never scored on
the benchmark on a crystal it trained on; MP ids in the benchmark's training split are in
train; every other id goes by a hash of the id to test (10 %), valid (10 %) or train (80 %), so
phonondb's valid and test splits hold no benchmark crystal and keep their members as the set
grows.

**Integrity.** SHA-256 of the uncompressed CSV: `{c['sha256_csv']}`.

**Use.** `dos train --data data/phonondb` (the split files are read from the folder);
`PhononDataset::load("data/phonondb", ...)`.
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shards", required=True)
    ap.add_argument("--benchmark-dir", required=True, help="folder of the benchmark CSV + idx files")
    ap.add_argument("--out", required=True)
    ap.add_argument("--total", type=int, default=10034, help="tarballs in the source")
    ap.add_argument("--imag-drop-cm1", type=float, default=convert.IMAG_DROP_CM1)
    ap.add_argument(
        "--exclude",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "exclude.txt"),
        help="lines `MP_ID reason`: crystals left out (the workspace's readers refuse them)",
    )
    args = ap.parse_args()

    bench_csv = os.path.join(args.benchmark_dir, "phonon_dos.csv.gz")
    bench_ids = list(read_benchmark(bench_csv))
    bench_split = {}
    for name in ("train", "valid", "test"):
        with open(os.path.join(args.benchmark_dir, f"idx_{name}.txt")) as f:
            for line in f:
                if line.strip():
                    bench_split[bench_ids[int(line)]] = name

    recs = {}
    for r in read_shards(args.shards):
        recs[r["mp_id"]] = r  # a later line (a retry) wins
    ok = {i: r for i, r in recs.items() if r["status"] == "ok"}
    failed = {i: r for i, r in recs.items() if r["status"] != "ok"}
    imag = {i for i, r in ok.items() if r["min_freq_cm1"] < -args.imag_drop_cm1}
    excluded_ids = {}
    if os.path.exists(args.exclude):
        with open(args.exclude) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    mp_id, _, reason = line.strip().partition(" ")
                    excluded_ids[mp_id] = reason
    zero = set()
    rows = []
    for i in sorted(set(ok) - imag - set(excluded_ids), key=_mp_number):
        r = ok[i]
        try:
            dos = convert.reduce_dos(np.array(r["hr_dos"], dtype=float))
        except ValueError:
            zero.add(i)
            continue
        rows.append((i, r, dos))

    grid = [float(x) for x in convert.GRID_CM1]
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(["mp_id", "structure", "phfreq", "phdos"])
    meta = io.StringIO()
    mw = csv.writer(meta, lineterminator="\n")
    mw.writerow(
        ["mp_id", "n_atoms", "spacegroup", "crystal_system", "has_born", "min_freq_cm1",
         "benchmark_split", "role"]
    )
    split = {"train": [], "valid": [], "test": []}
    excluded = 0
    for k, (i, r, dos) in enumerate(rows):
        w.writerow([i, str(r["structure"]), str(grid), str([float(x) for x in dos])])
        role = split_role(i, bench_split.get(i))
        sg = spacegroup_of(r["structure"])
        if role is None:
            excluded += 1
        else:
            split[role].append(k)
        mw.writerow(
            [i, r["n_atoms"], sg or "", convert.crystal_system(sg) if sg else "unknown", int(r["has_born"]),
             f"{r['min_freq_cm1']:.2f}", bench_split.get(i, ""), role or "excluded"]
        )

    os.makedirs(args.out, exist_ok=True)
    raw = text.getvalue().encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="phonon_dos.csv", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(raw)
    write_atomic(os.path.join(args.out, "phonon_dos.csv.gz"), buf.getvalue())
    for name, idx in split.items():
        write_atomic(os.path.join(args.out, f"idx_{name}.txt"), "".join(f"{k}\n" for k in idx).encode())
    write_atomic(os.path.join(args.out, "meta.csv"), meta.getvalue().encode())

    reasons: dict[str, int] = {}
    for r in failed.values():
        key = r["reason"].split(":")[0]
        reasons[key] = reasons.get(key, 0) + 1
    counts = {
        "tarballs": args.total,
        "processed": len(recs),
        "converted": len(ok),
        "failed": len(failed),
        "failed_by_reason": reasons,
        "dropped_imaginary": len(imag),
        "imag_drop_cm1": args.imag_drop_cm1,
        "dropped_zero_dos": len(zero),
        "dropped_listed": len(set(excluded_ids) & (set(ok) - imag)),
        "rows": len(rows),
        "in_benchmark": sum(i in bench_split for i, _, _ in rows),
        "excluded_benchmark_valid_test": excluded,
        "split": {k: len(v) for k, v in split.items()},
        "sha256_csv": hashlib.sha256(raw).hexdigest(),
        "phonopy": ", ".join(sorted({r["phonopy"] for _, r, _ in rows})),
        "mesh_length": convert.MESH_LENGTH,
        "hr_max_cm1": convert.HR_MAX_CM1,
        "savgol_window": convert.SAVGOL_WINDOW,
        "savgol_order": convert.SAVGOL_ORDER,
    }
    write_atomic(os.path.join(args.out, "counts.json"), (json.dumps(counts, indent=1) + "\n").encode())
    write_atomic(os.path.join(args.out, "README.md"), readme(counts).encode())
    print(json.dumps(counts, indent=1))


if __name__ == "__main__":
    main()
