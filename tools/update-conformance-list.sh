#!/usr/bin/env bash
# Rewrites tests/conformance/expected_pass.txt from a fresh run of the ONNX
# conformance suite: every test that passes now must keep passing.
# Usage: tools/update-conformance-list.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
data=/usr/share/libonnx-testdata/data
out=tests/conformance/expected_pass.txt
log=$(mktemp)
"$build/tools/rn-onnx-test" "$data/node" "$data/pytorch-converted" "$data/pytorch-operator" "$data/simple" >"$log" || true
tail -1 "$log"
{
  echo "# ONNX conformance tests (Debian libonnx-testdata) that rn passes; the suite fails if any stops passing."
  echo "# Regenerate: tools/update-conformance-list.sh"
  awk '$1 == "pass" {print $2}' "$log"
} >"$out"
echo "$(grep -vc '^#' "$out") tests in $out"
rm -f "$log"
