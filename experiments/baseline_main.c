/*  baseline_main.c — zchat-baseline's main: the options, the mode's
    set-up, the threads' start and stop, then the report.

    Start-up is in steps, so that no measured message goes to a
    subscriber that is not listening yet (slow joiner): main opens every
    connection (senders first: pubsub subscribers dial every sender's
    XPUB) and starts the threads, senders ping until every subscriber
    got a ping from every sender, and only then does main set the clock
    (zb_t0, zb_end) and let the senders go, all at once.  See baseline.h.
*/
#include "baseline.h"
#include "numparse.h"

#include <zmq.h>
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZB_READY_MS     10000       //  subscribers must be ready by then

volatile sig_atomic_t zb_stop = 0;
const zb_ops_t *zb_ops;
zb_sender_t *zb_senders;
_Atomic int64_t zb_t0;
_Atomic int64_t zb_end = INT64_MAX;
pthread_barrier_t zb_start;
atomic_int zb_ready;
atomic_int zb_all_ready;
atomic_int zb_senders_done;
_Atomic uint64_t zb_posted [ZB_MAX_SENDERS];
_Atomic int64_t zb_sub_deadline;

//  The first SIGINT/SIGTERM ends sending (what was sent is still drained
//  and reported), a second one ends everything
static void
s_on_signal (int signum)
{
    (void) signum;
    if (zb_stop < 2)
        zb_stop++;
}

//  --------------------------------------------------------------------------
//  Options

static const char *s_usage =
    "usage: zchat-baseline MODE [options]\n"
    "\n"
    "What other systems do on this machine, measured like zchat-bench and\n"
    "reported in its CSV columns.  MODE:\n"
    "  pubsub     raw libzmq: an XPUB per sender -> a SUB per subscriber\n"
    "  pipeline   zchat's leader without replication: DEALER -> one server thread\n"
    "             (ROUTER; msgpack decode, Lamport stamp, encode; XPUB, ACK) -> SUB\n"
    "  redis      Redis pub/sub (PUBLISH pipelined, SUBSCRIBE) on 127.0.0.1:--port\n"
    "  nats       NATS core (PUB, SUB) on 127.0.0.1:--port\n"
    "  cnats      NATS core through cnats (libnats): natsConnection_Publish, a\n"
    "             synchronous flush every --window messages; SubscribeSync\n"
    "  hiredis    Redis pub/sub through hiredis: PUBLISH pipelined, SUBSCRIBE\n"
    "  jetstream  NATS JetStream through cnats: a file stream of --replicas on the\n"
    "             subject --room, made here and deleted at the end; js_PublishAsync\n"
    "             (the ACK: the stream stored it), ordered push consumers\n"
    "  redis-aof  durable Redis through hiredis: XADD pipelined to the stream --room,\n"
    "             a WAIT 1 0 after each batch written (the batch's ACK: a replica\n"
    "             has it); XREAD BLOCK.  Run the server with appendonly yes,\n"
    "             appendfsync always and one replica (run_baselines.sh does)\n"
    "  (cnats and jetstream need libnats, hiredis and redis-aof hiredis at build\n"
    "  time; --list-modes prints the modes this binary has)\n"
    "\n"
    "  --senders S        sending threads, one connection each (default 1)\n"
    "  --subscribers R    subscriber threads, one connection each (default 1; 0 = none)\n"
    "  --rate N           msgs/s per sender on a fixed schedule; latency is measured\n"
    "                     from the intended send time (default 0: flat out)\n"
    "  --window W         most messages in flight per sender (default 1000): not yet\n"
    "                     ACKed (pipeline), not yet replied to (redis), or sent before\n"
    "                     a PING not yet PONGed, one PING per W/4 messages (nats);\n"
    "                     pubsub has none (the XPUB waits at its HWM instead)\n"
    "  --duration SECS    sending time (default 10)\n"
    "  --size BYTES       payload size (default 100; at least the ~30-byte header)\n"
    "  --room NAME        topic, channel or subject (default bench)\n"
    "  --drain SECS       after sending, wait this long for what is in flight and\n"
    "                     for subscribers to get everything (default 5)\n"
    "  --port P           redis, hiredis, redis-aof: 6379; nats, cnats, jetstream:\n"
    "                     4222 (default)\n"
    "  --urls LIST        cnats, jetstream: the servers, nats://HOST:PORT,... (default\n"
    "                     nats://127.0.0.1:--port); cnats picks one at random\n"
    "  --replicas N       jetstream: the stream's replicas (default 3)\n"
    "  --hwm N            pubsub, pipeline: SNDHWM of the XPUBs and RCVHWM of the SUBs\n"
    "                     (default 100000; 0 = none)\n"
    "  --drop             pubsub, pipeline: the XPUBs drop at the HWM (ZeroMQ's\n"
    "                     default) instead of waiting (XPUB_NODROP)\n"
    "  --io-threads N     libzmq I/O threads (default 1)\n"
    "  --csv FILE         append the CSV line to FILE (header first if new)\n"
    "  --label TEXT       first CSV column (default: MODE)\n"
    "  --cdf FILE         append the sender->receiver latency distribution to FILE\n"
    "                     (label,quantile,usecs lines, as zchat-bench)\n"
    "\n"
    "Prints one human line and one CSV line in zchat-bench's columns.  A column\n"
    "a mode has no notion of is 0: acked, ack_rate and ack_* for pubsub and nats\n"
    "(no ACKs: deliv_* and posted are what they measure), servers and window for\n"
    "pubsub (brokerless, no window), leader_changes and dropped always.  acked\n"
    "means the pipeline server's ACK, or Redis's PUBLISH reply.  lost counts, per\n"
    "subscriber, the posted messages it never got (Redis and NATS cut off slow\n"
    "subscribers; --drop drops at the HWM); notices counts errors the servers\n"
    "sent or closed connections; stalled, senders whose messages were not all\n"
    "confirmed.  Exit 0; 1 if a connection or start-up failed; 2 on bad flags;\n"
    "3 if a message was lost or delivered twice, or a sender stalled.\n";

static int
s_bad (const char *flag, const char *value)
{
    fprintf (stderr, "zchat-baseline: bad value for --%s: '%s' (try --help)\n", flag, value);
    return 2;
}

//  A flag's number in [min, max] (numparse.h: no space, sign, junk or NaN)
static bool
s_number (const char *text, double min, double max, double *value)
{
    return zc_parse_double (text, min, max, value) == ZC_PARSE_OK;
}

static int
s_parse_real (const char *name, const char *text, double min, double max, double *value)
{
    return s_number (text, min, max, value)? 0: s_bad (name, text);
}

static const char *s_mode_names [ZB_MODES] = {
    "pubsub", "pipeline", "redis", "nats", "cnats", "jetstream", "hiredis", "redis-aof"
};

//  The mode's operations (NULL: not built); main starts the mode (a
//  ZeroMQ context, the pipeline server, the RESP prefix, a stream)
//  before any client opens, and stops it once all are closed
static const zb_ops_t *
s_mode_ops (zb_mode_t mode)
{
    switch (mode) {
        case ZB_PUBSUB: return &zb_pubsub_ops;
        case ZB_PIPELINE: return &zb_pipeline_ops;
        case ZB_REDIS: return &zb_redis_ops;
        case ZB_NATS: return &zb_nats_ops;
#ifdef ZB_HAVE_CNATS
        case ZB_CNATS: return &zb_cnats_ops;
        case ZB_JETSTREAM: return &zb_jetstream_ops;
#endif
#ifdef ZB_HAVE_HIREDIS
        case ZB_HIREDIS: return &zb_hiredis_ops;
        case ZB_REDIS_AOF: return &zb_redis_aof_ops;
#endif
        default: return NULL;
    }
}

static int
s_parse_mode (zb_opts_t *opts, const char *name)
{
    for (int i = 0; i < ZB_MODES; i++)
        if (strcmp (name, s_mode_names [i]) == 0) {
            bool redis = i == ZB_REDIS || i == ZB_HIREDIS || i == ZB_REDIS_AOF;
            opts->mode = (zb_mode_t) i;
            opts->mode_name = s_mode_names [i];
            if (opts->port == 0)
                opts->port = redis? 6379: i == ZB_PUBSUB || i == ZB_PIPELINE? 0: 4222;
            if (!*opts->label)
                opts->label = s_mode_names [i];
            return 0;
        }
    fprintf (stderr, "zchat-baseline: unknown mode '%s': pubsub, pipeline, redis, nats, cnats,"
             " hiredis, jetstream or redis-aof (try --help)\n", name);
    return 2;
}

//  The whole-number options: their limits, and where they go
static int
s_parse_count (zb_opts_t *opts, int c, const char *name, const char *text)
{
    double v, min = c == 'r' || c == 'H'? 0: 1;
    double max = c == 's'? ZB_MAX_SENDERS: c == 'r'? 1024: c == 'z'? ZB_MAX_SIZE
               : c == 'p'? 65535: c == 'i'? 64: c == 'n'? 5: 1e8;
    if (!s_number (text, min, max, &v) || v != (double) (uint64_t) v)
        return s_bad (name, text);
    switch (c) {
        case 's': opts->senders = (uint32_t) v; break;
        case 'r': opts->subscribers = (uint32_t) v; break;
        case 'w': opts->window = (uint32_t) v; break;
        case 'z': opts->size = (uint32_t) v; break;
        case 'p': opts->port = (int) v; break;
        case 'H': opts->hwm = (uint32_t) v; break;
        case 'i': opts->io_threads = (uint32_t) v; break;
        case 'n': opts->replicas = (uint32_t) v; break;
    }
    return 0;
}

static int
s_check_room (const char *room)
{
    //  One word: it goes into NATS and RESP command lines as it is
    if (!*room || strlen (room) > 64 || strspn (room, "abcdefghijklmnopqrstuvwxyz"
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen (room))
        return s_bad ("room", room);
    return 0;
}

static int
s_parse (int argc, char **argv, zb_opts_t *opts)
{
    static const struct option longs [] = {
        { "senders", required_argument, 0, 's' }, { "subscribers", required_argument, 0, 'r' },
        { "rate", required_argument, 0, 'R' }, { "window", required_argument, 0, 'w' },
        { "duration", required_argument, 0, 'd' }, { "size", required_argument, 0, 'z' },
        { "room", required_argument, 0, 'm' }, { "drain", required_argument, 0, 'D' },
        { "port", required_argument, 0, 'p' }, { "hwm", required_argument, 0, 'H' },
        { "drop", no_argument, 0, 'X' }, { "io-threads", required_argument, 0, 'i' },
        { "csv", required_argument, 0, 'C' }, { "label", required_argument, 0, 'L' },
        { "cdf", required_argument, 0, 'F' }, { "help", no_argument, 0, 'h' },
        { "urls", required_argument, 0, 'U' }, { "replicas", required_argument, 0, 'n' },
        { "list-modes", no_argument, 0, 'M' }, { 0, 0, 0, 0 }
    };
    *opts = (zb_opts_t) { .senders = 1, .subscribers = 1, .window = 1000, .size = 100,
                          .hwm = 100000, .io_threads = 1, .duration = 10, .drain = 5,
                          .room = "bench", .label = "", .replicas = 3 };
    int c, index = -1, rc = 0;
    while (rc == 0 && (c = getopt_long (argc, argv, "h", longs, &index)) != -1) {
        const char *name = index >= 0? longs [index].name: "?";
        switch (c) {
            case 'm': opts->room = optarg; rc = s_check_room (optarg); break;
            case 'C': opts->csv = optarg; break;
            case 'F': opts->cdf = optarg; break;
            case 'L': opts->label = optarg; break;
            case 'X': opts->drop = true; break;
            case 'h': fputs (s_usage, stdout); exit (0);
            case 'M':
                for (int i = 0; i < ZB_MODES; i++)
                    if (s_mode_ops ((zb_mode_t) i))
                        puts (s_mode_names [i]);
                exit (0);
            case 'U':
                opts->urls = optarg;
                if (!*optarg || strlen (optarg) > 900 || strpbrk (optarg, " \t\n"))
                    rc = s_bad (name, optarg);
                break;
            case 'R': rc = s_parse_real (name, optarg, 0, 1e7, &opts->rate); break;
            case 'd': rc = s_parse_real (name, optarg, 0.01, 1e5, &opts->duration); break;
            case 'D': rc = s_parse_real (name, optarg, 0, 1e5, &opts->drain); break;
            case 's': case 'r': case 'w': case 'z': case 'p': case 'H': case 'i': case 'n':
                rc = s_parse_count (opts, c, name, optarg);
                break;
            default:
                fprintf (stderr, "zchat-baseline: try --help\n");
                return 2;
        }
        index = -1;
    }
    if (rc)
        return rc;
    if (optind != argc - 1) {
        fprintf (stderr, optind < argc? "zchat-baseline: one MODE only (try --help)\n"
                                      : "zchat-baseline: which MODE? (try --help)\n");
        return 2;
    }
    if (strchr (opts->label, ',') || strchr (opts->label, '"'))
        return s_bad ("label", opts->label);
    return s_parse_mode (opts, argv [optind]);
}

//  --------------------------------------------------------------------------
//  Set-up and tear-down

//  Senders first: pubsub subscribers dial every sender's XPUB.  0, or 1
//  (exit status) with a line saying why.
static int
s_open_all (const zb_opts_t *opts, zb_sender_t *senders, zb_sub_t *subs)
{
    char err [256] = "out of memory";
    for (uint32_t i = 0; i < opts->senders; i++) {
        zb_sender_t *s = &senders [i];
        *s = (zb_sender_t) { .opts = opts, .index = i, .fd = -1 };
        s->text = malloc (opts->size + 64);
        if (!s->text || zb_ops->sender_open (s, err, sizeof (err))) {
            fprintf (stderr, "zchat-baseline: %s: sender %u: %s\n", opts->mode_name, i, err);
            return 1;
        }
        memset (s->text, 'x', opts->size + 64);
    }
    for (uint32_t j = 0; j < opts->subscribers; j++) {
        zb_sub_t *b = &subs [j];
        b->opts = opts;
        b->index = j;
        b->fd = -1;
        if (zb_ops->sub_open (b, err, sizeof (err))) {
            fprintf (stderr, "zchat-baseline: %s: subscriber %u: %s\n", opts->mode_name, j, err);
            return 1;
        }
    }
    return 0;
}

static void
s_close_all (const zb_opts_t *opts, zb_sender_t *senders, zb_sub_t *subs)
{
    for (uint32_t i = 0; i < opts->senders; i++) {
        zb_sender_t *s = &senders [i];
        if (s->ext && zb_ops->sender_close)
            zb_ops->sender_close (s);
        if (s->sock)
            zmq_close (s->sock);
        if (s->fd >= 0)
            close (s->fd);
        if (s->zoned) {
            msgpack_sbuffer_destroy (&s->sbuf);
            msgpack_zone_destroy (&s->zone);
        }
        free (s->in.data);
        free (s->out.data);
        free (s->sent_at);
        free (s->text);
        zb_samples_free (&s->ack);
    }
    for (uint32_t j = 0; j < opts->subscribers; j++) {
        zb_sub_t *b = &subs [j];
        if (b->ext && zb_ops->sub_close)
            zb_ops->sub_close (b);
        if (b->sock)
            zmq_close (b->sock);
        if (b->fd >= 0)
            close (b->fd);
        if (b->zoned)
            msgpack_zone_destroy (&b->zone);
        free (b->in.data);
        zb_samples_free (&b->e2e);
        for (uint32_t i = 0; i < opts->senders; i++)
            zb_set_free (&b->seen [i]);
    }
}

//  Until every subscriber has a ping from every sender; 0, or -1 after
//  ZB_READY_MS
static int
s_wait_ready (const zb_opts_t *opts)
{
    int64_t deadline = zb_now_us () + ZB_READY_MS * 1000;
    while (atomic_load (&zb_ready) < (int) opts->subscribers) {
        if (zb_stop || zb_now_us () > deadline)
            return -1;
        usleep (5000);
    }
    return 0;
}

//  Runs the threads: ready, go, send, drain.  0, or 1 if start-up failed.
static int
s_run (const zb_opts_t *opts, zb_sender_t *senders, zb_sub_t *subs)
{
    int rc = 0;
    pthread_t *threads = calloc (opts->senders + opts->subscribers, sizeof (pthread_t));
    assert (threads);
    pthread_barrier_init (&zb_start, NULL, opts->senders + 1);
    for (uint32_t j = 0; j < opts->subscribers; j++)
        pthread_create (&threads [opts->senders + j], NULL, zb_sub_run, &subs [j]);
    for (uint32_t i = 0; i < opts->senders; i++)
        pthread_create (&threads [i], NULL, zb_sender_run, &senders [i]);
    if (s_wait_ready (opts)) {
        fprintf (stderr, "zchat-baseline: %s: %d of %u subscribers got going in %d s\n",
                 opts->mode_name, atomic_load (&zb_ready), opts->subscribers, ZB_READY_MS / 1000);
        zb_stop = 2;
        rc = 1;
    }
    atomic_store (&zb_all_ready, 1);
    pthread_barrier_wait (&zb_start);
    int64_t t0 = zb_now_us ();
    atomic_store (&zb_t0, t0);
    atomic_store (&zb_end, t0 + (int64_t) (opts->duration * 1e6));
    pthread_barrier_wait (&zb_start);
    for (uint32_t i = 0; i < opts->senders; i++) {
        pthread_join (threads [i], NULL);
        atomic_store (&zb_posted [i], senders [i].posted);
        if (senders [i].failed)
            rc = 1;
    }
    //  Subscribers get the drain time from the end of sending
    atomic_store (&zb_sub_deadline, zb_now_us () + (int64_t) (opts->drain * 1e6));
    atomic_store (&zb_senders_done, 1);
    for (uint32_t j = 0; j < opts->subscribers; j++)
        pthread_join (threads [opts->senders + j], NULL);
    pthread_barrier_destroy (&zb_start);
    free (threads);
    return rc;
}

int
main (int argc, char **argv)
{
    zb_opts_t opts;
    int rc = s_parse (argc, argv, &opts);
    if (rc)
        return rc;
    zb_ops = s_mode_ops (opts.mode);
    if (!zb_ops) {
        fprintf (stderr, "zchat-baseline: mode %s is not in this build (pkg-config found no %s"
                 " when it was configured: install %s and build again)\n", opts.mode_name,
                 opts.mode == ZB_CNATS || opts.mode == ZB_JETSTREAM? "libnats": "hiredis",
                 opts.mode == ZB_CNATS || opts.mode == ZB_JETSTREAM? "libnats-dev"
                                                                   : "libhiredis-dev");
        return 1;
    }
    struct sigaction sa = { .sa_handler = s_on_signal };
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);

    char err [256];
    if (zb_ops->start && zb_ops->start (&opts, err, sizeof (err))) {
        fprintf (stderr, "zchat-baseline: %s\n", err);
        return 1;
    }
    zb_sender_t *senders = calloc (opts.senders, sizeof (zb_sender_t));
    zb_sub_t *subs = calloc (opts.subscribers? opts.subscribers: 1, sizeof (zb_sub_t));
    assert (senders && subs);
    zb_senders = senders;
    rc = s_open_all (&opts, senders, subs);
    if (rc == 0)
        rc = s_run (&opts, senders, subs);
    if (rc == 0 && zb_stop)
        fprintf (stderr, "zchat-baseline: interrupted: sending stopped early\n");
    if (rc == 0) {
        zb_result_t result = { 0 };
        zb_collect (&opts, senders, subs, &result);
        zb_report (&opts, &result);
        if (result.lost || result.dups || result.stalled)
            rc = 3;
    }
    s_close_all (&opts, senders, subs);
    if (zb_ops->stop)
        zb_ops->stop ();
    free (senders);
    free (subs);
    return rc;
}
