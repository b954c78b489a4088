#!/usr/bin/env bash
# Installs the Debian packages the build needs, when run as root; otherwise
# names the missing ones and how to get them. Safe to run repeatedly.
# Usage: install-deps.sh [abi] [docs] [--checks]   (extra groups: abidw/abidiff,
# doxygen, the clang tools of make fuzz / tsan)
set -euo pipefail

packages=(cmake ninja-build g++ libxsimd-dev libgtest-dev libbenchmark-dev libstb-dev pkg-config)
for group in "$@"; do
  case "$group" in
    abi) packages+=(abigail-tools) ;;  # abidw, abidiff: the ABI check (make abi-check)
    docs) packages+=(doxygen) ;;       # the C API reference (make docs)
    # What make fuzz / tsan / tidy need: clang, its sanitizer and libFuzzer
    # runtimes, libomp (with its TSan tool libarcher.so), clang-tidy.
    --checks) packages+=(clang libclang-rt-14-dev libomp-14-dev clang-tidy) ;;
    *) echo "install-deps: unknown group '$group' (abi, docs, --checks)" >&2; exit 2 ;;
  esac
done
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
