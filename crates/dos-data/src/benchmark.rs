//! The phonon DOS benchmark embedded in the library: 1,522 crystals with their fixed
//! train / validation / test split, usable with no file on disk.
//!
//! Source and licence: `data/phonon/README.md` beside this crate (Petretto et al. 2018 DFPT
//! phonons as packaged by the e3nn phonon tutorial, MIT). The gzipped CSV (0.7 MB) is compiled
//! in; [`phonon`] inflates and parses it (about a second, most of it symmetry analysis).

use crate::dataset::PhononDataset;
use crate::error::{DataError, Result};
use crate::graph::CheckedGraphConfig;
use crate::io::phonon_csv::parse_phonon_csv;
use crate::split::Split;
use crate::symmetry::SymmetryConfig;

/// Name under which the embedded benchmark appears in messages and provenance records.
pub const PHONON_NAME: &str = "phonon benchmark (embedded, 1,522 crystals)";

/// SHA-256 of the uncompressed `phonon_dos.csv` (the hash model packages record).
pub const PHONON_CSV_SHA256: &str =
    "b66a9dfa12c486fcc4b627f79bb7ee599fe0fcc93d97bc7bb2fd6c81866c40b1";

const PHONON_CSV_GZ: &[u8] = include_bytes!("../data/phonon/phonon_dos.csv.gz");
const IDX_TRAIN: &str = include_str!("../data/phonon/idx_train.txt");
const IDX_VALID: &str = include_str!("../data/phonon/idx_valid.txt");
const IDX_TEST: &str = include_str!("../data/phonon/idx_test.txt");

/// The text of the embedded `phonon_dos.csv`.
///
/// # Errors
/// [`DataError::Invalid`] if the embedded bytes do not inflate (a corrupted build).
pub fn phonon_csv_text() -> Result<String> {
    crate::io::text::gunzip_text(PHONON_CSV_GZ).map_err(|e| DataError::Invalid {
        field: "embedded phonon benchmark".into(),
        message: e.to_string(),
    })
}

fn indices(name: &str, text: &str) -> Result<Vec<usize>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(k, l)| {
            l.parse().map_err(|_| {
                DataError::parse(
                    std::path::Path::new(name),
                    k + 1,
                    "index",
                    format!("`{l}` is not a row index"),
                )
            })
        })
        .collect()
}

/// The benchmark's fixed split (1,192 / 141 / 189 rows).
///
/// # Errors
/// Only for a corrupted build.
pub fn phonon_split() -> Result<Split> {
    Ok(Split {
        train: indices("idx_train.txt", IDX_TRAIN)?,
        valid: indices("idx_valid.txt", IDX_VALID)?,
        test: indices("idx_test.txt", IDX_TEST)?,
    })
}

/// The embedded benchmark as a [`PhononDataset`] (samples in file order, graphs built with
/// `graph`, crystal systems from `symmetry`), with its split.
///
/// ```
/// use dos_data::Check;
/// use dos_data::{benchmark, graph::GraphConfig, symmetry::SymmetryConfig};
/// let data = benchmark::phonon(&GraphConfig::phonon().check()?, &SymmetryConfig::default())?;
/// assert_eq!(data.dataset.len(), 1522);
/// assert_eq!(data.split.unwrap().test.len(), 189);
/// # Ok::<(), dos_data::DataError>(())
/// ```
///
/// # Errors
/// Graph or symmetry errors (none for the default settings).
pub fn phonon(graph: &CheckedGraphConfig, symmetry: &SymmetryConfig) -> Result<PhononDataset> {
    let text = phonon_csv_text()?;
    let records = parse_phonon_csv(&text, std::path::Path::new(PhononDataset::CSV))?;
    PhononDataset::from_records(records, Some(phonon_split()?), graph, symmetry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_split_is_the_benchmark_split() {
        let s = phonon_split().unwrap();
        assert_eq!(
            (s.train.len(), s.valid.len(), s.test.len()),
            (1192, 141, 189)
        );
        assert!(s.covers(1522));
    }

    #[test]
    fn embedded_csv_has_1522_rows_and_the_recorded_hash() {
        let text = phonon_csv_text().unwrap();
        assert_eq!(text.lines().count(), 1523);
        assert!(text.starts_with("mp_id,structure,phfreq,phdos"));
        // The hash is checked where sha2 is available (dos-predict's provenance tests).
        assert_eq!(PHONON_CSV_SHA256.len(), 64);
    }
}
