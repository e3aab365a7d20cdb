#!/bin/sh
# onnx.checker accepts rn's re-saved models and onnx.load sees the same graph.
# Usage: test_export_onnx.sh PYTHON_SCRIPT ROUNDTRIP_BIN CONFORMANCE_DIR EXAMPLES_DIR
# Exit 77 (skipped) when python3 or its onnx module is missing.
PY=${PYTHON3:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3) || exit 77
"$PY" -c 'import onnx, numpy' 2>/dev/null || { echo "python3-onnx missing: skipped"; exit 77; }
exec "$PY" "$@"
