//! # dos-predict
//!
//! Trained models as self-describing packages, and one call from a structure to its density of
//! states with an error bar:
//! - [`ModelPackage`] / [`PackageManifest`]: a folder with `package.json` (format version,
//!   task, featurisation and cutoff, symmetry tolerance, energy grid and unit, target scale,
//!   calibration, provenance) and one safetensors file per ensemble member; validated on load,
//!   written atomically;
//! - [`Predictor`]: a package on a device; predicts [`Crystal`](dos_data::Crystal)s, structure
//!   files or many structures in batches, each giving a [`Prediction`] (ensemble mean,
//!   calibrated standard deviation, crystal system, phonon properties);
//! - [`calibration`]: the one scale factor that makes `mean +- 1.645 std` a 90 % interval;
//! - [`bundled`]: the pretrained phonon DOSTransformer ensemble compiled into the crate.
//!
//! From `cargo add dos-predict dos-data candle-core` to a prediction with an error bar:
//!
//! ```
//! let predictor = dos_predict::Predictor::bundled(&candle_core::Device::Cpu)?;
//! let nacl = dos_data::io::cif::parse_cif(dos_predict::bundled::EXAMPLE_CIF, "NaCl.cif".as_ref())?;
//! let p = predictor.predict_one("NaCl", nacl, &Default::default())?;
//! assert_eq!((p.energies.len(), p.members, p.crystal_system_name()), (51, 4, "cubic"));
//! assert!(p.std.is_some() && p.properties.is_some()); // calibrated spread, Cv, S, F, ZPE
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! (`predictor.predict_file("NaCl.cif")` reads a CIF, POSCAR or pymatgen JSON file.)
//!

pub mod bundled;
pub mod calibration;
pub mod energy_grid;
pub mod error;
pub mod manifest;
pub mod package;
pub mod prediction;
pub mod predictor;
pub mod properties;
pub mod weight_storage;

pub use calibration::Calibration;
pub use energy_grid::{EnergyGrid, EnergyUnit};
pub use error::{PredictError, Result};
pub use manifest::{
    MemberManifest, MemberProvenance, PackageManifest, Provenance, SplitScore, SymmetrySettings,
    TargetScale, FORMAT_VERSION,
};
pub use package::ModelPackage;
pub use prediction::Prediction;
pub use predictor::{PredictOptions, Predictor, PreparedStructure};
pub use properties::{Estimate, PhononProperties};
pub use weight_storage::WeightStorage;

/// SHA-256 of a byte string as 64 lowercase hex digits (data provenance).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
