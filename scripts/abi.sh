#!/usr/bin/env bash
# The C ABI guard (libabigail): compares what libmixcut.so exports and every
# public type of the header with the baseline committed in capi/abi/.
# Adding functions (or enumerators) passes; removing or changing anything
# exported (a signature, a struct's layout, an enum's values) fails with
# abidiff's report. Usage: abi.sh check|update path/to/libmixcut.so
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:?usage: abi.sh check|update LIB}
lib=${2:?usage: abi.sh check|update LIB}
baseline=capi/abi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

abidw=(abidw --headers-dir include/mixcut --drop-private-types --no-corpus-path
       --no-comp-dir-path --type-id-style hash)
# 1. The library: its exported functions and the types their signatures reach
#    (the C API objects are compiled with -g for this; see CMakeLists.txt).
"${abidw[@]}" --exported-interfaces-only --out-file "$work/libmixcut.abi" "$lib"
# 2. The header: every public type, also those no signature names (the enums
#    are stored in int32_t fields), from a stub library that only includes it.
${CC:-cc} -shared -fPIC -g -fno-eliminate-unused-debug-types -Iinclude -o "$work/types.so" \
  -x c - <<'C'
#include <mixcut/mixcut.h>
void mixcut_abi_anchor(void);
void mixcut_abi_anchor(void) {}
C
"${abidw[@]}" --load-all-types --out-file "$work/mixcut_h.abi" "$work/types.so"

if [ "$mode" = update ]; then
  mkdir -p "$baseline"
  cp "$work/libmixcut.abi" "$work/mixcut_h.abi" "$baseline/"
  echo "abi: baseline rewritten in $baseline/ (commit it, and say why the ABI changed)"
  exit 0
fi
[ "$mode" = check ] || { echo "abi.sh: unknown mode '$mode' (check, update)" >&2; exit 2; }

status=0
# -t (also types no exported function reaches) for the header's dump only:
# abidiff 2.2 asserts reading a library dump with it.
for dump in libmixcut.abi:"" mixcut_h.abi:-t; do
  flag=${dump#*:} dump=${dump%%:*}
  if report=$(abidiff --no-added-syms $flag "$baseline/$dump" "$work/$dump" 2>&1); then
    echo "abi: $dump: no change against $baseline/$dump (additions allowed)"
  else
    echo "abi: FAIL: $dump differs from $baseline/$dump:" >&2
    printf '%s\n' "$report" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] || echo "abi: a deliberate change? see README, 'ABI stability'" >&2
exit "$status"
