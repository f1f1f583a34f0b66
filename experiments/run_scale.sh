#!/usr/bin/env bash
# A scale run: how many idle clients a leader holds, its memory per client,
# and how throughput and latency change as they grow.
#
#   experiments/run_scale.sh [--quick] [--out DIR] [--points "N ..."] [--all-nodes]
#                            [--settle SECS] [--secs SECS] [--wait-quiet SECS]
#                            [--node-flags "FLAGS"] [--reps R]
#   experiments/run_scale.sh --summarize RUN_DIR [--out DIR]   (tables again)
#
# For each N (full: 0 1000 10000; --quick: 0 200 1000), a fresh 3-node
# cluster (tools/cluster.sh, 127.0.0.1, free ports below 32768):
#   1. the leader's RSS (VmRSS) and open fds, the backups' RSS;
#   2. zchat-idle holds N idle clients on the leader (a DEALER answered by
#      a WELCOME, a SUB on the room "idle" and on beacons, a HELLO a
#      second: see experiments/zchat_idle.c); "ready" time;
#   3. RSS and fds at ready, then at ready + --settle (default 30 s: the
#      leader's PUB pipes fill their first 256-message chunk with beacons
#      in ~26 s), and the CPU the leader and zchat-idle use meanwhile (5 s);
#   4. with the idle clients held, zchat-bench (rooms of its own): 1
#      sender flat out (window 1000) and 1 subscriber, then 1 sender at
#      2000 msgs/s, --secs each (default 5; --quick 2), --reps times (default
#      3; --quick 1): the median of each figure is reported;
#   5. RSS after the benchmarks; zchat-idle stopped: its summary says
#      whether every idle client stayed answered and heard beacons.
# Memory per client = (leader RSS with N - leader RSS with 0) / C, at the
# same moment of the run (ready + settle), C the clients the leader then
# holds ((its fds - its fds with none) / 2): fewer than N when it could not
# accept them all.
#
# File descriptors: the leader needs 2 per idle client (its ROUTER and PUB
# connections), zchat-idle 4 (its DEALER and SUB sockets, one eventfd and
# one TCP connection each).  The script raises the hard limit as root
# (ulimit -Hn), else says it cannot; nodes inherit the limit.  N is capped
# to what the leader's limit allows, and zchat-idle is split over as many
# processes as its per-process limit needs (each holds its share).
#
# The machine should be otherwise idle: each row records the CPU that
# other processes took during the flat-out phase ("other load"), and
# --wait-quiet SECS waits (up to SECS) before each cluster until the
# machine has been idle for a second (under 10 % of one CPU busy).
#
# Writes $out/scale.csv, $out/scale.md (default experiments/results),
# and keeps the run folder (node logs, zchat-idle output, points.csv) in
# /tmp; --summarize RUN_DIR writes the tables again from such a folder.
# Binaries: $ZCHAT_BIN, default build-bench/ (a Release build, made or
# brought up to date here; an ASan build is refused).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/experiments/results
quick=0
points=""
all_nodes=""
settle=30
secs=""
wait_quiet=0
node_flags=""
reps=""
summarize_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out=$2; shift ;;
    --points) points=$2; shift ;;
    --all-nodes) all_nodes=--all-nodes ;;
    --settle) settle=$2; shift ;;
    --secs) secs=$2; shift ;;
    --wait-quiet) wait_quiet=$2; shift ;;
    --node-flags) node_flags=$2; shift ;;
    --reps) reps=$2; shift ;;
    --summarize) summarize_dir=$2; shift ;;
    -h|--help) sed -n '2,46p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_scale.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  points=${points:-"0 200 1000"}; secs=${secs:-2}; drain=5; reps=${reps:-1}
else
  points=${points:-"0 1000 10000"}; secs=${secs:-5}; drain=10; reps=${reps:-3}
fi
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "run_scale.sh: --reps R, R >= 1" >&2; exit 2; }
for n in $points; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "run_scale.sh: --points: '$n' is not a number" >&2; exit 2; }
done
[[ "$settle" =~ ^[0-9]+$ ]] || { echo "run_scale.sh: --settle SECS" >&2; exit 2; }
[[ "$wait_quiet" =~ ^[0-9]+$ ]] || { echo "run_scale.sh: --wait-quiet SECS" >&2; exit 2; }
rate=2000
nodes=3

# --- the tables, from $runs/points.csv and $runs/meta.env.  Per client
# memory against the N=0 point (same moment of the run), or against the
# same run's start when there is no N=0 point
# shellcheck disable=SC2154  # the m_* variables come from meta.env
summarize() {
  # shellcheck disable=SC1091
  . "$runs/meta.env"
  local header="requested,clients,ready_clients,idle_procs,ready_s,leader_rss0_kib,leader_rss_ready_kib,leader_rss_kib,leader_rss_after_bench_kib,leader_fds0,leader_fds,backup_rss0_kib,backup_rss_kib,leader_cpu_pct,leader_io_cpu_pct,idle_gen_cpu_pct,idle_gen_rss_kib,flat_ack_rate,flat_ack_p50_us,flat_ack_p99_us,rate_ack_p50_us,rate_ack_p99_us,rate_e2e_p50_us,rate_e2e_p99_us,lost,election_lines,idle_unanswered,idle_silent,idle_not_sent,idle_errors,idle_not_serving,other_cpu_pct,note"
  awk -F, -v header="$header" '
    { line[NR] = $0; rss[NR] = $8; rss0[NR] = $6; held[NR] = int(($11 - $10) / 2)
      if ($2 == 0) base = $8 }
    END {
      print header ",leader_clients,kib_per_client"
      for (i = 1; i <= NR; i++) {
        b = base != "" ? base : rss0[i]
        per = held[i] > 0 ? sprintf("%.1f", (rss[i] - b) / held[i]) : ""
        print line[i] "," held[i] "," per
      }
    }' "$runs/points.csv" >"$csv"
  {
    echo "| idle clients: opened / ready / held by the leader | ready (s) | leader RSS (MiB) | per client (KiB) | leader fds | leader CPU idle: all / I/O thread (%) | zchat-idle CPU (%) / RSS (MiB) | flat out: acked msgs/s | flat ack p50 / p99 (ms) | at $m_rate msgs/s: ack p50 / p99 (µs) | sender→receiver p50 / p99 (µs) | idle: probes unanswered / silent SUBs / WELCOMEs \"not serving\" | largest backup RSS (MiB) | election log lines | other load (%) | note |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    tail -n +2 "$csv" | while IFS=, read -r _ n rn _ rs _ _ r _ _ f _ b lc ioc gc grss far fa50 fa99 ra50 ra99 re50 re99 lost el un si ns ie nsv oth note held per; do
      [ "$((ns + ie))" = 0 ] || nsv="$nsv (probes not sent $ns, bad replies $ie)"
      [ "$lost" = 0 ] || note="$note; LOST $lost acknowledged messages"
      printf '| %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s / %s | %s / %s | %s / %s | %s / %s / %s | %s | %s | %s | %s |\n' \
        "$([ "$n" = 0 ] && echo 0 || echo "$n / $rn / $held")" \
        "$([ "$n" = 0 ] || [ "$rs" = -1 ] && echo - || echo "$rs")" "$(awk -v x="$r" 'BEGIN { printf "%.1f", x / 1024 }')" \
        "${per:--}" "$f" "$lc" "$ioc" "$gc" "$((grss / 1024))" "$far" \
        "$(awk -v x="$fa50" 'BEGIN { printf "%.1f", x / 1000 }')" "$(awk -v x="$fa99" 'BEGIN { printf "%.1f", x / 1000 }')" \
        "$ra50" "$ra99" "$re50" "$re99" "$un" "$si" "$nsv" "$(awk -v x="$b" 'BEGIN { printf "%.1f", x / 1024 }')" \
        "$el" "$oth" "$(tr -d '"' <<<"$note" | sed 's/^; //')"
    done
    echo
    echo "3 nodes on 127.0.0.1${m_node_flags:+ with node flags \`$m_node_flags\`}, a fresh cluster per row; idle clients on the leader only$([ -z "$m_all_nodes" ] || echo " and every backup (--all-nodes)"), in room \"idle\", each a DEALER (HELLO answered, then a HELLO a second) and a SUB (room + beacons). Leader RSS ${m_settle} s after the clients were ready (or zchat-idle gave up waiting); per client = (RSS with N − RSS with 0) / clients the leader then held ((fds − fds with none) / 2). Leader CPU: over 5 s of that hold, no chat traffic. Benchmarks with the idle clients held: 1 sender flat out (window 1000) and 1 subscriber, then 1 sender at $m_rate msgs/s (latency from the intended send time), ${m_secs} s each, $m_reps time(s): medians. Other load: CPU (% of one core) used by processes other than the nodes, zchat-idle and zchat-bench during the flat-out phases. fd limit $m_hard${m_fd_note:+ ($m_fd_note)}. Binaries: $m_build_type build ($m_bin). $m_date."
  } >"$md"
  cat "$md"
  echo
  echo "wrote $csv, $md from $runs"
}

csv=$out/scale.csv
md=$out/scale.md
if [ -n "$summarize_dir" ]; then
  mkdir -p "$out"
  runs=$summarize_dir
  summarize
  exit 0
fi

# --- binaries: a Release build, never the sanitized one
zx_bin run_scale.sh chat-node chat-client zchat-bench zchat-idle

# --- file descriptors: 2 per client at each node they reach, 4 (or 3
# per node + 1 with --all-nodes) per client in zchat-idle
node_spare=128                  # the node's own (listeners, peers, log, eventfds)
idle_spare=256
idle_per=4
[ -z "$all_nodes" ] || idle_per=$((3 * nodes + 1))
max_n=0
for n in $points; do [ "$n" -le "$max_n" ] || max_n=$n; done
want=$((2 * max_n + node_spare))
fd_note=""
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$want" ]; then
  if [ "$(id -u)" = 0 ] && ulimit -Hn "$want" 2>/dev/null; then
    fd_note="hard fd limit raised to $want"
  else
    fd_note="cannot raise the hard fd limit above $(ulimit -Hn) ($([ "$(id -u)" = 0 ] \
      && echo "root without CAP_SYS_RESOURCE" || echo "not root"))"
    echo "run_scale.sh: $fd_note"
  fi
fi
ulimit -n "$(ulimit -Hn)"
hard=$(ulimit -n)
[ "$hard" != unlimited ] || hard=1048576
node_cap=$(((hard - node_spare) / 2))
idle_cap=$(((hard - idle_spare) / idle_per))

mkdir -p "$out"
runs=$(mktemp -d /tmp/zchat-scale.XXXXXX)
raw=$runs/bench-raw.csv

# --- cleanup: what we started, by PID
current_run=""
bench_pid=""
idle_pids=()
stop_idle() {
  local pid t
  [ ${#idle_pids[@]} -gt 0 ] || return 0
  for pid in "${idle_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${idle_pids[@]}"; do
    for ((t = 0; t < 600; t++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  idle_pids=()
}
cleanup() {
  if [ -n "$bench_pid" ]; then
    kill "$bench_pid" 2>/dev/null || true; sleep 0.2; kill "$bench_pid" 2>/dev/null || true
  fi
  stop_idle
  if [ -n "$current_run" ] && [ -f "$current_run/cluster.env" ]; then
    ZCHAT_RUN_DIR=$current_run "$root/tools/cluster.sh" stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- ports: a base B with B..B+n-1, +1000, +2000, +3000 unused (any TCP
# state, TIME_WAIT included), below 32768
zx_next_base=16051

# --- what /proc says about a process
rss_kib() { local r=""; [ -z "$1" ] || r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null); echo "${r:-0}"; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
ticks() {           # user + system of every pid given
  local sum=0 pid
  for pid in "$@"; do
    if [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; then
      sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    fi
  done
  echo "$sum"
}
io_ticks() {        # the libzmq I/O thread(s) of a process
  local sum=0 t
  for t in /proc/$1/task/*; do
    [[ "$(cat "$t/comm" 2>/dev/null)" == ZMQbg/IO* ]] && sum=$((sum + $(awk '{ print $14 + $15 }' "$t/stat")))
  done
  echo "$sum"
}
children_ticks() {  # finished children of this very shell (the builtin, no subshell)
  times >"$runs/times.txt"
  tail -n 1 "$runs/times.txt" | awk -v tick="$tick" '{
    t = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] }
    printf "%d\n", t * tick }'
}
tick=$(getconf CLK_TCK)
node_pid() { cat "$current_run/node-$1.pid" 2>/dev/null || true; }
backups_rss() {     # the largest backup RSS
  local i max=0 r
  for ((i = 1; i <= nodes; i++)); do
    [ "$i" = "$leader" ] && continue
    r=$(rss_kib "$(node_pid "$i")"); [ "$r" -le "$max" ] || max=$r
  done
  echo "$max"
}


cluster_up() {
  local tag=$1 base i
  zx_wait_quiet "$wait_quiet"
  base=$(zx_free_base "$nodes")
  current_run=$runs/$tag
  # $ZX_NODE_LIMITS (lib.sh): no client cap (--max-clients 10000 would
  # stop the largest rows), no rate limit, the old HWMs
  ZCHAT_RUN_DIR=$current_run ZCHAT_BIN=$bin ZCHAT_NODE_FLAGS="$ZX_NODE_LIMITS $node_flags" \
    "$root/tools/cluster.sh" start "$nodes" "$base" >/dev/null
  servers=$(ZCHAT_RUN_DIR=$current_run "$root/tools/cluster.sh" servers)
  if ! leader=$(zx_wait_leader "$servers"); then
    echo "run_scale.sh: no leader after 10 s (logs in $current_run)" >&2
    exit 1
  fi
  leader_pid=$(node_pid "$leader")
  for ((i = 1; i <= nodes; i++)); do wc -l <"$current_run/node-$i.log" >"$current_run/node-$i.mark"; done
}

# Election lines logged since the cluster was up; then stop it
cluster_down() {
  local i
  elections=0
  for ((i = 1; i <= nodes; i++)); do
    elections=$((elections + $(tail -n +"$(($(cat "$current_run/node-$i.mark") + 1))" \
                                 "$current_run/node-$i.log" | grep -c 'ELECTION' || true)))
  done
  leader_alive=1
  kill -0 "$leader_pid" 2>/dev/null || leader_alive=0
  ZCHAT_RUN_DIR=$current_run "$root/tools/cluster.sh" stop >/dev/null
  rm -rf "$current_run/data"
  current_run=""
}

# Starts zchat-idle: N clients over as many processes as the fd limit needs
idle_up() {
  local n=$1 procs share p left
  procs=$(((n + idle_cap - 1) / idle_cap))
  share=$(((n + procs - 1) / procs))
  left=$n
  for ((p = 1; p <= procs; p++)); do
    [ "$share" -le "$left" ] || share=$left
    "$bin/zchat-idle" --servers "$servers" --clients "$share" --room idle --report 10 \
        --timeout $((60 + n / 100)) $all_nodes >"$current_run/idle-$p.out" 2>&1 &
    idle_pids+=($!)
    left=$((left - share))
  done
  idle_procs=$procs
}

# Waits until every zchat-idle process is ready, or has given up waiting
# (it holds its clients then); sets ready_s (the slowest) and ready_n
idle_wait_ready() {
  local p done_n pid
  while :; do
    done_n=0
    for ((p = 1; p <= idle_procs; p++)); do
      grep -qE '^zchat-idle: (ready|only) ' "$current_run/idle-$p.out" 2>/dev/null && done_n=$((done_n + 1))
    done
    [ "$done_n" -lt "$idle_procs" ] || break
    for pid in "${idle_pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && continue
      echo "    zchat-idle stopped:"
      cat "$current_run"/idle-*.out | grep -v '^zchat-idle: [0-9]' | sed 's/^/      /'
      ready_n=0
      return 1
    done
    sleep 0.2
  done
  ready_s=$(cat "$current_run"/idle-*.out | sed -n 's/^zchat-idle: ready [0-9]* clients in \([0-9.]*\) s.*/\1/p' \
            | sort -g | tail -n 1)
  ready_n=$(cat "$current_run"/idle-*.out | sed -n -e 's/^zchat-idle: ready \([0-9]*\) clients.*/\1/p' \
            -e 's/^zchat-idle: only \([0-9]*\) of .*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
  grep -q '^zchat-idle: only ' "$current_run"/idle-*.out && return 1
  return 0
}

# Sums a key=value of every zchat-idle summary line (0 without any)
idle_sum() {
  local f
  for f in "$current_run"/idle-*.out; do
    if [ -f "$f" ]; then cat "$f"; fi
  done | awk -v key="$1" '/^zchat-idle: summary/ {
    for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) s += kv[2] } }
    END { print s + 0 }'
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

# Column $2 of the bench runs labelled $1: their median, their sum (0 if none)
median_of() {
  { grep "^$1," "$raw" 2>/dev/null || true; } | cut -d, -f"$2" | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2];
                               else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
sum_of() {
  { grep "^$1," "$raw" 2>/dev/null || true; } | cut -d, -f"$2" | awk '{ s += $1 } END { print s + 0 }'
}

# --- one point
measure() {
  local n=$1 requested=$1 note="" t0 idle0 io0 gen0 lead1 io1 gen1 busy0 busy1 nodes0 nodes1 \
        kids0 kids1 all_pids pid
  if [ "$n" -gt "$node_cap" ]; then
    n=$node_cap
    note="capped from $requested: $hard fds allow the leader $node_cap clients"
  fi
  cluster_up "n$requested"
  echo "== N=$n$([ -z "$note" ] || echo " ($note)"), leader node $leader, servers $servers"
  sleep 1
  local rss0 fds0 brss0 rss_ready=0 rss_settled fds_settled brss_settled rss_after
  rss0=$(rss_kib "$leader_pid"); fds0=$(fd_count "$leader_pid"); brss0=$(backups_rss)
  ready_s=0; ready_n=0; idle_procs=0
  if [ "$n" -gt 0 ]; then
    idle_up "$n"
    if idle_wait_ready; then
      echo "    ready in ${ready_s} s ($idle_procs zchat-idle process(es))"
    else
      note="${note:+$note; }only $ready_n of $n ready after $((60 + n / 100)) s"
      ready_s=-1
      echo "    $note"
    fi
  fi
  rss_ready=$(rss_kib "$leader_pid")
  t0=$(date +%s)
  # Until ready + settle; the CPU of the leader and of zchat-idle over 5 s of it
  sleep 1
  idle0=$(ticks "$leader_pid"); io0=$(io_ticks "$leader_pid"); gen0=$(ticks "${idle_pids[@]:-}")
  sleep 5
  lead1=$(ticks "$leader_pid"); io1=$(io_ticks "$leader_pid"); gen1=$(ticks "${idle_pids[@]:-}")
  local lead_cpu=$(((lead1 - idle0) * 100 / (5 * tick))) io_cpu=$(((io1 - io0) * 100 / (5 * tick)))
  local gen_cpu=$(((gen1 - gen0) * 100 / (5 * tick)))
  while [ $(($(date +%s) - t0)) -lt "$settle" ]; do sleep 1; done
  rss_settled=$(rss_kib "$leader_pid"); fds_settled=$(fd_count "$leader_pid"); brss_settled=$(backups_rss)
  local gen_rss=0
  for pid in "${idle_pids[@]:-}"; do [ -z "$pid" ] || gen_rss=$((gen_rss + $(rss_kib "$pid"))); done
  echo "    leader RSS $((rss0 / 1024)) MiB -> $((rss_ready / 1024)) at ready -> $((rss_settled / 1024)) after ${settle} s;" \
       "fds $fds0 -> $fds_settled; leader CPU ${lead_cpu} % (I/O thread ${io_cpu} %), zchat-idle ${gen_cpu} %, $((gen_rss / 1024)) MiB"
  # The benchmarks, flat out then at a rate, --reps times; the machine's
  # other load over the flat-out phases
  all_pids=$(for ((i = 1; i <= nodes; i++)); do node_pid "$i"; done)
  local r ft0 ft1 other_ticks=0 other_secs=0
  for ((r = 1; r <= reps; r++)); do
    nodes0=$(ticks $all_pids "${idle_pids[@]:-}"); busy0=$(zx_busy_ticks)
    children_ticks >"$runs/kids.txt"; kids0=$(cat "$runs/kids.txt")
    ft0=$(date +%s.%N)
    bench --servers "$servers" --senders 1 --subscribers 1 --duration "$secs" --room "bench$r" \
          --label "$requested/flat"
    ft1=$(date +%s.%N)
    nodes1=$(ticks $all_pids "${idle_pids[@]:-}"); busy1=$(zx_busy_ticks)
    children_ticks >"$runs/kids.txt"; kids1=$(cat "$runs/kids.txt")
    other_ticks=$((other_ticks + busy1 - busy0 - (nodes1 - nodes0) - (kids1 - kids0)))
    other_secs=$(awk -v a="$other_secs" -v t0="$ft0" -v t1="$ft1" 'BEGIN { print a + t1 - t0 }')
    bench --servers "$servers" --senders 1 --subscribers 1 --rate "$rate" --duration "$secs" \
          --room "rate$r" --label "$requested/rate"
  done
  local other
  other=$(awk -v b="$other_ticks" -v s="$other_secs" -v tick="$tick" \
              'BEGIN { o = b * 100 / tick / s; printf "%.0f", o < 0 ? 0 : o }')
  rss_after=$(rss_kib "$leader_pid")
  stop_idle
  local unanswered silent not_sent idle_errors not_serving
  unanswered=$(idle_sum unanswered); silent=$(idle_sum silent); not_sent=$(idle_sum not_sent)
  idle_errors=$(idle_sum errors); not_serving=$(idle_sum not_serving)
  cluster_down
  [ "$leader_alive" = 1 ] || note="${note:+$note; }THE LEADER DIED (see $runs/n$requested)"
  # zchat-bench CSV: 12 ack_rate, 15 ack p50, 17 ack p99, 20 e2e p50, 22 e2e p99, 25 lost
  local f="$requested/flat" q="$requested/rate" lost
  lost=$(($(sum_of "$f" 25) + $(sum_of "$q" 25)))
  echo "$requested,$n,$ready_n,$idle_procs,$ready_s,$rss0,$rss_ready,$rss_settled,$rss_after,$fds0,$fds_settled,$brss0,$brss_settled,$lead_cpu,$io_cpu,$gen_cpu,$gen_rss,$(median_of "$f" 12),$(median_of "$f" 15),$(median_of "$f" 17),$(median_of "$q" 15),$(median_of "$q" 17),$(median_of "$q" 20),$(median_of "$q" 22),$lost,$elections,$unanswered,$silent,$not_sent,$idle_errors,$not_serving,$other,\"$note\"" \
    >>"$runs/points.csv"
}


echo "runs in $runs; binaries $bin ($build_type); points $points; ${secs} s per benchmark;" \
     "settle ${settle} s; fd limit $hard (leader: $node_cap clients, zchat-idle: $idle_cap per process)"
start_all=$(date +%s)
: >"$runs/points.csv"
{
  printf 'm_rate=%q m_settle=%q m_secs=%q m_reps=%q m_node_flags=%q m_all_nodes=%q\n' \
    "$rate" "$settle" "$secs" "$reps" "$node_flags" "$all_nodes"
  printf 'm_hard=%q m_fd_note=%q m_build_type=%q m_bin=%q m_date=%q\n' \
    "$hard" "$fd_note" "$build_type" "$bin" "$(date -u '+%Y-%m-%d %H:%M UTC')"
} >"$runs/meta.env"
for n in $points; do measure "$n"; done
summarize
echo "($(($(date +%s) - start_all)) s)"
