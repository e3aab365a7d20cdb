#!/usr/bin/env bash
# Runs a libFuzzer target for a while, with ASan + UBSan (+ LeakSanitizer);
# the whole library is instrumented for coverage (-fsanitize=fuzzer-no-link).
# Usage: tools/fuzz.sh onnx|image|lua SECONDS [BUILD_DIR]
# Seeds: the ONNX conformance models / the bundled and test images. Crashes
# land in tests/fuzz/regressions/TARGET/ and are replayed by the test suite
# from then on (commit them with the fix).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: tools/fuzz.sh onnx|image SECONDS [BUILD_DIR]}
seconds=${2:?usage: tools/fuzz.sh onnx|image SECONDS [BUILD_DIR]}
build=${3:-build-fuzz}
command -v clang >/dev/null || { echo "fuzz.sh needs clang: apt-get install clang libclang-rt-14-dev" >&2; exit 2; }
if [[ ! -f "$build/build.ninja" ]]; then
  CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
    "-Dc_args=-fno-sanitize-recover=all -fsanitize=fuzzer-no-link" -Dmodel_tests=false
fi
ninja -C "$build" "tests/fuzz/fuzz_$target" >/dev/null
corpus="$build/corpus/$target"
mkdir -p "$corpus"
if [[ -z "$(ls -A "$corpus")" ]]; then
  case "$target" in
    onnx)
      for m in /usr/share/libonnx-testdata/data/*/*/model.onnx examples/digits/*.onnx; do
        cp "$m" "$corpus/$(echo "$m" | md5sum | cut -c1-16).onnx"
      done ;;
    lua)
      cp examples/lua/*.lua tests/lua_api/errors/*.lua tests/lua_api/restricted/*.lua tests/lua_api/good/*.lua "$corpus/" ;;
    image)
      cp examples/digits/samples/*.png "$corpus/"
      find build*/tests/image/refs -name '*.png' -o -name '*.jpg' 2>/dev/null | head -200 |
        while read -r f; do cp "$f" "$corpus/$(echo "$f" | md5sum | cut -c1-16).${f##*.}"; done ;;
  esac
fi
out="tests/fuzz/regressions/$target/"
log="$build/fuzz-$target.log"
set +e
ASAN_OPTIONS=detect_leaks=1 "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" \
  -rss_limit_mb=2048 -timeout=30 -artifact_prefix="$out" -print_final_stats=1 "$corpus" 2>&1 | tee "$log" | grep -E "^#[0-9]+ +(INITED|DONE)|ERROR|stat::"
rc=${PIPESTATUS[0]}
set -e
echo "corpus: $(ls "$corpus" | wc -l) inputs in $corpus"
echo "regression inputs (crashes found now or earlier): $(ls "$out" | wc -l) in $out"
exit "$rc"
