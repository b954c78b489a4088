#!/usr/bin/env bash
# Builds tests/tsan with clang + ThreadSanitizer + libomp (build/tsan) and runs
# it with libomp's archer tool, which tells TSan about OpenMP's barriers and
# tasks (without it, every parallel region looks like a race).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/tsan
flags="-fsanitize=thread -fno-omit-frame-pointer"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
  -DMIXCUT_BUILD_TSAN=ON -DMIXCUT_BUILD_TESTS=OFF -DMIXCUT_BUILD_BENCH=OFF \
  -DMIXCUT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target tsan_threads

archer=$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | sort -V | tail -n 1)
[ -n "$archer" ] || { echo "tsan.sh: libarcher.so not found (Debian: libomp-14-dev)" >&2; exit 1; }
OMP_TOOL_LIBRARIES="$archer" ARCHER_OPTIONS="verbose=1" \
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=tests/tsan/suppressions.txt" "$build/tests/tsan/tsan_threads"
