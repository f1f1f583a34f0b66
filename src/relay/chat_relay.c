/*  chat_relay.c — chat-relay: flags, signals, the stats at exit.

    chat-relay --servers HOST:PORT,... --bind tcp://ADDR:PORT
    chat-relay --upstream-relay tcp://HOST:PORT,... --bind tcp://ADDR:PORT

    Everything else is in relay.h.  Exit codes: 0 after SIGINT/SIGTERM,
    1 if it cannot start (a bind fails), 2 on a usage error.
*/
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"
#include "relay.h"

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    s_stop = signum;
}

static const char *s_usage =
    "usage:\n"
    "  chat-relay --servers HOST:PORT,... --bind tcp://ADDR:PORT [options]\n"
    "  chat-relay --upstream-relay tcp://HOST:PORT,... --bind tcp://ADDR:PORT [options]\n"
    "\n"
    "Listeners connect a SUB to the relay as to a node's PUB (docs/PROTOCOL.md\n"
    "\"Relays\"); chat-client --listen --relay tcp://HOST:PORT is one.\n"
    "\n"
    "options:\n"
    "  --servers LIST         the cluster: every node's client port (as chat-client)\n"
    "  --upstream-relay LIST  instead: other relays' endpoints (plain SUB, rseq dedupe)\n"
    "  --bind LIST            where listeners connect, e.g. tcp://*:6000 (required)\n"
    "  --keys DIR             speak CURVE upstream, as chat-client --keys: server.cert\n"
    "                         and client.cert + client.cert_secret (or an ephemeral key)\n"
    "  --serve-keys DIR       speak CURVE to listeners: DIR/server.cert + its secret\n"
    "                         (a node's key folder); only the clients whose\n"
    "                         certificate is in DIR/clients/ get in\n"
    "  --clients keys|any     with --serve-keys: keys (default) as above; any lets\n"
    "                         every client key in (encrypted, not authenticated)\n"
    "  --max-rooms N          rooms served at once (default 64)\n"
    "  --pub-hwm N            frames queued per listener (default 10000)\n"
    "  --retry-ms N           the room clients' resend and FETCH retry (default 300)\n"
    "  --stats-ms N           a stats line on stderr every N ms (default: at exit only)\n"
    "  -v, --verbose          say more (twice: the room clients' decisions too)\n"
    "  -h, --help             this text\n";

static int
s_bad (const char *format, const char *arg)
{
    fprintf (stderr, "chat-relay: ");
    fprintf (stderr, format, arg);
    fprintf (stderr, " (try --help)\n");
    return 2;
}

static bool
s_number (const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    return zc_parse_u64 (text, min, max, value) == ZC_PARSE_OK;
}

int
main (int argc, char **argv)
{
    static const struct option longopts [] = {
        { "servers", required_argument, NULL, 's' },
        { "upstream-relay", required_argument, NULL, 'u' },
        { "bind", required_argument, NULL, 'b' },
        { "keys", required_argument, NULL, 'k' },
        { "serve-keys", required_argument, NULL, 'K' },
        { "clients", required_argument, NULL, 'c' },
        { "max-rooms", required_argument, NULL, 'm' },
        { "pub-hwm", required_argument, NULL, 'p' },
        { "retry-ms", required_argument, NULL, 'y' },
        { "stats-ms", required_argument, NULL, 'S' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    zc_relay_config_t cfg = { .stop = &s_stop };
    uint64_t value;
    int c;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":vh", longopts, NULL)) != -1) {
        switch (c) {
            case 's': cfg.servers = optarg; break;
            case 'u': cfg.upstream = optarg; break;
            case 'b': cfg.bind = optarg; break;
            case 'k': cfg.keys_dir = optarg; break;
            case 'K': cfg.serve_keys = optarg; break;
            case 'c':
                if (strcmp (optarg, "keys") != 0 && strcmp (optarg, "any") != 0)
                    return s_bad ("--clients: '%s' is not keys or any", optarg);
                cfg.clients_any = strcmp (optarg, "any") == 0;
                break;
            case 'v': cfg.verbose++; break;
            case 'h': fputs (s_usage, stdout); return 0;
            case 'm':
                if (!s_number (optarg, 1, 4096, &value))
                    return s_bad ("--max-rooms: '%s' is not 1..4096", optarg);
                cfg.max_rooms = (size_t) value;
                break;
            case 'p':
                if (!s_number (optarg, 1, 10000000, &value))
                    return s_bad ("--pub-hwm: '%s' is not 1..10000000", optarg);
                cfg.pub_hwm = (int) value;
                break;
            case 'y':
                if (!s_number (optarg, 1, 3600000, &value))
                    return s_bad ("--retry-ms: '%s' is not 1..3600000", optarg);
                cfg.retry_ms = (uint32_t) value;
                break;
            case 'S':
                if (!s_number (optarg, 1, 86400000, &value))
                    return s_bad ("--stats-ms: '%s' is not 1..86400000", optarg);
                cfg.stats_ms = (int64_t) value;
                break;
            case ':':
                return s_bad ("%s needs a value", argv [optind - 1]);
            default:
                return s_bad ("unknown option '%s'", argv [optind - 1]);
        }
    }
    if (optind < argc)
        return s_bad ("unexpected argument '%s'", argv [optind]);
    if (!cfg.bind)
        return s_bad ("--bind is required%s", "");
    if (!cfg.servers == !cfg.upstream)
        return s_bad ("give either --servers or --upstream-relay%s", "");
    if (cfg.upstream && cfg.retry_ms)
        return s_bad ("--retry-ms is for --servers (a chained relay fetches nothing)%s", "");

    //  Each room served holds some 4 descriptors per node and 4 more
    //  (docs/PROTOCOL.md §3.1): take the hard limit, as servers do
    struct rlimit files;
    if (getrlimit (RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        if (setrlimit (RLIMIT_NOFILE, &files))
            fprintf (stderr, "chat-relay: cannot raise the open-file limit: %s\n",
                     strerror (errno));
    }
    char err [512];
    zc_relay_t *relay = zc_relay_new (&cfg, err, sizeof (err));
    if (!relay) {
        fprintf (stderr, "chat-relay: %s\n", err);
        return strstr (err, "cannot use")? 1: 2;
    }
    //  After zc_relay_new, which disables czmq's own handler
    struct sigaction action = { .sa_handler = s_on_signal };
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    int rc = zc_relay_run (relay);
    zc_relay_print_stats (relay);
    zc_relay_destroy (&relay);
    if (s_stop)
        fprintf (stderr, "chat-relay: stopped (%s)\n", s_stop == SIGINT? "SIGINT": "SIGTERM");
    return rc? 1: 0;
}
