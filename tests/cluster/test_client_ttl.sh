#!/usr/bin/env bash
# The client limits (docs/STORAGE.md "Retention"): with tiny retention,
# --client-ttl 1 and --max-client-ids 50, 300 one-message clients leave at
# most ~50 client lines in every node's retired.state once retention has
# run; and a long-lived client that went quiet past the TTL (the cluster
# forgot its id) posts again and carries on: acknowledged, told so in one
# [info] line, exit 0, and zchat-check passes on its record.
. "$(dirname "$0")/lib.sh"

export ZCHAT_NODE_FLAGS="--retain-mb 1 --client-ttl 1 --max-client-ids 50"
start_cluster 3
wait_leader 3

start_client long
say long "before the quiet 1"
say long "before the quiet 2"
acks() { local n; n=$(grep -c '^ack ' "$RUN/$1.rec" 2>/dev/null) || true; echo "${n:-0}"; }
has_acks() { [ "$(acks "$1")" -ge "$2" ]; }
wait_until 30 has_acks long 2 || fail "long: $(acks long) of 2 acknowledged"
long_id=$(awk '$1 == "ack" { print $2; exit }' "$RUN/long.rec")
log "long-lived client $long_id"

# (fifteen runs of 20: one zchat-bench holds only so many sockets)
for run in $(seq 1 15); do
  "$BIN/zchat-bench" --servers "$SERVERS" --senders 20 --subscribers 0 --count 1 --room short \
      >"$RUN/short$run.out" 2>&1 || fail "20 short clients: $(tail -3 "$RUN/short$run.out")"
done
# Enough log (2 senders x 6000 x 200 bytes) that retention retires the
# stretch holding every client's entries
"$BIN/zchat-bench" --servers "$SERVERS" --senders 2 --subscribers 0 --count 6000 --size 200 \
    --room filler >"$RUN/filler.out" 2>&1 || fail "filler: $(tail -3 "$RUN/filler.out")"

client_lines() { local n; n=$(grep -c "^client " "$RUN/data/node-$1/retired.state" 2>/dev/null) || true; echo "${n:-0}"; }
forgotten_everywhere() {
  local i
  for i in 1 2 3; do
    [ -f "$RUN/data/node-$i/retired.state" ] || return 1
    grep -q "^client $long_id " "$RUN/data/node-$i/retired.state" && return 1
    [ "$(client_lines "$i")" -le 55 ] || return 1
    # its entries were retired, not merely never written down
    grep -q '^base ' "$RUN/data/node-$i/retired.state" || return 1
  done
}
wait_until 90 forgotten_everywhere \
  || fail "retired.state not bounded: $(client_lines 1) $(client_lines 2) $(client_lines 3) client lines"
log "retired.state client lines: $(client_lines 1) $(client_lines 2) $(client_lines 3)"

say long "after the quiet"
wait_until 30 has_acks long 3 || fail "long after the quiet: $(acks long) of 3 acknowledged: $(cat "$RUN/long.err")"
close_client long
wait_exit "${CLIENT_PIDS[0]}" 30 || fail "long exited $?: $(cat "$RUN/long.err")"
grep -q '^\[info\] the cluster no longer remembers' "$RUN/long.out" \
  || fail "no expired info line: $(cat "$RUN/long.out")"
[ "$(grep -c 'no longer remembers' "$RUN/long.out")" = 1 ] || fail "more than one expired line"
grep -q 'lost in a leader change' "$RUN/long.out" "$RUN/long.err" && fail "told as a loss"
check_history "$RUN/long.rec"
log "ok"
