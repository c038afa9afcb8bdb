//! Package and predictor tests on small seeded models.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use dos_data::fixtures::rocksalt as nacl;
use dos_data::graph::GraphConfig;
use dos_data::Crystal;
use dos_models::{AnyModel, ModelConfig, ModelKind, Task};
use dos_nn::seeded_randn;

use crate::manifest::{MemberManifest, MemberProvenance, Provenance};
use crate::package::manifest_for;
use crate::*;
use dos_models::Check;

fn tiny_config() -> ModelConfig {
    let mut cfg = ModelConfig::preset(ModelKind::DosTransformer, Task::Phonon, true);
    if let ModelConfig::DosTransformer(c) = &mut cfg {
        (c.hidden, c.prompt_dim, c.gnn_layers) = (16, 8, 1);
        (c.cross_layers, c.self_layers, c.branch_cross_layers) = (1, 1, 1);
    }
    cfg.set_trained_systems(&dos_data::symmetry::CrystalSystem::ALL);
    cfg
}

fn member_weights(cfg: &ModelConfig, seed: u64) -> HashMap<String, Tensor> {
    let varmap = VarMap::new();
    let vb = dos_nn::SeededVarMap::var_builder(&varmap, seed, DType::F32, &Device::Cpu);
    AnyModel::new(&cfg.check().unwrap(), vb).unwrap();
    let data = varmap.data().lock().unwrap();
    data.iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect()
}

/// A package of `n` tiny seeded DOSTransformer members on the phonon settings.
pub(crate) fn tiny_package(n: usize) -> ModelPackage {
    let cfg = tiny_config();
    let members = (0..n)
        .map(|k| MemberManifest {
            weights: format!("member-{k}.safetensors"),
            model: cfg.clone(),
            provenance: MemberProvenance {
                seed: Some(k as u64),
                ..Default::default()
            },
        })
        .collect();
    ModelPackage {
        manifest: manifest_for(
            Task::Phonon,
            GraphConfig::phonon(),
            members,
            Provenance {
                data: "test".into(),
                ..Default::default()
            },
        ),
        weights: (0..n).map(|k| member_weights(&cfg, k as u64)).collect(),
        source: "tiny test package".into(),
    }
}

fn rutile() -> Crystal {
    let (a, c, u) = (4.59, 2.96, 0.305);
    let l = [[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, c]];
    let f = [
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.5],
        [u, u, 0.0],
        [1.0 - u, 1.0 - u, 0.0],
        [0.5 + u, 0.5 - u, 0.5],
        [0.5 - u, 0.5 + u, 0.5],
    ];
    Crystal::from_fractional(l, vec![22, 22, 8, 8, 8, 8], &f).unwrap()
}

#[test]
fn written_package_reads_back_and_predicts_the_same() {
    let pkg = tiny_package(3);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pkg");
    pkg.write(&out, WeightStorage::F32).unwrap();
    // Writing again replaces the folder atomically and leaves no temporary folder behind.
    pkg.write(&out, WeightStorage::F32).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["pkg".to_string()]);
    let back = ModelPackage::read(&out).unwrap();
    assert_eq!(back.manifest, pkg.manifest);
    let a = Predictor::from_package(pkg, &Device::Cpu).unwrap();
    let b = Predictor::load(&out, &Device::Cpu).unwrap();
    let opts = PredictOptions::default();
    let pa = a.predict_one("NaCl", nacl(), &opts).unwrap();
    let pb = b.predict_one("NaCl", nacl(), &opts).unwrap();
    assert_eq!(pa, pb);
    assert_eq!(
        (pa.members, pa.crystal_system_name(), pa.space_group),
        (3, "cubic", Some(225))
    );
    assert_eq!(pa.energies, EnergyGrid::phonon().values);
    assert!(pa.std.as_ref().unwrap().iter().all(|s| *s >= 0.0));
    assert!(!pa.std_calibrated);
    // A random model's DOS may have no positive weight: then a note says why.
    match pa.properties {
        Some(props) => assert!(props.heat_capacity_j_per_mol_k.std.is_some()),
        None => assert!(pa.notes.iter().any(|n| n.contains("no phonon properties"))),
    }
}

#[test]
fn f16_storage_keeps_small_tensors_in_f32_and_moves_predictions_by_little() {
    let pkg = tiny_package(2);
    let dir = tempfile::tempdir().unwrap();
    pkg.write(dir.path().join("half"), WeightStorage::F16)
        .unwrap();
    // Every tensor of the tiny model is under MIN_COMPRESSED_ELEMENTS: all stay f32.
    let stored =
        candle_core::safetensors::load(dir.path().join("half/member-0.safetensors"), &Device::Cpu)
            .unwrap();
    assert!(stored.values().all(|t| t.dtype() == DType::F32));
    // A large tensor is stored in f16.
    let mut big = tiny_package(1);
    let w = seeded_randn(1, 0f32, 1.0, (200, 100), &Device::Cpu).unwrap();
    big.weights[0].insert("big".into(), w.clone());
    big.write_into(&dir.path().join("big"), WeightStorage::F16)
        .unwrap();
    let stored =
        candle_core::safetensors::load(dir.path().join("big/member-0.safetensors"), &Device::Cpu)
            .unwrap();
    assert_eq!(stored["big"].dtype(), DType::F16);
    let back = stored["big"].to_dtype(DType::F32).unwrap();
    let err = (back - w)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(err > 0.0 && err < 4e-3, "{err}");
    let full = Predictor::from_package(pkg, &Device::Cpu).unwrap();
    let half = Predictor::load(dir.path().join("half"), &Device::Cpu).unwrap();
    let opts = PredictOptions::default();
    let a = full.predict_one("r", rutile(), &opts).unwrap();
    let b = half.predict_one("r", rutile(), &opts).unwrap();
    assert_eq!(a.mean, b.mean);
}

#[test]
fn batched_predictions_equal_one_by_one() {
    let p = Predictor::from_package(tiny_package(2), &Device::Cpu).unwrap();
    let opts = PredictOptions {
        batch_size: 3,
        ..Default::default()
    };
    let inputs = vec![
        Ok(("a".to_string(), nacl())),
        Ok(("b".to_string(), rutile())),
        Err(PredictError::Structure {
            id: "bad.cif".into(),
            message: "unreadable".into(),
        }),
        Ok(("c".to_string(), rutile())),
        Ok(("d".to_string(), nacl())),
    ];
    let many = p.predict_many(inputs, &opts).unwrap();
    assert_eq!(many.len(), 5);
    assert!(many[2]
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("bad.cif"));
    for (r, c) in [(0, nacl()), (1, rutile()), (3, rutile()), (4, nacl())] {
        let one = p.predict_one("x", c, &opts).unwrap();
        let got = many[r].as_ref().unwrap();
        let diff = one
            .mean
            .iter()
            .zip(&got.mean)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(diff < 1e-5, "row {r}: {diff}");
    }
    assert_eq!(many[3].as_ref().unwrap().id, "c");
}

#[test]
fn unknown_symmetry_uses_the_mean_prompt_and_says_so() {
    let p = Predictor::from_package(tiny_package(1), &Device::Cpu).unwrap();
    let mut prepared = p.prepare("NaCl", nacl()).unwrap();
    assert_eq!(
        prepared.sample.crystal_system,
        Some(dos_data::symmetry::CrystalSystem::Cubic)
    );
    prepared.sample.crystal_system = None;
    prepared.space_group = None;
    prepared.symmetry_note = Some("refused".into());
    let unknown = p
        .predict_prepared(std::slice::from_ref(&prepared), 300.0)
        .unwrap();
    assert_eq!(unknown[0].crystal_system_name(), "unknown");
    assert!(
        unknown[0].notes[0].contains("refused"),
        "{:?}",
        unknown[0].notes
    );
    assert!(unknown[0].std.is_none() && unknown[0].members == 1);
    let known = p.predict_one("NaCl", nacl(), &Default::default()).unwrap();
    assert_ne!(known.mean, unknown[0].mean);
    assert!(unknown[0].mean.iter().all(|v| v.is_finite()));
}

/// A cell moyo would never return on (one atom in a 600 x 3 x 4 A box) is predicted within
/// seconds with the unknown-system prompt and a note.
#[test]
fn a_cell_refused_by_the_symmetry_guard_is_still_predicted() {
    let p = Predictor::from_package(tiny_package(2), &Device::Cpu).unwrap();
    let c = Crystal::new(
        [[600.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 4.0]],
        vec![14],
        vec![[0.0; 3]],
    )
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(
            p.predict_one("needle", c, &Default::default())
                .map(|r| (r.crystal_system_name(), r.notes)),
        );
    });
    let (system, notes) = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("prediction did not return within 20 s")
        .unwrap();
    assert_eq!(system, "unknown");
    assert!(notes[0].contains("symmetry unknown"), "{notes:?}");
}

#[test]
fn validation_names_the_wrong_field() {
    let check = |edit: &dyn Fn(&mut ModelPackage), field: &str| {
        let mut p = tiny_package(2);
        edit(&mut p);
        let e = p.validate().expect_err(field).to_string();
        assert!(e.contains(field), "want `{field}` in: {e}");
    };
    check(&|p| p.manifest.format_version = 9, "format_version");
    check(
        &|p| p.manifest.energy_grid.values.truncate(50),
        "members[0].model",
    );
    check(
        &|p| p.manifest.energy_grid.values[3] = -1.0,
        "energy_grid.values",
    );
    check(&|p| p.manifest.graph.cutoff = -1.0, "graph");
    check(&|p| p.manifest.symmetry.symprec = 0.0, "symmetry");
    check(
        &|p| p.manifest.graph.edge = dos_data::graph::EdgeFeatureKind::RawVector,
        "members[0].model",
    );
    check(
        &|p| {
            let w = p.weights[1].get_mut("prompts.weight").unwrap();
            *w = (w.clone() * f64::NAN).unwrap();
        },
        "members[1].weights",
    );
    check(
        &|p| {
            p.weights[0].remove("prompts.weight");
        },
        "members[0].weights",
    );
    check(
        &|p| {
            p.weights[0].insert(
                "extra".into(),
                Tensor::zeros(2, DType::F32, &Device::Cpu).unwrap(),
            );
        },
        "members[0].weights",
    );
    check(
        &|p| {
            p.manifest.calibration = Some(Calibration {
                scale: f64::INFINITY,
                target_coverage: 0.9,
                z: calibration::Z_90,
                fitted_on: "valid".into(),
                n_points: 1,
                coverage: 1.0,
                spread_reference: Vec::new(),
            })
        },
        "calibration.scale",
    );
    check(
        &|p| p.manifest.members[1].weights = "../x".into(),
        "members",
    );
}

#[test]
fn unreadable_packages_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let e = ModelPackage::read(dir.path()).unwrap_err().to_string();
    assert!(e.contains("not a model package"), "{e}");
    let pkg = dir.path().join("pkg");
    tiny_package(1).write(&pkg, WeightStorage::F32).unwrap();
    std::fs::write(pkg.join("member-0.safetensors"), b"garbage").unwrap();
    let e = ModelPackage::read(&pkg).unwrap_err().to_string();
    assert!(e.contains("members[0].weights"), "{e}");
    std::fs::write(pkg.join("package.json"), "{\"format_version\": 2}").unwrap();
    let e = ModelPackage::read(&pkg).unwrap_err().to_string();
    assert!(
        e.contains("format_version") && e.contains("not supported"),
        "{e}"
    );
    let text = serde_json::to_string(&tiny_package(1).manifest).unwrap();
    let traversal = text.replace("member-0.safetensors", "../../etc/passwd");
    std::fs::write(pkg.join("package.json"), traversal).unwrap();
    let e = ModelPackage::read(&pkg).unwrap_err().to_string();
    assert!(e.contains("must be a file name"), "{e}");
}

#[test]
fn embedded_benchmark_hash_is_recorded() {
    let text = dos_data::benchmark::phonon_csv_text().unwrap();
    assert_eq!(
        sha256_hex(text.as_bytes()),
        dos_data::benchmark::PHONON_CSV_SHA256
    );
    // sha256("abc"), FIPS 180-2 test vector.
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
