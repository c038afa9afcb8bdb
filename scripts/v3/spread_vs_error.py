#!/usr/bin/env python3
"""The out-of-distribution signal against the error: per-crystal spread percentile (how much
the bundled model's members disagree, placed among the validation crystals) and per-crystal
MSE x10 on the test splits of the benchmark and of phonondb.

    python3 scripts/v3/spread_vs_error.py [OUT_PNG]   (default: docs/img/spread_vs_error.png)

Needs target/release/dos (cargo build --release -p dos-cli) and matplotlib, numpy, scipy.
It runs `dos eval --per-crystal` on both test splits, prints the Spearman correlation and the
mean error per percentile band, and draws the plot (one panel per split: crystals as points,
band means as a line).
"""
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.stats import spearmanr

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DOS = os.path.join(ROOT, "target", "release", "dos")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "img", "spread_vs_error.png")
SPLITS = [("benchmark", "benchmark test split"), ("data/phonondb", "phonondb test split")]
BANDS = [(0, 50), (50, 90), (90, 95), (95, 100.01)]


def per_crystal(data):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "crystals.csv")
        subprocess.run(
            [DOS, "eval", "--model", os.path.join(ROOT, "crates/dos-pretrained-phonon/package"),
             "--data", data, "--split", "test", "--per-crystal", path],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        with open(path) as f:
            rows = list(csv.DictReader(f))
    pct = np.array([float(r["spread_percentile"]) for r in rows])
    mse = np.array([float(r["mse_x10"]) for r in rows])
    return pct, mse


def main():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, (data, title) in zip(axes, SPLITS):
        pct, mse = per_crystal(data)
        rho = spearmanr(pct, mse).statistic
        print(f"{title}: {len(pct)} crystals, Spearman rho(spread percentile, MSE) = {rho:.3f}")
        centres, means = [], []
        for lo, hi in BANDS:
            sel = (pct >= lo) & (pct < hi)
            if sel.any():
                print(f"  {lo:>3}-{min(hi, 100):<3.0f} %: n {sel.sum():>4}  MSE x10 {mse[sel].mean():.4f}")
                centres.append(pct[sel].mean())
                means.append(mse[sel].mean())
        ax.scatter(pct, mse, s=6, alpha=0.35, label="crystals")
        ax.plot(centres, means, "o-", color="C3", label="band mean (0-50, 50-90, 90-95, 95-100)")
        ax.set_yscale("log")
        ax.set_xlabel("spread percentile (among validation crystals)")
        ax.set_title(f"{title} (Spearman {rho:.2f})")
    axes[0].set_ylabel("per-crystal MSE x10")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(OUT, dpi=110)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
