# shellcheck shell=bash
# Environment for building dos-rs with `--features cuda` on a machine WITHOUT a CUDA install.
# Source it: `. scripts/cuda/env.sh`. Everything can be overridden from the caller's environment.
#
# DOS_CUDA_ROOT  where setup-toolkit.sh unpacks the CUDA 13.0 pip wheels (nvcc, headers, libs)
# CUDA_HOME      the CUDA tree inside it (bin/nvcc, include/, lib/, lib/stubs/libcuda.so)
# CUDA_COMPUTE_CAP  90 = Hopper (H100/H200); nvcc builds PTX/cubins for it without asking a GPU
# CUDARC_CUDA_VERSION  13000 = CUDA 13.0, the version of the device's driver (580.x) and toolkit

_dos_cuda_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export DOS_CUDA_ROOT=${DOS_CUDA_ROOT:-$HOME/.cache/dos-rs/cuda-13.0}
export CUDA_HOME=${CUDA_HOME:-$DOS_CUDA_ROOT/nvidia/cu13}
export CUDA_PATH=$CUDA_HOME
export NVCC=$CUDA_HOME/bin/nvcc
export PATH=$CUDA_HOME/bin:$PATH
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
export CUDARC_CUDA_VERSION=${CUDARC_CUDA_VERSION:-13000}
# Link-time only: the stub libcuda.so (SONAME libcuda.so.1) and the unversioned .so links.
export LIBRARY_PATH=$CUDA_HOME/lib/stubs:$CUDA_HOME/lib${LIBRARY_PATH:+:$LIBRARY_PATH}
# A target dir of its own, so cuda builds never invalidate the shared CPU target/.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$_dos_cuda_repo/target-cuda}
# nvcc threads for candle-kernels (cudaforge); keep it polite on shared machines.
export CUDAFORGE_THREADS=${CUDAFORGE_THREADS:-2}
unset _dos_cuda_repo
