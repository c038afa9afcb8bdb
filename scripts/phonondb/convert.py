"""One phonondb tarball -> one JSON-ready record in the benchmark's representation.

A tarball of Togo's phonondb (2018-04-17, as republished by WMD-group/phononDB) holds
`phonopy.conf` (DIM, PRIMITIVE_AXIS), `POSCAR-unitcell`, `FORCE_SETS` (VASP PBEsol finite
displacements) and, for polar crystals, `BORN` (dielectric tensor and Born charges).

`convert(blob, name)` does, with the phonopy pinned in requirements.txt:

1. force constants from FORCE_SETS (phonopy's traditional translational and permutation
   symmetrisation), the non-analytic correction when BORN exists;
2. phonon frequencies on a Gamma-centred mesh of length MESH_LENGTH (phonopy's automatic mesh:
   about MESH_LENGTH * |b_i| points along reciprocal vector b_i); `min_freq_cm1` is the lowest
   mode on that mesh, `imag_fraction` the weighted fraction of modes below -IMAG_TOL_CM1;
3. the total DOS on the high-resolution grid HR_GRID_CM1 (0..HR_MAX_CM1 cm^-1, step 1 cm^-1)
   as the weighted histogram of the mesh frequencies in 1 cm^-1 bins centred on the grid
   (`mesh_dos`). After the 101-point smoothing that follows, this agrees with phonopy's
   tetrahedron DOS on an 80 A mesh to MSE x10 3e-4 at a twentieth of the cost
   (check_dos_method.py, docs/phonondb.md);
4. `reduce_dos` (below): the benchmark's reduction to 51 max-normalised points.

Imaginary modes are recorded, not filtered here: assemble.py and noise_floor.py drop crystals
with `min_freq_cm1 < -IMAG_DROP_CM1`, so the threshold can be revisited without recomputing.

The structure is phonopy's primitive cell as an ASE `Atoms.todict()`-style dict (`numbers`,
Cartesian `positions` in Angstrom, `cell` rows = lattice vectors, `pbc`), which
`dos_data::io::phonon_csv` reads.
"""

from __future__ import annotations

import io
import lzma
import os
import re
import tarfile
import tempfile
import time
from fractions import Fraction

import numpy as np
from scipy.signal import savgol_filter

# 1 THz in cm^-1 (phonopy's frequencies are in THz).
THZ_TO_CM1 = 33.35641
# Mesh length in Angstrom for phonopy's automatic q-mesh.
MESH_LENGTH = 40.0
# High-resolution grid: 0..HR_MAX_CM1 in 1 cm^-1 steps. The Savitzky-Golay window (101 points)
# reaches 50 cm^-1 either side, so everything up to 1000 cm^-1 is an interior point when the
# grid ends above 1050 cm^-1, as in the benchmark (whose high-resolution grid ran to 4404).
HR_MAX_CM1 = 1100.0
HR_GRID_CM1 = np.arange(0.0, HR_MAX_CM1 + 0.5, 1.0)
# The benchmark's grid: 51 points, 0..1000 cm^-1, step 20.
GRID_CM1 = np.arange(0.0, 1000.0 + 1.0, 20.0)
# Savitzky-Golay window (points of HR_GRID_CM1) and polynomial order of the benchmark
# (phonondos_e3nn, `len51max1000_fwin101ord3`).
SAVGOL_WINDOW = 101
SAVGOL_ORDER = 3
# Modes below -IMAG_TOL_CM1 count in `imag_fraction`.
IMAG_TOL_CM1 = 1.0
# Crystals whose lowest mode on the mesh lies below -IMAG_DROP_CM1 are dropped downstream.
IMAG_DROP_CM1 = 10.0


def reduce_dos(hr_dos: np.ndarray) -> np.ndarray:
    """The benchmark's reduction of a DOS on HR_GRID_CM1 to GRID_CM1.

    savgol(window 101, order 3, scipy's default `interp` edges) on the 1 cm^-1 grid, negative
    values set to 0, linear interpolation at 0, 20, ..., 1000 cm^-1, divided by the maximum of
    those 51 values. Raises ValueError when the result is all zeros.
    """
    smooth = savgol_filter(np.asarray(hr_dos, dtype=float), SAVGOL_WINDOW, SAVGOL_ORDER)
    smooth = np.clip(smooth, 0.0, None)
    low = np.interp(GRID_CM1, HR_GRID_CM1, smooth)
    peak = low.max()
    if not np.isfinite(peak) or peak <= 0.0:
        raise ValueError("reduced DOS is zero on 0..1000 cm^-1")
    return low / peak


def mesh_dos(freqs_cm1: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """DOS on HR_GRID_CM1: modes per 1 cm^-1 bin centred on each grid point, per q-point.

    freqs_cm1 (n_q, n_bands) on an irreducible mesh, weights (n_q,) the q-point multiplicities;
    the result integrates to the number of modes per cell that fall on the grid.
    """
    edges = np.append(HR_GRID_CM1 - 0.5, HR_GRID_CM1[-1] + 0.5)
    w = np.repeat(np.asarray(weights, dtype=float)[:, None], freqs_cm1.shape[1], axis=1)
    hist, _ = np.histogram(freqs_cm1.ravel(), bins=edges, weights=w.ravel())
    return hist / w[:, 0].sum()


def _fraction_list(text: str) -> list[float]:
    return [float(Fraction(t)) for t in text.split()]


def parse_conf(text: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(supercell matrix 3x3, primitive matrix 3x3 or None) from a phonopy.conf text."""
    dim = prim = None
    for line in text.splitlines():
        m = re.match(r"\s*([A-Z_]+)\s*=\s*(.*)$", line)
        if not m:
            continue
        key, val = m.group(1), m.group(2).strip()
        if key == "DIM":
            v = [int(t) for t in val.split()]
            if len(v) == 3:
                dim = np.diag(v)
            elif len(v) == 9:
                dim = np.array(v).reshape(3, 3)
            else:
                raise ValueError(f"phonopy.conf DIM has {len(v)} numbers")
        elif key == "PRIMITIVE_AXIS" or key == "PRIMITIVE_AXES":
            if val.lower() == "auto":
                prim = "auto"
            else:
                v = _fraction_list(val)
                if len(v) != 9:
                    raise ValueError(f"phonopy.conf {key} has {len(v)} numbers")
                prim = np.array(v).reshape(3, 3)
    if dim is None:
        raise ValueError("phonopy.conf has no DIM")
    return dim, prim


def mp_id_of(name: str) -> str:
    """`phonon_db_tarred/materials-id-1000-bate-fm-3m-225.tar.lzma` -> `mp-1000`."""
    m = re.search(r"materials-id-(\d+)-", name)
    if not m:
        raise ValueError(f"no materials-id in {name}")
    return f"mp-{m.group(1)}"


def ase_dict(cell: np.ndarray, numbers, scaled_positions) -> dict:
    """ASE `Atoms.todict()`-style dict with plain Python lists."""
    cell = np.asarray(cell, dtype=float)
    pos = np.asarray(scaled_positions, dtype=float) @ cell
    return {
        "numbers": [int(z) for z in numbers],
        "positions": pos.tolist(),
        "cell": cell.tolist(),
        "pbc": [True, True, True],
    }


CRYSTAL_SYSTEMS = [
    (2, "triclinic"),
    (15, "monoclinic"),
    (74, "orthorhombic"),
    (142, "tetragonal"),
    (167, "trigonal"),
    (194, "hexagonal"),
    (230, "cubic"),
]


def crystal_system(spacegroup_number: int) -> str:
    """The crystal system of an international space-group number 1..230."""
    for last, name in CRYSTAL_SYSTEMS:
        if spacegroup_number <= last:
            return name
    raise ValueError(f"space group {spacegroup_number}")


def _extract(blob: bytes, dest: str) -> str:
    """Unpack the lzma tarball into dest; return the folder holding phonopy.conf."""
    raw = lzma.decompress(blob)  # FORMAT_AUTO reads the legacy .lzma ("alone") format
    with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
        members = [m for m in tf.getmembers() if m.isfile()]
        for m in members:
            base = os.path.basename(m.name)
            if "/" in base or base.startswith("."):
                continue
            with open(os.path.join(dest, base), "wb") as f:
                f.write(tf.extractfile(m).read())
    if not os.path.exists(os.path.join(dest, "phonopy.conf")):
        raise ValueError("tarball has no phonopy.conf")
    return dest


def phonopy_from_tarball(blob: bytes):
    """(Phonopy object with force constants and NAC, has_born) from a tarball's bytes."""
    import phonopy

    with tempfile.TemporaryDirectory(prefix="phonondb-") as tmp:
        d = _extract(blob, tmp)
        with open(os.path.join(d, "phonopy.conf")) as f:
            dim, prim = parse_conf(f.read())
        for need in ("POSCAR-unitcell", "FORCE_SETS"):
            if not os.path.exists(os.path.join(d, need)):
                raise ValueError(f"tarball has no {need}")
        born = os.path.join(d, "BORN")
        has_born = os.path.exists(born)
        ph = phonopy.load(
            supercell_matrix=dim,
            primitive_matrix=prim,
            unitcell_filename=os.path.join(d, "POSCAR-unitcell"),
            force_sets_filename=os.path.join(d, "FORCE_SETS"),
            born_filename=born if has_born else None,
            is_nac=has_born,
            symmetrize_fc=False,
            log_level=0,
        )
        # Translational and permutation symmetrisation (phonopy's traditional one; half the
        # time of phonopy.load's default projector, which matters over 10,000 crystals).
        ph.symmetrize_force_constants()
    return ph, has_born


def convert(blob: bytes, name: str) -> dict:
    """One tarball's bytes -> record (see module doc). Raises on any failure."""
    import phonopy
    import spglib

    t0 = time.time()
    rec: dict = {"mp_id": mp_id_of(name), "tarball": os.path.basename(name)}
    ph, has_born = phonopy_from_tarball(blob)
    t_fc = time.time()
    ph.run_mesh(MESH_LENGTH, with_eigenvectors=False, is_gamma_center=True)
    mesh = ph.mesh
    freqs = np.asarray(mesh.frequencies) * THZ_TO_CM1  # (n_q, n_bands)
    weights = np.asarray(mesh.weights, dtype=float)
    wmodes = np.repeat(weights[:, None], freqs.shape[1], axis=1)
    imag = float(wmodes[freqs < -IMAG_TOL_CM1].sum() / wmodes.sum())
    hr = mesh_dos(freqs, weights)
    t_dos = time.time()

    p = ph.primitive
    cell = np.asarray(p.cell)
    ds = spglib.get_symmetry_dataset(
        (cell, np.asarray(p.scaled_positions), np.asarray(p.numbers)), symprec=1e-3
    )
    if ds is None:
        raise ValueError("spglib found no symmetry")
    rec.update(
        status="ok",
        structure=ase_dict(cell, p.numbers, p.scaled_positions),
        n_atoms=len(p.numbers),
        spacegroup=int(ds.number),
        crystal_system=crystal_system(int(ds.number)),
        has_born=has_born,
        mesh=[int(x) for x in mesh.mesh_numbers],
        min_freq_cm1=float(freqs.min()),
        max_freq_cm1=float(freqs.max()),
        imag_fraction=imag,
        phdos=reduce_dos(hr).tolist(),
        hr_dos=[float(f"{x:.6g}") for x in hr],
        phonopy=phonopy.__version__,
        seconds={"fc": round(t_fc - t0, 3), "dos": round(t_dos - t_fc, 3)},
    )
    return rec
