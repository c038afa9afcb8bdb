//! The [`DosModel`] trait every model implements.

use candle_core::{Result, Tensor};
use dos_data::CrystalBatch;
use dos_nn::SummedGrads;

/// A model mapping a batch of crystals to a density of states on a fixed grid of M energies.
///
/// Models are `Send + Sync` (they hold tensors), so inference can run batches on several
/// threads at once. This one trait makes a model trainable (`dos_train`), evaluable and,
/// through [`crate::ModelConfig`] (a built-in family, or one registered with
/// [`crate::register_family`]), packageable and loadable by `dos_predict::Predictor`.
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

    /// The training loss with its gradients with respect to every variable, as the trainer
    /// takes them: by default one `loss.backward()`. A model may override it with a faster
    /// exact step (DOSTransformer on the CPU writes its step by hand).
    fn loss_and_grads(&self, batch: &CrystalBatch) -> Result<(Tensor, SummedGrads)> {
        let loss = self.loss(batch)?;
        let grads = loss.backward()?;
        Ok((loss, grads.into()))
    }
}
