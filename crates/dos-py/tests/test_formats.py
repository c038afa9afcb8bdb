"""Structure files as other tools write them reach Python too: ASE's extended XYZ and a CIF
that gives only its space group read and predict like the same crystal written as a full CIF."""

import numpy as np
from ase.build import bulk

import dos_rs

SI_SYMBOL_ONLY_CIF = """data_Si
_symmetry_space_group_name_H-M 'F d -3 m'
_symmetry_Int_Tables_number 227
_cell_length_a 5.431
_cell_length_b 5.431
_cell_length_c 5.431
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Si1 Si 0 0 0
"""


def test_extxyz_reads_and_predicts_as_the_ase_atoms(tmp_path, predictor):
    from ase.io import write

    atoms = bulk("NaCl", "rocksalt", a=5.64)
    path = tmp_path / "nacl.xyz"
    write(path, atoms, format="extxyz")
    d = dos_rs.read_structure(str(path))
    assert d["formula"] == "NaCl"
    assert sorted(d["numbers"].tolist()) == sorted(atoms.get_atomic_numbers().tolist())
    np.testing.assert_allclose(np.abs(d["lattice"]), np.abs(atoms.cell.array), atol=1e-8)
    [from_file] = predictor.predict([str(path)])
    [from_atoms] = predictor.predict([atoms])
    np.testing.assert_allclose(from_file.mean, from_atoms.mean, atol=1e-6)


def test_symbol_only_cif_expands_to_eight_silicon_atoms(tmp_path, predictor):
    path = tmp_path / "si.cif"
    path.write_text(SI_SYMBOL_ONLY_CIF)
    d = dos_rs.read_structure(str(path))
    assert d["formula"] == "Si" and len(d["numbers"]) == 8
    [p] = predictor.predict([str(path)])
    assert p.space_group == 227 and p.crystal_system == "cubic"
