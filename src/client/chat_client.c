/*  chat_client.c — the chat-client command line.

    chat-client --servers LIST [--room R] [--name N]   chat (stdin lines)
    chat-client --servers LIST --listen                 print only
    chat-client status --servers LIST [--json]          every node's status
    chat-client admin --servers LIST add ID:HOST:PORT    membership changes
    chat-client admin --servers LIST remove ID

    On a terminal (stdin and stdout, TERM not dumb) it is the split
    screen of tui.h, unless --plain, --listen or --record; with a terminal
    on stdin only, it is an interactive line reader; otherwise it posts every
    line, waits until each is acknowledged and exits 0, or exits 1 when no
    progress was made for --timeout-ms or when the cluster refused lines
    for good (ERROR limit; slow_down only delays them).  Bad flags and key
    files that cannot be read exit 2.  --record FILE
    appends one machine-readable line per event for the test checkers.
*/
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "texthash.h"
#include "client.h"
#include "admin.h"
#include "client_keys.h"
#include "numparse.h"
#include "servers.h"
#include "tui.h"

#define ZC_WINDOW     1000          //  stop reading stdin with this many unacked
#define ZC_LINGER_MS  2000          //  after the last ACK, wait for our messages

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    s_stop = signum;
}

static const char *s_usage =
    "usage:\n"
    "  chat-client --servers HOST:PORT,... [options]   chat: post stdin lines, print the room\n"
    "  chat-client --servers HOST:PORT,... --listen    only print the room\n"
    "  chat-client status --servers HOST:PORT,... [--keys DIR] [--json] [--timeout-ms N]\n"
    "  chat-client admin --servers HOST:PORT,... [--keys DIR] [--timeout-ms N]\n"
    "                     add ID:HOST:PORT | remove ID   (membership; default 10000 ms)\n"
    "\n"
    "options:\n"
    "  --servers LIST     every node's client port, e.g. localhost:50051,localhost:50052\n"
    "  --room NAME        room to join (default general; A-Z a-z 0-9 _ . -)\n"
    "  --name NAME        name shown to others (default $USER, or anon)\n"
    "  --keys DIR         speak CURVE: DIR holds server.cert (the cluster's key) and\n"
    "                     client.cert + client.cert_secret (ours, from chat-keygen);\n"
    "                     with server.cert alone, an ephemeral key (--clients any)\n"
    "  --listen           subscribe and print only, until SIGINT/SIGTERM\n"
    "  --relay LIST       receive the room through chat-relays (tcp://HOST:PORT,...)\n"
    "                     instead of every node's PUB; requests still go to --servers\n"
    "  --plain            on a terminal too: plain lines, no split screen\n"
    "  --count-exit N     with --listen: exit 0 after N messages\n"
    "  --history N        first show the room's last N messages, then the live ones\n"
    "  --record FILE      append the history checker's lines to FILE (room, start,\n"
    "                     sent, ack, recv, leader, lost, refused, forgotten, end)\n"
    "  --retry-ms N       resend unacknowledged messages after N ms (default 300)\n"
    "  --timeout-ms N     give up after N ms without progress (default 30000;\n"
    "                     for status: how long to wait for replies, default 1000)\n"
    "  --json             status: print one line of JSON\n"
    "  -v, --verbose      log the client's decisions to stderr\n"
    "  -h, --help         this text\n"
    "\n"
    "On a terminal: a split screen (messages, status line, input line) with\n"
    "/join /leave /rooms /nick /who /history /status /help /quit (NO_COLOR=1: no\n"
    "colours).  Piped, --listen, --record or --plain:\n"
    "output: [rec][ts=T] from NAME: TEXT   a message from someone else\n"
    "        [you][ts=T] TEXT              one of yours, stored and delivered\n"
    "        [info] ...                    leader changes and notices\n";

typedef struct {
    const char *servers, *room, *name, *record, *keys, *relay;
    uint32_t retry_ms, timeout_ms;
    bool timeout_set, listen, json, plain;
    uint64_t count_exit, history;
    int verbose;
    bool admin;                     //  chat-client admin VERB ARG
    const char *verb, *arg;
} s_opts_t;

static int
s_bad (const char *format, const char *arg)
{
    fprintf (stderr, "chat-client: ");
    fprintf (stderr, format, arg);
    fprintf (stderr, " (try --help)\n");
    return 2;
}

//  A decimal flag value in [0, max] (numparse.h: no sign, space or junk)
static bool
s_number (const char *text, uint64_t max, uint64_t *value)
{
    return zc_parse_u64 (text, 0, max, value) == ZC_PARSE_OK;
}

//  Returns -1 to go on, or the exit code (0 after --help, 2 on errors)
static int
s_parse (int argc, char **argv, s_opts_t *opts, bool status)
{
    static const struct option longopts [] = {
        { "servers", required_argument, NULL, 's' },
        { "keys", required_argument, NULL, 'k' },
        { "room", required_argument, NULL, 'r' },
        { "name", required_argument, NULL, 'n' },
        { "listen", no_argument, NULL, 'l' },
        { "relay", required_argument, NULL, 'L' },
        { "plain", no_argument, NULL, 'P' },
        { "count-exit", required_argument, NULL, 'c' },
        { "history", required_argument, NULL, 'H' },
        { "record", required_argument, NULL, 'R' },
        { "retry-ms", required_argument, NULL, 'y' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'j' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    opterr = 0;
    optind = 1;
    int c;
    uint64_t value;
    while ((c = getopt_long (argc, argv, ":vh", longopts, NULL)) != -1) {
        switch (c) {
            case 's': opts->servers = optarg; break;
            case 'k': opts->keys = optarg; break;
            case 'r': opts->room = optarg; break;
            case 'n': opts->name = optarg; break;
            case 'l': opts->listen = true; break;
            case 'L': opts->relay = optarg; break;
            case 'P': opts->plain = true; break;
            case 'R': opts->record = optarg; break;
            case 'j': opts->json = true; break;
            case 'v': opts->verbose++; break;
            case 'h': fputs (s_usage, stdout); return 0;
            case 'c':
                if (!s_number (optarg, UINT64_MAX, &opts->count_exit) || !opts->count_exit)
                    return s_bad ("--count-exit: '%s' is not a positive number", optarg);
                break;
            case 'H':
                if (!s_number (optarg, 100000000, &opts->history))
                    return s_bad ("--history: '%s' is not 0..100000000", optarg);
                break;
            case 'y':
                if (!s_number (optarg, 3600000, &value) || !value)
                    return s_bad ("--retry-ms: '%s' is not 1..3600000", optarg);
                opts->retry_ms = (uint32_t) value;
                break;
            case 't':
                if (!s_number (optarg, 86400000, &value) || !value)
                    return s_bad ("--timeout-ms: '%s' is not 1..86400000", optarg);
                opts->timeout_ms = (uint32_t) value;
                opts->timeout_set = true;
                break;
            case ':':
                return s_bad ("%s needs a value", argv [optind - 1]);
            default:
                return s_bad ("unknown option '%s'", argv [optind - 1]);
        }
    }
    if (optind < argc && !opts->admin)
        return s_bad ("unexpected argument '%s'", argv [optind]);
    if (opts->admin) {
        opts->verb = optind < argc ? argv [optind] : NULL;
        opts->arg = optind + 1 < argc ? argv [optind + 1] : NULL;
        if (optind + 2 < argc)
            return s_bad ("unexpected argument '%s'", argv [optind + 2]);
    }
    if (!opts->servers)
        return s_bad ("--servers is required%s", "");
    zc_server_addr_t addrs [ZC_MAX_SERVERS];
    char err [512];
    if (zc_servers_parse (opts->servers, addrs, ZC_MAX_SERVERS, err, sizeof (err)) < 0)
        return s_bad ("%s", err);
    if (opts->keys) {
        //  A key file that is missing or unreadable is a usage error (2),
        //  said before any socket exists
        zc_client_keys_t *keys = zc_client_keys_load (opts->keys, err, sizeof (err));
        if (!keys)
            return s_bad ("%s", err);
        zc_client_keys_destroy (&keys);
    }
    if (status && opts->admin && opts->json)
        return s_bad ("--json is for 'chat-client status'%s", "");
    if (status) {
        if (opts->listen || opts->room || opts->name || opts->record || opts->count_exit || opts->plain
        ||  opts->history || opts->relay)
            return s_bad ("%s takes only --servers, --keys, --json and --timeout-ms",
                          opts->admin ? "admin" : "status");
        return -1;
    }
    if (opts->json)
        return s_bad ("--json is for 'chat-client status'%s", "");
    if (opts->plain && opts->listen)
        return s_bad ("--listen is always plain: --plain is for chatting%s", "");
    if (opts->count_exit && !opts->listen)
        return s_bad ("--count-exit needs --listen%s", "");
    if (opts->room && !zc_room_valid (opts->room, strlen (opts->room)))
        return s_bad ("--room: '%s' is not a room name (1-64 of A-Z a-z 0-9 _ . -)", opts->room);
    if (opts->name && !zc_name_valid (opts->name, strlen (opts->name)))
        return s_bad ("--name: '%s' is not a name (1-64 printable bytes)", opts->name);
    return -1;
}

//  --------------------------------------------------------------------------
//  status

static int
s_status_main (int argc, char **argv)
{
    s_opts_t opts = { .timeout_ms = 1000 };
    int rc = s_parse (argc, argv, &opts, true);
    if (rc >= 0)
        return rc;
    zc_status_row_t rows [ZC_MAX_SERVERS];
    char err [512];
    int count = zc_client_status_keys (opts.servers, opts.keys, (int) opts.timeout_ms, rows,
                                       ZC_MAX_SERVERS, err, sizeof (err));
    if (count < 0)
        return s_bad ("%s", err);
    //  A handshake that failed is said plainly, not only as "unreachable"
    for (int i = 0; i < count; i++)
        if (rows [i].handshake [0])
            fprintf (stderr, "chat-client: node at %s: %s\n", rows [i].server, rows [i].handshake);
    if (opts.json)
        zc_status_print_json (stdout, rows, (size_t) count);
    else
        zc_status_print_table (stdout, rows, (size_t) count);
    for (int i = 0; i < count; i++)
        if (rows [i].reachable)
            return 0;
    fprintf (stderr, "chat-client: no node answered within %u ms\n", opts.timeout_ms);
    return 1;
}

//  --------------------------------------------------------------------------
//  admin: membership changes (docs/ELECTION.md "Membership changes")

static int
s_admin_main (int argc, char **argv)
{
    s_opts_t opts = { .timeout_ms = 10000, .admin = true };
    int rc = s_parse (argc, argv, &opts, true);
    if (rc >= 0)
        return rc;
    char request [600], err [512], answer [600];
    if (zc_admin_request (opts.verb, opts.arg, request, sizeof request, err, sizeof err))
        return s_bad ("%s", err);
    rc = zc_client_admin (opts.servers, opts.keys, request, (int) opts.timeout_ms,
                          answer, sizeof answer, err, sizeof err);
    if (rc < 0)
        return s_bad ("%s", err);
    fprintf (rc ? stderr : stdout, "%s%s\n", rc ? "chat-client: " : "", answer);
    return rc;
}

//  --------------------------------------------------------------------------
//  chat and listen

typedef struct {
    zc_client_t *client;
    s_opts_t *opts;
    FILE *record;
    bool interactive;
    uint64_t delivered;
    uint64_t last_seq;              //  seq of the last message delivered
    uint64_t last_posted;           //  id of our last message
    uint64_t own_shown;             //  highest id of ours delivered back
    uint64_t refused;               //  lines the cluster refused for good
    uint64_t forgotten;             //  lines acknowledged, then lost in a leader change
    int64_t acked_at;               //  when the last message was acknowledged
    int64_t progress_at;            //  last ACK, or first post after none pending
    char line [ZC_MAX_TEXT + 2];
    size_t line_len;
    bool line_overflow;
} s_chat_t;

//  Names and texts come from other users: no terminal control sequences
static void
s_print_clean (const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text [i];
        putchar ((c < 0x20 && c != '\t') || c == 0x7f? '?': c);
    }
}

static void
s_record (s_chat_t *chat, const char *format, ...) CHECK_PRINTF (2);

static void
s_record (s_chat_t *chat, const char *format, ...)
{
    if (!chat->record)
        return;
    va_list args;
    va_start (args, format);
    vfprintf (chat->record, format, args);
    va_end (args);
    fputc ('\n', chat->record);
    fflush (chat->record);
}

static void
s_on_event (s_chat_t *chat, const zc_event_t *ev)
{
    switch (ev->type) {
        case ZC_EV_MESSAGE:
            chat->delivered++;
            chat->last_seq = ev->seq;
            if (ev->own && ev->id > chat->own_shown)
                chat->own_shown = ev->id;
            s_record (chat, "recv %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s %" PRIu64
                      " %s t=%016" PRIx64, ev->seq, ev->rseq, ev->ts, ev->epoch, ev->client,
                      ev->id, ev->room, zc_text_hash (ev->text, ev->text_len));
            if (ev->own)
                printf ("[you][ts=%" PRIu64 "] ", ev->ts);
            else {
                printf ("[rec][ts=%" PRIu64 "] from ", ev->ts);
                s_print_clean (ev->from, strlen (ev->from));
                fputs (": ", stdout);
            }
            s_print_clean (ev->text, ev->text_len);
            putchar ('\n');
            break;
        case ZC_EV_MEMBERS:             //  presence is off here
            break;
        case ZC_EV_ACK:
            chat->progress_at = zclock_mono ();
            s_record (chat, "ack %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %" PRIu64,
                      ev->client, ev->id, ev->seq, ev->ts, ev->epoch, ev->leader, ev->lead_epoch);
            break;
        case ZC_EV_LEADER:
            s_record (chat, "leader %u %" PRIu64, ev->leader, ev->epoch);
            printf ("[info] leader is now node %u (epoch %" PRIu64 ")\n", ev->leader, ev->epoch);
            break;
        case ZC_EV_START:
            s_record (chat, "start %" PRIu64, ev->seq);
            break;
        case ZC_EV_REFUSED:
            //  Refused for good, counted for the exit code, then shown like
            //  a notice.  Its id was never stored: every later line moves
            //  down one id (client.h), and the record says so at once, each
            //  with a `sent` line under its new id and its ts of before
            //  (the history checker withdraws the `sent` lines of the
            //  refused id and above that were not acknowledged, history.h)
            chat->refused++;
            if (chat->last_posted >= ev->id)
                chat->last_posted--;
            chat->progress_at = zclock_mono ();
            s_record (chat, "refused %s %" PRIu64, ev->client, ev->id);
            for (size_t i = 0; i < ev->moved; i++)
                if (ev->moved_ts [i])
                    s_record (chat, "sent %s %" PRIu64 " %" PRIu64, ev->client,
                              ev->id + i, ev->moved_ts [i]);
            fputs ("[info] ", stdout);
            s_print_clean (ev->text, ev->text_len);
            putchar ('\n');
            break;
        case ZC_EV_FORGOTTEN:
            //  Acknowledged, then lost in a leader change (--quorum 1): one
            //  record line each (the history checker finds them MISSING,
            //  as any lost ack), counted for the exit status, shown
            chat->forgotten += ev->count;
            for (uint64_t i = 0; i < ev->count; i++)
                s_record (chat, "forgotten %s %" PRIu64, ev->client, ev->id + i);
            fputs ("[info] ", stdout);
            s_print_clean (ev->text, ev->text_len);
            putchar ('\n');
            break;
        case ZC_EV_EXPIRED:
            //  Retired, not lost: shown once, not an error
            fputs ("[info] ", stdout);
            s_print_clean (ev->text, ev->text_len);
            putchar ('\n');
            break;
        case ZC_EV_LOST:
            //  Recorded, then shown like a notice (its text says why)
            s_record (chat, "lost %s %" PRIu64, ev->client, ev->id);
            //  fall through
        case ZC_EV_NOTICE:
            fputs ("[info] ", stdout);
            s_print_clean (ev->text, ev->text_len);
            putchar ('\n');
            break;
    }
    fflush (stdout);
}

static void
s_post_line (s_chat_t *chat)
{
    if (chat->line_len && chat->line [chat->line_len - 1] == '\r')
        chat->line_len--;
    chat->line [chat->line_len] = 0;
    if (chat->line_overflow)
        fprintf (stderr, "chat-client: line longer than %d bytes, not sent\n", ZC_MAX_TEXT);
    else
    if (chat->line_len) {
        if (zc_client_unacked (chat->client) == 0)
            chat->progress_at = zclock_mono ();
        uint64_t ts;
        uint64_t id = zc_client_post (chat->client, chat->line, &ts);
        if (id)
            chat->last_posted = id;
        if (id)
            s_record (chat, "sent %s %" PRIu64 " %" PRIu64 " t=%016" PRIx64,
                      zc_client_id (chat->client), id, ts,
                      zc_text_hash (chat->line, chat->line_len));
    }
    chat->line_len = 0;
    chat->line_overflow = false;
}

//  Reads what stdin has; returns false at end of input
static bool
s_read_stdin (s_chat_t *chat)
{
    char chunk [65536];
    ssize_t got = read (STDIN_FILENO, chunk, sizeof (chunk));
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (got <= 0) {
        if (chat->line_len || chat->line_overflow)
            s_post_line (chat);     //  a last line without a newline
        return false;
    }
    for (ssize_t i = 0; i < got; i++) {
        if (chunk [i] == '\n')
            s_post_line (chat);
        else
        if (chat->line_len < ZC_MAX_TEXT + 1)
            chat->line [chat->line_len++] = chunk [i];
        else
            chat->line_overflow = true;
    }
    return true;
}

static int
s_chat_main (s_opts_t *opts)
{
    zc_client_config_t cfg = {
        .servers = opts->servers, .room = opts->room, .name = opts->name,
        .retry_ms = opts->retry_ms, .history = opts->history, .verbose = opts->verbose,
        .keys_dir = opts->keys, .presence = true,    //  listeners are seen too
        .relay = opts->relay
    };
    s_chat_t chat = { .opts = opts, .interactive = isatty (STDIN_FILENO) };
    if (opts->record && !(chat.record = fopen (opts->record, "a")))
        return s_bad ("--record: cannot open '%s'", opts->record);
    char err [512];
    chat.client = zc_client_new (&cfg, err, sizeof (err));
    if (!chat.client) {
        fprintf (stderr, "chat-client: %s\n", err);
        if (chat.record)
            fclose (chat.record);
        return 1;
    }
    s_record (&chat, "room %s", opts->room? opts->room: "general");
    //  After zc_client_new, which disables czmq's own handler
    struct sigaction action = { .sa_handler = s_on_signal };
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);

    uint32_t timeout_ms = opts->timeout_set? opts->timeout_ms: 30000;
    bool reading = !opts->listen;
    int rc = -1;
    chat.progress_at = zclock_mono ();
    while (rc < 0 && !s_stop) {
        zc_event_t ev;
        int fd = reading && zc_client_unacked (chat.client) < ZC_WINDOW? STDIN_FILENO: -1;
        int got = zc_client_wait (chat.client, 200, fd, &ev);
        if (got == 1) {
            s_on_event (&chat, &ev);
            if (opts->count_exit && chat.delivered >= opts->count_exit)
                rc = 0;
        }
        else
        if (got == 2)
            reading = s_read_stdin (&chat);
        else
        if (got < 0 && errno != EINTR) {
            fprintf (stderr, "chat-client: %s\n", zmq_strerror (errno));
            rc = 1;
            break;
        }
        size_t unacked = zc_client_unacked (chat.client);
        if (opts->listen || (reading && chat.interactive))
            continue;               //  runs until a signal or the user stops
        if (unacked)
            chat.acked_at = 0;
        else
        if (!chat.acked_at)
            chat.acked_at = zclock_mono ();
        if (!reading && unacked == 0) {
            //  All stored: linger a little to show our own messages too
            if (chat.own_shown >= chat.last_posted
            ||  zclock_mono () - chat.acked_at > ZC_LINGER_MS)
                rc = 0;
        }
        else
        if (unacked && zclock_mono () - chat.progress_at > timeout_ms) {
            uint32_t leader = zc_client_leader (chat.client);
            char who [64] = "no leader reachable";
            if (leader)
                snprintf (who, sizeof (who), "leader node %u", leader);
            fprintf (stderr, "chat-client: gave up: %zu message(s) not acknowledged, no progress"
                     " for %u ms (%s)\n", unacked, timeout_ms, who);
            rc = 1;
        }
    }
    //  ACKs and messages already received are still shown and recorded
    //  (bounded: others may keep the room busy)
    zc_event_t ev;
    for (int i = 0; !opts->listen && i < 10000
                    && zc_client_wait (chat.client, 0, -1, &ev) == 1; i++)
        s_on_event (&chat, &ev);
    if (s_stop && rc < 0) {
        size_t unacked = zc_client_unacked (chat.client);
        rc = 0;
        if (unacked && !opts->listen && !chat.interactive) {
            fprintf (stderr, "chat-client: interrupted with %zu message(s) not acknowledged\n",
                     unacked);
            rc = 1;
        }
    }
    //  Every line acknowledged but some refused: not a success for a script
    if (rc == 0 && chat.refused && !opts->listen) {
        fprintf (stderr, "chat-client: %" PRIu64 " line(s) refused by the cluster\n",
                 chat.refused);
        rc = 1;
    }
    if (chat.forgotten && !opts->listen) {
        fprintf (stderr, "chat-client: %" PRIu64 " acknowledged line(s) lost in a leader"
                 " change (--quorum 1)\n", chat.forgotten);
        rc = 1;
    }
    //  A clean exit: what is published after this was not expected here
    s_record (&chat, "end %" PRIu64, chat.last_seq);
    zc_client_destroy (&chat.client);
    if (chat.record)
        fclose (chat.record);
    return rc;
}

int
main (int argc, char **argv)
{
    if (argc > 1 && strcmp (argv [1], "status") == 0)
        return s_status_main (argc - 1, argv + 1);
    if (argc > 1 && strcmp (argv [1], "admin") == 0)
        return s_admin_main (argc - 1, argv + 1);
    s_opts_t opts = { .retry_ms = 0 };
    int rc = s_parse (argc, argv, &opts, false);
    if (rc >= 0)
        return rc;
    if (!opts.listen && !opts.record && !opts.plain && zc_tui_wanted ()) {
        struct sigaction action = { .sa_handler = s_on_signal };
        sigemptyset (&action.sa_mask);
        sigaction (SIGINT, &action, NULL);
        sigaction (SIGTERM, &action, NULL);
        zc_tui_config_t cfg = {
            .servers = opts.servers, .room = opts.room, .name = opts.name, .keys = opts.keys,
            .relay = opts.relay, .retry_ms = opts.retry_ms, .history = opts.history, .verbose = opts.verbose,
            .stop = &s_stop
        };
        return zc_tui_run (&cfg);
    }
    //  Pipes get each line as it happens, for whoever watches
    setvbuf (stdout, NULL, _IOLBF, 0);
    return s_chat_main (&opts);
}
