#!/usr/bin/env bash
# SIGTERM to the leader while clients send: it hands over and exits 0
# (docs/ELECTION.md "Graceful stop").  Node 2 leads the next epoch because
# node 3 handed over to it, not because an election timed out; the clients
# lose and double nothing (zchat-check).  Then SIGTERM to a backup: it
# exits at once; and to the last node, a leader with nobody to hand over
# to, twice: the second signal stops it at once.  The nodes are this
# shell's children (not tools/cluster.sh's), so that their exit status can
# be read.  The election timeout is 1 s (retiring takes 2.3 s at most), so
# that the second signal surely comes while the node still retires.
. "$(dirname "$0")/lib.sh"

BASE=$(pick_base 3)
SERVERS="127.0.0.1:$BASE,127.0.0.1:$((BASE + 1)),127.0.0.1:$((BASE + 2))"
declare -A NODE_PID
run_node() {   # run_node ID
  local i=$1 peers="" j
  for j in 1 2 3; do [ "$j" = "$i" ] || peers+="${peers:+,}$j:127.0.0.1:$((BASE + j - 1))"; done
  "$BIN/chat-node" --id "$i" --port $((BASE + i - 1)) --bind 127.0.0.1 --peers "$peers" \
      --data-dir "$RUN/data/node-$i" --initial-cluster-state new --election-timeout-ms 1000 \
      >>"$RUN/node-$i.log" 2>&1 </dev/null &
  NODE_PID[$i]=$!
  CLIENT_PIDS+=($!)      # killed at exit if still running
}
for i in 1 2 3; do run_node "$i"; done
wait_leader 3

for c in s1 s2; do start_client "$c"; done
start_listener watch
wait_following s1 s2 watch

LOOPS=()
send_for() {   # send_for SECONDS: every sender writes a line each ~20 ms
  local until=$((SECONDS + $1)) c fd_var
  for c in s1 s2; do
    fd_var="fd_$c"
    ( n=0; while [ $SECONDS -lt $until ]; do n=$((n + 1)); echo "$c $n"; sleep 0.02; done ) >&"${!fd_var}" &
    LOOPS+=($!)
  done
}

epoch=$(node_field 3 epoch)
[ -n "$epoch" ] || fail "node 3 reports no epoch"
send_for 6
sleep 2
# Only what the nodes log from the signal on counts
from1=$(($(wc -l <"$RUN/node-1.log") + 1))
from2=$(($(wc -l <"$RUN/node-2.log") + 1))
log "SIGTERM to leader 3 (epoch $epoch) while the clients send"
kill -TERM "${NODE_PID[3]}"
rc=0
wait_exit "${NODE_PID[3]}" 30 || rc=$?
[ $rc = 0 ] || fail "node 3 exited with status $rc (124: still running after 30 s)"
grep -q 'retiring: handing over to node 2' "$RUN/node-3.log" || fail "node 3 did not say it hands over to node 2"
grep -q 'retired' "$RUN/node-3.log" || fail "node 3 did not say it retired"
wait_leader 2 30
[ "$(node_field 2 epoch)" = $((epoch + 1)) ] \
  || fail "node 2 leads epoch $(node_field 2 epoch), not $((epoch + 1)): more than one claim"
tail -n +"$from2" "$RUN/node-2.log" | grep -q 'leader 3 hands over to me' \
  || fail "node 2 was not handed over to"
if tail -n +"$from2" "$RUN/node-2.log" | grep -E 'missed heartbeats|lost the connection|no leader heard|starting election'; then
  fail "node 2 ran a timeout-driven election"
fi
tail -n +"$from1" "$RUN/node-1.log" | grep -q 'leader 3 retires, handing over to node 2' \
  || fail "node 1 was not told of the hand-over"
for p in "${LOOPS[@]}"; do wait "$p"; done

for c in s1 s2; do close_client "$c"; done
for pid in "${CLIENT_PIDS[@]:3:2}"; do
  wait_exit "$pid" 90 || fail "a sender did not get every message acknowledged (status $?)"
done
acked=$(cat "$RUN"/s[12].rec | grep -c '^ack ')
log "$acked messages acknowledged"
[ "$acked" -gt 100 ] || fail "too few messages went through ($acked)"
wait_received watch "$acked" 60
check_history "$RUN"/s1.rec "$RUN"/s2.rec "$RUN"/watch.rec

log "SIGTERM to backup 1: it exits at once"
kill -TERM "${NODE_PID[1]}"
rc=0
wait_exit "${NODE_PID[1]}" 30 || rc=$?
[ $rc = 0 ] || fail "node 1 exited with status $rc"
grep -q 'node 1: retired' "$RUN/node-1.log" || fail "node 1 did not say it retired"
if grep -q 'retiring: handing over' "$RUN/node-1.log"; then fail "backup 1 tried to hand over"; fi
log "SIGTERM twice to node 2, alone now"
kill -TERM "${NODE_PID[2]}"
wait_until 30 grep -q 'retiring: serving no more' "$RUN/node-2.log" || fail "node 2 does not retire"
kill -TERM "${NODE_PID[2]}"
rc=0
wait_exit "${NODE_PID[2]}" 30 || rc=$?
[ $rc = 0 ] || fail "node 2 exited with status $rc"
grep -q 'node 2: asked again to stop: stopping now' "$RUN/node-2.log" \
  || fail "node 2 did not stop at the second signal"
log "ok"
