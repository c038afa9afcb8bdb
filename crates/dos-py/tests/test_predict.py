"""Predictions from Python: ASE and pymatgen objects, files and dicts, against the CLI."""

import json

import numpy as np
import pytest
from ase.build import bulk
from conftest import SHIPPED_CIFS, run_cli

import dos_rs

R = 8.314462618  # J/(mol K)


def cli_predictions(dos_cli, paths, *extra):
    rc, out, err = run_cli(dos_cli, "predict", *paths, "--format", "json", *extra)
    assert rc == 0, err
    return {p["id"]: p for p in json.loads(out)}


def test_ase_crystals_predict_a_normalised_phonon_dos_with_an_interval(predictor):
    salt = bulk("NaCl", "rocksalt", a=5.64)
    si = bulk("Si", "diamond", a=5.43)
    preds = predictor.predict([salt, si])
    assert [p.id for p in preds] == ["0", "1"]
    nacl, sil = preds
    assert (nacl.formula, nacl.n_atoms, nacl.space_group, nacl.crystal_system) == ("NaCl", 2, 225, "cubic")
    assert (sil.formula, sil.space_group) == ("Si", 227)
    for p in preds:
        assert p.unit == "cm^-1"
        np.testing.assert_allclose(p.energies, np.arange(51) * 20.0)
        assert p.mean.shape == p.std.shape == (51,)
        assert np.all(np.isfinite(p.mean)) and np.all(p.std >= 0)
        assert p.members == predictor.n_members == 4 and p.std_calibrated
        lo, hi = p.interval_90()
        assert np.all(lo <= p.mean) and np.all(p.mean <= hi)
        cv = p.properties.heat_capacity_j_per_mol_k
        assert 0 < cv.mean < 3 * R * 1.001 and cv.std is not None
        assert p.properties.temperature_k == 300.0


def test_file_predictions_equal_the_cli_to_1e_6(predictor, dos_cli):
    cli = cli_predictions(dos_cli, SHIPPED_CIFS, "--temperature", "500")
    ours = predictor.predict(SHIPPED_CIFS, temperature=500.0)
    assert len(ours) == len(cli) == len(SHIPPED_CIFS)
    for p in ours:
        c = cli[p.id]
        assert (p.formula, p.space_group, p.crystal_system) == (c["formula"], c["space_group"], c["crystal_system"])
        np.testing.assert_allclose(p.mean, c["mean"], atol=1e-6, rtol=0)
        np.testing.assert_allclose(p.std, c["std"], atol=1e-6, rtol=0)
        ours_cv = p.properties.heat_capacity_j_per_mol_k.mean
        assert abs(ours_cv - c["properties"]["heat_capacity_j_per_mol_k"]["mean"]) < 1e-6
        assert p.to_dict()["mean"] == pytest.approx(c["mean"], abs=1e-6)


def test_ase_atoms_read_from_a_cif_equal_the_cli_on_that_cif(predictor, dos_cli):
    from ase.io import read

    cif = SHIPPED_CIFS[2]
    [c] = cli_predictions(dos_cli, [cif]).values()
    [p] = predictor.predict([read(cif)])
    np.testing.assert_allclose(p.mean, c["mean"], atol=1e-6, rtol=0)
    assert p.space_group == c["space_group"] == 136


def test_pymatgen_structures_and_dicts_mix_in_one_call(predictor, dos_cli):
    Structure = pytest.importorskip("pymatgen.core", reason="pymatgen is not installed").Structure
    cif = SHIPPED_CIFS[2]
    [c] = cli_predictions(dos_cli, [cif]).values()
    s = Structure.from_file(cif)
    d = dos_rs.read_structure(cif)
    plain = {"lattice": d["lattice"].tolist(), "numbers": d["numbers"].tolist(), "positions": d["positions"].tolist()}
    preds = predictor.predict([s, cif, plain, s.as_dict(), d], ids=["pmg", "file", "plain", "as_dict", "read"])
    assert [p.id for p in preds] == ["pmg", "file", "plain", "as_dict", "read"]
    for p in preds:
        np.testing.assert_allclose(p.mean, c["mean"], atol=1e-6, rtol=0, err_msg=p.id)


def test_one_structure_need_not_be_in_a_list(predictor):
    [p] = predictor.predict(bulk("Cu", "fcc", a=3.61), temperature=100.0)
    assert p.formula == "Cu" and p.properties.temperature_k == 100.0


def test_read_structure_agrees_with_ase(tmp_path):
    from ase.io import read

    cif = SHIPPED_CIFS[2]
    d = dos_rs.read_structure(cif)
    a = read(cif)
    assert d["formula"] == "TiO2" and d["numbers"].dtype == np.int64
    assert sorted(d["numbers"].tolist()) == sorted(a.get_atomic_numbers().tolist())
    assert abs(abs(np.linalg.det(d["lattice"])) - a.get_volume()) < 1e-6
    np.testing.assert_allclose(np.linalg.norm(d["lattice"], axis=1), a.cell.lengths(), atol=1e-6)


def test_predictor_reports_its_package(predictor):
    m = predictor.manifest
    assert predictor.source.startswith("bundled")
    assert len(m["members"]) == predictor.n_members == 4
    assert dos_rs.__version__.count(".") == 2
