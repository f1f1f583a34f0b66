#!/usr/bin/env bash
# chat-node --metrics (docs/METRICS.md): three nodes serve Prometheus text;
# every line of every scrape is valid text format; the nodes agree on the
# role, leader and epoch; after N messages the leader's posts, publications
# and ACK latency count each grew by N; a bad --metrics and a port in use
# are one-line errors with exit 2.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "needs curl (tools/setup.sh installs it)"

# Three free ports in a row for the metrics, away from the nodes' sets
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
start_cluster 3
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$((ZCHAT_METRICS_BASE + $1 - 1))/metrics"; }
# value NODE SAMPLE: one sample's value from a fresh scrape ("" if absent)
value() { scrape "$1" | awk -v s="$2" '$1 == s { print $2 }'; }

# Strict text format: comments are HELP or TYPE, samples are
# name{label="escaped",...} number, each family typed before its samples.
check_format() {   # check_format FILE
  awk '
    /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* / { next }
    /^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram)$/ { typed[$3] = 1; next }
    /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9]+(\.[0-9]+)?|\+Inf)$/ {
      name = $1; sub(/\{.*/, "", name); base = name
      sub(/_(bucket|sum|count)$/, "", base)
      if (!(name in typed) && !(base in typed)) { print "untyped: " $0; bad = 1 }
      next
    }
    { print "not text format: " $0; bad = 1 }
    END { exit bad }' "$1"
}

# The one leader all three agree on
agree() {
  local i leaders=0 who="" l e
  for i in 1 2 3; do
    scrape "$i" >"$RUN/m$i.txt" || return 1
    l=$(awk '$1 == "zchat_leader_id" { print $2 }' "$RUN/m$i.txt")
    e=$(awk '$1 == "zchat_epoch" { print $2 }' "$RUN/m$i.txt")
    grep -qx 'zchat_role{role="leader"} 1' "$RUN/m$i.txt" && { leaders=$((leaders + 1)); who=$i; }
    [ "$l" != 0 ] && [ -n "$l" ] || return 1
    [ -z "${lead:-}" ] || [ "$l" = "$lead" ] || return 1
    [ -z "${epoch:-}" ] || [ "$e" = "$epoch" ] || return 1
    lead=$l; epoch=$e
  done
  [ "$leaders" = 1 ] && [ "$who" = "$lead" ]
}
settled() { lead=""; epoch=""; agree; }
wait_until 30 settled || fail "the nodes' metrics do not agree on one leader (lead=${lead:-} epoch=${epoch:-})"
log "leader $lead in epoch $epoch, by every node's metrics"
for i in 1 2 3; do
  check_format "$RUN/m$i.txt" || fail "node $i's metrics are not valid text format"
  grep -qx "zchat_node_id $i" "$RUN/m$i.txt" || fail "node $i does not say its id"
  grep -qx 'zchat_serving 1' "$RUN/m$i.txt" && [ "$i" != "$lead" ] && fail "backup $i says it serves"
  changes=$(awk '$1 == "zchat_leader_changes_total" { print $2 }' "$RUN/m$i.txt")
  [ "${changes:-0}" -ge 1 ] || fail "node $i counts no leader change, yet follows leader $lead"
done
won=$(awk '$1 == "zchat_elections_won_total" { print $2 }' "$RUN/m$lead.txt")
started=$(awk '$1 == "zchat_elections_started_total" { print $2 }' "$RUN/m$lead.txt")
[ "${won:-0}" -ge 1 ] && [ "${started:-0}" -ge "${won:-0}" ] \
  || fail "leader $lead counts ${started:-0} elections started and ${won:-0} won" 
curl -sf -o /dev/null "http://127.0.0.1:$ZCHAT_METRICS_BASE/other" && fail "a path other than /metrics answered 200"
curl -s -D - -o /dev/null "http://127.0.0.1:$ZCHAT_METRICS_BASE/metrics" | grep -qi '^content-type: text/plain; version=0.0.4' \
  || fail "no text format content type"

posts0=$(value "$lead" zchat_posts_accepted_total)
pubs0=$(value "$lead" zchat_publications_total)
acks0=$(value "$lead" zchat_ack_latency_seconds_count)
N=25
seq 1 $N | sed 's/^/metrics message /' >"$RUN/lines"
timeout 60 "$BIN/chat-client" --servers "$SERVERS" --name alice --record "$RUN/alice.rec" <"$RUN/lines" >/dev/null 2>"$RUN/alice.err" \
  || fail "the client did not finish: $(tail -n 3 "$RUN/alice.err")"
acked=$(grep -c '^ack ' "$RUN/alice.rec" || true)
[ "$acked" = $N ] || fail "$acked of $N messages acknowledged"

grown() {
  scrape "$lead" >"$RUN/after.txt" || return 1
  posts=$(awk '$1 == "zchat_posts_accepted_total" { print $2 }' "$RUN/after.txt")
  pubs=$(awk '$1 == "zchat_publications_total" { print $2 }' "$RUN/after.txt")
  acks=$(awk '$1 == "zchat_ack_latency_seconds_count" { print $2 }' "$RUN/after.txt")
  [ $((posts - posts0)) -ge $N ] && [ $((acks - acks0)) -ge $N ] && [ $((pubs - pubs0)) -ge $N ]
}
wait_until 10 grown || fail "after $N messages the leader counts posts +$((posts - posts0)), publications +$((pubs - pubs0)), ACK latencies +$((acks - acks0))"
[ $((posts - posts0)) = $N ] || fail "posts grew by $((posts - posts0)), not $N"
[ $((pubs - pubs0)) = $N ] || fail "publications grew by $((pubs - pubs0)), not $N"
[ $((acks - acks0)) = $N ] || fail "the ACK latency histogram counted $((acks - acks0)) ACKs, not $N"
inf=$(awk '$1 == "zchat_ack_latency_seconds_bucket{le=\"+Inf\"}" { print $2 }' "$RUN/after.txt")
[ "$inf" = "$acks" ] || fail "the +Inf bucket ($inf) is not the count ($acks)"
sum=$(awk '$1 == "zchat_ack_latency_seconds_sum" { print $2 }' "$RUN/after.txt")
awk -v s="$sum" 'BEGIN { exit !(s > 0) }' || fail "the ACK latencies sum to $sum"
check_format "$RUN/after.txt" || fail "the leader's metrics are not valid text format after chat"
sent=$(awk '$1 == "zchat_replication_entries_sent_total" { print $2 }' "$RUN/after.txt")
[ "$sent" -ge $((2 * N)) ] || fail "the leader sent $sent entries to 2 backups for $N messages"
fsyncs=$(awk '$1 == "zchat_fsync_seconds_count" { print $2 }' "$RUN/after.txt")
[ "$fsyncs" -ge 1 ] || fail "no fsync counted"
for i in 1 2 3; do
  [ "$i" = "$lead" ] && continue
  recv=$(value "$i" zchat_replication_entries_received_total)
  [ "${recv:-0}" -ge $N ] || fail "backup $i appended ${recv:-0} entries from the leader, not $N"
done
log "leader $lead: +$N posts, publications and ACK latencies (sum ${sum}s), $sent entries sent"

# Bad values and a port in use: one line, exit 2
set +e
out=$("$BIN/chat-node" --id 9 --port 1 --metrics nohost:9100 2>&1); rc=$?
set -e
[ $rc = 2 ] && [ "$(echo "$out" | wc -l)" = 1 ] || fail "a bad --metrics gave exit $rc: $out"
echo "$out" | grep -q "is not an IP address" || fail "a bad --metrics said: $out"
B2=$(pick_base 1)
set +e
out=$("$BIN/chat-node" --id 1 --port "$B2" --data-dir "$RUN/extra" --metrics "127.0.0.1:$ZCHAT_METRICS_BASE" 2>&1 | grep -v '^I: '); rc=${PIPESTATUS[0]}
set -e
[ $rc = 2 ] || fail "a metrics port in use gave exit $rc: $out"
echo "$out" | grep -q "cannot listen on 127.0.0.1:$ZCHAT_METRICS_BASE: Address already in use" \
  || fail "a metrics port in use said: $out"
log "ok"
