# experiments/lib.sh — what the benchmark scripts share (sourced, not run):
# the Release binaries, free ports, a cluster up and down by PID, the
# machine's description, waiting for a quiet machine.
#
#   zx_bin NAME BINARY...   set $bin (Release build, made here unless
#                           $ZCHAT_BIN is given), $build_type; refuses ASan
#   zx_init NAME            zx_bin for the cluster binaries, $root, a runs folder
#   zx_free_base N          a base port B with B..B+N-1 (+1000, +2000, +3000)
#                           unused, below 32768
#   zx_cluster_up TAG N FLAGS   start N nodes with $ZX_NODE_LIMITS and FLAGS in
#                           $zx_runs/TAG; sets $current_run, $servers, $leader;
#                           with ZX_SECURE=1 a CURVE cluster (cluster.sh start
#                           --secure: client keys in $current_run/keys/client-*)
#   $ZX_NODE_LIMITS         the node flags every script starts nodes with
#   zx_cluster_down         stop the current cluster, delete its chat logs
#   zx_wait_leader SERVERS  print the serving leader's id (10 s at most)
#   zx_wait_quiet SECS      wait (up to SECS) until the machine is idle
#   zx_machine              one line: CPU, cores, memory, kernel, OS
#   zx_cleanup              stop what we started (call from an EXIT trap)
# shellcheck shell=bash

zx_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The limits a node enforces by default (issue 9, chat-node --help) would
# make the suite measure them rather than zchat: --rate 500 POSTs/s per
# client throttles a flat-out sender to 500 msgs/s ("slow down"),
# --max-clients 10000 caps run_scale.sh's idle clients, and --pub-hwm 1000
# / --reply-hwm 256 make a subscriber or sender that falls behind for a
# moment lose frames and repair them by FETCH, which a row would then
# measure.  Every script starts its nodes with these first (its own flags
# come after and win): no rate limit, no client cap, and the HWMs of 100000
# the sockets had before the limits.  Set ZX_NODE_LIMITS="" to benchmark
# the defaults.
ZX_NODE_LIMITS=${ZX_NODE_LIMITS-"--rate 0 --max-clients 1000000 --pub-hwm 100000 --reply-hwm 100000"}

# zx_bin NAME BINARY...: set $bin (a Release build, made here unless
# $ZCHAT_BIN is given) and $build_type; every BINARY must be there
zx_bin() {
  zx_name=$1
  shift
  bin=${ZCHAT_BIN:-$zx_root/build-bench}
  if [ -z "${ZCHAT_BIN:-}" ]; then
    ZCHAT_SETUP_BENCH=1 "$zx_root/tools/setup.sh" "$bin" -DCMAKE_BUILD_TYPE=Release \
      -DZC_SANITIZE=OFF >&2
  fi
  local b
  for b in "$@"; do
    [ -x "$bin/$b" ] || { echo "$zx_name: no $b in $bin" >&2; exit 1; }
  done
  build_type=unknown
  if [ -f "$bin/CMakeCache.txt" ]; then
    if grep -q '^ZC_SANITIZE:BOOL=ON' "$bin/CMakeCache.txt" && [ -z "${ZX_ALLOW_SANITIZED:-}" ]; then
      echo "$zx_name: $bin is a sanitizer build; benchmark a Release build" >&2
      exit 1
    fi
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$bin/CMakeCache.txt")
  fi
}

zx_init() {
  root=$zx_root
  zx_bin "$1" chat-node chat-client zchat-bench
  zx_runs=$(mktemp -d "/tmp/zchat-$zx_name.XXXXXX")
  current_run=""
  zx_pids=""
}

zx_next_base=${ZX_BASE_PORT:-22051}
zx_free_base() {
  local n=$1 used base ok i off
  # mawk has no strtonum: convert the hex ports in bash
  used=" $(awk 'FNR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null \
           | while read -r h; do [ -z "$h" ] || echo $((16#$h)); done | tr '\n' ' ') "
  for ((base = zx_next_base; base + n + 3000 < 32768; base += 10)); do
    ok=1
    for ((i = 0; i < n && ok; i++)); do
      for off in 0 1000 2000 3000; do
        [[ "$used" == *" $((base + i + off)) "* ]] && { ok=0; break; }
      done
    done
    if [ "$ok" = 1 ]; then
      zx_next_base=$((base + 10))
      [ "$zx_next_base" -lt 28000 ] || zx_next_base=22051
      echo "$base"
      return
    fi
  done
  echo "$zx_name: no free ports below 32768" >&2
  exit 1
}

zx_wait_leader() {
  local servers=$1 t json
  for ((t = 0; t < 100; t++)); do
    json=$("$bin/chat-client" status --servers "$servers" ${zx_status_keys[@]+"${zx_status_keys[@]}"} \
             --json --timeout-ms 300 2>/dev/null || true)
    if [[ "$json" =~ \"id\":([0-9]+),\"reachable\":true,\"role\":\"leader\",\"leader\":([0-9]+) ]] \
       && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then
      echo "${BASH_REMATCH[1]}"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

zx_cluster_up() {
  local tag=$1 nodes=$2 flags=$3 base
  base=$(zx_free_base "$nodes")
  current_run=$zx_runs/$tag
  local secure=()
  zx_status_keys=()
  [ -n "${ZX_SECURE:-}" ] && secure=(--secure) && zx_status_keys=(--keys "$current_run/keys/client-alice")
  ZCHAT_RUN_DIR=$current_run ZCHAT_BIN=$bin ZCHAT_NODE_FLAGS="$ZX_NODE_LIMITS $flags" \
    "$root/tools/cluster.sh" start ${secure[@]+"${secure[@]}"} "$nodes" "$base" >/dev/null
  servers=$(ZCHAT_RUN_DIR=$current_run "$root/tools/cluster.sh" servers)
  if ! leader=$(zx_wait_leader "$servers"); then
    echo "$zx_name: no leader after 10 s (logs in $current_run)" >&2
    exit 1
  fi
}

zx_cluster_down() {
  [ -n "$current_run" ] || return 0
  ZCHAT_RUN_DIR=$current_run "$root/tools/cluster.sh" stop >/dev/null 2>&1 || true
  rm -rf "$current_run/data"      # the node logs stay, the (large) chat logs go
  current_run=""
}

zx_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 }' /proc/stat; }
zx_wait_quiet() {
  local secs=$1 until b0 b1 tick
  [ "$secs" != 0 ] || return 0
  tick=$(getconf CLK_TCK)
  until=$(($(date +%s) + secs))
  while :; do
    b0=$(zx_busy_ticks); sleep 1; b1=$(zx_busy_ticks)
    [ $((b1 - b0)) -gt $((tick / 10)) ] || return 0
    if [ "$(date +%s)" -ge "$until" ]; then
      echo "    (the machine is still busy: $((100 * (b1 - b0) / tick)) % of a CPU; going on)" >&2
      return 0
    fi
  done
}

zx_machine() {
  local cpu mem os
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
  echo "${cpu:-unknown CPU}, $(nproc) cores, $mem, Linux $(uname -r), ${os:-unknown OS}"
}

zx_cleanup() {
  local p
  for p in $zx_pids; do kill "$p" 2>/dev/null || true; done
  zx_cluster_down
}
