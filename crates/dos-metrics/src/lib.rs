//! # dos-metrics
//!
//! How good is a predicted density of states, and what follows from one.
//!
//! - [`accuracy`]: per-crystal MSE, MAE, RMSE and R^2 over the grid, averaged over crystals (the
//!   paper's protocol), [`MetricSummary`] (with [`MetricSummary::mse_x10`], the number the
//!   paper's tables print), breakdowns by group (crystal system, number of species).
//! - [`phonon`]: harmonic heat capacity, entropy, free energy, zero-point energy and mean
//!   frequency from a phonon DOS in cm^-1 ([`PhononDos`]).
//! - [`electron`]: band edges and gap around the Fermi level, electron count and Fermi level
//!   from an electron DOS on a grid.
//! - [`property_model`]: the paper's property protocol, an MLP trained on true DOS -> property
//!   and fed predicted DOS ([`PropertyRegressor`]).
//!
//! All errors are [`MetricsError`].
//!
//! ```
//! use dos_metrics::evaluate;
//! let pred = vec![vec![0.1, 0.4, 0.35, 0.8], vec![0.5, 0.5, 0.6, 0.2]];
//! let target = vec![vec![0.0, 0.5, 0.3, 1.0], vec![0.4, 0.7, 0.6, 0.1]];
//! let s = evaluate(&pred, &target)?;
//! assert_eq!(s.n_crystals, 2);
//! println!("MSE x10 {:.3}  MAE {:.3}  R2 {:.3}", s.mse_x10(), s.mae, s.r2);
//! # Ok::<(), dos_metrics::MetricsError>(())
//! ```

pub mod accuracy;
pub mod electron;
pub mod electron_properties;
pub mod error;
pub mod phonon;
pub mod phonon_property_errors;
pub mod property_model;

pub use accuracy::{
    crystal_errors, evaluate, evaluate_grouped, evaluate_tensors, per_crystal_errors,
    CrystalErrors, MetricSummary,
};
pub use electron::{band_edges, electron_count, fermi_level, GridBandEdges, Smearing};
pub use electron_properties::{predicted_electron_properties, DosElectronProperties};
pub use error::{MetricsError, Result};
pub use phonon::{PhononDos, ThermalProperties};
pub use phonon_property_errors::{
    phonon_property_errors, GroupedPhononPropertyErrors, PhononPropertyErrors,
};
pub use property_model::{scalar_errors, PropertyRegressor, PropertyRegressorConfig, ScalarErrors};
