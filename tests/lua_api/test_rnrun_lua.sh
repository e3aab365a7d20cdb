#!/usr/bin/env bash
# rnrun MODEL.lua: a script's graph classifies an image; script errors exit 3
# with the script's file:line; restricted mode refuses io.
# Usage: test_rnrun_lua.sh RNRUN TEST_DIR IMAGE
set -u
rnrun=$1 dir=$2 image=$3
fail=0
out=$("$rnrun" --top 3 "$dir/good/rgb.lua" "$image" 2>&1); rc=$?
if [[ $rc -ne 0 || "$out" != *c[0-9]* ]]; then echo "FAIL good/rgb.lua (rc $rc): $out"; fail=1; else echo "ok   good/rgb.lua: $(echo "$out" | tr '\n' ' ')"; fi
check_err() { # script expected-text
  local out rc
  out=$("$rnrun" "$dir/$1" "$image" 2>&1); rc=$?
  if [[ $rc -ne 3 || "$out" != *"$2"* ]]; then echo "FAIL $1 (rc $rc, want 3 and '$2'): $out"; fail=1; else echo "ok   $1: $out"; fi
}
check_err errors/wrong_shape.lua "wrong_shape.lua:7: node 'conv1' (Conv)"
check_err errors/syntax.lua "syntax.lua:5:"
check_err restricted/io.lua "io.lua:3: attempt to index a nil value (global 'io')"
check_err restricted/require.lua "require.lua:3: module 'x' is not available"
exit $fail
