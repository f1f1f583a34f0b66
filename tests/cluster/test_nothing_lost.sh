#!/usr/bin/env bash
# Several clients send continuously while the leader is killed (kill -9),
# frozen and thawed, restarted, and while the whole cluster is stopped and
# started again from its data folders.  Every acknowledged message must reach
# every client of its room exactly once, in one order, with Lamport times
# rising: the history checker gives the verdict.
. "$(dirname "$0")/lib.sh"

start_cluster 3
wait_leader 3
for c in s1 s2 s3; do start_client "$c"; done
start_listener watch
wait_following s1 s2 s3 watch

LOOPS=()
send_for() {   # send_for SECONDS: every sender writes a line each ~20 ms
  local until=$((SECONDS + $1)) c fd_var
  for c in s1 s2 s3; do
    fd_var="fd_$c"
    ( n=0; while [ $SECONDS -lt $until ]; do n=$((n + 1)); echo "$c $n"; sleep 0.02; done ) >&"${!fd_var}" &
    LOOPS+=($!)
  done
}
wait_loops() { for p in "${LOOPS[@]}"; do wait "$p"; done; LOOPS=(); }

log "traffic, then kill -9 of the leader"
send_for 6
sleep 2; "$CLUSTER" kill 3 >/dev/null
sleep 2; "$CLUSTER" restart 3 >/dev/null
wait_loops
wait_leader 3 40

log "traffic while the leader is frozen and thawed"
send_for 5
sleep 1; "$CLUSTER" pause 3 >/dev/null
sleep 1.5; "$CLUSTER" resume 3 >/dev/null
wait_loops
wait_leader 3 40

log "traffic across a full cluster stop and start"
send_for 5
sleep 1.5
"$CLUSTER" stop >/dev/null
sleep 1
"$CLUSTER" start 3 "$BASE" >/dev/null
wait_loops
wait_leader 3 40

log "traffic while a backup is killed and restarted"
send_for 4
sleep 1; "$CLUSTER" kill 1 >/dev/null
sleep 1; "$CLUSTER" restart 1 >/dev/null
wait_loops

for c in s1 s2 s3; do close_client "$c"; done
for pid in "${CLIENT_PIDS[@]:0:3}"; do
  wait_exit "$pid" 90 || fail "a sender did not get every message acknowledged (status $?)"
done
acked=$(cat "$RUN"/s[123].rec | grep -c '^ack ')
log "$acked messages acknowledged"
[ "$acked" -gt 500 ] || fail "too few messages went through ($acked)"
# The listener must have them all: wait for it to catch up, then check.
wait_received watch "$acked" 60
check_history "$RUN"/s1.rec "$RUN"/s2.rec "$RUN"/s3.rec "$RUN"/watch.rec
log "ok"
