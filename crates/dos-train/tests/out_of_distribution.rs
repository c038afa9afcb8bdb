//! The bundled model's out-of-distribution signal on real crystals: the spread percentile
//! (`Prediction::spread_percentile`) is higher on phonondb test crystals whose composition is
//! unlike every training crystal's than on those with a close training neighbour, and it
//! tracks the error.
//!
//! "Unlike": the L1 distance between atom-fraction vectors (per element) to the nearest
//! crystal of the bundled model's training set (the benchmark's training split plus
//! phonondb's). The quarter of test crystals farthest from the training set is compared with
//! the quarter nearest to it.

use std::path::Path;

use dos_data::graph::Sample;
use dos_predict::Predictor;
use dos_train::{evaluate_predictor, TrainingData};

fn composition(s: &Sample) -> Vec<f64> {
    let mut v = vec![0.0; 119];
    let numbers = s.crystal.numbers();
    for &z in numbers {
        v[usize::from(z)] += 1.0 / numbers.len() as f64;
    }
    v
}

fn l1(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Ranks (0-based, ties broken by order) of `v`.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    for (rank, &i) in idx.iter().enumerate() {
        r[i] = rank as f64;
    }
    r
}

/// Spearman's rank correlation (Pearson on ranks).
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let (ma, mb) = (mean(&ra), mean(&rb));
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma) * (x - ma)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb) * (y - mb)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn spread_percentile_rises_on_crystals_unlike_the_training_set() {
    let device = candle_core::Device::Cpu;
    let predictor = Predictor::bundled(&device).unwrap();
    let calibration = predictor
        .manifest()
        .calibration
        .clone()
        .expect("the bundled model is a calibrated ensemble");
    let phonondb = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/phonondb");
    let db = TrainingData::phonon_folder(&phonondb).unwrap();
    let bench = TrainingData::benchmark().unwrap();
    let train: Vec<Vec<f64>> = (bench.split.train.iter().map(|&i| &bench.dataset.samples[i]))
        .chain(db.split.train.iter().map(|&i| &db.dataset.samples[i]))
        .map(composition)
        .collect();

    let e = evaluate_predictor(&predictor, &db.dataset, &db.split.test, 32).unwrap();
    let spread = e.spread.as_ref().unwrap();
    let target = e.predictions.target.as_ref().unwrap();
    let mut rows = Vec::new(); // (distance to training set, percentile, MSE)
    for (k, &i) in db.split.test.iter().enumerate() {
        let c = composition(&db.dataset.samples[i]);
        let distance = train
            .iter()
            .map(|t| l1(&c, t))
            .fold(f64::INFINITY, f64::min);
        let pct = calibration.spread_percentile(&spread[k]).unwrap();
        let p = &e.predictions.predicted[k];
        let mse = mean(
            &p.iter()
                .zip(&target[k])
                .map(|(a, b)| (a - b) * (a - b))
                .collect::<Vec<_>>(),
        );
        rows.push((distance, pct, mse));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let q = rows.len() / 4;
    let near = mean(&rows[..q].iter().map(|r| r.1).collect::<Vec<_>>());
    let far = mean(
        &rows[rows.len() - q..]
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
    );
    let pct: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let mse: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let rho = spearman(&pct, &mse);
    println!(
        "{} phonondb test crystals: mean spread percentile {near:.1} (nearest quarter) vs {far:.1} (farthest quarter); Spearman(percentile, MSE) {rho:.3}",
        rows.len()
    );
    assert!(far > near + 5.0, "nearest {near:.1}, farthest {far:.1}");
    assert!(rho > 0.2, "Spearman {rho:.3}");
}
