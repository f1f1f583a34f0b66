#!/usr/bin/env bash
# Catch-up past retention (docs/PROTOCOL.md §5.8, docs/STORAGE.md
# "Retention"): with --retain-mb 1 the leader retires old segments even
# while a backup is down (retention no longer waits for it), and the
# backup, restarted behind the leader's oldest entry, gets the leader's
# snapshot, then the rest by APPEND.  The leader is killed right after:
# the caught-up backup leads, nothing acknowledged is lost.  Then a node
# whose data folder was deleted is caught up the same way.
. "$(dirname "$0")/lib.sh"

export ZCHAT_NODE_FLAGS="--retain-mb 1"
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
  wait_received l1 "$((sent + filled))" 90
}
acked() { [ "$(grep -c '^ack ' "$RUN/c1.rec")" -ge "$1" ]; }
filled=0
fill() {   # fill NAME N: another client sends N filler lines, all acknowledged
  seq 1 "$2" | sed "s/^/filler $1 message number /" | "$BIN/chat-client" --servers "$SERVERS" \
      --name "$1" --record "$RUN/$1.rec" >/dev/null 2>"$RUN/$1.err" \
    || fail "$1 could not send: $(cat "$RUN/$1.err")"
  [ "$(grep -c '^ack ' "$RUN/$1.rec")" = "$2" ] || fail "not every $1 message was acknowledged"
  filled=$((filled + $2))
}
first_seq() { ls "$RUN/data/node-$1" | grep -m1 '^log-' | sed 's/log-0*\([0-9]*\)\.seg/\1/'; }
same_last() { local a b; a=$(node_field "$1" last_seq); b=$(node_field "$2" last_seq); [ -n "$a" ] && [ "$a" = "$b" ]; }
installed() { grep -q "installed the leader's snapshot" "$RUN/node-$1.log"; }

chat 20
wait_until 30 same_last 2 3 || fail "node 2 did not catch up before the test"
down_last=$(node_field 2 last_seq)
"$CLUSTER" kill 2 >/dev/null
log "round 1: node 2 killed at seq $down_last; the leader retires while it is down"
fill filler1 12000
retired() { local f; f=$(first_seq 3); [ -n "$f" ] && [ "$f" -gt $((down_last + 1)) ]; }
wait_until 40 retired \
  || fail "leader retired past the dead peer: no (node 3's log starts at $(first_seq 3), node 2 needs $((down_last + 1)))"
log "ok: the leader retired past the dead peer (its log starts at $(first_seq 3), node 2 needs $((down_last + 1)))"
chat 10

"$CLUSTER" restart 2 >/dev/null
wait_until 60 installed 2 || { tail -20 "$RUN/node-2.log" >&2; fail "node 2 installed no snapshot"; }
wait_until 60 same_last 2 3 || fail "node 2 did not catch up: last_seq $(node_field 2 last_seq), leader $(node_field 3 last_seq)"
log "node 2: $(grep -m1 "installed the leader's snapshot" "$RUN/node-2.log" | sed 's/.*: installed/installed/'); last_seq $(node_field 2 last_seq)"
[ "$(node_field 2 forged)" = 0 ] || fail "node 2 refused $(node_field 2 forged) peer messages"

# Right after: the leader dies; the caught-up node 2 (the highest left) leads
"$CLUSTER" kill 3 >/dev/null
log "round 2: leader 3 killed; node 2 must lead with nothing lost"
wait_leader 2 40
chat 20

# A node whose data folder was deleted.  Node 3 comes back and takes the
# lead again (the highest id: a hand-over); its log starts above 1.
"$CLUSTER" restart 3 >/dev/null
wait_leader 3 60
wait_until 60 same_last 3 2 || fail "node 3 did not rejoin"
chat 10
"$CLUSTER" kill 1 >/dev/null
rm -rf "$RUN/data/node-1"
log "round 3: node 1's data folder deleted; leader 3's log starts at $(first_seq 3)"
[ "$(first_seq 3)" -gt 1 ] || fail "leader 3 holds its whole log: nothing to snapshot"
ZCHAT_NODE_FLAGS="--retain-mb 1 --initial-cluster-state existing" "$CLUSTER" restart 1 >/dev/null
wait_until 60 installed 1 || { tail -20 "$RUN/node-1.log" >&2; fail "node 1 installed no snapshot"; }
trusted() { grep -q "\[ELECTION\] node 1: my log holds the leader's" "$RUN/node-1.log"; }
wait_until 60 trusted || { tail -20 "$RUN/node-1.log" >&2; fail "node 1 never voted again"; }
wait_until 60 same_last 1 3 || fail "node 1 did not catch up: last_seq $(node_field 1 last_seq)"
log "node 1 caught up: last_seq $(node_field 1 last_seq)"
# With node 2 gone, leader 3 and the rebuilt node 1 commit on their own
"$CLUSTER" kill 2 >/dev/null
chat 20

close_client c1
wait_received l1 "$((sent + filled))" 60
check_history "$RUN"/c1.rec "$RUN"/filler1.rec "$RUN"/l1.rec
log "ok: $sent + $filled messages, two catch-ups by snapshot"
