//! One document -> processed DOS and scalar facts (what `dos data edos` prints).

use serde::{Deserialize, Serialize};

use super::band_gap::{band_edges, GapOptions};
use super::document::ElectronDosDocument;
use super::pipeline::CheckedElectronDosPipeline;
use crate::error::Result;

/// Net moment (muB per cell, see [`ElectronDosDocument::net_moment`]) above which a document
/// counts as magnetic: 0.05.
///
/// Spin-polarised DFT of non-magnetic cells leaves a moment of order 1e-2 muB (Materials Project
/// GaAs: 0.008), while real magnets carry ~0.1 muB per cell or more (weak itinerant magnets,
/// e.g. ZrZn2 at 0.17 muB per formula unit); 0.05 sits between.
pub const DEFAULT_MAGNETIC_TOL: f64 = 0.05;

/// A processed electron DOS document.
///
/// # Shapes
/// `grid: (M,)` energies relative to the Fermi level (eV), `dos: (M,)` the pipeline output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdosSummary {
    /// Grid energies relative to `efermi`, eV.
    pub grid: Vec<f64>,
    /// Processed DOS on `grid` (smoothed, clamped, min-max normalised with the paper pipeline).
    pub dos: Vec<f64>,
    /// Fermi level of the document, eV.
    pub efermi: f64,
    /// Band gap of the raw document (pymatgen `get_gap` semantics), eV.
    pub band_gap: f64,
    /// Conduction-band minimum, eV (absolute).
    pub cbm: f64,
    /// Valence-band maximum, eV (absolute).
    pub vbm: f64,
    /// Net spin moment per cell, muB ([`ElectronDosDocument::net_moment`]; 0 when not
    /// spin-polarised). Absent in summaries written before it existed: read as 0.
    #[serde(default)]
    pub net_moment: f64,
    /// Spin-polarised with `|net_moment|` above the magnetic tolerance.
    pub magnetic: bool,
}

/// Processes `doc` with `pipeline`, computes its gap with `gap` and its magnetism with
/// `magnetic_tol` in muB per cell (see [`ElectronDosDocument::is_magnetic`]).
pub fn summarize_document(
    doc: &ElectronDosDocument,
    pipeline: &CheckedElectronDosPipeline,
    gap: &GapOptions,
    magnetic_tol: f64,
) -> Result<EdosSummary> {
    let edges = band_edges(doc, gap)?;
    Ok(EdosSummary {
        grid: pipeline.grid().to_vec(),
        dos: pipeline.process(doc)?,
        efermi: doc.efermi,
        band_gap: edges.gap(),
        cbm: edges.cbm,
        vbm: edges.vbm,
        net_moment: doc.net_moment(),
        magnetic: doc.is_magnetic(magnetic_tol),
    })
}

/// [`summarize_document`] with the paper's pipeline ([`super::ElectronDosPipeline::paper`])
/// and the total-spin gap at density tolerance `gap_tol` (relative to the mean DOS unless
/// `abs_tol`): what `dos data edos` and Python's `process_electron_dos` report.
///
/// # Errors
/// As [`summarize_document`].
pub fn summarize_paper(
    doc: &ElectronDosDocument,
    gap_tol: f64,
    abs_tol: bool,
    magnetic_tol: f64,
) -> Result<EdosSummary> {
    use crate::Check;
    let pipeline = super::ElectronDosPipeline::paper().check()?;
    let gap = GapOptions {
        tol: gap_tol,
        abs_tol,
        spin: super::SpinSelection::Total,
    };
    summarize_document(doc, &pipeline, &gap, magnetic_tol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dos::{read_dos_document, ElectronDosPipeline};
    use crate::Check;

    #[test]
    fn summary_of_a_gapped_document_file() {
        // Valence band below -1 eV, conduction band above 1 eV (E_F = 0), pymatgen JSON shape.
        let e: Vec<f64> = (0..401).map(|i| -10.0 + i as f64 * 0.05).collect();
        let g: Vec<f64> = e
            .iter()
            .map(|&x| if x.abs() > 1.0 + 1e-9 { 1.0 } else { 0.0 })
            .collect();
        let text = serde_json::json!({
            "@module": "pymatgen.electronic_structure.dos", "@class": "Dos",
            "efermi": 0.0, "energies": e, "densities": {"1": g},
        });
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mp-1.json");
        std::fs::write(&p, text.to_string()).unwrap();
        let doc = read_dos_document(&p).unwrap();
        let pipe = ElectronDosPipeline::paper().check().unwrap();
        let s =
            summarize_document(&doc, &pipe, &GapOptions::default(), DEFAULT_MAGNETIC_TOL).unwrap();
        assert_eq!((s.grid.len(), s.dos.len()), (201, 201));
        assert!((s.band_gap - 2.0).abs() < 0.05, "gap {}", s.band_gap);
        assert!(!s.magnetic);
        assert_eq!(s.net_moment, 0.0);
        // Mid-gap is the smoothed minimum (0 after normalisation), far bands the maximum (1).
        assert_eq!(s.dos[100], 0.0);
        assert!((s.dos[0] - 1.0).abs() < 1e-12 && (s.dos[200] - 1.0).abs() < 1e-12);
        let back: EdosSummary = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        // JSON round trip (serde_json parses floats to within 1 ulp).
        assert_eq!((back.magnetic, back.dos.len()), (s.magnetic, s.dos.len()));
        for (a, b) in back
            .dos
            .iter()
            .zip(&s.dos)
            .chain(back.grid.iter().zip(&s.grid))
        {
            assert!((a - b).abs() <= 1e-15);
        }
    }
}
