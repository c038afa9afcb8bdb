//! [`generated_phonon_dataset`]: a small phonon DOS data set computed on the fly from random
//! crystals with the harmonic spring model of `dos_synth` (no download), for the
//! example, the tests and quick checks.

use dos_data::dataset::{Dataset, PhononDataset};
use dos_data::graph::GraphConfig;
use dos_data::symmetry::SymmetryConfig;
use dos_synth::generate::{phonon_records, CrystalSource};
use dos_synth::phonon::PhononConfig;
use dos_synth::random_crystal::RandomCrystalConfig;
use dos_synth::smearing::max_normalise;

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
    let mut records = phonon_records(&source, &PhononConfig::default().check()?, seed, &|| {})?;
    for r in &mut records {
        max_normalise(&mut r.dos);
    }
    let data =
        PhononDataset::from_records(records, None, &graph.check()?, &SymmetryConfig::default())?;
    Ok(data.dataset)
}
