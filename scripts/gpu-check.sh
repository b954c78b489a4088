#!/usr/bin/env bash
# The GPU check of the CUDA backend (issue 17), for a machine with a GPU:
# builds mixcut with MIXCUT_CUDA=ON, runs the GPU tests (ctest label gpu:
# bit-identity with the CPU, graph capture, staging), the host grid tests,
# the Python API on CUDA tensors (tests/python/test_cuda.py with the gpu
# marker required: bit-identity through every class, targets on the device,
# no synchronisation, graph capture), the CUDA benchmark and the Python
# comparison with timm / torchvision, and writes everything under one folder
# (at most 8 files). Under 8 minutes on one H200 (4-6 at the last run).
#
#   scripts/gpu-check.sh [OUT_DIR]          (default build/gpu-check)
#   MIXCUT_PREBUILT=DIR scripts/gpu-check.sh [OUT_DIR]  runs binaries built
#     elsewhere (DIR holds libmixcut.so*, cuda_device_test, cuda_grid_test,
#     cuda_bench and, in DIR/lib, shared libraries the GPU machine may lack):
#   scripts/gpu-check.sh --prepare DIR  builds them here (the cuda preset, no
#     GPU needed) and fills DIR; carry DIR to the GPU machine. It also builds
#     a library with 32-byte chunks (MIXCUT_CUDA_CHUNK_BYTES=32, host grid
#     tests run on it) into DIR/chunk32, which the benchmark then measures
#     too (the Mixup rows: more bytes in flight per thread).
#   PYTHON=...: the interpreter with torch (default python3); it needs pytest,
#     and timm / torchvision for the comparison rows.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --prepare ]; then
  dir=${2:?usage: scripts/gpu-check.sh --prepare DIR}
  set -e
  cmake --preset cuda >/dev/null
  cmake --build --preset cuda --target mixcut cuda_device_test cuda_grid_test cuda_bench
  mkdir -p "$dir/lib"
  cp -L build/cuda/libmixcut.so.0 "$dir/libmixcut.so.0"
  cp -L build/cuda/libmixcut.so.0 "$dir/libmixcut.so"
  cp build/cuda/tests/cuda_device_test build/cuda/tests/cuda_grid_test \
    build/cuda/bench/cuda_bench "$dir/"
  # Libraries beside the system's C/C++ runtime (LD_LIBRARY_PATH finds them there).
  ldd "$dir/cuda_bench" "$dir/cuda_device_test" "$dir/libmixcut.so" |
    awk '/=> \// && $1 ~ /^lib(benchmark|cudart|gomp)/ && !seen[$1]++ {print $3}' |
    xargs -r cp -L -t "$dir/lib"
  cmake --preset cuda -B build/cuda-chunk32 -DMIXCUT_CUDA_TUNING=MIXCUT_CUDA_CHUNK_BYTES=32 \
    >/dev/null
  cmake --build build/cuda-chunk32 --target mixcut cuda_grid_test
  build/cuda-chunk32/tests/cuda_grid_test --gtest_brief=1
  mkdir -p "$dir/chunk32"
  cp -L build/cuda-chunk32/libmixcut.so.0 "$dir/chunk32/libmixcut.so.0"
  ls -l "$dir" "$dir/lib" "$dir/chunk32"
  exit 0
fi
export MIXCUT_REQUIRE_GPU=1  # GPU tests fail, not skip, where no GPU is usable
out=${1:-build/gpu-check}
mkdir -p "$out"
out=$(cd "$out" && pwd)
py=${PYTHON:-python3}
log="$out/log.txt"
: >"$log"
failed=0
step() {  # step NAME TIMEOUT COMMAND...: runs, logs, remembers failures
  local name=$1 limit=$2
  shift 2
  echo "== $name" | tee -a "$log"
  local t0=$SECONDS
  timeout "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  echo "-- $name: exit $rc, $((SECONDS - t0)) s" | tee -a "$log"
  [ $rc -eq 0 ] || failed=1
}

{ nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem \
    --format=csv; nvcc --version | tail -2; } >"$out/env.txt" 2>&1

if [ -n "${MIXCUT_PREBUILT:-}" ]; then
  bin=$(cd "$MIXCUT_PREBUILT" && pwd)
  export LD_LIBRARY_PATH="$bin:$bin/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  tests=$bin bench=$bin lib=$bin/libmixcut.so
  step "GPU tests" 300 "$tests/cuda_device_test" --gtest_output="xml:$out/gpu_tests.xml"
else
  build=build/cuda  # the cuda preset: Release, MIXCUT_CUDA=ON, shared library only
  step "configure" 120 cmake --preset cuda
  step "build" 400 cmake --build --preset cuda --target mixcut cuda_device_test cuda_grid_test \
    capi_backend_test cuda_bench
  tests=$build/tests bench=$build/bench lib=$build/libmixcut.so
  step "GPU tests (ctest -L gpu)" 300 ctest --preset cuda -L gpu --output-junit "$out/gpu_tests.xml"
fi
step "host grid tests" 120 "$tests/cuda_grid_test"
step "Python API on CUDA tensors (pytest, gpu marker required)" 300 env MIXCUT_LIBRARY="$lib" \
  PYTHONUNBUFFERED=1 "$py" -m pytest -q -p no:cacheprovider \
  tests/python/test_cuda.py --junitxml="$out/python_gpu.xml"
if command -v compute-sanitizer >/dev/null; then
  step "compute-sanitizer memcheck" 120 compute-sanitizer --tool memcheck --error-exitcode 1 \
    "$tests/cuda_device_test" --gtest_filter='*Graph*:*Labels*:*HostPointers*'
fi
step "CUDA benchmark" 240 "$bench/cuda_bench" --benchmark_out="$out/cuda_bench.json" \
  --benchmark_out_format=json
variant=()
if [ -n "${MIXCUT_PREBUILT:-}" ] && [ -f "$bin/chunk32/libmixcut.so.0" ]; then
  step "CUDA benchmark, 32-byte chunks (Mixup rows)" 120 env \
    LD_LIBRARY_PATH="$bin/chunk32:$LD_LIBRARY_PATH" "$bench/cuda_bench" \
    --benchmark_filter='^(roofline|mixup|graph/mixup)' \
    --benchmark_out="$out/cuda_bench_chunk32.json" --benchmark_out_format=json
  variant=("chunk32=$out/cuda_bench_chunk32.json")
fi
step "Python comparison" 240 env MIXCUT_LIBRARY="$lib" PYTHONUNBUFFERED=1 \
  "$py" bench/cuda_compare.py --out "$out/compare.json"
step "report" 30 sh -c "'$py' bench/cuda_report.py '$out/cuda_bench.json' '$out/compare.json' \
  ${variant[*]} >'$out/report.md'"
cat "$out/report.md" 2>/dev/null
echo "results: $out ($([ $failed -eq 0 ] && echo passed || echo FAILED))"
exit $failed
