#!/usr/bin/env bash
# Run a fault-injection campaign against a real zchat cluster (chat-chaos).
#
#   tools/chaos.sh [chat-chaos options]      e.g. tools/chaos.sh --seed 42 --duration 120
#   tools/chaos.sh --help                    every option
#
# Builds first (tools/setup.sh, into build/) unless $ZCHAT_BIN names a folder
# that already holds chat-chaos and chat-node.  As root, every node runs in
# its own network namespace and the network faults (isolate, split, loss)
# are on; otherwise they are skipped with one line saying so.  Exit status:
# 0 no violation, 1 violations, 2 usage or setup error, 130 interrupted.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ZCHAT_BIN:-$root/build}
if [ -z "${ZCHAT_BIN:-}" ]; then
  "$root/tools/setup.sh" "$bin" >&2
fi
[ -x "$bin/chat-chaos" ] || { echo "chaos.sh: no chat-chaos in $bin" >&2; exit 2; }
exec "$bin/chat-chaos" "$@"
