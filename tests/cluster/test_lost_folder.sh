#!/usr/bin/env bash
# A backup whose data folder was deleted (docs/ELECTION.md "Lost state").
# Restarted with default flags it finds no state and no log beside a
# cluster that has one, so it takes itself for a node that lost its data:
# it votes and claims nothing until the other members told it their
# epochs, counts in no vote until it holds a new leader's log, and catches
# up.  Then the same with --initial-cluster-state existing.  Each time the
# cluster keeps serving, and after each loss the other backup is killed:
# the leader and the rebuilt node carry on alone, nothing acknowledged
# lost (history checker).
. "$(dirname "$0")/lib.sh"

start_cluster 3
wait_leader 3
start_client c1
start_listener l1
wait_following c1 l1

sent=0
chat() {   # chat N: c1 says N more lines, all acknowledged and received
  local i
  for i in $(seq 1 "$1"); do sent=$((sent + 1)); say c1 "line $sent"; done
  wait_until 60 acked "$sent" || fail "c1 has $(grep -c '^ack ' "$RUN/c1.rec") acks, want $sent"
  wait_received l1 "$sent" 60
}
acked() { [ "$(grep -c '^ack ' "$RUN/c1.rec")" -ge "$1" ]; }

# lose_folder ID FLAGS...: kill the node, delete its data folder, start it
# again with FLAGS; it must recover, then follow the leader with its log
lose_folder() {
  local id=$1; shift
  "$CLUSTER" kill "$id" >/dev/null
  [ -d "$RUN/data/node-$id" ] || fail "no data folder $RUN/data/node-$id"
  rm -rf "$RUN/data/node-$id"
  log "node $id: data folder deleted, restarting ${*:-with default flags}"
  ZCHAT_NODE_FLAGS="$*" "$CLUSTER" restart "$id" >/dev/null
  recovered() { grep -q "\[ELECTION\] node $id: heard enough members: highest epoch" "$RUN/node-$id.log"; }
  wait_until 30 recovered || { tail -20 "$RUN/node-$id.log" >&2; fail "node $id never learned the cluster's epoch"; }
  trusted() { grep -q "\[ELECTION\] node $id: my log holds the leader's" "$RUN/node-$id.log"; }
  wait_until 30 trusted || { tail -20 "$RUN/node-$id.log" >&2; fail "node $id never voted again"; }
  log "node $id: $(grep -m1 "heard enough members" "$RUN/node-$id.log" | sed 's/.*\] //')"
}

log "round 1: all three"
chat 50

lose_folder 1
grep -q "no state, no log, but node [23] has a log: recovering" "$RUN/node-1.log" \
  || fail "node 1 did not take itself for a node that lost its data"
wait_leader 3 30
chat 50
# node 1 holds the whole log again: with node 2 gone, it and the leader
# commit on their own
"$CLUSTER" kill 2 >/dev/null
log "round 2: node 2 killed, leader 3 and the rebuilt node 1 carry on"
chat 50
"$CLUSTER" restart 2 >/dev/null
wait_leader 3 40

lose_folder 2 --initial-cluster-state existing
grep -q "\[ELECTION\] node 2: lost state: I vote once" "$RUN/node-2.log" \
  || fail "node 2 with existing did not wait for the members' epochs"
wait_leader 3 30
"$CLUSTER" kill 1 >/dev/null
log "round 3: node 1 killed, leader 3 and the rebuilt node 2 carry on"
chat 50

close_client c1
wait_received l1 "$sent" 30
check_history "$RUN"/c1.rec "$RUN"/l1.rec
log "ok: $sent messages, two lost folders"
