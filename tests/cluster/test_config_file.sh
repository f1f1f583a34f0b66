#!/usr/bin/env bash
# chat-node --config FILE, the real binary: a bad file is one line naming
# FILE:LINE on stderr and exit status 2; a good file starts the node, and a
# flag on the command line wins over the file's line, even over a value the
# file has wrong (README.md "Config file").
. "$(dirname "$0")/lib.sh"

CONF="$RUN/node.conf"

expect2() {   # expect2 PATTERN ARGS...: with the file already written
  local pattern=$1; shift
  set +e
  # a file the node wrongly accepts starts it: the deadline ends that
  timeout 30 "$BIN/chat-node" "$@" >"$RUN/out" 2>"$RUN/err"
  local rc=$?
  set -e
  [ $rc = 2 ] || fail "chat-node $* exited $rc, want 2 (stderr: $(cat "$RUN/err"))"
  [ "$(wc -l <"$RUN/err")" = 1 ] || fail "chat-node $*: want one error line, got: $(cat "$RUN/err")"
  grep -qF -- "$pattern" "$RUN/err" || fail "chat-node $*: '$(cat "$RUN/err")' does not say $pattern"
}

printf 'id = 1\n# a comment\nfrobnicate = 3\n' >"$CONF"
expect2 "chat-node: $CONF:3: unknown key 'frobnicate'" --config "$CONF"
printf 'id = 1\nport = 12000\nid = 2\n' >"$CONF"
expect2 "chat-node: $CONF:3: duplicate key 'id' (first on line 1)" --config "$CONF"
printf 'id = 1\n\nfsync = sometimes\n' >"$CONF"
expect2 "chat-node: $CONF:3: --fsync: 'sometimes' is not batch, always or never" --config "$CONF"
printf 'id = 1\nport 12000\n' >"$CONF"
expect2 "chat-node: $CONF:2: malformed line 'port 12000'" --config "$CONF"
printf 'id = 1\ntrace = maybe\n' >"$CONF"
expect2 "chat-node: $CONF:2: --trace: 'maybe' is not true/false" --config "$CONF"
printf 'id = 1\nconfig = %s\n' "$CONF" >"$CONF"
expect2 "chat-node: $CONF:2: 'config' cannot be set in a config file" --config "$CONF"
expect2 "chat-node: --config: cannot open $RUN/none.conf: No such file or directory" \
    --config "$RUN/none.conf"
"$BIN/chat-node" --help >"$RUN/help"
grep -q -- '--config FILE' "$RUN/help" || fail "--help does not list --config"

# A good file with one wrong line, which the command line overrides; the
# port on the command line wins over the file's.  The node must start, on
# the flag's port, with the file's id, heartbeat and data folder.
BASE=$(pick_base 1)
cat >"$CONF" <<EOF
# node 7, alone
id = 7
port = $((BASE + 1))            # overridden by --port
heartbeat-ms = 50
data-dir = $RUN/data-7
fsync = sometimes               # wrong, but --fsync overrides it
trace = yes
EOF
"$BIN/chat-node" --config "$CONF" --port "$BASE" --fsync batch >"$RUN/node-7.log" 2>&1 &
NODE_PID=$!
CLIENT_PIDS+=($NODE_PID)
wait_until 20 grep -q 'client port' "$RUN/node-7.log" || fail "the node did not start: $(cat "$RUN/node-7.log")"
grep -qF "node 7: client port $BASE, pub $((BASE + 1000))" "$RUN/node-7.log" \
    || fail "not node 7 on the flag's port $BASE: $(grep 'client port' "$RUN/node-7.log")"
grep -qF "heartbeat 50 ms, data in $RUN/data-7" "$RUN/node-7.log" \
    || fail "the file's heartbeat-ms or data-dir not used: $(grep 'client port' "$RUN/node-7.log")"
grep -q 'zc-trace' "$RUN/node-7.log" || fail "trace = yes in the file did not turn on --trace"
# ... and it answers there as the leader of its cluster of one
leads() { [ "$(node_field 1 leader)" = 7 ]; }   # node_field 1: the one at BASE
wait_until 20 leads || fail "node 7 does not answer STATUS as leader on port $BASE"
kill -TERM "$NODE_PID"
wait_exit "$NODE_PID" 20 || fail "node 7 did not stop on SIGTERM"
log "ok"
