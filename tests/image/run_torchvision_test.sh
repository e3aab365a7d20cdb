#!/bin/sh
# Compare rn's image preprocessing with torchvision's.
#
# Usage: run_torchvision_test.sh TEST_IMAGE OUTDIR
#
# Generates test images and torchvision's tensors of them into OUTDIR with
# gen_image_refs.py (unless OUTDIR/.complete matches the script's checksum),
# then runs TEST_IMAGE refs OUTDIR. Exits 77 (meson's "skipped") when PIL,
# torchvision or numpy is missing. PYTHON overrides the interpreter (default
# /usr/bin/python3: Debian's, the one with python3-pil and python3-torchvision).
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 TEST_IMAGE OUTDIR" >&2
    exit 2
fi
runner=$1
outdir=$2
here=$(cd "$(dirname "$0")" && pwd)
script="$here/gen_image_refs.py"

if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

stamp=$(sha256sum "$script" | cut -d' ' -f1)
if [ ! -f "$outdir/.complete" ] || [ "$(cat "$outdir/.complete")" != "$stamp" ]; then
    if ! "$PYTHON" -c 'import PIL, torchvision, numpy' 2>/dev/null; then
        echo "SKIP: $PYTHON cannot import PIL, torchvision and numpy;" \
             "install python3-pil python3-torchvision (Debian) to run this test" >&2
        exit 77
    fi
    rm -rf "$outdir"
    mkdir -p "$outdir"
    "$PYTHON" -W ignore "$script" "$outdir"
    echo "$stamp" > "$outdir/.complete"
fi
exec "$runner" refs "$outdir"
