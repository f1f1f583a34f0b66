#!/usr/bin/env bash
# Run a local zchat cluster on 127.0.0.1, for people and for tests.
#
#   tools/cluster.sh start [N] [BASE_PORT]   start N nodes (default 3, base 15051)
#   tools/cluster.sh start --secure [N] [BASE_PORT]
#                                            the same with CURVE: keys made by
#                                            chat-keygen in RUN/keys (clients
#                                            $USER, alice, bob, carol and any in
#                                            $ZCHAT_CLIENTS="dave,erin")
#   tools/cluster.sh client [ARGS...]        build/chat-client against the cluster:
#                                            --servers, and if secure --keys
#                                            RUN/keys/client-NAME (NAME from
#                                            --name, else $USER); "client status
#                                            [--json]" too
#   tools/cluster.sh stop                    stop every node (SIGTERM, then SIGKILL)
#   tools/cluster.sh kill ID                 SIGKILL node ID (a crash)
#   tools/cluster.sh pause ID | resume ID    SIGSTOP / SIGCONT node ID (a freeze)
#   tools/cluster.sh restart ID              stop node ID if running, start it again
#   tools/cluster.sh status                  pids, and each node's view (chat-client status)
#   tools/cluster.sh logs ID                 the last lines of node ID's log
#   tools/cluster.sh servers                 the --servers list for chat-client
#   tools/cluster.sh add                     start node N+1 on the next port with the
#                                            current members, then make it a member
#                                            (chat-client admin add)
#   tools/cluster.sh remove ID               make node ID no member (chat-client admin
#                                            remove; a leader hands over first), then
#                                            stop it
#   tools/cluster.sh demo [--secure] [BASE]  a scripted walk-through of a failover
#
# Node i listens on BASE+i-1 (clients), +1000 (PUB), +2000 (peers), +3000
# (heartbeats).  The default base keeps every port below 32768, outside
# Linux's ephemeral range (see README).  Logs, pid files and data go under
# one run folder: $ZCHAT_RUN_DIR (default ./zchat-run).  Extra node flags:
# $ZCHAT_NODE_FLAGS (e.g. "--heartbeat-ms 50").  With $ZCHAT_METRICS_BASE=M
# node i also serves Prometheus metrics at http://127.0.0.1:M+i-1/metrics.  Binaries: $ZCHAT_BIN
# (default: build/, built on first use by tools/setup.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run=${ZCHAT_RUN_DIR:-$PWD/zchat-run}
bin=${ZCHAT_BIN:-$root/build}

die() { echo "cluster.sh: $*" >&2; exit 2; }

ensure_built() {
  # Without ZCHAT_BIN: install what is missing and (re)build incrementally.
  if [ -z "${ZCHAT_BIN:-}" ]; then
    "$root/tools/setup.sh" "$bin" || die "the build failed (above): not starting the old binaries in $bin"
  fi
  [ -x "$bin/chat-node" ] || die "no chat-node in $bin"
}

# The name chat-client uses by default ($USER), as chat-keygen takes names:
# A-Z a-z 0-9 _ . - only, at most 64.
user_name() {
  local name=${USER:-anon}
  name=$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_' | cut -c1-64)
  [[ "$name" == .* || -z "$name" ]] && name=anon
  echo "$name"
}

load() {
  [ -f "$run/cluster.env" ] || die "no cluster in $run (start one first)"
  # shellcheck disable=SC1091
  . "$run/cluster.env"
}

port_of() { echo $((BASE + $1 - 1)); }

# The members, "1,2,3": cluster.env's MEMBERS once add or remove ran, else
# 1..N.  N is the highest id ever started (ports follow ids).
members() { echo "${MEMBERS:-$(seq -s, 1 "$N")}"; }

save_env() { echo "N=$N BASE=$BASE SECURE=${SECURE:-0} MEMBERS=$(members)" >"$run/cluster.env"; }

servers() {
  local list="" i
  for i in $(members | tr ',' ' '); do list+="${list:+,}127.0.0.1:$(port_of "$i")"; done
  echo "$list"
}

pid_of() { cat "$run/node-$1.pid" 2>/dev/null || true; }

alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

check_id() { [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$N" ] || die "no node '${1:-}' (1..$N)"; }

start_node() {
  local i=$1 peers="" j
  for j in $(members | tr ',' ' '); do
    [ "$j" = "$i" ] || peers+="${peers:+,}$j:127.0.0.1:$(port_of "$j")"
  done
  alive "$i" && { echo "node $i already running (pid $(pid_of "$i"))"; return; }
  # A node is a daemon: it keeps none of the caller's open files (a test's
  # FIFO held open by a node would keep that test's client from ending).
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
    done
    keys=()
    [ "${SECURE:-0}" = 1 ] && keys=(--keys "$run/keys/node-$i")
    [ -n "${ZCHAT_METRICS_BASE:-}" ] && keys+=(--metrics "127.0.0.1:$((ZCHAT_METRICS_BASE + i - 1))")
    # Bootstrapping (start, a node never run here): say it is new, so that
    # a node started late is not taken for one that lost its folder
    # (docs/ELECTION.md "Lost state"); a restart lets the node tell.
    [ "${2:-}" = new ] && [ ! -d "$run/data/node-$i" ] && keys+=(--initial-cluster-state new)
    # shellcheck disable=SC2086
    exec setsid "$bin/chat-node" --id "$i" --port "$(port_of "$i")" --bind 127.0.0.1 \
        --peers "$peers" --data-dir "$run/data/node-$i" ${keys[@]+"${keys[@]}"} \
        ${ZCHAT_NODE_FLAGS:-} >>"$run/node-$i.log" 2>&1 </dev/null
  ) &
  echo $! >"$run/node-$i.pid"
}

stop_node() {
  local i=$1 pid t
  pid=$(pid_of "$i")
  [ -n "$pid" ] || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for ((t = 0; t < 50; t++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$run/node-$i.pid"
}

# The keys of a secure cluster of $1 nodes in RUN/keys: kept from an earlier
# start of the same size (clients keep their keys), else made anew.
make_keys() {
  local n=$1 kdir="$run/keys" clients name
  [ -x "$bin/chat-keygen" ] || die "no chat-keygen in $bin"
  clients="$(user_name),alice,bob,carol${ZCHAT_CLIENTS:+,$ZCHAT_CLIENTS}"
  clients=$(echo "$clients" | tr ',' '\n' | awk 'NF && !seen[$0]++' | paste -sd, -)
  if [ -f "$kdir/node-$n/node.cert_secret" ] && [ ! -e "$kdir/node-$((n + 1))" ]; then
    for name in ${clients//,/ }; do
      [ -f "$kdir/client-$name/client.cert_secret" ] \
        || "$bin/chat-keygen" client "$kdir" "$name" >/dev/null || die "chat-keygen client $name failed"
    done
    return
  fi
  rm -rf "$kdir"
  "$bin/chat-keygen" cluster "$kdir" --nodes "$(seq -s, 1 "$n")" --clients "$clients" \
    >"$run/keygen.out" || die "chat-keygen failed: $(cat "$run/keygen.out")"
}

cmd_start() {
  local secure=0 args=() a
  for a in "$@"; do
    if [ "$a" = --secure ]; then secure=1; else args+=("$a"); fi
  done
  set -- ${args[@]+"${args[@]}"}
  local n=${1:-3} base=${2:-15051}
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 32 ] || die "N must be 1..32"
  [[ "$base" =~ ^[0-9]+$ ]] && [ "$base" -ge 1024 ] && [ $((base + n - 1 + 3000)) -le 65535 ] \
    || die "BASE_PORT out of range"
  if [ -f "$run/cluster.env" ]; then
    load
    for ((i = 1; i <= N; i++)); do alive "$i" && die "a cluster is already running in $run (stop it first)"; done
  fi
  ensure_built
  mkdir -p "$run/data"
  [ $secure = 1 ] && make_keys "$n"
  # The run folder remembers secure mode: restart and client read it
  echo "N=$n BASE=$base SECURE=$secure" >"$run/cluster.env"
  N=$n BASE=$base SECURE=$secure
  for ((i = 1; i <= N; i++)); do start_node "$i" new; done
  # A node that cannot start (a port in use, a bad data folder) exits at
  # once with one line in its log: say so rather than pretend.
  sleep 0.5
  local failed=0
  for ((i = 1; i <= N; i++)); do
    if ! alive "$i"; then
      echo "cluster.sh: node $i did not start: $(grep -v '^I:' "$run/node-$i.log" | tail -n 1)" >&2
      failed=1
    fi
  done
  if [ $failed = 1 ]; then
    for ((i = 1; i <= N; i++)); do stop_node "$i"; done
    exit 1
  fi
  if [ $secure = 1 ]; then
    echo "secure cluster of $N started in $run (CURVE; keys in $run/keys)"
    echo "connect:  $root/tools/cluster.sh client [--name NAME]   (names: $(known_clients))"
    echo "      or  $bin/chat-client --servers \"$(servers)\" --keys $run/keys/client-$(user_name)"
  else
    echo "cluster of $N started in $run"
    echo "connect:  $bin/chat-client --servers \"$(servers)\""
  fi
}

known_clients() { (cd "$run/keys" 2>/dev/null && ls -d client-* 2>/dev/null | sed 's/^client-//' | paste -sd' ' -) || true; }

# The chat-client flags for this cluster: --servers (unless ARGS has one)
# and, when secure, the key folder of the --name in ARGS, else $USER's.
client_flags() {
  local name="" prev="" a has_servers=0
  for a in "$@"; do
    [ "$prev" = --name ] && name=$a
    case "$a" in --name=*) name=${a#--name=} ;; --servers|--servers=*) has_servers=1 ;; esac
    prev=$a
  done
  CLIENT_FLAGS=()
  [ $has_servers = 1 ] || CLIENT_FLAGS+=(--servers "$(servers)")
  if [ "${SECURE:-0}" = 1 ]; then
    name=${name:-$(user_name)}
    [ -f "$run/keys/client-$name/client.cert_secret" ] \
      || die "no key for client '$name' (keys: $(known_clients)); make one with" \
             "'$bin/chat-keygen client $run/keys $name' and restart each node, or start" \
             "with ZCHAT_CLIENTS=$name"
    CLIENT_FLAGS+=(--keys "$run/keys/client-$name")
  fi
}

# tools/cluster.sh client [status] [ARGS...]
cmd_client() {
  load
  [ -x "$bin/chat-client" ] || die "no chat-client in $bin"
  if [ "${1:-}" = status ]; then
    shift
    client_flags "$@"
    exec "$bin/chat-client" status "${CLIENT_FLAGS[@]}" "$@"
  fi
  client_flags "$@"
  exec "$bin/chat-client" "${CLIENT_FLAGS[@]}" "$@"
}

# tools/cluster.sh add: node N+1 on the next port, started with the current
# members as --peers (its first configuration), then added through the
# leader (docs/ELECTION.md "Membership changes").  It leads after the
# hold-down if it is the highest id.
cmd_add() {
  load
  [ "${SECURE:-0}" = 1 ] && die "add: not for a secure cluster (every node must know the new node's key)"
  ensure_built
  local id=$((N + 1)) old_servers
  [ $((BASE + id - 1 + 3000)) -le 65535 ] || die "add: no port for node $id"
  old_servers=$(servers)
  MEMBERS="$(members),$id"
  N=$id
  save_env
  start_node "$id" new
  sleep 0.5
  if ! alive "$id"; then
    echo "cluster.sh: node $id did not start: $(grep -v '^I:' "$run/node-$id.log" | tail -n 1)" >&2
    MEMBERS=${MEMBERS%,"$id"}; N=$((id - 1)); save_env
    exit 1
  fi
  if ! "$bin/chat-client" admin --servers "$old_servers" add "$id:127.0.0.1:$(port_of "$id")"; then
    stop_node "$id"
    MEMBERS=${MEMBERS%,"$id"}; N=$((id - 1)); save_env
    exit 1
  fi
  echo "node $id added (port $(port_of "$id"))"
}

# tools/cluster.sh remove ID: no longer a member (the leader hands over
# first if it is the one removed), then stopped.
cmd_remove() {
  load
  local id=${1:-} list
  [[ "$id" =~ ^[0-9]+$ ]] && [[ ",$(members)," == *",$id,"* ]] || die "remove: '$id' is not a member ($(members))"
  [ "$(members)" = "$id" ] && die "remove: node $id is the last member"
  ensure_built
  client_flags
  "$bin/chat-client" admin "${CLIENT_FLAGS[@]}" remove "$id" || exit 1
  stop_node "$id"
  list=$(members | tr ',' '\n' | grep -vx "$id" | paste -sd, -)
  MEMBERS=$list
  save_env
  echo "node $id removed and stopped"
}

cmd_stop() {
  load
  for ((i = 1; i <= N; i++)); do stop_node "$i"; done
  echo "cluster stopped ($run)"
}

cmd_status() {
  load
  for ((i = 1; i <= N; i++)); do
    if alive "$i"; then
      state=$(ps -o stat= -p "$(pid_of "$i")" 2>/dev/null || true)
      [[ "$state" == T* ]] && s="paused" || s="running"
      echo "node $i: $s (pid $(pid_of "$i"), port $(port_of "$i"))"
    else
      echo "node $i: down (port $(port_of "$i"))"
    fi
  done
  client_flags
  "$bin/chat-client" status "${CLIENT_FLAGS[@]}" --timeout-ms 500 || true
}

cmd_demo() {
  ensure_built
  export ZCHAT_RUN_DIR=${ZCHAT_RUN_DIR:-$(mktemp -d /tmp/zchat-demo.XXXXXX)}
  run=$ZCHAT_RUN_DIR
  self="$root/tools/cluster.sh"
  local secure=()
  [ "${1:-}" = --secure ] && { secure=(--secure); shift; }
  "$self" start ${secure[@]+"${secure[@]}"} 3 "${1:-15051}"
  load
  listener_pid=""
  trap '"$self" stop >/dev/null 2>&1 || true; [ -z "$listener_pid" ] || kill "$listener_pid" 2>/dev/null || true' EXIT
  sleep 1.5
  "$self" client --listen --name bob >"$run/listener.out" 2>&1 &
  listener_pid=$!
  sleep 1
  echo "--- alice says hello (node 3 leads)"
  printf 'hello from alice\nis anyone there?\n' | "$self" client --name alice
  echo "--- kill -9 node 3 (the leader)"
  "$self" kill 3
  sleep 1
  printf 'node 3 is gone, still chatting\n' | "$self" client --name alice
  echo "--- restart node 3: it rejoins and takes the lead back"
  "$self" restart 3
  sleep 4
  printf 'and node 3 is back\n' | "$self" client --name alice
  sleep 0.5
  "$self" status
  echo "--- what bob saw:"
  cat "$run/listener.out"
  echo "--- election log lines of node 2:"
  grep -h 'ELECTION' "$run/node-2.log" || true
}

# The crash, in the node's own log as a zc-trace line: chat-trace draws it
# (docs/ELECTION.md "Watching an election"); the node cannot write it.
# (stamped just before the signal, so it precedes what the others notice).
trace_crash() { printf 'zc-trace 1 us=%s node=%s ev=crash\n' "$2" "$1" >>"$run/node-$1.log"; }

cmd=${1:-}
shift || true
case "$cmd" in
  start)   cmd_start "$@" ;;
  stop)    cmd_stop ;;
  kill)    load; check_id "${1:-}"; t=$(date +%s%6N); { kill -KILL "$(pid_of "$1")" 2>/dev/null && trace_crash "$1" "$t"; } || true; rm -f "$run/node-$1.pid"; echo "node $1 killed" ;;
  pause)   load; check_id "${1:-}"; kill -STOP "$(pid_of "$1")"; echo "node $1 paused" ;;
  resume)  load; check_id "${1:-}"; kill -CONT "$(pid_of "$1")"; echo "node $1 resumed" ;;
  restart) load; check_id "${1:-}"; ensure_built; stop_node "$1"; start_node "$1"; echo "node $1 restarted" ;;
  status)  cmd_status ;;
  logs)    load; check_id "${1:-}"; tail -n "${LINES_SHOWN:-60}" "$run/node-$1.log" ;;
  servers) load; servers ;;
  add)     cmd_add ;;
  remove)  cmd_remove "$@" ;;
  demo)    cmd_demo "$@" ;;
  client)  cmd_client "$@" ;;
  *) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; [ -z "$cmd" ] || exit 2 ;;
esac
