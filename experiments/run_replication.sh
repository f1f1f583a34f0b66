#!/usr/bin/env bash
# The cost of safety: throughput and latency of a 3-node cluster with
# replication on (quorum 2) under each --fsync policy, against replication
# off (--quorum 1 on 3 nodes: the leader commits alone; and 1 node).
#
#   experiments/run_replication.sh [--quick] [--reps N] [--out DIR] [--wait-quiet SECS]
#
# For each repetition and each configuration (round robin), a fresh cluster
# (tools/cluster.sh, 127.0.0.1, free ports below 32768, run folder in /tmp):
#   rate: 1 sender at 2000 msgs/s, 1 subscriber  -> ack and sender->receiver
#         latency from the intended send time
#   flat: 4 senders flat out (window 1000), 1 subscriber -> msgs/s, and the
#         nodes' CPU time per message (from /proc)
# The median of the repetitions is reported.  Writes, in DIR (default
# experiments/results): replication.csv (medians), replication.md (the
# table), replication-raw.csv (every bench line), replication-events.txt
# (election log lines logged while the benchmarks ran).  --quick (a CI
# smoke test, under 2 minutes, no thresholds): 1 s phases, one cluster per
# configuration for all its repetitions, and replication-quick.* files, so
# that it never overwrites a full run.
#
# The machine should be otherwise idle: each flat-out line records the CPU
# that other processes took meanwhile (other_cpu_pct, % of one CPU), and
# --wait-quiet SECS waits (up to SECS) before each cluster until the
# machine has been idle for a second (under 10 % of one CPU busy).
#
# Binaries: $ZCHAT_BIN, default build-bench/ (a Release build, made or
# brought up to date here; an ASan build is refused).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/experiments/results
quick=0
reps=3
wait_quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps=$2; shift ;;
    --out) out=$2; shift ;;
    --wait-quiet) wait_quiet=$2; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_replication.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "run_replication.sh: --reps N, N >= 1" >&2; exit 2; }

if [ "$quick" = 1 ]; then
  secs=1; drain=5; prefix=replication-quick; fresh=0
else
  secs=10; drain=15; prefix=replication; fresh=1
fi
rate=2000
flat_senders=4

# --- binaries: a Release build, never the sanitized one
zx_bin run_replication.sh chat-node chat-client zchat-bench

mkdir -p "$out"
raw=$out/$prefix-raw.csv
events=$out/$prefix-events.txt
rm -f "$raw" "$events"
runs=$(mktemp -d /tmp/zchat-bench.XXXXXX)

# --- cleanup: the cluster and the bench we started, by PID
current_run=""
bench_pid=""
cleanup() {
  # zchat-bench: the first signal ends sending, the second everything
  if [ -n "$bench_pid" ]; then
    kill "$bench_pid" 2>/dev/null || true; sleep 0.2; kill "$bench_pid" 2>/dev/null || true
  fi
  if [ -n "$current_run" ] && [ -f "$current_run/cluster.env" ]; then
    ZCHAT_RUN_DIR=$current_run "$root/tools/cluster.sh" stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- ports: a base B with B..B+n-1, +1000, +2000, +3000 unused (any TCP
# state, TIME_WAIT included), below 32768
zx_next_base=22051

# CPU ticks (user + system) of every node of the current run
node_ticks() {
  local sum=0 i pid t
  for ((i = 1; i <= $1; i++)); do
    pid=$(cat "$current_run/node-$i.pid" 2>/dev/null || true)
    if [ -z "$pid" ] || [ ! -r "/proc/$pid/stat" ]; then continue; fi
    t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    sum=$((sum + t))
  done
  echo "$sum"
}
leader_ticks() {
  local pid
  pid=$(cat "$current_run/node-$1.pid" 2>/dev/null || true)
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] && awk '{ print $14 + $15 }' "/proc/$pid/stat" || echo 0
}


bench() {
  local rc=0
  "$bin/zchat-bench" "$@" --drain "$drain" --csv "$raw" >>"$runs/bench.out" 2>>"$runs/bench.err" &
  bench_pid=$!
  wait "$bench_pid" || rc=$?
  bench_pid=""
  tail -n 1 "$runs/bench.out" | sed 's/^/    /'
  [ "$rc" = 0 ] || echo "    (zchat-bench exit $rc: see $runs/bench.err)"
}

# name | nodes | node flags | what it is
configs=(
  "repl-batch|3|--fsync batch|3 nodes, quorum 2, fsync batch (the default)"
  "repl-always|3|--fsync always|3 nodes, quorum 2, fsync always"
  "repl-never|3|--fsync never|3 nodes, quorum 2, fsync never"
  "norepl-q1|3|--quorum 1 --fsync batch|3 nodes, quorum 1: the leader commits alone, fsync batch"
  "single|1|--fsync batch|1 node, fsync batch"
)

tick=$(getconf CLK_TCK)
cpu_file=$runs/cpu.csv
echo "config,rep,acked,leader_ticks,all_ticks,other_ticks,secs,bench_ticks" >"$cpu_file"

children_ticks() {
  # the builtin in this very shell (a pipe or $(...) would fork a subshell,
  # which has no children of its own)
  times >"$runs/times.txt"
  tail -n 1 "$runs/times.txt" | awk -v tick="$tick" '{
    t = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] }
    printf "%d\n", t * tick }'
}

: >"$runs/dropped.csv"

# Starts a cluster for configuration $name; sets current_run, servers,
# leader, and remembers how long each node's log is (events come after)
cluster_up() {
  local tag=$1 base i
  zx_wait_quiet "$wait_quiet"
  base=$(zx_free_base "$nodes")
  current_run=$runs/$tag
  echo "== $name ($what), $tag, ports from $base"
  # $ZX_NODE_LIMITS (lib.sh): no rate limit or small HWMs in the way
  ZCHAT_RUN_DIR=$current_run ZCHAT_BIN=$bin ZCHAT_NODE_FLAGS="$ZX_NODE_LIMITS $flags" \
    "$root/tools/cluster.sh" start "$nodes" "$base" >/dev/null
  servers=$(ZCHAT_RUN_DIR=$current_run "$root/tools/cluster.sh" servers)
  if ! leader=$(zx_wait_leader "$servers"); then
    echo "    no leader after 10 s (logs in $current_run)" >&2
    exit 1
  fi
  for ((i = 1; i <= nodes; i++)); do wc -l <"$current_run/node-$i.log" >"$current_run/node-$i.mark"; done
}

# Records what the nodes dropped and logged about elections while the
# benchmarks ran (before the stop, whose own lease lapse is no news), then
# stops the cluster and deletes its chat logs
cluster_down() {
  local tag=$1 status dropped i
  status=$("$bin/chat-client" status --servers "$servers" --json --timeout-ms 500 2>/dev/null || true)
  dropped=$(grep -o '"dropped":[0-9]*' <<<"$status" | awk -F: '{ s += $2 } END { print s + 0 }')
  echo "$name,$tag,dropped,$dropped" >>"$runs/dropped.csv"
  {
    echo "## $name $tag"
    for ((i = 1; i <= nodes; i++)); do
      tail -n +"$(($(cat "$current_run/node-$i.mark") + 1))" "$current_run/node-$i.log" \
        | grep -E 'ELECTION|\[NODE\]' || true
    done
  } >>"$events"
  ZCHAT_RUN_DIR=$current_run "$root/tools/cluster.sh" stop >/dev/null
  rm -rf "$current_run/data"      # the node logs stay, the (large) chat logs go
  current_run=""
}

# One repetition: the fixed rate, then flat out with the nodes' CPU time
measure() {
  local rep=$1 all0 all1 lead0 lead1 busy0 busy1 kids0 kids1 t0 t1 raw_lines acked other
  bench --servers "$servers" --senders 1 --subscribers 1 --rate "$rate" \
        --duration "$secs" --room "rate$rep" --label "$name/rate"
  all0=$(node_ticks "$nodes"); lead0=$(leader_ticks "$leader")
  children_ticks >"$runs/kids.txt"; kids0=$(cat "$runs/kids.txt")
  busy0=$(zx_busy_ticks); t0=$(date +%s.%N)
  raw_lines=$(wc -l <"$raw")
  bench --servers "$servers" --senders "$flat_senders" --subscribers 1 \
        --duration "$secs" --room "flat$rep" --label "$name/flat"
  all1=$(node_ticks "$nodes"); lead1=$(leader_ticks "$leader")
  busy1=$(zx_busy_ticks); t1=$(date +%s.%N)
  children_ticks >"$runs/kids.txt"; kids1=$(cat "$runs/kids.txt")
  if [ "$(wc -l <"$raw")" -gt "$raw_lines" ]; then
    acked=$(tail -n 1 "$raw" | cut -d, -f11)
    # Everything busy that was neither our nodes nor the bench
    other=$(((busy1 - busy0) - (all1 - all0) - (kids1 - kids0)))
    [ "$other" -ge 0 ] || other=0
    echo "$name,$rep,$acked,$((lead1 - lead0)),$((all1 - all0)),$other,$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'),$((kids1 - kids0))" \
      >>"$cpu_file"
  fi
}

start_all=$(date +%s)
echo "runs in $runs; binaries $bin ($build_type); $reps repetition(s), ${secs}s per phase" \
     "($([ "$fresh" = 1 ] && echo "a fresh cluster each" || echo "one cluster per configuration"))"
if [ "$fresh" = 1 ]; then
  # Round robin over the configurations, so that a disturbance (another
  # process, a slow disk moment) spreads over all of them, not one
  for ((rep = 1; rep <= reps; rep++)); do
    for cfg in "${configs[@]}"; do
      IFS='|' read -r name nodes flags what <<<"$cfg"
      cluster_up "$name-$rep"
      measure "$rep"
      cluster_down "run$rep"
    done
  done
else
  for cfg in "${configs[@]}"; do
    IFS='|' read -r name nodes flags what <<<"$cfg"
    cluster_up "$name"
    for ((rep = 1; rep <= reps; rep++)); do measure "$rep"; done
    cluster_down "all-runs"
  done
fi

# --- medians
summary=$out/$prefix.csv
md=$out/$prefix.md
awk -F, -v tick="$tick" -v cpu="$cpu_file" -v dropped="$runs/dropped.csv" -v events="$events" '
  function median(key,   n, i, j, t, v) {
    n = cnt[key]
    for (i = 1; i <= n; i++) v[i] = val[key, i]
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    if (n == 0) return ""
    return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  function add(key, x) { cnt[key]++; val[key, cnt[key]] = x }
  BEGIN {
    while ((getline line < cpu) > 0) {
      split(line, c, ",")
      if (c[1] == "config" || c[3] == 0) continue
      add(c[1] SUBSEP "lead_cpu", c[4] * 1e6 / tick / c[3])
      add(c[1] SUBSEP "all_cpu", c[5] * 1e6 / tick / c[3])
      add(c[1] SUBSEP "other", c[6] * 100 / tick / c[7])
      add(c[1] SUBSEP "bench_cpu", c[8] * 1e6 / tick / c[3])
    }
    while ((getline line < dropped) > 0) { split(line, c, ","); drops[c[1]] += c[4] }
    while ((getline line < events) > 0) {
      if (line ~ /^## /) { split(line, c, " "); cur = c[2]; continue }
      # the election that made the first leader came before the marks
      if (line ~ /ELECTION/) elect[cur]++
    }
  }
  FNR == 1 { next }
  {
    split($1, l, "/"); cf = l[1]; k = l[2]
    if (!(cf in seen)) { seen[cf] = 1; order[++nc] = cf }
    add(cf SUBSEP k SUBSEP "ack_rate", $12); add(cf SUBSEP k SUBSEP "deliv", $14)
    add(cf SUBSEP k SUBSEP "ack50", $15); add(cf SUBSEP k SUBSEP "ack99", $17)
    add(cf SUBSEP k SUBSEP "e2e50", $20); add(cf SUBSEP k SUBSEP "e2e99", $22)
    runs[cf SUBSEP k]++
    lost[cf] += $25; dups[cf] += $26; lc[cf] += $28; notes[cf] += $29; stuck[cf] += $31
  }
  END {
    print "config,runs,flat_ack_rate,flat_deliv_rate,flat_ack_p50_us,flat_ack_p99_us," \
          "leader_cpu_us_per_msg,cluster_cpu_us_per_msg,bench_cpu_us_per_msg,rate_ack_p50_us,rate_ack_p99_us," \
          "rate_e2e_p50_us,rate_e2e_p99_us,lost,dups,leader_changes,node_dropped,election_lines," \
          "other_cpu_pct,notices,stuck_senders"
    for (i = 1; i <= nc; i++) {
      cf = order[i]
      printf "%s,%d,%.0f,%.0f,%.0f,%.0f,%.1f,%.1f,%.1f,%.0f,%.0f,%.0f,%.0f,%d,%d,%d,%d,%d,%.0f,%d,%d\n", cf,
        runs[cf SUBSEP "flat"], median(cf SUBSEP "flat" SUBSEP "ack_rate"),
        median(cf SUBSEP "flat" SUBSEP "deliv"), median(cf SUBSEP "flat" SUBSEP "ack50"),
        median(cf SUBSEP "flat" SUBSEP "ack99"), median(cf SUBSEP "lead_cpu"),
        median(cf SUBSEP "all_cpu"), median(cf SUBSEP "bench_cpu"),
        median(cf SUBSEP "rate" SUBSEP "ack50"),
        median(cf SUBSEP "rate" SUBSEP "ack99"), median(cf SUBSEP "rate" SUBSEP "e2e50"),
        median(cf SUBSEP "rate" SUBSEP "e2e99"), lost[cf], dups[cf], lc[cf], drops[cf], elect[cf],
        median(cf SUBSEP "other"), notes[cf], stuck[cf]
    }
  }' "$raw" >"$summary"

{
  echo "| configuration | flat out: acked msgs/s | delivered msgs/s | ack p50 / p99 (ms) | CPU µs per msg: leader / all nodes / bench | at $rate msgs/s: ack p50 / p99 (µs) | sender→receiver p50 / p99 (µs) | lost / twice | stuck senders | leader changes | client notices | node drops | election lines | other load |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  tail -n +2 "$summary" | while IFS=, read -r c n far fdr fa50 fa99 lcpu acpu bcpu ra50 ra99 re50 re99 lo du lch dr el oth nt st; do
    what=""
    for cfg in "${configs[@]}"; do IFS='|' read -r nm _ _ w <<<"$cfg"; [ "$nm" = "$c" ] && what=$w; done
    printf '| %s (%s) | %s | %s | %s / %s | %s / %s / %s | %s / %s | %s / %s | %s / %s | %s | %s | %s | %s | %s | %s %% |\n' \
      "$c" "$what" "$far" "$fdr" "$(awk -v x="$fa50" 'BEGIN { printf "%.1f", x / 1000 }')" \
      "$(awk -v x="$fa99" 'BEGIN { printf "%.1f", x / 1000 }')" "$lcpu" "$acpu" "$bcpu" \
      "$ra50" "$ra99" "$re50" "$re99" "$lo" "$du" "$st" "$lch" "$nt" "$dr" "$el" "$oth"
  done
  echo
  echo "Medians of $reps run(s) of ${secs} s per phase; flat out = $flat_senders senders, window 1000, 1 subscriber, 100-byte texts; the fixed rate is 1 sender at $rate msgs/s and 1 subscriber, latency from the intended send time. CPU per message: CPU time (user + system, /proc) of the leader, of all nodes, and of the bench process (its 5 clients) during the flat-out phase, over the messages acknowledged; other load: CPU (% of one core) that processes other than the nodes and the bench used meanwhile. Binaries: $build_type build. $(date -u '+%Y-%m-%d %H:%M UTC')."
} >"$md"

cat "$md"
echo
echo "wrote $summary, $md, $raw, $events ($(($(date +%s) - start_all)) s)"
