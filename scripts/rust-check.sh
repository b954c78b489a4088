#!/usr/bin/env bash
# CI check of the Rust bindings the ways users link them: from a clean checkout
# (build.rs builds the library with CMake), and against an installed prefix
# (MIXCUT_LIB_DIR, and pkg-config where mixcut.pc is installed). Needs cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
PATH="$PATH:$HOME/.cargo/bin:/root/.cargo/bin"
command -v cargo >/dev/null || { echo "rust-check: cargo not found" >&2; exit 1; }

# The target directory is fresh so that build.rs really builds the library.
target=$root/build/rust-fresh
rm -rf "$target"
echo "-- cargo test, no MIXCUT_LIB_DIR (build.rs builds libmixcut)"
(cd bindings/rust && env -u MIXCUT_LIB_DIR -u MIXCUT_STATIC CARGO_TARGET_DIR="$target" \
  cargo test --offline -q)
(cd bindings/rust && env -u MIXCUT_LIB_DIR CARGO_TARGET_DIR="$target" \
  cargo run --offline -q --example mixup >/dev/null)
(cd bindings/rust && env -u MIXCUT_LIB_DIR CARGO_TARGET_DIR="$target" \
  cargo run --offline -q --example loader)

echo "-- cargo test against an installed prefix (MIXCUT_LIB_DIR)"
prefix=$root/build/rust-prefix
rm -rf "$prefix"
cmake --install build/release --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libmixcut.so' | head -1)")
(cd bindings/rust && MIXCUT_LIB_DIR=$libdir CARGO_TARGET_DIR="$target" cargo test --offline -q)
if [ -f "$libdir/libmixcut.a" ]; then
  echo "-- cargo test against the installed libmixcut.a (MIXCUT_STATIC=1)"
  (cd bindings/rust && MIXCUT_LIB_DIR=$libdir MIXCUT_STATIC=1 CARGO_TARGET_DIR="$target" \
    cargo test --offline -q)
fi
if [ -f "$libdir/pkgconfig/mixcut.pc" ]; then
  echo "-- cargo test through pkg-config (the installed mixcut.pc)"
  (cd bindings/rust && env -u MIXCUT_LIB_DIR PKG_CONFIG_PATH="$libdir/pkgconfig" \
    CARGO_TARGET_DIR="$target" cargo test --offline -q)
fi
echo "-- rust-check passed"
