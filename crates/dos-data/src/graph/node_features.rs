//! Node (atom) featurisers: [`NodeFeaturizer`], [`MassOneHot`] and [`ElementProperties`].

use crate::crystal::Crystal;
use crate::elements::Element;

/// Largest atomic number; node one-hots are this wide.
pub const N_ELEMENTS: usize = 118;

/// Maps each atom of a crystal to a fixed-width feature vector.
///
/// # Shapes
/// `features(crystal)`: (n_atoms * dim,), row-major (atom-major).
pub trait NodeFeaturizer: Send + Sync + std::fmt::Debug {
    /// Feature width F.
    fn dim(&self) -> usize;
    /// Features of every atom, row-major (n_atoms, F).
    fn features(&self, crystal: &Crystal) -> Vec<f64>;
}

/// Features from a per-element table: atom `a` gets row `Z_a - 1`.
fn table_lookup(table: &[f64], dim: usize, crystal: &Crystal) -> Vec<f64> {
    let mut out = Vec::with_capacity(crystal.n_atoms() * dim);
    for &z in crystal.numbers() {
        // Crystal guarantees 1 <= Z <= 118.
        let row = usize::from(z) - 1;
        out.extend_from_slice(&table[row * dim..(row + 1) * dim]);
    }
    out
}

/// The phonon model's node feature as released: a 118-wide vector that is zero except for the
/// atomic mass (amu) at slot `Z - 1`.
///
/// `x_a[k] = m(Z_a) · [k = Z_a - 1]`, F = 118.
#[derive(Debug, Clone)]
pub struct MassOneHot {
    table: Vec<f64>,
}

impl MassOneHot {
    /// Build the per-element table (masses from [`Element`]).
    pub fn new() -> Self {
        let mut table = vec![0.0; N_ELEMENTS * N_ELEMENTS];
        for z in 1..=N_ELEMENTS {
            let mass = Element::from_z(z as u8).map_or(0.0, |e| e.mass);
            table[(z - 1) * N_ELEMENTS + (z - 1)] = mass;
        }
        Self { table }
    }
}

impl Default for MassOneHot {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeFeaturizer for MassOneHot {
    fn dim(&self) -> usize {
        N_ELEMENTS
    }

    fn features(&self, crystal: &Crystal) -> Vec<f64> {
        table_lookup(&self.table, N_ELEMENTS, crystal)
    }
}

/// Element-property node features (a documented stand-in for the released 200-d learned
/// element embeddings of the electron model). F = [`ElementProperties::DIM`] = 33:
///
/// | slots | feature | normalisation |
/// |---|---|---|
/// | 0 | atomic number Z | Z / 118 |
/// | 1 | atomic mass | m / max m over Z = 1..=118 |
/// | 2, 3 | Pauling electronegativity, missing flag | χ / 4.0 (χ ≤ 3.98 for F); 0 and flag 1 when none |
/// | 4, 5 | covalent radius (Cordero 2008), missing flag | r / 3.0 A; 0 and flag 1 when none |
/// | 6 | valence electrons | n / 18 |
/// | 7..=25 | group one-hot | slots 7..=24 for groups 1..=18, slot 25 for none (f block) |
/// | 26..=32 | period one-hot | periods 1..=7 |
///
/// Every entry lies in [0, 1]. Properties come from [`Element`]; when a property is not
/// tabulated for an element the value is 0 and its missing flag is 1.
#[derive(Debug, Clone)]
pub struct ElementProperties {
    table: Vec<f64>,
}

impl ElementProperties {
    /// Feature width.
    pub const DIM: usize = 33;

    /// Build the per-element table.
    pub fn new() -> Self {
        let max_mass = (1..=N_ELEMENTS as u8)
            .filter_map(Element::from_z)
            .map(|e| e.mass)
            .fold(0.0, f64::max)
            .max(1.0);
        let mut table = vec![0.0; N_ELEMENTS * Self::DIM];
        for z in 1..=N_ELEMENTS as u8 {
            let row = &mut table[(usize::from(z) - 1) * Self::DIM..usize::from(z) * Self::DIM];
            row[0] = f64::from(z) / N_ELEMENTS as f64;
            let Some(e) = Element::from_z(z) else {
                continue;
            };
            row[1] = e.mass / max_mass;
            match e.electronegativity {
                Some(x) => row[2] = (x / 4.0).clamp(0.0, 1.0),
                None => row[3] = 1.0,
            }
            match e.covalent_radius {
                Some(r) => row[4] = (r / 3.0).clamp(0.0, 1.0),
                None => row[5] = 1.0,
            }
            row[6] = (f64::from(e.valence_electrons) / 18.0).clamp(0.0, 1.0);
            match e.group {
                Some(g @ 1..=18) => row[7 + usize::from(g) - 1] = 1.0,
                _ => row[25] = 1.0,
            }
            let period = usize::from(e.period.clamp(1, 7));
            row[26 + period - 1] = 1.0;
        }
        Self { table }
    }
}

impl Default for ElementProperties {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeFeaturizer for ElementProperties {
    fn dim(&self) -> usize {
        Self::DIM
    }

    fn features(&self, crystal: &Crystal) -> Vec<f64> {
        table_lookup(&self.table, Self::DIM, crystal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bate() -> Crystal {
        let l = [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]];
        Crystal::from_fractional(l, vec![56, 52], &[[0.0; 3], [0.5, 0.5, 0.5]]).unwrap()
    }

    #[test]
    fn mass_one_hot_puts_the_mass_at_slot_z_minus_1() {
        let f = MassOneHot::new();
        let x = f.features(&bate());
        assert_eq!(f.dim(), 118);
        assert_eq!(x.len(), 2 * 118);
        // IUPAC standard atomic weights: Ba 137.327, Te 127.60
        assert!((x[55] - 137.327).abs() < 1e-3, "{}", x[55]);
        assert!((x[118 + 51] - 127.60).abs() < 1e-2, "{}", x[118 + 51]);
        assert_eq!(x.iter().filter(|v| **v != 0.0).count(), 2);
    }

    #[test]
    fn element_properties_are_bounded_and_one_hot() {
        let f = ElementProperties::new();
        for z in 1..=118u8 {
            let l = [[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]];
            let c = Crystal::new(l, vec![z], vec![[0.0; 3]]).unwrap();
            let x = f.features(&c);
            assert_eq!(x.len(), ElementProperties::DIM);
            assert!(x.iter().all(|v| (0.0..=1.0).contains(v)), "Z={z}: {x:?}");
            assert_eq!(x[7..26].iter().sum::<f64>(), 1.0, "group one-hot, Z={z}");
            assert_eq!(x[26..33].iter().sum::<f64>(), 1.0, "period one-hot, Z={z}");
            assert!((x[0] - f64::from(z) / 118.0).abs() < 1e-15);
        }
        // Oxygen: group 16, period 2, Pauling 3.44, covalent radius 0.66 A, 6 valence electrons
        let l = [[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]];
        let x = f.features(&Crystal::new(l, vec![8], vec![[0.0; 3]]).unwrap());
        assert_eq!(x[7 + 15], 1.0);
        assert_eq!(x[27], 1.0);
        assert!((x[2] - 3.44 / 4.0).abs() < 1e-6 && x[3] == 0.0);
        assert!((x[4] - 0.66 / 3.0).abs() < 1e-9 && x[5] == 0.0);
        assert!((x[6] - 6.0 / 18.0).abs() < 1e-12);
    }
}
