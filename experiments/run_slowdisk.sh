#!/usr/bin/env bash
# A slow disk under one node (issue 11): 3 nodes (quorum 2, fsync batch),
# 1 sender at 10,000 msgs/s to 10 subscribers, 100 B, while every sync of
# one node's storage takes D ms longer: nobody, the leader, or a backup,
# for D in --delays (default 20 and 50).  Through the nodes' test-only
# slow-disk hook (docs/STORAGE.md: ZCHAT_TEST_SLOW_DISK=1 and
# <data-dir>/test-sync-delay-ms, written once the leader is known).
#
#   experiments/run_slowdisk.sh [--reps N] [--secs S] [--delays "20 50"] [--out DIR]
#
# Writes slowdisk-raw.csv (zchat-bench's CSV; labels slow-TARGET-Dms) and
# slowdisk.md (medians: acked msgs/s, sender->receiver p50 / p99, leader
# changes) into --out (default experiments/results).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

reps=2 secs=5 delays="20 50" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps=$2; shift ;;
    --secs) secs=$2; shift ;;
    --delays) delays=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_slowdisk: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "run_slowdisk: --reps N, N >= 1" >&2; exit 2; }
zx_init run_slowdisk
trap zx_cleanup EXIT
out=${out:-$root/experiments/results}
mkdir -p "$out"
raw=$out/slowdisk-raw.csv
log=$zx_runs/bench.log
: >"$raw"
echo "run_slowdisk: runs in $zx_runs; binaries $bin ($build_type); $(zx_machine)"
export ZCHAT_TEST_SLOW_DISK=1

configs=("none|0")
for d in $delays; do configs+=("leader|$d" "backup|$d"); done

for ((rep = 1; rep <= reps; rep++)); do
  for cfg in "${configs[@]}"; do
    IFS='|' read -r target delay <<<"$cfg"
    zx_cluster_up "slow-$target-$delay-$rep" 3 ""
    victim=""
    if [ "$target" = leader ]; then
      victim=$leader
    elif [ "$target" = backup ]; then
      for id in 1 2 3; do [ "$id" = "$leader" ] || { victim=$id; break; }; done
    fi
    [ -z "$victim" ] || echo "$delay" >"$current_run/data/node-$victim/test-sync-delay-ms"
    label="slow-$target-${delay}ms"
    rc=0
    "$bin/zchat-bench" --servers "$servers" --duration "$secs" --drain 15 \
      --senders 1 --subscribers 10 --rate 10000 --room "r$RANDOM$RANDOM" \
      --label "$label" --csv "$raw" >>"$log" 2>&1 || rc=$?
    echo "  rep $rep $label (node ${victim:-none}): $(grep "^zchat-bench: [0-9]" "$log" | tail -n 1 | cut -c14-200)"
    [ "$rc" = 0 ] || echo "  ($label: zchat-bench exit $rc, see $log)"
    zx_cluster_down
  done
done

md=$out/slowdisk.md
{
  echo "# A slow disk under one node: 3 nodes, 1 sender at 10,000 msgs/s, 10 subscribers"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(zx_machine); $build_type build of" \
       "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); median of $reps" \
       "repetition(s) of ${secs} s; command: experiments/run_slowdisk.sh --reps $reps" \
       "--secs $secs --delays \"$delays\"."
  echo
  echo "| every sync of | acked msgs/s | sender→receiver p50 ms | p99 ms | leader changes |"
  echo "|---|---:|---:|---:|---:|"
  awk -F, '
    $1 == "label" { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
      s = $col["label"]; n = ++cnt[s]; if (n == 1) order[++ns] = s
      a[s, n] = $col["ack_rate"]; p50[s, n] = $col["e2e_p50_us"] / 1000
      p99[s, n] = $col["e2e_p99_us"] / 1000; lc[s, n] = $col["leader_changes"]
    }
    function med(arr, s, n,   i, j, t, v) {
      for (i = 1; i <= n; i++) v[i] = arr[s, i]
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      return v[int((n + 1) / 2)]
    }
    END {
      for (k = 1; k <= ns; k++) {
        s = order[k]; n = cnt[s]; split(s, p, "-")
        what = p[2] == "none" ? "no node slowed" : "the " p[2] " +" p[3]
        printf "| %s | %.0f | %.2f | %.2f | %s |\n", what, med(a, s, n), med(p50, s, n),
               med(p99, s, n), med(lc, s, n)
      }
    }' "$raw"
} >"$md"
cat "$md"
