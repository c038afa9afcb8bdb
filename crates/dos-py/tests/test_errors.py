"""Bad input raises a Python exception that names the problem; nothing panics."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

import dos_rs

CUBE = np.eye(3) * 4.0


def test_atoms_on_top_of_each_other_raise_value_error_naming_them(predictor):
    bad = {"lattice": CUBE, "numbers": [11, 17], "positions": [[0, 0, 0], [0.05, 0, 0]]}
    with pytest.raises(ValueError, match=r"bad-one: invalid crystal: atoms 0 and 1 are 0.0500 A apart"):
        predictor.predict([bad], ids=["bad-one"])


@pytest.mark.parametrize(
    "structure, match",
    [
        ({"lattice": np.eye(2), "numbers": [1], "positions": [[0, 0, 0]]}, r"field `lattice`: shape \[2, 2\]"),
        ({"lattice": CUBE, "numbers": [0], "positions": [[0, 0, 0]]}, r"field `numbers\[0\]`: 0 is not an atomic number"),
        ({"lattice": CUBE, "numbers": [1, 1], "positions": [[0, 0, 0]]}, r"field `positions`: shape \[1, 3\], expected \[2, 3\]"),
        ({"lattice": CUBE, "numbers": [], "positions": np.zeros((0, 3))}, r"field `numbers`: 0 atoms"),
        ({"lattice": np.zeros((3, 3)), "numbers": [1], "positions": [[0, 0, 0]]}, r"invalid crystal"),
        ({"lattice": CUBE * np.nan, "numbers": [1], "positions": [[0, 0, 0]]}, r"invalid crystal"),
        ({"lattice": CUBE, "positions": [[0, 0, 0]]}, r"missing 'numbers'"),
        ({"lattice": CUBE, "numbers": ["Na"], "positions": [[0, 0, 0]]}, r"could not be read as numbers"),
        (Atoms("H2", positions=[[0, 0, 0], [0.74, 0, 0]]), r"periodic in all three directions"),
    ],
)
def test_bad_structures_raise_value_error(predictor, structure, match):
    with pytest.raises(ValueError, match=match):
        predictor.predict([structure])


def test_missing_file_raises_os_error_naming_it(predictor, tmp_path):
    missing = tmp_path / "nope.cif"
    with pytest.raises(OSError, match="nope.cif"):
        predictor.predict([missing])


def test_malformed_file_raises_value_error_with_file_and_field(predictor, tmp_path):
    f = tmp_path / "broken.cif"
    f.write_text("data_x\n_cell_length_a 4.0\n_cell_length_b abc\n")
    with pytest.raises(ValueError, match="broken.cif"):
        predictor.predict([f])


def test_errors_return_keeps_the_good_structures(predictor, tmp_path):
    bad = {"lattice": CUBE, "numbers": [0], "positions": [[0, 0, 0]]}
    out = predictor.predict([bulk("Si", "diamond", a=5.43), bad, tmp_path / "nope.cif"], errors="return")
    assert isinstance(out[0], dos_rs.Prediction)
    assert isinstance(out[1], ValueError) and isinstance(out[2], OSError)


def test_wrong_types_and_options(predictor):
    with pytest.raises(TypeError, match="expected a path"):
        predictor.predict([3.5])
    with pytest.raises(ValueError, match="temperature"):
        predictor.predict([bulk("Si", "diamond", a=5.43)], temperature=-1.0)
    with pytest.raises(ValueError, match="batch_size"):
        predictor.predict([bulk("Si", "diamond", a=5.43)], batch_size=0)
    with pytest.raises(ValueError, match="errors must be"):
        predictor.predict([], errors="ignore")
    with pytest.raises(ValueError, match="ids has 1 entries"):
        predictor.predict([bulk("Si"), bulk("Cu")], ids=["a"])


def test_bad_device_and_missing_package():
    with pytest.raises(ValueError, match="device `tpu`"):
        dos_rs.Predictor.load(device="tpu")
    with pytest.raises(FileNotFoundError, match="/nonexistent/package"):
        dos_rs.Predictor.load("/nonexistent/package")


def test_a_folder_that_is_not_a_package_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="not a model package"):
        dos_rs.Predictor.load(tmp_path)
