//! GPU smoke test: runs a matmul (cuBLAS) and PTX kernels (exp, reductions, broadcast,
//! index_select, index_add, tanh) on CUDA device 0 and compares them with the CPU.
//! Exit status 1 on a mismatch.
use candle_core::{DType, Device, Tensor, D};

fn kernels(x: &Tensor, d: &Device) -> candle_core::Result<f64> {
    let x = x.to_device(d)?;
    let e = x.exp()?;
    let s = e.broadcast_div(&e.sum_keepdim(D::Minus1)?)?;
    let idx = Tensor::new(&[0u32, 5, 5, 63], d)?;
    let sel = s.index_select(&idx, 0)?;
    let acc = Tensor::zeros((64, 33), DType::F64, d)?.index_add(&idx, &sel, 0)?;
    (acc.sqr()?.sum_all()? + s.tanh()?.mean_all()?)?
        .to_device(&Device::Cpu)?
        .to_scalar::<f64>()
}

fn main() -> candle_core::Result<()> {
    let t0 = std::time::Instant::now();
    let gpu = Device::new_cuda(0)?;
    let cpu = Device::Cpu;
    println!(
        "device: {gpu:?} ({:.2} s to open)",
        t0.elapsed().as_secs_f64()
    );
    let a = Tensor::randn(0f32, 1., (256, 384), &cpu)?;
    let b = Tensor::randn(0f32, 1., (384, 128), &cpu)?;
    let c_cpu = a.matmul(&b)?;
    let c_gpu = a
        .to_device(&gpu)?
        .matmul(&b.to_device(&gpu)?)?
        .to_device(&cpu)?;
    let mm = (c_cpu - c_gpu)?.abs()?.max_all()?.to_scalar::<f32>()?;
    println!("matmul f32 256x384x128: max |cpu - gpu| = {mm:e}");
    let x = Tensor::randn(0f64, 1., (64, 33), &cpu)?;
    let (rc, rg) = (kernels(&x, &cpu)?, kernels(&x, &gpu)?);
    println!(
        "kernels f64: cpu = {rc}, gpu = {rg}, |diff| = {:e}",
        (rc - rg).abs()
    );
    // TF32 may be used by cuBLAS for f32: 1e-2 absolute on sums of 384 unit-variance products.
    let ok = mm < 1e-2 && (rc - rg).abs() < 1e-10;
    println!(
        "{} ({:.2} s)",
        if ok { "SMOKE OK" } else { "SMOKE MISMATCH" },
        t0.elapsed().as_secs_f64()
    );
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
