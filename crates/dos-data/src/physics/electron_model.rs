//! The choice of electron tight-binding model for generated electron DOS data.

use super::slater_koster::SlaterKosterConfig;
use super::tight_binding::{TightBindingConfig, TightBindingDos};
use crate::error::Result;
use crate::Crystal;

/// Which tight-binding model computes an electron DOS, with its settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum ElectronModel {
    /// One s orbital per atom ([`super::tight_binding`]).
    S(TightBindingConfig),
    /// s and p orbitals per atom, Harrison's parameters ([`super::slater_koster`]).
    Sp3(SlaterKosterConfig),
}

impl Default for ElectronModel {
    /// The sp3 model with its default settings.
    fn default() -> Self {
        Self::Sp3(SlaterKosterConfig::default())
    }
}

impl ElectronModel {
    /// Check the settings.
    ///
    /// # Errors
    /// The first field out of range.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::S(c) => c.validate(),
            Self::Sp3(c) => c.validate(),
        }
    }

    /// Electron DOS, Fermi level and gap of `crystal`.
    ///
    /// # Errors
    /// As the chosen model's `electron_dos`.
    pub fn electron_dos(&self, crystal: &Crystal) -> Result<TightBindingDos> {
        match self {
            Self::S(c) => super::tight_binding::electron_dos(crystal, c),
            Self::Sp3(c) => super::slater_koster::electron_dos(crystal, c),
        }
    }
}
