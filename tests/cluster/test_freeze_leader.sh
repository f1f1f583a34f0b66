#!/usr/bin/env bash
# SIGSTOP the leader while clients send, then SIGCONT it.  The others elect a
# new leader; the frozen one, when it wakes, must not publish or acknowledge
# anything in its old epoch (its lease ran out while it was frozen), and the
# clients follow the new leader by themselves.  Then both backups freeze:
# the leader's lease must run out (it stops serving) and come back.
. "$(dirname "$0")/lib.sh"

start_cluster 3
wait_leader 3
start_client a
start_client b
start_listener watcher
wait_following a b watcher
for i in $(seq 1 10); do say a "before $i"; say b "before $i"; done
wait_received watcher 20
old_epoch=$(status_json | grep -o '"id":3,[^}]*"epoch":[0-9]*' | grep -o '"epoch":[0-9]*$' | cut -d: -f2)
[ -n "$old_epoch" ] || fail "no epoch for node 3"

log "pause node 3 (epoch $old_epoch) while the clients keep sending"
"$CLUSTER" pause 3 >/dev/null
for i in $(seq 1 10); do say a "during $i"; say b "during $i"; sleep 0.05; done
wait_leader 2 30
wait_received watcher 40 40

log "resume node 3"
"$CLUSTER" resume 3 >/dev/null
for i in $(seq 1 10); do say a "after $i"; say b "after $i"; done
wait_received watcher 60 40
wait_leader 3 40     # it rejoins and takes the lead back after the hold-down
for i in $(seq 1 5); do say a "last $i"; say b "last $i"; done
wait_received watcher 70 40

# The lease itself: both backups frozen, leader 3 hears no quorum and
# must stop serving once its lease runs out (STATUS granted=false; a
# POST meanwhile gets no_quorum, never an ACK), and serve again when they
# thaw.  Without the lease check it would go on "serving".
log "freeze both backups: node 3's lease must run out"
serving3() { [ "$(node_field 3 granted)" = "$1" ]; }
wait_until 20 serving3 true || fail "node 3 does not serve before the backups freeze"
"$CLUSTER" pause 1 >/dev/null
"$CLUSTER" pause 2 >/dev/null
if ! wait_until 20 serving3 false; then
  "$CLUSTER" resume 1 >/dev/null; "$CLUSTER" resume 2 >/dev/null
  fail "node 3 kept serving with both backups frozen: its lease did not run out"
fi
"$CLUSTER" resume 1 >/dev/null
"$CLUSTER" resume 2 >/dev/null
wait_until 40 serving3 true || fail "node 3 did not serve again once the backups thawed"
wait_leader 3 40

close_client a; close_client b
for pid in "${CLIENT_PIDS[@]:0:2}"; do wait_exit "$pid" 60 || fail "a client did not exit cleanly"; done

# Nothing stamped in the old epoch may appear after the 20 messages sent
# before the pause.
late=$(awk -v e="$old_epoch" '$1=="recv" && $5==e && $2>20' "$RUN"/a.rec "$RUN"/b.rec "$RUN"/watcher.rec | wc -l)
[ "$late" = 0 ] || fail "$late messages delivered in the frozen leader's old epoch $old_epoch"
check_history "$RUN"/a.rec "$RUN"/b.rec "$RUN"/watcher.rec
log "ok"
