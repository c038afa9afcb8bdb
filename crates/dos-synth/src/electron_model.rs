//! The choice of electron tight-binding model for generated electron DOS data.

use crate::slater_koster::SlaterKosterConfig;
use crate::tight_binding::{TightBindingConfig, TightBindingDos};
use dos_config::{Check, CheckFields, Checked};
use dos_data::Crystal;
use dos_data::{DataError, Result};

/// Which tight-binding model computes an electron DOS, with its settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum ElectronModel {
    /// One s orbital per atom ([`crate::tight_binding`]).
    S(TightBindingConfig),
    /// s and p orbitals per atom, Harrison's parameters ([`crate::slater_koster`]).
    Sp3(SlaterKosterConfig),
}

impl Default for ElectronModel {
    /// The sp3 model with its default settings.
    fn default() -> Self {
        Self::Sp3(SlaterKosterConfig::default())
    }
}

impl CheckFields for ElectronModel {
    type Error = DataError;

    /// Checks the chosen model's settings.
    fn check_fields(&self) -> Result<()> {
        match self {
            Self::S(c) => c.check().map(|_| ()),
            Self::Sp3(c) => c.check().map(|_| ()),
        }
    }
}

/// Electron DOS, Fermi level and gap of `crystal` under the chosen model.
///
/// # Errors
/// As the chosen model's `electron_dos`.
pub fn electron_dos(model: &Checked<ElectronModel>, crystal: &Crystal) -> Result<TightBindingDos> {
    match model.get() {
        ElectronModel::S(c) => crate::tight_binding::electron_dos(crystal, &c.check()?),
        ElectronModel::Sp3(c) => crate::slater_koster::electron_dos(crystal, &c.check()?),
    }
}
