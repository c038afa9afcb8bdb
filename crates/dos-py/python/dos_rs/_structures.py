"""Turning the structures users hold into what the Rust extension reads."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np


def _arrays(lattice: Any, numbers: Any, positions: Any) -> dict:
    """The dict of arrays the extension reads; shapes and values are checked in Rust."""
    try:
        return {
            "lattice": np.ascontiguousarray(lattice, dtype=np.float64),
            "numbers": np.ascontiguousarray(numbers, dtype=np.int64),
            "positions": np.ascontiguousarray(positions, dtype=np.float64),
        }
    except (TypeError, ValueError) as e:
        raise ValueError(f"arrays could not be read as numbers: {e}") from None


def _is_ase_atoms(obj: Any) -> bool:
    return hasattr(obj, "get_atomic_numbers") and hasattr(obj, "get_positions") and hasattr(obj, "cell")


def _is_pymatgen_structure(obj: Any) -> bool:
    return hasattr(obj, "lattice") and hasattr(obj, "cart_coords") and hasattr(obj, "sites")


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"{type(x).__name__} is not JSON serialisable")


def to_input(obj: Any, label: str) -> Any:
    """One structure as the extension takes it: a path string, or a dict.

    Accepts a file path (``str`` or ``os.PathLike``), an ASE ``Atoms`` (periodic in all three
    directions), a pymatgen ``Structure`` (ordered), or a dict: ``lattice`` (or ``cell``),
    ``numbers`` (atomic numbers) and ``positions`` (Cartesian, Angstrom), or a pymatgen
    ``Structure.as_dict()`` (with ``sites``).
    """
    if isinstance(obj, (str, os.PathLike)):
        return os.fspath(obj)
    if _is_ase_atoms(obj):
        pbc = np.asarray(obj.pbc, dtype=bool)
        if not pbc.all():
            raise ValueError(
                f"structure {label}: ASE Atoms must be periodic in all three directions (pbc={pbc.tolist()})"
            )
        return _arrays(np.asarray(obj.cell[:]), obj.get_atomic_numbers(), obj.get_positions())
    if _is_pymatgen_structure(obj):
        if not getattr(obj, "is_ordered", True):
            raise ValueError(f"structure {label}: a disordered pymatgen Structure (partial occupancies) is not supported")
        numbers = [site.specie.Z for site in obj.sites]
        return _arrays(obj.lattice.matrix, numbers, obj.cart_coords)
    if isinstance(obj, Mapping):
        if "sites" in obj:
            return {"pymatgen_json": json.dumps(obj, default=_jsonable)}
        lattice = obj.get("lattice", obj.get("cell"))
        missing = [k for k, v in (("lattice", lattice), ("numbers", obj.get("numbers")), ("positions", obj.get("positions"))) if v is None]
        if missing:
            raise ValueError(f"structure {label}: dict is missing {', '.join(repr(m) for m in missing)}")
        try:
            return _arrays(lattice, obj["numbers"], obj["positions"])
        except ValueError as e:
            raise ValueError(f"structure {label}: {e}") from None
    raise TypeError(
        f"structure {label}: expected a path, an ASE Atoms, a pymatgen Structure or a dict, got {type(obj).__name__}"
    )
