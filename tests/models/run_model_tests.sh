#!/bin/sh
# Compare rn against PyTorch on torchvision models.
#
# Usage: run_model_tests.sh RUNNER OUTDIR
#
# Exports the models with export_torchvision.py into OUTDIR unless
# OUTDIR/.complete is there and matches the export script (delete it to force
# a new export), then runs
#     RUNNER --tol-max-rel 1e-3 --check-top1 OUTDIR
# and exits with its status.  Exits 77 (meson's "skipped") when PyTorch,
# torchvision or onnx is missing.  PYTHON overrides the interpreter
# (default /usr/bin/python3: Debian's, the one with python3-torch).
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 RUNNER OUTDIR [RUNNER OPTIONS...]" >&2
    exit 2
fi
runner=$1
outdir=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
script="$here/export_torchvision.py"

if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

# The stamp holds the export script's checksum, so editing the script
# re-exports too.
stamp=$(sha256sum "$script" | cut -d' ' -f1)
if [ ! -f "$outdir/.complete" ] || [ "$(cat "$outdir/.complete")" != "$stamp" ]; then
    if ! "$PYTHON" -c 'import torch, torchvision, onnx, numpy' 2>/dev/null; then
        echo "SKIP: $PYTHON cannot import torch, torchvision, onnx and numpy;" \
             "install python3-torch python3-torchvision python3-onnx" \
             "(Debian) to run the model tests" >&2
        exit 77
    fi
    echo "exporting torchvision models into $outdir"
    rm -f "$outdir/.complete"
    mkdir -p "$outdir"
    # drop tests a previous version of the script may have written
    rm -rf "$outdir"/torchvision_*
    "$PYTHON" "$script" "$outdir"
    echo "$stamp" > "$outdir/.complete"
else
    echo "using the models exported in $outdir (delete $outdir/.complete to re-export)"
fi

exec "$runner" --tol-max-rel 1e-3 --check-top1 "$@" "$outdir"
