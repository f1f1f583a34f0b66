#!/usr/bin/env bash
# Heartbeat priority (issue 11, item 2; docs/DECISIONS.md "Heartbeat
# priority"): while two clients flood the leader with pipelined POSTs, so
# that it reads batches of many requests and sends bundles of many
# replies, PINGs (the backups' own, and a prober's every 5 ms) are
# answered inside those batches, not only between wake-ups: the leader's
# zchat_pings_answered_total{when="batch"} rises.  The PONGs the prober
# gets are PONGs (not errors), and every node still agrees on one leader
# afterwards.  No timing is judged: only what the counters say.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "needs curl (tools/setup.sh installs it)"

pick_metrics() {
  local m i ok
  for _ in $(seq 1 50); do
    m=$((24000 + RANDOM % 4000)); ok=1
    for ((i = 0; i < 3; i++)); do port_free $((m + i)) || ok=0; done
    [ $ok = 1 ] && { echo "$m"; return; }
  done
  fail "no free metrics ports"
}
export ZCHAT_METRICS_BASE=$(pick_metrics)
# No rate limit: the flood's POSTs are appended, replicated and ACKed
export ZCHAT_NODE_FLAGS="--rate 0"
start_cluster 3
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$((ZCHAT_METRICS_BASE + $1 - 1))/metrics"; }
value() { scrape "$1" | awk -v s="$2" '$1 == s { print $2 }'; }
lead=""
one_leader() { lead=$(leaders); lead=${lead% }; [ -n "$lead" ] && [ "${lead#* }" = "$lead" ] && [ "$(followed)" = "$lead " ]; }
wait_until 30 one_leader || fail "no single leader (leaders: $(leaders); followed: $(followed))"
epoch=$(node_field "$lead" epoch)
backup=$(( lead == 1 ? 2 : 1 ))
mh=$(membership_hash "$backup")
log "leader $lead in epoch $epoch; flooding it"

batch0=$(value "$lead" 'zchat_pings_answered_total{when="batch"}')
wakeup0=$(value "$lead" 'zchat_pings_answered_total{when="wakeup"}')
[ -n "$batch0" ] && [ -n "$wakeup0" ] || fail "the leader's metrics have no zchat_pings_answered_total"

P=$(node_port "$lead")
for f in 1 2; do
  "$HOSTILE" --count 60000 --seconds 8 --wait-ms 2000 flood "$P" \
      client=f100d00${f}f100d000f100d000f100d000 >"$RUN/flood-$f.out" 2>&1 &
  CLIENT_PIDS+=($!)
done
flooders=("${CLIENT_PIDS[@]}")
sleep 1
"$HOSTILE" --count 1000 --interval-ms 5 --wait-ms 1000 ping $((P + 3000)) \
    node="$backup" epoch="$epoch" mh="$mh" >"$RUN/ping.out" 2>&1 &
pinger=$!
CLIENT_PIDS+=($pinger)
for pid in "${flooders[@]}" "$pinger"; do
  wait_exit "$pid" 120 || fail "a client (pid $pid) did not finish: $(cat "$RUN"/flood-*.out "$RUN/ping.out" | tail -n 5)"
done
acks=$(cat "$RUN"/flood-*.out | sed -n 's/.*acks=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
replies=$(cat "$RUN"/flood-*.out | sed -n 's/.*acks=\([0-9]*\) slow_down=\([0-9]*\) limit=\([0-9]*\) other=\([0-9]*\).*/\1 \2 \3 \4/p' \
            | awk '{ s += $1 + $2 + $3 + $4 } END { print s + 0 }')
[ "$replies" -gt 0 ] || fail "the flood got no reply: $(cat "$RUN"/flood-*.out)"
pongs=$(sed -n 's/^pongs=\([0-9]*\).*/\1/p' "$RUN/ping.out" | head -n 1)
[ "${pongs:-0}" -gt 0 ] || fail "the prober got no PONG: $(cat "$RUN/ping.out")"

batch=$(value "$lead" 'zchat_pings_answered_total{when="batch"}')
wakeup=$(value "$lead" 'zchat_pings_answered_total{when="wakeup"}')
changes=$(value "$lead" zchat_leader_changes_total)
log "flood: $replies replies ($acks ACKs), leader changes seen by $lead: $changes; prober: $pongs PONGs; leader $lead answered $((batch - batch0)) PINGs inside batches, $((wakeup - wakeup0)) at wake-ups"
[ "$batch" -gt "$batch0" ] || fail "no PING was answered inside a batch under the flood (batch $batch0 -> $batch, wakeup $wakeup0 -> $wakeup)"
[ "$wakeup" -gt "$wakeup0" ] || fail "no PING was answered at a wake-up (wakeup $wakeup0 -> $wakeup)"
wait_until 30 one_leader || fail "after the flood, no single leader (leaders: $(leaders); followed: $(followed))"
log "ok"
