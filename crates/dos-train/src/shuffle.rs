//! [`epoch_order`]: the seeded order in which an epoch visits the training crystals.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Crystal order of `epoch` (1-based): a permutation of `0..n` drawn by ChaCha8 seeded with
/// `seed` on stream `epoch`, or `0..n` when `shuffle` is false.
///
/// The order is a pure function of `(seed, epoch)`, so no RNG state has to be saved for a
/// resumed run to visit the crystals exactly as an uninterrupted one would.
pub fn epoch_order(n: usize, seed: u64, epoch: usize, shuffle: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if shuffle {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(epoch as u64);
        order.shuffle(&mut rng);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_seeded_permutation() {
        let a = epoch_order(50, 7, 3, true);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_eq!(a, epoch_order(50, 7, 3, true));
        assert_ne!(a, epoch_order(50, 7, 4, true));
        assert_ne!(a, epoch_order(50, 8, 3, true));
        assert_eq!(epoch_order(5, 7, 3, false), vec![0, 1, 2, 3, 4]);
    }
}
