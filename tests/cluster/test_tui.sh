#!/usr/bin/env bash
# chat-client's split screen, driven through a real terminal (tmux): a
# half-typed line stays whole while messages arrive and while the leader
# fails over; the status line follows the new leader; Enter sends the
# line (UTF-8 included) and another client receives it; /quit ends it.
# /who lists the room (listeners too), joins and leaves show, and
# presence survives the failover.  Skipped (77) where tmux is missing: tools/setup.sh installs it.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || { log "SKIP: no tmux"; exit 77; }
SOCK="zchat-tui-$$"
TMUX_CMD=(tmux -L "$SOCK" -f /dev/null)
trap '"${TMUX_CMD[@]}" kill-server 2>/dev/null || true; cleanup' EXIT

start_cluster 3
wait_leader 3
start_client bob
wait_following bob

# alice: the split screen, 100x30, UTF-8
"${TMUX_CMD[@]}" new-session -d -s tui -x 100 -y 30 \
  "env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR=1 '$BIN/chat-client' --servers '$SERVERS' --name alice 2>'$RUN/alice.err'"
screen() { "${TMUX_CMD[@]}" capture-pane -p -t tui 2>/dev/null; }
shows() { screen | grep -qF -- "$1"; }
# The input line: the last line of the screen that holds text
input_line() { screen | grep -v '^[[:space:]]*$' | tail -n 1; }
input_has() { input_line | grep -qF -- "$1"; }
keys() { "${TMUX_CMD[@]}" send-keys -t tui -l -- "$1"; }

wait_until 30 shows "leader node 3" || { screen >&2; fail "the status line never showed leader node 3"; }
log "status line: $(screen | grep -F 'leader node 3' | head -n 1 | sed 's/  */ /g')"

# Presence: /who lists the room, listeners included; a client that comes
# and goes shows as a join and a leave
start_listener lena
who_count() { screen | grep -cF "#general: 3 here: alice, bob, lena" || true; }
who_lists() {   # a new /who answer lists all three
  local before; before=$(who_count)
  "${TMUX_CMD[@]}" send-keys -t tui -l -- "/who"; "${TMUX_CMD[@]}" send-keys -t tui Enter
  sleep 0.5
  [ "$(who_count)" -gt "$before" ]
}
wait_until 30 who_lists || { screen >&2; fail "/who never listed alice, bob and lena"; }
log "/who: $(screen | grep -F '#general: 3 here' | tail -n 1 | sed 's/  */ /g')"
start_client carol
wait_until 30 shows "carol joined" || { screen >&2; fail "no line saying carol joined"; }
close_client carol
wait_until 30 shows "carol left" || { screen >&2; fail "no line saying carol left"; }
log "carol's join and leave shown"

HALF="meio escrito: ação é"
keys "$HALF"
wait_until 10 input_has "$HALF" || { screen >&2; fail "the typed text is not on the input line"; }

for i in 1 2 3 4 5 6 7 8; do say bob "bob line $i"; done
wait_until 30 shows "bob line 8" || { screen >&2; fail "alice never showed bob's lines"; }
input_has "$HALF" || { screen >&2; fail "incoming lines disturbed the half-typed line"; }
log "8 lines arrived; the input line is still: $(input_line | sed 's/  */ /g')"

log "kill the leader (node 3)"
"$CLUSTER" kill 3 >/dev/null
wait_leader 2 30
wait_until 40 shows "leader node 2" || { screen >&2; fail "the status line did not follow leader 2"; }
input_has "$HALF" || { screen >&2; fail "the failover disturbed the half-typed line"; }
log "status line: $(screen | grep -F 'leader node 2' | head -n 1 | sed 's/  */ /g')"
shows "lena left" && { screen >&2; fail "the failover showed lena leaving"; }

"${TMUX_CMD[@]}" send-keys -t tui Enter
wait_until 30 grep -qF "$HALF" "$RUN/bob.out" || { screen >&2; fail "bob never received alice's line"; }
input_has "$HALF" && { screen >&2; fail "the input line kept the sent text"; }
log "Enter sent it; bob got: $(grep -F "$HALF" "$RUN/bob.out" | head -n 1)"
# presence survives the failover: the new leader learnt it from the refreshes
wait_until 30 who_lists || { screen >&2; fail "/who after the failover did not list all three"; }
log "/who after the failover: $(screen | grep -F '#general: 3 here' | tail -n 1 | sed 's/  */ /g')"

keys "/quit"
"${TMUX_CMD[@]}" send-keys -t tui Enter
gone() { ! "${TMUX_CMD[@]}" has-session -t tui 2>/dev/null; }
wait_until 20 gone || { screen >&2; fail "/quit did not end the client"; }
log "ok"
