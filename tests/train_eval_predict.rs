//! End to end on generated phonon data: train a small DOSTransformer into a run folder,
//! evaluate the saved best model, predict a structure read from a POSCAR file.

use candle_core::Device;
use dos::data::graph::GraphConfig;
use dos::data::split::Split;
use dos::models::{ArchOverrides, ModelConfig, ModelKind, Task};
use dos::train::run::{evaluate_indices, read_json, METRICS_FILE};
use dos::train::{
    generated_phonon_dataset, load_run, train_run, RunConfig, RunMetrics, RunOptions, TrainConfig,
};

#[test]
fn train_then_eval_then_predict() {
    let graph = GraphConfig::phonon();
    let data = generated_phonon_dataset(24, 4, 3, &graph).unwrap();
    let split = Split::random_80_10_10(data.len(), 1);
    let mut model = ModelConfig::preset(ModelKind::DosTransformer, Task::Phonon, true);
    ArchOverrides {
        hidden: Some(16),
        gnn_layers: Some(1),
        cross_layers: Some(1),
        self_layers: Some(1),
        branch_cross_layers: Some(1),
    }
    .apply(&mut model);
    let cfg = RunConfig {
        task: Task::Phonon,
        data: "generated".into(),
        model,
        train: TrainConfig {
            epochs: 3,
            batch_size: 4,
            lr: 1e-3,
            ..TrainConfig::default()
        },
        graph,
        energy_grid: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let opts = RunOptions {
        device: Device::Cpu,
        resume: false,
        progress: false,
        init_seed: Some(0),
        init_from: None,
        command: None,
        data_sha256: None,
    };
    let metrics = train_run(&cfg, &data, &split, &out, &opts).unwrap();
    assert_eq!(metrics.epochs, 3);
    let log = std::fs::read_to_string(out.join("log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 3);

    // Evaluate: the reloaded best model reproduces the saved test metrics.
    let run = load_run(&out, &Device::Cpu).unwrap();
    let saved: RunMetrics = read_json(&out.join(METRICS_FILE)).unwrap();
    let dtype = run.config.model.precision().dtype();
    let (_, test) = evaluate_indices(
        &run.model.model,
        &data,
        &run.split.test,
        &Device::Cpu,
        dtype,
        8,
    )
    .unwrap();
    let want = saved.test.clone().unwrap().overall;
    assert!((test.overall.mae - want.mae).abs() <= 1e-6 * want.mae.max(1e-3));

    // Predict from a structure file: same numbers as predicting the in-memory sample.
    let sample = &data.samples[run.split.test[0]];
    let poscar = dir.path().join("POSCAR");
    dos::data::io::write_structure(&poscar, &sample.crystal).unwrap();
    let crystal = dos::data::io::read_structure(&poscar).unwrap();
    // The run's package (written by train_run) and the run folder itself load the same model.
    let from_package = dos::predict::Predictor::load(out.join("package"), &Device::Cpu).unwrap();
    let from_folder = dos::predict::Predictor::load(&out, &Device::Cpu).unwrap();
    let opts = dos::predict::PredictOptions::default();
    let p = from_package
        .predict_one("POSCAR", crystal.clone(), &opts)
        .unwrap();
    let q = from_folder.predict_one("POSCAR", crystal, &opts).unwrap();
    assert_eq!(p.mean, q.mean);
    assert_eq!((p.mean.len(), p.energies[50], p.members), (51, 1000.0, 1));
    assert!(p.std.is_none(), "a single model has no spread");
    let m = from_package.manifest();
    assert_eq!(m.members[0].provenance.best_epoch, saved.best_epoch);
    assert_eq!(
        m.provenance.test.unwrap().mse_x10,
        saved.test.as_ref().unwrap().mse_x10
    );
    let (direct, _) = evaluate_indices(
        &run.model.model,
        &data,
        &run.split.test[..1],
        &Device::Cpu,
        dtype,
        1,
    )
    .unwrap();
    for (a, b) in p.mean.iter().zip(&direct.predicted[0]) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
}
