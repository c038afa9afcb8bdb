#!/usr/bin/env bash
# Build dos-rs with `--features cuda` on a machine without CUDA or a GPU, and stage what a GPU
# machine without Rust needs into the git-ignored folder .gpu/ (carry it to the device).
#
#   scripts/cuda/build.sh [--with-data] [--no-tests] [--no-dos]
#
#   --with-data  also stage $DOS_DATA_DIR/phonon (git-ignored, never committed) so the ignored
#                benchmark tests can run on the device (`run-on-device.sh tests --include-ignored`)
#   --no-tests   skip the test executables (only the `dos` binary)
#   --no-dos     skip the `dos` binary
#
# Output: .gpu/bundle.tar.xz (stripped test executables + dos), .gpu/manifest.tsv,
# .gpu/run-on-device.sh. Builds go to target-cuda/ (see env.sh), niced.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
with_data=0 tests=1 dos=1
for a in "$@"; do
    case $a in
        --with-data) with_data=1 ;;
        --no-tests) tests=0 ;;
        --no-dos) dos=0 ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done

"$here/setup-toolkit.sh"
# shellcheck source=env.sh
. "$here/env.sh"
cd "$repo"
nice=(nice -n 19)
stage=$repo/.gpu
work=$CARGO_TARGET_DIR/gpu-stage
rm -rf "$work" && mkdir -p "$work/bin"
: > "$work/manifest.tsv"

t0=$SECONDS
if (( tests )); then
    # One JSON line per artifact; keep the test executables (lib/bin unit tests, integration tests).
    "${nice[@]}" cargo test --release --workspace --features cuda --no-run \
        --message-format=json-render-diagnostics > "$work/tests.json"
    python3 - "$work" "$repo" <<'PY'
import json, os, shutil, sys
work, repo = sys.argv[1], sys.argv[2]
rows = []
for line in open(os.path.join(work, "tests.json")):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or not m.get("executable") or not m["profile"]["test"]:
        continue
    exe = m["executable"]
    name = os.path.basename(exe)
    pkg_dir = os.path.dirname(m["manifest_path"])
    shutil.copy2(exe, os.path.join(work, "bin", name))
    rows.append((name, m["target"]["name"], ",".join(m["target"]["kind"]), os.path.relpath(pkg_dir, repo)))
with open(os.path.join(work, "manifest.tsv"), "a") as f:
    for r in sorted(rows):
        f.write("\t".join(["test", *r]) + "\n")
print(f"staged {len(rows)} test executables")
PY
fi
# The GPU smoke test (its own tiny workspace; pinned to the workspace's dependency versions).
cp "$repo/Cargo.lock" "$here/smoke/Cargo.lock"
"${nice[@]}" cargo build --release --manifest-path "$here/smoke/Cargo.toml"
cp "$CARGO_TARGET_DIR/release/dos-cuda-smoke" "$work/bin/dos-cuda-smoke"
printf 'smoke\tdos-cuda-smoke\tbin\tscripts/cuda/smoke\n' >> "$work/manifest.tsv"
if (( dos )); then
    "${nice[@]}" cargo build --release -p dos-cli --features cuda
    cp "$CARGO_TARGET_DIR/release/dos" "$work/bin/dos"
    printf 'bin\tdos\tbin\tcrates/dos-cli\n' >> "$work/manifest.tsv"
fi
echo "build: $((SECONDS - t0)) s"

strip --strip-unneeded "$work"/bin/*
echo "# built at $(date -u +%FT%TZ) from $(git rev-parse --short HEAD)$(git diff --quiet || echo -dirty)" > "$work/build-info"
echo "build_root=$repo" >> "$work/build-info"
echo "cuda=$("$NVCC" --version | tail -1)" >> "$work/build-info"
du -sh "$work/bin"

rm -rf "$stage" && mkdir -p "$stage"
# One xz stream with a large dictionary: the executables share most of their code (candle, the
# CUDA kernels' PTX), so the bundle is far smaller than the sum of the files.
(cd "$work" && "${nice[@]}" tar -cf - bin manifest.tsv build-info |
    "${nice[@]}" xz -T1 --lzma2=preset=6,dict=256MiB > "$stage/bundle.tar.xz")
cp "$work/manifest.tsv" "$work/build-info" "$stage/"
cp "$here/run-on-device.sh" "$stage/"
# Shared libraries of `dos` beyond glibc/libgcc (fontconfig, freetype and their dependencies,
# used by the plots) are not on the GPU image: stage this machine's copies in .gpu/lib.
if (( dos )); then
    rm -rf "$stage/lib" && mkdir -p "$stage/lib"
    ldd "$CARGO_TARGET_DIR/release/dos" | awk '$3 ~ /^\// {print $3}' \
        | grep -vE '/(libc|libm|libgcc_s|libpthread|libdl|librt)\.so' \
        | while read -r lib; do cp -L "$lib" "$stage/lib/"; done
fi
if (( with_data )); then
    : "${DOS_DATA_DIR:?--with-data needs DOS_DATA_DIR}"
    mkdir -p "$stage/data/phonon"
    cp "$DOS_DATA_DIR"/phonon/* "$stage/data/phonon/"
fi
du -sh "$stage"
ls -la "$stage"
echo "carry .gpu, e.g. run: bash .gpu/run-on-device.sh all"
