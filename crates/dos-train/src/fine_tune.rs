//! Starting a run from another run's best weights: the paper's fine-tuning study (Table 3).
//!
//! A model trained without some crystal systems predicts them with the mean of its trained
//! prompt rows ([`dos_models::PromptConfig`]). Fine-tuning on a few crystals of those systems
//! makes them "trained", so their prompt rows are used as they are; [`init_from_run`] therefore
//! sets each such row to that mean first, and fine-tuning starts from exactly the predictions
//! of the pre-trained model.
//!
//! [`StartFrom`] names the starting model: a run folder, or one member of a model package
//! (such as the bundled model's).

use std::path::{Path, PathBuf};

use dos_data::graph::GraphConfig;
use dos_data::symmetry::CrystalSystem;
use dos_models::{ModelConfig, Task};
use dos_predict::ModelPackage;

use candle_core::{Device, IndexOp, Tensor};
use candle_nn::VarMap;

use crate::config::Trainable;
use crate::error::{Result, TrainError};
use crate::named_tensors::{load_into_varmap, load_tensors};
use crate::run_config::{read_json, RunConfig, CONFIG_FILE, MODEL_DIR};

/// Loads the best weights of the run folder `run_dir` into `varmap` (same architecture) and
/// gives every prompt row of a system the run did not train the mean of its trained rows.
/// `run` is that folder's `config.json` (read it with [`read_json`]; the caller needs it
/// before building the model, to know which systems count as trained).
///
/// # Errors
/// Missing or malformed weights, a weight missing from the checkpoint or of another shape.
pub fn init_from_run(
    varmap: &VarMap,
    run_dir: &Path,
    run: &RunConfig,
    device: &Device,
) -> Result<()> {
    let weights_path = run_dir
        .join(MODEL_DIR)
        .join(dos_models::checkpoint::WEIGHTS_FILE);
    let weights = load_tensors(&weights_path, device)?;
    load_into_varmap(varmap, &weights, "", &weights_path)?;
    fill_unseen_prompt_rows(varmap, run.model.trained_systems())
}

/// The model a fine-tuning run starts from.
#[derive(Debug, Clone)]
pub enum StartFrom {
    /// The best weights of a `dos train` run folder.
    Run(PathBuf),
    /// Member `index` of a model package.
    Member {
        /// The package.
        package: Box<ModelPackage>,
        /// Which member (0-based).
        index: usize,
    },
}

impl StartFrom {
    /// The starting model's task, model config and graph settings (the fine-tuned model keeps
    /// them all).
    ///
    /// # Errors
    /// An unreadable run folder; a member index out of range.
    pub fn settings(&self) -> Result<(Task, ModelConfig, GraphConfig)> {
        match self {
            StartFrom::Run(dir) => {
                let c = read_run_config(dir)?;
                Ok((c.task, c.model, c.graph))
            }
            StartFrom::Member { package, index } => {
                let m = &package.manifest;
                let member = m.members.get(*index).ok_or_else(|| {
                    TrainError::Data(format!(
                        "{}: member {index} of {} does not exist",
                        package.source,
                        m.members.len()
                    ))
                })?;
                Ok((m.task, member.model.clone(), m.graph))
            }
        }
    }

    /// Loads the starting weights into `varmap` (same architecture) and gives every prompt
    /// row of a system the starting model did not train the mean of its trained rows.
    ///
    /// # Errors
    /// As [`init_from_run`].
    pub fn load_into(&self, varmap: &VarMap, device: &Device) -> Result<()> {
        match self {
            StartFrom::Run(dir) => init_from_run(varmap, dir, &read_run_config(dir)?, device),
            StartFrom::Member { package, index } => {
                let (_, model, _) = self.settings()?;
                let weights = &package.weights[*index];
                load_into_varmap(varmap, weights, "", Path::new(&package.source))?;
                fill_unseen_prompt_rows(varmap, model.trained_systems())
            }
        }
    }
}

/// The `config.json` of the run folder `run_dir`.
///
/// # Errors
/// A missing or malformed file (named in the error).
pub fn read_run_config(run_dir: &Path) -> Result<RunConfig> {
    read_json(&run_dir.join(CONFIG_FILE))
}

/// For every prompt table of `varmap` (a variable under a `prompts` path segment with one row
/// per crystal system), sets the rows not in `trained` to the mean of the rows in `trained`.
///
/// # Shapes
/// Each prompt table is `(7, D)`; other variables are left alone.
///
/// # Errors
/// [`TrainError::Data`] when `trained` is empty.
pub fn fill_unseen_prompt_rows(varmap: &VarMap, trained: &[CrystalSystem]) -> Result<()> {
    let n_systems = dos_models::prompt_config::N_SYSTEMS;
    if trained.is_empty() {
        return Err(TrainError::Data(
            "the trained crystal systems must name at least one system".into(),
        ));
    }
    let data = varmap
        .data()
        .lock()
        .map_err(|_| TrainError::Data("VarMap lock poisoned".into()))?;
    for (name, var) in data.iter() {
        if !Trainable::Prompts.includes(name) || var.rank() != 2 || var.dims()[0] != n_systems {
            continue;
        }
        let table = var.as_tensor();
        let rows = trained
            .iter()
            .map(|s| table.i(s.index()))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let mean = Tensor::stack(&rows, 0)?.mean(0)?;
        let new_rows = CrystalSystem::ALL
            .into_iter()
            .map(|s| {
                if trained.contains(&s) {
                    table.i(s.index())
                } else {
                    Ok(mean.clone())
                }
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        var.set(&Tensor::stack(&new_rows, 0)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::tests::small_cfg;
    use crate::run::{load_run, train_run, RunOptions};
    use crate::{generated_phonon_dataset, TrainConfig};
    use candle_core::DType;
    use dos_config::Check;
    use dos_data::graph::GraphConfig;
    use dos_data::split::Split;
    use dos_models::{AnyModel, DosModel, ModelKind};
    use dos_nn::gradcheck::max_abs_diff;

    #[test]
    fn unseen_rows_get_the_mean_of_trained_rows() {
        let vm = VarMap::new();
        let table: Vec<f32> = (0..21).map(|v| v as f32).collect();
        let vb = dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F32, &Device::Cpu);
        vb.pp("head")
            .pp("prompts")
            .get_with_hints((7, 3), "weight", candle_nn::Init::Const(0.0))
            .unwrap();
        vb.pp("other")
            .get_with_hints((7, 3), "weight", candle_nn::Init::Const(0.0))
            .unwrap();
        for (_, v) in vm.data().lock().unwrap().iter() {
            v.set(&Tensor::from_vec(table.clone(), (7, 3), &Device::Cpu).unwrap())
                .unwrap();
        }
        fill_unseen_prompt_rows(&vm, &[CrystalSystem::Cubic, CrystalSystem::Tetragonal]).unwrap();
        let data = vm.data().lock().unwrap();
        let p = data["head.prompts.weight"].to_vec2::<f32>().unwrap();
        // Rows 0 = [0, 1, 2] and 2 = [6, 7, 8] average to [3, 4, 5].
        assert_eq!(p[0], vec![0.0, 1.0, 2.0]);
        assert_eq!(p[2], vec![6.0, 7.0, 8.0]);
        for s in [1, 3, 4, 5, 6] {
            assert_eq!(p[s], vec![3.0, 4.0, 5.0], "row {s}");
        }
        let o = data["other.weight"].to_vec2::<f32>().unwrap();
        assert_eq!(o[5], vec![15.0, 16.0, 17.0], "non-prompt variables stay");
        drop(data);
        assert!(fill_unseen_prompt_rows(&vm, &[]).is_err());
    }

    /// Pre-train without two crystal systems, then fine-tune the prompts only: the fine-tuned
    /// model starts from the pre-trained model's predictions (mean prompts), and training
    /// changes the prompt rows and nothing else.
    #[test]
    fn prompt_fine_tuning_starts_from_the_pretrained_model_and_moves_only_prompts() {
        let data = generated_phonon_dataset(42, 4, 3, &GraphConfig::phonon()).unwrap();
        let split = Split::ood_crystal_system(&data.crystal_systems(), 1);
        assert!(!split.test.is_empty() && !split.train.is_empty());
        let cfg = small_cfg(ModelKind::DosTransformer, 1);
        let dir = tempfile::tempdir().unwrap();
        let pre = dir.path().join("pre");
        let opts = RunOptions {
            device: Device::Cpu,
            resume: false,
            progress: false,
            init_seed: Some(2),
            init_from: None,
            command: None,
            data_sha256: None,
        };
        train_run(&cfg, &data, &split, &pre, &opts).unwrap();
        let pre_run = load_run(&pre, &Device::Cpu).unwrap();
        assert!(!pre_run
            .config
            .model
            .trained_systems()
            .contains(&CrystalSystem::Monoclinic));

        // The starting point of fine-tuning predicts the held-out crystals as the pre-trained
        // model does.
        let ft_split = split.fine_tune(50.0, 4).unwrap();
        let mut start_cfg = pre_run.config.model.clone();
        start_cfg.set_trained_systems(&CrystalSystem::ALL);
        let (start, vm) = AnyModel::build(&start_cfg.check().unwrap(), &Device::Cpu).unwrap();
        init_from_run(&vm, &pre, &read_run_config(&pre).unwrap(), &Device::Cpu).unwrap();
        let held: Vec<&dos_data::graph::Sample> =
            split.test.iter().map(|&i| &data.samples[i]).collect();
        let batch = dos_data::CrystalBatch::from_samples(&held, &Device::Cpu, DType::F32).unwrap();
        let a = pre_run.model.model.predict(&batch).unwrap();
        let b = start.predict(&batch).unwrap();
        let diff = max_abs_diff(&a, &b).unwrap();
        assert!(
            diff < 1e-5,
            "start differs from the pre-trained model by {diff}"
        );

        // Prompts-only fine-tuning.
        let ft = dir.path().join("ft");
        let ft_cfg = crate::run::RunConfig {
            train: TrainConfig {
                trainable: Trainable::Prompts,
                lr: 1e-2,
                ..cfg.train
            },
            ..pre_run.config.clone()
        };
        let ft_opts = RunOptions {
            init_from: Some(StartFrom::Run(pre.clone())),
            command: None,
            data_sha256: None,
            ..opts
        };
        train_run(&ft_cfg, &data, &ft_split, &ft, &ft_opts).unwrap();
        let ft_run = load_run(&ft, &Device::Cpu).unwrap();
        let before = pre_run.model.varmap.data().lock().unwrap();
        let after = ft_run.model.varmap.data().lock().unwrap();
        let mut prompts_moved = false;
        for (name, v) in after.iter() {
            let d = max_abs_diff(v.as_tensor(), before[name].as_tensor()).unwrap();
            if Trainable::Prompts.includes(name) {
                prompts_moved |= d > 0.0;
            } else {
                assert_eq!(d, 0.0, "{name} changed under prompt fine-tuning");
            }
        }
        assert!(prompts_moved, "no prompt row moved");
        assert!(ft_run
            .config
            .model
            .trained_systems()
            .contains(&CrystalSystem::Monoclinic));
    }
}
