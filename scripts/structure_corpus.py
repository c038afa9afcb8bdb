#!/usr/bin/env python3
"""Writes the structure-file comparison corpus that `crates/dos-data/tests/structure_corpus.rs`
reads: benchmark crystals written by the tools people use, each file with what pymatgen and ASE
read from it.

    python3 -m venv target-py && target-py/bin/pip install pymatgen ase spglib
    target-py/bin/python scripts/structure_corpus.py [--every 15] \
        [--out crates/dos-data/tests/data/structure_corpus.jsonl.gz]

For every `--every`-th crystal of the phonon benchmark (`crates/dos-data/data/phonon`), files
written by:
- pymatgen `CifWriter(s, symprec=0.01)` (symmetrised: asymmetric unit, operation loop and
  H-M symbol) and `CifWriter(s)` (P1);
- the symmetrised CIF with its operation loop removed, so only `_symmetry_space_group_name_H-M`
  and `_symmetry_Int_Tables_number` say the group (as hand-written, older and textbook CIFs);
  and that file again with experimental uncertainties on the cell (`5.4310(2)`);
- ASE `write(..., format="cif")`, `format="extxyz"` and `format="vasp"`;
- two of the above joined: a two-block CIF and a two-frame extended XYZ.

Each JSON line: `name`, `format` (`cif`, `extxyz`, `poscar`), `text`, and `expected`, one entry
per structure in the file, from pymatgen (`CifParser.parse_structures(primitive=False)`,
`Structure.from_str`) and ASE (`ase.io.read(..., index=":")`) with spglib (symprec 0.01, angle
5 degrees): `n_atoms`, `formula` (pymatgen's reduced formula, which groups polyanions, e.g.
`Cd(GaSe2)2`), `element_counts` (atoms per element symbol), `abc`, `angles`,
`space_group`, and `ase_agrees` (whether ASE reads the same count, composition, lattice and
space group; `null` when ASE cannot read the file).
"""

import argparse
import ast
import csv
import gzip
import io
import json
import os
import re
import sys
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import spglib  # noqa: E402
import ase.io  # noqa: E402
from pymatgen.core import Structure  # noqa: E402
from pymatgen.io.ase import AseAtomsAdaptor  # noqa: E402
from pymatgen.io.cif import CifParser, CifWriter  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spacegroup(lattice, frac, numbers):
    d = spglib.get_symmetry_dataset(
        (np.asarray(lattice), np.asarray(frac), list(numbers)), symprec=0.01, angle_tolerance=5
    )
    return int(d.number) if d is not None else None


def describe(s: Structure):
    return {
        "n_atoms": len(s),
        "formula": s.composition.reduced_formula,
        "element_counts": {el.symbol: int(round(n)) for el, n in s.composition.items()},
        "abc": [round(x, 8) for x in s.lattice.abc],
        "angles": [round(x, 8) for x in s.lattice.angles],
        "space_group": spacegroup(s.lattice.matrix, s.frac_coords, s.atomic_numbers),
    }


def read_pymatgen(text, fmt):
    if fmt == "cif":
        return CifParser.from_str(text).parse_structures(primitive=False, on_error="raise")
    if fmt == "poscar":
        return [Structure.from_str(text, fmt="poscar")]
    frames = ase.io.read(io.StringIO(text), format="extxyz", index=":")
    return [AseAtomsAdaptor.get_structure(a) for a in frames]


def read_ase(text, fmt):
    f = {"cif": "cif", "poscar": "vasp", "extxyz": "extxyz"}[fmt]
    return [AseAtomsAdaptor.get_structure(a) for a in ase.io.read(io.StringIO(text), format=f, index=":")]


def same(a, b):
    return (
        a["n_atoms"] == b["n_atoms"]
        and a["element_counts"] == b["element_counts"]
        and np.allclose(a["abc"], b["abc"], rtol=1e-5)
        and np.allclose(a["angles"], b["angles"], atol=1e-4)
        and a["space_group"] == b["space_group"]
    )


def symbol_only(cif: str) -> str:
    """The symmetrised CIF without its operation loop."""
    lines = cif.splitlines()
    out, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "loop_" and i + 1 < len(lines) and "symmetry_equiv_pos" in lines[i + 1]:
            i += 1
            while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(("loop_", "_")):
                i += 1
            while i < len(lines) and lines[i].strip().startswith("_symmetry_equiv_pos"):
                i += 1
            while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(("loop_", "_")):
                i += 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out) + "\n"


def with_uncertainties(cif: str) -> str:
    return re.sub(r"(_cell_length_[abc]\s+)(\d+\.\d{4})\d*", r"\g<1>\g<2>(2)", cif)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=15)
    ap.add_argument("--out", default=os.path.join(ROOT, "crates/dos-data/tests/data/structure_corpus.jsonl.gz"))
    args = ap.parse_args()
    csv.field_size_limit(1 << 30)
    rows = list(csv.reader(gzip.open(os.path.join(ROOT, "crates/dos-data/data/phonon/phonon_dos.csv.gz"), "rt")))[1:]
    entries = []
    prev = None
    for k, row in enumerate(rows[:: args.every]):
        d = ast.literal_eval(row[1])
        s = Structure(d["cell"], d["numbers"], d["positions"], coords_are_cartesian=True)
        name = row[0] or f"row{k * args.every}"
        sym = str(CifWriter(s, symprec=0.01))
        files = [
            (f"{name}_pymatgen_sym.cif", "cif", sym),
            (f"{name}_pymatgen_p1.cif", "cif", str(CifWriter(s))),
            (f"{name}_symbol_only.cif", "cif", symbol_only(sym)),
            (f"{name}_symbol_only_esd.cif", "cif", with_uncertainties(symbol_only(sym))),
        ]
        atoms = AseAtomsAdaptor.get_atoms(s)
        for fmt, ase_fmt, ext in [("cif", "cif", "cif"), ("extxyz", "extxyz", "xyz"), ("poscar", "vasp", "vasp")]:
            if ase_fmt == "cif":  # ASE's CIF writer wants a binary file
                buf = io.BytesIO()
                ase.io.write(buf, atoms, format=ase_fmt)
                text = buf.getvalue().decode()
            else:
                buf = io.StringIO()
                ase.io.write(buf, atoms, format=ase_fmt)
                text = buf.getvalue()
            files.append((f"{name}_ase.{ext}", fmt, text))
        if prev is not None:
            files.append((f"{name}_two_blocks.cif", "cif", prev[0] + "\n" + files[1][2]))
            files.append((f"{name}_two_frames.xyz", "extxyz", prev[1] + files[5][2]))
        prev = (files[1][2], files[5][2])
        for fname, fmt, text in files:
            try:
                expected = [describe(x) for x in read_pymatgen(text, fmt)]
            except Exception as e:  # noqa: BLE001
                print(f"{fname}: pymatgen fails: {e}", file=sys.stderr)
                continue
            try:
                by_ase = [describe(x) for x in read_ase(text, fmt)]
                agrees = len(by_ase) == len(expected) and all(same(a, b) for a, b in zip(by_ase, expected))
            except Exception:  # noqa: BLE001
                agrees = None
            for e in expected:
                e["ase_agrees"] = agrees
            entries.append({"name": fname, "format": fmt, "text": text, "expected": expected})
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with gzip.open(args.out, "wt") as f:
        for e in entries:
            f.write(json.dumps(e) + "\n")
    n_ase = sum(1 for e in entries if e["expected"][0]["ase_agrees"])
    print(f"{len(entries)} files ({n_ase} where ASE agrees with pymatgen) -> {args.out}")


if __name__ == "__main__":
    main()
