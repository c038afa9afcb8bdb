//! The [`DosModel`] trait every model implements.

use candle_core::{Result, Tensor};
use dos_data::CrystalBatch;

/// A model mapping a batch of crystals to a density of states on a fixed grid of M energies.
///
/// Models are `Send + Sync` (they hold tensors), so inference can run batches on several
/// threads at once. How a training loss is back-propagated (in one part, or DOSTransformer's
/// two branches in parallel) is dos-train's concern (`dos_train::Backward`).
pub trait DosModel: Send + Sync {
    /// Number of energy points M the model predicts.
    fn n_energies(&self) -> usize;

    /// Predicted DOS for inference (for DOSTransformer: the system branch only).
    ///
    /// # Shapes
    /// returns (B, M)
    fn predict(&self, batch: &CrystalBatch) -> Result<Tensor>;

    /// Training loss for a batch with targets: a scalar tensor (per-crystal RMSE averaged over
    /// the batch; DOSTransformer adds beta times the system-branch RMSE).
    fn loss(&self, batch: &CrystalBatch) -> Result<Tensor>;
}
