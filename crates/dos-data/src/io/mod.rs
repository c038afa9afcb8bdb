//! File readers and writers.
//!
//! - [`phonon_csv`]: the phonon DOS benchmark CSV ([`read_phonon_csv`], [`write_phonon_dataset`]);
//! - [`electron_jsonl`]: generated electron DOS datasets as JSON lines
//!   ([`read_electron_dataset`], [`write_electron_dataset`]);
//! - [`pymatgen`]: pymatgen `Structure.as_dict()` JSON;
//! - [`cif`]: CIF with symmetry expansion (from an operation loop or, through
//!   [`space_group_table`], from the space-group name alone), every data block; P1 writer;
//! - [`poscar`]: VASP POSCAR/CONTCAR;
//! - [`extxyz`]: ASE's extended XYZ, every frame;
//! - [`read_structures`] / [`read_structure`]: the structures of a file of any of the last
//!   four formats, format detected from the name or else the content;
//! - [`text`]: [`read_text`], plain or gzipped text files;
//! - [`atomic_write`]: files and folders written whole or not at all.
//!
//! Every error is a [`DataError`] naming the file, the record (line or row) and the field.

pub mod atomic_write;
pub mod cif;
pub mod csv;
pub mod dos_table;
pub mod electron_jsonl;
pub mod extxyz;
pub mod phonon_csv;
pub mod poscar;
pub mod py_literal;
pub mod pymatgen;
pub mod space_group_table;
pub mod sym_op;
pub mod text;

use std::path::Path;

pub use cif::{read_cif, write_cif};
pub use dos_table::{read_dos_table, DosTable};
pub use electron_jsonl::{
    read_electron_dataset, write_electron_dataset, ElectronRecord, ELECTRON_FILE,
};
pub use extxyz::read_extxyz;
pub use phonon_csv::{
    read_phonon_csv, write_phonon_csv, write_phonon_dataset, PhononRecord, PHONON_FILE,
};
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
    /// ASE extended XYZ (`.xyz`, `.extxyz`).
    ExtXyz,
}

impl StructureFormat {
    /// Every format, in the order [`StructureFormat::detect`] tries them.
    pub const ALL: [StructureFormat; 4] = [
        StructureFormat::PymatgenJson,
        StructureFormat::Cif,
        StructureFormat::ExtXyz,
        StructureFormat::Poscar,
    ];

    /// Short name, e.g. `extxyz`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cif => "CIF",
            Self::Poscar => "POSCAR",
            Self::PymatgenJson => "pymatgen JSON",
            Self::ExtXyz => "extended XYZ",
        }
    }

    /// Format from the file name alone: extension `.cif`, `.json`, `.vasp`/`.poscar`,
    /// `.xyz`/`.extxyz`, or a name starting with `POSCAR`/`CONTCAR` (case-insensitive); a `.gz`
    /// suffix is looked through. `None` when the name says nothing.
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = Path::new(name).extension().and_then(|e| e.to_str());
        match ext {
            Some("cif") | Some("mcif") => return Some(Self::Cif),
            Some("json") => return Some(Self::PymatgenJson),
            Some("vasp") | Some("poscar") | Some("contcar") => return Some(Self::Poscar),
            Some("xyz") | Some("extxyz") => return Some(Self::ExtXyz),
            _ => {}
        }
        (name.starts_with("poscar") || name.starts_with("contcar")).then_some(Self::Poscar)
    }

    /// Whether `text` looks like this format (a cheap look at the first lines, not a parse):
    /// JSON starts with `{`; CIF has a `data_` line or a `_cell_length_a` tag; extended XYZ
    /// has an atom count alone on its first line and `key=value` pairs on its second; POSCAR
    /// has one or three numbers on its second line and three numbers on each of the next
    /// three.
    pub fn matches(self, text: &str) -> bool {
        let mut lines = text.lines().skip_while(|l| l.trim().is_empty());
        match self {
            Self::PymatgenJson => text.trim_start().starts_with('{'),
            Self::Cif => text.lines().any(|l| {
                let l = l.trim_start().to_ascii_lowercase();
                l.starts_with("data_")
                    || l.starts_with("_cell_length_a")
                    || l.starts_with("_cell.length_a")
            }),
            Self::ExtXyz => {
                let count = lines.next().map(str::trim);
                let comment = lines.next().unwrap_or("");
                count.is_some_and(|c| c.parse::<usize>().is_ok()) && comment.contains('=')
            }
            Self::Poscar => {
                let all: Vec<&str> = text.lines().take(5).collect();
                let numbers = |l: &str| {
                    l.split_whitespace()
                        .map_while(|t| t.parse::<f64>().ok())
                        .count()
                };
                all.len() == 5
                    && matches!(numbers(all[1]), 1 | 3)
                    && all[2..].iter().all(|l| numbers(l) >= 3)
            }
        }
    }

    /// The first format of [`StructureFormat::ALL`] that [`StructureFormat::matches`] `text`,
    /// or `None`.
    pub fn detect(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.matches(text))
    }

    /// Format from the content: [`StructureFormat::detect`], POSCAR when nothing matches (its
    /// reader then says what is wrong on which line).
    pub fn from_content(text: &str) -> Self {
        Self::detect(text).unwrap_or(Self::Poscar)
    }
}

/// Read one structure from a CIF, POSCAR/CONTCAR, pymatgen JSON or extended XYZ file (plain or
/// `.gz`); the format comes from the file name ([`StructureFormat::from_path`]) or, failing
/// that, the content ([`StructureFormat::detect`]). A file that holds several structures (CIF
/// data blocks, XYZ frames) is refused: read those with [`read_structures`].
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
/// [`DataError::Io`], the format reader's [`DataError::Parse`], or a [`DataError::Parse`]
/// naming the formats tried when the content fits none, or the number of structures when
/// there are several.
pub fn read_structure(path: impl AsRef<Path>) -> Result<Crystal> {
    let path = path.as_ref();
    let mut all = read_structures(path)?;
    if all.len() == 1 {
        return Ok(all.swap_remove(0).1);
    }
    let labels: Vec<&str> = all.iter().take(3).map(|(l, _)| l.as_str()).collect();
    Err(DataError::parse(
        path,
        0,
        "structures",
        format!(
            "the file holds {} structures ({}{}); read them with read_structures",
            all.len(),
            labels.join(", "),
            if all.len() > 3 { ", ..." } else { "" }
        ),
    ))
}

/// Every structure of a file (see [`read_structure`] for the formats), each with its label: the
/// block name for CIF (the text after `data_`), the 0-based frame index for extended XYZ, and
/// the file stem for a format that holds one structure.
///
/// # Errors
/// As [`read_structure`]; an error in any structure fails the file.
pub fn read_structures(path: impl AsRef<Path>) -> Result<Vec<(String, Crystal)>> {
    let path = path.as_ref();
    let text = read_text(path)?;
    let format = match StructureFormat::from_path(path) {
        Some(f) => f,
        None => StructureFormat::detect(&text).ok_or_else(|| {
            DataError::parse(
                path,
                1,
                "format",
                format!(
                    "neither the name nor the content says which structure format (tried {}: {})",
                    StructureFormat::ALL.map(StructureFormat::name).join(", "),
                    "no `{` first, no `data_` line or `_cell_length_a` tag, no atom count then \
                 key=value line, no scale then three lattice lines"
                ),
            )
        })?,
    };
    parse_structures(&text, format, path)
}

/// Every structure in text of a given format, labelled as in [`read_structures`]; `path` names
/// the file in errors and gives the label of a single-structure format.
///
/// # Errors
/// The format reader's [`DataError::Parse`], naming `path`, the record and the field.
pub fn parse_structures(
    text: &str,
    format: StructureFormat,
    path: &Path,
) -> Result<Vec<(String, Crystal)>> {
    let stem = || {
        path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        )
    };
    Ok(match format {
        StructureFormat::Cif => cif::parse_cif_blocks(text, path)?,
        StructureFormat::ExtXyz => extxyz::parse_extxyz(text, path)?
            .into_iter()
            .enumerate()
            .map(|(i, c)| (i.to_string(), c))
            .collect(),
        StructureFormat::Poscar => vec![(stem(), poscar::parse_poscar(text, path)?)],
        StructureFormat::PymatgenJson => vec![(stem(), pymatgen::parse_pymatgen_json(text, path)?)],
    })
}

/// Parse one structure from text in a given format (see [`StructureFormat::from_content`] to
/// detect it); `path` is only used in error messages. For CIF the first structure block, for
/// extended XYZ the first frame.
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
        StructureFormat::ExtXyz => Ok(extxyz::parse_extxyz(text, path)?.swap_remove(0)),
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
        Some(StructureFormat::ExtXyz) | None => Err(DataError::Invalid {
            field: "path".into(),
            message: format!(
                "{}: no writer for this name (use .cif, .json, .vasp or a POSCAR/CONTCAR name)",
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
        assert_eq!(f("train.extxyz"), Some(StructureFormat::ExtXyz));
        assert_eq!(f("md.xyz"), Some(StructureFormat::ExtXyz));
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
    fn detection_by_content_and_its_error() {
        let xyz = "1\nLattice=\"3 0 0 0 3 0 0 0 3\" pbc=\"T T T\"\nCu 0 0 0\n";
        assert_eq!(StructureFormat::detect(xyz), Some(StructureFormat::ExtXyz));
        assert_eq!(
            StructureFormat::detect("Cu\n1.0\n3 0 0\n0 3 0\n0 0 3\nCu\n1\nD\n0 0 0\n"),
            Some(StructureFormat::Poscar)
        );
        // What issue 30 found misread as a POSCAR.
        let ase = "2\nLattice=\"5.431 0.0 0.0 0.0 5.431 0.0 0.0 0.0 5.431\" \
                   Properties=species:S:1:pos:R:3 pbc=\"T T T\"\nSi 0 0 0\nSi 1.35 1.35 1.35\n";
        assert_eq!(StructureFormat::detect(ase), Some(StructureFormat::ExtXyz));
        assert_eq!(StructureFormat::detect("hello\nworld\n"), None);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("structure.txt");
        std::fs::write(&p, "hello\nworld\n").unwrap();
        let msg = read_structure(&p).unwrap_err().to_string();
        assert!(
            msg.contains("field `format`")
                && msg.contains("tried pymatgen JSON, CIF, extended XYZ, POSCAR"),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
        // Two frames under a neutral name: detected, read as two structures.
        let q = dir.path().join("frames.txt");
        std::fs::write(&q, format!("{xyz}{ase}")).unwrap();
        let all = read_structures(&q).unwrap();
        let labels: Vec<&str> = all.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["0", "1"]);
        assert_eq!(all[1].1.reduced_formula(), "Si");
        let msg = read_structure(&q).unwrap_err().to_string();
        assert!(msg.contains("holds 2 structures (0, 1)"), "{msg}");
        // Gzipped, named by its inner extension.
        let gz = dir.path().join("si.xyz.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, ase.as_bytes()).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(
            StructureFormat::from_path(&gz),
            Some(StructureFormat::ExtXyz)
        );
        assert_eq!(read_structure(&gz).unwrap().n_atoms(), 2);
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
