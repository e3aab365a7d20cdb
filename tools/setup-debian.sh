#!/usr/bin/env bash
# Installs every Debian package rn needs to build, run and test. Idempotent.
# Usage: tools/setup-debian.sh [--with-tests]
#   without flags: build + run dependencies
#   --with-tests:  also the references the test suite compares against
#                  (ONNX conformance data, PyTorch/torchvision, scikit-learn, Pillow, onnx)
set -euo pipefail

build_pkgs=(
  build-essential pkg-config meson ninja-build
  protobuf-c-compiler libprotobuf-c-dev libonnx-dev
  liblua5.4-dev lua5.4
  libopenblas-dev
  libvulkan-dev glslc mesa-vulkan-drivers
  libpng-dev libjpeg-dev
)
test_pkgs=(
  libonnx-testdata
  python3 python3-numpy python3-torch python3-torchvision python3-onnx
  python3-sklearn python3-pil
  valgrind
)

pkgs=("${build_pkgs[@]}")
if [[ "${1:-}" == "--with-tests" ]]; then
  pkgs+=("${test_pkgs[@]}")
  # ONNX Runtime (npm onnxruntime-node) is the second opinion in the Lua tests;
  # a machine that already has Node.js and npm keeps its own.
  command -v npm >/dev/null || pkgs+=(nodejs npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#pkgs[@]} packages already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}"
