#!/usr/bin/env bash
# A client that starts while the highest node is down finds the leader (2)
# on its own, even though node 3 is first in nothing and unreachable.
. "$(dirname "$0")/lib.sh"

start_cluster 3
wait_leader 3
"$CLUSTER" kill 3 >/dev/null
wait_leader 2
start_listener watcher
wait_following watcher
printf 'one\ntwo\nthree\n' | "$BIN/chat-client" --servers "$SERVERS" --name late \
    --record "$RUN/late.rec" >"$RUN/late.out" 2>&1 || fail "the client could not send: $(cat "$RUN/late.out")"
wait_received watcher 3
[ "$(grep -c '^ack ' "$RUN/late.rec")" = 3 ] || fail "expected 3 acks"
check_history "$RUN"/late.rec "$RUN"/watcher.rec
log "ok"
