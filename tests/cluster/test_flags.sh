#!/usr/bin/env bash
# Bad flags, bad peers, overlapping ports and a port in use: one line naming
# the problem on stderr, exit status 2.
. "$(dirname "$0")/lib.sh"

expect2() {   # expect2 PATTERN ARGS...
  local pattern=$1; shift
  set +e
  "$BIN/chat-node" "$@" --data-dir "$RUN/data" >"$RUN/out" 2>"$RUN/err"
  local rc=$?
  set -e
  [ $rc = 2 ] || fail "chat-node $* exited $rc, want 2"
  [ "$(wc -l <"$RUN/err")" = 1 ] || fail "chat-node $*: want one error line, got: $(cat "$RUN/err")"
  grep -q -- "$pattern" "$RUN/err" || fail "chat-node $*: '$(cat "$RUN/err")' does not mention $pattern"
}
expect2 '--id' --port 12000
expect2 'unknown option' --id 1 --frobnicate
expect2 '--peers' --id 1 --port 12000 --peers "2:localhost"
expect2 'duplicate' --id 1 --port 12000 --peers "2:localhost:12001,2:localhost:12002"
expect2 'own id' --id 1 --port 12000 --peers "1:localhost:12001"
expect2 'overlaps' --id 1 --port 12000 --peers "2:localhost:13000"
expect2 '--port' --id 1 --port 70000
expect2 '--heartbeat-ms' --id 1 --heartbeat-ms abc

BASE=$(pick_base 1)
"$BIN/chat-node" --id 1 --port "$BASE" --bind 127.0.0.1 --data-dir "$RUN/data1" >"$RUN/first.log" 2>&1 &
CLIENT_PIDS+=($!)
wait_until 10 grep -q 'client port' "$RUN/first.log" || fail "first node did not start"
expect2 "$BASE" --id 2 --port "$BASE" --bind 127.0.0.1

set +e
"$BIN/chat-client" --servers "nonsense" >"$RUN/out" 2>"$RUN/err"; rc=$?
set -e
[ $rc = 2 ] || fail "chat-client with bad --servers exited $rc, want 2"

# chat-chaos reads its seed through the one number parser: a sign is refused
# (bare strtoull took "-1" as 2^64-1 and ran a campaign with it)
for seed in -1 " 5" 12x; do
  set +e
  "$BIN/chat-chaos" --seed "$seed" >"$RUN/out" 2>"$RUN/err"; rc=$?
  set -e
  [ $rc = 2 ] || fail "chat-chaos --seed '$seed' exited $rc, want 2"
  grep -q -- '--seed' "$RUN/err" || fail "chat-chaos --seed '$seed': '$(cat "$RUN/err")' does not name --seed"
done
log "ok"
