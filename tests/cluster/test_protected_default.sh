#!/usr/bin/env bash
# Protected by default (issue 9, Redis's protected mode): a node started
# without --keys and without --bind listens on 127.0.0.1 only, all four
# ports; with --bind 0.0.0.0 it listens everywhere and says so, once and
# plainly; an explicit loopback --bind does not warn.
. "$(dirname "$0")/lib.sh"
trap 'fail "a command failed at line $LINENO"' ERR   # set -e alone would exit without a word
command -v ss >/dev/null || { log "skipped: no ss"; exit 0; }

NODE_PID=""
stop_node_pid() {
  [ -n "$NODE_PID" ] || return 0
  kill -TERM "$NODE_PID" 2>/dev/null || true
  wait_exit "$NODE_PID" 10 >/dev/null 2>&1 || kill -KILL "$NODE_PID" 2>/dev/null || true
  NODE_PID=""
}
# run_node NAME FLAGS...: one node (no peers) on the port set BASE; its log in RUN/NAME.log
run_node() {
  local name=$1; shift
  "$BIN/chat-node" --id 1 --port "$BASE" --data-dir "$RUN/data-$name" "$@" >"$RUN/$name.log" 2>&1 &
  NODE_PID=$!
  CLIENT_PIDS+=("$NODE_PID")
}
# The local addresses listening on the four ports, one per line, sorted.
listening() {
  local off
  for off in 0 1000 2000 3000; do
    ss -Hltn "sport = :$((BASE + off))" | awk '{ print $4 }'
  done | sort -u
}
all_listening() { [ "$(listening | wc -l)" -ge 4 ]; }

BASE=$(pick_base 1)

log "no --keys, no --bind: loopback only"
run_node plain
wait_until 20 all_listening || fail "the node did not listen on its 4 ports: $(listening | tr '\n' ' ')"
bad=$(listening | grep -v '^127\.0\.0\.1:' || true)
[ -z "$bad" ] || fail "a node without --keys and --bind listens beyond loopback: $bad"
[ "$(listening | wc -l)" = 4 ] || fail "expected 4 loopback listeners: $(listening | tr '\n' ' ')"
! grep -q 'OPEN TO ANYONE' "$RUN/plain.log" || fail "a loopback node warned it is open"
stop_node_pid

log "--bind 127.0.0.1 given: loopback, no warning"
run_node lo --bind 127.0.0.1
wait_until 20 all_listening || fail "the node did not listen with --bind 127.0.0.1"
[ -z "$(listening | grep -v '^127\.0\.0\.1:' || true)" ] || fail "--bind 127.0.0.1 listens beyond loopback"
! grep -q 'OPEN TO ANYONE' "$RUN/lo.log" || fail "--bind 127.0.0.1 warned it is open"
stop_node_pid

log "--bind 0.0.0.0: every interface, and one plain warning"
run_node open --bind 0.0.0.0
wait_until 20 all_listening || fail "the node did not listen with --bind 0.0.0.0"
[ "$(listening | grep -c '^0\.0\.0\.0:')" = 4 ] || fail "--bind 0.0.0.0 does not listen on 0.0.0.0: $(listening | tr '\n' ' ')"
sleep 1.5    # a warning repeated per tick or per connection would show by now
n=$(grep -c 'OPEN TO ANYONE' "$RUN/open.log" || true)
[ "$n" = 1 ] || fail "--bind 0.0.0.0 logged the open-ports warning $n times, want 1: $(cat "$RUN/open.log" | head -n 5)"
grep 'OPEN TO ANYONE' "$RUN/open.log" | grep -q -- '--keys' || fail "the warning does not say how to close the ports"
stop_node_pid
log "ok"
