/*  tui.c — chat-client on a terminal (tui.h): rooms, events, commands. */
#include <czmq.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "roster.h"
#include "servers.h"
#include "tui.h"
#include "tui_cmd.h"
#include "tui_screen.h"

#define S_MAX_ROOMS     16
#define S_QUIET_MS      2500        //  no word from the leader: reconnecting
#define S_QUIT_MS       3000        //  at the end, wait this long for our ACKs
#define S_HISTORY_MS    5000        //  a /history gives up after this
#define S_STATUS_MS     800         //  /status waits this long for the nodes
#define S_BATCH         256         //  events taken from one room per turn

typedef struct {
    zc_client_t *client;
    char name[ZC_MAX_ROOM + 1];
    uint64_t start_seq;             //  ZC_EV_START: what came before is history
    uint64_t last_seq;              //  the last message shown
    zc_roster_t *roster;            //  who is in it (presence), from the first MEMBERS
    uint64_t members;               //  how many, as the leader last said
} s_room_t;

//  A /history N: a client of its own, with cfg.history = N, whose messages
//  up to what the room showed already are shown, then it goes
typedef struct {
    zc_client_t *client;
    char room[ZC_MAX_ROOM + 1];
    uint64_t bound;                 //  show seqs up to this (0: any)
    uint64_t wanted, shown;
    int64_t deadline;
} s_history_t;

typedef struct {
    const zc_tui_config_t *cfg;
    zc_screen_t *screen;
    s_room_t rooms[S_MAX_ROOMS];
    size_t nrooms, current;
    s_history_t history;
    char name[ZC_MAX_NAME + 1];
    bool had_leader;
    bool quit;
    int64_t quit_at;
    char line[ZC_MAX_TEXT + 1];
} s_tui_t;

bool
zc_tui_wanted (void)
{
    const char *term = getenv ("TERM");
    return isatty (STDIN_FILENO) && isatty (STDOUT_FILENO) && term && *term
        && strcmp (term, "dumb") != 0;
}

static zc_client_t *
s_client_new (s_tui_t *self, const char *room, uint64_t history, char *err, size_t errlen)
{
    zc_client_config_t cfg = {
        .servers = self->cfg->servers, .room = room, .name = self->name,
        .retry_ms = self->cfg->retry_ms, .history = history,
        .verbose = self->cfg->verbose, .keys_dir = self->cfg->keys,
        .relay = self->cfg->relay,
        .presence = history == 0        //  a /history client is not one more of us
    };
    return zc_client_new (&cfg, err, errlen);
}

static s_room_t *
s_find (s_tui_t *self, const char *room, size_t *index)
{
    for (size_t i = 0; i < self->nrooms; i++)
        if (streq (self->rooms [i].name, room)) {
            if (index)
                *index = i;
            return &self->rooms [i];
        }
    return NULL;
}

//  "#room " before what a room shows, once there are several
static const char *
s_prefix (s_tui_t *self, const char *room, char *buf, size_t size)
{
    if (self->nrooms < 2)
        return NULL;
    snprintf (buf, size, "#%s ", room);
    return buf;
}

typedef struct {
    s_tui_t *tui;
    const char *pre;
} s_change_t;

//  A join or leave that the roster saw: one line
static void
s_on_change (void *arg, const char *name, bool joined)
{
    s_change_t *change = arg;
    zc_screen_info (change->tui->screen, "%s%s %s", change->pre? change->pre: "", name,
                    joined? "joined": "left");
}

static void
s_on_members (s_tui_t *self, s_room_t *room, const char *pre, const zc_event_t *ev)
{
    if (!room->roster && !(room->roster = zc_roster_new ()))
        return;
    room->members = ev->count;
    s_change_t change = { self, pre };
    zc_roster_update (room->roster, ev->text, ev->text_len, ev->count, zclock_mono (),
                      s_on_change, &change);
}

static void
s_on_event (s_tui_t *self, s_room_t *room, const zc_event_t *ev)
{
    char prefix [ZC_MAX_ROOM + 3];
    const char *pre = s_prefix (self, room->name, prefix, sizeof prefix);
    switch (ev->type) {
        case ZC_EV_MESSAGE:
            room->last_seq = ev->seq;
            zc_screen_add (self->screen, pre, ev->from, ev->own, ev->text, ev->text_len);
            break;
        case ZC_EV_START:
            room->start_seq = ev->seq;
            break;
        case ZC_EV_MEMBERS:
            s_on_members (self, room, pre, ev);
            break;
        case ZC_EV_LEADER:
            if (room->roster)
                zc_roster_leader_changed (room->roster, zclock_mono ());
            //  Every room's client follows the same cluster: one line is enough
            if (room == &self->rooms [self->current])
                zc_screen_info (self->screen, "leader is now node %u (epoch %" PRIu64 ")",
                                ev->leader, ev->epoch);
            break;
        case ZC_EV_NOTICE:
        case ZC_EV_LOST:
        case ZC_EV_REFUSED:
        case ZC_EV_FORGOTTEN:
        case ZC_EV_EXPIRED:
            zc_screen_info (self->screen, "%s%.*s", pre? pre: "", (int) ev->text_len, ev->text);
            break;
        case ZC_EV_ACK:
            break;
    }
}

static void
s_on_history_event (s_tui_t *self, const zc_event_t *ev)
{
    s_history_t *job = &self->history;
    if (ev->type != ZC_EV_MESSAGE)
        return;                     //  its notices are the room's too
    if (job->bound && ev->seq > job->bound) {
        zc_client_destroy (&job->client);   //  live now: the room shows the rest
        return;
    }
    char prefix [ZC_MAX_ROOM + 16];
    snprintf (prefix, sizeof prefix, "[history #%s] ", job->room);
    zc_screen_add (self->screen, prefix, ev->from, ev->own, ev->text, ev->text_len);
    if (++job->shown >= job->wanted)
        zc_client_destroy (&job->client);
}

static void
s_status_line (s_tui_t *self)
{
    s_room_t *room = &self->rooms [self->current];
    uint32_t leader = zc_client_leader (room->client);
    int64_t heard = zc_client_leader_heard (room->client);
    char state [96];
    if (leader && heard && zclock_mono () - heard < S_QUIET_MS) {
        snprintf (state, sizeof state, "leader node %u, epoch %" PRIu64,
                  leader, zc_client_epoch (room->client));
        self->had_leader = true;
    }
    else
        snprintf (state, sizeof state, "%s", self->had_leader? "reconnecting…": "connecting…");
    char text [512];
    int at = snprintf (text, sizeof text, " #%s | %s | %s", room->name, self->name, state);
    size_t unacked = zc_client_unacked (room->client);
    if (unacked && at > 0 && (size_t) at < sizeof text)
        at += snprintf (text + at, sizeof text - (size_t) at, " | %zu unacknowledged", unacked);
    if (self->nrooms > 1 && at > 0 && (size_t) at < sizeof text)
        snprintf (text + at, sizeof text - (size_t) at, " | %zu rooms", self->nrooms);
    zc_screen_status (self->screen, text);
    char prompt [ZC_MAX_ROOM + 4];
    snprintf (prompt, sizeof prompt, "[%s] ", room->name);
    zc_screen_prompt (self->screen, prompt);
}

//  --------------------------------------------------------------------------
//  Commands

static void
s_join (s_tui_t *self, const char *name)
{
    size_t index;
    if (s_find (self, name, &index)) {
        self->current = index;
        zc_screen_info (self->screen, "now writing to #%s", name);
        return;
    }
    if (self->nrooms == S_MAX_ROOMS) {
        zc_screen_info (self->screen, "already in %d rooms: /leave one first", S_MAX_ROOMS);
        return;
    }
    char err [512];
    zc_client_t *client = s_client_new (self, name, 0, err, sizeof err);
    if (!client) {
        zc_screen_info (self->screen, "cannot join #%s: %s", name, err);
        return;
    }
    s_room_t *room = &self->rooms [self->nrooms];
    *room = (s_room_t) { .client = client };
    snprintf (room->name, sizeof room->name, "%s", name);
    self->current = self->nrooms++;
    zc_screen_info (self->screen, "joined #%s; now writing there", name);
}

static void
s_leave (s_tui_t *self, const char *name)
{
    size_t index = self->current;
    if (*name && !s_find (self, name, &index)) {
        zc_screen_info (self->screen, "not in #%s (/rooms lists yours)", name);
        return;
    }
    s_room_t *room = &self->rooms [index];
    if (self->nrooms == 1) {
        zc_screen_info (self->screen, "#%s is your only room: /join another first, or /quit",
                        room->name);
        return;
    }
    size_t unacked = zc_client_unacked (room->client);
    if (unacked)
        zc_screen_info (self->screen, "left #%s; %zu message(s) not acknowledged yet may be"
                        " lost", room->name, unacked);
    else
        zc_screen_info (self->screen, "left #%s", room->name);
    if (self->history.client && streq (self->history.room, room->name))
        zc_client_destroy (&self->history.client);
    zc_client_destroy (&room->client);
    zc_roster_destroy (&room->roster);
    memmove (room, room + 1, (self->nrooms - index - 1) * sizeof *room);
    self->nrooms--;
    if (self->current > index || self->current == self->nrooms)
        self->current = self->current? self->current - 1: 0;
    zc_screen_info (self->screen, "now writing to #%s", self->rooms [self->current].name);
}

//  /who: the current room's names, as the leader last listed them
static void
s_who (s_tui_t *self)
{
    s_room_t *room = &self->rooms [self->current];
    char names [4096];
    int known = room->roster? zc_roster_names (room->roster, names, sizeof names): -1;
    if (known < 0)
        zc_screen_info (self->screen, "#%s: no word from the leader yet on who is here",
                        room->name);
    else
    if ((uint64_t) known < room->members)
        zc_screen_info (self->screen, "#%s: %" PRIu64 " here: %s, and %" PRIu64 " more",
                        room->name, room->members, names, room->members - (uint64_t) known);
    else
        zc_screen_info (self->screen, "#%s: %d here: %s", room->name, known, names);
}

static void
s_rooms (s_tui_t *self)
{
    char text [S_MAX_ROOMS * (ZC_MAX_ROOM + 16)] = "";
    size_t at = 0;
    for (size_t i = 0; i < self->nrooms && at < sizeof text; i++)
        at += (size_t) snprintf (text + at, sizeof text - at, "%s#%s%s", i? ", ": "",
                                 self->rooms [i].name, i == self->current? " (current)": "");
    zc_screen_info (self->screen, "rooms: %s", text);
}

static void
s_nick (s_tui_t *self, const char *name)
{
    for (size_t i = 0; i < self->nrooms; i++)
        zc_client_set_name (self->rooms [i].client, name);
    snprintf (self->name, sizeof self->name, "%s", name);
    zc_screen_info (self->screen, "you are now known as %s%s", name,
                    self->cfg->keys? " (with a client certificate, the cluster shows its"
                                     " name instead)": "");
}

static void
s_history (s_tui_t *self, uint64_t count)
{
    s_room_t *room = &self->rooms [self->current];
    zc_client_destroy (&self->history.client);
    char err [512];
    s_history_t *job = &self->history;
    *job = (s_history_t) { .wanted = count, .deadline = zclock_mono () + S_HISTORY_MS };
    job->client = s_client_new (self, room->name, count, err, sizeof err);
    if (!job->client) {
        zc_screen_info (self->screen, "/history: %s", err);
        return;
    }
    snprintf (job->room, sizeof job->room, "%s", room->name);
    //  What the room shows already, or will show as live
    job->bound = room->last_seq > room->start_seq? room->last_seq: room->start_seq;
    zc_screen_info (self->screen, "the last %" PRIu64 " message(s) of #%s:", count, room->name);
}

static void
s_status (s_tui_t *self)
{
    zc_status_row_t rows [ZC_MAX_SERVERS];
    char err [512];
    int count = zc_client_status_keys (self->cfg->servers, self->cfg->keys, S_STATUS_MS,
                                       rows, ZC_MAX_SERVERS, err, sizeof err);
    if (count < 0) {
        zc_screen_info (self->screen, "/status: %s", err);
        return;
    }
    char *table = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&table, &size);
    if (!out) {
        zc_screen_info (self->screen, "/status: out of memory");
        return;
    }
    zc_status_print_table (out, rows, (size_t) count);
    fclose (out);
    for (char *line = table, *end; line && *line; line = end? end + 1: NULL) {
        end = strchr (line, '\n');
        zc_screen_add (self->screen, NULL, NULL, false, line,
                       end? (size_t) (end - line): strlen (line));
    }
    free (table);
}

static void
s_on_line (s_tui_t *self, const char *line, size_t len)
{
    zc_cmd_t cmd;
    switch (zc_cmd_parse (line, len, &cmd)) {
        case ZC_CMD_TEXT: {
            if (!cmd.text_len)
                break;
            char text [ZC_MAX_TEXT + 1];
            memcpy (text, cmd.text, cmd.text_len);
            text [cmd.text_len] = 0;
            if (!zc_client_post (self->rooms [self->current].client, text, NULL))
                zc_screen_info (self->screen, "not sent: longer than %d bytes", ZC_MAX_TEXT);
            break;
        }
        case ZC_CMD_JOIN:    s_join (self, cmd.arg); break;
        case ZC_CMD_LEAVE:   s_leave (self, cmd.arg); break;
        case ZC_CMD_ROOMS:   s_rooms (self); break;
        case ZC_CMD_NICK:    s_nick (self, cmd.arg); break;
        case ZC_CMD_WHO:   s_who (self); break;
        case ZC_CMD_HISTORY: s_history (self, cmd.count); break;
        case ZC_CMD_STATUS:  s_status (self); break;
        case ZC_CMD_HELP:
            for (size_t i = 0; zc_cmd_help [i]; i++)
                zc_screen_info (self->screen, "%s", zc_cmd_help [i]);
            break;
        case ZC_CMD_QUIT:    self->quit = true; break;
        case ZC_CMD_ERROR:   zc_screen_info (self->screen, "%s", cmd.error); break;
    }
}

//  --------------------------------------------------------------------------
//  The loop

static size_t
s_unacked (s_tui_t *self)
{
    size_t total = 0;
    for (size_t i = 0; i < self->nrooms; i++)
        total += zc_client_unacked (self->rooms [i].client);
    return total;
}

//  Takes what the other rooms and a /history have, without waiting
static void
s_poll_others (s_tui_t *self)
{
    zc_event_t ev;
    for (size_t i = 0; i < self->nrooms; i++) {
        if (i == self->current)
            continue;
        for (int n = 0; n < S_BATCH && zc_client_wait (self->rooms [i].client, 0, -1, &ev) == 1;
             n++)
            s_on_event (self, &self->rooms [i], &ev);
    }
    s_history_t *job = &self->history;
    for (int n = 0; job->client && n < S_BATCH && zc_client_wait (job->client, 0, -1, &ev) == 1;
         n++)
        s_on_history_event (self, &ev);
    if (job->client && zclock_mono () > job->deadline) {
        zc_screen_info (self->screen, "/history: %" PRIu64 " message(s) found", job->shown);
        zc_client_destroy (&job->client);
    }
}

static void
s_locale (void)
{
    setlocale (LC_ALL, "");
    const char *codeset = nl_langinfo (CODESET);
    if (!codeset || (strcmp (codeset, "UTF-8") && strcmp (codeset, "utf8")))
        setlocale (LC_CTYPE, "C.UTF-8");
}

int
zc_tui_run (const zc_tui_config_t *cfg)
{
    s_tui_t *self = calloc (1, sizeof *self);
    if (!self) {
        fprintf (stderr, "chat-client: out of memory\n");
        return 1;
    }
    self->cfg = cfg;
    const char *user = getenv ("USER");
    snprintf (self->name, sizeof self->name, "%s",
              cfg->name? cfg->name: user && zc_name_valid (user, strlen (user))? user: "anon");
    const char *room = cfg->room? cfg->room: "general";
    char err [512];
    zc_client_t *client = s_client_new (self, room, cfg->history, err, sizeof err);
    if (!client) {
        fprintf (stderr, "chat-client: %s\n", err);
        free (self);
        return 1;
    }
    self->rooms [0] = (s_room_t) { .client = client };
    snprintf (self->rooms [0].name, sizeof self->rooms [0].name, "%s", room);
    self->nrooms = 1;
    s_locale ();
    const char *no_colour = getenv ("NO_COLOR");
    self->screen = zc_screen_new (!(no_colour && *no_colour), ZC_MAX_TEXT);
    if (!self->screen) {
        fprintf (stderr, "chat-client: cannot use this terminal\n");
        zc_client_destroy (&self->rooms [0].client);
        free (self);
        return 1;
    }
    zc_screen_info (self->screen, "zchat: you are %s in #%s; /help lists the commands",
                    self->name, room);
    while (!*cfg->stop) {
        s_status_line (self);
        zc_screen_draw (self->screen);
        if (self->quit) {
            if (!self->quit_at) {
                self->quit_at = zclock_mono ();
                if (s_unacked (self))
                    zc_screen_info (self->screen, "sending %zu unacknowledged message(s)…",
                                    s_unacked (self));
            }
            if (!s_unacked (self) || zclock_mono () - self->quit_at > S_QUIT_MS)
                break;
        }
        s_poll_others (self);
        s_room_t *current = &self->rooms [self->current];
        zc_event_t ev;
        int got = zc_client_wait (current->client, self->nrooms > 1 || self->history.client
                                                   ? 50: 200, STDIN_FILENO, &ev);
        if (got == 1)
            s_on_event (self, current, &ev);
        size_t len;
        int input;
        while (!self->quit && (input = zc_screen_input (self->screen, self->line,
                                                        sizeof self->line, &len)) != 0) {
            if (input < 0)
                self->quit = true;
            else
                s_on_line (self, self->line, len);
        }
    }
    zc_screen_destroy (&self->screen);
    zc_client_destroy (&self->history.client);
    size_t unacked = s_unacked (self);
    for (size_t i = 0; i < self->nrooms; i++) {
        zc_client_destroy (&self->rooms [i].client);
        zc_roster_destroy (&self->rooms [i].roster);
    }
    free (self);
    if (unacked)
        fprintf (stderr, "chat-client: %zu message(s) not acknowledged at exit\n", unacked);
    return 0;
}
