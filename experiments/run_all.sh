#!/usr/bin/env bash
# The whole performance suite, in order: the matrix with its baselines
# (run_matrix.sh), the failover runs (run_failover.sh) and the scale run
# (run_scale.sh).  Each writes its own files; see their --help.
#
#   experiments/run_all.sh [--quick] [--out DIR]
#
# --quick: every part's smoke profile (a few minutes in all; CI runs this
# once, with no thresholds: speed is judged from the reports).  --out DIR:
# where every part writes (default experiments/results; give a scratch
# folder for a smoke run so that measured results are not overwritten).
# One Release build (build-bench/, or $ZCHAT_BIN) serves every part.
# Exit status: 0 if every part ran to the end, else the first failure's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=() out=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=(--quick) ;;
    --out) out=(--out "$2"); shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_all.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "${ZCHAT_BIN:-}" ]; then
  # ZCHAT_SETUP_BENCH: the baselines' client libraries too (optional)
  ZCHAT_SETUP_BENCH=1 "$root/tools/setup.sh" "$root/build-bench" -DCMAKE_BUILD_TYPE=Release \
    -DZC_SANITIZE=OFF
  export ZCHAT_BIN=$root/build-bench
fi
rc=0
for part in run_matrix run_failover run_scale; do
  echo "=== $part ${quick[*]} ${out[*]}"
  start=$(date +%s)
  if "$root/experiments/$part.sh" "${quick[@]}" "${out[@]}"; then
    echo "=== $part: done in $(($(date +%s) - start)) s"
  else
    r=$?
    echo "=== $part: FAILED (exit $r) after $(($(date +%s) - start)) s"
    [ "$rc" != 0 ] || rc=$r
  fi
done
exit "$rc"
