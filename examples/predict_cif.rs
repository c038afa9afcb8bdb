//! The smallest use of the bundled model: the phonon DOS of one CIF, with its 90 % band and
//! heat capacity.
//!
//! ```text
//! cargo run --release --example predict_cif [FILE.cif]   # default: the shipped NaCl CIF
//! ```

use anyhow::Result;
use dos::predict::{bundled, PredictOptions, Predictor};

fn main() -> Result<()> {
    let predictor = Predictor::bundled(&candle_core::Device::Cpu)?;
    let p = match std::env::args().nth(1) {
        Some(path) => predictor.predict_file(path)?,
        None => {
            let nacl = dos::data::io::cif::parse_cif(bundled::EXAMPLE_CIF, "NaCl.cif".as_ref())?;
            predictor.predict_one("NaCl.cif", nacl, &PredictOptions::default())?
        }
    };
    println!(
        "{} ({}, space group {}), {} members",
        p.formula,
        p.crystal_system_name(),
        p.space_group
            .map_or("unknown".to_string(), |g| g.to_string()),
        p.members
    );
    let (lo, hi) = p.interval_90().unwrap_or_default();
    for (k, e) in p.energies.iter().enumerate().step_by(5) {
        println!(
            "{e:>6.0} {}  {:.3}  [{:.3}, {:.3}]",
            p.energy_unit,
            p.mean[k],
            lo.get(k).copied().unwrap_or(f64::NAN),
            hi.get(k).copied().unwrap_or(f64::NAN)
        );
    }
    if let Some(props) = p.properties {
        let cv = props.heat_capacity_j_per_mol_k;
        println!(
            "Cv(300 K) = {:.2} +- {:.2} J/(mol K)",
            cv.mean,
            cv.std.unwrap_or(0.0)
        );
    }
    for note in &p.notes {
        println!("note: {note}");
    }
    Ok(())
}
