"""Module functions: metrics against numpy, the electron pipeline's errors."""

import numpy as np
import pytest

import dos_rs


def reference_metrics(p, t):
    mse = ((p - t) ** 2).mean(axis=1)
    mae = np.abs(p - t).mean(axis=1)
    r2 = 1 - ((t - p) ** 2).sum(axis=1) / ((t - t.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    return mse.mean(), mae.mean(), np.sqrt(mse).mean(), r2.mean()


def test_metrics_equal_the_numpy_formulas():
    rng = np.random.default_rng(0)
    t = rng.random((7, 51))
    p = t + 0.1 * rng.standard_normal((7, 51))
    m = dos_rs.metrics(p, t)
    mse, mae, rmse, r2 = reference_metrics(p, t)
    assert m["n_crystals"] == 7
    assert (m["mse"], m["mae"], m["rmse"], m["r2"]) == pytest.approx((mse, mae, rmse, r2), rel=1e-12)
    assert m["mse_x10"] == pytest.approx(10 * mse, rel=1e-12)
    one = dos_rs.metrics(p[0], t[0])
    assert one["n_crystals"] == 1 and one["mae"] == pytest.approx(np.abs(p[0] - t[0]).mean())


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        dos_rs.metrics(np.zeros((2, 5)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        dos_rs.metrics(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))


def test_electron_document_errors_name_the_field(tmp_path):
    with pytest.raises(ValueError, match="energies"):
        dos_rs.process_electron_dos({"efermi": 0.0, "energies": [0.0], "densities": {"1": [1.0]}})
    with pytest.raises(OSError, match="missing.json"):
        dos_rs.process_electron_dos(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        dos_rs.process_electron_dos(bad)
