//! `dos params`: trainable parameter count of every model at its paper preset.

use anyhow::Result;
use candle_core::Device;
use clap::Args;
use dos_models::{parameter_count, AnyModel, ModelConfig, ModelKind, Task};

use crate::train_cmd::TaskArg;
use dos_models::Check;

/// Options of `dos params`.
#[derive(Debug, Args)]
pub struct ParamsArgs {
    /// Task whose presets to count (input widths and M differ).
    #[arg(long, value_enum, default_value = "phonon")]
    pub task: TaskArg,
}

/// Builds each preset (DOSTransformer; baselines with energy embeddings on and off) and
/// prints its parameter count, one model per line.
pub fn run(args: ParamsArgs) -> Result<()> {
    let task = Task::from(args.task);
    println!("model\tenergy\tparameters");
    for kind in ModelKind::ALL {
        // A family that uses energy embeddings even when asked not to has no switch.
        let switchable = !ModelConfig::preset(kind, task, false)
            .settings()
            .uses_energy();
        let energies: &[bool] = if switchable { &[true, false] } else { &[true] };
        for &energy in energies {
            let cfg = ModelConfig::preset(kind, task, energy).check()?;
            let (_model, varmap) = AnyModel::build(&cfg, &Device::Cpu)?;
            let on = if energy { "on" } else { "off" };
            println!("{}\t{on}\t{}", kind.name(), parameter_count(&varmap));
        }
    }
    Ok(())
}
