//! # dos-pretrained-phonon
//!
//! The pretrained phonon model of [dos-rs](https://github.com/dos-rs/dos-rs) as bytes: an
//! ensemble of DOSTransformer members that predicts a crystal's phonon density of states on
//! 0-1000 cm^-1 with a calibrated spread. This crate holds only the model package (the
//! `package.json` manifest, each member's weights in int8 with one f32 scale per matrix row,
//! and the model card); it has no dependencies and no code beyond these constants.
//! `dos_predict::Predictor::bundled` reads it:
//!
//! ```text
//! let predictor = dos_predict::Predictor::bundled(&Device::Cpu)?;
//! ```
//!
//! The weights are derived from the phonon benchmark of Petretto et al. (MIT, as packaged by
//! the e3nn phonon tutorial) and from phonondb (A. Togo, CC BY 4.0): attribute both when you
//! redistribute them. The model card ([`MODEL_CARD`]) states the data, the recipe, the scores
//! and the limits.

/// `package.json`: format version, task, graph and symmetry settings, energy grid and unit,
/// target scale, calibration, members and provenance (see dos-predict's `PackageManifest`).
pub const MANIFEST: &str = include_str!("../package/package.json");

/// Each member's weights (safetensors), in the manifest's order.
pub const MEMBERS: &[&[u8]] = include!(concat!(env!("OUT_DIR"), "/members.rs"));

/// The model card (Markdown).
pub const MODEL_CARD: &str = include_str!("../package/README.md");

#[cfg(test)]
mod tests {
    use super::*;

    /// The manifest names as many member files as the crate embeds, each a safetensors file
    /// (an 8-byte little-endian header length, then a JSON header).
    #[test]
    fn manifest_and_members_agree() {
        let named = MANIFEST.matches("\"weights\": \"member-").count();
        assert_eq!(named, MEMBERS.len());
        assert!(!MEMBERS.is_empty());
        for bytes in MEMBERS {
            let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
            assert!(8 + n <= bytes.len());
            assert_eq!(bytes[8], b'{');
        }
    }
}
