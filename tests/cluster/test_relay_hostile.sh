#!/usr/bin/env bash
# chat-relay and bad frames (docs/PROTOCOL.md §3.1): a chained relay whose
# upstream (zchat-relay-junk pub) publishes, around K good messages each
# sent twice, every kind of junk; and a listener's XSUB that sends the
# relay junk subscriptions.  The relay counts them as drops and goes on:
# its raw listener gets rseq 1..K once each, no junk beacon, and the
# relay exits 0 on SIGTERM.  The junk XSUB also subscribes one topic five
# times from one connection, then goes: the relay must unsubscribe it
# upstream (a count of subscribes would keep it forever).
. "$(dirname "$0")/lib.sh"
K=50

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 8000))
    port_free "$p" && ! grep -qx "$p" "$RUN/ports" 2>/dev/null && { echo "$p" >>"$RUN/ports"; echo "$p"; return; }
  done
  fail "no free port"
}
relay_said() { grep -q -- "$1" "$RUN/relay.err" 2>/dev/null; }
relay_stat() { grep 'stats ' "$RUN/relay.err" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }

UP=tcp://127.0.0.1:$(free_port); R=tcp://127.0.0.1:$(free_port)
spawn "$RUN/junk.out" "$RUN/junk.err" /dev/null "$BIN/zchat-relay-junk" pub "$UP" "$K"
junk_pid=${CLIENT_PIDS[-1]}
"$BIN/chat-relay" -v --stats-ms 300 --upstream-relay "$UP" --bind "$R" 2>"$RUN/relay.err" &
relay_pid=$!
CLIENT_PIDS+=($relay_pid)
wait_until 20 relay_said "serving" || fail "the relay did not start"

log "junk subscriptions from a listener's XSUB"
"$BIN/zchat-relay-junk" subs "$R" || fail "zchat-relay-junk subs failed"
sleep 0.5
kill -0 "$relay_pid" || fail "the relay died of junk subscriptions"
wait_until 10 relay_said "topic 'gamma': subscribed upstream" || fail "gamma was never subscribed"
wait_until 10 relay_said "topic 'gamma': unsubscribed upstream" \
  || fail "the relay kept gamma subscribed upstream after its only listener left"
d0=$(relay_stat dropped)
[ "${d0:-0}" -ge 20 ] || fail "the relay counted ${d0:-0} drops for 25 junk subscription frames"

log "a listener, and junk from upstream around $K good messages"
spawn "$RUN/raw.out" "$RUN/raw.err" /dev/null \
    "$BIN/zchat-sub" --connect "$R" --room alpha --record "$RUN/raw.rec" --beacons
raw_pid=${CLIENT_PIDS[-1]}
wait_exit "$junk_pid" 60 || fail "the junk publisher did not finish (nobody subscribed?)"
wait_received raw "$K" 20
sleep 0.5
kill -0 "$relay_pid" || fail "the relay died of junk"
kill -TERM "$raw_pid"
wait_exit "$raw_pid" 10 || true
got=$(grep '^recv ' "$RUN/raw.rec" | cut -d' ' -f3 | paste -sd,)
[ "$got" = "$(seq -s, 1 "$K")" ] || fail "the listener got rseqs $got"
grep -q " 0 beacons, 0 bad frames" "$RUN/raw.err" || fail "junk reached the listener: $(cat "$RUN/raw.err")"
sleep 0.4
log "relay: repeats $(relay_stat repeats), dropped $(relay_stat dropped), maps $(relay_stat maps)"
[ "$(relay_stat repeats)" -ge "$K" ] || fail "repeats not counted"
[ "$(relay_stat dropped)" -ge $((d0 + 7 * K)) ] || fail "only $(relay_stat dropped) drops counted"
[ "$(relay_stat maps)" = "$K" ] || fail "the relay republished $(relay_stat maps) maps, not $K"
kill -TERM "$relay_pid"
wait_exit "$relay_pid" 20 || fail "the relay did not exit cleanly (status $?)"
log "ok"
