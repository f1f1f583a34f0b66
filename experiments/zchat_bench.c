/*  zchat_bench.c — zchat-bench: drive a running cluster through the client
    library and measure what users see.

    - S senders, each its own zc_client in its own thread, post into one
      room: flat out with at most --window messages unacknowledged, or at
      --rate msgs/s each on a fixed schedule.
    - R subscribers, each its own zc_client in its own thread, count what
      is delivered and how long it took: every text starts with
      "zb T S N", T the send time in microseconds (CLOCK_MONOTONIC, one
      process, so every thread reads the same clock), S the sender, N its
      message number (the client's id).
    - Ack latency is post -> ACK event, sender -> receiver latency is post
      -> MESSAGE event.  At a fixed rate both start at the INTENDED send
      time of the schedule, so a stall of the cluster (or of the sender)
      counts in full for every message it delayed (coordinated omission).
    - Rates count what arrived within --duration, over --duration: the
      steady state, not the drain (a message whose ACK is late would
      otherwise stretch the run).  With --count: everything, over the time
      to the last ACK or delivery.
    - Subscribers also check the promise: every acknowledged
      message delivered, none twice.  A sender's ids are committed in
      order, so its highest acknowledged id N means 1..N must all arrive.

    Start-up: every client must have a delivery baseline and a live SUB
    before the first measured message, or it would miss the first ones
    (slow joiner) and spend the run catching up by FETCH.  A control
    client posts "zb-ping" until every subscriber has delivered one (and
    every sender follows a leader); then the senders start together.

    Senders only send (the client library's post_only: no room
    subscription, no delivery), so "1 subscriber" means one receiver.
    --senders-subscribe makes them receive the room too, as every run
    before 2026-12-07 did (each sender also decoded every message).
*/
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"
#include "client.h"
#include "client_keys.h"
#include "numparse.h"

#define ZB_MAX_CLIENTS  256         //  senders (per-sender tables below)
#define ZB_MAX_SUBS     4096        //  subscribers (one thread and client each)
#define ZB_PING         "zb-ping"
#define ZB_MAX_NOTICES  5           //  notices printed per client

typedef struct {
    const char *servers, *room, *csv, *label, *cdf, *keys;
    const char *relay;              //  subscribers listen through these chat-relays
    bool senders_subscribe;         //  senders receive their room too (the old way)
    uint32_t senders, subscribers, window, size, retry_ms;
    double rate, duration, drain;
    uint64_t count;
    int verbose;
} zb_opts_t;

typedef struct {
    const zb_opts_t *opts;
    uint32_t index;
    zc_client_t *client;
    int64_t *sent_at;               //  by id: when sent (intended, at a rate)
    uint64_t sent_cap;
    uint64_t posted, acked, max_acked;
    uint64_t acked_in;              //  ACKs that came within --duration
    int64_t last_ack_us, end_us;
    uint64_t leader_changes, notices;
    bool ready;                     //  delivered a ping
    bool stalled;                   //  gave up: no ACK for --drain seconds
    zb_samples_t ack;
    char *text;
    size_t header_len;
    bool failed;
} zb_sender_t;

typedef struct {
    const zb_opts_t *opts;
    uint32_t index;
    zc_client_t *client;
    bool ready;                     //  delivered a ping: has a baseline
    zb_set_t seen [ZB_MAX_CLIENTS]; //  per sender
    uint64_t delivered, dups, reordered, foreign;
    uint64_t delivered_in;          //  deliveries within --duration
    int64_t last_us;
    uint64_t leader_changes, notices;
    zb_samples_t e2e;
} zb_sub_t;

static volatile sig_atomic_t s_stop = 0;
static int64_t s_t0;                        //  written before the start barrier
static int64_t s_end;                       //  s_t0 + --duration (INT64_MAX: --count)
static pthread_barrier_t s_start;
static atomic_int s_ready;                  //  clients that delivered a ping
static atomic_int s_all_ready;              //  main saw them all (or gave up)
static atomic_int s_senders_done;           //  then s_max_acked is final
static _Atomic uint64_t s_max_acked [ZB_MAX_CLIENTS];
static _Atomic int64_t s_sub_deadline;

//  The first SIGINT/SIGTERM ends sending (what was sent is still drained
//  and reported), a second one ends everything
static void
s_on_signal (int signum)
{
    (void) signum;
    if (s_stop < 2)
        s_stop++;
}

static int64_t
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
s_notice (uint64_t *count, const char *who, uint32_t index, const zc_event_t *ev)
{
    if (++*count <= ZB_MAX_NOTICES)
        fprintf (stderr, "zchat-bench: %s %u: %s\n", who, index, ev->text);
}

//  --------------------------------------------------------------------------
//  Senders

static int
s_post (zb_sender_t *self, int64_t at)
{
    char header [64];
    uint64_t n = self->posted + 1;
    int len = snprintf (header, sizeof (header), "zb %" PRId64 " %u %" PRIu64 " ",
                        at, self->index, n);
    size_t size = self->opts->size;
    //  The text is --size bytes of 'x' with the header written over its
    //  start (longer than --size if the header does not fit)
    if ((size_t) len < self->header_len)
        memset (self->text + len, 'x', self->header_len - (size_t) len);
    memcpy (self->text, header, (size_t) len);
    self->header_len = (size_t) len;
    self->text [(size_t) len > size? (size_t) len: size] = 0;
    if (n >= self->sent_cap) {
        uint64_t cap = self->sent_cap? self->sent_cap * 2: 65536;
        int64_t *sent_at = realloc (self->sent_at, cap * sizeof (int64_t));
        if (!sent_at)
            return -1;
        self->sent_at = sent_at;
        self->sent_cap = cap;
    }
    uint64_t id = zc_client_post (self->client, self->text, NULL);
    if (id != n) {
        fprintf (stderr, "zchat-bench: sender %u: post returned id %" PRIu64
                 ", expected %" PRIu64 "\n", self->index, id, n);
        return -1;
    }
    self->sent_at [n] = at;
    self->posted = n;
    return 0;
}

static void
s_sender_event (zb_sender_t *self, const zc_event_t *ev, bool measuring)
{
    if (ev->type == ZC_EV_ACK) {
        int64_t now = s_now_us ();
        if (ev->id >= 1 && ev->id <= self->posted) {
            zb_samples_add (&self->ack, now - self->sent_at [ev->id]);
            self->acked++;
            if (ev->id > self->max_acked)
                self->max_acked = ev->id;
            self->last_ack_us = now;
            if (now <= s_end)
                self->acked_in++;
        }
    }
    else
    if (ev->type == ZC_EV_LEADER) {
        if (measuring)
            self->leader_changes++;
        //  A sender that does not receive is ready once it follows a leader
        if (!self->ready && !self->opts->senders_subscribe) {
            self->ready = true;
            atomic_fetch_add (&s_ready, 1);
        }
    }
    else
    if (ev->type == ZC_EV_NOTICE)
        s_notice (&self->notices, "sender", self->index, ev);
    else
    if (ev->type == ZC_EV_MESSAGE && !self->ready
    &&  strncmp (ev->text, ZB_PING, strlen (ZB_PING)) == 0) {
        self->ready = true;
        atomic_fetch_add (&s_ready, 1);
    }
}

//  Post on schedule (rate > 0) or flat out until the duration or count is
//  reached; at most window unacknowledged in either case.  A backlog is
//  posted in full (see done below), as zchat-baseline does.
static void
s_sender_send (zb_sender_t *self, int tfd)
{
    const zb_opts_t *opts = self->opts;
    int64_t end = s_end;
    double interval = opts->rate > 0? 1e6 / opts->rate: 0;
    //  Senders at a rate are spread evenly over one interval
    int64_t first = s_t0 + (int64_t) (interval * self->index / opts->senders);
    int64_t armed = 0;
    int64_t stall_us = (int64_t) (opts->drain * 1e6);
    zc_event_t ev;
    while (!s_stop) {
        int64_t now = s_now_us ();
        int64_t next = 0;
        //  Flat out, sending ends with the duration.  On a schedule it ends
        //  with the last message due before the end: a sender that fell
        //  behind (the window full) posts its backlog after the end too,
        //  each message still timed from its intended send, so the late
        //  ones count as late instead of never being sent
        bool done = interval == 0 && now >= end;
        int64_t progress = self->last_ack_us > s_t0? self->last_ack_us: s_t0;
        if (self->acked < self->posted && now - progress > stall_us) {
            fprintf (stderr, "zchat-bench: sender %u: no ACK for %.0f s, giving up\n",
                     self->index, opts->drain);
            self->stalled = true;
            break;
        }
        while (!done && zc_client_unacked (self->client) < opts->window) {
            if (opts->count && self->posted >= opts->count) {
                done = true;
                break;
            }
            //  Flat out: now, the loop's clock (a fresh reading would be a
            //  microsecond later, "in the future", and nothing would be sent)
            int64_t at = interval > 0? first + (int64_t) (interval * (double) self->posted)
                                     : now;
            if (at >= end) {
                done = true;
                break;
            }
            if (at > now) {
                next = at;
                break;
            }
            if (s_post (self, at)) {
                self->failed = true;
                return;
            }
            if (interval == 0)
                now = s_now_us ();
        }
        if (done)
            break;
        if (interval > 0 && next != armed) {
            //  Wake at the next intended send, to the microsecond: the
            //  client's own timeout is in milliseconds
            struct itimerspec its = { { 0, 0 }, { 0, 0 } };
            if (next) {
                its.it_value.tv_sec = next / 1000000;
                its.it_value.tv_nsec = (next % 1000000) * 1000;
            }
            timerfd_settime (tfd, TFD_TIMER_ABSTIME, &its, NULL);
            armed = next;
        }
        int rc = zc_client_wait (self->client, 100, interval > 0? tfd: -1, &ev);
        if (rc == 1)
            s_sender_event (self, &ev, true);
        else
        if (rc == 2) {
            uint64_t expirations;
            if (read (tfd, &expirations, sizeof (expirations)) < 0 && errno != EAGAIN)
                break;
            armed = 0;
        }
    }
}

static void *
s_sender_run (void *arg)
{
    zb_sender_t *self = arg;
    zc_event_t ev;
    //  Until every client is ready: a cold client is not measured
    while (!s_stop && !atomic_load (&s_all_ready))
        if (zc_client_wait (self->client, 20, -1, &ev) == 1)
            s_sender_event (self, &ev, false);
    if (!self->ready)
        self->failed = true;
    pthread_barrier_wait (&s_start);       //  everyone ready: main sets s_t0
    pthread_barrier_wait (&s_start);       //  go
    if (self->failed)
        return NULL;
    int tfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd < 0) {
        self->failed = true;
        return NULL;
    }
    s_sender_send (self, tfd);
    close (tfd);
    self->end_us = s_now_us ();
    //  Drain: wait for the ACKs of what is in flight.  Not until
    //  zc_client_unacked is 0: ACK events may still be queued then
    int64_t drain_end = self->end_us + (int64_t) (self->opts->drain * 1e6);
    while (!self->stalled && s_stop < 2 && self->acked < self->posted
    &&     s_now_us () < drain_end)
        if (zc_client_wait (self->client, 50, -1, &ev) == 1)
            s_sender_event (self, &ev, true);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Subscribers

//  "zb T S N": sscanf was a visible share of a subscriber's time at
//  hundreds of thousands of messages per second
static bool
s_parse_header (const char *text, int64_t *at, unsigned *sender, uint64_t *n)
{
    if (strncmp (text, "zb ", 3) != 0)
        return false;
    char *end;
    const char *p = text + 3;
    errno = 0;
    long long t = strtoll (p, &end, 10);
    if (end == p || *end != ' ')
        return false;
    p = end + 1;
    unsigned long s = strtoul (p, &end, 10);
    if (end == p || *end != ' ')
        return false;
    p = end + 1;
    unsigned long long m = strtoull (p, &end, 10);
    if (end == p || errno || s > UINT32_MAX)
        return false;
    *at = t;
    *sender = (unsigned) s;
    *n = m;
    return true;
}

static void
s_sub_message (zb_sub_t *self, const zc_event_t *ev)
{
    int64_t now = s_now_us ();
    if (strncmp (ev->text, ZB_PING, strlen (ZB_PING)) == 0) {
        if (!self->ready)
            atomic_fetch_add (&s_ready, 1);
        self->ready = true;
        return;
    }
    int64_t at;
    unsigned sender;
    uint64_t n;
    if (!s_parse_header (ev->text, &at, &sender, &n)
    ||  sender >= self->opts->senders || n == 0) {
        self->foreign++;
        return;
    }
    zb_set_t *seen = &self->seen [sender];
    if (n < seen->top && !zb_set_has (seen, n))
        self->reordered++;          //  a sender's messages come in id order
    if (zb_set_put (seen, n)) {
        self->dups++;
        return;
    }
    self->delivered++;
    if (now <= s_end)
        self->delivered_in++;
    self->last_us = now;
    zb_samples_add (&self->e2e, now - at);
}

//  True once every acknowledged message of every sender has arrived
static bool
s_sub_complete (zb_sub_t *self)
{
    if (!atomic_load (&s_senders_done))
        return false;
    for (uint32_t i = 0; i < self->opts->senders; i++)
        if (self->seen [i].prefix < atomic_load (&s_max_acked [i]))
            return false;
    return true;
}

static void *
s_sub_run (void *arg)
{
    zb_sub_t *self = arg;
    zc_event_t ev;
    while (s_stop < 2) {
        if (s_sub_complete (self))
            break;
        int64_t deadline = atomic_load (&s_sub_deadline);
        if (deadline && s_now_us () > deadline)
            break;
        if (zc_client_wait (self->client, 50, -1, &ev) != 1)
            continue;
        if (ev.type == ZC_EV_MESSAGE)
            s_sub_message (self, &ev);
        else
        if (ev.type == ZC_EV_LEADER) {
            if (self->ready)
                self->leader_changes++;
        }
        else
        if (ev.type == ZC_EV_NOTICE)
            s_notice (&self->notices, "subscriber", self->index, &ev);
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Start-up

//  A control client pings the room until every client (senders and
//  subscribers) delivered a ping, so each has its baseline and a live SUB.
//  0, or -1 after timeout_ms.
static int
s_wait_ready (const zb_opts_t *opts, int timeout_ms)
{
    char err [256];
    zc_client_config_t cfg = { .servers = opts->servers, .room = opts->room,
                               .name = "zb-control", .retry_ms = opts->retry_ms,
                               .keys_dir = opts->keys };
    zc_client_t *control = zc_client_new (&cfg, err, sizeof (err));
    if (!control) {
        fprintf (stderr, "zchat-bench: %s\n", err);
        return -1;
    }
    int clients = (int) (opts->senders + opts->subscribers);
    int64_t deadline = s_now_us () + (int64_t) timeout_ms * 1000;
    int64_t pinged = 0;
    int rc = -1;
    zc_event_t ev;
    while (!s_stop && s_now_us () < deadline) {
        if (atomic_load (&s_ready) == clients) {
            rc = 0;
            break;
        }
        if (zc_client_leader (control) && s_now_us () - pinged > 50000
        &&  zc_client_unacked (control) < 10) {
            zc_client_post (control, ZB_PING, NULL);
            pinged = s_now_us ();
        }
        zc_client_wait (control, 10, -1, &ev);
    }
    //  Let the last pings be acknowledged (not required, but tidy)
    for (int i = 0; i < 20 && zc_client_unacked (control); i++)
        zc_client_wait (control, 10, -1, &ev);
    zc_client_destroy (&control);
    return rc;
}

//  --------------------------------------------------------------------------
//  Options

static const char *s_usage =
    "usage: zchat-bench --servers HOST:PORT,... [options]\n"
    "\n"
    "  --servers LIST     every node's client port (required)\n"
    "  --keys DIR         CURVE on every client socket, as chat-client --keys DIR\n"
    "                     (client.cert is shared by all the clients, and so is its\n"
    "                     rate limit; server.cert alone: an ephemeral key each)\n"
    "  --relay LIST       subscribers listen through these chat-relays (tcp://...),\n"
    "                     as chat-client --relay; senders on the nodes' PUBs\n"
    "  --senders-subscribe  senders also receive the room (before 2026-12-07 they\n"
    "                     always did: a \"1 subscriber\" run had S+1 receivers)\n"
    "  --senders S        sending clients, one thread each (default 1)\n"
    "  --subscribers R    listening clients, one thread each (default 1; 0 = none)\n"
    "  --rate N           msgs/s per sender on a fixed schedule; latency is measured\n"
    "                     from the intended send time (default 0: flat out)\n"
    "  --window W         most unacknowledged messages per sender (default 1000)\n"
    "  --duration SECS    sending time (default 10)\n"
    "  --count N          instead: messages per sender\n"
    "  --size BYTES       text size (default 100; at least the ~30-byte header)\n"
    "  --room NAME        room (default bench)\n"
    "  --drain SECS       after sending, wait this long for ACKs and deliveries;\n"
    "                     a sender with no ACK for this long gives up (default 10)\n"
    "  --retry-ms MS      the clients' resend timeout (default 300)\n"
    "  --csv FILE         append the CSV line to FILE (header first if new)\n"
    "  --label TEXT       first CSV column (default empty)\n"
    "  --cdf FILE         append the sender->receiver latency distribution to FILE:\n"
    "                     label,quantile,usecs lines (for a CDF plot)\n"
    "  -v, --verbose      the clients log to stderr\n"
    "\n"
    "Prints one human line and one CSV line.  Exit 0; 1 if the run could not\n"
    "start; 2 on bad flags; 3 if an acknowledged message was not delivered,\n"
    "or delivered twice, to a subscriber, or if a sender got no ACK for\n"
    "--drain seconds (it gives up then).\n";

static int
s_bad (const char *flag, const char *value)
{
    fprintf (stderr, "zchat-bench: bad value for --%s: '%s' (try --help)\n", flag, value);
    return 2;
}

//  A flag's number in [min, max] (numparse.h: no space, sign, junk or NaN)
static bool
s_number (const char *text, double min, double max, double *value)
{
    return zc_parse_double (text, min, max, value) == ZC_PARSE_OK;
}

static int
s_parse (int argc, char **argv, zb_opts_t *opts)
{
    static const struct option longs [] = {
        { "servers", required_argument, 0, 'S' }, { "senders", required_argument, 0, 's' },
        { "keys", required_argument, 0, 'K' }, { "relay", required_argument, 0, 'Y' },
        { "subscribers", required_argument, 0, 'r' }, { "rate", required_argument, 0, 'R' },
        { "window", required_argument, 0, 'w' }, { "duration", required_argument, 0, 'd' },
        { "count", required_argument, 0, 'c' }, { "size", required_argument, 0, 'z' },
        { "room", required_argument, 0, 'm' }, { "drain", required_argument, 0, 'D' },
        { "retry-ms", required_argument, 0, 't' }, { "csv", required_argument, 0, 'C' },
        { "cdf", required_argument, 0, 'F' },
        { "label", required_argument, 0, 'L' }, { "verbose", no_argument, 0, 'v' },
        { "senders-subscribe", no_argument, 0, 'B' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
    };
    *opts = (zb_opts_t) { .senders = 1, .subscribers = 1, .window = 1000, .size = 100,
                          .retry_ms = 300, .duration = 10, .drain = 10, .room = "bench",
                          .label = "" };
    int c, index = -1;
    double v;
    while ((c = getopt_long (argc, argv, "vh", longs, &index)) != -1) {
        const char *name = index >= 0? longs [index].name: "?";
        switch (c) {
            case 'S': opts->servers = optarg; break;
            case 'K': opts->keys = optarg; break;
            case 'Y': opts->relay = optarg; break;
            case 'B': opts->senders_subscribe = true; break;
            case 'm': opts->room = optarg; break;
            case 'C': opts->csv = optarg; break;
            case 'F': opts->cdf = optarg; break;
            case 'L': opts->label = optarg; break;
            case 'v': opts->verbose++; break;
            case 'h': fputs (s_usage, stdout); exit (0);
            case 's': case 'r': case 'w': case 'z': case 't': case 'c': {
                double min = c == 'r'? 0: 1;
                double max = c == 's'? ZB_MAX_CLIENTS: c == 'r'? ZB_MAX_SUBS
                           : c == 'z'? ZC_MAX_TEXT: c == 'c'? 1e12: 1e7;
                if (!s_number (optarg, min, max, &v) || v != (uint64_t) v)
                    return s_bad (name, optarg);
                if (c == 's') opts->senders = (uint32_t) v;
                if (c == 'r') opts->subscribers = (uint32_t) v;
                if (c == 'w') opts->window = (uint32_t) v;
                if (c == 'z') opts->size = (uint32_t) v;
                if (c == 't') opts->retry_ms = (uint32_t) v;
                if (c == 'c') opts->count = (uint64_t) v;
                break;
            }
            case 'R': if (!s_number (optarg, 0, 1e7, &opts->rate)) return s_bad (name, optarg); break;
            case 'd': if (!s_number (optarg, 0.01, 1e6, &opts->duration)) return s_bad (name, optarg); break;
            case 'D': if (!s_number (optarg, 0, 1e6, &opts->drain)) return s_bad (name, optarg); break;
            default:
                fprintf (stderr, "zchat-bench: try --help\n");
                return 2;
        }
        index = -1;
    }
    if (optind < argc) {
        fprintf (stderr, "zchat-bench: unexpected argument '%s' (try --help)\n", argv [optind]);
        return 2;
    }
    if (!opts->servers) {
        fprintf (stderr, "zchat-bench: --servers is required (try --help)\n");
        return 2;
    }
    if (strchr (opts->label, ',') || strchr (opts->label, '"'))
        return s_bad ("label", opts->label);
    if (opts->keys) {
        char err [512];
        zc_client_keys_t *keys = zc_client_keys_load (opts->keys, err, sizeof (err));
        if (!keys) {
            fprintf (stderr, "zchat-bench: %s\n", err);
            return 2;
        }
        zc_client_keys_destroy (&keys);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Report

typedef struct {
    uint64_t posted, acked, delivered, lost, dups, reordered, foreign;
    uint64_t leader_changes, notices, dropped, stalled;
    double send_secs, ack_rate, sub_rate, total_rate;
    uint32_t ack [5], e2e [5];
} zb_result_t;


static void
s_collect (const zb_opts_t *opts, zb_sender_t *senders, zb_sub_t *subs, zb_result_t *r)
{
    zb_samples_t ack = { 0 }, e2e = { 0 };
    int64_t send_end = s_t0, last_ack = s_t0;
    for (uint32_t i = 0; i < opts->senders; i++) {
        zb_sender_t *s = &senders [i];
        r->posted += s->posted;
        r->acked += s->acked;
        r->leader_changes += s->leader_changes;
        r->notices += s->notices;
        r->dropped += zc_client_dropped (s->client);
        r->stalled += s->stalled;
        if (s->end_us > send_end)
            send_end = s->end_us;
        if (s->last_ack_us > last_ack)
            last_ack = s->last_ack_us;
        zb_samples_merge (&ack, &s->ack);
    }
    for (uint32_t j = 0; j < opts->subscribers; j++) {
        zb_sub_t *b = &subs [j];
        for (uint32_t i = 0; i < opts->senders; i++)
            r->lost += zb_set_missing (&b->seen [i], senders [i].max_acked);
        r->delivered += b->delivered;
        r->dups += b->dups;
        r->reordered += b->reordered;
        r->foreign += b->foreign;
        r->leader_changes += b->leader_changes;
        r->notices += b->notices;
        r->dropped += zc_client_dropped (b->client);
        //  Rates: what came within --duration over it (the steady state,
        //  not the tail of the drain); with --count, all over the time
        //  to the last one
        if (!opts->count)
            r->total_rate += (double) b->delivered_in / opts->duration;
        else
        if (b->last_us > s_t0)
            r->total_rate += (double) b->delivered / ((double) (b->last_us - s_t0) / 1e6);
        zb_samples_merge (&e2e, &b->e2e);
    }
    r->send_secs = (double) (send_end - s_t0) / 1e6;
    if (!opts->count) {
        uint64_t acked_in = 0;
        for (uint32_t i = 0; i < opts->senders; i++)
            acked_in += senders [i].acked_in;
        r->ack_rate = (double) acked_in / opts->duration;
    }
    else
        r->ack_rate = last_ack > s_t0? (double) r->acked / ((double) (last_ack - s_t0) / 1e6): 0;
    r->sub_rate = opts->subscribers? r->total_rate / opts->subscribers: 0;
    zb_samples_sort (&ack);
    zb_samples_sort (&e2e);
    if (opts->cdf)
        zb_samples_write_cdf (&e2e, opts->cdf, opts->label);
    zb_samples_summary (&ack, r->ack);
    zb_samples_summary (&e2e, r->e2e);
    zb_samples_free (&ack);
    zb_samples_free (&e2e);
}

static void
s_csv_line (FILE *file, const zb_opts_t *opts, const zb_result_t *r, int servers)
{
    time_t now = time (NULL);
    char date [32];
    strftime (date, sizeof (date), "%Y-%m-%dT%H:%M:%S", localtime (&now));
    fprintf (file, "%s,%s,%d,%u,%u,%.0f,%u,%u,%.2f,%" PRIu64 ",%" PRIu64 ",%.0f,%.0f,%.0f",
             opts->label, date, servers, opts->senders, opts->subscribers, opts->rate,
             opts->window, opts->size, r->send_secs, r->posted, r->acked,
             r->ack_rate, r->sub_rate, r->total_rate);
    for (int i = 0; i < 5; i++)
        fprintf (file, ",%u", r->ack [i]);
    for (int i = 0; i < 5; i++)
        fprintf (file, ",%u", r->e2e [i]);
    fprintf (file, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
             ",%" PRIu64 "\n", r->lost, r->dups, r->reordered, r->leader_changes, r->notices,
             r->dropped, r->stalled);
}

static void
s_report (const zb_opts_t *opts, const zb_result_t *r, int servers)
{
    char mode [64];
    if (opts->rate > 0)
        snprintf (mode, sizeof (mode), "%.0f msgs/s each", opts->rate);
    else
        snprintf (mode, sizeof (mode), "flat out, window %u", opts->window);
    printf ("zchat-bench: %d servers, %u senders (%s), %u subscribers, %u B, %.1f s: "
            "acked %.0f msgs/s (%" PRIu64 "/%" PRIu64 "), delivered %.0f msgs/s per "
            "subscriber, %.0f in total; ack us p50 %u p90 %u p99 %u p99.9 %u max %u; "
            "sender->receiver us p50 %u p90 %u p99 %u p99.9 %u max %u; lost %" PRIu64
            ", twice %" PRIu64 ", out of order %" PRIu64 ", leader changes %" PRIu64
            ", notices %" PRIu64 "%s\n",
            servers, opts->senders, mode, opts->subscribers, opts->size, r->send_secs,
            r->ack_rate, r->acked, r->posted, r->sub_rate, r->total_rate,
            r->ack [0], r->ack [1], r->ack [2], r->ack [3], r->ack [4],
            r->e2e [0], r->e2e [1], r->e2e [2], r->e2e [3], r->e2e [4],
            r->lost, r->dups, r->reordered, r->leader_changes, r->notices,
            r->stalled? ", A SENDER GOT STUCK": "");
    fputs (ZB_CSV_HEADER, stdout);
    s_csv_line (stdout, opts, r, servers);
    fflush (stdout);
    if (opts->csv) {
        FILE *file = fopen (opts->csv, "a");
        if (!file) {
            fprintf (stderr, "zchat-bench: cannot open %s: %s\n", opts->csv, strerror (errno));
            return;
        }
        if (ftell (file) == 0)
            fputs (ZB_CSV_HEADER, file);
        s_csv_line (file, opts, r, servers);
        fclose (file);
    }
}

//  --------------------------------------------------------------------------

static zc_client_t *
s_client (const zb_opts_t *opts, const char *name, const char *relay, bool post_only)
{
    char err [256];
    zc_client_config_t cfg = { .servers = opts->servers, .room = opts->room, .name = name,
                               .retry_ms = opts->retry_ms, .verbose = opts->verbose,
                               .keys_dir = opts->keys, .relay = relay,
                               .post_only = post_only };
    zc_client_t *client = zc_client_new (&cfg, err, sizeof (err));
    if (!client)
        fprintf (stderr, "zchat-bench: %s\n", err);
    return client;
}

int
main (int argc, char **argv)
{
    zb_opts_t opts;
    int rc = s_parse (argc, argv, &opts);
    if (rc)
        return rc;
    int servers = 1;
    for (const char *p = opts.servers; *p; p++)
        servers += *p == ',';

    zb_sender_t *senders = calloc (opts.senders, sizeof (zb_sender_t));
    zb_sub_t *subs = calloc (opts.subscribers? opts.subscribers: 1, sizeof (zb_sub_t));
    pthread_t *sender_threads = calloc (opts.senders, sizeof (pthread_t));
    pthread_t *sub_threads = calloc (opts.subscribers? opts.subscribers: 1, sizeof (pthread_t));
    assert (senders && subs && sender_threads && sub_threads);
    //  Clients are made here, in one thread (zsys_init is not thread-safe),
    //  then each is handed to its thread and used only there
    bool ok = true;
    for (uint32_t i = 0; ok && i < opts.senders; i++) {
        senders [i] = (zb_sender_t) { .opts = &opts, .index = i };
        senders [i].text = malloc (opts.size + 64);
        ok = senders [i].text && (senders [i].client = s_client (&opts, "zb-sender", NULL, !opts.senders_subscribe));
        if (ok)
            memset (senders [i].text, 'x', opts.size + 64);
    }
    for (uint32_t j = 0; ok && j < opts.subscribers; j++) {
        subs [j].opts = &opts;
        subs [j].index = j;
        ok = (subs [j].client = s_client (&opts, "zb-subscriber", opts.relay, false)) != NULL;
    }
    if (!ok)
        return 1;
    struct sigaction sa = { .sa_handler = s_on_signal };
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);

    pthread_barrier_init (&s_start, NULL, opts.senders + 1);
    for (uint32_t j = 0; j < opts.subscribers; j++)
        pthread_create (&sub_threads [j], NULL, s_sub_run, &subs [j]);
    for (uint32_t i = 0; i < opts.senders; i++)
        pthread_create (&sender_threads [i], NULL, s_sender_run, &senders [i]);
    if (s_wait_ready (&opts, 15000)) {
        fprintf (stderr, "zchat-bench: %d of %u clients got going in 15 s"
                 " (is the cluster up and serving?)\n", atomic_load (&s_ready),
                 opts.senders + opts.subscribers);
        s_stop = 2;
        rc = 1;
    }
    atomic_store (&s_all_ready, 1);
    pthread_barrier_wait (&s_start);
    s_t0 = s_now_us ();
    s_end = opts.count? INT64_MAX: s_t0 + (int64_t) (opts.duration * 1e6);
    pthread_barrier_wait (&s_start);
    for (uint32_t i = 0; i < opts.senders; i++) {
        pthread_join (sender_threads [i], NULL);
        atomic_store (&s_max_acked [i], senders [i].max_acked);
        if (senders [i].failed)
            rc = 1;
    }
    //  Subscribers get the drain time from the end of sending
    atomic_store (&s_sub_deadline, s_now_us () + (int64_t) (opts.drain * 1e6));
    atomic_store (&s_senders_done, 1);
    for (uint32_t j = 0; j < opts.subscribers; j++)
        pthread_join (sub_threads [j], NULL);

    if (rc == 0 && s_stop)
        fprintf (stderr, "zchat-bench: interrupted: sending stopped early\n");
    if (rc == 0) {
        zb_result_t result = { 0 };
        s_collect (&opts, senders, subs, &result);
        s_report (&opts, &result, servers);
        if (result.lost || result.dups || result.stalled)
            rc = 3;
    }
    for (uint32_t i = 0; i < opts.senders; i++) {
        zc_client_destroy (&senders [i].client);
        zb_samples_free (&senders [i].ack);
        free (senders [i].sent_at);
        free (senders [i].text);
    }
    for (uint32_t j = 0; j < opts.subscribers; j++) {
        zc_client_destroy (&subs [j].client);
        zb_samples_free (&subs [j].e2e);
        for (uint32_t i = 0; i < opts.senders; i++)
            zb_set_free (&subs [j].seen [i]);
    }
    free (senders);
    free (subs);
    free (sender_threads);
    free (sub_threads);
    pthread_barrier_destroy (&s_start);
    return rc;
}
