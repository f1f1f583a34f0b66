#!/usr/bin/env bash
# Do heartbeats wait behind chat? (issue 11, item 2)  3 nodes (quorum 2,
# fsync batch); a prober PINGs the leader's heartbeat port (P+3000) every
# 10 ms, as a backup does every heartbeat, and times each PONG, while the
# leader is:
#   idle        nothing else
#   flood       4 senders flat out, 1 subscriber (zchat-bench)
#   idle-N      N idle clients on the leader (zchat-idle), each a HELLO a
#               second and a SUB
#   slow-disk   every sync of the leader 50 ms longer (the test-only hook,
#               docs/STORAGE.md), with 1 sender at 2,000 msgs/s
# A PONG later than heartbeat x misses (300 ms by default) is a missed
# heartbeat: a backup would suspect the leader.
#
#   experiments/run_heartbeat.sh [--pings N] [--idle N] [--out DIR]
#
# Writes heartbeat.md (per condition: PONGs, round trip p50 / p99 / max)
# into --out (default experiments/results).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

pings=300 idle=2000 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --pings) pings=$2; shift ;;
    --idle) idle=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_heartbeat: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$pings" =~ ^[1-9][0-9]*$ ]] || { echo "run_heartbeat: --pings N, N >= 1" >&2; exit 2; }
[[ "$idle" =~ ^[1-9][0-9]*$ ]] || { echo "run_heartbeat: --idle N, N >= 1" >&2; exit 2; }
zx_init run_heartbeat
zx_bin run_heartbeat chat-node chat-client zchat-bench zchat-idle zchat-hostile
trap zx_cleanup EXIT
out=${out:-$root/experiments/results}
mkdir -p "$out"
log=$zx_runs/bench.log
results=$zx_runs/results.txt
: >"$results"
echo "run_heartbeat: runs in $zx_runs; binaries $bin ($build_type); $(zx_machine)"
export ZCHAT_TEST_SLOW_DISK=1           # inert until a node's delay file exists

# probe LABEL: PINGs to the current leader's heartbeat port, as node 1
# would send them (its id, the leader's epoch, the membership hash)
probe() {
  local label=$1 port pid epoch mh json line
  port=${servers%%,*}; port=${port##*:}
  port=$((port + leader - 1 + 3000))
  pid=$(cat "$current_run/node-$leader.pid")
  mapfile -d '' cmd <"/proc/$pid/cmdline"
  mh=$("$bin/zchat-hostile" mh "${cmd[@]:1}")
  json=$("$bin/chat-client" status --servers "$servers" --json --timeout-ms 500)
  epoch=$(grep -o "\"id\":$leader,[^}]*" <<<"$json" | grep -o '"epoch":[0-9]*' | head -n 1 | cut -d: -f2)
  line=$("$bin/zchat-hostile" --count "$pings" --interval-ms 10 ping "$port" \
           node=$(( leader == 1 ? 2 : 1 )) epoch="$epoch" mh="$mh" 2>>"$log" | grep -E '^(pongs|rtt_us)' | tr '\n' ' ')
  echo "$label|$line" >>"$results"
  echo "  $label: $line"
}

# idle
zx_cluster_up hb-idle 3 ""
probe idle
zx_cluster_down

# flood: 4 senders flat out for the whole probe
zx_cluster_up hb-flood 3 ""
"$bin/zchat-bench" --servers "$servers" --senders 4 --subscribers 1 \
  --duration $(( pings / 100 + 4 )) --drain 10 --room flood --label hb-flood >>"$log" 2>&1 &
bench=$!
sleep 2
probe flood
wait "$bench" || echo "  (flood: zchat-bench exit $?, see $log)"
zx_cluster_down

# idle clients on the leader
zx_cluster_up hb-idle-clients 3 ""
leader_port=${servers%%,*}; leader_port=${leader_port##*:}; leader_port=$((leader_port + leader - 1))
"$bin/zchat-idle" --servers "127.0.0.1:$leader_port" --clients "$idle" --hold 0 \
  --report 3600 >>"$log" 2>&1 &
idler=$!
zx_pids="$zx_pids $idler"
for _ in $(seq 1 120); do
  grep -q "ready" "$log" 2>/dev/null && break
  sleep 0.5
done
probe "idle-$idle"
kill -TERM "$idler" 2>/dev/null || true
wait "$idler" 2>/dev/null || true
zx_cluster_down

# a slow disk under the leader, with traffic that makes it sync
zx_cluster_up hb-slow 3 ""
echo 50 >"$current_run/data/node-$leader/test-sync-delay-ms"
"$bin/zchat-bench" --servers "$servers" --senders 1 --subscribers 1 --rate 2000 \
  --duration $(( pings / 100 + 4 )) --drain 15 --room slow --label hb-slow >>"$log" 2>&1 &
bench=$!
sleep 2
probe slow-disk
wait "$bench" || echo "  (slow-disk: zchat-bench exit $?, see $log)"
zx_cluster_down

md=$out/heartbeat.md
{
  echo "# Heartbeats under load: PING → PONG at the leader's heartbeat port"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(zx_machine); $build_type build of" \
       "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); $pings PINGs 10 ms" \
       "apart per condition; command: experiments/run_heartbeat.sh --pings $pings --idle $idle." \
       "A backup suspects the leader after 300 ms without a PONG (3 × 100 ms)."
  echo
  echo "| condition | PONGs within 10 ms (the next PING) | round trip p50 ms | p99 ms | max ms |"
  echo "|---|---:|---:|---:|---:|"
  while IFS='|' read -r label line; do
    p=$(sed -n 's/.*pongs=\([0-9]*\).*/\1/p' <<<"$line")
    p50=$(sed -n 's/.*p50=\([0-9]*\).*/\1/p' <<<"$line")
    p99=$(sed -n 's/.*p99=\([0-9]*\).*/\1/p' <<<"$line")
    max=$(sed -n 's/.*max=\([0-9]*\).*/\1/p' <<<"$line")
    awk -v l="$label" -v p="${p:-0}" -v a="${p50:-0}" -v b="${p99:-0}" -v c="${max:-0}" -v n="$pings" \
      'BEGIN { printf "| %s | %d of %d | %.2f | %.2f | %.2f |\n", l, p, n, a / 1000, b / 1000, c / 1000 }'
  done <"$results"
} >"$md"
cat "$md"
echo "run_heartbeat: wrote $md"
