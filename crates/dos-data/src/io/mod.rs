//! File readers and writers.
//!
//! - [`phonon_csv`]: the phonon DOS benchmark CSV ([`read_phonon_csv`]);
//! - [`pymatgen`]: pymatgen `Structure.as_dict()` JSON;
//! - [`cif`]: CIF with symmetry expansion, P1 writer;
//! - [`poscar`]: VASP POSCAR/CONTCAR;
//! - [`read_structure`]: one structure file of any of the last three, format detected;
//! - [`text`]: [`read_text`], plain or gzipped text files.
//!
//! Every error is a [`DataError`] naming the file, the record (line or row) and the field.

pub mod cif;
pub mod csv;
pub mod dos_table;
pub mod phonon_csv;
pub mod poscar;
pub mod py_literal;
pub mod pymatgen;
pub mod text;

use std::path::Path;

pub use cif::{read_cif, write_cif};
pub use dos_table::{read_dos_table, DosTable};
pub use phonon_csv::{read_phonon_csv, PhononRecord};
pub use poscar::{read_poscar, write_poscar};
pub use pymatgen::{read_pymatgen_json, write_pymatgen_json};
pub use text::read_text;

use crate::crystal::Crystal;
use crate::error::{DataError, Result};

/// Structure file formats [`read_structure`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructureFormat {
    /// CIF (`.cif`).
    Cif,
    /// VASP POSCAR/CONTCAR (`POSCAR*`, `CONTCAR*`, `.vasp`, `.poscar`).
    Poscar,
    /// pymatgen `Structure.as_dict()` JSON (`.json`).
    PymatgenJson,
}

impl StructureFormat {
    /// Format from the file name alone: extension `.cif`, `.json`, `.vasp`/`.poscar`, or a
    /// name starting with `POSCAR`/`CONTCAR` (case-insensitive). `None` when the name says
    /// nothing.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("cif") | Some("mcif") => return Some(Self::Cif),
            Some("json") => return Some(Self::PymatgenJson),
            Some("vasp") | Some("poscar") | Some("contcar") => return Some(Self::Poscar),
            _ => {}
        }
        let name = path.file_name()?.to_str()?.to_ascii_uppercase();
        (name.starts_with("POSCAR") || name.starts_with("CONTCAR")).then_some(Self::Poscar)
    }

    /// Format from the content: `{` first means JSON, a `data_` line or a `_cell_length_a` tag
    /// means CIF, otherwise POSCAR.
    pub fn from_content(text: &str) -> Self {
        let t = text.trim_start();
        if t.starts_with('{') {
            return Self::PymatgenJson;
        }
        let is_cif = text.lines().any(|l| {
            let l = l.trim_start().to_ascii_lowercase();
            l.starts_with("data_")
                || l.starts_with("_cell_length_a")
                || l.starts_with("_cell.length_a")
        });
        if is_cif {
            Self::Cif
        } else {
            Self::Poscar
        }
    }
}

/// Read one structure from a CIF, POSCAR/CONTCAR or pymatgen JSON file; the format comes from
/// the file name ([`StructureFormat::from_path`]) or, failing that, the content.
///
/// ```
/// let path = std::env::temp_dir().join(format!("dos_doc_{}.vasp", std::process::id()));
/// let poscar = "NaCl\n1.0\n0 2.82 2.82\n2.82 0 2.82\n2.82 2.82 0\nNa Cl\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n";
/// std::fs::write(&path, poscar).unwrap();
/// let crystal = dos_data::io::read_structure(&path).unwrap();
/// assert_eq!((crystal.n_atoms(), crystal.reduced_formula().as_str()), (2, "NaCl"));
/// # std::fs::remove_file(&path).ok();
/// ```
///
/// # Errors
/// [`DataError::Io`] or the format reader's [`DataError::Parse`].
pub fn read_structure(path: impl AsRef<Path>) -> Result<Crystal> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let format =
        StructureFormat::from_path(path).unwrap_or_else(|| StructureFormat::from_content(&text));
    parse_structure(&text, format, path)
}

/// Parse one structure from text in a given format (see [`StructureFormat::from_content`] to
/// detect it); `path` is only used in error messages.
///
/// ```
/// use dos_data::io::{parse_structure, StructureFormat};
/// let poscar = "Cu\n1.0\n3 0 0\n0 3 0\n0 0 3\nCu\n1\nDirect\n0 0 0\n";
/// let format = StructureFormat::from_content(poscar);
/// let c = parse_structure(poscar, format, "POSCAR".as_ref()).unwrap();
/// assert_eq!(c.numbers(), [29]);
/// ```
///
/// # Errors
/// The format reader's [`DataError::Parse`], naming `path`, the record and the field.
pub fn parse_structure(text: &str, format: StructureFormat, path: &Path) -> Result<Crystal> {
    match format {
        StructureFormat::Cif => cif::parse_cif(text, path),
        StructureFormat::Poscar => poscar::parse_poscar(text, path),
        StructureFormat::PymatgenJson => pymatgen::parse_pymatgen_json(text, path),
    }
}

/// Write one structure; the format comes from the file name as in [`read_structure`]
/// (CIF in P1, POSCAR in VASP 5 Direct form, or pymatgen JSON).
///
/// # Errors
/// [`DataError::Invalid`] when the name does not say which format, [`DataError::Io`] on write
/// failure.
pub fn write_structure(path: impl AsRef<Path>, crystal: &Crystal) -> Result<()> {
    let path = path.as_ref();
    match StructureFormat::from_path(path) {
        Some(StructureFormat::Cif) => write_cif(path, crystal),
        Some(StructureFormat::Poscar) => write_poscar(path, crystal),
        Some(StructureFormat::PymatgenJson) => write_pymatgen_json(path, crystal),
        None => Err(DataError::Invalid {
            field: "path".into(),
            message: format!(
                "{}: cannot tell the format (use .cif, .json, .vasp or a POSCAR/CONTCAR name)",
                path.display()
            ),
        }),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::crystal::Crystal;

    /// A triclinic 3-element crystal with atoms grouped by element, fractional coordinates in
    /// [0, 1).
    pub fn sample_crystal() -> Crystal {
        let lattice = [[4.1, 0.02, -0.3], [0.7, 3.9, 0.1], [0.4, 0.9, 5.3]];
        Crystal::from_fractional(
            lattice,
            vec![26, 26, 8, 8, 8, 3],
            &[
                [0.0, 0.0, 0.0],
                [0.5, 0.5, 0.5],
                [0.123456789012, 0.25, 0.75],
                [0.9, 0.1, 0.33],
                [0.4, 0.8, 0.05],
                [0.61, 0.27, 0.58],
            ],
        )
        .unwrap()
    }

    /// Same lattice, numbers and Cartesian positions to `tol` (Angstrom).
    pub fn assert_same_crystal(a: &Crystal, b: &Crystal, tol: f64) {
        assert_eq!(a.numbers(), b.numbers());
        for (ra, rb) in a.lattice().iter().zip(b.lattice()) {
            for (x, y) in ra.iter().zip(rb) {
                assert!(
                    (x - y).abs() < tol,
                    "lattice {:?} vs {:?}",
                    a.lattice(),
                    b.lattice()
                );
            }
        }
        for (pa, pb) in a.positions().iter().zip(b.positions()) {
            for (x, y) in pa.iter().zip(pb) {
                assert!((x - y).abs() < tol, "position {pa:?} vs {pb:?}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{assert_same_crystal, sample_crystal};
    use super::*;

    #[test]
    fn detects_formats() {
        let f = |s: &str| StructureFormat::from_path(Path::new(s));
        assert_eq!(f("a/b.CIF"), Some(StructureFormat::Cif));
        assert_eq!(f("POSCAR"), Some(StructureFormat::Poscar));
        assert_eq!(f("CONTCAR_relaxed"), Some(StructureFormat::Poscar));
        assert_eq!(f("x.vasp"), Some(StructureFormat::Poscar));
        assert_eq!(f("mp-1.json"), Some(StructureFormat::PymatgenJson));
        assert_eq!(f("structure.txt"), None);
        assert_eq!(
            StructureFormat::from_content("  {\"a\": 1}"),
            StructureFormat::PymatgenJson
        );
        assert_eq!(
            StructureFormat::from_content("# c\ndata_x\n"),
            StructureFormat::Cif
        );
        assert_eq!(
            StructureFormat::from_content("NaCl\n1.0\n"),
            StructureFormat::Poscar
        );
    }

    #[test]
    fn round_trip_every_format_by_name_and_content() {
        let c = sample_crystal();
        let dir = tempfile::tempdir().unwrap();
        for name in ["s.json", "POSCAR", "s.vasp"] {
            let p = dir.path().join(name);
            write_structure(&p, &c).unwrap();
            assert_same_crystal(&c, &read_structure(&p).unwrap(), 1e-8);
            // Same content under a neutral name: detected from the content.
            let q = dir.path().join(format!("{name}.txt"));
            std::fs::copy(&p, &q).unwrap();
            assert_same_crystal(&c, &read_structure(&q).unwrap(), 1e-8);
        }
        // CIF keeps lengths, angles and fractional coordinates (not the orientation).
        let p = dir.path().join("s.cif");
        write_structure(&p, &c).unwrap();
        let back = read_structure(&p).unwrap();
        let (pa, pb) = (
            pymatgen::lattice_parameters(c.lattice()),
            pymatgen::lattice_parameters(back.lattice()),
        );
        for (x, y) in pa.iter().zip(&pb) {
            assert!((x - y).abs() < 1e-8, "{pa:?} vs {pb:?}");
        }
        for (fa, fb) in c
            .fractional_positions()
            .iter()
            .zip(back.fractional_positions())
        {
            for (x, y) in fa.iter().zip(&fb) {
                assert!((x - y).abs() < 1e-8, "{fa:?} vs {fb:?}");
            }
        }
        assert!(matches!(
            write_structure(dir.path().join("s.txt"), &c),
            Err(DataError::Invalid { .. })
        ));
        assert!(matches!(
            read_structure(dir.path().join("missing.cif")),
            Err(DataError::Io { .. })
        ));
    }
}
