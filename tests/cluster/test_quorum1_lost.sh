#!/usr/bin/env bash
# --quorum 1 trades the promise for availability (issue 11 item 4b): a
# leader acknowledges what only its own disk holds.  Here the backups are
# down while leader 3 acknowledges five lines, then node 3 dies and the
# backups come back: node 2 leads without those five.  (Frozen backups
# would not do: the kernel keeps taking the leader's APPENDs for them.)  The client must be told
# which of its acknowledged lines were lost, go on with its next lines
# (they are stored after the gap it declares), and exit 1; the room's
# history then holds the lines before and after, never the lost ones.
. "$(dirname "$0")/lib.sh"

export ZCHAT_NODE_FLAGS="--quorum 1"
start_cluster 3
wait_leader 3
start_client w
wait_following w
acks() { local n; n=$(grep -c '^ack ' "$RUN/w.rec" 2>/dev/null) || true; echo "${n:-0}"; }
has_acks() { [ "$(acks)" -ge "$1" ]; }

for i in 1 2 3; do say w "before $i"; done
wait_until 30 has_acks 3 || fail "the first lines were not acknowledged ($(acks))"
# Replicated to both backups before they stop (their last_seq reaches 3)
replicated() { [ "$(node_field 1 last_seq)" = 3 ] && [ "$(node_field 2 last_seq)" = 3 ]; }
wait_until 30 replicated || fail "the backups did not get the first lines"

"$CLUSTER" kill 1 >/dev/null
"$CLUSTER" kill 2 >/dev/null
for i in 1 2 3 4 5; do say w "unreplicated $i"; done
wait_until 30 has_acks 8 || fail "leader 3 alone did not acknowledge the lines ($(acks))"
"$CLUSTER" kill 3 >/dev/null
"$CLUSTER" restart 1 >/dev/null
"$CLUSTER" restart 2 >/dev/null
log "node 3 acknowledged 5 lines no backup held, and died"
wait_leader 2 60

for i in 1 2 3; do say w "after $i"; done
close_client w
rc=0
wait_exit "${CLIENT_PIDS[0]}" 120 || rc=$?
[ "$rc" = 1 ] || fail "chat-client exited with $rc, not 1 (acknowledged lines lost)"
grep -q '^\[info\] messages 4-8 were acknowledged, but the leader (node 2) does not hold them: lost in a leader change' \
  "$RUN/w.out" || fail "the client was not told which lines were lost: $(grep info "$RUN/w.out" || true)"
grep -q 'chat-client: 5 acknowledged line(s) lost in a leader change' "$RUN/w.err" \
  || fail "no closing line about the lost lines: $(cat "$RUN/w.err")"
[ "$(grep -c '^forgotten ' "$RUN/w.rec")" = 5 ] || fail "the record does not name the 5 lost ids"
[ "$(acks)" = 11 ] || fail "$(acks) of 11 lines acknowledged"

# What the cluster holds now: the lines before and after, in order
"$BIN/chat-client" --servers "$SERVERS" --listen --history 20 --count-exit 6 \
  --timeout-ms 20000 >"$RUN/history.out" 2>"$RUN/history.err" </dev/null \
  || fail "the history client failed: $(cat "$RUN/history.err")"
got=$(grep -o -E '(before|after|unreplicated) [0-9]' "$RUN/history.out" | tr '\n' ',')
[ "$got" = "before 1,before 2,before 3,after 1,after 2,after 3," ] \
  || fail "the room holds '$got'"
log "told of 4-8, went on: the room holds $got"
log "ok"
