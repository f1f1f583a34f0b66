#!/usr/bin/env bash
# Hostile input never hurts (issue 9).  A 3-node cluster; clients chat
# with --record while zchat-hostile (tests/tools/zchat_hostile.c) throws, in
# plaintext, what an outsider who knows the public ids and ports can:
# junk frames and the wrong message types at every port, replayed
# old-epoch COORDINATORs, claims at epoch 2^64-1, forged APPEND and
# APPEND_ACK in members' names, a POST at ts 2^53-1, a POST with a victim's
# client id, 150 unread FETCHes, a flood from one client and forged PINGs.
# Afterwards: the chat went on and the history checker passes, the leader
# and epoch did not change (but for the bounded step forged far claims may
# cause without keys: the epoch phase), the flood was refused with
# slow_down, and the nodes counted what they dropped.
#
# Each attack is one phase; HOSTILE_ONLY="phase ..." runs only those (to
# show one issue item failing on old code).  Items of issue 9 each phase
# checks: epoch (1), poison (2), victim (3), fetch (4), forge (5, 7), pings (10).
# Every phase fails on 1c63140.
#
# Found by this test (fixed in 0754d4b): one frame from a DEALER on the
# heartbeat REP wedged the node for good (junk), and one COORDINATOR in the
# leader's name at an old epoch made it re-elect (replay).
. "$(dirname "$0")/lib.sh"
trap 'fail "a command failed at line $LINENO"' ERR   # set -e alone would exit without a word

PHASES=${HOSTILE_ONLY:-"junk replay epoch forge victim poison fetch flood pings"}
want() { [[ " $PHASES " == *" $1 "* ]]; }

# Backups suspect a frozen leader after 1 s, not 0.3 s: the forge phase
# freezes it for a moment, and that must not cost an election.
export ZCHAT_NODE_FLAGS="--misses 10 ${ZCHAT_NODE_FLAGS:-}"
start_cluster 3
wait_leader 3
P1=$(node_port 1) P2=$(node_port 2) P3=$(node_port 3)
MH=$(membership_hash 3)
[ "$(membership_hash 1)" = "$MH" ] || fail "members compute different membership hashes"
E0=$(node_field 3 epoch)
[ -n "$E0" ] || fail "node 3 does not answer STATUS"
log "leader 3 at epoch $E0, mh $MH"

start_client c1
start_client c2
start_listener watch
wait_following c1 c2 watch
sent=0
chat() {   # chat N: each client says N lines; waits until the listener has them all
  local i
  for ((i = 1; i <= $1; i++)); do say c1 "c1 line $sent.$i"; say c2 "c2 line $sent.$i"; done
  sent=$((sent + 2 * $1))
  wait_received watch "$sent" 40
}
chat 5

# The leader and epoch must not move while outsiders try.
unchanged() {
  wait_until 5 cluster_is 3 "$E0" \
    || fail "after '$1' the cluster moved: $(for i in 1 2 3; do node_status "$i"; done)"
}

if want junk; then
  # Found by this test: one frame from a DEALER (no empty delimiter) on the
  # heartbeat REP made POLLIN true, and the node's loop then blocked for
  # good in a receive that libzmq had nothing for.
  log "junk: one DEALER frame on every heartbeat REP"
  for i in 1 2 3; do "$HOSTILE" --wait-ms 0 send $(($(node_port "$i") + 3000)) status >/dev/null; done
  for i in 1 2 3; do
    wait_until 5 test -n "$(node_status "$i")" || fail "node $i stopped answering after one frame on its heartbeat port"
  done
  log "junk: random, malformed and multi-frame frames, wrong types, raw TCP, at all 12 ports"
  ports=""
  for i in 1 2 3; do p=$(node_port "$i"); ports+="${ports:+,}$p,$((p + 1000)),$((p + 2000)),$((p + 3000))"; done
  "$HOSTILE" --seconds 4 --count 20000 --interval-ms 1 --seed 9 junk "$ports" >"$RUN/junk.out" 2>&1 &
  junk_pid=$!; CLIENT_PIDS+=($junk_pid)
  chat 10
  wait_exit "$junk_pid" 30 || fail "zchat-hostile junk did not finish"
  chat 2
  unchanged junk
fi

if want replay; then
  log "replay: old-epoch COORDINATORs and ELECTIONs in every member's name"
  old=$((E0 > 0 ? E0 - 1 : 0))
  for p in $P1 $P2 $P3; do
    for n in 1 2 3; do
      "$HOSTILE" --count 5 --wait-ms 0 send $((p + 2000)) coordinator node=$n epoch=$old mh="$MH" lt=now >/dev/null
    done
  done
  chat 2
  unchanged replay
fi

if want epoch; then
  # Issue 9 item 1: a COORDINATOR at 2^64-1 was persisted by every node;
  # epoch+1 then wrapped and no node ever led again.  Without keys a forger
  # may still move the epoch within the jump bound (a claim at E+1 in the
  # leader's name is as good as a real one: docs/ELECTION.md), so what this
  # plaintext test asks is that nothing wraps or runs out, the leader stays,
  # and the move is bounded; test_secure.sh asks for no move at all.
  log "epoch: COORDINATOR at E+5000 and at 2^64-1 in node 3's name, PREVOTE and ELECTION at 2^64-1"
  for p in $P1 $P2; do
    "$HOSTILE" --count 20 --wait-ms 0 send $((p + 2000)) coordinator node=3 epoch=$((E0 + 5000)) mh="$MH" lt=now >/dev/null
    "$HOSTILE" --count 3 --wait-ms 0 send $((p + 2000)) coordinator node=3 epoch=max mh="$MH" lt=now >/dev/null
    "$HOSTILE" --count 3 --wait-ms 0 send $((p + 2000)) prevote node=3 epoch=max mh="$MH" >/dev/null
  done
  "$HOSTILE" --count 3 --wait-ms 0 send $((P3 + 2000)) election node=1 epoch=max mh="$MH" >/dev/null
  "$HOSTILE" --count 3 --wait-ms 0 send $((P3 + 2000)) coordinator node=2 epoch=max mh="$MH" lt=now >/dev/null
  sleep 1
  wait_leader 3 20
  E1=$(node_field 3 epoch)
  [ -n "$E1" ] && [ "$E1" -lt $((E0 + 3000)) ] \
    || fail "forged claims moved the epoch from $E0 to ${E1:-?}: $(for i in 1 2 3; do node_status "$i"; done)"
  wait_until 5 cluster_is 3 "$E1" || fail "the nodes do not agree on leader 3 at epoch $E1: $(for i in 1 2 3; do node_status "$i"; done)"
  [ "$E1" = "$E0" ] || log "epoch: moved $E0 -> $E1 (bounded)"
  E0=$E1
  chat 2
fi

if want forge; then
  # Issue 9 items 5 and 7: a crafted APPEND truncated a backup's committed
  # log; an APPEND_ACK with last_seq 2^64-1 stalled replication to that
  # backup for good.
  # While the leader is frozen (it would repair the cut at once), a
  # forged APPEND in its name tries to cut node 1's log below its commit.
  log "forge: APPEND in node 3's name that would cut node 1's committed log"
  before=$(node_field 1 commit)
  "$HOSTILE" --delay-ms 700 --count 2 --wait-ms 0 send $((P1 + 2000)) append node=3 epoch="$E0" \
      mh="$MH" lt=now prev_seq=1 prev_epoch=$((E0 + 7)) commit=0 last_seq=1 start_seq=0 >/dev/null &
  forge_pid=$!
  sleep 0.4
  kill -STOP "$(node_pid 3)"
  wait "$forge_pid" || true
  after=$(node_field 1 last_seq)
  kill -CONT "$(node_pid 3)"
  [ -n "$after" ] && [ "$after" -ge "$before" ] \
    || fail "a forged APPEND cut node 1's log below its commit ($before -> last_seq ${after:-none})"
  "$HOSTILE" --count 1 --wait-ms 0 send $((P1 + 2000)) append node=3 epoch="$E0" mh="$MH" lt=now \
      prev_seq=0 prev_epoch=0 commit=0 last_seq=0 start_seq=0 >/dev/null
  log "forge: APPEND_ACK in node 1's name with last_seq 2^64-1"
  "$HOSTILE" --count 5 --interval-ms 20 --wait-ms 0 send $((P3 + 2000)) append_ack node=1 epoch="$E0" \
      mh="$MH" lt=now last_seq=max granted=true >/dev/null
  chat 5
  in_step() { [ "$(node_field 1 last_seq)" = "$(node_field 3 last_seq)" ]; }
  wait_until 10 in_step \
    || fail "replication to node 1 stalled after a forged APPEND_ACK: node 1 $(node_field 1 last_seq), leader $(node_field 3 last_seq)"
  unchanged forge
fi

if want victim; then
  # Issue 9 item 3: a POST with a victim's client id and its next number
  # made the victim's real message come back acknowledged, never stored.
  # The victim is a client of its own: what the attack costs it (its
  # message refused or held) is not the chat's.
  log "victim: a POST under a victim's client id and next message number"
  start_client victim
  victim_pid=${CLIENT_PIDS[-1]}
  wait_following victim
  say victim "victim line 1"; say victim "victim line 2"
  sent=$((sent + 2))
  wait_received watch "$sent" 20
  read -r _ vid last_id _ < <(grep '^sent ' "$RUN/victim.rec" | tail -n 1)
  "$HOSTILE" --count 1 --wait-ms 500 flood "$P3" client="$vid" id=$((last_id + 1)) ts=1 \
      room=general from=mallory text=stolen >"$RUN/victim.out"
  say victim "the victim's own words"
  acked() { grep -q "^ack $vid $((last_id + 1)) " "$RUN/victim.rec"; }
  if wait_until 10 acked; then
    wait_until 10 grep -q "the victim's own words" "$RUN/watch.out" \
      || fail "the victim's message $((last_id + 1)) was acknowledged, but what others got is someone else's: $(grep -c stolen "$RUN/watch.out") 'stolen' lines"
  else
    log "victim: its message was not acknowledged ($(tail -n 1 "$RUN/victim.err"))"
  fi
  kill -TERM "$victim_pid" 2>/dev/null || true
  chat 2
fi

if want poison; then
  # Issue 9 item 2: one POST at ts 2^53-1 made the leader stamp 2^53; every
  # honest POST after it was refused "ts out of range".
  log "poison: a POST at ts 2^53-1"
  "$HOSTILE" --count 1 --wait-ms 500 flood "$P3" client=0badc10c0badc10c0badc10c0badc10c id=1 \
      ts=9007199254740991 room=general from=mallory text=poison >"$RUN/poison.out"
  chat 3
  lamport=$(node_field 3 lamport)
  [ -n "$lamport" ] && [ "$lamport" -lt $((1 << 40)) ] || fail "one POST pushed the leader's clock to ${lamport:-?}"
fi

if want fetch; then
  # Issue 9 item 4: 150 FETCHes on a DEALER that never reads grew the
  # leader from 20 MB to 629 MB.  4 MiB of chat in another room first.
  log "fetch: 300 posts of 14 KB, then 150 FETCHes whose replies are never read"
  big=$(head -c 14000 /dev/zero | tr '\0' x)
  "$HOSTILE" --count 300 --interval-ms 3 --wait-ms 2000 flood "$P3" \
      client=b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1 room=bulk from=bulk text="$big" >"$RUN/bulk.out"
  grep -q ' acks=300 ' "$RUN/bulk.out" || fail "bulk posts not all acknowledged: $(cat "$RUN/bulk.out")"
  rss0=$(node_rss_kb 3)
  "$HOSTILE" --count 150 --hold-ms 4000 fetch "$P3" last=0 count=4096 >"$RUN/fetch.out" 2>&1 &
  fetch_pid=$!; CLIENT_PIDS+=($fetch_pid)
  peak=$rss0
  for _ in $(seq 1 20); do
    r=$(node_rss_kb 3); [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.2
  done
  wait_exit "$fetch_pid" 30 || true
  log "leader RSS $((rss0 / 1024)) MiB -> peak $((peak / 1024)) MiB"
  [ $((peak - rss0)) -lt $((200 * 1024)) ] \
    || fail "150 unread FETCHes grew the leader by $(((peak - rss0) / 1024)) MiB"
  chat 2
  unchanged fetch
fi

if want flood; then
  log "flood: 3000 POSTs from one client, as fast as it can"
  "$HOSTILE" --count 3000 --wait-ms 1500 flood "$P3" client=f100df100df100df100df100df100df1 \
      room=flood from=flooder text=flood >"$RUN/flood.out"
  log "flood: $(cat "$RUN/flood.out")"
  slow=$(sed -n 's/.* slow_down=\([0-9]*\) .*/\1/p' "$RUN/flood.out")
  [ "${slow:-0}" -gt 0 ] || fail "the flood was not refused with slow_down: $(cat "$RUN/flood.out")"
  [ "$(node_field 3 slowed)" -gt 0 ] 2>/dev/null || fail "the leader's STATUS does not count the slowed POSTs"
  chat 3
  unchanged flood
fi

log "the chat went on: closing the clients"
close_client c1
close_client c2
for pid in "${CLIENT_PIDS[@]:0:2}"; do wait_exit "$pid" 60 || fail "a client did not exit cleanly (status $?)"; done
check_history "$RUN"/c1.rec "$RUN"/c2.rec "$RUN"/watch.rec
unchanged "the whole run"

for i in 1 2 3; do log "node $i: $(node_status "$i" | tr ' ' '\n' | grep -E '^(dropped|forged|slowed|refused|denied)=' | tr '\n' ' ')"; done
if want junk; then
  for i in 1 2 3; do [ "$(node_field "$i" dropped)" -gt 0 ] || fail "node $i counted no dropped frames"; done
fi
if want epoch; then
  f=$(( $(node_field 1 forged) + $(node_field 2 forged) ))
  [ "$f" -gt 0 ] || fail "no node counted the forged epoch claims as forged"
fi
if want forge; then
  [ "$(node_field 1 forged)" -gt 0 ] || fail "node 1 did not count the forged APPEND"
  [ "$(node_field 3 forged)" -gt 0 ] || fail "node 3 did not count the forged APPEND_ACK"
fi
if want flood; then
  [ "$(node_field 3 dropped)" -gt 0 ] || [ "$(node_field 3 refused)" -gt 0 ] \
    || fail "the leader counted nothing it dropped or refused"
fi

if want pings; then
  # Issue 9 item 10: forged PINGs in a higher node's name made the leader
  # hand over to it, a ~1.1 s outage each time.
  log "pings: node 3 down, node 2 leads; PINGs in node 3's name to node 2"
  "$CLUSTER" kill 3 >/dev/null
  wait_leader 2 30
  E1=$(node_field 2 epoch)
  "$HOSTILE" --count 40 --interval-ms 100 ping $((P2 + 3000)) node=3 epoch="$E1" mh="$MH" \
      last_seq=max >"$RUN/pings.out" 2>&1
  sleep 0.5
  ! grep -Eq 'node 3 is back and higher|hand-over to node 3' "$RUN/node-2.log" \
    || fail "forged PINGs made node 2 hand over to a dead node 3: $(grep -E 'hand' "$RUN/node-2.log" | tail -n 2)"
  is_leader 2 || fail "node 2 lost the lead to forged PINGs"
fi
log "ok"
