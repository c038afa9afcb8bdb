"""dos_rs: density-of-states prediction for crystals (DOSTransformer, in Rust), from Python.

>>> import dos_rs
>>> from ase.build import bulk
>>> predictor = dos_rs.Predictor.load()          # the bundled phonon model
>>> [p] = predictor.predict([bulk("Si", "diamond", a=5.43)])
>>> p.energies.shape, p.unit, p.crystal_system
((51,), 'cm^-1', 'cubic')

Structures may be ASE ``Atoms``, pymatgen ``Structure`` objects, file paths (CIF, POSCAR,
pymatgen JSON) or dicts (``lattice``, ``numbers``, ``positions`` in Angstrom), mixed in one list.
Errors raise ``ValueError`` (bad input), ``OSError`` (files) or ``RuntimeError`` (model), with
the messages the ``dos`` command line prints.
"""

from __future__ import annotations

import errno
import json
import os
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np

from . import _native
from ._prediction import Estimate, PhononProperties, Prediction
from ._structures import _jsonable, to_input

__all__ = [
    "Estimate",
    "PhononProperties",
    "Prediction",
    "Predictor",
    "metrics",
    "process_electron_dos",
    "read_structure",
    "__version__",
]

__version__: str = _native.__version__


class Predictor:
    """A model package loaded onto a device: an ensemble whose members are averaged, with a
    calibrated spread. Load with :meth:`Predictor.load`."""

    def __init__(self, native: Any):
        self._native = native

    @classmethod
    def load(cls, path: Optional[Union[str, os.PathLike]] = None, device: str = "cpu") -> "Predictor":
        """Loads a model package folder (or a ``dos train`` run folder); ``None`` loads the
        bundled phonon DOSTransformer ensemble. ``device`` is ``"cpu"``, or ``"cuda"`` /
        ``"cuda:N"`` in a build with the ``cuda`` feature."""
        if path is not None and not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, "no such model package folder", os.fspath(path))
        return cls(_native.Predictor.load(None if path is None else os.fspath(path), device))

    @property
    def source(self) -> str:
        """The package folder, or ``bundled <name>`` for the bundled model."""
        return self._native.source

    @property
    def n_members(self) -> int:
        """Number of ensemble members."""
        return self._native.n_members

    @property
    def manifest(self) -> dict:
        """The package manifest (``package.json``): grid, featurisation, calibration, provenance."""
        return json.loads(self._native.manifest_json())

    def predict(
        self,
        structures: Union[Any, Sequence[Any]],
        temperature: float = 300.0,
        batch_size: int = 32,
        ids: Optional[Sequence[str]] = None,
        errors: str = "raise",
    ) -> list:
        """Predicts the DOS of ``structures`` (one structure or a list), with the phonon
        properties at ``temperature`` K. Returns one :class:`Prediction` per structure, in
        order. ``ids`` names them (default: the file name for paths, the list index otherwise).
        ``errors="raise"`` raises the first bad structure's exception after all others ran;
        ``errors="return"`` puts the exception in its place in the list instead. The GIL is
        released while the models run."""
        if errors not in ("raise", "return"):
            raise ValueError(f"errors must be 'raise' or 'return', not {errors!r}")
        if isinstance(structures, (str, os.PathLike, dict)) or not isinstance(structures, Iterable) \
                or _is_structure_object(structures):
            structures = [structures]
        structures = list(structures)
        if ids is not None and len(ids) != len(structures):
            raise ValueError(f"ids has {len(ids)} entries for {len(structures)} structures")
        inputs = []
        for k, s in enumerate(structures):
            given = None if ids is None else str(ids[k])
            is_path = isinstance(s, (str, os.PathLike))
            label = given or (os.path.basename(os.fspath(s)) if is_path else str(k))
            inputs.append((given if (given or is_path) else str(k), to_input(s, label)))
        out = self._native.predict(inputs, float(temperature), int(batch_size))
        results = [r if isinstance(r, BaseException) else Prediction._from_native(r) for r in out]
        if errors == "raise":
            for r in results:
                if isinstance(r, BaseException):
                    raise r
        return results


def _is_structure_object(obj: Any) -> bool:
    return hasattr(obj, "get_atomic_numbers") or hasattr(obj, "cart_coords")


def read_structure(path: Union[str, os.PathLike]) -> dict:
    """Reads a CIF (with operations or only a space-group symbol/number), POSCAR, pymatgen JSON
    or extended XYZ file (``.gz`` too; one structure) into a dict: ``lattice`` (3, 3),
    ``numbers`` (N,), ``positions`` (N, 3) Cartesian Angstrom, ``formula``."""
    return _native.read_structure(os.fspath(path))


def process_electron_dos(
    doc: Union[dict, str, os.PathLike],
    gap_tol: float = 0.001,
    abs_tol: bool = False,
    magnetic_tol: float = _native.DEFAULT_MAGNETIC_TOL,
) -> dict:
    """The paper's electron-DOS preparation of a pymatgen ``Dos`` / ``CompleteDos`` document
    (``as_dict()``, or a JSON file): 201 points on -5..5 eV around the Fermi level,
    Savitzky-Golay 17/1, clamp, min-max. Returns ``grid`` and ``dos`` (numpy), ``efermi``,
    ``band_gap``, ``cbm``, ``vbm`` (eV), ``net_moment`` (muB per cell) and ``magnetic``, as
    ``dos data edos --format json``. ``gap_tol`` is relative to the mean DOS unless ``abs_tol``."""
    if isinstance(doc, (str, os.PathLike)):
        return _native.process_electron_dos_file(os.fspath(doc), gap_tol, abs_tol, magnetic_tol)
    if hasattr(doc, "as_dict"):
        doc = doc.as_dict()
    text = json.dumps(doc, default=_jsonable)
    return _native.process_electron_dos_json(text, "<dict>", gap_tol, abs_tol, magnetic_tol)


def metrics(pred: Any, target: Any) -> dict:
    """The paper's errors of ``pred`` against ``target``: (M,) for one crystal or (B, M) for B.
    Per-crystal MSE, MAE, RMSE and R^2 averaged over crystals, plus ``mse_x10`` (the paper's
    "MSE") and ``n_crystals``."""
    p = np.atleast_2d(np.asarray(pred, dtype=np.float64))
    t = np.atleast_2d(np.asarray(target, dtype=np.float64))
    if p.ndim != 2 or t.ndim != 2:
        raise ValueError(f"pred and target must be 1-D or 2-D, got {p.ndim}-D and {t.ndim}-D")
    return _native.metrics(np.ascontiguousarray(p), np.ascontiguousarray(t))
