//! [`BlochHamiltonian`]: what an electron model gives once it can build its Bloch matrix at a
//! k-point: the band energies there, and the bands on a k-grid.

use nalgebra::{Complex, DMatrix};

use crate::kgrid::{to_cartesian, MonkhorstPack};

/// A tight-binding model with `N` orbitals, seen through its Bloch Hamiltonian.
pub trait BlochHamiltonian {
    /// The Hermitian Bloch Hamiltonian at Cartesian `k` (1/Å), eV.
    ///
    /// # Shapes
    /// - returns `(N, N)`
    fn hamiltonian(&self, k: &[f64; 3]) -> DMatrix<Complex<f64>>;

    /// Band energies at Cartesian `k`, ascending, eV.
    ///
    /// # Shapes
    /// - returns `(N,)`
    fn eigenvalues(&self, k: &[f64; 3]) -> Vec<f64> {
        let mut e: Vec<f64> = self
            .hamiltonian(k)
            .symmetric_eigenvalues()
            .iter()
            .copied()
            .collect();
        e.sort_by(f64::total_cmp);
        e
    }

    /// Bands on a k-grid: one ascending row of `N` energies per irreducible point, and the
    /// point weights (summing to 1).
    ///
    /// # Shapes
    /// - returns `(P, N)` energies and `(P,)` weights
    fn bands(&self, lattice: &[[f64; 3]; 3], grid: &MonkhorstPack) -> (Vec<Vec<f64>>, Vec<f64>) {
        grid.points()
            .into_iter()
            .map(|(f, w)| (self.eigenvalues(&to_cartesian(lattice, &f)), w))
            .unzip()
    }
}
