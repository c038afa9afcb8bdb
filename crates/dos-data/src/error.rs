//! Error types of `dos-data`.
//!
//! Every message is one line: text taken from a file (a CIF text field, a JSON string) has its
//! line breaks escaped as `\\n` before it is shown.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Why a structure is not a valid [`crate::Crystal`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrystalError {
    /// The structure has no atoms.
    #[error("structure has no atoms")]
    NoAtoms,
    /// More atoms than [`crate::crystal::MAX_ATOMS`].
    #[error("{count} atoms, more than the limit of {limit} (MAX_ATOMS)")]
    TooManyAtoms {
        /// Number of atoms given.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// Atomic numbers and positions differ in length.
    #[error("{numbers} atomic numbers but {positions} positions")]
    LengthMismatch {
        /// Number of atomic numbers.
        numbers: usize,
        /// Number of positions.
        positions: usize,
    },
    /// A coordinate is NaN or infinite.
    #[error("non-finite number in {what}")]
    NonFinite {
        /// `lattice` or `positions`.
        what: &'static str,
    },
    /// The lattice vectors are (nearly) linearly dependent.
    #[error("singular lattice (volume {volume:e} A^3)")]
    SingularLattice {
        /// Signed volume found.
        volume: f64,
    },
    /// Atomic number outside 1..=118.
    #[error("atom {atom}: atomic number {z} outside 1..=118")]
    InvalidAtomicNumber {
        /// Atom index.
        atom: usize,
        /// The atomic number given.
        z: u8,
    },
    /// Two atoms (or periodic images) closer than [`crate::crystal::MIN_ATOM_DISTANCE`].
    #[error(
        "atoms {i} and {j} are {distance:.4} A apart (minimum 0.1 A, periodic images included)"
    )]
    AtomsTooClose {
        /// First atom.
        i: usize,
        /// Second atom.
        j: usize,
        /// Their distance in Angstrom.
        distance: f64,
    },
}

/// Any error of `dos-data`: reading files, parsing records, building crystals.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// An I/O error on a file.
    #[error("{}: {source}", one_line(&.path.display().to_string()))]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A malformed field in a record (row or line) of a file.
    #[error(
        "{}:{record}: field `{}`: {}",
        one_line(&.path.display().to_string()),
        one_line(.field),
        one_line(.message)
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line or row number (the header is line 1 in CSV files), 0 when not applicable.
        record: usize,
        /// The field name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A record parsed but describes an invalid crystal.
    #[error("{}:{record}: invalid crystal: {source}", one_line(&.path.display().to_string()))]
    Crystal {
        /// The file.
        path: PathBuf,
        /// 1-based line or row number.
        record: usize,
        /// Why the crystal is invalid.
        source: CrystalError,
    },
    /// A structure needs more than a documented limit allows (edges of a neighbour list,
    /// search steps); `count` is the count reached (or proven) when the limit was hit.
    #[error(
        "{}: {}: {count} exceeds the limit of {limit} ({limit_name})",
        one_line(.structure),
        one_line(.what)
    )]
    LimitExceeded {
        /// The structure, e.g. `crystal Fe2O3 (10 atoms)` or its id.
        structure: String,
        /// What was counted.
        what: String,
        /// The count.
        count: usize,
        /// The limit.
        limit: usize,
        /// The name of the setting or constant holding the limit.
        limit_name: String,
    },
    /// Symmetry analysis (space-group search) failed on a structure.
    #[error("symmetry analysis failed: {}", one_line(.message))]
    Symmetry {
        /// What failed.
        message: String,
    },
    /// The structure is outside what the symmetry search can handle, so it was not run (see
    /// [`crate::symmetry::check_supported`]); callers treat the symmetry as unknown.
    #[error("symmetry analysis unsupported for this structure: {reason}")]
    SymmetryUnsupported {
        /// Which limit the structure breaks, with its value.
        reason: String,
    },
    /// A tensor operation failed while building a batch.
    #[error("tensor error: {0}")]
    Tensor(#[from] candle_core::Error),
    /// Invalid argument or configuration value.
    #[error("invalid {}: {}", one_line(.field), one_line(.message))]
    Invalid {
        /// Which argument or field.
        field: String,
        /// What is wrong and which range is allowed.
        message: String,
    },
}

impl DataError {
    /// The one way to make a [`DataError::Parse`], shown as `path:record: field `field`: message`
    /// (`record` 1-based, 0 when the file has no lines to point at).
    pub fn parse(
        path: &Path,
        record: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Parse {
            path: path.to_path_buf(),
            record,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// `map_err` adapter: an I/O error on `path` as a [`DataError::Io`].
pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `s` with carriage returns and line feeds escaped (`\\r`, `\\n`), so that a message stays on
/// one line whatever text from a file it quotes.
fn one_line(s: &str) -> Cow<'_, str> {
    if s.contains(['\n', '\r']) {
        Cow::Owned(s.replace('\r', "\\r").replace('\n', "\\n"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Result alias for `dos-data`.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Text quoted from a file (here a multi-line CIF text field given as a cell length)
    /// cannot break a message over lines; the file, line and field stay at its start.
    #[test]
    fn messages_are_one_line() {
        let cif = "data_x\n_cell_length_a\n;4\nand more\n;\n_cell_length_b 4\n";
        let e = crate::io::cif::parse_cif(cif, "a\nb.cif".as_ref()).unwrap_err();
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert_eq!(
            msg,
            "a\\nb.cif:3: field `_cell_length_a`: `4\\nand more` is not a number"
        );
        let e = DataError::Invalid {
            field: "x".into(),
            message: "one\r\ntwo".into(),
        };
        assert_eq!(e.to_string(), "invalid x: one\\r\\ntwo");
    }

    /// `read_structure` errors name the file, whatever the format.
    #[test]
    fn read_structure_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text, head) in [
            ("POSCAR", "x\n1.0\n1 0 0\n", ":4: field `lattice`"),
            ("s.cif", "data_x\n", ":1: field `_cell_length_a`"),
            (
                "s.xyz",
                "2\nLattice=\"3 0 0 0 3 0 0 0 3\"\nCu 0 0 0\n",
                ":1: field `atom count`",
            ),
            ("s.dat", "hello\n", ":1: field `format`"),
            ("s.json", "{\"sites\": []}", ":0: field `lattice.matrix`"),
            ("s.txt", "{", ":1: field `json`"),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            let msg = crate::io::read_structure(&p).unwrap_err().to_string();
            assert!(
                msg.starts_with(&format!("{}{head}", p.display())) && !msg.contains('\n'),
                "{msg}"
            );
        }
    }
}
