# Shared helpers for the cluster tests: real processes on 127.0.0.1, ports
# below 32768, every process stopped by PID at exit.  Source it with the
# build folder as $1.  Deadlines are generous: CI machines are slow.
set -euo pipefail
BIN=$(cd "${1:?usage: test.sh BUILD_DIR}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export ZCHAT_BIN=$BIN
export ZCHAT_RUN_DIR=$(mktemp -d /tmp/zchat-test.XXXXXX)
RUN=$ZCHAT_RUN_DIR
CLUSTER="$ROOT/tools/cluster.sh"
CLIENT_PIDS=()
TEST_NAME=$(basename "$0" .sh)

log() { echo "[$TEST_NAME] $*"; }

fail() {
  echo "[$TEST_NAME] FAIL: $*" >&2
  for f in "$RUN"/node-*.log; do [ -f "$f" ] && { echo "--- $f (tail)"; tail -n 40 "$f"; }; done >&2
  exit 1
}

cleanup() {
  local rc=$?
  for pid in "${CLIENT_PIDS[@]:-}"; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true; done
  [ -f "$RUN/cluster.env" ] && "$CLUSTER" stop >/dev/null 2>&1 || true
  if [ $rc -eq 0 ]; then rm -rf "$RUN"; else echo "[$TEST_NAME] run folder kept: $RUN" >&2; fi
}
trap cleanup EXIT

# A base port whose 4 port sets are all free: nothing answers a connect.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_base() {
  local n=${1:-3} base i off ok
  for _ in $(seq 1 50); do
    base=$((10000 + RANDOM % 4000))
    ok=1
    for ((i = 0; i < n; i++)); do
      for off in 0 1000 2000 3000; do port_free $((base + i + off)) || ok=0; done
    done
    [ $ok = 1 ] && { echo "$base"; return; }
  done
  fail "no free ports found"
}

start_cluster() {   # start_cluster N
  BASE=$(pick_base "$1")
  "$CLUSTER" start "$1" "$BASE" >/dev/null
  SERVERS=$("$CLUSTER" servers)
}

status_json() { "$BIN/chat-client" status --servers "$SERVERS" --json --timeout-ms 400 2>/dev/null || true; }

# The node ids reporting role leader, and the leader each reachable node follows.
leaders() { status_json | grep -o '"id":[0-9]*,"reachable":true,"role":"leader"' | grep -o '"id":[0-9]*' | cut -d: -f2 | sort -u | tr '\n' ' '; }
followed() { status_json | grep -o '"reachable":true,[^}]*' | grep -o '"leader":[0-9]*' | cut -d: -f2 | sort -u | tr '\n' ' '; }

# wait_until SECONDS command...: poll until the command succeeds.
wait_until() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}

is_leader() { [ "$(leaders)" = "$1 " ] && [ "$(followed)" = "$1 " ]; }
wait_leader() { wait_until "${2:-30}" is_leader "$1" || fail "node $1 did not become the leader everyone follows (leaders: $(leaders); followed: $(followed))"; }

# Background clients must not inherit other clients' FIFO write ends, or
# those clients would never see end-of-input.
FIFO_FDS=()
spawn() {   # spawn OUT ERR IN command...: start a client, record its PID
  local out=$1 err=$2 in=$3; shift 3
  (
    for fd in "${FIFO_FDS[@]:-}"; do [ -n "$fd" ] && eval "exec $fd>&-"; done
    exec "$@" <"$in" >"$out" 2>"$err"
  ) &
  CLIENT_PIDS+=($!)
}

# A client kept alive across the test, fed through a FIFO: start_client NAME
start_client() {
  local name=$1
  mkfifo "$RUN/$name.in"
  spawn "$RUN/$name.out" "$RUN/$name.err" "$RUN/$name.in" \
      "$BIN/chat-client" --servers "$SERVERS" --name "$name" --record "$RUN/$name.rec"
  eval "exec {fd_$name}>\"$RUN/$name.in\""
  local fd_var="fd_$name"
  FIFO_FDS+=("${!fd_var}")
}
say() { local fd_var="fd_$1"; shift; printf '%s\n' "$*" >&"${!fd_var}"; }
close_client() { local fd_var="fd_$1"; eval "exec ${!fd_var}>&-"; }

# Start a listener that records everything it receives: start_listener NAME
start_listener() {
  spawn "$RUN/$1.out" "$RUN/$1.err" /dev/null \
      "$BIN/chat-client" --servers "$SERVERS" --listen --name "$1" --record "$RUN/$1.rec"
}

# Wait until clients follow a leader (and so have their delivery baseline).
following() { grep -q '^leader ' "$RUN/$1.rec" 2>/dev/null; }
wait_following() {
  local c
  for c in "$@"; do wait_until 30 following "$c" || fail "$c never found a leader"; done
  sleep 0.3
}

received() { local n; n=$(grep -c '^recv ' "$RUN/$1.rec" 2>/dev/null) || true; echo "${n:-0}"; }
has_received() { [ "$(received "$1")" -ge "$2" ]; }
wait_received() {   # wait_received NAME COUNT [SECONDS]
  wait_until "${3:-30}" has_received "$1" "$2" \
    || fail "$1 received $(received "$1") of $2 messages"
}

# Wait for a client process to exit by itself; returns its status.
wait_exit() {   # wait_exit PID SECONDS
  local end=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    [ $SECONDS -lt $end ] || return 124
    sleep 0.2
  done
  wait "$1"
}

check_history() { "$BIN/zchat-check" "$@" || fail "history check failed"; }

# --- hostile-input helpers (zchat-hostile, tests/tools/zchat_hostile.c) ---
HOSTILE="$BIN/zchat-hostile"
node_port() { echo $((BASE + $1 - 1)); }           # node_port ID: its client port P
node_pid() { cat "$RUN/node-$1.pid" 2>/dev/null || true; }

# node_status ID: one STATUS_REPLY as "key=value" words ("" if no answer).
# With SECURE_CLIENT set (a client key folder), it speaks CURVE.
node_status() {
  local curve=()
  [ -n "${SECURE_CLIENT:-}" ] && curve=(--cert "$SECURE_CLIENT/client.cert" --server-key "$SECURE_CLIENT/server.cert")
  "$HOSTILE" "${curve[@]}" --wait-ms 500 status "$(node_port "$1")" 2>/dev/null | head -n 1 || true
}
# node_field ID FIELD: one field of that STATUS_REPLY ("" if absent).
node_field() { node_status "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# node_rss_kb ID: the node's resident memory in KiB.
node_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$(node_pid "$1")/status" 2>/dev/null || echo 0; }

# membership_hash ID: the mh node ID sends (every member computes the same).
membership_hash() {
  local id=$1 n=${2:-3} peers="" j
  for ((j = 1; j <= n; j++)); do
    [ "$j" = "$id" ] || peers+="${peers:+,}$j:127.0.0.1:$(node_port "$j")"
  done
  "$HOSTILE" mh --id "$id" --port "$(node_port "$id")" --peers "$peers"
}

# Every node answering STATUS reports this leader and epoch.
cluster_is() {   # cluster_is LEADER EPOCH [IDS...]
  local leader=$1 epoch=$2 i ids; shift 2
  ids=("$@"); [ ${#ids[@]} -gt 0 ] || ids=(1 2 3)
  for i in "${ids[@]}"; do
    [ "$(node_field "$i" leader)" = "$leader" ] && [ "$(node_field "$i" epoch)" = "$epoch" ] || return 1
  done
}

# --- CURVE clusters (tools/cluster.sh start --secure; keys in RUN/keys) ---
# STATUS_KEYS: the client key folder status_json speaks CURVE with.
status_json() {
  "$BIN/chat-client" status --servers "$SERVERS" ${STATUS_KEYS:+--keys "$STATUS_KEYS"} \
      --json --timeout-ms 400 2>/dev/null || true
}
start_secure_cluster() {   # start_secure_cluster N (ZCHAT_NODE_FLAGS for extra flags)
  BASE=$(pick_base "$1")
  "$CLUSTER" start --secure "$1" "$BASE" >/dev/null
  SERVERS=$("$CLUSTER" servers)
  KEYS="$RUN/keys"
  STATUS_KEYS="$KEYS/client-alice"
  SECURE_CLIENT="$KEYS/client-alice"
}
# start_client_keys NAME KEYDIR: start_client, speaking CURVE with KEYDIR.
start_client_keys() {
  local name=$1 keys=$2
  mkfifo "$RUN/$name.in"
  spawn "$RUN/$name.out" "$RUN/$name.err" "$RUN/$name.in" \
      "$BIN/chat-client" --servers "$SERVERS" --keys "$keys" --name "$name" --record "$RUN/$name.rec"
  eval "exec {fd_$name}>\"$RUN/$name.in\""
  local fd_var="fd_$name"
  FIFO_FDS+=("${!fd_var}")
}
# start_listener_keys NAME [KEYDIR]: a listener; without KEYDIR, plaintext.
start_listener_keys() {
  local keys=()
  [ -n "${2:-}" ] && keys=(--keys "$2")
  spawn "$RUN/$1.out" "$RUN/$1.err" /dev/null \
      "$BIN/chat-client" --servers "$SERVERS" "${keys[@]}" --listen --name "$1" --record "$RUN/$1.rec"
}
