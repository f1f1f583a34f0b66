#!/usr/bin/env bash
# The seed README's scenario, scripted: three nodes, three clients chatting;
# kill -9 the leader (node 3) → node 2 takes over and the clients carry on by
# themselves; node 3 returns → it catches up and leads again.  The history
# checker then proves every acknowledged message reached every client once,
# in one order, with Lamport times rising.
. "$(dirname "$0")/lib.sh"

start_cluster 3
wait_leader 3
grep -q '\[ELECTION\] node 3: I am the leader' "$RUN/node-3.log" || fail "node 3 never said it leads"

for c in c1 c2 c3; do start_client "$c"; done
wait_following c1 c2 c3

round() {   # round N: every client says N lines
  local r=$1 c i
  for i in 1 2 3 4 5; do for c in c1 c2 c3; do say "$c" "round $r line $i from $c"; done; done
}

log "round 1: node 3 leads"
round 1
for c in c1 c2 c3; do wait_received "$c" 15; done

log "kill -9 node 3"
"$CLUSTER" kill 3 >/dev/null
wait_leader 2
grep -q '\[ELECTION\] node 2: I am the leader' "$RUN/node-2.log" || fail "node 2 never said it leads"
grep -Eq '\[ELECTION\] node 1: (leader 3 missed heartbeats|lost the connection to leader 3)' "$RUN/node-1.log" \
  || fail "node 1 did not log the leader's failure"

log "round 2: node 2 leads"
round 2
for c in c1 c2 c3; do wait_received "$c" 30; done

log "restart node 3: it must take the lead back"
"$CLUSTER" restart 3 >/dev/null
wait_leader 3 40
round 3
for c in c1 c2 c3; do wait_received "$c" 45; done

for c in c1 c2 c3; do close_client "$c"; done
for pid in "${CLIENT_PIDS[@]}"; do
  wait_exit "$pid" 60 || fail "a client did not exit cleanly (status $?)"
done
for c in c1 c2 c3; do
  [ "$(grep -c '^ack ' "$RUN/$c.rec")" = 15 ] || fail "$c has $(grep -c '^ack ' "$RUN/$c.rec") acks, want 15"
  grep -q '^\[rec\]\[ts=[0-9]*\] from c[123]: round 3 line 5' "$RUN/$c.out" || fail "$c did not print in the seed's format"
done
check_history "$RUN"/c1.rec "$RUN"/c2.rec "$RUN"/c3.rec
log "ok"
