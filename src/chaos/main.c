/*  main.c — chat-chaos: options, the campaign, cleanup.

    chat-chaos [--seed N] [--duration S] [--nodes N] [--workers K] ...
    (see s_usage).  Exit status: 0 no violation, 1 violations, 2 bad
    usage or setup failure, 130 interrupted.  Everything it created
    (processes, namespaces with their links and nftables rules, the proxy)
    is gone when it exits, also after SIGINT/SIGTERM.
*/
#define _XOPEN_SOURCE 700
#include "chaos.h"
#include "numparse.h"

#include <czmq.h>

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t zc_chaos_stop;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *s_usage =
"usage: chat-chaos [options]\n"
"  Runs a cluster of real chat-node processes and client workers, injects the\n"
"  faults of a seeded schedule, heals, settles, and checks the history.\n"
"  Exit status 0 only if no invariant was violated (1: violations; 2: usage or\n"
"  setup error; 130: interrupted).\n\n"
"  --seed N            the fault schedule's seed (default: from the clock; printed)\n"
"  --duration S        seconds of faults (default 60)\n"
"  --nodes N           cluster size, 3..9 (default 5)\n"
"  --workers K         client worker threads, 1..64 (default 8)\n"
"  --rooms R           rooms the workers share, 1..16 (default 3)\n"
"  --rate R            messages per second per worker (default 20)\n"
"  --faults LIST       kinds to draw from (default all): kill-leader, kill-backup,\n"
"                      pause-leader, pause-backup, flap, full-restart, isolate,\n"
"                      split, loss, delay; by name only (not in all):\n"
"                      term-leader (SIGTERM the leader, restart it after the hold),\n"
"                      return-higher (SIGTERM the highest node, restart it after\n"
"                      the hold: it takes over by hand-over; timed from the restart),\n"
"                      cpu-hog (the leader pinned to one CPU beside a busy process\n"
"                      for the hold: about half a core), slow-disk (a backup's\n"
"                      every sync 20-80 ms slower for the hold)\n"
"  --count N           at most N faults (the campaign ends sooner)\n"
"  --hold S            every fault lasts S seconds (default: drawn from the seed)\n"
"  --gap S             S seconds of quiet after each fault settled (default: drawn,\n"
"                      0.5..2); the seed still decides the kinds and the targets\n"
"  --node-bin PATH     the node binary (default: chat-node beside chat-chaos)\n"
"  --node-flags FLAGS  extra flags for every node, e.g. \"--heartbeat-ms 50\"\n"
"  --base-port P       node i listens on P+i-1 (+1000, +2000, +3000); default 15051\n"
"                      in namespaces, a free one on loopback; keep it below 32768\n"
"  --settle S          seconds the cluster gets to settle after a heal (default 20)\n"
"  --drain S           seconds for every message to be acknowledged and delivered\n"
"                      once sending stops (default 60)\n"
"  --no-netns          loopback only, even as root (no isolate, split, loss)\n"
"  --run-dir DIR       logs, records, data (default /tmp/zchat-chaos.XXXXXX)\n"
"  --keep              keep the run folder (it is kept anyway when the run fails)\n"
"  --json FILE         write the JSON summary to FILE\n"
"  --csv FILE          one line per fault: label, kind, time, detection, election\n"
"                      and outage (ms), the nodes' heartbeat; appended, with a\n"
"                      header when FILE is new or empty\n"
"  --label NAME        the run's name in the CSV (default: seed-N)\n"
"  -q, --quiet         no progress lines, only the report\n"
"  -v, --verbose       client library logging (twice: more)\n"
"  -h, --help          this text\n";

int64_t
zc_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
zc_chaos_t_ms (zc_chaos_t *ch)
{
    return zc_now_ms () - ch->t0;
}

void
zc_chaos_log (zc_chaos_t *ch, const char *fmt, ...)
{
    char text [1200];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof (text), fmt, args);
    va_end (args);
    pthread_mutex_lock (&s_lock);
    double t = ch->t0 ? (double) zc_chaos_t_ms (ch) / 1000.0 : 0;
    if (!ch->quiet) {
        printf ("[%7.1f s] %s\n", t, text);
        fflush (stdout);
    }
    if (ch->events) {
        fprintf (ch->events, "[%7.3f s] %s\n", t, text);
        fflush (ch->events);
    }
    pthread_mutex_unlock (&s_lock);
}

void
zc_chaos_violation (zc_chaos_t *ch, const char *fmt, ...)
{
    char text [1200];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof (text), fmt, args);
    va_end (args);
    zc_chaos_log (ch, "VIOLATION %s", text);
    pthread_mutex_lock (&s_lock);
    char *copy = strdup (text);
    if (copy && ch->nviols < ZC_CHAOS_MAX_VIOLS)
        ch->viols [ch->nviols++] = copy;
    else {
        free (copy);
        ch->viols_dropped++;
    }
    pthread_mutex_unlock (&s_lock);
}

bool
zc_chaos_sleep (zc_chaos_t *ch, int64_t ms)
{
    int64_t until = zc_now_ms () + ms;
    while (!zc_chaos_stop) {
        zc_nodes_reap (ch);
        int64_t left = until - zc_now_ms ();
        if (left <= 0)
            return true;
        if (left > 50)
            left = 50;
        nanosleep (&(struct timespec) { 0, (long) left * 1000000L }, NULL);
    }
    return false;
}

void
zc_chaos_command (zc_chaos_t *ch, char *out, size_t cap)
{
    char kinds [200];
    zc_fault_list (ch->active, kinds, sizeof (kinds));
    int n = snprintf (out, cap, "%s --seed %" PRIu64 " --duration %u --nodes %u --workers %u "
                      "--rooms %u --rate %g --faults %s --settle %u --drain %u%s", ch->self_bin,
                      ch->seed, ch->duration_s, ch->nodes, ch->workers, ch->rooms, ch->rate,
                      kinds, ch->settle_s, ch->drain_s, ch->no_netns ? " --no-netns" : "");
    if (n > 0 && (size_t) n < cap && ch->max_faults)
        n += snprintf (out + n, cap - (size_t) n, " --count %u", ch->max_faults);
    if (n > 0 && (size_t) n < cap && ch->hold_ms >= 0)
        n += snprintf (out + n, cap - (size_t) n, " --hold %g", (double) ch->hold_ms / 1000);
    if (n > 0 && (size_t) n < cap && ch->gap_ms >= 0)
        n += snprintf (out + n, cap - (size_t) n, " --gap %g", (double) ch->gap_ms / 1000);
    if (n > 0 && (size_t) n < cap)
        n += snprintf (out + n, cap - (size_t) n, " --node-bin %s", ch->node_bin);
    if (n > 0 && (size_t) n < cap && ch->node_flags && *ch->node_flags)
        snprintf (out + n, cap - (size_t) n, " --node-flags '%s'", ch->node_flags);
}

static void
s_on_signal (int sig)
{
    (void) sig;
    zc_chaos_stop = 1;
}

//  A flag's number in [lo, hi] (numparse.h: no space, sign, junk or NaN)
static bool
s_number (const char *text, double lo, double hi, double *value)
{
    return zc_parse_double (text, lo, hi, value) == ZC_PARSE_OK;
}

static int
s_bad (const char *what, const char *value)
{
    fprintf (stderr, "chat-chaos: %s: '%s' (try --help)\n", what, value);
    return 2;
}

//  The nodes' heartbeat, for the CSV: --heartbeat-ms in --node-flags, else
//  chat-node's default
static unsigned
s_heartbeat (const char *flags)
{
    unsigned ms = 100;
    const char *at = flags;
    while (at && (at = strstr (at, "--heartbeat-ms")) != NULL) {
        at += strlen ("--heartbeat-ms");
        if (*at == ' ' || *at == '=')
            ms = (unsigned) strtoul (at + 1, NULL, 10);
    }
    return ms;
}

static int
s_parse (zc_chaos_t *ch, int argc, char **argv)
{
    static const struct option options [] = {
        { "seed", required_argument, NULL, 's' }, { "duration", required_argument, NULL, 'd' },
        { "nodes", required_argument, NULL, 'n' }, { "workers", required_argument, NULL, 'w' },
        { "rooms", required_argument, NULL, 'r' }, { "rate", required_argument, NULL, 'R' },
        { "faults", required_argument, NULL, 'f' }, { "node-bin", required_argument, NULL, 'b' },
        { "node-flags", required_argument, NULL, 'F' },
        { "base-port", required_argument, NULL, 'p' },
        { "settle", required_argument, NULL, 'S' }, { "drain", required_argument, NULL, 'T' },
        { "no-netns", no_argument, NULL, 'N' },
        { "run-dir", required_argument, NULL, 'D' }, { "keep", no_argument, NULL, 'k' },
        { "json", required_argument, NULL, 'j' }, { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
        { "count", required_argument, NULL, 'c' }, { "hold", required_argument, NULL, 'H' },
        { "gap", required_argument, NULL, 'g' }, { "csv", required_argument, NULL, 'C' },
        { "label", required_argument, NULL, 'L' },
        { NULL, 0, NULL, 0 } };
    bool seeded = false;
    double v;
    int opt;
    while ((opt = getopt_long (argc, argv, "qvh", options, NULL)) != -1) {
        switch (opt) {
            case 's':
                //  strtoull alone took " -1" and "-1" as 2^64 - 1
                if (zc_parse_u64_c (optarg, 0, UINT64_MAX, &ch->seed))
                    return s_bad ("--seed", optarg);
                seeded = true;
                break;
            case 'd': if (!s_number (optarg, 1, 86400, &v)) return s_bad ("--duration", optarg);
                      ch->duration_s = (unsigned) v; break;
            case 'n': if (!s_number (optarg, 3, ZC_CHAOS_MAX_NODES, &v)) return s_bad ("--nodes", optarg);
                      ch->nodes = (unsigned) v; break;
            case 'w': if (!s_number (optarg, 1, ZC_CHAOS_MAX_WORKERS, &v)) return s_bad ("--workers", optarg);
                      ch->workers = (unsigned) v; break;
            case 'r': if (!s_number (optarg, 1, ZC_CHAOS_MAX_ROOMS, &v)) return s_bad ("--rooms", optarg);
                      ch->rooms = (unsigned) v; break;
            case 'R': if (!s_number (optarg, 0.1, 10000, &ch->rate)) return s_bad ("--rate", optarg);
                      break;
            case 'f': if (zc_fault_mask (optarg, &ch->mask)) return s_bad ("--faults", optarg);
                      break;
            case 'b': ch->node_bin = optarg; break;
            case 'F': ch->node_flags = optarg; break;
            case 'p': if (!s_number (optarg, 1024, 32767 - 3000 - ZC_CHAOS_MAX_NODES, &v))
                          return s_bad ("--base-port (1024..23758)", optarg);
                      ch->base_port = (unsigned) v; break;
            case 'S': if (!s_number (optarg, 1, 600, &v)) return s_bad ("--settle", optarg);
                      ch->settle_s = (unsigned) v; break;
            case 'T': if (!s_number (optarg, 1, 3600, &v)) return s_bad ("--drain", optarg);
                      ch->drain_s = (unsigned) v; break;
            case 'N': ch->no_netns = true; break;
            case 'D': snprintf (ch->run_dir, sizeof (ch->run_dir), "%s", optarg); break;
            case 'k': ch->keep = true; break;
            case 'j': ch->json_path = optarg; break;
            case 'c': if (!s_number (optarg, 1, ZC_CHAOS_MAX_FAULTS, &v)) return s_bad ("--count", optarg);
                      ch->max_faults = (unsigned) v; break;
            case 'H': if (!s_number (optarg, 0, 3600, &v)) return s_bad ("--hold", optarg);
                      ch->hold_ms = (int64_t) (v * 1000 + 0.5); break;
            case 'g': if (!s_number (optarg, 0, 3600, &v)) return s_bad ("--gap", optarg);
                      ch->gap_ms = (int64_t) (v * 1000 + 0.5); break;
            case 'C': ch->csv_path = optarg; break;
            case 'L': ch->label = optarg; break;
            case 'q': ch->quiet = true; break;
            case 'v': ch->verbose++; break;
            case 'h': fputs (s_usage, stdout); return 0;
            default: fputs (s_usage, stderr); return 2;
        }
    }
    if (optind < argc)
        return s_bad ("unexpected argument", argv [optind]);
    if (ch->rooms > ch->workers)
        ch->rooms = ch->workers;
    if (!seeded)
        ch->seed = (uint64_t) time (NULL) * 1000003u ^ (uint64_t) getpid ();
    ch->heartbeat_ms = s_heartbeat (ch->node_flags);
    return -1;
}

static int
s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    remove (path);
    return 0;
}

int
main (int argc, char **argv)
{
    static zc_chaos_t chaos;
    zc_chaos_t *ch = &chaos;
    *ch = (zc_chaos_t) { .duration_s = 60, .nodes = 5, .workers = 8, .rooms = 3,
                         .rate = 20, .mask = ZC_F_ALL, .settle_s = 20, .drain_s = 60,
                         .hold_ms = -1, .gap_ms = -1,
                         .client_nsfd = -1, .root_nsfd = -1 };
    int rc = s_parse (ch, argc, argv);
    if (rc >= 0)
        return rc;
    snprintf (ch->self_bin, sizeof (ch->self_bin), "%s", argv [0]);
    static char node_bin [600];
    if (!ch->node_bin) {
        char self [512] = "";
        ssize_t len = readlink ("/proc/self/exe", self, sizeof (self) - 1);
        if (len > 0)
            self [len] = 0;
        snprintf (node_bin, sizeof (node_bin), "%s/chat-node", dirname (self));
        ch->node_bin = node_bin;
    }
    if (access (ch->node_bin, X_OK) != 0) {
        fprintf (stderr, "chat-chaos: no node binary at %s (--node-bin)\n", ch->node_bin);
        return 2;
    }

    //  Our own signal handling: czmq's would stop zmq calls instead
    zsys_handler_set (NULL);
    struct sigaction action = { .sa_handler = s_on_signal };
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGHUP, &action, NULL);
    signal (SIGPIPE, SIG_IGN);

    bool made_dir = false;
    if (!*ch->run_dir) {
        snprintf (ch->run_dir, sizeof (ch->run_dir), "/tmp/zchat-chaos.XXXXXX");
        if (!mkdtemp (ch->run_dir)) {
            perror ("chat-chaos: mkdtemp");
            return 2;
        }
        made_dir = true;
    }
    else
    if ((ch->keep = true) && mkdir (ch->run_dir, 0755) != 0 && errno != EEXIST) {
        fprintf (stderr, "chat-chaos: %s: %s\n", ch->run_dir, strerror (errno));
        return 2;
    }
    char path [sizeof (ch->run_dir) + 16];
    snprintf (path, sizeof (path), "%.255s/events.log", ch->run_dir);
    ch->events = fopen (path, "we");

    rc = zc_campaign (ch);
    if (ch->events)
        fclose (ch->events);
    if (rc == 0 && !ch->keep && made_dir)
        nftw (ch->run_dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < ch->nviols; i++)
        free (ch->viols [i]);
    return rc;
}
