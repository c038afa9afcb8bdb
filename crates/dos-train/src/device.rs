//! Which device a run uses: CUDA device 0 when built with `--features cuda` and a GPU answers,
//! else the CPU; `DOS_DEVICE=cpu` forces the CPU.

use candle_core::Device;

/// CUDA device 0 if this build has CUDA and a GPU is present, otherwise the CPU. The
/// environment variable `DOS_DEVICE=cpu` forces the CPU (e.g. to compare CPU and GPU
/// predictions with one CUDA build).
///
/// Unlike a bare `Device::cuda_if_available(0)?`, a CUDA build on a machine without a GPU
/// falls back to the CPU instead of failing.
pub fn default_device() -> Device {
    if std::env::var("DOS_DEVICE").is_ok_and(|v| v.eq_ignore_ascii_case("cpu")) {
        return Device::Cpu;
    }
    Device::cuda_if_available(0).unwrap_or(Device::Cpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_build_without_override_gives_the_cpu_and_override_is_honoured() {
        // Without the cuda feature the default is the CPU; with it, DOS_DEVICE=cpu still is.
        if !cfg!(feature = "cuda") {
            assert!(default_device().is_cpu());
        }
        std::env::set_var("DOS_DEVICE", "cpu");
        assert!(default_device().is_cpu());
        std::env::remove_var("DOS_DEVICE");
    }
}
