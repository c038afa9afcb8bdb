//! Generated electron DOS datasets as JSON lines (`electron_dos.jsonl`), one object per line
//! `{"id", "crystal_system", "space_group", "band_gap", "structure", "dos"}`: `structure` is
//! pymatgen's `Structure.as_dict()`, `dos` is `Dos.as_dict()`; `crystal_system` and
//! `space_group` are `null` when the symmetry analysis failed on the structure, `band_gap` is
//! `null` when every band is full. [`write_electron_dataset`] writes a seeded 80/10/10 split
//! (`idx_train.txt`, `idx_valid.txt`, `idx_test.txt`) beside it.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::dos::document::ElectronDosDocument;
use crate::error::{io_error, DataError, Result};
use crate::io::pymatgen::{crystal_to_pymatgen_value, pymatgen_value_to_crystal};
use crate::split::Split;
use crate::symmetry::CrystalSystem;
use crate::Crystal;

/// File name of a generated electron dataset.
pub const ELECTRON_FILE: &str = "electron_dos.jsonl";

/// One electron-DOS sample: structure, pymatgen-shaped document and labels.
#[derive(Debug, Clone, PartialEq)]
pub struct ElectronRecord {
    /// Identifier.
    pub id: String,
    /// The structure.
    pub crystal: Crystal,
    /// The DOS document (absolute energies, total DOS under spin `"1"`).
    pub document: ElectronDosDocument,
    /// Band gap in eV from the model (0 for metals, `None` when every band is full).
    pub band_gap: Option<f64>,
    /// Space-group number, when the symmetry analysis succeeded.
    pub space_group: Option<u16>,
    /// Crystal system, when the symmetry analysis succeeded.
    pub crystal_system: Option<CrystalSystem>,
}

impl ElectronRecord {
    /// The JSON-lines object of this record (see the module docs).
    pub fn to_json_value(&self) -> Value {
        json!({
            "id": self.id,
            "crystal_system": self.crystal_system.map(|s| s.name()),
            "space_group": self.space_group,
            "band_gap": self.band_gap,
            "structure": crystal_to_pymatgen_value(&self.crystal),
            "dos": self.document.to_json_value(),
        })
    }

    /// Parse one JSON-lines object; `path` and `line` label errors.
    ///
    /// # Errors
    /// [`DataError::Parse`] naming the file, line and field.
    pub fn from_json_value(v: &Value, path: &Path, line: usize) -> Result<Self> {
        let perr = |field: &str, message: String| DataError::parse(path, line, field, message);
        let id = v["id"]
            .as_str()
            .ok_or_else(|| perr("id", "missing or not a string".into()))?
            .to_string();
        let crystal = pymatgen_value_to_crystal(&v["structure"])
            .map_err(|(field, message)| perr(&format!("structure.{field}"), message))?;
        let document = ElectronDosDocument::from_json_value(&v["dos"], path)
            .map_err(|e| perr("dos", e.to_string()))?;
        let crystal_system = match &v["crystal_system"] {
            Value::Null => None,
            Value::String(s) => Some(
                CrystalSystem::from_name(s)
                    .ok_or_else(|| perr("crystal_system", format!("unknown system {s:?}")))?,
            ),
            other => return Err(perr("crystal_system", format!("not a string: {other}"))),
        };
        let space_group = match &v["space_group"] {
            Value::Null => None,
            x => Some(
                x.as_u64()
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| (1..=230).contains(n))
                    .ok_or_else(|| perr("space_group", format!("not in 1..=230: {x}")))?,
            ),
        };
        let band_gap = match &v["band_gap"] {
            Value::Null => None,
            x => Some(
                x.as_f64()
                    .ok_or_else(|| perr("band_gap", format!("not a number: {x}")))?,
            ),
        };
        Ok(Self {
            id,
            crystal,
            document,
            band_gap,
            space_group,
            crystal_system,
        })
    }
}

/// Write `records` to `dir/electron_dos.jsonl` and a random 80/10/10 split (seeded) beside it;
/// creates `dir`. Returns the JSON-lines path.
///
/// # Errors
/// [`DataError::Io`] naming the file.
pub fn write_electron_dataset(
    dir: impl AsRef<Path>,
    records: &[ElectronRecord],
    seed: u64,
) -> Result<PathBuf> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let path = dir.join(ELECTRON_FILE);
    let file = std::fs::File::create(&path).map_err(io_error(&path))?;
    let mut w = BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        for r in records {
            serde_json::to_writer(&mut w, &r.to_json_value())?;
            w.write_all(b"\n")?;
        }
        w.flush()
    };
    write().map_err(io_error(&path))?;
    Split::random_80_10_10(records.len(), seed).write_dir(dir)?;
    Ok(path)
}

/// Read an `electron_dos.jsonl` file (blank lines skipped).
///
/// # Errors
/// [`DataError::Io`], or [`DataError::Parse`] naming the file, the 1-based line and the field.
pub fn read_electron_dataset(path: impl AsRef<Path>) -> Result<Vec<ElectronRecord>> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_error(path))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| DataError::parse(path, i + 1, "<json>", e.to_string()))?;
        out.push(ElectronRecord::from_json_value(&v, path, i + 1)?);
    }
    Ok(out)
}
