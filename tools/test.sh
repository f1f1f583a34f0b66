#!/usr/bin/env bash
# The test command: installs what is missing, builds with ASan/UBSan, and
# runs every test (unit and cluster) with ctest; then, for a full run (no
# arguments), the performance suite's smoke profile on a Release build
# (experiments/run_all.sh --quick, into a scratch folder; no thresholds:
# it must run to the end; ZCHAT_SKIP_BENCH_SMOKE=1 skips it).  Before that,
# a full run builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang
# in build-fuzz and runs each for ZCHAT_FUZZ_SECS (20) seconds under
# ASan/UBSan, from the generated seed corpus; a crash or a sanitizer report
# fails the run and names the reproducer.  ZCHAT_SKIP_FUZZ=1 skips it.
#   tools/test.sh [ctest args...]      e.g. tools/test.sh -R unit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-test
fuzz=
if [ $# -eq 0 ] && [ -z "${ZCHAT_SKIP_FUZZ:-}" ]; then
  fuzz=1
fi
ZCHAT_SETUP_FUZZ=$fuzz "$root/tools/setup.sh" "$build" -DCMAKE_BUILD_TYPE=Debug -DZC_SANITIZE=ON
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
rm -rf "$build/test-summary"
ctest --output-on-failure --timeout 900 "$@"
# What some tests say of what they could run (test_chaos: the network
# faults), shown even when they pass
cat "$build"/test-summary/*.txt 2>/dev/null || true

# The fuzz targets: every tests/fuzz/fuzz_*.c, a bounded run each.  Seeds:
# what corpus_gen writes from the real encoder and segstore, plus
# tests/fuzz/corpus/<target>/ if there is one; new inputs go to a scratch
# folder, never into the sources.
fuzz_all () {
  local fbuild=$root/build-fuzz secs=${ZCHAT_FUZZ_SECS:-20} passed=0 failed=0 blog
  CC=clang cmake -S "$root" -B "$fbuild" -DZC_FUZZ=ON >/dev/null
  # No target may run from an earlier build: the binaries go first (a
  # relink), so after a failed build only what built now is there, and the
  # rest is counted below as "did not build".  The build's errors in full.
  find "$fbuild/tests" -maxdepth 1 -type f \( -name 'fuzz_*' -o -name corpus_gen \) -delete 2>/dev/null || true
  blog=$(mktemp /tmp/zchat-fuzz-build.XXXXXX)
  if cmake --build "$fbuild" -j"$(nproc)" --target fuzz >"$blog" 2>&1; then
    grep -E 'warning|error|Error' "$blog" || true
  else
    grep -v -E '^\[ *[0-9]+%\] ' "$blog" || true
    echo "fuzz: FAILED: the build in $fbuild failed (errors above)"
    failed=$((failed + 1))
  fi
  rm -f "$blog"
  rm -rf "$fbuild/corpus" "$fbuild/fuzz-work"
  mkdir -p "$fbuild/fuzz-artifacts"
  if [ -x "$fbuild/tests/corpus_gen" ]; then
    "$fbuild/tests/corpus_gen" "$fbuild/corpus" >/dev/null
  else
    echo "fuzz: corpus_gen did not build; running without generated seeds"
  fi
  for src in "$root"/tests/fuzz/fuzz_*.c; do
    local name bin log seeds=()
    name=$(basename "$src" .c)
    bin=$fbuild/tests/$name
    log=$fbuild/fuzz-work/$name.log
    mkdir -p "$fbuild/fuzz-work/$name"
    if [ ! -x "$bin" ]; then
      echo "fuzz: $name FAILED: it did not build (cmake --build $fbuild --target $name)"
      failed=$((failed + 1))
      continue
    fi
    [ -d "$fbuild/corpus/$name" ] && seeds+=("$fbuild/corpus/$name")
    [ -d "$root/tests/fuzz/corpus/$name" ] && seeds+=("$root/tests/fuzz/corpus/$name")
    if "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
         -artifact_prefix="$fbuild/fuzz-artifacts/$name-" \
         "$fbuild/fuzz-work/$name" ${seeds[@]+"${seeds[@]}"} >"$log" 2>&1 \
       && ! grep -q -E 'runtime error:|ERROR: (Address|Undefined|Leak)Sanitizer' "$log"; then
      echo "fuzz: $name passed ($(grep -o -E 'Done [0-9]+ runs' "$log" | tail -n1 | cut -d' ' -f2) runs in ${secs}s)"
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      echo "fuzz: $name FAILED (whole output: $log):"
      grep -E '^fuzz_[a-z_]+: ' "$log" | tail -n 3 || true     # the target's own words
      grep -m1 -A 14 -E 'ERROR: |runtime error:' "$log" || true
      grep -E '^SUMMARY:' "$log" | tail -n 1 || true
      local unit
      unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
      if [ -n "$unit" ]; then
        echo "fuzz: reproduce with: $bin $unit"
      fi
    fi
  done
  echo "fuzz: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
if [ -n "$fuzz" ]; then
  fuzz_all
fi

if [ $# -eq 0 ] && [ -z "${ZCHAT_SKIP_BENCH_SMOKE:-}" ]; then
  smoke=$(mktemp -d /tmp/zchat-bench-smoke.XXXXXX)
  "$root/experiments/run_all.sh" --quick --out "$smoke"
  rm -rf "$smoke"
fi
