//! Time the physics generators and print summary statistics of what they produce.
//!
//! `cargo run --release -p dos-data --example physics_generate -- [N] [SEED]`
//! (default N = 1000): N random crystals -> spring-model phonon DOS (4x4x4 q-grid) and N random
//! crystals -> sp3 tight-binding electron DOS (automatic k-grid), both in parallel with rayon.

use std::time::Instant;

use dos_data::dos::pipeline::ElectronDosPipeline;
use dos_data::Check;
use dos_synth::electron_model::ElectronModel;
use dos_synth::generate::{electron_records, phonon_records, CrystalSource};
use dos_synth::phonon::{PhononConfig, SpringModel};
use dos_synth::random_crystal::{random_crystal_seeded, RandomCrystalConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(1000), |s| s.parse())?;
    let seed: u64 = args.next().map_or(Ok(0), |s| s.parse())?;
    let random = RandomCrystalConfig::default().check()?;
    let source = CrystalSource::Random {
        n,
        config: random.clone(),
    };
    println!("threads: {}", rayon::current_num_threads());

    let t = Instant::now();
    let crystals: Vec<_> = (0..n.min(200))
        .map(|i| random_crystal_seeded(&random, dos_synth::generate::crystal_seed(seed, i as u64)))
        .collect::<Result<_, _>>()?;
    println!(
        "random crystals only: {:.2} ms each (serial, {} crystals)",
        t.elapsed().as_secs_f64() * 1e3 / crystals.len() as f64,
        crystals.len()
    );
    let atoms: Vec<usize> = crystals.iter().map(|c| c.crystal.n_atoms()).collect();
    println!(
        "atoms per cell: mean {:.1}, max {}",
        atoms.iter().sum::<usize>() as f64 / atoms.len() as f64,
        atoms.iter().max().unwrap_or(&0)
    );
    let mut per_system = [0usize; 7];
    crystals
        .iter()
        .for_each(|c| per_system[c.system.index()] += 1);
    println!("per system (cubic..triclinic): {per_system:?}");
    // Highest frequency at Gamma and the zone corner, to check the 0..1000 cm^-1 window.
    let cfg = PhononConfig::default().check()?;
    let mut maxima: Vec<f64> = crystals
        .iter()
        .map(|c| {
            let m = SpringModel::from_crystal(&c.crystal, &cfg).expect("model");
            let q = dos_synth::kgrid::to_cartesian(c.crystal.lattice(), &[0.5, 0.5, 0.5]);
            let a = m.frequencies(&[0.0; 3]);
            let b = m.frequencies(&q);
            a.iter().chain(&b).copied().fold(0.0, f64::max)
        })
        .collect();
    maxima.sort_by(f64::total_cmp);
    let pct = |p: f64| maxima[((maxima.len() - 1) as f64 * p) as usize];
    println!(
        "max phonon frequency (cm^-1): p10 {:.0}, median {:.0}, p90 {:.0}",
        pct(0.1),
        pct(0.5),
        pct(0.9)
    );

    let t = Instant::now();
    let phonons = phonon_records(&source, &cfg, seed, &|| {})?;
    let tp = t.elapsed().as_secs_f64();
    println!(
        "phonon: {n} crystals in {tp:.1} s ({:.2} ms/crystal)",
        tp * 1e3 / n as f64
    );
    let zero_dos = phonons
        .iter()
        .filter(|r| r.dos.iter().all(|&x| x == 0.0))
        .count();
    println!("phonon DOS all zero in window: {zero_dos}");

    let t = Instant::now();
    let electrons = electron_records(&source, &ElectronModel::default().check()?, seed, &|| {})?;
    let te = t.elapsed().as_secs_f64();
    println!(
        "electron: {n} crystals in {te:.1} s ({:.2} ms/crystal)",
        te * 1e3 / n as f64
    );
    let gaps: Vec<Option<f64>> = electrons.iter().map(|r| r.band_gap).collect();
    let metals = gaps.iter().filter(|g| **g == Some(0.0)).count();
    let full = gaps.iter().filter(|g| g.is_none()).count();
    println!(
        "electron: metals {metals}, insulators {}, all bands full {full}",
        n - metals - full
    );
    let pipeline = ElectronDosPipeline::paper().check()?;
    let empty = electrons
        .iter()
        .filter(|r| {
            pipeline
                .process(&r.document)
                .map_or(true, |y| y.iter().all(|&v| v == 0.0))
        })
        .count();
    println!("electron: processed 201-point targets all zero: {empty}");
    Ok(())
}
