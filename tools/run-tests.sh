#!/usr/bin/env bash
# Sets up (Debian packages), builds and runs rn's whole test suite twice:
#   1. the normal build (BUILD, default build/): every suite;
#   2. a sanitizer build (BUILD-asan): AddressSanitizer + LeakSanitizer +
#      UndefinedBehaviorSanitizer (any finding fails), every suite but the
#      install test (binaries built against the installed tree aren't instrumented).
# Usage: tools/run-tests.sh [BUILD] [--no-sanitize]
# Ends with one line: "N passed, N failed, N skipped" (both builds together).
set -uo pipefail
cd "$(dirname "$0")/.."
build=build
sanitize=1
for arg in "$@"; do
  case "$arg" in
    --no-sanitize) sanitize=0 ;;
    -*) echo "usage: $0 [BUILD] [--no-sanitize]" >&2; exit 2 ;;
    *) build=$arg ;;
  esac
done

total_ok=0 total_fail=0 total_skip=0 status=0

# setup_build DIR [meson options...]: configure (or reconfigure) and build.
setup_build() {
  local dir=$1; shift
  if [[ -f "$dir/build.ninja" ]]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi && ninja -C "$dir"
}

# run_suite DIR [meson test args...]: run the tests, add up the results.
run_suite() {
  local dir=$1; shift
  meson test -C "$dir" --print-errorlogs "$@" 2>&1 | tee "$dir/test-summary.log"
  local rc=${PIPESTATUS[0]}
  count() { awk -v key="$1" -F: '$1 == key { gsub(/ /, "", $2); print $2 }' "$dir/test-summary.log" | tail -1; }
  local ok fail timeout xpass skipped
  ok=$(count "Ok"); fail=$(count "Fail"); timeout=$(count "Timeout")
  xpass=$(count "Unexpected Pass"); skipped=$(count "Skipped")
  local failed=$(( ${fail:-0} + ${timeout:-0} + ${xpass:-0} ))
  if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi
  total_ok=$(( total_ok + ${ok:-0} )); total_fail=$(( total_fail + failed ))
  total_skip=$(( total_skip + ${skipped:-0} ))
  [[ $rc -eq 0 ]] || status=1
}

if ! tools/setup-debian.sh --with-tests; then
  echo "setup failed"; echo "0 passed, 1 failed"; exit 1
fi

if setup_build "$build"; then
  run_suite "$build"
else
  echo "build of $build failed"; total_fail=$(( total_fail + 1 )); status=1
fi

if [[ $sanitize == 1 ]]; then
  asan="$build-asan"
  models=$(cd "$build" 2>/dev/null && pwd)/tests/models/exported
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  if setup_build "$asan" -Db_sanitize=address,undefined -Db_lundef=false \
       -Dc_args=-fno-sanitize-recover=all -Dmodel_dir="$models"; then
    run_suite "$asan" --no-suite embed --timeout-multiplier 3
  else
    echo "build of $asan failed"; total_fail=$(( total_fail + 1 )); status=1
  fi
fi

echo "${total_ok} passed, ${total_fail} failed, ${total_skip} skipped"
exit $status
