//! The [`DosModel`] trait every model implements.

use candle_core::{Result, Tensor};
use dos_data::CrystalBatch;
use dos_nn::SummedGrads;

/// A model mapping a batch of crystals to a density of states on a fixed grid of M energies.
///
/// Models are `Send + Sync` (they hold tensors), so inference can run batches on several
/// threads at once.
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

    /// The training loss with its gradients with respect to every variable: by default
    /// `loss.backward()` as one part. A model may back-propagate its graph in several parts
    /// (DOSTransformer runs its two branches on two threads on the CPU); the gradients are
    /// then the sum of the parts, equal to the one-part ones up to rounding.
    fn loss_and_grads(&self, batch: &CrystalBatch) -> Result<(Tensor, SummedGrads)> {
        loss_and_grads_in_one_part(self, batch)
    }
}

/// `model.loss(batch)` and its gradients from one `backward()`: the default of
/// [`DosModel::loss_and_grads`], for models that override it on some devices only.
pub fn loss_and_grads_in_one_part<M: DosModel + ?Sized>(
    model: &M,
    batch: &CrystalBatch,
) -> Result<(Tensor, SummedGrads)> {
    let loss = model.loss(batch)?;
    let grads = loss.backward()?;
    Ok((loss, grads.into()))
}
