"""Noise floor: the benchmark's DOS against phonondb's on the MP ids both sets hold.

    python noise_floor.py --shards SHARD_DIR --benchmark phonon_dos.csv.gz [--json OUT.json]
                          [--variants]

For each MP id in both sets whose phonondb record converted and has no mode below
-IMAG_DROP_CM1 (convert.py; `--imag-drop-cm1 inf` keeps them all), phonondb's DOS is reduced from its stored high-resolution DOS with
convert.reduce_dos and scored as a prediction of the benchmark's DOS with the per-crystal errors
of crates/dos-metrics (errors.rs), on the 51 max-normalised points:

    MSE_b = (1/51) sum_j (p_j - t_j)^2,   MAE_b = (1/51) sum_j |p_j - t_j|,
    R2_b  = 1 - sum_j (p_j - t_j)^2 / sum_j (t_j - mean t)^2   (1 if both sums are 0, else 0
            when the target is constant),

with t the benchmark (DFPT, ABINIT) and p phonondb (finite displacements, VASP), then averaged
over crystals; "MSE x10" is 10 * mean MSE_b. The table is printed overall and per crystal system
(spglib on the benchmark's structure, symprec 0.01 and 5 degrees, the defaults of dos-data's
SymmetryConfig); `--only-split test` restricts it to the benchmark's test split. `--variants` also scores other reductions of the same phonondb DOS (no
smoothing, other Savitzky-Golay windows) to show which processing matches the benchmark best.
"""

from __future__ import annotations

import argparse
import ast
import csv
import gzip
import json
import os
import sys

import numpy as np
import spglib
from scipy.signal import savgol_filter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert  # noqa: E402
from run import read_shards  # noqa: E402

SYSTEMS = [name for _, name in convert.CRYSTAL_SYSTEMS]


def read_benchmark(path: str) -> dict[str, dict]:
    csv.field_size_limit(1 << 24)
    opener = gzip.open if path.endswith(".gz") else open
    out = {}
    with opener(path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            out[row["mp_id"]] = {
                "structure": ast.literal_eval(row["structure"]),
                "phdos": np.array(ast.literal_eval(row["phdos"]), dtype=float),
                "phfreq": np.array(ast.literal_eval(row["phfreq"]), dtype=float),
            }
    return out


def errors(p: np.ndarray, t: np.ndarray) -> tuple[float, float, float]:
    """(MSE, MAE, R2) of one crystal, as crates/dos-metrics/src/errors.rs."""
    d = p - t
    ss_res = float(d @ d)
    ss_tot = float(((t - t.mean()) ** 2).sum())
    if ss_tot > 0:
        r2 = 1.0 - ss_res / ss_tot
    else:
        r2 = 1.0 if ss_res == 0 else 0.0
    return ss_res / len(t), float(np.abs(d).mean()), r2


def spacegroup_of(structure: dict) -> int | None:
    """International space-group number of an ASE-style dict (spglib, symprec 0.01, 5 deg)."""
    cell = (
        np.array(structure["cell"], dtype=float),
        np.linalg.solve(
            np.array(structure["cell"], dtype=float).T,
            np.array(structure["positions"], dtype=float).T,
        ).T,
        np.array(structure["numbers"]),
    )
    ds = spglib.get_symmetry_dataset(cell, symprec=0.01, angle_tolerance=5.0)
    return None if ds is None else int(ds.number)


def system_of(structure: dict) -> str:
    """Crystal system of an ASE-style dict (as `spacegroup_of`), `unknown` when spglib fails."""
    sg = spacegroup_of(structure)
    return "unknown" if sg is None else convert.crystal_system(sg)


def reduce_variant(hr: np.ndarray, window: int | None) -> np.ndarray:
    """Reduction with another smoothing window (None: none; 20 cm^-1 bin means instead)."""
    if window is None:
        # average of the 1 cm^-1 histogram over each 20 cm^-1 bin centred on the grid point
        low = np.array(
            [hr[max(0, int(g) - 10) : int(g) + 10].mean() for g in convert.GRID_CM1]
        )
    else:
        s = np.clip(savgol_filter(hr, window, convert.SAVGOL_ORDER), 0, None)
        low = np.interp(convert.GRID_CM1, convert.HR_GRID_CM1, s)
    return low / low.max()


def table(rows: list[dict], key: str = "errors") -> list[str]:
    lines = [
        "| crystal system | crystals | MSE x10 | MAE | R2 |",
        "|---|---:|---:|---:|---:|",
    ]
    groups = [("all", rows)] + [(s, [r for r in rows if r["system"] == s]) for s in SYSTEMS]
    for name, rs in groups:
        if not rs:
            continue
        e = np.array([r[key] for r in rs])
        lines.append(
            f"| {name} | {len(rs)} | {10 * e[:, 0].mean():.3f} | {e[:, 1].mean():.3f} | "
            f"{e[:, 2].mean():.3f} |"
        )
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shards", required=True)
    ap.add_argument("--benchmark", required=True)
    ap.add_argument("--json", help="write per-crystal errors here")
    ap.add_argument("--variants", action="store_true")
    ap.add_argument(
        "--only-split",
        choices=["train", "valid", "test"],
        help="only the benchmark's crystals in this split (idx_*.txt beside --benchmark)",
    )
    ap.add_argument(
        "--imag-drop-cm1",
        type=float,
        default=convert.IMAG_DROP_CM1,
        help="drop crystals with a mode below minus this (cm^-1; inf keeps all)",
    )
    args = ap.parse_args()

    bench = read_benchmark(args.benchmark)
    if args.only_split:
        ids = list(bench)
        idx_file = os.path.join(os.path.dirname(args.benchmark), f"idx_{args.only_split}.txt")
        with open(idx_file) as f:
            keep_ids = {ids[int(line)] for line in f if line.strip()}
        bench = {i: v for i, v in bench.items() if i in keep_ids}
    recs = {}
    for r in read_shards(args.shards):
        recs[r["mp_id"]] = r  # a later line (a retry) wins
    both = sorted(set(bench) & set(recs))
    ok = [i for i in both if recs[i]["status"] == "ok"]
    failed = [i for i in both if recs[i]["status"] != "ok"]
    imag = [i for i in ok if recs[i]["min_freq_cm1"] < -args.imag_drop_cm1]
    keep = [i for i in ok if recs[i]["min_freq_cm1"] >= -args.imag_drop_cm1]
    grid = bench[both[0]]["phfreq"] if both else None
    if grid is not None and not np.allclose(grid, convert.GRID_CM1):
        raise SystemExit("benchmark grid differs from convert.GRID_CM1")

    variants = {"savgol101": convert.SAVGOL_WINDOW}
    if args.variants:
        variants.update(
            {f"savgol{w}": w for w in (51, 81, 91, 111, 121, 151, 201)} | {"none": None}
        )
    rows = []
    for i in keep:
        t = bench[i]["phdos"]
        hr = np.array(recs[i]["hr_dos"], dtype=float)
        p = convert.reduce_dos(hr)
        row = {
            "mp_id": i,
            "system": system_of(bench[i]["structure"]),
            "n_atoms_benchmark": len(bench[i]["structure"]["numbers"]),
            "n_atoms_phonondb": recs[i]["n_atoms"],
            "has_born": recs[i]["has_born"],
            "errors": errors(p, t),
        }
        for name, w in variants.items():
            if name != "savgol101":
                row[name] = errors(reduce_variant(hr, w), t)
        rows.append(row)

    print(
        f"MP ids in both: {len(both)} of {len(bench)} benchmark crystals; converted {len(ok)}, "
        f"failed {len(failed)}, dropped for a mode below -{args.imag_drop_cm1:g} cm^-1: "
        f"{len(imag)}; scored {len(rows)}"
    )
    natm = sum(r["n_atoms_benchmark"] != r["n_atoms_phonondb"] for r in rows)
    print(f"different atom count per primitive cell: {natm}")
    print("\n".join(table(rows)))
    if args.variants:
        for name in variants:
            if name == "savgol101":
                continue
            e = np.array([r[name] for r in rows])
            print(
                f"variant {name}: MSE x10 {10 * e[:, 0].mean():.3f}  MAE {e[:, 1].mean():.3f}  "
                f"R2 {e[:, 2].mean():.3f}"
            )
    if rows:
        e = np.array([r["errors"] for r in rows])
        q = np.percentile(10 * e[:, 0], [50, 90])
        print(f"per-crystal MSE x10: median {q[0]:.3f}, 90th percentile {q[1]:.3f}")
        top = np.sort(10 * e[:, 0])[::-1]
        print(f"share of the summed MSE in the worst 5 % of crystals: {top[: len(top) // 20].sum() / top.sum():.2f}")
        g = convert.GRID_CM1
        p = np.array([convert.reduce_dos(np.array(recs[r["mp_id"]]["hr_dos"])) for r in rows])
        t = np.array([bench[r["mp_id"]]["phdos"] for r in rows])
        ratio = ((p * g).sum(1) / p.sum(1)) / ((t * g).sum(1) / t.sum(1))
        print(
            f"mean frequency phonondb / benchmark: median {np.median(ratio):.4f}, "
            f"10-90 % {np.percentile(ratio, 10):.4f}-{np.percentile(ratio, 90):.4f}; "
            f"points exactly 0: benchmark {np.mean(t == 0):.3f}, phonondb {np.mean(p == 0):.3f}"
        )
        for flag in (True, False):
            sub = np.array([r["errors"] for r in rows if r["has_born"] == flag])
            if len(sub):
                print(f"has BORN={flag}: {len(sub)} crystals, MSE x10 {10 * sub[:, 0].mean():.3f}")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rows, f)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
