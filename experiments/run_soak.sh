#!/usr/bin/env bash
# Steady load for a long time at default timing: are there false elections?
#
#   experiments/run_soak.sh [--secs S] [--rate R] [--subscribers N]
#                           [--cpu-hog | --cpu-hog-leader] [--slow-backup-ms MS]
#                           [--out DIR]
#
# A fresh 3-node cluster at defaults (heartbeat 100 ms, 3 misses, fsync
# batch), one sender at R msgs/s (default 1000) and N subscribers (default
# 2) for S seconds (default 3600), nothing injected.  Any election after the
# first one is a false one: the report counts the nodes' ELECTION / role
# lines after start-up, the leader changes the clients saw, and what the
# bench checks (nothing lost, nothing twice, latency from the intended send
# time).  Writes DIR/soak.md (DIR/soak-TAG.md with a fault) and appends to
# DIR/soak-raw.csv (default experiments/results).
#
# The standing faults of issue 11, for the whole run: --cpu-hog takes one
# core with a busy process pinned to the last CPU (the nodes run where the
# scheduler puts them); --cpu-hog-leader also pins every thread of the
# leader to that CPU beside it, so the leader gets about half a core (as
# chat-chaos's cpu-hog fault does for a few seconds); --slow-backup-ms MS makes
# every sync of one backup MS ms slower (the nodes' test-only hook,
# docs/STORAGE.md), so the leader and the other backup make the majority.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

secs=3600 rate=1000 subs=2 out="" hog=0 slow=0
while [ $# -gt 0 ]; do
  case "$1" in
    --secs) secs=$2; shift ;;
    --rate) rate=$2; shift ;;
    --subscribers) subs=$2; shift ;;
    --out) out=$2; shift ;;
    --cpu-hog) hog=1 ;;
    --cpu-hog-leader) hog=2 ;;
    --slow-backup-ms) slow=$2; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_soak.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
for v in "$secs" "$rate" "$subs" "$slow"; do
  [[ "$v" =~ ^[0-9]+$ ]] || { echo "run_soak.sh: numbers only" >&2; exit 2; }
done

zx_init run_soak
trap zx_cleanup EXIT
trap 'exit 130' INT TERM
out=${out:-$root/experiments/results}
mkdir -p "$out"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')
export ZCHAT_TEST_SLOW_DISK=1           # inert until a node's delay file exists
zx_cluster_up soak 3 ""
sleep 1
tag="" faults=""
if [ "$slow" != 0 ]; then
  victim=$(( leader == 1 ? 2 : 1 ))
  echo "$slow" >"$current_run/data/node-$victim/test-sync-delay-ms"
  tag=${tag:+$tag-}slow$slow
  faults="${faults:+$faults; }every sync of node $victim (a backup) $slow ms slower"
fi
hog_pid=""
if [ "$hog" != 0 ]; then
  cpu=$(($(nproc) - 1))
  taskset -c "$cpu" bash -c 'while :; do :; done' &
  hog_pid=$!
  if [ "$hog" = 2 ]; then
    taskset -a -p -c "$cpu" "$(cat "$current_run/node-$leader.pid")" >/dev/null
    tag=${tag:+$tag-}hogleader
    faults="${faults:+$faults; }the leader (node $leader, every thread) pinned to CPU $cpu beside a busy process"
  else
    tag=${tag:+$tag-}hog
    faults="${faults:+$faults; }CPU $cpu taken by a busy process"
  fi
fi
stop_hog() { [ -z "$hog_pid" ] || kill "$hog_pid" 2>/dev/null || true; }
trap 'stop_hog; zx_cleanup' EXIT
marks=()
for i in 1 2 3; do marks[i]=$(wc -l <"$current_run/node-$i.log"); done
echo "run_soak: 3 nodes ($servers), leader $leader; 1 sender at $rate msgs/s, $subs subscriber(s), $secs s${faults:+; $faults}"
rc=0
"$bin/zchat-bench" --servers "$servers" --senders 1 --subscribers "$subs" --rate "$rate" \
  --duration "$secs" --drain 30 --label "soak/${secs}s/r$rate${tag:+/$tag}" --csv "$out/soak-raw.csv" \
  >"$zx_runs/bench.out" 2>&1 || rc=$?
stop_hog
line=$(grep '^zchat-bench: [0-9]' "$zx_runs/bench.out" | tail -n 1)
csv=$(tail -n 1 "$zx_runs/bench.out")
elections=0
for i in 1 2 3; do
  n=$(tail -n +"$((marks[i] + 1))" "$current_run/node-$i.log" | grep -c -E '\[ELECTION\]|\[NODE\]' || true)
  elections=$((elections + n))
done
IFS=, read -r _ _ _ _ _ _ _ _ _ posted acked _ _ _ a50 _ a99 a999 amax e50 _ e99 e999 emax lost dups _ lc notices _ stalled <<<"$csv"
{
  echo "### Soak: $secs s of steady load at default timing"
  echo
  echo "Started $started on $(zx_machine); $build_type build, source at $commit."
  echo "Command: \`experiments/run_soak.sh --secs $secs --rate $rate --subscribers $subs$([ "$hog" = 1 ] && echo ' --cpu-hog')$([ "$hog" = 2 ] && echo ' --cpu-hog-leader')$([ "$slow" != 0 ] && echo " --slow-backup-ms $slow")\`."
  echo "Standing faults: ${faults:-none}. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| posted | acked | lost / twice | leader changes seen by clients | election or role lines in the node logs after start-up | ack p50 / p99 / p99.9 / max (ms) | sender→receiver p50 / p99 / p99.9 / max (ms) | client notices | bench exit |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  ms() { awk -v x="$1" 'BEGIN { printf "%.2f", x / 1000 }'; }
  echo "| $posted | $acked | $lost / $dups | $lc | $elections | $(ms "$a50") / $(ms "$a99") / $(ms "$a999") / $(ms "$amax") | $(ms "$e50") / $(ms "$e99") / $(ms "$e999") / $(ms "$emax") | $notices | $rc |"
  if [ "$elections" -gt 0 ]; then
    echo
    echo "Election lines:"
    echo
    echo '```'
    for i in 1 2 3; do
      tail -n +"$((marks[i] + 1))" "$current_run/node-$i.log" \
        | awk '/\[ELECTION\]|\[NODE\]/ && n++ < 20'    # no early close: pipefail
    done
    echo '```'
  fi
} >"$out/soak${tag:+-$tag}.md"
echo "$line"
cat "$out/soak${tag:+-$tag}.md"
[ "$rc" = 0 ] && [ "$elections" = 0 ] && [ "$lc" = 0 ]
