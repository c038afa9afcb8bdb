//! Crystal systems and space groups by symmetry analysis with the `moyo` crate.
//!
//! [`analyze`] finds the space-group type of a [`Crystal`] and its [`CrystalSystem`], the prompt
//! index of DOSTransformer's system branch. The search is moyo's, built with its
//! lattice-automorphism closure bounded (`vendor/moyo/PATCHED.md`: unpatched moyo 0.22 runs
//! forever on some long or skewed cells), after the geometric limits of [`check_supported`];
//! [`analyze_or_unknown`] turns "not supported" and "search failed" into
//! [`SymmetryOutcome::Unknown`] for callers that fall back to a symmetry-free prompt.

mod guard;

pub use guard::{MAX_ASPECT_RATIO, MAX_VOLUME_PER_ATOM, MIN_VOLUME_PER_ATOM};

use crate::crystal::Crystal;
use dos_config::{Check, CheckFields};

use crate::error::{DataError, Result};

/// How an unknown crystal system is written in text, CSV and JSON.
pub const UNKNOWN_SYSTEM_NAME: &str = "unknown";

/// The lower-case name of `system`, or [`UNKNOWN_SYSTEM_NAME`] for `None`.
pub fn system_name(system: Option<CrystalSystem>) -> &'static str {
    system.map_or(UNKNOWN_SYSTEM_NAME, CrystalSystem::name)
}

/// The seven crystal systems, in the prompt-index order of DOSTransformer.
///
/// `index()`: 0 cubic, 1 hexagonal, 2 tetragonal, 3 trigonal, 4 orthorhombic, 5 monoclinic,
/// 6 triclinic. Display, `FromStr` and serde use the lower-case [`name`](Self::name); serde
/// also reads a prompt index (the form files written before the type existed hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CrystalSystem {
    /// Space groups 195-230.
    Cubic,
    /// Space groups 168-194.
    Hexagonal,
    /// Space groups 75-142.
    Tetragonal,
    /// Space groups 143-167.
    Trigonal,
    /// Space groups 16-74.
    Orthorhombic,
    /// Space groups 3-15.
    Monoclinic,
    /// Space groups 1-2.
    Triclinic,
}

impl CrystalSystem {
    /// All systems, in prompt-index order (`ALL[s.index()] == s`).
    pub const ALL: [CrystalSystem; 7] = [
        CrystalSystem::Cubic,
        CrystalSystem::Hexagonal,
        CrystalSystem::Tetragonal,
        CrystalSystem::Trigonal,
        CrystalSystem::Orthorhombic,
        CrystalSystem::Monoclinic,
        CrystalSystem::Triclinic,
    ];

    /// The crystal system of space-group type `number` (1..=230), or `None` outside that range.
    pub fn from_space_group(number: u16) -> Option<Self> {
        Some(match number {
            1..=2 => Self::Triclinic,
            3..=15 => Self::Monoclinic,
            16..=74 => Self::Orthorhombic,
            75..=142 => Self::Tetragonal,
            143..=167 => Self::Trigonal,
            168..=194 => Self::Hexagonal,
            195..=230 => Self::Cubic,
            _ => return None,
        })
    }

    /// Prompt index 0..=6 (see the type's documentation).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The system with prompt index `index`, or `None` when `index > 6`.
    pub fn from_index(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }

    /// Lower-case name, e.g. `cubic`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cubic => "cubic",
            Self::Hexagonal => "hexagonal",
            Self::Tetragonal => "tetragonal",
            Self::Trigonal => "trigonal",
            Self::Orthorhombic => "orthorhombic",
            Self::Monoclinic => "monoclinic",
            Self::Triclinic => "triclinic",
        }
    }

    /// The system named `name` (case-insensitive), or `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for CrystalSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for CrystalSystem {
    /// A name (`"cubic"`, any case) or a prompt index (`0`).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct NameOrIndex;
        impl serde::de::Visitor<'_> for NameOrIndex {
            type Value = CrystalSystem;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a crystal system name (cubic ... triclinic) or prompt index 0..=6")
            }
            fn visit_str<E: serde::de::Error>(
                self,
                s: &str,
            ) -> std::result::Result<Self::Value, E> {
                s.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, i: u64) -> std::result::Result<Self::Value, E> {
                usize::try_from(i)
                    .ok()
                    .and_then(CrystalSystem::from_index)
                    .ok_or_else(|| E::custom(format!("crystal system index {i} is outside 0..=6")))
            }
        }
        d.deserialize_any(NameOrIndex)
    }
}

impl std::str::FromStr for CrystalSystem {
    type Err = DataError;

    /// Parse a name as [`CrystalSystem::from_name`] does.
    fn from_str(s: &str) -> Result<Self> {
        Self::from_name(s).ok_or_else(|| DataError::Invalid {
            field: "crystal system".into(),
            message: format!("{s:?} is none of {}", Self::ALL.map(Self::name).join(", ")),
        })
    }
}

/// Tolerances of the symmetry search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymmetryConfig {
    /// Distance tolerance in Angstrom (must be > 0 and finite).
    ///
    /// Default 0.01 A, pymatgen's `SpacegroupAnalyzer` default: the DOSTransformer data were
    /// labelled with pymatgen, and DFT-relaxed structures written with few digits need more
    /// than spglib's own default of 1e-5.
    pub symprec: f64,
    /// Angle tolerance in degrees, or `None` for spglib's symprec-driven criterion.
    ///
    /// Default `Some(5.0)`, pymatgen's `SpacegroupAnalyzer` default.
    pub angle_tolerance_deg: Option<f64>,
}

impl Default for SymmetryConfig {
    fn default() -> Self {
        Self {
            symprec: 0.01,
            angle_tolerance_deg: Some(5.0),
        }
    }
}

impl CheckFields for SymmetryConfig {
    type Error = DataError;

    /// Check the tolerances.
    ///
    /// # Errors
    /// [`DataError::Invalid`] naming the field when `symprec` is not in (0, 1] or the angle
    /// tolerance is not in (0, 90).
    fn check_fields(&self) -> Result<()> {
        if !(self.symprec.is_finite() && self.symprec > 0.0 && self.symprec <= 1.0) {
            return Err(DataError::Invalid {
                field: "symprec".into(),
                message: format!("{} is not in (0, 1] Angstrom", self.symprec),
            });
        }
        if let Some(a) = self.angle_tolerance_deg {
            if !(a.is_finite() && a > 0.0 && a < 90.0) {
                return Err(DataError::Invalid {
                    field: "angle_tolerance_deg".into(),
                    message: format!("{a} is not in (0, 90) degrees"),
                });
            }
        }
        Ok(())
    }
}

/// Result of [`analyze`].
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetryAnalysis {
    /// International space-group number 1..=230.
    pub space_group: u16,
    /// Hermann-Mauguin symbol of the space group, e.g. `F m -3 m` (moyo's spelling).
    pub hm_symbol: String,
    /// Crystal system of `space_group`.
    pub crystal_system: CrystalSystem,
    /// Number of symmetry operations of the input cell (including pure translations).
    pub n_operations: usize,
}

/// Whether `crystal` is within the limits of the symmetry search at the tolerances of `cfg`.
///
/// Refuses (1) a volume per atom outside [[`MIN_VOLUME_PER_ATOM`], [`MAX_VOLUME_PER_ATOM`]]
/// A^3 and (2) a Minkowski-reduced lattice with `b3 / b1` above [`MAX_ASPECT_RATIO`]: no real
/// crystal comes near either. The search itself always ends, whatever the cell: moyo is built
/// with its lattice-automorphism closure bounded (`vendor/moyo/PATCHED.md`).
///
/// # Errors
/// [`DataError::Invalid`] for bad tolerances; [`DataError::SymmetryUnsupported`] naming the
/// limit and the value otherwise.
pub fn check_supported(crystal: &Crystal, cfg: &SymmetryConfig) -> Result<()> {
    cfg.check()?;
    match guard::check(crystal.lattice(), crystal.n_atoms()) {
        Some(reason) => Err(DataError::SymmetryUnsupported { reason }),
        None => Ok(()),
    }
}

/// Result of [`analyze_or_unknown`]: the symmetry, or why it is unknown.
#[derive(Debug, Clone, PartialEq)]
pub enum SymmetryOutcome {
    /// moyo found the space group.
    Known(SymmetryAnalysis),
    /// The structure was refused before the search ([`DataError::SymmetryUnsupported`]) or the
    /// search failed ([`DataError::Symmetry`]); `reason` is that error's text.
    Unknown {
        /// Why the symmetry is unknown.
        reason: String,
    },
}

impl SymmetryOutcome {
    /// The crystal system, or `None` when unknown.
    pub fn crystal_system(&self) -> Option<CrystalSystem> {
        match self {
            Self::Known(a) => Some(a.crystal_system),
            Self::Unknown { .. } => None,
        }
    }
}

/// [`analyze`], with structures whose symmetry cannot be found reported as
/// [`SymmetryOutcome::Unknown`] instead of an error, so a caller can fall back (e.g. to the mean
/// crystal-system prompt).
///
/// ```
/// use dos_data::symmetry::{analyze_or_unknown, SymmetryConfig, SymmetryOutcome};
/// // One atom in a 600 x 3 x 4 A box: 7,200 A^3 per atom, beyond MAX_VOLUME_PER_ATOM.
/// let l = [[600.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 4.0]];
/// let c = dos_data::Crystal::from_fractional(l, vec![6], &[[0.0; 3]]).unwrap();
/// let s = analyze_or_unknown(&c, &SymmetryConfig::default()).unwrap();
/// assert!(matches!(s, SymmetryOutcome::Unknown { .. }));
/// assert_eq!(s.crystal_system(), None);
/// ```
///
/// # Errors
/// [`DataError::Invalid`] for bad tolerances (a caller's mistake, not the structure's).
pub fn analyze_or_unknown(crystal: &Crystal, cfg: &SymmetryConfig) -> Result<SymmetryOutcome> {
    match analyze(crystal, cfg) {
        Ok(a) => Ok(SymmetryOutcome::Known(a)),
        Err(e @ (DataError::SymmetryUnsupported { .. } | DataError::Symmetry { .. })) => {
            Ok(SymmetryOutcome::Unknown {
                reason: e.to_string(),
            })
        }
        Err(e) => Err(e),
    }
}

/// Space group and crystal system of `crystal`.
///
/// ```
/// use dos_data::symmetry::{analyze, CrystalSystem, SymmetryConfig};
/// let a = 5.64; // rocksalt NaCl, primitive cell
/// let l = [[0.0, a / 2.0, a / 2.0], [a / 2.0, 0.0, a / 2.0], [a / 2.0, a / 2.0, 0.0]];
/// let c = dos_data::Crystal::from_fractional(l, vec![11, 17], &[[0.0; 3], [0.5; 3]]).unwrap();
/// let s = analyze(&c, &SymmetryConfig::default()).unwrap();
/// assert_eq!((s.space_group, s.crystal_system, s.crystal_system.index()), (225, CrystalSystem::Cubic, 0));
/// ```
///
/// Runs [`check_supported`], then `moyo::MoyoDataset::new` (spglib's algorithm; moyo may
/// loosen or tighten `symprec` internally when the search fails at the given value).
///
/// # Errors
/// [`DataError::Invalid`] for bad tolerances, [`DataError::SymmetryUnsupported`] for a structure
/// refused by [`check_supported`], [`DataError::Symmetry`] when moyo fails (or panics) on this
/// structure.
pub fn analyze(crystal: &Crystal, cfg: &SymmetryConfig) -> Result<SymmetryAnalysis> {
    use moyo::base::{AngleTolerance, Cell, Lattice};
    check_supported(crystal, cfg)?;
    let l = crystal.lattice();
    // moyo's Lattice takes the basis vectors as rows, like `Crystal`.
    let basis = nalgebra::Matrix3::new(
        l[0][0], l[0][1], l[0][2], l[1][0], l[1][1], l[1][2], l[2][0], l[2][1], l[2][2],
    );
    let positions = crystal
        .fractional_positions()
        .iter()
        .map(|f| nalgebra::Vector3::new(f[0], f[1], f[2]))
        .collect();
    let numbers = crystal.numbers().iter().map(|&z| i32::from(z)).collect();
    let cell = Cell::new(Lattice::new(basis), positions, numbers);
    let angle = match cfg.angle_tolerance_deg {
        Some(deg) => AngleTolerance::Radian(deg.to_radians()),
        None => AngleTolerance::Default,
    };
    // moyo reports failures as errors, but guard against a panic deep in its search too: a bad
    // structure must not bring down a whole dataset load.
    let run = std::panic::catch_unwind(|| {
        moyo::MoyoDataset::new(
            &cell,
            cfg.symprec,
            angle,
            moyo::data::Setting::default(),
            false,
        )
    });
    let dataset = match run {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => {
            return Err(DataError::Symmetry {
                message: format!("moyo: {e} (symprec {})", cfg.symprec),
            })
        }
        Err(_) => {
            return Err(DataError::Symmetry {
                message: format!("moyo panicked (symprec {})", cfg.symprec),
            })
        }
    };
    let space_group = u16::try_from(dataset.number).ok();
    let crystal_system = space_group.and_then(CrystalSystem::from_space_group);
    match (space_group, crystal_system) {
        (Some(space_group), Some(crystal_system)) => Ok(SymmetryAnalysis {
            space_group,
            hm_symbol: dataset.hm_symbol.clone(),
            crystal_system,
            n_operations: dataset.num_operations(),
        }),
        _ => Err(DataError::Symmetry {
            message: format!("moyo returned space-group number {}", dataset.number),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::rocksalt;

    fn analyze_default(c: &Crystal) -> SymmetryAnalysis {
        analyze(c, &SymmetryConfig::default()).unwrap()
    }

    #[test]
    fn system_ranges_and_indices() {
        for (i, s) in CrystalSystem::ALL.iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(CrystalSystem::from_index(i), Some(*s));
            assert_eq!(CrystalSystem::from_name(s.name()), Some(*s));
        }
        let names: Vec<_> = CrystalSystem::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "cubic",
                "hexagonal",
                "tetragonal",
                "trigonal",
                "orthorhombic",
                "monoclinic",
                "triclinic"
            ]
        );
        let sys = |n| CrystalSystem::from_space_group(n).unwrap();
        assert_eq!(
            [sys(1), sys(2), sys(3), sys(15), sys(16), sys(74)],
            [
                CrystalSystem::Triclinic,
                CrystalSystem::Triclinic,
                CrystalSystem::Monoclinic,
                CrystalSystem::Monoclinic,
                CrystalSystem::Orthorhombic,
                CrystalSystem::Orthorhombic
            ]
        );
        assert_eq!(
            [
                sys(75),
                sys(142),
                sys(143),
                sys(167),
                sys(168),
                sys(194),
                sys(195),
                sys(230)
            ],
            [
                CrystalSystem::Tetragonal,
                CrystalSystem::Tetragonal,
                CrystalSystem::Trigonal,
                CrystalSystem::Trigonal,
                CrystalSystem::Hexagonal,
                CrystalSystem::Hexagonal,
                CrystalSystem::Cubic,
                CrystalSystem::Cubic
            ]
        );
        assert_eq!(CrystalSystem::from_space_group(0), None);
        assert_eq!(CrystalSystem::from_space_group(231), None);
    }

    #[test]
    fn rocksalt_is_225_cubic() {
        let a = 5.64;
        let lattice = [
            [0.0, a / 2.0, a / 2.0],
            [a / 2.0, 0.0, a / 2.0],
            [a / 2.0, a / 2.0, 0.0],
        ];
        let c =
            Crystal::from_fractional(lattice, vec![11, 17], &[[0.0; 3], [0.5, 0.5, 0.5]]).unwrap();
        let s = analyze_default(&c);
        assert_eq!(
            (s.space_group, s.crystal_system),
            (225, CrystalSystem::Cubic)
        );
        assert_eq!(s.n_operations, 48);
    }

    #[test]
    fn wurtzite_is_186_hexagonal() {
        // ZnO wurtzite, a = 3.25, c = 5.207, u = 0.382.
        let (a, c, u) = (3.25, 5.207, 0.382);
        let lattice = [
            [a, 0.0, 0.0],
            [-a / 2.0, a * 3f64.sqrt() / 2.0, 0.0],
            [0.0, 0.0, c],
        ];
        let f = [
            [1.0 / 3.0, 2.0 / 3.0, 0.0],
            [2.0 / 3.0, 1.0 / 3.0, 0.5],
            [1.0 / 3.0, 2.0 / 3.0, u],
            [2.0 / 3.0, 1.0 / 3.0, 0.5 + u],
        ];
        let cr = Crystal::from_fractional(lattice, vec![30, 30, 8, 8], &f).unwrap();
        let s = analyze_default(&cr);
        assert_eq!(
            (s.space_group, s.crystal_system),
            (186, CrystalSystem::Hexagonal)
        );
    }

    #[test]
    fn rutile_is_136_tetragonal() {
        let x = 0.3046;
        let lattice = [[4.603, 0.0, 0.0], [0.0, 4.603, 0.0], [0.0, 0.0, 2.969]];
        let f = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [x, x, 0.0],
            [-x, -x, 0.0],
            [-x + 0.5, x + 0.5, 0.5],
            [x + 0.5, -x + 0.5, 0.5],
        ];
        let c = Crystal::from_fractional(lattice, vec![22, 22, 8, 8, 8, 8], &f).unwrap();
        let s = analyze_default(&c);
        assert_eq!(
            (s.space_group, s.crystal_system),
            (136, CrystalSystem::Tetragonal)
        );
    }

    #[test]
    fn general_cell_is_p1() {
        let lattice = [[4.1, 0.0, 0.0], [0.7, 3.9, 0.0], [0.4, 0.9, 5.3]];
        let f = [[0.0, 0.0, 0.0], [0.21, 0.37, 0.13], [0.55, 0.12, 0.71]];
        let c = Crystal::from_fractional(lattice, vec![1, 6, 8], &f).unwrap();
        let s = analyze_default(&c);
        assert_eq!(
            (s.space_group, s.crystal_system),
            (1, CrystalSystem::Triclinic)
        );
    }

    #[test]
    fn symprec_matters_and_is_validated() {
        // Rocksalt with one atom displaced by 0.005 A: cubic at 0.01 A, lower at 1e-4 A.
        let a = 5.64;
        let lattice = [[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]];
        let mut f = vec![];
        let mut z = vec![];
        for t in [
            [0.0, 0.0, 0.0],
            [0.0, 0.5, 0.5],
            [0.5, 0.0, 0.5],
            [0.5, 0.5, 0.0],
        ] {
            f.push(t);
            z.push(11);
            f.push([t[0] + 0.5, t[1], t[2]]);
            z.push(17);
        }
        f[0][0] += 0.005 / a;
        let c = Crystal::from_fractional(lattice, z, &f).unwrap();
        assert_eq!(analyze_default(&c).space_group, 225);
        let tight = SymmetryConfig {
            symprec: 1e-4,
            angle_tolerance_deg: None,
        };
        assert_ne!(analyze(&c, &tight).unwrap().space_group, 225);
        let bad = SymmetryConfig {
            symprec: -1.0,
            angle_tolerance_deg: None,
        };
        assert!(
            matches!(analyze(&c, &bad), Err(DataError::Invalid { field, .. }) if field == "symprec")
        );
    }

    /// Runs `analyze_or_unknown` on another thread and fails (instead of blocking CI) when it
    /// does not return within `secs`.
    fn outcome_within(c: &Crystal, secs: u64) -> SymmetryOutcome {
        let (tx, rx) = std::sync::mpsc::channel();
        let c = c.clone();
        std::thread::spawn(move || {
            let _ = tx.send(analyze_or_unknown(&c, &SymmetryConfig::default()));
        });
        rx.recv_timeout(std::time::Duration::from_secs(secs))
            .expect("symmetry analysis did not return in time")
            .unwrap()
    }

    /// `c` with its first lattice vector stretched to length `a`, fractional positions kept.
    fn stretched(c: &Crystal, a: f64) -> Crystal {
        let mut l = *c.lattice();
        let scale = a / crate::mat3::norm3(&l[0]);
        l[0] = l[0].map(|x| x * scale);
        Crystal::from_fractional(l, c.numbers().to_vec(), &c.fractional_positions()).unwrap()
    }

    /// Cells on which unpatched moyo 0.22 never returned (memory grew ~60 MB/s): the needle is
    /// refused by the volume limit; stretched rocksalt (from 40 A, where moyo's first trial
    /// already held a shear) now gets an answer. The sweep over many more cells is
    /// `tests/stretched_cells.rs`.
    #[test]
    fn extreme_cells_return() {
        let needle = Crystal::from_fractional(
            [[600.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 4.0]],
            vec![6],
            &[[0.0; 3]],
        )
        .unwrap();
        match outcome_within(&needle, 10) {
            SymmetryOutcome::Unknown { reason } => {
                assert!(reason.contains("volume per atom"), "{reason}")
            }
            known => panic!("expected unknown, got {known:?}"),
        }
        assert!(matches!(
            analyze(&needle, &SymmetryConfig::default()),
            Err(DataError::SymmetryUnsupported { .. })
        ));
        for a in [10.0, 20.0, 30.0, 40.0, 60.0, 80.0, 100.0, 150.0, 180.0] {
            let s = outcome_within(&stretched(&rocksalt(), a), 10);
            if let SymmetryOutcome::Unknown { reason } = &s {
                assert!(!reason.contains('\n'), "{reason}");
            }
        }
        // Stretched along one primitive vector the cell is no longer cubic.
        let s = outcome_within(&stretched(&rocksalt(), 40.0), 10);
        assert!(
            !matches!(s.crystal_system(), Some(CrystalSystem::Cubic)),
            "{s:?}"
        );
    }

    #[test]
    fn ordinary_cells_are_known() {
        let s = outcome_within(&rocksalt(), 10);
        assert_eq!(s.crystal_system(), Some(CrystalSystem::Cubic));
        let bad = SymmetryConfig {
            symprec: 0.0,
            angle_tolerance_deg: None,
        };
        assert!(matches!(
            analyze_or_unknown(&rocksalt(), &bad),
            Err(DataError::Invalid { .. })
        ));
    }

    fn benchmark() -> Vec<crate::io::PhononRecord> {
        // The benchmark shipped in this crate (data/phonon).
        let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/data/phonon/phonon_dos.csv.gz");
        crate::io::read_phonon_csv(csv).unwrap()
    }

    /// Space groups of benchmark rows (0-based), one row per crystal system plus a few more,
    /// from spglib 2.8.0 with pymatgen's defaults (`pip install spglib`):
    /// `spglib.get_symmetry_dataset((cell, positions @ inv(cell), numbers), symprec=0.01,
    /// angle_tolerance=5).number` over `ast.literal_eval` of each `structure` cell.
    #[test]
    fn benchmark_rows_match_spglib() {
        let rows = benchmark();
        let expected: [(usize, &str, u16); 13] = [
            (0, "mp-1000", 225),
            (1, "mp-1002124", 216),
            (5, "mp-1008506", 156),
            (6, "", 115),
            (7, "", 186),
            (30, "", 14),
            (38, "", 36),
            (100, "mp-11703", 15),
            (218, "", 1),
            (500, "mp-27421", 148),
            (1000, "mp-675531", 43),
            (1521, "mp-569018", 164),
            (2, "mp-1002164", 216),
        ];
        for (row, id, sg) in expected {
            if !id.is_empty() {
                assert_eq!(rows[row].id, id);
            }
            let s = analyze(&rows[row].crystal, &SymmetryConfig::default()).unwrap();
            assert_eq!(s.space_group, sg, "row {row} ({})", rows[row].id);
        }
    }

    /// Every benchmark crystal gets a crystal system; counts per system are printed
    /// (`cargo test -p dos-data --release -- --ignored every_benchmark --nocapture`).
    /// spglib (settings as above) gives cubic 425, hexagonal 119, tetragonal 324, trigonal 289,
    /// orthorhombic 204, monoclinic 153, triclinic 8.
    #[test]
    fn every_benchmark_crystal_gets_a_system() {
        let rows = benchmark();
        let mut counts = [0usize; 7];
        for r in &rows {
            let s = analyze(&r.crystal, &SymmetryConfig::default())
                .unwrap_or_else(|e| panic!("{}: {e}", r.id));
            counts[s.crystal_system.index()] += 1;
        }
        for s in CrystalSystem::ALL {
            eprintln!("{:>12}: {}", s.name(), counts[s.index()]);
        }
        assert_eq!(counts.iter().sum::<usize>(), 1522);
        assert_eq!(counts, [425, 119, 324, 289, 204, 153, 8]);
    }
}
