#!/bin/sh
# Checks the global symbols of libmixcut.so (dynamic) or libmixcut.a: every
# defined one is a mixcut_* function, and every function the header declares
# is there. Usage: check_exports.sh path/to/libmixcut.{so,a} path/to/mixcut.h
set -eu

lib=${1:?usage: check_exports.sh LIB HEADER}
header=${2:?usage: check_exports.sh LIB HEADER}

# Defined global symbols, without the version node (an absolute symbol, "A");
# for an archive, without nm's "member.o:" lines.
case "$lib" in
  *.a) symbols=$(nm -g --defined-only "$lib") ;;
  *) symbols=$(nm -D --defined-only "$lib") ;;
esac
exports=$(printf '%s\n' "$symbols" | awk 'NF == 3 && $2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u)
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
