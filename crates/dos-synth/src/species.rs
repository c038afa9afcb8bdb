//! Per-element parameters of the physics models, from [`dos_data::elements::Element`].

use dos_data::elements::Element;
use dos_data::graph::{neighbor_list, NeighborList};
use dos_data::Crystal;
use dos_data::{DataError, Result};

/// Covalent radius used when the element table has none (Z > 96), in Angstrom.
pub const DEFAULT_COVALENT_RADIUS: f64 = 1.5;
/// Pauling electronegativity used when the element table has none (noble gases, some heavy
/// elements).
pub const DEFAULT_ELECTRONEGATIVITY: f64 = 1.5;

/// The element properties the spring and tight-binding models use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Species {
    /// Atomic number Z.
    pub z: u8,
    /// Atomic mass in amu.
    pub mass: f64,
    /// Single-bond covalent radius in Angstrom ([`DEFAULT_COVALENT_RADIUS`] when unknown).
    pub covalent_radius: f64,
    /// Pauling electronegativity ([`DEFAULT_ELECTRONEGATIVITY`] when unknown).
    pub electronegativity: f64,
    /// Valence electrons (see [`Element::valence_electrons`]).
    pub valence_electrons: u8,
    /// Filled fraction of the valence shell, `min(valence / capacity, 1)`, with capacity 2 for
    /// H and He, 8 for the s and p blocks, 18 for the d block (groups 3-12) and 32 for the f
    /// block (no group).
    pub shell_filling: f64,
}

impl Species {
    /// Parameters of element `z`.
    ///
    /// # Errors
    /// [`DataError::Invalid`] when `z` is outside 1..=118.
    pub fn from_z(z: u8) -> Result<Self> {
        let e = Element::from_z(z).ok_or_else(|| DataError::Invalid {
            field: "atomic number".into(),
            message: format!("{z} outside 1..=118"),
        })?;
        let capacity = match (e.period, e.group) {
            (1, _) => 2.0,
            (_, Some(3..=12)) => 18.0,
            (_, Some(_)) => 8.0,
            (_, None) => 32.0,
        };
        Ok(Self {
            z,
            shell_filling: (f64::from(e.valence_electrons) / capacity).min(1.0),
            mass: e.mass,
            covalent_radius: e.covalent_radius.unwrap_or(DEFAULT_COVALENT_RADIUS),
            electronegativity: e.electronegativity.unwrap_or(DEFAULT_ELECTRONEGATIVITY),
            valence_electrons: e.valence_electrons,
        })
    }

    /// Parameters of every atom of a list of atomic numbers.
    ///
    /// # Errors
    /// As [`Species::from_z`].
    pub fn for_atoms(numbers: &[u8]) -> Result<Vec<Self>> {
        numbers.iter().map(|&z| Self::from_z(z)).collect()
    }
}

/// The species of every atom of `crystal` and its bonded neighbours: all pairs within
/// `cutoff_factor` times twice the largest covalent radius in the cell (the pair list both
/// the spring model and the tight-binding model are built on).
///
/// # Errors
/// An unknown element, or a cutoff the neighbour list rejects.
pub fn bonded_neighbors(
    crystal: &Crystal,
    cutoff_factor: f64,
) -> Result<(Vec<Species>, NeighborList)> {
    let species = Species::for_atoms(crystal.numbers())?;
    let r_max = species
        .iter()
        .map(|s| s.covalent_radius)
        .fold(0.0f64, f64::max);
    let nl = neighbor_list(crystal, 2.0 * r_max * cutoff_factor)?;
    Ok((species, nl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallbacks_and_errors() {
        let ne = Species::from_z(10).unwrap();
        assert_eq!(ne.electronegativity, DEFAULT_ELECTRONEGATIVITY);
        assert_eq!(
            Species::from_z(100).unwrap().covalent_radius,
            DEFAULT_COVALENT_RADIUS
        );
        assert!(Species::from_z(0).is_err() && Species::from_z(119).is_err());
        let filling = |z| Species::from_z(z).unwrap().shell_filling;
        // H 1/2, Na 1/8, O 6/8, Cl 7/8, Fe 8/18, Ar full.
        assert_eq!(
            [filling(1), filling(11), filling(8), filling(17)],
            [0.5, 0.125, 0.75, 0.875]
        );
        assert_eq!([filling(26), filling(18)], [8.0 / 18.0, 1.0]);
    }
}
