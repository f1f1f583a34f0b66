#!/usr/bin/env bash
# chat-relay on a CURVE cluster (docs/PROTOCOL.md "Relays", §8): the relay
# speaks CURVE upstream with a client key (--keys, as chat-client) and to
# its listeners with the cluster's server key (--serve-keys).  A CURVE
# listener of the relay (zchat-sub --keys, chat-client --relay --keys)
# gets every message; a CURVE listener whose key is not among the
# cluster's clients (an ephemeral key) gets nothing, as from a node; a
# plaintext SUB of the relay gets nothing; a relay without --keys gets
# nothing of the cluster and says why.
. "$(dirname "$0")/lib.sh"
[ -x "$BIN/chat-keygen" ] || fail "no chat-keygen in $BIN"
N=200

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 8000))
    port_free "$p" && ! grep -qx "$p" "$RUN/ports" 2>/dev/null && { echo "$p" >>"$RUN/ports"; echo "$p"; return; }
  done
  fail "no free port for a relay"
}
start_relay() {   # start_relay NAME ARGS...
  local name=$1; shift
  "$BIN/chat-relay" -v --stats-ms 500 "$@" 2>"$RUN/$name.err" &
  CLIENT_PIDS+=($!)
  eval "pid_$name=$!"
}
relay_said() { grep -q -- "$2" "$RUN/$1.err" 2>/dev/null; }
wait_relay() {
  wait_until 30 relay_said "$1" "$2" || { cat "$RUN/$1.err" >&2; fail "$1 never said: $2"; }
}
raw_listener() {  # raw_listener NAME ENDPOINT ROOM [KEYDIR]
  local keys=()
  [ -n "${4:-}" ] && keys=(--keys "$4")
  spawn "$RUN/$1.out" "$RUN/$1.err" /dev/null \
      "$BIN/zchat-sub" --connect "$2" --room "$3" --record "$RUN/$1.rec" "${keys[@]}"
}

start_secure_cluster 3
wait_leader 3
R=tcp://127.0.0.1:$(free_port); RP=tcp://127.0.0.1:$(free_port)
start_relay r --servers "$SERVERS" --keys "$KEYS/client-alice" --serve-keys "$KEYS/node-1" --bind "$R"
start_relay rplain --servers "$SERVERS" --bind "$RP"
wait_relay r "CURVE upstream, CURVE listeners"

raw_listener curvesub "$R" general "$KEYS/client-bob"
raw_listener plainsub "$R" general
mkdir -p "$RUN/stranger"
cp "$KEYS/client-bob/server.cert" "$RUN/stranger/"      # an ephemeral client key
raw_listener stranger "$R" general "$RUN/stranger"
raw_listener viaplain "$RP" general
spawn "$RUN/carol.out" "$RUN/carol.err" /dev/null \
    "$BIN/chat-client" --servers "$SERVERS" --keys "$KEYS/client-carol" --relay "$R" --listen \
    --name carol --record "$RUN/carol.rec"
wait_relay r "a listener subscribed to 'general' (2 now)"
wait_relay r "room general: delivery starts after seq"
wait_relay rplain "room general: subscribed upstream"
wait_following carol

log "alice sends $N messages; the CURVE listeners of the relay get them"
start_client_keys alice "$KEYS/client-alice"
for i in $(seq 1 $N); do echo "line $i"; done >&"$fd_alice"
close_client alice
wait_exit "${CLIENT_PIDS[-1]}" 60 || fail "alice did not get every message acknowledged"
wait_received curvesub $N 60
wait_received carol $N 60
check_history "$RUN"/alice.rec "$RUN"/curvesub.rec "$RUN"/carol.rec
sleep 1
[ "$(received plainsub)" = 0 ] || fail "a plaintext SUB got $(received plainsub) messages from a CURVE relay"
[ "$(received stranger)" = 0 ] || fail "a listener with an unknown client key got $(received stranger) messages from the relay"
[ "$(received viaplain)" = 0 ] || fail "a relay without --keys relayed $(received viaplain) messages of a CURVE cluster"
wait_relay rplain "cannot talk to the node"
log "relay without --keys: $(grep -m1 'cannot talk' "$RUN/rplain.err" | cut -c1-150)"
kill -TERM "$pid_r" "$pid_rplain"
wait_exit "$pid_r" 20 || fail "the relay did not exit cleanly"
log "ok"
