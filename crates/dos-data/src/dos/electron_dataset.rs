//! Many electron DOS documents (+ structures) -> crystals and 201-point targets.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::band_gap::{band_gap, GapOptions};
use super::document::{read_dos_document, ElectronDosDocument};
use super::pipeline::{CheckedElectronDosPipeline, ElectronDosPipeline};
use super::summary::DEFAULT_MAGNETIC_TOL;
use crate::crystal::Crystal;
use dos_config::Check;

use crate::error::{DataError, Result};

/// One material to load: its id, its DOS document and, optionally, a separate structure file.
#[derive(Debug, Clone, PartialEq)]
pub struct ElectronEntry {
    /// Material id (e.g. `mp-149`).
    pub id: String,
    /// pymatgen `Dos` / `CompleteDos` JSON file.
    pub dos_path: PathBuf,
    /// A structure file, when the document is not a `CompleteDos` with a `structure`.
    pub structure_path: Option<PathBuf>,
}

/// The electron dataset: aligned crystals, targets and scalar labels.
///
/// # Shapes
/// `ids`, `crystals`, `targets`, `efermi`, `band_gaps` all have length `B` (kept materials);
/// each target has length `M = grid.len()` (201 for the paper pipeline).
#[derive(Debug, Clone)]
pub struct ElectronDataset {
    /// Energy grid relative to the Fermi level, eV, `(M,)`.
    pub grid: Vec<f64>,
    /// Material ids of the kept materials, `(B,)`.
    pub ids: Vec<String>,
    /// Structures, `(B,)`.
    pub crystals: Vec<Crystal>,
    /// Processed DOS targets, `(B, M)`.
    pub targets: Vec<Vec<f64>>,
    /// Fermi levels, eV, `(B,)`.
    pub efermi: Vec<f64>,
    /// Band gaps of the raw documents (pymatgen `get_gap` semantics), eV, `(B,)`.
    pub band_gaps: Vec<f64>,
    /// Ids of documents dropped as magnetic.
    pub dropped_magnetic: Vec<String>,
}

impl ElectronDataset {
    /// Number of kept materials `B`.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no material was kept.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Builds an [`ElectronDataset`]: reads each document, drops magnetic ones (counted in
/// `dropped_magnetic`), processes the rest with the pipeline and loads their structures.
#[derive(Debug, Clone, PartialEq)]
pub struct ElectronDatasetBuilder {
    /// DOS processing; [`ElectronDosPipeline::paper`] by default.
    pub pipeline: ElectronDosPipeline,
    /// Net-moment threshold (muB per cell) of [`ElectronDosDocument::is_magnetic`];
    /// [`DEFAULT_MAGNETIC_TOL`] = 0.05.
    pub magnetic_tol: f64,
    /// Band gap options; [`GapOptions::default`].
    pub gap: GapOptions,
}

impl Default for ElectronDatasetBuilder {
    fn default() -> Self {
        Self {
            pipeline: ElectronDosPipeline::paper(),
            magnetic_tol: DEFAULT_MAGNETIC_TOL,
            gap: GapOptions::default(),
        }
    }
}

impl ElectronDatasetBuilder {
    /// Builds the dataset. `load_structure(entry, doc)` returns the crystal of an entry (from
    /// `entry.structure_path` or the document's embedded `structure`); it is called only for
    /// non-magnetic documents. Entries keep their order; the first error aborts.
    pub fn build<F>(&self, entries: &[ElectronEntry], load_structure: F) -> Result<ElectronDataset>
    where
        F: Fn(&ElectronEntry, &ElectronDosDocument) -> Result<Crystal> + Sync,
    {
        let pipe: CheckedElectronDosPipeline = self.pipeline.check()?;
        if !(self.magnetic_tol.is_finite() && self.magnetic_tol >= 0.0) {
            return Err(DataError::Invalid {
                field: "magnetic_tol".into(),
                message: format!("must be finite and >= 0, got {}", self.magnetic_tol),
            });
        }
        type Row = Option<(Crystal, Vec<f64>, f64, f64)>;
        // Collect every result before `?` so the error reported is the first entry's in file
        // order, not whichever worker failed first.
        let rows: Vec<Result<Row>> = entries
            .par_iter()
            .map(|entry| -> Result<Row> {
                let doc = read_dos_document(&entry.dos_path)?;
                if doc.is_magnetic(self.magnetic_tol) {
                    return Ok(None);
                }
                let target = pipe.process(&doc)?;
                let gap = band_gap(&doc, &self.gap)?;
                let crystal = load_structure(entry, &doc)?;
                Ok(Some((crystal, target, doc.efermi, gap)))
            })
            .collect();
        let rows = rows.into_iter().collect::<Result<Vec<Row>>>()?;
        let mut ds = ElectronDataset {
            grid: pipe.grid().to_vec(),
            ids: Vec::new(),
            crystals: Vec::new(),
            targets: Vec::new(),
            efermi: Vec::new(),
            band_gaps: Vec::new(),
            dropped_magnetic: Vec::new(),
        };
        for (entry, row) in entries.iter().zip(rows) {
            match row {
                None => ds.dropped_magnetic.push(entry.id.clone()),
                Some((crystal, target, ef, gap)) => {
                    ds.ids.push(entry.id.clone());
                    ds.crystals.push(crystal);
                    ds.targets.push(target);
                    ds.efermi.push(ef);
                    ds.band_gaps.push(gap);
                }
            }
        }
        Ok(ds)
    }
}

impl ElectronDatasetBuilder {
    /// [`Self::build`] with [`load_entry_structure`]: the entry's structure file if it has one,
    /// otherwise the document's embedded `CompleteDos` structure.
    pub fn build_default(&self, entries: &[ElectronEntry]) -> Result<ElectronDataset> {
        self.build(entries, load_entry_structure)
    }
}

/// The crystal of an entry: `entry.structure_path` read with [`crate::io::read_structure`]
/// (pymatgen JSON, CIF or POSCAR), else the document's embedded pymatgen structure (a
/// `CompleteDos` document). Errors name the file and field.
pub fn load_entry_structure(entry: &ElectronEntry, doc: &ElectronDosDocument) -> Result<Crystal> {
    if let Some(p) = &entry.structure_path {
        return crate::io::read_structure(p);
    }
    let parse =
        |field: String, message: String| DataError::parse(&entry.dos_path, 0, field, message);
    let s = doc.structure.as_ref().ok_or_else(|| {
        parse(
            "structure".into(),
            "no structure in the document and no structure file given".into(),
        )
    })?;
    crate::io::pymatgen::pymatgen_value_to_crystal(s)
        .map_err(|(field, message)| parse(format!("structure.{field}"), message))
}

/// Lists `dos_dir/*.json` (sorted by name) as entries with `id` = the file stem. With
/// `structure_dir`, each entry's structure file is the first existing of
/// `structure_dir/{id}.json`, `{id}.cif`, `{id}.vasp`, `{id}.poscar` (an error if none);
/// without it, structures come from the documents themselves.
pub fn entries_in_dir(
    dos_dir: impl AsRef<Path>,
    structure_dir: Option<&Path>,
) -> Result<Vec<ElectronEntry>> {
    let mut entries = json_files_in(dos_dir.as_ref())?;
    if let Some(sdir) = structure_dir {
        for e in &mut entries {
            let found = ["json", "cif", "vasp", "poscar"]
                .iter()
                .map(|ext| sdir.join(format!("{}.{ext}", e.id)))
                .find(|p| p.is_file());
            let p = found.ok_or_else(|| DataError::Io {
                path: sdir.join(format!("{}.{{json,cif,vasp,poscar}}", e.id)),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no structure file for this DOS document",
                ),
            })?;
            e.structure_path = Some(p);
        }
    }
    Ok(entries)
}

fn json_files_in(dir: &Path) -> Result<Vec<ElectronEntry>> {
    let io = |source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for item in std::fs::read_dir(dir).map_err(io)? {
        let path = item.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|p| ElectronEntry {
            id: p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            dos_path: p,
            structure_path: None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn si() -> Crystal {
        let l = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]];
        Crystal::from_fractional(l, vec![14, 14], &[[0.0; 3], [0.25, 0.25, 0.25]]).unwrap()
    }

    fn write_doc(dir: &Path, name: &str, down_scale: Option<f64>) {
        let e: Vec<f64> = (0..300).map(|i| -8.0 + i as f64 * 0.05).collect();
        let up: Vec<f64> = e.iter().map(|x| 1.0 + (2.0 * x).sin().abs()).collect();
        let mut dens = serde_json::Map::new();
        dens.insert("1".into(), json!(up));
        if let Some(s) = down_scale {
            dens.insert(
                "-1".into(),
                json!(up.iter().map(|u| u * s).collect::<Vec<_>>()),
            );
        }
        let v = json!({"@module": "pymatgen.electronic_structure.dos", "@class": "Dos",
                       "efermi": -1.0, "energies": e, "densities": dens});
        std::fs::write(dir.join(name), v.to_string()).unwrap();
    }

    #[test]
    fn drops_magnetic_documents_and_keeps_order() {
        let dir = tempfile::tempdir().unwrap();
        write_doc(dir.path(), "mp-1.json", None);
        write_doc(dir.path(), "mp-2.json", Some(0.5)); // magnetic
        write_doc(dir.path(), "mp-3.json", Some(1.0)); // polarised, equal channels
                                                       // Polarised, down 1e-3 above up (like Materials Project GaAs): net moment -0.0113 muB,
                                                       // kept, though max |up - down| = 2e-3 states/eV.
        write_doc(dir.path(), "mp-4.json", Some(1.001));
        let sdir = tempfile::tempdir().unwrap();
        for id in ["mp-1", "mp-2", "mp-3", "mp-4"] {
            crate::io::write_pymatgen_json(sdir.path().join(format!("{id}.json")), &si()).unwrap();
        }
        let entries = entries_in_dir(dir.path(), Some(sdir.path())).unwrap();
        assert_eq!(entries.len(), 4);
        let ds = ElectronDatasetBuilder::default()
            .build_default(&entries)
            .unwrap();
        assert_eq!(ds.crystals[1].numbers(), si().numbers());
        assert_eq!(ds.ids, vec!["mp-1", "mp-3", "mp-4"]);
        assert_eq!(ds.dropped_magnetic, vec!["mp-2"]);
        assert_eq!(ds.targets.len(), 3);
        assert!(ds.targets.iter().all(|t| t.len() == 201));
        // Same shape of DOS, doubled by the second spin: identical after min-max normalisation.
        for (a, b) in ds.targets[0].iter().zip(&ds.targets[1]) {
            assert!((a - b).abs() < 1e-12);
        }
        // No structure anywhere: the error names the document and the field.
        let bare = entries_in_dir(dir.path(), None).unwrap();
        match ElectronDatasetBuilder::default().build_default(&bare) {
            Err(DataError::Parse { path, field, .. }) => {
                assert_eq!(path, bare[0].dos_path);
                assert_eq!(field, "structure");
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn complete_dos_documents_carry_their_structure() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mp-149.json");
        let e: Vec<f64> = (0..300).map(|i| -8.0 + i as f64 * 0.05).collect();
        let g: Vec<f64> = e.iter().map(|x| x.abs()).collect();
        let v = json!({"@module": "pymatgen.electronic_structure.dos", "@class": "CompleteDos",
                       "efermi": 0.0, "structure": crate::io::pymatgen::crystal_to_pymatgen_value(&si()),
                       "energies": e, "densities": {"1": g}, "pdos": []});
        std::fs::write(&p, v.to_string()).unwrap();
        let entries = entries_in_dir(dir.path(), None).unwrap();
        let ds = ElectronDatasetBuilder::default()
            .build_default(&entries)
            .unwrap();
        assert_eq!(ds.ids, vec!["mp-149"]);
        assert!((ds.crystals[0].volume() - 27.0).abs() < 1e-9);
        assert!(ds.dropped_magnetic.is_empty());
    }
}
