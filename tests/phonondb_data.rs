//! The committed phonondb set (`data/phonondb`, built by `scripts/phonondb/assemble.py`) is
//! readable as a phonon data folder, has the benchmark's grid and normalisation, agrees with
//! its `counts.json`, and its split keeps the benchmark's validation and test crystals out.

use std::collections::HashSet;
use std::path::PathBuf;

use dos::data::benchmark::{phonon_csv_text, phonon_split};
use dos::data::dataset::PhononDataset;
use dos::data::io::phonon_csv::parse_phonon_csv;
use dos::data::io::read_phonon_csv;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/phonondb")
}

#[test]
fn phonondb_folder_matches_benchmark_format_and_counts() {
    let csv = PhononDataset::csv_in(&dir()).expect("data/phonondb/phonon_dos.csv.gz");
    let rows = read_phonon_csv(&csv).unwrap();
    let bench = parse_phonon_csv(&phonon_csv_text().unwrap(), "benchmark".as_ref()).unwrap();
    assert_eq!(rows[0].frequencies, bench[0].frequencies, "51-point grid");
    for r in &rows {
        let max = r.dos.iter().cloned().fold(f64::MIN, f64::max);
        assert!((max - 1.0).abs() < 1e-12, "{}: max {max}", r.id);
        assert!(r.dos.iter().all(|&v| (0.0..=1.0).contains(&v)), "{}", r.id);
    }
    let ids: HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), rows.len(), "MP ids are unique");

    let counts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("counts.json")).unwrap()).unwrap();
    assert_eq!(counts["rows"].as_u64(), Some(rows.len() as u64));
    let split = PhononDataset::split_in(&dir()).unwrap().expect("idx files");
    split.validate(rows.len()).unwrap();
    assert_eq!(
        counts["split"]["train"].as_u64(),
        Some(split.train.len() as u64)
    );
    assert_eq!(
        counts["excluded_benchmark_valid_test"].as_u64(),
        Some((rows.len() - split.len()) as u64)
    );
}

#[test]
fn phonondb_split_keeps_benchmark_valid_and_test_out() {
    let rows = read_phonon_csv(PhononDataset::csv_in(&dir()).unwrap()).unwrap();
    let split = PhononDataset::split_in(&dir()).unwrap().unwrap();
    let bench = parse_phonon_csv(&phonon_csv_text().unwrap(), "benchmark".as_ref()).unwrap();
    let bsplit = phonon_split().unwrap();
    let ids_of =
        |idx: &[usize]| -> HashSet<&str> { idx.iter().map(|&i| bench[i].id.as_str()).collect() };
    let held = &ids_of(&bsplit.valid) | &ids_of(&bsplit.test);
    let all_bench: HashSet<&str> = bench.iter().map(|r| r.id.as_str()).collect();
    for &i in &split.train {
        assert!(
            !held.contains(rows[i].id.as_str()),
            "{} trains here",
            rows[i].id
        );
    }
    for &i in split.valid.iter().chain(&split.test) {
        assert!(
            !all_bench.contains(rows[i].id.as_str()),
            "{} is a benchmark crystal",
            rows[i].id
        );
    }
    // every row left out of the split is a benchmark valid/test crystal
    let in_split: HashSet<usize> = split
        .train
        .iter()
        .chain(&split.valid)
        .chain(&split.test)
        .copied()
        .collect();
    for (i, r) in rows.iter().enumerate() {
        if !in_split.contains(&i) {
            assert!(
                held.contains(r.id.as_str()),
                "{} left out for no reason",
                r.id
            );
        }
    }
}
