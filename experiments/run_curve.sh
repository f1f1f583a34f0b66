#!/usr/bin/env bash
# The cost of CURVE (issue 9): the headline scenarios of run_matrix.sh on a
# 3-node cluster (quorum 2, fsync batch) with security off and on, the two
# interleaved in every repetition so that a disturbance hits both.
#
#   experiments/run_curve.sh [--quick] [--reps N] [--secs S] [--out DIR] [--wait-quiet SECS]
#
# On: tools/cluster.sh start --secure (chat-keygen keys, every node socket
# CURVE, clients authenticated by certificate), and zchat-bench --keys with
# client alice's folder (all of the run's clients share that key pair).
# Writes curve-raw.csv (zchat-bench's CSV) and curve.md (medians, on/off
# ratio) into --out (default experiments/results).  --quick: 1 repetition
# of 1 s phases, for a smoke test.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

quick=0 reps=3 secs=5 out="" wait_quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps=$2; shift ;;
    --secs) secs=$2; shift ;;
    --out) out=$2; shift ;;
    --wait-quiet) wait_quiet=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run_curve: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$quick" = 1 ] && { reps=1; secs=1; }
zx_init run_curve
trap zx_cleanup EXIT
out=${out:-$root/experiments/results}
mkdir -p "$out"
raw=$out/curve-raw.csv
log=$zx_runs/bench.log
drain=$([ "$quick" = 1 ] && echo 1 || echo 2)
: >"$raw"
echo "run_curve: runs in $zx_runs; binaries $bin ($build_type); $(zx_machine)"

# name | senders | subscribers | total rate (0 = flat out)
scenarios=("flat-1sub|4|1|0" "flat-10sub|4|10|0" "rate-10sub|1|10|10000" "seed-1to1|1|1|0")

for ((rep = 1; rep <= reps; rep++)); do
  for mode in off on; do
    zx_wait_quiet "$wait_quiet"
    keys=()
    if [ "$mode" = on ]; then
      ZX_SECURE=1 zx_cluster_up "curve-$mode-$rep" 3 ""
      keys=(--keys "$current_run/keys/client-alice")
    else
      zx_cluster_up "curve-$mode-$rep" 3 ""
    fi
    for sc in "${scenarios[@]}"; do
      IFS='|' read -r sname snd subs rate <<<"$sc"
      rflags=()
      [ "$rate" = 0 ] || rflags=(--rate $((rate / snd)))
      label="curve-$mode/$sname"
      rc=0
      "$bin/zchat-bench" --servers "$servers" --duration "$secs" --drain "$drain" \
        --senders "$snd" --subscribers "$subs" ${rflags[@]+"${rflags[@]}"} \
        ${keys[@]+"${keys[@]}"} --label "$label" --csv "$raw" >>"$log" 2>&1 || rc=$?
      echo "  rep $rep $label: $(grep "^zchat-bench: [0-9]" "$log" | tail -n 1 | cut -c14-200)"
      [ "$rc" = 0 ] || echo "  ($label: zchat-bench exit $rc, see $log)"
    done
    zx_cluster_down
  done
done

# Medians per label of delivered msgs/s and of p50/p99 latency (ms)
md=$out/curve.md
{
  echo "# The cost of CURVE: 3 nodes, quorum 2, fsync batch, 100 B"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(zx_machine); $build_type build of" \
       "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); median of $reps" \
       "repetition(s) of ${secs} s; command: experiments/run_curve.sh --reps $reps --secs $secs."
  echo
  echo "| scenario | off: delivered/s | on: delivered/s | on/off | off: p50 / p99 ms | on: p50 / p99 ms |"
  echo "|---|---|---|---|---|---|"
  awk -F, -v scen="flat-1sub flat-10sub rate-10sub seed-1to1" '
    $1 == "label" { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["label"] ~ /^curve-/ {
      split($col["label"], p, "/"); mode = substr(p[1], 7); s = p[2]
      n = ++cnt[mode, s]
      d[mode, s, n] = $col["deliv_rate_total"]
      l50[mode, s, n] = sprintf ("%.2f", $col["e2e_p50_us"] / 1000)
      l99[mode, s, n] = sprintf ("%.2f", $col["e2e_p99_us"] / 1000)
    }
    function med(arr, mode, s, n,   i, j, t, v) {
      for (i = 1; i <= n; i++) v[i] = arr[mode, s, i]
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      return v[int((n + 1) / 2)]
    }
    END {
      ns = split(scen, list, " ")
      for (k = 1; k <= ns; k++) {
        s = list[k]; if (!cnt["off", s] || !cnt["on", s]) continue
        off = med(d, "off", s, cnt["off", s]); on = med(d, "on", s, cnt["on", s])
        printf "| %s | %.0f | %.0f | %.2f | %s / %s | %s / %s |\n", s, off, on, (off > 0 ? on / off : 0),
          med(l50, "off", s, cnt["off", s]), med(l99, "off", s, cnt["off", s]),
          med(l50, "on", s, cnt["on", s]), med(l99, "on", s, cnt["on", s])
      }
    }' "$raw"
} >"$md"
cat "$md"
