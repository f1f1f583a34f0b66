#!/usr/bin/env bash
# zchat-baseline's vendor-library modes (experiments/baseline_cnats.c,
# baseline_hiredis.c): bad flags get one line and exit 2; a mode this build
# lacks says so (exit 1); redis-aof refuses a Redis without a replica (WAIT
# 1 0 would wait for ever); and, where the servers are installed, each
# mode runs a short exchange with nothing lost (exit 0).  A server that is
# not installed is skipped with a line (run_baselines.sh installs them).
. "$(dirname "$0")/lib.sh"
B=$BIN/zchat-baseline
[ -x "$B" ] || fail "no zchat-baseline in $BIN"

expect() {   # expect RC PATTERN ARGS...
  local want=$1 pattern=$2 rc
  shift 2
  set +e
  "$B" "$@" >"$RUN/out" 2>"$RUN/err"
  rc=$?
  set -e
  [ "$rc" = "$want" ] || fail "zchat-baseline $* exited $rc, want $want: $(cat "$RUN/err")"
  [ -z "$pattern" ] || grep -q -- "$pattern" "$RUN/err" \
    || fail "zchat-baseline $*: '$(cat "$RUN/err")' does not mention $pattern"
}
expect 2 '--replicas' jetstream --replicas 0
expect 2 '--replicas' jetstream --replicas 9
expect 2 '--urls' cnats --urls "nats://a b"
expect 2 'unknown mode' frobnicate
modes=" $("$B" --list-modes | tr '\n' ' ') "
for m in pubsub pipeline redis nats; do
  [[ "$modes" == *" $m "* ]] || fail "--list-modes lacks $m: $modes"
done
for m in cnats jetstream hiredis redis-aof; do
  if [[ "$modes" != *" $m "* ]]; then
    expect 1 'not in this build' "$m" --duration 0.1
    log "$m: not in this build (said so)"
  fi
done

# A free port (nothing answers a connect); sets port
free() { port=$(pick_base 1); }
wait_port() { wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null || fail "nothing on port $1"; }
run_short() {   # run_short MODE ARGS...: 2 senders, 2 subscribers, 0.3 s, nothing lost
  expect 0 '' "$@" --senders 2 --subscribers 2 --duration 0.3 --drain 5
  grep -q 'lost 0, twice 0' "$RUN/out" || fail "$1: $(head -n 1 "$RUN/out")"
  log "$1: $(head -n 1 "$RUN/out" | grep -o 'delivered [0-9]* msgs/s per subscriber')"
}

redis=$(command -v redis-server || true)
if [[ "$modes" == *" hiredis "* ]] && [ -n "$redis" ]; then
  free; master=$port
  "$redis" --port "$master" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
    --dir "$RUN" --daemonize no >"$RUN/master.log" 2>&1 &
  CLIENT_PIDS+=($!)
  wait_port "$master"
  run_short hiredis --port "$master"
  # without a replica, redis-aof says so instead of waiting for ever
  expect 1 'no replica' redis-aof --port "$master" --duration 0.1
  mkdir -p "$RUN/replica"
  free; replica=$port
  "$redis" --port "$replica" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
    --dir "$RUN/replica" --replicaof 127.0.0.1 "$master" --daemonize no >"$RUN/replica.log" 2>&1 &
  CLIENT_PIDS+=($!)
  wait_until 20 grep -q 'MASTER <-> REPLICA sync: Finished\|Synchronization with replica .* succeeded' \
    "$RUN/replica.log" "$RUN/master.log" || fail "the replica did not sync"
  run_short redis-aof --port "$master"
  run_short redis-aof --port "$master" --rate 2000
else
  log "hiredis, redis-aof: skipped (no redis-server, or not in this build)"
fi

nats=$(command -v nats-server || ls /usr/sbin/nats-server 2>/dev/null || true)
if [[ "$modes" == *" jetstream "* ]] && [ -n "$nats" ]; then
  free
  "$nats" -a 127.0.0.1 -p "$port" -js -sd "$RUN/js" >"$RUN/nats.log" 2>&1 &
  CLIENT_PIDS+=($!)
  wait_port "$port"
  run_short cnats --port "$port"
  run_short jetstream --port "$port" --replicas 1
  run_short jetstream --urls "nats://127.0.0.1:$port" --replicas 1 --rate 2000
  # a stream of 3 replicas on one server cannot be made: one line, exit 1
  expect 1 'js_AddStream' jetstream --port "$port" --replicas 3 --duration 0.1
else
  log "cnats, jetstream: skipped (no nats-server, or not in this build)"
fi
log "passed"
