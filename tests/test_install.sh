#!/usr/bin/env bash
# Installs rn into a temporary root, then builds the embedding examples
# (C and C++) against the installed tree with pkg-config, as a user would,
# runs them on the bundled digits model, and checks that librn.so exports
# only the public rn_ symbols.
# Usage: test_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
root=$(mktemp -d /tmp/rn-install-XXXXXX)
trap 'rm -rf "$root"' EXIT

meson install -C "$build" --destdir "$root" --quiet >/dev/null
pcdir=$(dirname "$(find "$root" -name rn.pc | head -1)")
[[ -f "$pcdir/rn.pc" ]] || { echo "FAIL: rn.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$root"
echo "pkg-config: $(pkg-config --modversion rn): $(pkg-config --cflags --libs rn)"

lib=$(find "$root" -name 'librn.so.*' -type f | head -1)
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
echo "installed $(basename "$lib") with SONAME $soname"
[[ "$soname" == librn.so.0 ]] || { echo "FAIL: SONAME is '$soname'"; exit 1; }
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBR]/ {print $3}')
n=$(echo "$exported" | wc -l)
bad=$(echo "$exported" | grep -v '^rn_' || true)
if [[ -n "$bad" ]]; then echo "FAIL: librn.so exports non-API symbols:"; echo "$bad" | head; exit 1; fi
echo "librn.so exports $n symbols, all rn_*"
for f in rnrun rn-onnx-test; do
  [[ -n "$(find "$root" -name "$f" -type f)" ]] || { echo "FAIL: $f not installed"; exit 1; }
done
[[ -n "$(find "$root" -name 'rnrun.1*')" ]] || { echo "FAIL: man page not installed"; exit 1; }

# The Lua module from the stock interpreter, as installed.
cmod=$(find "$root" -name rn.so | head -1)
lmod=$(find "$root" -path '*rn/nn.lua' | head -1)
[[ -n "$cmod" && -n "$lmod" ]] || { echo "FAIL: the Lua module (rn.so, rn/nn.lua) was not installed"; exit 1; }
params=$(LD_LIBRARY_PATH="$(dirname "$(find "$root" -name 'librn.so.*' -type f | head -1)")" \
  LUA_CPATH="$(dirname "$cmod")/?.so;;" LUA_PATH="$(dirname "$(dirname "$lmod")")/?.lua;;" \
  lua5.4 -e 'local rn = require "rn"; local nn = require "rn.nn"; print(nn.resnet(18):param_count())')
echo "installed Lua module: nn.resnet(18) has $params parameters"
[[ "$params" == 11689512 ]] || { echo "FAIL: expected 11689512"; exit 1; }

work=$(mktemp -d /tmp/rn-embed-XXXXXX)
trap 'rm -rf "$root" "$work"' EXIT
cc -std=c11 -Wall -Wextra -Werror "$src/examples/embed/classify.c" $(pkg-config --cflags --libs rn) -lm -o "$work/classify"
c++ -std=c++17 -Wall -Wextra -Werror "$src/examples/embed/classify.cpp" $(pkg-config --cflags --libs rn) -o "$work/classify_cpp"
libdir=$(dirname "$lib")
model="$src/examples/digits/digits_resnet.onnx"
image=$(ls "$src"/examples/digits/samples/digit7_*.png | head -1)
for exe in classify classify_cpp; do
  out=$(LD_LIBRARY_PATH="$libdir" "$work/$exe" "$model" "$image")
  echo "$exe $(basename "$image"):"; echo "$out"
  echo "$out" | head -1 | grep -q "^1. class 7 " || { echo "FAIL: $exe did not predict 7"; exit 1; }
done
# A third-party plugin, built against the installed rn_plugin.h alone, runs
# the custom op of a model (and a wrong-ABI copy is refused): test_plugins.
[[ -n "$(find "$root" -name rn_plugin.h)" ]] || { echo "FAIL: rn_plugin.h not installed"; exit 1; }
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC "$src/examples/plugins/scaled_tanh.c" $(pkg-config --cflags rn) -lm \
  -o "$work/rn-plugin-example.so"
LD_LIBRARY_PATH="$libdir" "$build/tests/test_plugins" "$work/rn-plugin-example.so" \
  "$build/examples/plugins/rn-plugin-wrong-abi.so" | tail -1
echo "install + embed: ok"
