#!/usr/bin/env bash
# Membership changes while a client sends (docs/ELECTION.md "Membership
# changes"): 3 nodes; tools/cluster.sh add starts node 4 and makes it a
# member, and node 4, the highest id, takes the lead after the hold-down
# by the fail-back hand-over; tools/cluster.sh remove 1 takes node 1 out
# and stops it; a restarted node keeps the log's configuration, not its
# --peers.  Every STATUS then says members 2,3,4, and the history checker
# finds nothing lost or doubled.  The sender and the listener know only
# nodes 1-3 (--servers): they learn node 4 from the leader's WELCOME, and
# stop using node 1 once it is removed.
. "$(dirname "$0")/lib.sh"

export ZCHAT_NODE_FLAGS="--holddown-ms 1000"
BASE=$(pick_base 4)
"$CLUSTER" start 3 "$BASE" >/dev/null
SERVERS=$("$CLUSTER" servers)
wait_leader 3

start_client s1
start_listener watch
wait_following s1 watch
SERVERS="$SERVERS,127.0.0.1:$((BASE + 3))"     # for status: the clients know 1-3 only

members_of() {   # members_of ID: the committed members node ID reports
  status_json | grep -o "\"id\":$1,\"reachable\":true[^}]*" | grep -o '"members":\[[0-9,]*\]' \
    | sed 's/.*\[\(.*\)\]/\1/'
}
all_members() {   # all_members LIST IDS...: every node listed reports LIST
  local want=$1 i; shift
  for i in "$@"; do [ "$(members_of "$i")" = "$want" ] || return 1; done
}
all_members 1,2,3 1 2 3 || fail "the first members are not 1,2,3: $(status_json)"

TOTAL=3000
log "sending $TOTAL messages while node 4 is added and node 1 removed"
( for ((n = 1; n <= TOTAL; n++)); do echo "s1 $n"; [ $((n % 50)) = 0 ] && sleep 0.1; done ) >&"$fd_s1" &
LOOP=$!

sleep 1
"$CLUSTER" add >"$RUN/add.out" 2>&1 || fail "cluster.sh add failed: $(cat "$RUN/add.out")"
grep -q '^committed: add 4:' "$RUN/add.out" || fail "add said: $(cat "$RUN/add.out")"
wait_until 30 all_members 1,2,3,4 1 2 3 4 || fail "not every node reports 1,2,3,4: $(status_json)"
wait_leader 4 40
log "node 4 leads"

"$CLUSTER" remove 1 >"$RUN/remove.out" 2>&1 || fail "cluster.sh remove 1 failed: $(cat "$RUN/remove.out")"
grep -q '^committed: remove 1' "$RUN/remove.out" || fail "remove said: $(cat "$RUN/remove.out")"
kill -0 "$(node_pid 1)" 2>/dev/null && fail "node 1 still runs after remove"
wait_until 30 all_members 2,3,4 2 3 4 || fail "not every node reports 2,3,4: $(status_json)"
wait "$LOOP"

log "a restarted node keeps the log's configuration"
"$CLUSTER" restart 2 >/dev/null
wait_until 30 all_members 2,3,4 2 3 4 || fail "after a restart: $(status_json)"
grep -q 'membership:' "$RUN/node-2.log" || fail "node 2 never logged a membership change"
wait_leader 4 40

for c in s1 watch; do
  grep -q 'node 4 joined the cluster' "$RUN/$c.out" || fail "$c did not learn node 4: $(tail -n 5 "$RUN/$c.out")"
  grep -q 'node 1 is no longer a member' "$RUN/$c.out" || fail "$c did not drop node 1"
done

close_client s1
wait_exit "${CLIENT_PIDS[0]}" 90 || fail "the sender did not get every message acknowledged (status $?)"
acked=$(grep -c '^ack ' "$RUN/s1.rec")
log "$acked messages acknowledged"
[ "$acked" = "$TOTAL" ] || fail "$acked of $TOTAL acknowledged"
wait_received watch "$acked" 60
check_history "$RUN/s1.rec" "$RUN/watch.rec"
log "ok"
