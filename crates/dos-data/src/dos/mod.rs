//! Electron densities of states: Materials Project documents and the paper's processing.
//!
//! - [`document`]: [`ElectronDosDocument`], read from pymatgen `Dos.as_dict()` /
//!   `CompleteDos.as_dict()` JSON ([`read_dos_document`]).
//! - [`savgol`]: the Savitzky-Golay filter with scipy's `mode="interp"` edges.
//! - [`pipeline`]: [`ElectronDosPipeline`], document -> 201-point target on -5..5 eV around the
//!   Fermi level (paper appendix A.2, made exact).
//! - [`mod@band_gap`]: pymatgen's `Dos.get_gap` / `get_cbm_vbm` on a raw document.
//! - [`summary`]: [`EdosSummary`], what `dos data edos` prints.
//! - [`electron_dataset`]: [`ElectronDataset`], many documents -> crystals + targets, magnetic ones dropped.

pub mod band_gap;
pub mod document;
pub mod electron_dataset;
pub mod pipeline;
pub mod savgol;
pub mod summary;

pub use band_gap::{band_edges, band_gap, BandEdges, GapOptions, SpinSelection};
pub use document::{read_dos_document, ElectronDosDocument};
pub use electron_dataset::{
    entries_in_dir, load_entry_structure, ElectronDataset, ElectronDatasetBuilder, ElectronEntry,
};
pub use pipeline::{CheckedElectronDosPipeline, ElectronDosPipeline};
pub use savgol::savgol_filter_interp;
pub use summary::{summarize_document, summarize_paper, EdosSummary, DEFAULT_MAGNETIC_TOL};
