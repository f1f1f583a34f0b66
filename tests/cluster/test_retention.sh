#!/usr/bin/env bash
# Retention: with --retain-mb 1 the nodes drop old log segments, yet a room's
# rseq and the clients' dedup survive it and a full restart; a client asking
# for history gets what remains.
. "$(dirname "$0")/lib.sh"

export ZCHAT_NODE_FLAGS="--retain-mb 1"
start_cluster 3
wait_leader 3
seq 1 12000 | sed 's/^/filler message number /' | "$BIN/chat-client" --servers "$SERVERS" --name filler \
    --record "$RUN/filler.rec" >/dev/null 2>"$RUN/filler.err" || fail "filler could not send: $(cat "$RUN/filler.err")"
[ "$(grep -c '^ack ' "$RUN/filler.rec")" = 12000 ] || fail "not every filler message was acknowledged"

log_bytes() { du -sb "$RUN/data/node-$1" | cut -f1; }
small() { [ "$(log_bytes 3)" -lt 1800000 ] && [ "$(log_bytes 1)" -lt 1800000 ]; }
wait_until 40 small || fail "retention did not shrink the logs: $(log_bytes 1) $(log_bytes 3) bytes"
first=$(ls "$RUN/data/node-3" | grep -m1 '^log-' | sed 's/log-0*\([0-9]*\)\.seg/\1/')
log "node 3's log now starts at seq $first"
[ "$first" -gt 1 ] || fail "nothing was retired"

log "full restart"
"$CLUSTER" stop >/dev/null
"$CLUSTER" start 3 "$BASE" >/dev/null
wait_leader 3 40

# The room's numbering continues, and history is what remains.
echo "after restart" | "$BIN/chat-client" --servers "$SERVERS" --name late --record "$RUN/late.rec" \
    >/dev/null 2>&1 || fail "could not send after the restart"
grep -q '^ack .* 12001 ' "$RUN/late.rec" || fail "seq did not continue: $(grep '^ack' "$RUN/late.rec")"
"$BIN/chat-client" --servers "$SERVERS" --listen --history 5 --count-exit 5 --record "$RUN/hist.rec" \
    >"$RUN/hist.out" 2>&1 &
CLIENT_PIDS+=($!)
wait_exit "${CLIENT_PIDS[-1]}" 30 || fail "history listener did not get 5 messages: $(cat "$RUN/hist.out")"
awk '$1=="recv"{print $3}' "$RUN/hist.rec" | tr '\n' ' ' | grep -q '^11997 11998 11999 12000 12001 $' \
  || fail "history rseqs wrong: $(awk '$1=="recv"{print $3}' "$RUN/hist.rec" | tr '\n' ' ')"
log "ok"
