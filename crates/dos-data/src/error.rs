//! Error types of `dos-data`.

use std::path::PathBuf;

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
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A malformed field in a record (row or line) of a file.
    #[error("{path}:{record}: field `{field}`: {message}")]
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
    #[error("{path}:{record}: invalid crystal: {source}")]
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
    #[error("{structure}: {what}: {count} exceeds the limit of {limit} ({limit_name})")]
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
    #[error("symmetry analysis failed: {message}")]
    Symmetry {
        /// What failed.
        message: String,
    },
    /// A tensor operation failed while building a batch.
    #[error("tensor error: {0}")]
    Tensor(#[from] candle_core::Error),
    /// Invalid argument or configuration value.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// Which argument or field.
        field: String,
        /// What is wrong and which range is allowed.
        message: String,
    },
}

/// Result alias for `dos-data`.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
