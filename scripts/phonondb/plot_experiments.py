"""Bar chart of the phonondb experiments (docs/results.md, "phonondb"): test MSE x10 of each
model per experiment, with the noise floor between the two DFT methods as a dashed line.

    python scripts/phonondb/plot_experiments.py WORK_DIR OUT.png

WORK_DIR is scripts/phonondb/experiments.sh's folder: runs/<experiment>-<model>-<seed>/
metrics.json (seed-0 runs), and ensembles from results/<experiment>-<name>.json written by
`dos eval --model PACKAGE --format json` (docs/results.md used "bench_to_bench-v1, benchmark
only.json", "bench_to_db-v1, benchmark only.json" and "both_to_bench-v2, bundled.json").
Needs matplotlib.
"""

import glob
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EXPERIMENTS = [
    ("bench_to_bench", "benchmark train\n-> benchmark test"),
    ("db_to_bench", "phonondb train\n-> benchmark test"),
    ("both_to_bench", "phonondb + benchmark train\n-> benchmark test"),
    ("bench_to_db", "benchmark train\n-> phonondb test"),
]
NOISE_FLOOR = 0.014  # docs/phonondb.md: MSE x10 between the two DFT methods, stable shared crystals


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    work, out = sys.argv[1:]
    bars = {}  # (experiment, label) -> mse_x10
    for path in glob.glob(os.path.join(work, "runs", "*-0", "metrics.json")):
        name = os.path.basename(os.path.dirname(path))
        exp, model = name.split("-", 1)
        model = model.rsplit("-", 1)[0]
        test = json.load(open(path)).get("test")
        if test:
            label = {"dostransformer": "DOSTransformer", "graph-network": "Graph Network"}[model]
            bars[(exp, label + " (seed 0)")] = 10 * test["overall"]["mse"]
    for path in glob.glob(os.path.join(work, "results", "*.json")):
        exp, name = os.path.basename(path)[:-5].split("-", 1)
        bars[(exp, f"DOSTransformer ensemble ({name})")] = json.load(open(path))["mse_x10"]

    labels = sorted({label for _, label in bars})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.8 / max(len(labels), 1)
    for j, label in enumerate(labels):
        xs, ys = [], []
        for i, (exp, _) in enumerate(EXPERIMENTS):
            if (exp, label) in bars:
                xs.append(i - 0.4 + width * (j + 0.5))
                ys.append(bars[(exp, label)])
        ax.bar(xs, ys, width, label=label, color=colours[j % len(colours)])
        for x, y in zip(xs, ys):
            ax.text(x, y, f"{y:.3f}", ha="center", va="bottom", fontsize=8)
    ax.axhline(NOISE_FLOOR, ls="--", c="k", lw=1, label="noise floor (DFPT vs finite displacements)")
    ax.set_xticks(range(len(EXPERIMENTS)), [t for _, t in EXPERIMENTS])
    ax.set_ylabel("test MSE x10")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out, dpi=130)
    print(f"wrote {out}: {len(bars)} bars")


if __name__ == "__main__":
    main()
