//! Structure -> graph: the first byte picks the neighbour search (cutoff 0.5..=12 A, every
//! other value with a k-nearest cap), the rest is a structure file of any format (detected from
//! the content). Never panics; errors are one line; a built graph is consistent.
#![no_main]

use dos_data::graph::{neighbor_list_with, CrystalGraph, GraphConfig, NeighborOptions};
use dos_data::Check;
use dos_data::io::{parse_structure, StructureFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&knob, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let format = StructureFormat::from_content(text);
    let crystal = match parse_structure(text, format, "fuzz".as_ref()) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
            return;
        }
    };
    let cutoff = 0.5 + f64::from(knob % 24) * 0.5;
    let mut options = NeighborOptions::radius(cutoff);
    if knob >= 128 {
        options.k_nearest = Some(usize::from(knob % 16) + 1);
    }
    match neighbor_list_with(&crystal, &options) {
        Ok(nl) => {
            assert!(nl.distances.iter().all(|d| *d > 0.0 && *d < cutoff));
            assert_eq!(nl.degrees(crystal.n_atoms()).iter().sum::<usize>(), nl.len());
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "multi-line error: {e}"),
    }
    let cfg = if knob % 2 == 0 {
        GraphConfig::phonon()
    } else {
        GraphConfig::electron()
    };
    let cfg = cfg.check().expect("preset is valid");
    match CrystalGraph::new(&crystal, &cfg) {
        Ok(g) => assert_eq!(g.n_atoms, crystal.n_atoms()),
        Err(e) => assert!(!e.to_string().contains('\n'), "multi-line error: {e}"),
    }
});
