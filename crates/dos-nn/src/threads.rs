//! CPU threading defaults for candle's element-wise kernels and matrix products.
//!
//! candle 0.11 takes both thread counts from the environment and nowhere else:
//! `CANDLE_NUM_THREADS` sizes its element-wise pool once, `RAYON_NUM_THREADS` is read at
//! every matrix product (`candle_core::utils::get_num_threads`). A running program cannot
//! change its own environment safely, so where a default is wanted the functions here start
//! the program again in its own place with the variable added (`exec` on Unix: the same
//! process id, arguments and standard streams); a variable the user set is kept.

/// Makes candle run its element-wise kernels on the calling thread, unless the user chose
/// otherwise: when `CANDLE_NUM_THREADS` is unset, starts the program again with
/// `CANDLE_NUM_THREADS=1`. Returns whether element-wise kernels run serially (the variable
/// is 1). Matrix products keep their threads (`RAYON_NUM_THREADS`, default: all cores).
///
/// Why: candle 0.11 splits every element-wise op of at least 65,536 values over a pool of
/// worker threads that busy-wait (25,000 spins) for work, and the caller busy-waits for them.
/// When the cores are shared (other processes, or more threads than cores) the spinning
/// threads steal the time of the ones doing the work: one DOSTransformer training step
/// (phonon paper config, batch 1) took 863 ms with the pool on a loaded 2-core machine and
/// 168 ms without it; on a quiet 16-core machine the two differ by less than 3%
/// (`docs/performance.md`).
///
/// Call it first in `main`: whatever ran before it runs again. Where the program cannot be
/// started again (not Unix, or its executable is gone) nothing changes.
pub fn prefer_serial_elementwise() -> bool {
    match std::env::var_os("CANDLE_NUM_THREADS") {
        Some(n) => n == "1",
        None => {
            restart_with("CANDLE_NUM_THREADS", "1");
            false
        }
    }
}

/// Fixes the thread count of candle's matrix products for the rest of the run, and returns
/// it: when `RAYON_NUM_THREADS` is unset, starts the program again with it set to the count
/// candle would pick (`candle_core::utils::get_num_threads`: the physical cores).
///
/// Why: without the variable, candle 0.11 works the count out again for every matrix
/// product, and on Linux that reads `/proc/cpuinfo` (through `num_cpus::get_physical`):
/// 2-3% of a DOSTransformer training step at batch 1 went to the kernel formatting that file.
/// With the variable set the lookup is an environment read. rayon's global pool reads the
/// same variable, so it gets the same count.
///
/// Call it first in `main`, like [`prefer_serial_elementwise`] (after it, so that the two
/// restarts happen before anything else).
pub fn fix_matmul_thread_count() -> usize {
    let n = candle_core::utils::get_num_threads();
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        restart_with("RAYON_NUM_THREADS", &n.to_string());
    }
    n
}

/// Replaces the running program with itself, started with the same arguments and `var=value`
/// added to its environment; returns only where that is impossible (not Unix, or the
/// executable cannot be found or run).
fn restart_with(var: &str, value: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let mut args = std::env::args_os();
        if let (Ok(exe), Some(arg0)) = (std::env::current_exe(), args.next()) {
            // `exec` returns only on failure; the program then goes on without the setting.
            let _ = std::process::Command::new(exe)
                .arg0(arg0)
                .args(args)
                .env(var, value)
                .exec();
        }
    }
    #[cfg(not(unix))]
    let _ = (var, value);
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
