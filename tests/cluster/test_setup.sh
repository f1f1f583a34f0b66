#!/usr/bin/env bash
# tools/setup.sh must never hide a failed build: the build's own exit
# status decides, and a failed build exits non-zero with its errors and one
# clear line, rather than go on to the binaries an earlier build left in
# the build folder (a filter's `|| true` once hid the failure, and `test -x`
# then passed on those old binaries).  tools/cluster.sh, which builds before
# it starts nodes, must then start none.
#
# A copy of the source tree (no build folders) with one source file broken
# on purpose; its build folder holds chat-node and chat-client from a good
# build ($1, the ctest build).  The broken file is in src/msg, which every
# target needs, so the failing build stops within seconds.
#   bash tests/cluster/test_setup.sh BUILD_DIR
set -euo pipefail
BIN=$(cd "${1:?usage: test_setup.sh BUILD_DIR}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TEST_NAME=test_setup
TMP=$(mktemp -d /tmp/zchat-setup-test.XXXXXX)

log() { echo "[$TEST_NAME] $*"; }
fail() { echo "[$TEST_NAME] FAIL: $*" >&2; echo "[$TEST_NAME] kept: $TMP" >&2; trap - EXIT; exit 1; }
trap 'rm -rf "$TMP"' EXIT

[ -x "$BIN/chat-node" ] && [ -x "$BIN/chat-client" ] || fail "no chat-node/chat-client in $BIN"
src=$TMP/src
mkdir -p "$src"
tar -C "$ROOT" --exclude='./build*' --exclude=./.git --exclude=./zchat-data \
    --exclude=./zchat-run -cf - . | tar -C "$src" -xf -
echo '#error zchat setup test: broken on purpose' >>"$src/src/msg/lamport.c"

# The old binaries, from a good build
mkdir -p "$src/build"
cp "$BIN/chat-node" "$BIN/chat-client" "$src/build/"
unset ZCHAT_SETUP_FUZZ ZCHAT_BIN

log "setup.sh on a broken tree whose build folder holds good binaries"
rc=0
"$src/tools/setup.sh" "$src/build" >"$TMP/setup.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || { cat "$TMP/setup.out"; fail "setup.sh exited 0 after a failed build"; }
grep -q 'broken on purpose' "$TMP/setup.out" \
  || { cat "$TMP/setup.out"; fail "the compiler's error is not shown"; }
grep -q '^setup: FAILED: the build in .* failed' "$TMP/setup.out" \
  || { cat "$TMP/setup.out"; fail "no line saying the build failed"; }
log "setup.sh exited $rc and said: $(grep '^setup: FAILED' "$TMP/setup.out")"

log "cluster.sh start (it builds first) starts no node from the old binaries"
rc=0
ZCHAT_RUN_DIR=$TMP/run "$src/tools/cluster.sh" start 1 >"$TMP/cluster.out" 2>&1 || rc=$?
if ls "$TMP"/run/node-*.pid >/dev/null 2>&1; then
  for f in "$TMP"/run/node-*.pid; do kill -KILL "$(cat "$f")" 2>/dev/null || true; done
  cat "$TMP/cluster.out"
  fail "cluster.sh started a node after a failed build"
fi
[ $rc -ne 0 ] || { cat "$TMP/cluster.out"; fail "cluster.sh start exited 0 after a failed build"; }
grep -q 'cluster.sh: the build failed' "$TMP/cluster.out" \
  || { cat "$TMP/cluster.out"; fail "cluster.sh does not say the build failed"; }
log "cluster.sh exited $rc"
log "PASS"
