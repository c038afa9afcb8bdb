//! [`generated_phonon_dataset`]: a small phonon DOS data set computed on the fly from random
//! crystals with the harmonic spring model of `dos_synth` (no download), for the
//! example, the tests and quick checks.

use dos_data::dataset::{Dataset, RawSample};
use dos_data::graph::GraphConfig;
use dos_data::symmetry::SymmetryConfig;
use dos_synth::generate::{phonon_records, CrystalSource};
use dos_synth::phonon::PhononConfig;
use dos_synth::random_crystal::RandomCrystalConfig;

use crate::error::Result;
use dos_config::Check;

/// `n` random crystals (1 to `max_atoms` atoms, 1 to 3 species, any crystal system) with their
/// spring-model phonon DOS on the benchmark grid (0..=1000 cm^-1, 51 points, max-normalised),
/// graphs per `graph`; deterministic in `seed`.
///
/// # Errors
/// Generation, symmetry or graph errors.
pub fn generated_phonon_dataset(
    n: usize,
    max_atoms: usize,
    seed: u64,
    graph: &GraphConfig,
) -> Result<Dataset> {
    let source = CrystalSource::Random {
        n,
        config: RandomCrystalConfig {
            max_species: 3,
            max_atoms: max_atoms.max(1),
            ..RandomCrystalConfig::default()
        }
        .check()?,
    };
    let records = phonon_records(&source, &PhononConfig::default().check()?, seed, &|| {})?;
    let energies = records
        .first()
        .map(|r| r.frequencies.clone())
        .unwrap_or_default();
    let raw = records
        .into_iter()
        .map(|r| {
            let max = r.dos.iter().cloned().fold(0.0f64, f64::max);
            let dos = if max > 0.0 {
                r.dos.iter().map(|v| v / max).collect()
            } else {
                r.dos
            };
            RawSample {
                id: r.id,
                crystal: r.crystal,
                target: Some(dos),
            }
        })
        .collect();
    Ok(Dataset::build(
        raw,
        energies,
        &graph.check()?,
        &SymmetryConfig::default(),
    )?)
}
