#!/usr/bin/env bash
# Builds the libFuzzer targets with clang + ASan + UBSan (build/fuzz), runs the
# C API regression test under them, then the fuzz targets from the committed
# seed corpora tests/fuzz/corpus/<target>, SECONDS in all (default 60): a
# tenth to fuzz_ctx (ctx options and strings, little to find), three tenths
# to each of the others.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=build/fuzz
targets=(fuzz_mix fuzz_cutout fuzz_gather fuzz_ctx)
declare -A tenths=([fuzz_mix]=3 [fuzz_cutout]=3 [fuzz_gather]=3 [fuzz_ctx]=1)
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" -DMIXCUT_BUILD_FUZZ=ON -DMIXCUT_BUILD_TESTS=OFF \
  -DMIXCUT_BUILD_BENCH=OFF -DMIXCUT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}" capi_hardening_sanitized

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
echo "-- capi_hardening_test under clang ASan + UBSan"
"$build/tests/fuzz/capi_hardening_sanitized" --gtest_brief=1

for t in "${targets[@]}"; do
  share=$(( seconds * tenths[$t] / 10 ))
  (( share >= 1 )) || share=1
  echo "-- $t for ${share}s"
  work="$build/corpus/$t"  # new inputs land here, the committed seeds stay as they are
  mkdir -p "$work"
  log="$build/$t.log"
  if ! "$build/tests/fuzz/$t" -max_total_time="$share" -timeout=20 -rss_limit_mb=3072 \
      -print_final_stats=1 -artifact_prefix="$build/$t-" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "$t failed: the input is saved as $build/$t-*"
    exit 1
  fi
  grep -E "^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|peak_rss_mb)" "$log"
done
