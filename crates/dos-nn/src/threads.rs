//! CPU threading defaults for candle's element-wise kernels and matrix products.

/// Makes candle run its element-wise kernels on the calling thread, unless the user chose
/// otherwise: sets `CANDLE_NUM_THREADS=1` when that variable is unset, and returns whether it
/// did. Matrix products keep their threads (`RAYON_NUM_THREADS`, default: all cores).
///
/// Why: candle 0.11 splits every element-wise op of at least 65,536 values over a pool of
/// worker threads that busy-wait (25,000 spins) for work, and the caller busy-waits for them.
/// When the cores are shared (other processes, or more threads than cores) the spinning
/// threads steal the time of the ones doing the work: one DOSTransformer training step
/// (phonon paper config, batch 1) took 863 ms with the pool on a loaded 2-core machine and
/// 168 ms without it; on a quiet 16-core machine the two differ by less than 3%
/// (`docs/performance.md`).
///
/// Call it at the very start of `main`, before any tensor is created: candle reads the
/// variable once, when its pool is first used. Setting the environment is not thread-safe,
/// so call it while the program has a single thread.
pub fn prefer_serial_elementwise() -> bool {
    if std::env::var_os("CANDLE_NUM_THREADS").is_some() {
        return false;
    }
    std::env::set_var("CANDLE_NUM_THREADS", "1");
    true
}

/// Fixes the thread count of candle's matrix products for the rest of the run: sets
/// `RAYON_NUM_THREADS` to the count candle would pick (`candle_core::utils::get_num_threads`:
/// the physical cores) when that variable is unset, and returns the count.
///
/// Why: without the variable, candle 0.11 works the count out again for every matrix
/// product, and on Linux that reads `/proc/cpuinfo` (through `num_cpus::get_physical`):
/// 2-3% of a DOSTransformer training step at batch 1 went to the kernel formatting that file.
/// With the variable set the lookup is an environment read. rayon's global pool reads the
/// same variable, so it gets the same count.
///
/// Call it at the very start of `main`, like [`prefer_serial_elementwise`], while the
/// program has a single thread.
pub fn fix_matmul_thread_count() -> usize {
    if let Some(n) = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return n;
    }
    let n = candle_core::utils::get_num_threads();
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    n
}

/// Whether rayon's pool as seen from here has more than one thread, so that handing work to
/// it can run in parallel.
///
/// Why: with one thread (`RAYON_NUM_THREADS=1`), a parallel iterator or `rayon::join` issued
/// outside the pool still parks the calling thread and wakes the pool's only worker to do
/// the work: two context switches per call, about 3% of a DOSTransformer training step at
/// batch 1 (`perf`: `try_to_wake_up`, `futex_wait`). Callers run the work inline instead.
pub fn pool_is_parallel() -> bool {
    rayon::current_num_threads() > 1
}

/// `rayon::join(a, b)` when [`pool_is_parallel`], else `(a(), b())` on the calling thread.
pub fn join_if_parallel<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if pool_is_parallel() {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}
