#!/usr/bin/env bash
# Baselines: what other systems do on this machine, in zchat-bench's CSV
# columns, so that one table can hold them and zchat.
#
#   experiments/run_baselines.sh [--quick] [--out DIR] [--reps N] [--duration SECS]
#       [--senders S] [--subscribers LIST] [--rate N] [--rate-subscribers R]
#       [--systems LIST] [--cdf FILE] [--load FILE]
#
# Systems (zchat-baseline MODE, see its --help):
#   pubsub        raw libzmq PUB->SUB
#   pipeline      zchat's leader without replication or disk: DEALER->ROUTER,
#                 msgpack decode, Lamport stamp, encode, PUB + ACK
#   redis, nats   Redis pub/sub and NATS core through small clients of ours
#   hiredis, cnats  the same two servers through the vendors' C libraries
#   redis-aof     durable Redis: appendonly yes, appendfsync always, one
#                 replica (the same settings); XADD to a stream, WAIT 1 0
#                 after each batch, XREAD BLOCK (hiredis)
#   jetstream     NATS JetStream: 3 nats-server nodes in a cluster, a stream
#                 with file storage and 3 replicas; js_PublishAsync (window
#                 as zchat's), ordered push consumers (cnats)
#   jetstream-r1  the same cluster, a stream of 1 replica
#   cnats-3n      NATS core through cnats on that 3-node cluster (clients
#                 spread at random over the servers)
# Default: all.  For each system and repetition (round robin):
#   flat-<R>sub  S senders flat out (window 1000), R subscribers, for
#                each R in --subscribers (default S=1, LIST=1,10)
#   rate-<R>sub  1 sender at --rate msgs/s (default 10000) and
#                --rate-subscribers R (default 10): latency from the
#                intended send time (its distribution appended to
#                --cdf FILE if given: label,quantile,usecs lines)
# Every line is appended to DIR/baselines-raw.csv (label SYSTEM/SCENARIO;
# header first if the file is new), so the script can be called from
# another one with its own --out; the table of medians (of --reps, default
# 3) over this invocation's lines is printed and written to
# DIR/baselines.md.  DIR defaults to experiments/results.  --quick: 1 rep
# of 1 s (a smoke test).  --duration: seconds per run (default 5).
# --load FILE: append "label,date,load1,load5,load15" before each run (the
# machine's load average, header first if the file is new).
#
# redis-server and nats-server (Debian packages redis-server,
# nats-server) are installed with apt-get when missing (as root or with
# sudo -n); hiredis, cnats, redis-aof and the jetstream systems need a
# zchat-baseline built with hiredis / libnats (Debian libhiredis-dev,
# libnats-dev: tools/setup.sh installs them with ZCHAT_SETUP_BENCH=1, as
# the benchmark scripts' own builds do).  A system that cannot be had is
# skipped with one line saying why.  Each server runs on free 127.0.0.1
# ports below 32768, in a mktemp folder (the plain servers keep nothing;
# redis-aof and jetstream keep their files there), and is stopped by PID
# at the end, also on Ctrl+C.  Their configurations: experiments/RESULTS.md
# "Baselines that are durable too".  The machine should be otherwise idle:
# the load average is printed under the table.
#
# Binaries: $ZCHAT_BIN if set (nothing is built), else build-bench/ (a
# Release build, made or brought up to date here; a sanitizer build is
# refused).  Exit 0 when every run that was not skipped produced its line
# (lost messages are results, not failures); 1 otherwise; 2 on bad flags.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/experiments/results
quick=0
reps=3
secs=5
senders=1
sub_list=1,10
rate=10000
rate_subs=10
all_systems=pubsub,pipeline,redis,nats,hiredis,cnats,redis-aof,jetstream,jetstream-r1,cnats-3n
systems=$all_systems
cdf=""
load=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out=${2:?}; shift ;;
    --reps) reps=${2:?}; shift ;;
    --duration) secs=${2:?}; shift ;;
    --senders) senders=${2:?}; shift ;;
    --subscribers) sub_list=${2:?}; shift ;;
    --rate) rate=${2:?}; shift ;;
    --rate-subscribers) rate_subs=${2:?}; shift ;;
    --systems) systems=${2:?}; shift ;;
    --cdf) cdf=${2:?}; shift ;;
    --load) load=${2:?}; shift ;;
    -h|--help) sed -n '2,57p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_baselines.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
bad() { echo "run_baselines.sh: $1 (try --help)" >&2; exit 2; }
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || bad "--reps N, N >= 1"
[[ "$senders" =~ ^[1-9][0-9]*$ ]] || bad "--senders S, S >= 1"
[[ "$rate" =~ ^[1-9][0-9]*$ ]] || bad "--rate N, N >= 1"
[[ "$rate_subs" =~ ^[0-9]+$ ]] || bad "--rate-subscribers R, R >= 0"
[[ "$secs" =~ ^[0-9]+(\.[0-9]+)?$ ]] || bad "--duration SECS"
[[ "$sub_list" =~ ^[0-9]+(,[0-9]+)*$ ]] || bad "--subscribers LIST, e.g. 1,10"
for s in ${systems//,/ }; do
  [[ ",$all_systems," == *",$s,"* ]] || bad "unknown system '$s' in --systems"
done
if [ "$quick" = 1 ]; then reps=1; secs=1; fi
drain=3

# --- binaries: a Release build, never the sanitized one
zx_bin run_baselines.sh zchat-baseline

mkdir -p "$out"
raw=$out/baselines-raw.csv
md=$out/baselines.md
work=$(mktemp -d /tmp/zchat-baselines.XXXXXX)

# --- cleanup: the servers and the bench we started, by PID
server_pids=()
bench_pid=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local pid
  # zchat-baseline: the first signal ends sending, the second everything
  if [ -n "$bench_pid" ]; then
    kill "$bench_pid" 2>/dev/null || true; sleep 0.2; kill "$bench_pid" 2>/dev/null || true
  fi
  for pid in "${server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${server_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- servers (each function sets why when it fails)
why=""

# Installs Debian package $1 unless command $2 exists
ensure_installed() {
  local pkg=$1 cmd=$2 sudo=""
  if command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ]; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      why="not root, and sudo -n does not work"
      return 1
    fi
  fi
  echo "baseline: installing $pkg"
  export DEBIAN_FRONTEND=noninteractive
  # An old package list may not have it: update once, then try again
  if ! $sudo apt-get install -y -qq --no-install-recommends "$pkg" >"$work/apt-$pkg.log" 2>&1; then
    $sudo apt-get update -qq >>"$work/apt-$pkg.log" 2>&1 || true
    if ! $sudo apt-get install -y -qq --no-install-recommends "$pkg" >>"$work/apt-$pkg.log" 2>&1; then
      why="apt-get install $pkg failed: $(grep -E '^E:' "$work/apt-$pkg.log" | head -n 1)"
      return 1
    fi
  fi
  if command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ]; then return 0; fi
  why="no $cmd after installing $pkg"
  return 1
}

# A port below 32768 that no TCP socket uses (any state, TIME_WAIT
# included); sets port
next_port=24001
free_port() {
  local used p
  # mawk has no strtonum: convert the hex ports in bash
  used=" $(awk 'FNR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null \
           | while read -r h; do [ -z "$h" ] || echo $((16#$h)); done | tr '\n' ' ') "
  for ((p = next_port; p < 32768; p++)); do
    if [[ "$used" != *" $p "* ]]; then
      next_port=$((p + 1))
      port=$p
      return 0
    fi
  done
  why="no free port below 32768"
  return 1
}

# Waits until something listens on 127.0.0.1:$2 while PID $1 lives
wait_listening() {
  local pid=$1 port=$2 i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

# Starts a server process (a command line) logging to $1/server.log; sets pid
spawn() {
  local dir=$1
  shift
  (cd "$dir" && exec "$@") >"$dir/server.log" 2>&1 &
  pid=$!
  server_pids+=("$pid")
}

server_cmd() { command -v "$1" || echo "/usr/sbin/$1"; }

# The plain server of redis or nats (no persistence) in its own folder; sets port
start_server() {
  local sys=$1 dir=$work/$1
  mkdir -p "$dir"
  free_port || return 1
  case "$sys" in
    redis) spawn "$dir" "$(server_cmd redis-server)" --port "$port" --bind 127.0.0.1 --save '' \
                 --appendonly no --daemonize no --dir "$dir" ;;
    nats) spawn "$dir" "$(server_cmd nats-server)" -a 127.0.0.1 -p "$port" ;;
  esac
  if ! wait_listening "$pid" "$port"; then
    why="$sys-server did not start on port $port: $(tail -n 1 "$dir/server.log")"
    return 1
  fi
}

# Durable Redis: a master and its replica, both appendonly yes +
# appendfsync always (every write on disk before the reply), no RDB
# snapshots; waits until the replica is in sync.  Sets port (the master's).
start_redis_aof() {
  local dir=$work/redis-aof master replica i cmd
  cmd=$(server_cmd redis-server)
  mkdir -p "$dir/master" "$dir/replica"
  free_port || return 1; master=$port
  free_port || return 1; replica=$port
  local durable=(--bind 127.0.0.1 --save '' --appendonly yes --appendfsync always --daemonize no)
  spawn "$dir/master" "$cmd" --port "$master" "${durable[@]}" --dir "$dir/master"
  wait_listening "$pid" "$master" \
    || { why="redis-server (master) did not start: $(tail -n 1 "$dir/master/server.log")"; return 1; }
  spawn "$dir/replica" "$cmd" --port "$replica" "${durable[@]}" --dir "$dir/replica" \
        --replicaof 127.0.0.1 "$master"
  wait_listening "$pid" "$replica" \
    || { why="redis-server (replica) did not start: $(tail -n 1 "$dir/replica/server.log")"; return 1; }
  port=$master
  command -v redis-cli >/dev/null 2>&1 || { sleep 1; return 0; }   # zchat-baseline checks WAIT 1
  for ((i = 0; i < 200; i++)); do
    redis-cli -p "$master" info replication 2>/dev/null | grep -q 'state=online' && return 0
    sleep 0.05
  done
  why="the redis replica did not come in sync in 10 s"
  return 1
}

# JetStream: 3 nats-server nodes clustered (one config file each, in
# $work/jetstream/nN.conf), file storage in their folders; waits until
# they have a metadata leader.  Sets js_urls.
start_jetstream() {
  local dir=$work/jetstream cmd i cports=() jports=() routes="" pids=()
  cmd=$(server_cmd nats-server)
  mkdir -p "$dir"
  for i in 1 2 3; do
    free_port || return 1; jports+=("$port")
    free_port || return 1; cports+=("$port")
    routes+="${routes:+, }nats-route://127.0.0.1:$port"
  done
  js_urls=""
  for i in 1 2 3; do
    mkdir -p "$dir/n$i"
    {
      echo "server_name: zb-n$i"
      echo "listen: 127.0.0.1:${jports[$((i - 1))]}"
      echo "jetstream { store_dir: \"$dir/n$i\" }"
      echo "cluster { name: zb, listen: 127.0.0.1:${cports[$((i - 1))]}, routes: [ $routes ] }"
    } >"$dir/n$i.conf"
    spawn "$dir/n$i" "$cmd" -c "$dir/n$i.conf"
    pids+=("$pid")
  done
  for i in 0 1 2; do
    wait_listening "${pids[$i]}" "${jports[$i]}" \
      || { why="nats-server $((i + 1)) of 3 did not start: $(tail -n 1 "$dir/n$((i + 1))/server.log")"; return 1; }
  done
  for ((i = 0; i < 300; i++)); do
    if grep -q -E 'JetStream cluster new metadata leader|Self is new JetStream cluster metadata leader' \
         "$dir"/n?/server.log 2>/dev/null; then
      js_urls="nats://127.0.0.1:${jports[0]},nats://127.0.0.1:${jports[1]},nats://127.0.0.1:${jports[2]}"
      return 0
    fi
    sleep 0.05
  done
  why="the JetStream cluster elected no metadata leader in 15 s"
  return 1
}

# The zchat-baseline modes this binary has (built with hiredis / libnats or not)
built_modes=" $("$bin/zchat-baseline" --list-modes | tr '\n' ' ') "
declare -A ports=() urls=() mode=() extra=()
js_urls="" js_why="" js_tried=0
active=()
for sys in ${systems//,/ }; do
  m=$sys
  case "$sys" in jetstream-r1) m=jetstream ;; cnats-3n) m=cnats ;; esac
  mode[$sys]=$m
  if [[ "$built_modes" != *" $m "* ]]; then
    lib=$([[ "$m" == *nats* || "$m" == jetstream ]] && echo libnats-dev || echo libhiredis-dev)
    echo "baseline $sys: skipped (zchat-baseline was built without $lib; tools/setup.sh installs it with ZCHAT_SETUP_BENCH=1, then build again)"
    continue
  fi
  case "$sys" in
    pubsub|pipeline) ;;
    *)
      server=$([[ "$sys" == redis* || "$sys" == hiredis ]] && echo redis || echo nats)
      if ! ensure_installed "$server-server" "$server-server"; then
        echo "baseline $sys: skipped ($server-server not installed and cannot install: $why)"
        continue
      fi
      case "$sys" in
        redis|nats|hiredis|cnats)
          if [ -z "${ports[$server]:-}" ]; then
            if ! start_server "$server"; then
              echo "baseline $sys: skipped ($why)"
              continue
            fi
            ports[$server]=$port
          fi
          ports[$sys]=${ports[$server]}
          ;;
        redis-aof)
          if ! start_redis_aof; then
            echo "baseline $sys: skipped ($why)"
            continue
          fi
          ports[$sys]=$port
          ;;
        jetstream|jetstream-r1|cnats-3n)
          if [ "$js_tried" = 0 ]; then
            js_tried=1
            start_jetstream || js_why=$why
          fi
          if [ -z "$js_urls" ]; then
            echo "baseline $sys: skipped ($js_why)"
            continue
          fi
          urls[$sys]=$js_urls
          [ "$sys" != jetstream-r1 ] || extra[$sys]="--replicas 1"
          ;;
      esac
      ;;
  esac
  active+=("$sys")
done
[ ${#active[@]} -gt 0 ] || { echo "run_baselines.sh: no system to measure" >&2; exit 1; }

# --- runs
raw_lines=0
[ -f "$raw" ] && raw_lines=$(wc -l <"$raw")
failed=0

# One zchat-baseline run: system, label suffix, then its flags
run() {
  local sys=$1 scen=$2 rc=0
  shift 2
  local flags=("$@")
  [ -z "${ports[$sys]:-}" ] || flags+=(--port "${ports[$sys]}")
  [ -z "${urls[$sys]:-}" ] || flags+=(--urls "${urls[$sys]}")
  # shellcheck disable=SC2206  # extra holds words
  [ -z "${extra[$sys]:-}" ] || flags+=(${extra[$sys]})
  if [ -n "$load" ]; then
    [ -s "$load" ] || echo "label,date,load1,load5,load15" >"$load"
    echo "$sys/$scen,$(date -u +%FT%TZ),$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)" >>"$load"
  fi
  # a fresh subject / stream key per run: nothing of an earlier run is read
  flags+=(--room "zb$RANDOM$RANDOM")
  "$bin/zchat-baseline" "${mode[$sys]}" "${flags[@]}" --duration "$secs" --drain "$drain" \
      --label "$sys/$scen" --csv "$raw" >"$work/run.out" 2>"$work/run.err" &
  bench_pid=$!
  wait "$bench_pid" || rc=$?
  bench_pid=""
  if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then
    head -n 1 "$work/run.out" | sed 's/^/    /'
  else
    echo "    $sys/$scen: zchat-baseline exit $rc: $(tail -n 1 "$work/run.err")"
    failed=1
  fi
  # what the servers or the bench said, e.g. a subscriber cut off
  grep -v '^zchat-baseline: interrupted' "$work/run.err" | head -n 3 | sed 's/^/      /' || true
}

start_all=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "baselines: ${active[*]}; $reps repetition(s) of ${secs} s; binaries $bin ($build_type); raw lines to $raw"
for ((rep = 1; rep <= reps; rep++)); do
  for sys in "${active[@]}"; do
    echo "== $sys, repetition $rep${ports[$sys]:+ (port ${ports[$sys]})}"
    for r in ${sub_list//,/ }; do
      run "$sys" "flat-${r}sub" --senders "$senders" --subscribers "$r" --window 1000
    done
    run "$sys" "rate-${rate_subs}sub" --senders 1 --subscribers "$rate_subs" --rate "$rate" \
        ${cdf:+--cdf "$cdf"}
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- medians of this invocation's lines, by label (first-seen order)
{
  echo "| system/scenario | senders | subs | rate/sender | posted msgs/s | acked msgs/s | delivered msgs/s per sub | in total | ack p50 / p99 (µs) | sender→receiver p50 / p99 (µs) | lost | notices | runs |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  tail -n +"$((raw_lines + 1))" "$raw" | awk -F, '
    function median(key,   n, i, j, t, v) {
      n = cnt[key]
      for (i = 1; i <= n; i++) v[i] = val[key, i]
      for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
      return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function add(l, k, x) { cnt[l SUBSEP k]++; val[l SUBSEP k, cnt[l SUBSEP k]] = x }
    $1 == "label" { next }
    {
      l = $1
      if (!(l in runs)) order[++n] = l
      runs[l]++; senders[l] = $4; subs[l] = $5; rate[l] = $6; acks[l] += $11
      add(l, "posted", $9 > 0 ? $10 / $9 : 0); add(l, "ack", $12); add(l, "sub", $13); add(l, "tot", $14)
      add(l, "a50", $15); add(l, "a99", $17); add(l, "e50", $20); add(l, "e99", $22)
      lost[l] += $25; notices[l] += $29
    }
    END {
      for (i = 1; i <= n; i++) {
        l = order[i]
        ack = acks[l] ? sprintf("%.0f", median(l SUBSEP "ack")) : "–"
        lat = acks[l] ? sprintf("%.0f / %.0f", median(l SUBSEP "a50"), median(l SUBSEP "a99")) : "–"
        printf "| %s | %s | %s | %s | %.0f | %s | %.0f | %.0f | %s | %.0f / %.0f | %d | %d | %d |\n",
          l, senders[l], subs[l], rate[l] ? rate[l] : "flat out", median(l SUBSEP "posted"), ack,
          median(l SUBSEP "sub"), median(l SUBSEP "tot"), lat,
          median(l SUBSEP "e50"), median(l SUBSEP "e99"), lost[l], notices[l], runs[l]
      }
    }'
  echo
  echo "Medians of $reps run(s) of ${secs} s, 100-byte payloads, 127.0.0.1; flat out: window 1000 (pubsub: none, its XPUB waits at the HWM); latency from the intended send time. Lost and notices are sums over the runs. – : no ACK in that system (pubsub, nats, cnats). Load average before / after: $load_before / $load_after ($(nproc) CPUs). Binaries: $build_type build. $(date -u '+%Y-%m-%d %H:%M UTC')."
} >"$md"

echo
cat "$md"
echo
echo "appended to $raw; table in $md ($(($(date +%s) - start_all)) s)"
exit "$failed"
