#!/usr/bin/env bash
# A CURVE cluster (tools/cluster.sh start --secure: keys by chat-keygen).
# The seed scenario with security on: three nodes, three clients chatting,
# kill -9 of the leader, failover, return of node 3; the history checker
# passes.  Meanwhile, with zchat-hostile: a node certificate outside the
# trust folder cannot vote, a valid CLIENT key cannot send peer messages, a
# node's key cannot speak for another ID; a client without an allowed key
# gets nothing in or out, and nothing of a room reaches a plaintext SUB.
# Last, with --clients any, an unknown key may chat.  (Issue 9.)
. "$(dirname "$0")/lib.sh"
trap 'fail "a command failed at line $LINENO"' ERR   # set -e alone would exit without a word
[ -x "$BIN/chat-keygen" ] || fail "no chat-keygen in $BIN"

start_secure_cluster 3
wait_leader 3
P1=$(node_port 1) P2=$(node_port 2) P3=$(node_port 3)
MH=$(membership_hash 3)
E0=$(node_field 3 epoch)
[ -n "$E0" ] || fail "node 3 does not answer a CURVE STATUS with alice's key"
grep -q 'CURVE on every port' "$RUN/node-1.log" || fail "node 1 does not say it runs CURVE"
log "secure leader 3 at epoch $E0"

# A stranger: the cluster's public server key, and a key of its own that
# no node trusts (chat-client makes an ephemeral one).
mkdir -p "$RUN/stranger"
cp "$KEYS/client-alice/server.cert" "$RUN/stranger/"
start_listener_keys plainsub                       # plaintext SUB on every PUB
start_listener_keys strangersub "$RUN/stranger"    # CURVE with an unknown key

for c in alice bob carol; do start_client_keys "$c" "$KEYS/client-$c"; done
wait_following alice bob carol
round() {   # round N: every client says 5 lines
  local r=$1 c i
  for i in 1 2 3 4 5; do for c in alice bob carol; do say "$c" "round $r line $i from $c"; done; done
}
log "round 1: node 3 leads"
round 1
for c in alice bob carol; do wait_received "$c" 15; done
grep -q 'from bob: round 1 line 5' "$RUN/alice.out" || fail "alice does not show bob's name from his certificate"
log "carol's key with --name mallory: the others see carol"
printf 'who am i\n' | "$BIN/chat-client" --servers "$SERVERS" --keys "$KEYS/client-carol" --name mallory \
    --timeout-ms 20000 >"$RUN/mallory.out" 2>"$RUN/mallory.err" || fail "carol's key could not post: $(tail -n 2 "$RUN/mallory.err")"
wait_until 20 grep -q 'from carol: who am i' "$RUN/alice.out" \
  || fail "a client's name is not its certificate's: $(grep 'who am i' "$RUN/alice.out")"

# --- who may speak on the peer and heartbeat ports ---
unchanged() {
  sleep 0.5
  wait_until 5 cluster_is 3 "$E0" || fail "after '$1' the cluster moved: $(for i in 1 2 3; do node_status "$i"; done)"
}
denied_sum() { local s=0 i v; for i in 1 2 3; do v=$(node_field "$i" denied); s=$((s + ${v:-0})); done; echo "$s"; }
forged_sum() { local s=0 i v; for i in 1 2 3; do v=$(node_field "$i" forged); s=$((s + ${v:-0})); done; echo "$s"; }
claims() {   # claims CURVE-OPTIONS...: a claim at E0+1 in node 3's name and a PREVOTE, to nodes 1 and 2
  local p
  for p in $P1 $P2; do
    "$HOSTILE" "$@" --server-key "$KEYS/node-1/nodes/$((p - BASE + 1)).cert" --count 5 --wait-ms 0 \
        send $((p + 2000)) coordinator node=3 epoch=$((E0 + 1)) mh="$MH" lt=now >/dev/null
    "$HOSTILE" "$@" --server-key "$KEYS/node-1/nodes/$((p - BASE + 1)).cert" --count 2 --wait-ms 0 \
        send $((p + 2000)) prevote node=3 epoch=$((E0 + 1)) mh="$MH" >/dev/null
    "$HOSTILE" "$@" --server-key "$KEYS/node-1/nodes/$((p - BASE + 1)).cert" --count 3 --wait-ms 0 \
        send $((p + 2000)) coordinator node=3 epoch=$((E0 + 5000)) mh="$MH" lt=now >/dev/null
  done
}

log "plaintext claims (correct mh) to the CURVE peer ports, and a PING"
for p in $P1 $P2; do
  "$HOSTILE" --count 5 --wait-ms 0 send $((p + 2000)) coordinator node=3 epoch=$((E0 + 1)) mh="$MH" lt=now >/dev/null
  "$HOSTILE" --count 3 --wait-ms 0 send $((p + 2000)) coordinator node=3 epoch=max mh="$MH" lt=now >/dev/null
done
"$HOSTILE" --count 3 ping $((P3 + 3000)) node=2 epoch="$E0" mh="$MH" >"$RUN/plain-ping.out" 2>&1
grep -q 'pongs=0' "$RUN/plain-ping.out" || fail "a plaintext PING got PONGs: $(cat "$RUN/plain-ping.out")"
unchanged "plaintext claims"

log "a node certificate outside the trust folder (another cluster's node 3) cannot vote or claim"
"$BIN/chat-keygen" cluster "$RUN/other" --nodes 1,2,3 >/dev/null || fail "chat-keygen for the other cluster failed"
d0=$(denied_sum)
claims --cert "$RUN/other/node-3/node.cert"
"$HOSTILE" --cert "$RUN/other/node-3/node.cert" --server-key "$KEYS/node-1/nodes/1.cert" --entries 3 \
    --wait-ms 0 send $((P1 + 2000)) append node=3 epoch="$E0" mh="$MH" lt=now \
    prev_seq="$(node_field 1 last_seq)" prev_epoch="$E0" commit=0 last_seq=0 start_seq=0 >/dev/null
unchanged "a foreign node key"
[ "$(denied_sum)" -gt "$d0" ] || fail "no node counted the foreign node key as denied"
[ "$(node_field 1 last_seq)" -le "$(node_field 3 last_seq)" ] || fail "node 1 took entries from a foreign key"

log "a valid client key (alice's) cannot send peer messages or PINGs"
d0=$(denied_sum)
claims --cert "$KEYS/client-alice/client.cert"
"$HOSTILE" --cert "$KEYS/client-alice/client.cert" --server-key "$KEYS/node-1/nodes/3.cert" --count 5 \
    ping $((P3 + 3000)) node=2 epoch="$E0" mh="$MH" >"$RUN/client-ping.out" 2>&1
grep -q 'pongs=0' "$RUN/client-ping.out" || fail "a client key got PONGs on the heartbeat port: $(cat "$RUN/client-ping.out")"
unchanged "a client key on the peer port"
[ "$(denied_sum)" -gt "$d0" ] || fail "no node counted the client key on the peer port as denied"

log "node 1's own key cannot speak for node 3 (nor PING for node 2)"
f0=$(forged_sum)
claims --cert "$KEYS/node-1/node.cert"
"$HOSTILE" --cert "$KEYS/node-1/node.cert" --server-key "$KEYS/node-1/nodes/3.cert" --count 3 \
    ping $((P3 + 3000)) node=2 epoch="$E0" mh="$MH" >/dev/null 2>&1
unchanged "node 1's key in node 3's name"
[ "$(forged_sum)" -gt "$f0" ] || fail "no node counted node 1's key speaking for others as forged"

log "junk at every port: plaintext, then CURVE with a key nobody trusts"
ports=""
for i in 1 2 3; do p=$(node_port "$i"); ports+="${ports:+,}$p,$((p + 1000)),$((p + 2000)),$((p + 3000))"; done
"$HOSTILE" --seconds 2 --count 5000 --interval-ms 1 --seed 7 junk "$ports" >/dev/null 2>&1
"$HOSTILE" --seconds 2 --count 5000 --interval-ms 1 --seed 8 --curve-random \
    --server-key "$KEYS/client-alice/server.cert" junk "$ports" >/dev/null 2>&1
unchanged "junk"
round 1b
for c in alice bob carol; do wait_received "$c" 30; done

# --- the seed scenario goes on ---
log "kill -9 node 3"
"$CLUSTER" kill 3 >/dev/null
wait_leader 2
log "round 2: node 2 leads"
round 2
for c in alice bob carol; do wait_received "$c" 45; done
log "restart node 3: it must take the lead back"
"$CLUSTER" restart 3 >/dev/null
wait_leader 3 40
round 3
for c in alice bob carol; do wait_received "$c" 60; done

log "a client whose key no node allows cannot post, and hears nothing"
printf 'a stranger speaks\n' | "$BIN/chat-client" --servers "$SERVERS" --keys "$RUN/stranger" \
    --name stranger --timeout-ms 4000 >"$RUN/stranger.out" 2>"$RUN/stranger.err" &
stranger_pid=$!; CLIENT_PIDS+=($stranger_pid)
! "$HOSTILE" --curve-random --server-key "$KEYS/client-alice/server.cert" --wait-ms 1000 status "$P1" \
    >/dev/null 2>&1 || fail "a STATUS with an unknown client key got an answer"
! "$HOSTILE" --wait-ms 1000 status "$P1" >/dev/null 2>&1 || fail "a plaintext STATUS got an answer"
rc=0; wait_exit "$stranger_pid" 30 || rc=$?
[ "$rc" != 0 ] || fail "chat-client with an unknown key exited 0"
cat "$RUN/stranger.out" "$RUN/stranger.err" | grep -q 'refused our key' \
  || fail "the refused client did not say why: $(head -n 3 "$RUN/stranger.out" "$RUN/stranger.err")"

for c in alice bob carol; do close_client "$c"; done
for pid in "${CLIENT_PIDS[@]:2:3}"; do wait_exit "$pid" 60 || fail "a client did not exit cleanly (status $?)"; done
for c in alice bob carol; do
  [ "$(grep -c '^ack ' "$RUN/$c.rec")" = 20 ] || fail "$c has $(grep -c '^ack ' "$RUN/$c.rec") acks, want 20"
done
! grep -q 'a stranger speaks' "$RUN/alice.out" || fail "the stranger's line reached alice"
[ "$(received plainsub)" = 0 ] || fail "a plaintext SUB received $(received plainsub) messages"
[ "$(received strangersub)" = 0 ] || fail "a SUB with an unknown key received $(received strangersub) messages"
! grep -q 'round' "$RUN/plainsub.out" "$RUN/strangersub.out" || fail "room text reached a SUB without an allowed key"
check_history "$RUN"/alice.rec "$RUN"/bob.rec "$RUN"/carol.rec

log "--clients any: the same keys, and now the stranger may chat (encrypted)"
"$CLUSTER" stop >/dev/null
ZCHAT_NODE_FLAGS="--clients any ${ZCHAT_NODE_FLAGS:-}" "$CLUSTER" start --secure 3 "$BASE" >/dev/null
wait_leader 3 40
start_listener_keys anylisten "$KEYS/client-bob"
wait_following anylisten
printf 'hello from a key nobody listed\n' | "$BIN/chat-client" --servers "$SERVERS" --keys "$RUN/stranger" \
    --name stranger --timeout-ms 20000 >"$RUN/any.out" 2>"$RUN/any.err" &
any_pid=$!; CLIENT_PIDS+=($any_pid)
wait_exit "$any_pid" 40 || fail "the unknown key could not chat with --clients any: $(tail -n 3 "$RUN/any.err")"
wait_until 20 grep -q 'hello from a key nobody listed' "$RUN/anylisten.out" \
  || fail "bob did not receive the line sent with an unknown key under --clients any"
log "ok"
