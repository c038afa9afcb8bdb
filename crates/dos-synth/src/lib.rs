//! dos-synth: physics-generated density-of-states data, so that everything runs offline.
//!
//! - [`random_crystal`]: seeded random crystals of a requested crystal system (symmetry-orbit
//!   construction, confirmed by [`dos_data::symmetry`]);
//! - [`species`]: per-element model parameters (mass, radius, electronegativity, valence);
//! - [`kgrid`]: Monkhorst-Pack grids with time-reversal folding;
//! - [`smearing`]: Gaussian-smeared densities of states on an arbitrary grid;
//! - [`phonon`]: harmonic Born-von Karman spring model -> phonon DOS in cm^-1;
//! - [`bloch`]: the band energies and k-grid bands every electron model's Bloch Hamiltonian
//!   gives;
//! - [`tight_binding`]: s-orbital tight-binding model -> electron DOS, Fermi level, band gap,
//!   written as a pymatgen `Dos.as_dict()` document;
//! - [`term_values`]: Harrison's atomic s and p term values and s-p valence electron counts;
//! - [`slater_koster`]: sp3 Slater-Koster model with Harrison's universal bond integrals (the
//!   default electron model: semiconductors, ionic insulators and metals);
//! - [`electron_model`]: the choice between the two electron models;
//! - [`generate`]: parallel, deterministic generation of whole datasets (written by
//!   [`dos_data::io`] as the benchmark's phonon CSV or electron JSON lines) and an in-memory
//!   phonon dataset for examples.
//!
//! These are toy models with physically sensible ingredients (bond lengths from covalent radii,
//! stiffness and hopping decaying with distance, masses from element data). They give targets
//! that depend on structure and chemistry in a learnable, reproducible way; they are not a
//! substitute for DFT.

pub mod bloch;
pub mod electron_model;
pub mod generate;
pub mod kgrid;
pub mod phonon;
pub mod random_crystal;
pub mod slater_koster;
pub mod smearing;
pub mod species;
pub mod term_values;
pub mod tight_binding;
