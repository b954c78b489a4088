#!/usr/bin/env bash
# Installs the Debian packages the build needs, when run as root; otherwise
# names the missing ones and how to get them. Safe to run repeatedly.
set -euo pipefail

packages=(cmake ninja-build g++ libxsimd-dev libgtest-dev libbenchmark-dev libstb-dev pkg-config)
# --checks: also what make fuzz / tsan / tidy need: clang, its sanitizer and
# libFuzzer runtimes, libomp (with its TSan tool libarcher.so), clang-tidy.
if [ "${1:-}" = "--checks" ]; then
  packages+=(clang libclang-rt-14-dev libomp-14-dev clang-tidy)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
