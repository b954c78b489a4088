#!/usr/bin/env bash
# Runs clang-tidy with the checks of .clang-tidy over every source file of
# src/ and capi/ (and the headers they include from there); any warning fails.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/tidy
cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DMIXCUT_BUILD_TESTS=OFF -DMIXCUT_BUILD_BENCH=OFF \
  -DMIXCUT_BUILD_EXAMPLES=OFF >/dev/null
tidy=$(command -v run-clang-tidy || command -v run-clang-tidy-14)
"$tidy" -p "$build" -j "${TIDY_JOBS:-2}" -quiet "$PWD/(src|capi)/.*\.cpp$"
