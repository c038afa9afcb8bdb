//! Structure files as the tools people use write them, read here and compared with what
//! pymatgen and ASE read from the same files (`scripts/structure_corpus.py` writes the corpus:
//! benchmark crystals through pymatgen's `CifWriter`, symmetrised and P1, the symmetrised file
//! reduced to a symbol-only header, with and without uncertainties, ASE's cif/extxyz/vasp,
//! two-block CIFs and two-frame XYZ files).
//!
//! Every file must give the same number of structures, and each the same atom count, atoms per
//! element, lattice lengths and angles and space group (spglib via pymatgen; moyo here, both at
//! symprec 0.01 and 5 degrees). Known disagreements would be listed in `EXPLAINED`; there are
//! none.

use std::path::Path;

use dos_data::io::{parse_structures, pymatgen::lattice_parameters, StructureFormat};
use dos_data::symmetry::{analyze, SymmetryConfig};

/// Files where we read differently from pymatgen, with the reason (none so far).
const EXPLAINED: &[(&str, &str)] = &[];

#[test]
fn corpus_reads_as_pymatgen_and_ase_read_it() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/structure_corpus.jsonl.gz"
    );
    let text = dos_data::io::read_text(path).unwrap();
    let (mut files, mut structures, mut ase_agrees) = (0, 0, 0);
    let mut by_kind = std::collections::BTreeMap::<String, usize>::new();
    let mut failures = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = v["name"].as_str().unwrap();
        let format = match v["format"].as_str().unwrap() {
            "cif" => StructureFormat::Cif,
            "extxyz" => StructureFormat::ExtXyz,
            "poscar" => StructureFormat::Poscar,
            other => panic!("{name}: format {other}"),
        };
        let body = v["text"].as_str().unwrap();
        let expected = v["expected"].as_array().unwrap();
        files += 1;
        let kind = name.split_once('_').map_or(name, |(_, k)| k).to_string();
        *by_kind.entry(kind).or_default() += 1;
        if EXPLAINED.iter().any(|(n, _)| *n == name) {
            continue;
        }
        // The content alone says the format too.
        if StructureFormat::detect(body) != Some(format) {
            failures.push(format!("{name}: detected as another format"));
        }
        let got = match parse_structures(body, format, Path::new(name)) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if got.len() != expected.len() {
            failures.push(format!(
                "{name}: {} structures, pymatgen {}",
                got.len(),
                expected.len()
            ));
            continue;
        }
        for ((_, c), e) in got.iter().zip(expected) {
            structures += 1;
            ase_agrees += usize::from(e["ase_agrees"].as_bool() == Some(true));
            let n = e["n_atoms"].as_u64().unwrap() as usize;
            let formula = e["formula"].as_str().unwrap();
            // Atoms per element (pymatgen's reduced formula groups polyanions, `Cd(GaSe2)2`,
            // where ours writes `CdGa2Se4`).
            let mut ours = std::collections::BTreeMap::<String, u64>::new();
            for &z in c.numbers() {
                let symbol = dos_data::elements::Element::from_z(z).unwrap().symbol;
                *ours.entry(symbol.to_string()).or_default() += 1;
            }
            let theirs: std::collections::BTreeMap<String, u64> = e["element_counts"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                .collect();
            if c.n_atoms() != n || ours != theirs {
                failures.push(format!(
                    "{name}: {} atoms {}, pymatgen {n} {formula}",
                    c.n_atoms(),
                    c.reduced_formula()
                ));
                continue;
            }
            let p = lattice_parameters(c.lattice());
            let want: Vec<f64> = e["abc"]
                .as_array()
                .unwrap()
                .iter()
                .chain(e["angles"].as_array().unwrap())
                .map(|x| x.as_f64().unwrap())
                .collect();
            let lattice_ok = (0..3).all(|i| (p[i] - want[i]).abs() <= 1e-5 * want[i])
                && (3..6).all(|i| (p[i] - want[i]).abs() <= 1e-4);
            if !lattice_ok {
                failures.push(format!("{name}: lattice {p:?}, pymatgen {want:?}"));
            }
            let sg = analyze(c, &SymmetryConfig::default()).map(|s| s.space_group);
            let want_sg = e["space_group"].as_u64().map(|x| x as u16);
            if sg.as_ref().ok() != want_sg.as_ref() {
                failures.push(format!("{name}: space group {sg:?}, spglib {want_sg:?}"));
            }
        }
    }
    eprintln!(
        "{files} files, {structures} structures ({ase_agrees} where ASE agrees with pymatgen); \
         by kind: {by_kind:?}; {} disagreements",
        failures.len()
    );
    assert!(files >= 500, "{files}");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
