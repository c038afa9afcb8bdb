//! `dos data ...`: look at data files.
//!
//! `dos data inspect --data FILE... [--cutoff 4.0] [--symprec 0.01] [--format json|tsv]`
//! prints one line per crystal with its id, formula, size, space group, crystal system and the
//! number of directed edges of its periodic radius graph.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use dos_data::graph::neighbor_list;
use dos_data::io::{read_phonon_csv, read_structures};
use dos_data::symmetry::{analyze, CrystalSystem, SymmetryConfig};
use dos_data::Check;
use dos_data::Crystal;
use rayon::prelude::*;
use serde::Serialize;

/// `dos data` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// One line per crystal: id, formula, atoms, species, space group, crystal system, edges.
    Inspect(InspectArgs),
    /// Electron DOS of a pymatgen document on the paper's grid (band gap, Fermi level).
    Edos(crate::edos_cmd::EdosArgs),
    /// Generate a phonon or electron DOS data set from random crystals (no download).
    Generate(crate::generate_cmd::GenerateArgs),
    /// Write split files: random 80/10/10, OOD by species or crystal system, fine-tuning.
    Split(crate::split_cmd::SplitArgs),
}

/// Arguments of `dos data inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Data files: the phonon benchmark CSV (`.csv`) and/or structure files (CIF, POSCAR,
    /// CONTCAR, `.vasp`, pymatgen `.json`, extended `.xyz`; every CIF block and XYZ frame).
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Radius-graph cutoff in Angstrom for `n_edges`.
    #[arg(long, default_value_t = 4.0)]
    pub cutoff: f64,
    /// Symmetry distance tolerance in Angstrom (pymatgen's default 0.01).
    #[arg(long, default_value_t = SymmetryConfig::default().symprec)]
    pub symprec: f64,
    /// Output format: JSON lines or tab-separated values with a header.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
}

/// Output format of `dos data inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line.
    Json,
    /// Tab-separated values with a header line.
    Tsv,
}

/// One output line of `dos data inspect`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectRow {
    /// 0-based data row in a CSV file; for a structure file, its 0-based position among the
    /// `--data` files.
    pub row: usize,
    /// Materials Project id (CSV) or the file stem (structure files).
    pub id: String,
    /// Reduced formula, elements in order of first appearance.
    pub formula: String,
    /// Atoms in the cell.
    pub n_atoms: usize,
    /// Distinct elements.
    pub n_species: usize,
    /// International space-group number.
    pub spacegroup: u16,
    /// Crystal system (written as its lower-case name).
    pub crystal_system: CrystalSystem,
    /// Directed edges of the periodic radius graph at `--cutoff`.
    pub n_edges: usize,
}

/// Run a `dos data` subcommand.
///
/// # Errors
/// Bad arguments, unreadable or malformed files, failed symmetry analysis.
pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::Edos(args) => crate::edos_cmd::run(args),
        DataCommand::Generate(args) => crate::generate_cmd::run(args),
        DataCommand::Split(args) => crate::split_cmd::run(args),
        DataCommand::Inspect(args) => {
            let rows = inspect(&args)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write_rows(&mut out, &rows, args.format)?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Inspect every crystal of every `--data` file, in order.
///
/// # Errors
/// The first file or crystal that fails, with the file named.
pub fn inspect(args: &InspectArgs) -> Result<Vec<InspectRow>> {
    let symmetry = SymmetryConfig {
        symprec: args.symprec,
        ..SymmetryConfig::default()
    };
    symmetry.check()?;
    dos_data::graph::NeighborOptions::radius(args.cutoff).check()?;
    let mut items: Vec<(usize, String, Crystal)> = Vec::new();
    for (file_index, path) in args.data.iter().enumerate() {
        if is_csv(path) {
            let records = read_phonon_csv(path)
                .with_context(|| format!("reading phonon CSV {}", path.display()))?;
            items.extend(
                records
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| (i, r.id, r.crystal)),
            );
        } else {
            // Every structure of the file (CIF blocks, XYZ frames): ids `stem:label` when
            // there are several.
            let all = read_structures(path)
                .with_context(|| format!("reading structure {}", path.display()))?;
            let stem = path.file_stem().map_or_else(
                || path.display().to_string(),
                |s| s.to_string_lossy().into_owned(),
            );
            let several = all.len() > 1;
            for (label, crystal) in all {
                let id = if several {
                    format!("{stem}:{label}")
                } else {
                    stem.clone()
                };
                items.push((file_index, id, crystal));
            }
        }
    }
    items
        .par_iter()
        .map(|(row, id, crystal)| {
            let sym = analyze(crystal, &symmetry).with_context(|| format!("crystal {id}"))?;
            let edges =
                neighbor_list(crystal, args.cutoff).with_context(|| format!("crystal {id}"))?;
            Ok(InspectRow {
                row: *row,
                id: id.clone(),
                formula: crystal.reduced_formula(),
                n_atoms: crystal.n_atoms(),
                n_species: crystal.n_species(),
                spacegroup: sym.space_group,
                crystal_system: sym.crystal_system,
                n_edges: edges.len(),
            })
        })
        .collect()
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// Write rows as JSON lines or TSV.
///
/// # Errors
/// Write failures.
pub fn write_rows(out: &mut impl Write, rows: &[InspectRow], format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Json => {
            for r in rows {
                writeln!(out, "{}", serde_json::to_string(r)?)?;
            }
        }
        OutputFormat::Tsv => {
            writeln!(
                out,
                "row\tid\tformula\tn_atoms\tn_species\tspacegroup\tcrystal_system\tn_edges"
            )?;
            for r in rows {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.row,
                    r.id,
                    r.formula,
                    r.n_atoms,
                    r.n_species,
                    r.spacegroup,
                    r.crystal_system,
                    r.n_edges
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NACL_POSCAR: &str = "NaCl\n1.0\n0.0 2.82 2.82\n2.82 0.0 2.82\n2.82 2.82 0.0\nNa Cl\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n";

    fn args(data: Vec<PathBuf>) -> InspectArgs {
        InspectArgs {
            data,
            cutoff: 4.0,
            symprec: 0.01,
            format: OutputFormat::Json,
        }
    }

    #[test]
    fn inspects_structure_and_csv() {
        let dir = tempfile::tempdir().unwrap();
        let poscar = dir.path().join("NaCl.vasp");
        std::fs::write(&poscar, NACL_POSCAR).unwrap();
        let csv = dir.path().join("mini.csv");
        std::fs::write(
            &csv,
            "mp_id,structure,phfreq,phdos\nmp-22862,\"{'numbers': [11, 17], 'positions': [[0.0, 0.0, 0.0], [2.82, 2.82, 2.82]], 'cell': [[0.0, 2.82, 2.82], [2.82, 0.0, 2.82], [2.82, 2.82, 0.0]], 'pbc': [True, True, True]}\",\"[0.0, 20.0]\",\"[0.5, 1.0]\"\n",
        )
        .unwrap();
        let rows = inspect(&args(vec![poscar, csv])).unwrap();
        // Rocksalt, a = 5.64 A: 6 neighbours at 2.82 A and 12 at 3.99 A within 4 A, per atom;
        // `python3 -c "from ase.build import bulk; from ase.neighborlist import neighbor_list;
        //  print(len(neighbor_list('i', bulk('NaCl','rocksalt',a=5.64), 4.0)))"` prints 36.
        let expected = InspectRow {
            row: 0,
            id: "NaCl".into(),
            formula: "NaCl".into(),
            n_atoms: 2,
            n_species: 2,
            spacegroup: 225,
            crystal_system: CrystalSystem::Cubic,
            n_edges: 36,
        };
        assert_eq!(rows[0], expected);
        assert_eq!(
            rows[1],
            InspectRow {
                id: "mp-22862".into(),
                ..expected
            }
        );
        let mut out = Vec::new();
        write_rows(&mut out, &rows[..1], OutputFormat::Json).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"row\":0,\"id\":\"NaCl\",\"formula\":\"NaCl\",\"n_atoms\":2,\"n_species\":2,\"spacegroup\":225,\"crystal_system\":\"cubic\",\"n_edges\":36}\n"
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("POSCAR");
        std::fs::write(&bad, "x\n1.0\n1 0 0\n").unwrap();
        let msg = format!("{:#}", inspect(&args(vec![bad.clone()])).unwrap_err());
        assert!(msg.contains("POSCAR") && msg.contains("lattice"), "{msg}");
        assert!(inspect(&args(vec![dir.path().join("missing.csv")])).is_err());
        let mut a = args(vec![bad]);
        a.cutoff = -1.0;
        assert!(format!("{:#}", inspect(&a).unwrap_err()).contains("cutoff"));
    }
}
