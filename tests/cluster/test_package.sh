#!/usr/bin/env bash
# The Debian package, as an operator gets it: tools/package.sh builds the
# .deb, apt-get installs it; every command answers --help from /usr/bin,
# the man pages, the systemd unit (systemd-analyze verify where present),
# the example config, the zchat user and /var/lib/zchat are in place; a
# cluster of three INSTALLED chat-nodes (not under systemd: CI has none)
# on free loopback ports, run as the zchat user with their data in
# /var/lib/zchat as the unit runs them, elects node 3, carries a message
# from one chat-client to another, and stops by PID; finally
# apt-get purge leaves the machine as it was (and the zchat user goes if
# this test made it).  As root on Debian/Ubuntu with apt only (else 77).
# The nodes read the installed example config, adapted, as the unit would.
set -euo pipefail
name=test_package
skip() { echo "[$name] SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (it installs the .deb with apt-get)"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || skip "no apt-get/dpkg (not Debian or Ubuntu)"
# One run at a time (two would share the package database and /usr/bin),
# and what follows is checked under the lock
lock=/run/lock/zchat-test-package.lock
[ -d /run/lock ] || lock=/tmp/zchat-test-package.lock
exec 8>"$lock"
flock -w 600 8 || { echo "[$name] FAIL: another test_package held $lock for 10 minutes" >&2; exit 1; }
# The purge at the end deletes /var/lib/zchat: never where zchat is or was
# (removed, not purged: its data is still there)
if dpkg-query -W -f '${Status}' zchat >/dev/null 2>&1; then
  skip "zchat is or was installed here ($(dpkg-query -W -f '${Status}' zchat)); apt-get purge zchat to let this test run"
fi
[ ! -e /var/lib/zchat ] || skip "/var/lib/zchat exists (a node's data?); this test's purge would delete it"
. "$(dirname "$0")/lib.sh"

apt_opts=(-y -q -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive
had_user=0
getent passwd zchat >/dev/null && had_user=1
installed=0
NODE_PIDS=()

# Whatever happens: nodes stopped, package purged, user removed if ours
package_cleanup() {
  local rc=$? pid
  for pid in "${NODE_PIDS[@]:-}"; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true; done
  if [ $installed = 1 ] && dpkg-query -W zchat >/dev/null 2>&1; then
    apt-get purge "${apt_opts[@]}" zchat >"$RUN/purge.log" 2>&1 \
      || { echo "[$name] apt-get purge zchat failed:"; tail -n 20 "$RUN/purge.log" || true; } >&2
  fi
  if [ $had_user = 0 ] && getent passwd zchat >/dev/null; then userdel zchat 2>/dev/null || true; fi
  (exit $rc)
  cleanup
}
trap package_cleanup EXIT
# A command failing under set -e says where, rather than end the test silently
trap 'fail "line $LINENO: exit $?: $BASH_COMMAND"' ERR

# --- build and install -----------------------------------------------------
log "tools/package.sh (Release build in $BIN/package-build)"
pkg_out=$("$ROOT/tools/package.sh" "$BIN/package-build" 2>&1) \
  || { echo "$pkg_out" | tail -n 40 >&2; fail "tools/package.sh failed"; }
deb=$(echo "$pkg_out" | tail -n 1)
[[ "$deb" = /*/zchat_*.deb && -f "$deb" ]] || fail "tools/package.sh's last line is not a .deb: '$deb'"
log "built $deb"
dpkg-deb -f "$deb" Depends | grep -q libczmq4 || fail "the package does not depend on libczmq4: $(dpkg-deb -f "$deb" Depends)"
installed=1
[ -d "$RUN" ] && [ -w "$RUN" ] || fail "the run folder $RUN is gone or not writable"
apt-get install "${apt_opts[@]}" "$deb" >"$RUN/install.log" 2>&1 \
  || { tail -n 30 "$RUN/install.log" >&2 || true; fail "apt-get install $deb failed"; }
dpkg-query -W -f '${Status}' zchat | grep -q 'install ok installed' || fail "zchat is not installed after apt-get install"

# --- what the package put in place -----------------------------------------
for cmd in chat-node chat-client chat-chaos zchat-check chat-keygen chat-trace chat-relay; do
  [ -x "/usr/bin/$cmd" ] || fail "/usr/bin/$cmd is missing"
  "/usr/bin/$cmd" --help >"$RUN/$cmd.help" 2>&1 || fail "/usr/bin/$cmd --help exited $?"
  grep -q -- '--' "$RUN/$cmd.help" || fail "/usr/bin/$cmd --help printed no option"
  if command -v man >/dev/null; then
    man -w "$cmd" >/dev/null 2>&1 || fail "man -w $cmd finds no page"
  fi
  [ -f "/usr/share/man/man1/$cmd.1.gz" ] || fail "no /usr/share/man/man1/$cmd.1.gz"
done
for bad in chat-node-buggy zchat-hostile zchat-sim-trace; do
  [ ! -e "/usr/bin/$bad" ] || fail "the test-only $bad was installed"
done
unit=""
for d in /lib/systemd/system /usr/lib/systemd/system; do
  if [ -f "$d/zchat-node@.service" ]; then unit="$d/zchat-node@.service"; fi
done
[ -n "$unit" ] || fail "no zchat-node@.service in /lib/systemd/system"
grep -q '^ExecStart=/usr/bin/chat-node --config /etc/zchat/node-%i.conf$' "$unit" \
  || fail "$unit does not run /usr/bin/chat-node --config /etc/zchat/node-%i.conf"
if command -v systemd-analyze >/dev/null; then
  # It checks the unit's Documentation= with man(1), when there is one
  verify_opts=()
  command -v man >/dev/null || verify_opts=(--man=no)
  systemd-analyze verify "${verify_opts[@]}" zchat-node@1.service >"$RUN/verify.log" 2>&1 \
    || { cat "$RUN/verify.log" >&2; fail "systemd-analyze verify zchat-node@1.service failed"; }
  log "systemd-analyze verify: ok"
fi
example=/etc/zchat/node-1.conf.example
[ -f "$example" ] || fail "no $example"
getent passwd zchat >/dev/null || fail "the postinst made no zchat user"
[ "$(stat -c %U "/var/lib/zchat" 2>/dev/null)" = zchat ] || fail "/var/lib/zchat is missing or not owned by zchat"

# --- a cluster of the installed binaries -------------------------------------
# As the unit runs them: user zchat, data folders in /var/lib/zchat (purged
# at the end); their config files and logs in the run folder
BIN=/usr/bin                      # lib.sh's helpers (status, clients) use it
chmod 0755 "$RUN"
as_zchat=(setpriv --reuid=zchat --regid=zchat --init-groups)
BASE=$(pick_base 3)
SERVERS="127.0.0.1:$BASE,127.0.0.1:$((BASE + 1)),127.0.0.1:$((BASE + 2))"
grep -q -- '--config' "$RUN/chat-node.help" || fail "/usr/bin/chat-node has no --config, which the unit runs it with"
peers_of() {
  local i=$1 j list=""
  for j in 1 2 3; do [ "$j" = "$i" ] || list+="${list:+,}$j:127.0.0.1:$((BASE + j - 1))"; done
  echo "$list"
}
for i in 1 2 3; do
  # The installed example with this node's id, port, peers and data-dir,
  # on loopback and without its keys and metrics (none here)
  conf="$RUN/node-$i.conf"
  grep -vE '^[[:space:]]*(id|port|peers|data-dir|keys|metrics|bind|initial-cluster-state)[[:space:]]*=' "$example" >"$conf"
  printf 'id = %s\nport = %s\npeers = %s\ndata-dir = %s\nbind = 127.0.0.1\ninitial-cluster-state = new\n' \
    "$i" "$((BASE + i - 1))" "$(peers_of "$i")" "/var/lib/zchat/node-$i" >>"$conf"
  chmod 0644 "$conf"
  args=(--config "$conf")
  setsid "${as_zchat[@]}" /usr/bin/chat-node "${args[@]}" >"$RUN/node-$i.log" 2>&1 </dev/null 8>&- &
  NODE_PIDS+=($!)
done
log "3 nodes of /usr/bin/chat-node --config (from $example) as user zchat, ports $BASE.."
sleep 0.5
for i in 0 1 2; do kill -0 "${NODE_PIDS[$i]}" 2>/dev/null || fail "node $((i + 1)) did not start: $(tail -n 3 "$RUN/node-$((i + 1)).log")"; done
wait_leader 3 60
log "node 3 leads (chat-client status: $(leaders))"

start_listener bob
wait_following bob
echo "hello from the package" | /usr/bin/chat-client --servers "$SERVERS" --name alice --timeout-ms 30000 \
  >"$RUN/alice.out" 2>&1 || fail "alice's message was not acknowledged: $(tail -n 3 "$RUN/alice.out")"
wait_received bob 1
grep -q 'from alice: hello from the package' "$RUN/bob.out" || fail "bob did not print alice's message: $(cat "$RUN/bob.out")"
log "bob received alice's message"
for i in 1 2 3; do
  owner=$(stat -c %U "/var/lib/zchat/node-$i" 2>/dev/null || true)
  [ "$owner" = zchat ] || fail "/var/lib/zchat/node-$i is not the zchat user's data folder (owner: '${owner:-none}')"
  ls "/var/lib/zchat/node-$i"/log-*.seg >/dev/null 2>&1 || fail "no log segment in /var/lib/zchat/node-$i"
done

# --- stop by PID, then purge ---------------------------------------------------
for pid in "${CLIENT_PIDS[@]}" "${NODE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for i in 0 1 2; do
  rc=0; wait_exit "${NODE_PIDS[$i]}" 30 || rc=$?
  [ $rc != 124 ] || fail "node $((i + 1)) did not stop within 30 s of SIGTERM"
done
NODE_PIDS=()
apt-get purge "${apt_opts[@]}" zchat >"$RUN/purge.log" 2>&1 || { tail -n 20 "$RUN/purge.log" >&2 || true; fail "apt-get purge zchat failed"; }
installed=0
for f in /usr/bin/chat-node /usr/share/man/man1/chat-node.1.gz "$unit" "$example" /var/lib/zchat; do
  [ ! -e "$f" ] || fail "$f is still there after apt-get purge zchat"
done
log "purged: nothing of zchat left"
log "PASS"
