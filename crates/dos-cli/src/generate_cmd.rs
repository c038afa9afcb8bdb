//! `dos data generate`: physics-generated phonon or electron DOS datasets (offline).
//!
//! ```text
//! dos data generate --kind phonon --random 10000 --seed 0 --out data/synth-phonon
//! dos data generate --kind electron --structures crystals/ --out data/synth-electron
//! dos data generate --kind electron --structures benchmark --out data/bench-electron
//! dos data generate --kind electron --model s --k-grid 6 --random 100 --out data/s-model
//! ```
//!
//! Phonon output: `phonon_dos.csv` in the benchmark's format plus `idx_{train,valid,test}.txt`;
//! electron output: `electron_dos.jsonl` (pymatgen `Structure.as_dict()` and `Dos.as_dict()` per
//! line) plus the index files. Both also get `generate_config.json` with every setting used.
//! See `dos_synth` for the models.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use dos_data::io::{write_electron_dataset, write_phonon_dataset};
use dos_data::symmetry::CrystalSystem;
use dos_data::Check;
use dos_data::Crystal;
use dos_synth::electron_model::ElectronModel;
use dos_synth::generate::{electron_records, phonon_records, CrystalSource};
use dos_synth::kgrid::MonkhorstPack;
use dos_synth::phonon::PhononConfig;
use dos_synth::random_crystal::RandomCrystalConfig;
use dos_synth::slater_koster::SlaterKosterConfig;
use dos_synth::tight_binding::TightBindingConfig;
use indicatif::{ProgressBar, ProgressStyle};

/// Which density of states to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Spring-model phonon DOS on the benchmark grid (51 points, 0..=1000 cm^-1).
    Phonon,
    /// Tight-binding electron DOS documents (pymatgen `Dos.as_dict()`); see `--model`.
    Electron,
}

/// Which electron tight-binding model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// s and p orbitals per atom, Harrison's term values and universal bond integrals.
    Sp3,
    /// One s orbital per atom (the earlier toy model, mostly metals).
    S,
}

// `--structures benchmark` names the embedded phonon benchmark's 1,522 crystals.
use dos_train::training_data::BENCHMARK;

/// Arguments of `dos data generate`.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Which DOS to compute.
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// Structures to use: `benchmark` (the embedded phonon benchmark's 1,522 crystals), a
    /// phonon benchmark CSV, a JSON-lines file (pymatgen structures, or objects with a
    /// "structure" and optional "id"), a single CIF/POSCAR/pymatgen JSON file, or a directory
    /// of such files.
    #[arg(long, conflicts_with = "random", required_unless_present = "random")]
    pub structures: Option<PathBuf>,
    /// Generate this many random crystals instead.
    #[arg(long)]
    pub random: Option<usize>,
    /// Dataset seed (random crystals and the train/valid/test split).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output directory (created).
    #[arg(long)]
    pub out: PathBuf,
    /// Phonon q-grid: `N` or `AxBxC`.
    #[arg(long, default_value = "4x4x4")]
    pub q_grid: String,
    /// Electron model.
    #[arg(long, value_enum, default_value_t = ModelArg::Sp3)]
    pub model: ModelArg,
    /// Electron k-grid: `N` or `AxBxC` (default: 6x6x6 for `--model s`, automatic from
    /// `--k-length` for `--model sp3`).
    #[arg(long)]
    pub k_grid: Option<String>,
    /// sp3 model: length in Å of the automatic k-grid (`n_i = max(1, floor(L |b_i| + 0.5))`).
    #[arg(long, default_value_t = 20.0)]
    pub k_length: f64,
    /// Random crystals: only this crystal system (cubic, hexagonal, ..., triclinic).
    #[arg(long)]
    pub system: Option<CrystalSystem>,
    /// Random crystals: most atoms per cell.
    #[arg(long, default_value_t = 40)]
    pub max_atoms: usize,
    /// Random crystals: most distinct elements.
    #[arg(long, default_value_t = 7)]
    pub max_species: usize,
}

/// Parse `N`, `AxBxC` or `A,B,C` into a Gamma-centred grid.
fn parse_grid(s: &str, what: &str) -> anyhow::Result<MonkhorstPack> {
    let parts: Vec<&str> = s.split(['x', 'X', ',']).map(str::trim).collect();
    let nums = parts
        .iter()
        .map(|p| p.parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--{what} {s:?}: expected N or AxBxC"))?;
    let n = match nums.as_slice() {
        [n] => [*n; 3],
        [a, b, c] => [*a, *b, *c],
        _ => bail!("--{what} {s:?}: expected N or AxBxC"),
    };
    let grid = MonkhorstPack {
        n,
        gamma_centred: true,
    };
    grid.check()?;
    Ok(grid)
}

/// Id from a file name: its stem.
fn stem(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

fn read_jsonl(path: &Path) -> anyhow::Result<Vec<(String, Crystal)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: invalid JSON", path.display(), i + 1))?;
        let structure = v.get("structure").unwrap_or(&v);
        let crystal = dos_data::io::pymatgen::pymatgen_value_to_crystal(structure).map_err(
            |(field, message)| {
                anyhow::anyhow!("{}:{}: field `{field}`: {message}", path.display(), i + 1)
            },
        )?;
        let id = v
            .get("id")
            .and_then(|x| x.as_str())
            .map_or_else(|| format!("{}-{}", stem(path), i + 1), str::to_string);
        out.push((id, crystal));
    }
    Ok(out)
}

/// Read the `--structures` input (see [`GenerateArgs::structures`]).
fn read_structures(path: &Path) -> anyhow::Result<Vec<(String, Crystal)>> {
    if path.as_os_str() == BENCHMARK && !path.exists() {
        let text = dos_data::benchmark::phonon_csv_text()?;
        return Ok(dos_data::io::phonon_csv::parse_phonon_csv(&text, path)?
            .into_iter()
            .map(|r| (r.id, r.crystal))
            .collect());
    }
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("listing {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            out.extend(read_structures(&f)?);
        }
        return Ok(out);
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => Ok(dos_data::io::read_phonon_csv(path)?
            .into_iter()
            .map(|r| (r.id, r.crystal))
            .collect()),
        "jsonl" => read_jsonl(path),
        _ => Ok(vec![(stem(path), dos_data::io::read_structure(path)?)]),
    }
}

/// Run `dos data generate`.
///
/// # Errors
/// Bad arguments, unreadable structures, or a failure writing the dataset.
pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let source = match (&args.structures, args.random) {
        (Some(path), _) => CrystalSource::Given(read_structures(path)?),
        (None, Some(n)) => {
            let config = RandomCrystalConfig {
                system: args.system,
                max_atoms: args.max_atoms,
                max_species: args.max_species,
                ..RandomCrystalConfig::default()
            };
            CrystalSource::Random {
                n,
                config: config.check()?,
            }
        }
        (None, None) => bail!("give --structures FILE or --random N"),
    };
    if source.is_empty() {
        bail!("no structures to process");
    }
    let bar = ProgressBar::new(source.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
    )?);
    bar.set_message(match args.kind {
        Kind::Phonon => "phonon DOS",
        Kind::Electron => "electron DOS",
    });
    let tick = || bar.inc(1);
    let random_config = match &source {
        CrystalSource::Random { config, .. } => serde_json::to_value(config.get())?,
        CrystalSource::Given(_) => serde_json::Value::Null,
    };
    let (path, model_config) = match args.kind {
        Kind::Phonon => {
            let cfg = PhononConfig {
                q_grid: parse_grid(&args.q_grid, "q-grid")?,
                ..PhononConfig::default()
            };
            let records = phonon_records(&source, &cfg.check()?, args.seed, &tick)?;
            bar.finish();
            (
                write_phonon_dataset(&args.out, &records, args.seed)?,
                serde_json::to_value(&cfg)?,
            )
        }
        Kind::Electron => {
            let k_grid = args
                .k_grid
                .as_deref()
                .map(|g| parse_grid(g, "k-grid"))
                .transpose()?;
            let cfg = match args.model {
                ModelArg::S => ElectronModel::S(TightBindingConfig {
                    k_grid: k_grid.unwrap_or(MonkhorstPack::gamma(6)),
                    ..TightBindingConfig::default()
                }),
                ModelArg::Sp3 => ElectronModel::Sp3(SlaterKosterConfig {
                    k_grid,
                    k_length: args.k_length,
                    ..SlaterKosterConfig::default()
                }),
            };
            let records = electron_records(&source, &cfg.check()?, args.seed, &tick)?;
            bar.finish();
            (
                write_electron_dataset(&args.out, &records, args.seed)?,
                serde_json::to_value(&cfg)?,
            )
        }
    };
    let settings = serde_json::json!({
        "kind": format!("{:?}", args.kind).to_lowercase(),
        "seed": args.seed,
        "n": source.len(),
        "structures": args.structures.as_ref().map(|p| p.display().to_string()),
        "random_crystals": random_config,
        "model": model_config,
    });
    let cfg_path = args.out.join("generate_config.json");
    std::fs::write(&cfg_path, serde_json::to_string_pretty(&settings)?)
        .with_context(|| format!("writing {}", cfg_path.display()))?;
    println!(
        "wrote {} ({} crystals) and idx_train/valid/test.txt to {}",
        path.display(),
        source.len(),
        args.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_parse() {
        assert_eq!(parse_grid("4", "q-grid").unwrap().n, [4, 4, 4]);
        assert_eq!(parse_grid("2x3x4", "q-grid").unwrap().n, [2, 3, 4]);
        assert_eq!(parse_grid("2,3,4", "q-grid").unwrap().n, [2, 3, 4]);
        assert!(parse_grid("0", "q-grid").is_err());
        assert!(parse_grid("2x3", "q-grid").is_err());
        assert!(parse_grid("abc", "q-grid").is_err());
    }

    #[test]
    fn generates_a_small_phonon_dataset_readable_by_the_benchmark_reader() {
        let dir = tempfile::tempdir().unwrap();
        let args = GenerateArgs {
            kind: Kind::Phonon,
            structures: None,
            random: Some(5),
            seed: 3,
            out: dir.path().to_path_buf(),
            q_grid: "2".into(),
            model: ModelArg::Sp3,
            k_grid: None,
            k_length: 20.0,
            system: Some(CrystalSystem::Cubic),
            max_atoms: 8,
            max_species: 3,
        };
        run(args).unwrap();
        let records = dos_data::io::read_phonon_csv(dir.path().join("phonon_dos.csv")).unwrap();
        assert_eq!(records.len(), 5);
        // Re-run on the generated structures: same DOS.
        let out2 = dir.path().join("again");
        let args = GenerateArgs {
            kind: Kind::Phonon,
            structures: Some(dir.path().join("phonon_dos.csv")),
            random: None,
            seed: 3,
            out: out2.clone(),
            q_grid: "2".into(),
            model: ModelArg::Sp3,
            k_grid: None,
            k_length: 20.0,
            system: None,
            max_atoms: 40,
            max_species: 7,
        };
        run(args).unwrap();
        let again = dos_data::io::read_phonon_csv(out2.join("phonon_dos.csv")).unwrap();
        assert_eq!(records, again);
    }

    #[test]
    fn electron_models_are_selectable_and_recorded() {
        let dir = tempfile::tempdir().unwrap();
        for (model, name) in [(ModelArg::Sp3, "sp3"), (ModelArg::S, "s")] {
            let out = dir.path().join(name);
            let args = GenerateArgs {
                kind: Kind::Electron,
                structures: None,
                random: Some(3),
                seed: 2,
                out: out.clone(),
                q_grid: "2".into(),
                model,
                k_grid: Some("2".into()),
                k_length: 20.0,
                system: Some(CrystalSystem::Cubic),
                max_atoms: 6,
                max_species: 2,
            };
            run(args).unwrap();
            let records =
                dos_data::io::read_electron_dataset(out.join("electron_dos.jsonl")).unwrap();
            assert_eq!(records.len(), 3);
            let settings: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(out.join("generate_config.json")).unwrap(),
            )
            .unwrap();
            assert_eq!(settings["model"]["model"], name);
        }
    }
}
