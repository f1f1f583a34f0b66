#!/usr/bin/env bash
# The leader's disk fills (issue 11): a 3-node cluster whose leader, node 3,
# runs under a file-size limit, so that its log write fails (EFBIG, as
# ENOSPC or EIO would) while a client sends.  It must stop serving cleanly
# ("cannot write the log", exit 1), acknowledge nothing it did not store,
# and a backup must take over: the client carries on with node 2, and
# every message it saw acknowledged reaches a listener exactly once, in
# order (the history checker).  It logs the messages acknowledged by
# node 3 before its disk filled and by node 2 after.
. "$(dirname "$0")/lib.sh"

start_cluster 3
wait_leader 3

# Node 3 again, the same command line, but under a file-size limit a few
# hundred KiB above what its largest file holds now.  An ignored SIGXFSZ
# is inherited across exec: a write past the limit fails with EFBIG
# instead of killing the node.
pid=$(node_pid 3)
mapfile -d '' cmd <"/proc/$pid/cmdline"
"$CLUSTER" kill 3 >/dev/null
largest=$(find "$RUN/data/node-3" -type f -printf '%s\n' | sort -n | tail -n 1)
limit_kb=$(( ${largest:-0} / 1024 + 384 ))
(
  trap '' XFSZ
  ulimit -f "$limit_kb"
  exec setsid "${cmd[@]}" </dev/null
) >>"$RUN/node-3.log" 2>&1 &
NODE3=$!
echo "$NODE3" >"$RUN/node-3.pid"
CLIENT_PIDS+=("$NODE3")
log "node 3 restarted under a file-size limit of $limit_kb KiB"
wait_leader 3 60

start_listener watch
wait_following watch
# Far more than the limit: node 3 must hit it, node 2 take the rest.
seq 1 12000 | sed 's/^/a message long enough to fill the log of node 3 soon enough, number /' \
  >"$RUN/lines"
spawn "$RUN/w.out" "$RUN/w.err" "$RUN/lines" \
    "$BIN/chat-client" --servers "$SERVERS" --name writer --record "$RUN/w.rec" \
    --timeout-ms 60000
WRITER=${CLIENT_PIDS[-1]}

node3_stopped() { ! kill -0 "$NODE3" 2>/dev/null; }
wait_until 120 node3_stopped || fail "node 3 kept running past its file-size limit"
rc=0
wait "$NODE3" || rc=$?
[ "$rc" = 1 ] || fail "node 3 ended with status $rc, not 1 (a failed write)"
grep -q "cannot write the log" "$RUN/node-3.log" || fail "node 3 did not say why it stopped"
log "node 3 stopped: its disk refused a write"

wait_leader 2 60
wait_exit "$WRITER" 240 || fail "the writer did not get every line acknowledged (status $?)"

by3=$(awk '$1 == "ack" && $7 == 3' "$RUN/w.rec" | wc -l)
by2=$(awk '$1 == "ack" && $7 == 2' "$RUN/w.rec" | wc -l)
acked=$(grep -c '^ack ' "$RUN/w.rec" || true)
log "acknowledged: $acked in all, $by3 by node 3 before its disk filled, $by2 by node 2 after"
[ "$by3" -gt 0 ] || fail "node 3 acknowledged nothing before its disk filled: the test proves nothing"
[ "$by2" -gt 0 ] || fail "node 2 acknowledged nothing: no backup took over"
[ "$acked" = 12000 ] || fail "$acked of 12000 lines acknowledged"
wait_received watch "$acked" 90
check_history "$RUN/w.rec" "$RUN/watch.rec"
log "ok"
