"""The result of a prediction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional

import numpy as np

Z_90 = 1.6448536269514722
"""Standard-normal quantile of the two-sided 90 % interval."""


class Estimate(NamedTuple):
    """A property's ensemble mean and its member spread (``None`` for a single model)."""

    mean: float
    std: Optional[float]


@dataclass(frozen=True)
class PhononProperties:
    """Harmonic phonon properties at ``temperature_k``: heat capacity and entropy per mole of
    atoms, free and zero-point energy per atom."""

    temperature_k: float
    heat_capacity_j_per_mol_k: Estimate
    entropy_j_per_mol_k: Estimate
    free_energy_ev_per_atom: Estimate
    zero_point_energy_ev_per_atom: Estimate


@dataclass(frozen=True)
class Prediction:
    """The predicted DOS of one structure.

    ``energies``, ``mean`` and ``std`` have one entry per grid point (51 points, 0-1000 cm^-1,
    for the bundled phonon model); ``mean`` is on the package's target scale (maximum 1 for
    phonons); ``std`` is calibrated so that ``mean +- 1.645 std`` is the 90 % interval
    (``None`` for a single model).
    """

    id: str
    formula: str
    n_atoms: int
    space_group: Optional[int]
    crystal_system: str
    energies: np.ndarray
    unit: str
    mean: np.ndarray
    std: Optional[np.ndarray]
    std_calibrated: bool
    members: int
    properties: Optional[PhononProperties]
    notes: list = field(default_factory=list)
    _phonon_dos_thz: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def _from_native(cls, d: dict) -> "Prediction":
        props = d["properties"]
        if props is not None:
            props = PhononProperties(
                temperature_k=props["temperature_k"],
                **{k: Estimate(*v) for k, v in props.items() if k != "temperature_k"},
            )
        return cls(
            id=d["id"],
            formula=d["formula"],
            n_atoms=d["n_atoms"],
            space_group=d["space_group"],
            crystal_system=d["crystal_system"],
            energies=d["energies"],
            unit=d["unit"],
            mean=d["mean"],
            std=d["std"],
            std_calibrated=d["std_calibrated"],
            members=d["members"],
            properties=props,
            notes=list(d["notes"]),
            _phonon_dos_thz=d.get("phonon_dos_thz"),
        )

    def interval_90(self) -> Optional[tuple]:
        """``(lower, upper)`` of the 90 % interval ``mean -+ 1.645 std``, or ``None``."""
        if self.std is None:
            return None
        return self.mean - Z_90 * self.std, self.mean + Z_90 * self.std

    def to_dict(self) -> dict:
        """Plain types (lists, floats), e.g. for JSON: the fields of ``dos predict --format json``."""
        d = {
            "id": self.id,
            "formula": self.formula,
            "n_atoms": self.n_atoms,
            "space_group": self.space_group,
            "crystal_system": self.crystal_system,
            "notes": list(self.notes),
            "energies": self.energies.tolist(),
            "energy_unit": self.unit,
            "mean": self.mean.tolist(),
            "std": None if self.std is None else self.std.tolist(),
            "std_calibrated": self.std_calibrated,
            "members": self.members,
        }
        if self.properties is not None:
            p = self.properties
            d["properties"] = {"temperature_k": p.temperature_k}
            for name in ("heat_capacity_j_per_mol_k", "entropy_j_per_mol_k", "free_energy_ev_per_atom",
                         "zero_point_energy_ev_per_atom"):
                e = getattr(p, name)
                d["properties"][name] = {"mean": e.mean, "std": e.std}
        return d

    def to_pymatgen(self):
        """The mean as a pymatgen ``PhononDos``: frequencies in THz, densities in modes per THz
        per cell normalised to 3N (what ``dos predict --format pymatgen`` writes). Needs pymatgen
        (imported here, not a dependency of dos_rs); phonon predictions only."""
        if self._phonon_dos_thz is None:
            raise ValueError(f"{self.id}: to_pymatgen() needs a phonon prediction (unit cm^-1), this one is in {self.unit}")
        try:
            from pymatgen.phonon.dos import PhononDos
        except ImportError as e:
            raise ImportError("Prediction.to_pymatgen() needs pymatgen: pip install pymatgen") from e
        freqs, dens = self._phonon_dos_thz
        return PhononDos(freqs, dens)
