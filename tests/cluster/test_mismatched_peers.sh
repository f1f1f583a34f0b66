#!/usr/bin/env bash
# A node whose --peers disagree with the others' is refused: the others log
# which node and why, and it never joins their leadership.
. "$(dirname "$0")/lib.sh"

BASE=$(pick_base 3)
mkdir -p "$RUN/data"
p1=$BASE; p2=$((BASE + 1)); p3=$((BASE + 2))
start() {   # start ID PORT PEERS
  "$BIN/chat-node" --id "$1" --port "$2" --bind 127.0.0.1 --peers "$3" --data-dir "$RUN/data/n$1" \
      >"$RUN/node-$1.log" 2>&1 &
  CLIENT_PIDS+=($!)
}
start 1 "$p1" "2:127.0.0.1:$p2,3:127.0.0.1:$p3"
start 2 "$p2" "1:127.0.0.1:$p1,3:127.0.0.1:$p3"
# Node 3 believes in a fourth member: a different membership, a different quorum.
start 3 "$p3" "1:127.0.0.1:$p1,2:127.0.0.1:$p2,4:127.0.0.1:$((BASE + 3))"
SERVERS="127.0.0.1:$p1,127.0.0.1:$p2,127.0.0.1:$p3"

refused() { grep -q 'refusing node 3: its --peers differ' "$RUN/node-1.log" \
         && grep -q 'refusing node 3: its --peers differ' "$RUN/node-2.log"; }
wait_until 20 refused || fail "nodes 1 and 2 did not refuse node 3"
grep -q 'refusing node [12]: its --peers differ' "$RUN/node-3.log" || fail "node 3 did not refuse the others"
follows_2() { status_json | grep -q '"id":1,"reachable":true,"role":"backup","leader":2' \
           && status_json | grep -q '"id":2,"reachable":true,"role":"leader","leader":2'; }
wait_until 20 follows_2 || fail "nodes 1 and 2 should agree on leader 2: $(status_json)"
sleep 1
status_json | grep -q '"id":3,"reachable":true,"role":"leader"' && fail "node 3 leads despite its wrong --peers"
status_json | grep -q '"id":[12],"reachable":true,"role":"[a-z]*","leader":3' && fail "someone follows node 3"
log "ok"
