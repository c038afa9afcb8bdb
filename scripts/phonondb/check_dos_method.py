"""Check convert.py's cheap DOS against phonopy's tetrahedron DOS on a sample of crystals.

    python check_dos_method.py --mirror MIRROR.git --benchmark phonon_dos.csv.gz [--n 20]

For N crystals drawn (seed 0) from the MP ids both sets hold, recomputes phonondb's DOS two
ways from the same force constants: convert.py's (mesh length MESH_LENGTH, 1 cm^-1 histogram)
and a reference (mesh length 80 A, phonopy's tetrahedron method on the same 1 cm^-1 grid),
both reduced with convert.reduce_dos. Prints the mean MSE x10 between them and each one's MSE
x10 against the benchmark (the noise floor on this sample), so the cheap method's error can be
compared with the floor it is used to measure.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert  # noqa: E402
from noise_floor import errors, read_benchmark  # noqa: E402
from run import work_list  # noqa: E402

REFERENCE_MESH_LENGTH = 80.0


def cheap(ph) -> np.ndarray:
    ph.run_mesh(convert.MESH_LENGTH, with_eigenvectors=False, is_gamma_center=True)
    freqs = np.asarray(ph.mesh.frequencies) * convert.THZ_TO_CM1
    return convert.reduce_dos(convert.mesh_dos(freqs, np.asarray(ph.mesh.weights, dtype=float)))


def reference(ph) -> np.ndarray:
    ph.run_mesh(REFERENCE_MESH_LENGTH, with_eigenvectors=False, is_gamma_center=True)
    ph.run_total_dos(
        freq_min=0.0,
        freq_max=convert.HR_MAX_CM1 / convert.THZ_TO_CM1,
        freq_pitch=1.0 / convert.THZ_TO_CM1,
        use_tetrahedron_method=True,
    )
    fp = np.asarray(ph.total_dos.frequency_points) * convert.THZ_TO_CM1
    hr = np.interp(convert.HR_GRID_CM1, fp, np.asarray(ph.total_dos.dos), left=0.0, right=0.0)
    return convert.reduce_dos(hr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirror", required=True)
    ap.add_argument("--benchmark", required=True)
    ap.add_argument("--n", type=int, default=20)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    bench = read_benchmark(args.benchmark)
    items = [it for it in work_list(args.mirror) if convert.mp_id_of(it[0]) in bench]
    items.sort()
    sample = random.Random(0).sample(items, min(args.n, len(items)))
    rows = []
    for path, sha, _ in sample:
        i = convert.mp_id_of(path)
        blob = subprocess.run(
            ["git", "-C", args.mirror, "cat-file", "blob", sha], check=True, capture_output=True
        ).stdout
        t0 = time.time()
        ph, _ = convert.phonopy_from_tarball(blob)
        c = cheap(ph)
        t1 = time.time()
        r = reference(ph)
        t2 = time.time()
        t = bench[i]["phdos"]
        rows.append((errors(c, r)[0], errors(c, t)[0], errors(r, t)[0], t1 - t0, t2 - t1))
        print(
            f"{i}: cheap vs reference MSE x10 {10 * rows[-1][0]:.5f}; vs benchmark "
            f"{10 * rows[-1][1]:.4f} / {10 * rows[-1][2]:.4f}; {t1 - t0:.1f} s / {t2 - t1:.1f} s",
            flush=True,
        )
    e = np.array(rows)
    print(
        f"{len(rows)} crystals: cheap vs reference MSE x10 {10 * e[:, 0].mean():.5f} "
        f"(max {10 * e[:, 0].max():.5f}); noise floor MSE x10 cheap {10 * e[:, 1].mean():.4f}, "
        f"reference {10 * e[:, 2].mean():.4f}; seconds per crystal cheap {e[:, 3].mean():.2f}, "
        f"reference DOS {e[:, 4].mean():.2f}"
    )


if __name__ == "__main__":
    main()
