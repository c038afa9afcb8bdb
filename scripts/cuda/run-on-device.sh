#!/usr/bin/env bash
# Run what scripts/cuda/build.sh staged in .gpu/, on a GPU machine that has the NVIDIA driver and
# CUDA 13 libraries (cudart, cublas, cublasLt, curand, nvrtc: a CUDA toolkit or PyTorch's
# nvidia-* wheels) but no Rust. From the repository root:
#
#   bash .gpu/run-on-device.sh env                  # GPU, driver, which libraries get loaded
#   bash .gpu/run-on-device.sh tests [ARGS...]      # every staged test executable (ARGS go to
#                                                   # each, e.g. --include-ignored, a filter)
#   bash .gpu/run-on-device.sh dos ARGS...          # the `dos` binary
#   bash .gpu/run-on-device.sh smoke                # matmul + kernels on the GPU vs the CPU
#   bash .gpu/run-on-device.sh all [ARGS...]        # env + smoke + tests
#
# Logs go to $OUT/ when OUT is set (the device tool's return folder). Exit status: non-zero when
# a test executable fails.
set -uo pipefail
gpu=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$gpu/.." && pwd)
cmd=${1:-all}
shift || true
out=${OUT:-}

# 1. Unpack the bundle once per machine.
dest=${DOS_GPU_DIR:-/tmp/dos-gpu}
if [[ ! -f $dest/.unpacked || $gpu/bundle.tar.xz -nt $dest/.unpacked ]]; then
    rm -rf "$dest" && mkdir -p "$dest"
    if ! xz -dc "$gpu/bundle.tar.xz" 2>/dev/null | tar -xf - -C "$dest"; then
        python3 -c 'import lzma,sys,tarfile; tarfile.open(fileobj=lzma.open(sys.argv[1])).extractall(sys.argv[2])' \
            "$gpu/bundle.tar.xz" "$dest"
    fi
    touch "$dest/.unpacked"
fi

# 2. The CUDA 13 libraries: a toolkit's lib64 and/or the nvidia-* wheels of PyTorch.
libdirs=()
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [[ -d $d ]] && libdirs+=("$d")
done
if command -v nvcc >/dev/null; then
    d=$(dirname "$(dirname "$(command -v nvcc)")")/lib64
    [[ -d $d ]] && libdirs+=("$d")
fi
for py in python3 /opt/torch/.venv/bin/python3; do
    if p=$("$py" -c 'import nvidia, os; print(" ".join(os.path.join(x, "cu13", "lib") for x in nvidia.__path__))' 2>/dev/null); then
        for d in $p; do [[ -d $d ]] && libdirs+=("$d"); done
        break
    fi
done
[[ -d $gpu/lib ]] && libdirs+=("$gpu/lib")
LD_LIBRARY_PATH=$(printf '%s\n' "${libdirs[@]}" | awk '!seen[$0]++' | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH

# 3. Tests read fixtures through env!("CARGO_MANIFEST_DIR"), baked in at build time: make the
#    build machine's repository path point at this checkout when it does not exist here.
build_root=$(sed -n 's/^build_root=//p' "$dest/build-info")
if [[ -n $build_root && ! -e $build_root && $build_root != "$repo" ]]; then
    mkdir -p "$(dirname "$build_root")" && ln -s "$repo" "$build_root" ||
        echo "warning: could not link $build_root -> $repo; fixture paths may fail" >&2
fi
if [[ -d $gpu/data/phonon && -z ${DOS_DATA_DIR:-} ]]; then
    export DOS_DATA_DIR=$gpu/data
fi
export DOS_DEVICE=${DOS_DEVICE:-cuda}
# candle ships its kernels as PTX that the driver JIT-compiles for sm_90 at first use (seconds per
# process); the driver's cache makes later processes on this machine start fast.
export CUDA_CACHE_MAXSIZE=${CUDA_CACHE_MAXSIZE:-4294967296}

log() { if [[ -n $out ]]; then tee -a "$out/$1"; else cat; fi; }

show_env() {
    cat "$dest/build-info"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    local exe
    exe=$(ls "$dest"/bin/* | head -1)
    ldd "$exe" | grep -E 'cuda|cublas|curand|nvrtc|not found' || true
}

run_smoke() {
    echo "=== GPU smoke test (candle-core CUDA vs CPU)"
    "$dest/bin/dos-cuda-smoke"
}

run_tests() {
    local fails=0 n=0 kind name target dir t0 rc
    while IFS=$'\t' read -r kind name target _ dir; do
        [[ $kind == test ]] || continue
        n=$((n + 1))
        echo "=== $dir :: $target ($name)"
        t0=$(date +%s%N)
        (cd "$repo/$dir" && "$dest/bin/$name" "$@")
        rc=$?
        echo "=== $dir :: $target rc=$rc $(( ($(date +%s%N) - t0) / 1000000 )) ms"
        (( rc == 0 )) || fails=$((fails + 1))
    done < "$dest/manifest.tsv"
    echo "=== $n test executables, $fails failed"
    return $(( fails > 0 ))
}

case $cmd in
    env) show_env 2>&1 | log env.log ;;
    tests) run_tests "$@" 2>&1 | log tests.log ;;
    smoke) run_smoke 2>&1 | log smoke.log ;;
    dos) "$dest/bin/dos" "$@" 2>&1 | log dos.log ;;
    all) { show_env; run_smoke; s=$?; run_tests "$@" && (( s == 0 )); } 2>&1 | log all.log ;;
    *) echo "usage: $0 env|smoke|tests|dos|all [ARGS...]" >&2; exit 2 ;;
esac
