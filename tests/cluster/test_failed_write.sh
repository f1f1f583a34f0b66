#!/usr/bin/env bash
# A failed log write acknowledges nothing (issue 9, item 9).  One node with
# --quorum 1 (its commit point is its own log end) writes into a file-size
# limit: once the disk refuses a write the node must stop without ACKing
# what it could not store, and after a restart without the limit every
# message a client saw acknowledged must still be in the log.
. "$(dirname "$0")/lib.sh"

BASE=$(pick_base 1)
SERVERS="127.0.0.1:$BASE"
DATA="$RUN/data-1"
# ulimit -f counts 1 KiB blocks; an ignored SIGXFSZ is inherited across exec,
# so writes past the limit fail with EFBIG instead of killing the node.
(
  trap '' XFSZ
  ulimit -f 192
  exec "$BIN/chat-node" --id 1 --port "$BASE" --quorum 1 --data-dir "$DATA"
) >"$RUN/node-1.log" 2>&1 &
NODE=$!
CLIENT_PIDS+=("$NODE")
node_up() { "$BIN/chat-client" status --servers "$SERVERS" --json --timeout-ms 400 2>/dev/null | grep -q '"role":"leader"'; }
wait_until 30 node_up || fail "the node did not start"

# Far more than 192 KiB of log: the node must hit the limit and stop.
seq 1 20000 | sed 's/^/a message long enough to fill the log quickly, number /' >"$RUN/lines"
spawn "$RUN/w.out" "$RUN/w.err" "$RUN/lines" \
    "$BIN/chat-client" --servers "$SERVERS" --name writer --record "$RUN/w.rec"
WRITER=${CLIENT_PIDS[-1]}
stopped() { ! kill -0 "$NODE" 2>/dev/null; }
wait_until 60 stopped || fail "the node kept running past its file-size limit"
grep -q "cannot write the log" "$RUN/node-1.log" || fail "the node did not say why it stopped"
sleep 0.5
kill -KILL "$WRITER" 2>/dev/null || true
acked=$(grep -c '^ack ' "$RUN/w.rec" || true)
max_seq=$(awk '$1=="ack"{ if ($4 > m) m = $4 } END { print m + 0 }' "$RUN/w.rec")
log "the node stopped after $acked acknowledged messages (highest seq $max_seq)"
[ "$acked" -gt 0 ] || fail "nothing was acknowledged before the disk filled: the test proves nothing"

# Restart without the limit: the log must hold every acknowledged seq.
"$BIN/chat-node" --id 1 --port "$BASE" --quorum 1 --data-dir "$DATA" >>"$RUN/node-1.log" 2>&1 &
CLIENT_PIDS+=($!)
wait_until 30 node_up || fail "the node did not restart"
last=$("$BIN/chat-client" status --servers "$SERVERS" --json --timeout-ms 400 | grep -o '"last_seq":[0-9]*' | head -1 | cut -d: -f2)
log "after the restart the log ends at seq $last"
[ "${last:-0}" -ge "$max_seq" ] || fail "acknowledged seqs up to $max_seq, but the log ends at ${last:-0}: acknowledged messages were lost"
log "ok"
