#!/usr/bin/env bash
# The GPU check of the CUDA backend (issue 17), for a machine with a GPU:
# builds mixcut with MIXCUT_CUDA=ON, runs the GPU tests (ctest label gpu:
# bit-identity with the CPU, graph capture, staging), the host grid tests,
# the CUDA benchmark and the Python comparison with timm / torchvision, and
# writes everything under one folder. About 4-6 minutes on one H200.
#
#   scripts/gpu-check.sh [OUT_DIR]          (default build/gpu-check)
#   MIXCUT_PREBUILT=DIR scripts/gpu-check.sh  runs binaries built elsewhere
#     (DIR holds libmixcut.so*, cuda_device_test, cuda_grid_test, cuda_bench
#     and, in DIR/lib, shared libraries the GPU machine lacks).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/gpu-check}
mkdir -p "$out"
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
  step "GPU tests" 300 "$tests/cuda_device_test" --gtest_output="json:$out/gpu_tests.json"
else
  build=build/cuda  # the cuda preset: Release, MIXCUT_CUDA=ON, shared library only
  step "configure" 120 cmake --preset cuda
  step "build" 400 cmake --build --preset cuda --target mixcut cuda_device_test cuda_grid_test \
    capi_backend_test cuda_bench
  tests=$build/tests bench=$build/bench lib=$build/libmixcut.so
  step "GPU tests (ctest -L gpu)" 300 ctest --preset cuda -L gpu
  step "GPU tests (json)" 300 "$tests/cuda_device_test" --gtest_output="json:$out/gpu_tests.json"
fi
step "host grid tests" 120 "$tests/cuda_grid_test"
if command -v compute-sanitizer >/dev/null; then
  step "compute-sanitizer memcheck" 120 compute-sanitizer --tool memcheck --error-exitcode 1 \
    "$tests/cuda_device_test" --gtest_filter='*Graph*:*Labels*:*HostPointers*'
fi
step "CUDA benchmark" 240 "$bench/cuda_bench" --benchmark_out="$out/cuda_bench.json" \
  --benchmark_out_format=json
step "Python comparison" 240 env MIXCUT_LIBRARY="$lib" PYTHONUNBUFFERED=1 \
  python3 bench/cuda_compare.py --out "$out/compare.json"
step "report" 30 sh -c "python3 bench/cuda_report.py '$out/cuda_bench.json' '$out/compare.json' \
  >'$out/report.md'"
cat "$out/report.md" 2>/dev/null
echo "results: $out ($([ $failed -eq 0 ] && echo passed || echo FAILED))"
exit $failed
