#!/usr/bin/env bash
# Sets up (Debian packages), builds and runs rn's whole test suite.
# Usage: tools/run-tests.sh [BUILD_DIR] [-- extra meson test args]
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift $(( $# > 0 ? 1 : 0 ))
[[ "${1:-}" == "--" ]] && shift

tools/setup-debian.sh --with-tests || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
if [[ -f "$build/build.ninja" ]]; then
  meson setup --reconfigure "$build" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
else
  meson setup "$build" || { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$build" || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

meson test -C "$build" --print-errorlogs "$@" 2>&1 | tee "$build/test-summary.log"
rc=${PIPESTATUS[0]}
count() { awk -v key="$1" -F: '$1 == key { gsub(/ /, "", $2); print $2 }' "$build/test-summary.log" | tail -1; }
ok=$(count "Ok"); fail=$(count "Fail"); timeout=$(count "Timeout"); xpass=$(count "Unexpected Pass")
skipped=$(count "Skipped")
failed=$(( ${fail:-0} + ${timeout:-0} + ${xpass:-0} ))
if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "${ok:-0} passed, ${failed} failed, ${skipped:-0} skipped"
exit $rc
