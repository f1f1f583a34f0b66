#!/usr/bin/env bash
# chat-node refuses to start on a corrupt state file (docs/PROTOCOL.md
# §5.2): a cut election.state must not be read as its first numbers (a node
# that forgot its vote could vote twice in an epoch), nor a corrupt
# retired.state as half a dedup table.  The node exits 2 with one line
# naming the file, and starts once the file is whole again.  The unit
# cases are in tests/test_store.c; this is the real binary.
. "$(dirname "$0")/lib.sh"

BASE=$(pick_base 1)
SERVERS="127.0.0.1:$BASE"
DATA="$RUN/data-1"
mkdir -p "$DATA"

# refused NAME: chat-node must exit 2 within 20 s, saying NAME is corrupt
refused() {
  local rc=0
  timeout 20 "$BIN/chat-node" --id 1 --port "$BASE" --quorum 1 --data-dir "$DATA" \
    >"$RUN/node.out" 2>"$RUN/node.err" || rc=$?
  [ $rc -eq 2 ] || { cat "$RUN/node.out" "$RUN/node.err" >&2; fail "exit $rc with a corrupt $1 (want 2)"; }
  grep -q "chat-node: .*$1 is corrupt" "$RUN/node.err" \
    || { cat "$RUN/node.err" >&2; fail "no line saying $1 is corrupt"; }
  log "refused: $(head -n1 "$RUN/node.err")"
}

log "election.state cut short (\"12 3 1\" of \"12 3 12\\n\")"
printf '12 3 1' >"$DATA/election.state"
refused election.state

log "election.state with a leader beyond 32 bits"
printf '12 4294967299 12\n' >"$DATA/election.state"
refused election.state

printf '12 3 12\n' >"$DATA/election.state"
log "retired.state with a key holding a space"
printf 'base 10 3\nroom my room 4\n' >"$DATA/retired.state"
refused retired.state

log "retired.state cut in its last line"
printf 'base 10 3\nroom general 4\nclient 0123456789abcdef0123456789abcdef 7' >"$DATA/retired.state"
refused retired.state

# Whole again: the node starts, and keeps the epoch the file holds
printf 'room general 4\n' >"$DATA/retired.state"
"$BIN/chat-node" --id 1 --port "$BASE" --quorum 1 --data-dir "$DATA" >"$RUN/node-1.log" 2>&1 &
CLIENT_PIDS+=($!)
node_up() { "$BIN/chat-client" status --servers "$SERVERS" --json --timeout-ms 400 2>/dev/null | grep -q '"role":"leader"'; }
wait_until 30 node_up || fail "the node did not start from whole state files"
epoch=$("$BIN/chat-client" status --servers "$SERVERS" --json --timeout-ms 400 | grep -o '"epoch":[0-9]*' | head -n1 | cut -d: -f2)
[ "${epoch:-0}" -gt 12 ] || fail "the node leads epoch ${epoch:-?}, not above the 12 it had voted in"
log "started from whole files, leading epoch $epoch"
log "PASS"
