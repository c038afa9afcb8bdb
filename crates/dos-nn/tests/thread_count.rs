//! `fix_matmul_thread_count` starts the test binary again when `RAYON_NUM_THREADS` is unset,
//! so it is tested in a binary of its own (one test, nothing else running).

/// After the call the variable holds the returned count and candle reports that count; a
/// second call keeps it.
#[test]
fn matmul_thread_count_is_pinned_in_the_environment() {
    let n = dos_nn::fix_matmul_thread_count();
    assert!(n >= 1);
    assert_eq!(std::env::var("RAYON_NUM_THREADS").ok(), Some(n.to_string()));
    assert_eq!(candle_core::utils::get_num_threads(), n);
    assert_eq!(dos_nn::fix_matmul_thread_count(), n);
}
