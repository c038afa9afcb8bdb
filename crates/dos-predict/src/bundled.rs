//! The pretrained phonon model: an ensemble of six DOSTransformer members trained on the
//! phonon benchmark's training split and on phonondb, with a calibrated spread. Its package
//! lives in the crate `dos-pretrained-phonon` (int8 weights, within crates.io's size limit),
//! which this crate embeds with the default feature `bundled`; its model card is
//! [`MODEL_CARD`] and `scripts/train_bundled_model.sh` rebuilds it.

use candle_core::Device;

#[cfg(not(feature = "bundled"))]
use crate::error::PredictError;
use crate::error::Result;
use crate::package::ModelPackage;
use crate::predictor::Predictor;

/// Name of the bundled package in messages and in `Predictor::source`.
pub const NAME: &str = "bundled phonon-dostransformer";

/// A small structure to try the model on: rock-salt NaCl, conventional cell (CIF).
pub const EXAMPLE_CIF: &str = include_str!("../models/examples/NaCl.cif");

/// The bundled model's card (Markdown): data, recipe, scores, limits.
#[cfg(feature = "bundled")]
pub const MODEL_CARD: &str = dos_pretrained_phonon::MODEL_CARD;

/// The bundled package (parsed and validated; a few milliseconds).
///
/// # Errors
/// [`PredictError::Package`](crate::PredictError::Package) when this build has no bundled
/// model (the crate was built without its default feature `bundled`).
pub fn package() -> Result<ModelPackage> {
    #[cfg(feature = "bundled")]
    {
        ModelPackage::from_bytes(
            NAME,
            dos_pretrained_phonon::MANIFEST,
            dos_pretrained_phonon::MEMBERS,
        )
    }
    #[cfg(not(feature = "bundled"))]
    {
        Err(PredictError::Package {
            source_name: NAME.into(),
            field: "bundled".into(),
            message: "this build has no bundled model; enable dos-predict's feature `bundled`"
                .into(),
        })
    }
}

impl Predictor {
    /// The bundled pretrained phonon model on `device`.
    ///
    /// # Errors
    /// As [`package`].
    pub fn bundled(device: &Device) -> Result<Self> {
        Self::from_package(package()?, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_cif_reads_as_rock_salt() {
        let c = dos_data::io::cif::parse_cif(EXAMPLE_CIF, "NaCl.cif".as_ref()).unwrap();
        assert_eq!((c.n_atoms(), c.reduced_formula().as_str()), (8, "NaCl"));
    }

    /// The bundled ensemble loads, predicts NaCl as cubic with a spread, and holds the
    /// calibration and provenance the model card quotes.
    #[cfg(feature = "bundled")]
    #[test]
    fn bundled_model_loads_and_predicts_nacl() {
        let p = Predictor::bundled(&Device::Cpu).unwrap();
        let m = p.manifest();
        assert!(p.n_members() >= 3);
        assert!(m.calibration.as_ref().is_some_and(|c| c.scale > 0.0));
        assert_eq!(
            m.provenance.data_sha256.as_deref(),
            Some(dos_data::benchmark::PHONON_CSV_SHA256)
        );
        let c = dos_data::io::cif::parse_cif(EXAMPLE_CIF, "NaCl.cif".as_ref()).unwrap();
        let pred = p.predict_one("NaCl", c, &Default::default()).unwrap();
        assert_eq!(
            (pred.crystal_system_name(), pred.space_group),
            ("cubic", Some(225))
        );
        assert!(pred.std_calibrated && pred.std.as_ref().unwrap().iter().any(|s| *s > 0.0));
        let props = pred.properties.unwrap();
        // Dulong-Petit bounds the heat capacity by 3R = 24.94 J/(mol K).
        let cv = props.heat_capacity_j_per_mol_k.mean;
        assert!(cv > 10.0 && cv < 24.95, "{cv}");
    }

    /// The previous bundled package (v1, `models/phonon-dostransformer-v1/` at the repository
    /// root) still loads by path and predicts NaCl as the current one does, within the spread.
    #[cfg(feature = "bundled")]
    #[test]
    fn previous_bundled_version_loads_by_path() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../models/phonon-dostransformer-v1");
        let v1 = Predictor::load(&dir, &Device::Cpu).unwrap();
        assert_eq!(v1.n_members(), 3);
        let v2 = Predictor::bundled(&Device::Cpu).unwrap();
        let c = dos_data::io::cif::parse_cif(EXAMPLE_CIF, "NaCl.cif".as_ref()).unwrap();
        let a = v1
            .predict_one("NaCl", c.clone(), &Default::default())
            .unwrap();
        let b = v2.predict_one("NaCl", c, &Default::default()).unwrap();
        assert_eq!(a.mean.len(), b.mean.len());
        let std = b.std.unwrap();
        for ((x, y), s) in a.mean.iter().zip(&b.mean).zip(&std) {
            assert!((x - y).abs() <= 3.0 * s + 0.05, "{x} vs {y} (std {s})");
        }
    }
}
