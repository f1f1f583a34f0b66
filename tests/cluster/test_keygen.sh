#!/usr/bin/env bash
# chat-keygen: the layout of COMMON/README "Security" (node-N/, client-NAME/),
# the metadata each certificate carries, the modes (secrets 0600, folders
# 0700), that keys are never replaced without --force, that "node" and
# "client" extend every node folder, and that chat-node takes the folders
# it makes (and refuses a broken one with one line).
. "$(dirname "$0")/lib.sh"
KG="$BIN/chat-keygen"
[ -x "$KG" ] || fail "no chat-keygen in $BIN"
OUT="$RUN/keys"

mode() { stat -c %a "$1"; }
pub() { grep 'public-key' "$1" | cut -d'"' -f2; }
meta() { grep -E "^    $2 = " "$1" | cut -d'"' -f2; }
expect_mode() { [ "$(mode "$1")" = "$2" ] || fail "$1 has mode $(mode "$1"), want $2"; }

expect_fail() {   # expect_fail PATTERN ARGS...: exit 2 and one line naming the problem
  local pattern=$1; shift
  set +e
  "$KG" "$@" >"$RUN/out" 2>"$RUN/err"
  local rc=$?
  set -e
  [ $rc = 2 ] || fail "chat-keygen $* exited $rc, want 2"
  [ "$(wc -l <"$RUN/err")" = 1 ] || fail "chat-keygen $*: want one error line, got: $(cat "$RUN/err")"
  grep -q -- "$pattern" "$RUN/err" || fail "chat-keygen $*: '$(cat "$RUN/err")' does not mention $pattern"
}

# Every file and folder of a node folder, with the right modes and metadata
check_node() {   # check_node ID MEMBERS... -- CLIENTS...
  local id=$1 dir="$OUT/node-$1" m; shift
  expect_mode "$dir" 700
  expect_mode "$dir/nodes" 700
  expect_mode "$dir/clients" 700
  for f in node.cert server.cert; do
    expect_mode "$dir/$f" 644
    expect_mode "$dir/${f}_secret" 600
  done
  [ "$(meta "$dir/node.cert" node)" = "$id" ] || fail "node-$id/node.cert: metadata node is not $id"
  [ "$(pub "$dir/node.cert")" = "$(pub "$dir/node.cert_secret")" ] || fail "node-$id: halves differ"
  [ "$(pub "$dir/server.cert")" = "$SERVER" ] || fail "node-$id: another server key"
  local want_nodes=() want_clients=() side=nodes
  for m in "$@"; do
    if [ "$m" = -- ]; then side=clients; continue; fi
    if [ $side = nodes ]; then want_nodes+=("$m.cert"); else want_clients+=("$m.cert"); fi
  done
  local have_nodes have_clients
  have_nodes=$(ls "$dir/nodes" | sort | tr '\n' ' ')
  have_clients=$(ls "$dir/clients" | sort | tr '\n' ' ')
  [ "$have_nodes" = "$(printf '%s\n' "${want_nodes[@]}" | sort | tr '\n' ' ')" ] \
    || fail "node-$id/nodes holds $have_nodes, want ${want_nodes[*]}"
  [ "$have_clients" = "$(printf '%s\n' "${want_clients[@]:-}" | sort | grep . | tr '\n' ' ')" ] \
    || fail "node-$id/clients holds $have_clients, want ${want_clients[*]:-nothing}"
  for f in "${want_nodes[@]}"; do
    m=${f%.cert}
    expect_mode "$dir/nodes/$f" 644
    [ "$(meta "$dir/nodes/$f" node)" = "$m" ] || fail "node-$id/nodes/$f: metadata node is not $m"
    [ "$(pub "$dir/nodes/$f")" = "$(pub "$OUT/node-$m/node.cert")" ] || fail "node-$id/nodes/$f: not node $m's key"
  done
  for f in "${want_clients[@]:-}"; do
    [ -n "$f" ] || continue
    m=${f%.cert}
    [ "$(meta "$dir/clients/$f" name)" = "$m" ] || fail "node-$id/clients/$f: metadata name is not $m"
    [ "$(pub "$dir/clients/$f")" = "$(pub "$OUT/client-$m/client.cert")" ] || fail "node-$id/clients/$f: not $m's key"
  done
  ! ls "$dir"/nodes/*_secret "$dir"/clients/*_secret >/dev/null 2>&1 || fail "node-$id: a secret in a trust folder"
}

check_client() {   # check_client NAME
  local dir="$OUT/client-$1"
  expect_mode "$dir" 700
  expect_mode "$dir/client.cert" 644
  expect_mode "$dir/client.cert_secret" 600
  expect_mode "$dir/server.cert" 644
  [ ! -e "$dir/server.cert_secret" ] || fail "client-$1 holds the server secret"
  [ "$(meta "$dir/client.cert" name)" = "$1" ] || fail "client-$1: metadata name is not $1"
  [ "$(pub "$dir/server.cert")" = "$SERVER" ] || fail "client-$1: another server key"
}

log "cluster: 3 nodes, 2 clients"
"$KG" cluster "$OUT" --nodes 1,2,3 --clients alice,bob >"$RUN/out" || fail "cluster: $(cat "$RUN/out")"
grep -q "node-2/  -> the machine of node 2" "$RUN/out" || fail "cluster does not say where node-2/ goes"
SERVER=$(pub "$OUT/node-1/server.cert")
[ -n "$SERVER" ] || fail "no server key"
for i in 1 2 3; do check_node $i 1 2 3 -- alice bob; done
check_client alice
check_client bob
[ "$(ls "$OUT" | tr '\n' ' ')" = "client-alice client-bob node-1 node-2 node-3 " ] || fail "OUT holds $(ls "$OUT")"
# Every key is its own
[ "$(cat "$OUT"/node-*/node.cert "$OUT"/client-*/client.cert | grep public-key | sort -u | wc -l)" = 5 ] \
  || fail "two certificates share a key"

log "keys are never replaced without --force"
sum() { find "$OUT" -type f | sort | xargs cat | md5sum; }
before=$(sum)
expect_fail "without --force" cluster "$OUT" --nodes 1,2,3
expect_fail "client-alice/client.cert exists" client "$OUT" alice
expect_fail "node-2/node.cert exists" node "$OUT" 2
[ "$(sum)" = "$before" ] || fail "a refused command changed the keys"

log "bad input: one line, exit 2"
expect_fail "node id '0'" cluster "$RUN/k2" --nodes 0,1
expect_fail "node 2 twice" cluster "$RUN/k2" --nodes 2,02
expect_fail "empty item" cluster "$RUN/k2" --nodes 1,,2
expect_fail "--nodes 1,2,3 is required" cluster "$RUN/k2"
expect_fail "client name '../x'" cluster "$RUN/k2" --nodes 1 --clients ../x
expect_fail "client name '.hidden'" client "$OUT" .hidden
expect_fail "'a' twice" cluster "$RUN/k2" --nodes 1 --clients a,a
expect_fail "no node-\*/ folder" client "$RUN/k2" alice
expect_fail "unknown command 'make'" make "$OUT"
expect_fail "unknown option --frob" cluster "$RUN/k2" --nodes 1 --frob
[ ! -e "$RUN/k2" ] || fail "a refused command made $RUN/k2"

log "client carol: her folder, and clients/carol.cert on every node"
"$KG" client "$OUT" carol >"$RUN/out" || fail "client: $(cat "$RUN/out")"
grep -q "node-3/clients/carol.cert  -> the machine of node 3" "$RUN/out" || fail "client does not say what to copy"
check_client carol
for i in 1 2 3; do check_node $i 1 2 3 -- alice bob carol; done

log "node 4: its folder with the cluster's server key, and nodes/4.cert on every node"
"$KG" node "$OUT" 4 >"$RUN/out" || fail "node: $(cat "$RUN/out")"
grep -q "restart every node with node 4 in its --peers" "$RUN/out" || fail "node does not say to restart"
for i in 1 2 3 4; do check_node $i 1 2 3 4 -- alice bob carol; done

log "--force replaces a key, and re-tightens the folder modes"
old=$(pub "$OUT/client-bob/client.cert")
chmod 755 "$OUT/node-1/clients" "$OUT/client-bob"
chmod 644 "$OUT/client-bob/client.cert_secret"   # rewriting a file keeps its mode
"$KG" client "$OUT" bob --force >/dev/null || fail "client --force"
[ "$(pub "$OUT/client-bob/client.cert")" != "$old" ] || fail "--force kept bob's old key"
check_client bob
for i in 1 2 3 4; do check_node $i 1 2 3 4 -- alice bob carol; done
old_server=$SERVER
"$KG" cluster "$OUT" --nodes 1,2 --force >"$RUN/out" || fail "cluster --force"
grep -q "node-3/ is left from the keys replaced" "$RUN/out" || fail "cluster --force does not name the stale node-3/"
grep -q "client-alice/ is left from the keys replaced" "$RUN/out" || fail "cluster --force does not name the stale client-alice/"
SERVER=$(pub "$OUT/node-1/server.cert")
[ "$SERVER" != "$old_server" ] || fail "cluster --force kept the server key"
check_node 1 1 2 --
check_node 2 1 2 --

log "chat-node takes a node folder, and names what is wrong with a broken one"
BASE=$(pick_base 2)
node_expect2() {   # node_expect2 PATTERN ARGS...
  local pattern=$1; shift
  set +e
  "$BIN/chat-node" "$@" --data-dir "$RUN/data" >"$RUN/out" 2>"$RUN/err"
  local rc=$?
  set -e
  [ $rc = 2 ] || fail "chat-node $* exited $rc, want 2"
  [ "$(wc -l <"$RUN/err")" = 1 ] || fail "chat-node $*: want one error line, got: $(cat "$RUN/err")"
  grep -q -- "$pattern" "$RUN/err" || fail "chat-node $*: '$(cat "$RUN/err")' does not mention $pattern"
}
node_expect2 "nodes/9.cert" --id 1 --port "$BASE" --keys "$OUT/node-1" --peers "2:127.0.0.1:$((BASE + 1)),9:127.0.0.1:$((BASE + 2))"
node_expect2 "--clients: needs --keys" --id 1 --port "$BASE" --clients any
chmod 644 "$OUT/node-1/node.cert_secret"
node_expect2 "node.cert_secret is open to others" --id 1 --port "$BASE" --keys "$OUT/node-1"
chmod 600 "$OUT/node-1/node.cert_secret"
"$BIN/chat-node" --id 1 --port "$BASE" --keys "$OUT/node-1" --bind 127.0.0.1 \
  --peers "2:127.0.0.1:$((BASE + 1))" --data-dir "$RUN/data1" >"$RUN/node.log" 2>&1 &
CLIENT_PIDS+=($!)
wait_until 10 grep -q 'client port' "$RUN/node.log" || fail "chat-node --keys did not start: $(cat "$RUN/node.log")"
kill "${CLIENT_PIDS[-1]}"; wait "${CLIENT_PIDS[-1]}" 2>/dev/null || true

log "tools/cluster.sh start --secure: keys in the run folder, clients by name"
BASE=$(pick_base 3)
"$CLUSTER" start --secure 3 "$BASE" >"$RUN/start.out" || fail "start --secure: $(cat "$RUN/start.out")"
grep -q 'SECURE=1' "$RUN/cluster.env" || fail "the run folder does not remember secure mode"
for i in 1 2 3; do [ -f "$RUN/keys/node-$i/node.cert_secret" ] || fail "no keys for node $i"; done
for c in alice bob carol; do [ -f "$RUN/keys/client-$c/client.cert_secret" ] || fail "no key for $c"; done
secure_leader() { "$CLUSTER" client status --json --timeout-ms 400 2>/dev/null \
                  | grep -q '"id":3,"reachable":true,"role":"leader","leader":3'; }
wait_until 30 secure_leader || fail "no secure leader: $("$CLUSTER" client status --json 2>&1)"
# Without a key nothing answers, and the client says why
set +e
plain=$("$BIN/chat-client" status --servers "$("$CLUSTER" servers)" --json --timeout-ms 1500 2>/dev/null)
set -e
echo "$plain" | grep -q '"reachable":true' && fail "a client without keys got an answer: $plain"
echo "$plain" | grep -q '"handshake":"[^"]' || fail "no handshake cause for a client without keys: $plain"
"$CLUSTER" client --listen --name bob --count-exit 1 >"$RUN/bob.out" 2>&1 &
CLIENT_PIDS+=($!)
sleep 1.5
echo "hello over curve" | "$CLUSTER" client --name alice --timeout-ms 20000 >/dev/null 2>&1 \
  || fail "alice could not post through cluster.sh client"
wait_until 20 grep -q 'from alice: hello over curve' "$RUN/bob.out" || fail "bob did not get alice's line: $(cat "$RUN/bob.out")"
set +e
"$CLUSTER" client --name mallory </dev/null >/dev/null 2>"$RUN/err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "no key for client 'mallory'" "$RUN/err" || fail "cluster.sh client --name mallory: exit $rc, $(cat "$RUN/err")"
key=$(md5sum <"$RUN/keys/node-1/node.cert")
"$CLUSTER" stop >/dev/null
"$CLUSTER" start --secure 3 "$BASE" >/dev/null || fail "second start --secure"
[ "$(md5sum <"$RUN/keys/node-1/node.cert")" = "$key" ] || fail "a restart of the same cluster made new keys"
"$CLUSTER" stop >/dev/null
log "PASS"
