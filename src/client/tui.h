/*  tui.h — chat-client on a terminal: the interactive session.

    One client (client.h) per room joined; what is typed goes to the
    current room (the last one joined or switched to).  The screen is
    tui_screen.h's, the commands tui_cmd.h's.  The status line says the
    room, the name, and the leader: "leader node 2, epoch 7" while the
    followed leader speaks for itself (its beacon, at least every second),
    "reconnecting…" after 2.5 s without its word or when it stopped
    serving, "connecting…" before any leader was heard.

    Used when stdin and stdout are terminals, TERM is set and not "dumb",
    and neither --listen nor --record is given; piped and --listen runs
    stay plain lines (chat_client.c).  NO_COLOR (set, not empty) turns
    colours off.  The text is UTF-8: with a locale that is not, the
    session switches LC_CTYPE to C.UTF-8 when the system has it.
*/
#ifndef ZC_TUI_H
#define ZC_TUI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *servers, *room, *name, *keys;
    const char *relay;              //  zc_client_config_t.relay
    uint32_t retry_ms;
    uint64_t history;
    int verbose;
    volatile sig_atomic_t *stop;    //  set by the caller's SIGINT/SIGTERM handler
} zc_tui_config_t;

//  True if this terminal should get the split screen (see above).
bool zc_tui_wanted (void);

//  Run the session until /quit, Ctrl-D on an empty line or *stop.
//  Returns the exit code: 0, or 1 if the first room could not be joined
//  or the terminal could not be used (a line on stderr says why).
int zc_tui_run (const zc_tui_config_t *cfg);

#endif
