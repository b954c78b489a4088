#!/bin/sh
# Checks the dynamic symbols of libmixcut: every defined export is a
# mixcut_* function, and every function the public header declares is there.
# Usage: check_exports.sh path/to/libmixcut.so path/to/include/mixcut/mixcut.h
set -eu

lib=${1:?usage: check_exports.sh LIB HEADER}
header=${2:?usage: check_exports.sh LIB HEADER}

# Defined dynamic symbols, without the version node (an absolute symbol, "A").
exports=$(nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u)
if [ -z "$exports" ]; then
  echo "FAIL: $lib exports nothing" >&2
  exit 1
fi

status=0
stray=$(printf '%s\n' "$exports" | grep -v '^mixcut_' || true)
if [ -n "$stray" ]; then
  echo "FAIL: $lib exports symbols outside mixcut_*:" >&2
  printf '  %s\n' $stray >&2
  status=1
fi

# Every MIXCUT_API function of the header: the identifier before its "(".
declared=$(tr '\n' ' ' < "$header" | grep -o 'MIXCUT_API [^;]*(' |
           grep -o 'mixcut_[a-z0-9_]*($' | tr -d '(' | sort -u)
missing=$(printf '%s\n' "$declared" | while read -r name; do
  printf '%s\n' "$exports" | grep -qx "$name" || echo "$name"
done)
if [ -n "$missing" ]; then
  echo "FAIL: $lib lacks functions declared in $header:" >&2
  printf '  %s\n' $missing >&2
  status=1
fi

if [ "$status" -eq 0 ]; then
  echo "OK: $(printf '%s\n' "$exports" | wc -l) exports, all mixcut_*, every declared function present"
fi
exit "$status"
