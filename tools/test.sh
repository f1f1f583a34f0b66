#!/usr/bin/env bash
# The test command: installs what is missing, builds with ASan/UBSan, and
# runs every test (unit and cluster) with ctest; then, for a full run (no
# arguments), the performance suite's smoke profile on a Release build
# (experiments/run_all.sh --quick, into a scratch folder; no thresholds:
# it must run to the end; ZCHAT_SKIP_BENCH_SMOKE=1 skips it).
#   tools/test.sh [ctest args...]      e.g. tools/test.sh -R unit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-test
"$root/tools/setup.sh" "$build" -DCMAKE_BUILD_TYPE=Debug -DZC_SANITIZE=ON
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure --timeout 900 "$@"
if [ $# -eq 0 ] && [ -z "${ZCHAT_SKIP_BENCH_SMOKE:-}" ]; then
  smoke=$(mktemp -d /tmp/zchat-bench-smoke.XXXXXX)
  "$root/experiments/run_all.sh" --quick --out "$smoke"
  rm -rf "$smoke"
fi
