#!/usr/bin/env python3
"""Gapped fraction and band-gap distribution of generated electron datasets.

    python3 scripts/electron_gap_stats.py NAME=DIR/electron_dos.jsonl [...] [--png OUT.png]

Prints, per dataset, the crystal count, the fraction with a gap > 0 (band_gap > 0; null =
every band full counts apart), and gap quantiles of the gapped crystals; with --png (needs
matplotlib) draws the gap histograms.
"""
import json
import sys


def load(path):
    gaps = []
    with open(path) as f:
        for line in f:
            if line.strip():
                gaps.append(json.loads(line)["band_gap"])
    return gaps


def quantile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    i = q * (len(sorted_values) - 1)
    lo = int(i)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (i - lo)


def main(argv):
    png = None
    if "--png" in argv:
        k = argv.index("--png")
        png = argv[k + 1]
        argv = argv[:k] + argv[k + 2 :]
    sets = []
    print("| data | crystals | gapped | metals | all bands full | gap median | gap 10-90 % | gap > 1 eV |")
    print("|---|---|---|---|---|---|---|---|")
    for arg in argv:
        name, path = arg.split("=", 1)
        gaps = load(path)
        n = len(gaps)
        full = sum(g is None for g in gaps)
        gapped = sorted(g for g in gaps if g is not None and g > 0)
        metals = n - full - len(gapped)
        big = sum(g > 1.0 for g in gapped)
        print(
            f"| {name} | {n} | {len(gapped)} ({100 * len(gapped) / n:.1f} %) | {metals} "
            f"({100 * metals / n:.1f} %) | {full} | {quantile(gapped, 0.5):.2f} eV | "
            f"{quantile(gapped, 0.1):.2f}-{quantile(gapped, 0.9):.2f} eV | "
            f"{big} ({100 * big / n:.1f} %) |"
        )
        sets.append((name, gapped, n))
    if png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        top = max((max(g) for _, g, _ in sets if g), default=1.0)
        bins = [i * 0.25 for i in range(int(top / 0.25) + 2)]
        for name, gapped, n in sets:
            ax.hist(
                gapped,
                bins=bins,
                weights=[100.0 / n] * len(gapped),
                histtype="step",
                linewidth=1.5,
                label=f"{name} ({100 * len(gapped) / n:.0f} % gapped of {n})",
            )
        ax.set_xlabel("band gap (eV), sp3 tight-binding model")
        ax.set_ylabel("% of crystals per 0.25 eV")
        ax.legend(frameon=False)
        fig.tight_layout()
        fig.savefig(png, dpi=120)
        print(f"wrote {png}")


if __name__ == "__main__":
    main(sys.argv[1:])
