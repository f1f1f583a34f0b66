#!/usr/bin/env bash
# chat-relay (docs/PROTOCOL.md "Relays"): 3 nodes; relays R1 and R2 on the
# cluster, R3 chained behind both (--upstream-relay R1,R2: every message
# reaches it twice, its rseq filter keeps one).  Listeners: raw SUBs
# (zchat-sub: no dedupe, no repair, so the record is the relay's stream
# itself) and chat-client --relay on R1 and R3, and one chat-client
# direct.  Two senders send 2 x N messages in rooms alpha and beta while
# the leader is killed mid-way.  zchat-check: every listener has every
# message of its room once, in order.  R2 serves only alpha (only R3's
# alpha listeners reach it): its stats say so and count exactly the
# alpha messages.  R1 serves 2 rooms at most: a gamma listener is refused
# until beta's last listener on R1 goes; then R1 unsubscribes beta and
# serves gamma.
. "$(dirname "$0")/lib.sh"

N=${RELAY_TEST_N:-1500}
RELAY_PIDS=()

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 8000))
    port_free "$p" && ! grep -qx "$p" "$RUN/ports" 2>/dev/null && { echo "$p" >>"$RUN/ports"; echo "$p"; return; }
  done
  fail "no free port for a relay"
}

start_relay() {   # start_relay NAME ARGS...: a chat-relay, its stderr in RUN/NAME.err
  local name=$1; shift
  "$BIN/chat-relay" -v --stats-ms 500 "$@" 2>"$RUN/$name.err" &
  RELAY_PIDS+=($!)
  CLIENT_PIDS+=($!)
  eval "pid_$name=$!"
}
relay_said() { grep -q -- "$2" "$RUN/$1.err" 2>/dev/null; }
wait_relay() {    # wait_relay NAME PATTERN
  wait_until 30 relay_said "$1" "$2" || { cat "$RUN/$1.err" >&2; fail "$1 never said: $2"; }
}
# The last stats line of a relay, one field
relay_stat() { grep 'stats ' "$RUN/$1.err" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }

raw_listener() {  # raw_listener NAME ENDPOINTS ROOM
  spawn "$RUN/$1.out" "$RUN/$1.err" /dev/null \
      "$BIN/zchat-sub" --connect "$2" --room "$3" --record "$RUN/$1.rec"
  eval "pid_$1=${CLIENT_PIDS[-1]}"
}
relay_listener() {  # relay_listener NAME ENDPOINT ROOM: chat-client --listen --relay
  spawn "$RUN/$1.out" "$RUN/$1.err" /dev/null \
      "$BIN/chat-client" --servers "$SERVERS" --relay "$2" --listen --room "$3" --name "$1" \
      --record "$RUN/$1.rec"
  eval "pid_$1=${CLIENT_PIDS[-1]}"
}
room_client() {   # room_client NAME ROOM: a sender fed through a FIFO
  local name=$1
  mkfifo "$RUN/$name.in"
  spawn "$RUN/$name.out" "$RUN/$name.err" "$RUN/$name.in" \
      "$BIN/chat-client" --servers "$SERVERS" --room "$2" --name "$name" --record "$RUN/$name.rec"
  eval "exec {fd_$name}>\"$RUN/$name.in\""
  local fd_var="fd_$name"
  FIFO_FDS+=("${!fd_var}")
}

start_cluster 3
wait_leader 3
P1=$(free_port); P2=$(free_port); P3=$(free_port)
R1=tcp://127.0.0.1:$P1; R2=tcp://127.0.0.1:$P2; R3=tcp://127.0.0.1:$P3

log "relays: R1 $R1 and R2 $R2 on the cluster, R3 $R3 behind both"
start_relay r1 --servers "$SERVERS" --bind "$R1" --max-rooms 2
start_relay r2 --servers "$SERVERS" --bind "$R2"
start_relay r3 --upstream-relay "$R1,$R2" --bind "$R3"
for r in r1 r2 r3; do wait_relay "$r" "serving"; done

# R3's listeners first: R3 subscribes alpha on R1 and R2, which are then
# their first alpha listener (R2's only one)
raw_listener raw3a "$R3" alpha
relay_listener cl3a "$R3" alpha
wait_relay r3 "a listener subscribed to 'alpha' (2 now)"
for r in r1 r2; do wait_relay "$r" "room alpha: delivery starts after seq"; done
raw_listener raw1a "$R1" alpha
raw_listener raw1b "$R1" beta
relay_listener cl1b "$R1" beta
wait_relay r1 "a listener subscribed to 'alpha' (2 now)"
wait_relay r1 "a listener subscribed to 'beta' (2 now)"
wait_relay r1 "room beta: delivery starts after seq"
# A third room is one too many for R1 (--max-rooms 2): refused, for now
raw_listener raw1g "$R1" gamma
wait_relay r1 "room gamma: not served, 2 rooms already"
spawn "$RUN/dalpha.out" "$RUN/dalpha.err" /dev/null \
    "$BIN/chat-client" --servers "$SERVERS" --listen --room alpha --name dalpha --record "$RUN/dalpha.rec"
room_client sa alpha
room_client sb beta
wait_following cl3a cl1b dalpha sa sb

log "$N messages in each room; the leader (node 3) is killed mid-way"
send() {   # send NAME: N lines, 25 at a time
  local fd_var="fd_$1" i
  ( for ((i = 1; i <= N; i++)); do echo "$1 $i"; [ $((i % 25)) = 0 ] && sleep 0.03; done ) >&"${!fd_var}" &
  LOOPS+=($!)
}
acked() { local n; n=$(grep -c '^ack ' "$RUN/$1.rec" 2>/dev/null) || true; echo "${n:-0}"; }
has_acked() { [ "$(acked "$1")" -ge "$2" ]; }
LOOPS=()
send sa; send sb
wait_until 60 has_acked sa $((N / 3)) || fail "sa: only $(acked sa) acked"
"$CLUSTER" kill 3 >/dev/null
log "node 3 killed at $(acked sa) acked in alpha"
for p in "${LOOPS[@]}"; do wait "$p"; done
close_client sa; close_client sb
wait_until 120 has_acked sa "$N" || fail "alpha: $(acked sa) of $N acknowledged"
wait_until 120 has_acked sb "$N" || fail "beta: $(acked sb) of $N acknowledged"
wait_leader 2 40
for r in r1 r2; do wait_relay "$r" "room alpha: leader is node 2"; done
wait_relay r1 "room beta: leader is node 2"

for l in raw1a raw3a cl3a dalpha; do wait_received "$l" "$N" 90; done
for l in raw1b cl1b; do wait_received "$l" "$N" 90; done
sleep 1                              # anything extra (a repeat) would come now
log "history check: senders, raw and chat-client listeners on R1, R3, direct"
check_history "$RUN"/sa.rec "$RUN"/sb.rec "$RUN"/raw1a.rec "$RUN"/raw1b.rec "$RUN"/raw3a.rec \
              "$RUN"/cl1b.rec "$RUN"/cl3a.rec "$RUN"/dalpha.rec
for l in raw1a raw1b raw3a; do
  [ "$(received "$l")" = "$N" ] || fail "$l has $(received "$l") recv lines for $N messages"
done

# R2 serves alpha only, and has relayed exactly alpha's messages
sleep 0.6
[ "$(relay_stat r2 upstream)" = "alpha" ] || fail "R2 subscribed upstream to '$(relay_stat r2 upstream)', not alpha only"
[ "$(relay_stat r2 maps)" = "$N" ] || fail "R2 relayed $(relay_stat r2 maps) messages, alpha has $N"
[ "$(relay_stat r3 repeats)" -ge "$N" ] || fail "R3 dropped only $(relay_stat r3 repeats) repeats (it hears every message twice)"
log "R1 $(relay_stat r1 upstream), R2 $(relay_stat r2 upstream), R3 repeats $(relay_stat r3 repeats), dropped r1 $(relay_stat r1 dropped) r2 $(relay_stat r2 dropped) r3 $(relay_stat r3 dropped)"

log "beta's listeners leave R1: it unsubscribes upstream"
kill -TERM "$pid_raw1b" "$pid_cl1b"
wait_relay r1 "room beta: unsubscribed upstream (last listener gone), $N messages relayed"
sleep 0.6
# beta's slot went to gamma, refused before
wait_relay r1 "room gamma: subscribed upstream"
[ "$(relay_stat r1 upstream)" = "alpha,gamma" ] || fail "R1 subscribed upstream to '$(relay_stat r1 upstream)', not alpha,gamma"

log "SIGTERM: every relay exits 0"
for r in r1 r2 r3; do
  pid_var="pid_$r"
  kill -TERM "${!pid_var}"
  wait_exit "${!pid_var}" 20 || fail "$r did not exit cleanly (status $?)"
  relay_said "$r" "stopped (SIGTERM)" || fail "$r did not say it stopped"
done
log "ok"
