/*  zchat_hostile.c — zchat-hostile: what an attacker (or a broken peer)
    puts on a node's ports, for the hostile-input cluster tests
    (tests/cluster/test_hostile.sh, test_secure.sh; issue 9).

    Every subcommand talks to 127.0.0.1 only, and is bounded in count and
    in time, so a test can never hang on it:

        zchat-hostile send PORT TYPE [FIELD=VALUE ...]   any message, N times;
                                                         replies printed
        zchat-hostile ping PORT [FIELD=VALUE ...]        PINGs on a REQ (P+3000)
        zchat-hostile fetch PORT [FIELD=VALUE ...]       FETCHes, replies never read
        zchat-hostile flood PORT [FIELD=VALUE ...]       POSTs from one client as fast
                                                         as possible; counts replies
        zchat-hostile junk PORT[,PORT...]                random and malformed frames,
                                                         wrong types, multi-frame junk,
                                                         raw TCP garbage
        zchat-hostile status PORT                        one STATUS_REPLY as key=value
        zchat-hostile mh CHAT-NODE-FLAGS...              the membership hash those
                                                         flags give (PROTOCOL.md §5.1)

    Options (before the subcommand's arguments): --count N, --interval-ms N,
    --wait-ms N (how long to read replies), --hold-ms N (stay connected),
    --seconds N (junk), --delay-ms N (send: wait after connecting, default
    200), --entries N (APPEND / LOG_ENTRIES: chat frames after
    the header), --seed N, and CURVE: --cert FILE (a zcert; its _secret is
    loaded too), --server-key FILE (the server's public cert), --curve-random
    (a fresh key nobody trusts).  Values: decimal, "now" (CLOCK_BOOTTIME ms,
    what a leader's lt is), "max" (2^64-1), "true"/"false"; ts=auto counts
    up per message in flood.  Output lines are "key=value" words that a
    shell test can grep.  Exit 0 unless the arguments are wrong (2), or
    status got no reply (1): a socket the node refuses is what we test.
*/
#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include "config.h"
#include "numparse.h"
#include "wire.h"

//  The wire's keys, in presence-bit order (src/msg/wire.c): row i is bit i.
typedef enum { K_UINT, K_STR, K_BOOL } s_kind_t;
static const struct { const char *key; s_kind_t kind; } s_keys [] = {
    { "node", K_UINT }, { "epoch", K_UINT }, { "seq", K_UINT }, { "rseq", K_UINT },
    { "ts", K_UINT }, { "room", K_STR }, { "from", K_STR }, { "client", K_STR },
    { "id", K_UINT }, { "text", K_STR }, { "leader", K_UINT }, { "commit", K_UINT },
    { "last_seq", K_UINT }, { "log_epoch", K_UINT }, { "prev_seq", K_UINT },
    { "prev_epoch", K_UINT }, { "mh", K_UINT }, { "lt", K_UINT }, { "granted", K_BOOL },
    { "code", K_STR }, { "reason", K_STR }, { "expected", K_UINT }, { "port", K_UINT },
    { "pub_port", K_UINT }, { "role", K_STR }, { "lamport", K_UINT },
    { "messages", K_UINT }, { "last", K_UINT }, { "count", K_UINT },
    { "dropped", K_UINT }, { "start_seq", K_UINT }, { "retry_ms", K_UINT },
    { "refused", K_UINT }, { "slowed", K_UINT }, { "denied", K_UINT },
    { "forged", K_UINT },
};
#define KEY_COUNT (sizeof (s_keys) / sizeof (s_keys [0]))

//  Field values by presence bit, as given on the command line.
typedef struct {
    uint64_t has;
    uint64_t u [KEY_COUNT];
    char *s [KEY_COUNT];
    uint64_t now_mask;      //  fields given as "now": read the clock at each send
    bool ts_auto;
} s_fields_t;

typedef struct {
    int count;
    int interval_ms;
    int wait_ms;
    int hold_ms;
    int seconds;
    int entries;
    int delay_ms;
    uint64_t seed;
    const char *cert;
    const char *server_key;
    bool curve_random;
} s_opts_t;

static uint64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_BOOTTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static uint64_t s_rng = 88172645463325252ull;
static uint64_t
s_rand (void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

//  A count, a time or a port (numparse.h): -1 if text is not a number up
//  to INT_MAX, which every bounds check after it refuses.  atoi took
//  "abc" as 0 and " -1" as -1.
static int
s_int (const char *text)
{
    uint64_t value;
    return zc_parse_u64 (text, 0, INT_MAX, &value) == ZC_PARSE_OK ? (int) value : -1;
}

static int
s_key_index (const char *key, size_t len)
{
    for (size_t i = 0; i < KEY_COUNT; i++)
        if (strlen (s_keys [i].key) == len && memcmp (s_keys [i].key, key, len) == 0)
            return (int) i;
    return -1;
}

static int
s_parse_fields (s_fields_t *f, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        char *eq = strchr (argv [i], '=');
        int k = eq ? s_key_index (argv [i], (size_t) (eq - argv [i])) : -1;
        if (k < 0) {
            fprintf (stderr, "zchat-hostile: not a FIELD=VALUE: %s\n", argv [i]);
            return -1;
        }
        const char *value = eq + 1;
        f->has |= 1ull << k;
        if (s_keys [k].kind == K_STR)
            f->s [k] = (char *) value;
        else
        if (s_keys [k].kind == K_BOOL)
            f->u [k] = streq (value, "true") || streq (value, "1");
        else
        if (streq (value, "now")) {
            f->u [k] = s_now_ms ();
            f->now_mask |= 1ull << k;
        }
        else
        if (streq (value, "max"))
            f->u [k] = UINT64_MAX;
        else
        if (streq (value, "auto") && k == 4)
            f->ts_auto = true;
        else
        if (zc_parse_u64_c (value, 0, UINT64_MAX, &f->u [k]) != ZC_PARSE_OK) {
            fprintf (stderr, "zchat-hostile: not a number: %s\n", argv [i]);
            return -1;
        }
    }
    return 0;
}

//  Fill msg with the given fields.
static void
s_fill (zc_msg_t *msg, zc_type_t type, const s_fields_t *f)
{
    zc_msg_init (msg, type);
    for (size_t i = 0; i < KEY_COUNT; i++) {
        if (!(f->has & (1ull << i)))
            continue;
        if (s_keys [i].kind == K_STR)
            zc_msg_set_cstr (msg, 1ull << i, f->s [i]);
        else
        if (s_keys [i].kind == K_BOOL)
            zc_msg_set_bool (msg, 1ull << i, f->u [i] != 0);
        else
            zc_msg_set_u64 (msg, 1ull << i, f->u [i]);
    }
}

static void
s_print (const char *prefix, const zc_msg_t *msg)
{
    printf ("%s type=%s", prefix, zc_type_name (msg->type));
    for (size_t i = 0; i < KEY_COUNT; i++) {
        if (!(msg->has & (1ull << i)))
            continue;
        if (s_keys [i].kind == K_UINT) {
            //  The uint fields of zc_msg_t, by name: keep this the one place
            //  that maps a row to its member.
            uint64_t v = 0;
            switch (i) {
                case 0: v = msg->node; break;       case 1: v = msg->epoch; break;
                case 2: v = msg->seq; break;        case 3: v = msg->rseq; break;
                case 4: v = msg->ts; break;         case 8: v = msg->id; break;
                case 10: v = msg->leader; break;    case 11: v = msg->commit; break;
                case 12: v = msg->last_seq; break;  case 13: v = msg->log_epoch; break;
                case 14: v = msg->prev_seq; break;  case 15: v = msg->prev_epoch; break;
                case 16: v = msg->mh; break;        case 17: v = msg->lt; break;
                case 21: v = msg->expected; break;  case 22: v = msg->port; break;
                case 23: v = msg->pub_port; break;  case 25: v = msg->lamport; break;
                case 26: v = msg->messages; break;  case 27: v = msg->last; break;
                case 28: v = msg->count; break;     case 29: v = msg->dropped; break;
                case 30: v = msg->start_seq; break; case 31: v = msg->retry_ms; break;
                case 32: v = msg->refused; break;   case 33: v = msg->slowed; break;
                case 34: v = msg->denied; break;    case 35: v = msg->forged; break;
                default: break;
            }
            printf (" %s=%" PRIu64, s_keys [i].key, v);
        }
        else
        if (s_keys [i].kind == K_BOOL)
            printf (" %s=%s", s_keys [i].key, msg->granted ? "true" : "false");
        else {
            zc_str_t s = { NULL, 0 };
            switch (i) {
                case 5: s = msg->room; break;   case 6: s = msg->from; break;
                case 7: s = msg->client; break; case 9: s = msg->text; break;
                case 19: s = msg->code; break;  case 20: s = msg->reason; break;
                case 24: s = msg->role; break;  default: break;
            }
            //  Text may be long and hold spaces: the first 40 bytes, spaces as '_'.
            printf (" %s=", s_keys [i].key);
            for (uint32_t j = 0; j < s.len && j < 40; j++)
                putchar (s.ptr [j] == ' ' ? '_' : s.ptr [j]);
        }
    }
    putchar ('\n');
}

//  A socket to 127.0.0.1:PORT, CURVE client if asked.
static zsock_t *
s_connect (int type, int port, const s_opts_t *o)
{
    zsock_t *sock = zsock_new (type);
    assert (sock);
    zsock_set_linger (sock, 0);
    zsock_set_sndhwm (sock, 100000);
    zsock_set_sndtimeo (sock, 1000);
    if (type == ZMQ_REQ) {
        zsock_set_req_relaxed (sock, 1);
        zsock_set_req_correlate (sock, 1);
    }
    if (o->server_key) {
        zcert_t *server = zcert_load (o->server_key);
        if (!server) {
            fprintf (stderr, "zchat-hostile: cannot load %s\n", o->server_key);
            exit (2);
        }
        zcert_t *cert = o->cert && !o->curve_random ? zcert_load (o->cert) : zcert_new ();
        if (!cert) {
            fprintf (stderr, "zchat-hostile: cannot load %s\n", o->cert);
            exit (2);
        }
        zcert_apply (cert, sock);
        zsock_set_curve_serverkey (sock, zcert_public_txt (server));
        zcert_destroy (&cert);
        zcert_destroy (&server);
    }
    zsock_connect (sock, "tcp://127.0.0.1:%d", port);
    return sock;
}

static size_t
s_encode (const zc_msg_t *msg, uint8_t *buf, size_t cap)
{
    size_t size = zc_msg_encode (msg, buf, cap);
    if (!size) {
        fprintf (stderr, "zchat-hostile: a %s with these fields does not encode "
                 "(a required field is missing)\n", zc_type_name (msg->type));
        exit (2);
    }
    return size;
}

//  Chat frames for a forged APPEND or LOG_ENTRIES: seqs prev_seq+1.., the
//  header's epoch, ts from the clock given (or 1000000).
static void
s_add_entries (zmsg_t *out, const s_fields_t *f, int entries)
{
    static uint8_t buf [ZC_MAX_FRAME];
    uint64_t prev = f->has & ZF_PREV_SEQ ? f->u [14] : 0;
    uint64_t epoch = f->has & ZF_EPOCH ? f->u [1] : 1;
    for (int i = 1; i <= entries; i++) {
        zc_msg_t chat;
        zc_msg_init (&chat, ZC_CHAT);
        zc_msg_set_u64 (&chat, ZF_EPOCH, epoch);
        zc_msg_set_u64 (&chat, ZF_SEQ, prev + i);
        zc_msg_set_u64 (&chat, ZF_RSEQ, prev + i);
        zc_msg_set_u64 (&chat, ZF_TS, 1000000 + prev + i);
        zc_msg_set_cstr (&chat, ZF_ROOM, "general");
        zc_msg_set_cstr (&chat, ZF_FROM, "mallory");
        zc_msg_set_cstr (&chat, ZF_CLIENT, "0123456789abcdef0123456789abcdef");
        zc_msg_set_u64 (&chat, ZF_ID, prev + i);
        zc_msg_set_cstr (&chat, ZF_TEXT, "forged entry");
        zmsg_addmem (out, buf, s_encode (&chat, buf, sizeof buf));
    }
}

//  Print every reply that arrives within wait_ms; returns how many came.
static int
s_drain_timed (zsock_t *sock, int wait_ms, const char *prefix, int64_t *first_us)
{
    int replies = 0;
    int64_t end = zclock_mono () + wait_ms;
    zpoller_t *poller = zpoller_new (sock, NULL);
    while (zclock_mono () < end) {
        if (!zpoller_wait (poller, (int) (end - zclock_mono ())))
            break;
        zmsg_t *reply = zmsg_recv (sock);
        if (!reply)
            break;
        if (first_us && !replies)
            *first_us = zclock_usecs ();
        zframe_t *frame = zmsg_first (reply);
        if (frame && zframe_size (frame) == 0)
            frame = zmsg_next (reply);          //  a REQ's empty delimiter
        bool first = true;
        for (; frame; frame = zmsg_next (reply)) {
            size_t offset = 0;
            zc_msg_t msg;
            while (offset < zframe_size (frame)
            &&  zc_msg_decode_next (&msg, zframe_data (frame), zframe_size (frame),
                                    &offset, NULL) == 0)
                s_print (first ? prefix : "  frame", &msg);
            first = false;
        }
        replies++;
        zmsg_destroy (&reply);
    }
    zpoller_destroy (&poller);
    return replies;
}

static int
s_drain (zsock_t *sock, int wait_ms, const char *prefix)
{
    return s_drain_timed (sock, wait_ms, prefix, NULL);
}

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

static int
s_cmd_send (int port, zc_type_t type, const s_fields_t *f, const s_opts_t *o)
{
    static uint8_t buf [ZC_MAX_FRAME];
    zsock_t *sock = s_connect (ZMQ_DEALER, port, o);
    zclock_sleep (o->delay_ms);             //  let the connection (and handshake) finish
    int sent = 0;
    for (int i = 0; i < o->count; i++) {
        s_fields_t now = *f;
        for (size_t k = 0; k < KEY_COUNT; k++)
            if (f->now_mask & (1ull << k))
                now.u [k] = s_now_ms ();
        zc_msg_t msg;
        s_fill (&msg, type, &now);
        zmsg_t *out = zmsg_new ();
        zmsg_addmem (out, buf, s_encode (&msg, buf, sizeof buf));
        if (type == ZC_APPEND || type == ZC_LOG_ENTRIES)
            s_add_entries (out, &now, o->entries);
        if (zmsg_send (&out, sock) == 0)
            sent++;
        zmsg_destroy (&out);
        if (o->interval_ms)
            zclock_sleep (o->interval_ms);
    }
    printf ("sent=%d\n", sent);
    int replies = s_drain (sock, o->wait_ms, "reply");
    printf ("replies=%d\n", replies);
    zclock_sleep (o->hold_ms);
    zsock_destroy (&sock);
    return 0;                               //  "sent=" says how many went out: a
                                            //  refused handshake is not our failure
}

static int
s_cmd_ping (int port, const s_fields_t *f, const s_opts_t *o)
{
    static uint8_t buf [ZC_MAX_FRAME];
    zsock_t *sock = s_connect (ZMQ_REQ, port, o);
    int pongs = 0;
    int64_t *rtt = calloc ((size_t) o->count + 1, sizeof (int64_t));
    assert (rtt);
    for (int i = 0; i < o->count; i++) {
        zc_msg_t msg;
        s_fill (&msg, ZC_PING, f);
        size_t size = s_encode (&msg, buf, sizeof buf);
        int64_t sent = zclock_usecs (), got = 0;
        if (zmq_send (zsock_resolve (sock), buf, size, 0) == (int) size
        &&  s_drain_timed (sock, o->interval_ms ? o->interval_ms : 100, i ? "" : "reply",
                           &got) > 0)
            rtt [pongs++] = got - sent;
    }
    printf ("pongs=%d\n", pongs);
    //  The round trips (PING sent -> PONG read), for the heartbeat
    //  experiments (experiments/run_heartbeat.sh)
    if (pongs) {
        qsort (rtt, (size_t) pongs, sizeof (int64_t), s_cmp_i64);
        printf ("rtt_us p50=%" PRId64 " p99=%" PRId64 " max=%" PRId64 "\n",
                rtt [(pongs - 1) / 2], rtt [(size_t) ((pongs - 1) * 0.99)], rtt [pongs - 1]);
    }
    free (rtt);
    zsock_destroy (&sock);
    return 0;
}

//  FETCHes whose replies are never read: the node must bound what it
//  queues for us (issue 9 item 4).  We stay connected for --hold-ms.
static int
s_cmd_fetch (int port, const s_fields_t *f, const s_opts_t *o)
{
    static uint8_t buf [ZC_MAX_FRAME];
    zsock_t *sock = s_connect (ZMQ_DEALER, port, o);
    zsock_set_rcvhwm (sock, 1);
    zsock_set_rcvbuf (sock, 4096);
    zclock_sleep (200);
    s_fields_t g = *f;
    if (!(g.has & ZF_LAST))
        g.has |= ZF_LAST;                   //  last=0: from the start
    if (!(g.has & ZF_COUNT)) {
        g.has |= ZF_COUNT;
        g.u [28] = 4096;
    }
    zc_msg_t msg;
    s_fill (&msg, ZC_FETCH, &g);
    size_t size = s_encode (&msg, buf, sizeof buf);
    int sent = 0;
    for (int i = 0; i < o->count; i++) {
        if (zmq_send (zsock_resolve (sock), buf, size, 0) == (int) size)
            sent++;
        if (o->interval_ms)
            zclock_sleep (o->interval_ms);
    }
    printf ("sent=%d bytes=%zu\n", sent, size * sent);
    fflush (stdout);
    zclock_sleep (o->hold_ms);
    zsock_destroy (&sock);
    return 0;
}

//  What the replies to a flood said
typedef struct {
    int acks, slow, limit, other;
    uint64_t retry_ms;                      //  the last slow_down's retry_ms
} s_tally_t;

//  Counts every message in the first frame of reply, then destroys it
static void
s_tally (s_tally_t *t, zmsg_t **reply_p)
{
    zframe_t *frame = zmsg_first (*reply_p);
    size_t offset = 0;
    zc_msg_t msg;
    while (frame && offset < zframe_size (frame)
    &&  zc_msg_decode_next (&msg, zframe_data (frame), zframe_size (frame),
                            &offset, NULL) == 0) {
        if (msg.type == ZC_ACK)
            t->acks++;
        else
        if (msg.type == ZC_ERROR && zc_str_eq (msg.code, ZC_ERR_SLOW_DOWN)) {
            t->slow++;
            if (msg.has & ZF_RETRY_MS)
                t->retry_ms = msg.retry_ms;
        }
        else
        if (msg.type == ZC_ERROR && zc_str_eq (msg.code, ZC_ERR_LIMIT))
            t->limit++;
        else
            t->other++;
    }
    zmsg_destroy (reply_p);
}

//  POSTs from one client, pipelined, until count are sent; every reply is
//  counted.  ids from id= (default 1), ts from ts= (or counting up).
static int
s_cmd_flood (int port, const s_fields_t *f, const s_opts_t *o)
{
    static uint8_t buf [ZC_MAX_FRAME];
    zsock_t *sock = s_connect (ZMQ_DEALER, port, o);
    zclock_sleep (200);
    s_fields_t g = *f;
    const char *defaults [] = { "room=general", "from=flooder", "text=flood",
                                "client=f100d000f100d000f100d000f100d000" };
    for (size_t i = 0; i < 4; i++) {
        const char *eq = strchr (defaults [i], '=');
        int k = s_key_index (defaults [i], (size_t) (eq - defaults [i]));
        if (!(g.has & (1ull << k))) {
            g.has |= 1ull << k;
            g.s [k] = (char *) eq + 1;
        }
    }
    uint64_t first_id = g.has & ZF_ID ? g.u [8] : 1;
    uint64_t ts = g.has & ZF_TS && !g.ts_auto ? g.u [4] : 1;
    g.has |= ZF_ID | ZF_TS;
    s_tally_t t = { 0, 0, 0, 0, 0 };
    int sent = 0;
    zpoller_t *poller = zpoller_new (sock, NULL);
    int64_t end = zclock_mono () + o->wait_ms + 1000L * (o->seconds ? o->seconds : 10);
    for (int i = 0; i < o->count && zclock_mono () < end; i++) {
        g.u [8] = first_id + i;
        g.u [4] = ts + i;
        zc_msg_t msg;
        s_fill (&msg, ZC_POST, &g);
        size_t size = s_encode (&msg, buf, sizeof buf);
        if (zmq_send (zsock_resolve (sock), buf, size, 0) == (int) size)
            sent++;
        if (o->interval_ms)
            zclock_sleep (o->interval_ms);
        //  Read what is there without waiting, so the socket never fills.
        zmsg_t *reply;
        while ((zsock_events (sock) & ZMQ_POLLIN) && (reply = zmsg_recv (sock)))
            s_tally (&t, &reply);
    }
    //  The rest of the replies, for wait_ms.
    int64_t stop = zclock_mono () + o->wait_ms;
    while (zclock_mono () < stop) {
        if (!zpoller_wait (poller, (int) (stop - zclock_mono ())))
            break;
        zmsg_t *reply = zmsg_recv (sock);
        if (!reply)
            break;
        s_tally (&t, &reply);
    }
    printf ("sent=%d acks=%d slow_down=%d limit=%d other=%d retry_ms=%" PRIu64 "\n",
            sent, t.acks, t.slow, t.limit, t.other, t.retry_ms);
    zpoller_destroy (&poller);
    zsock_destroy (&sock);
    return 0;
}

//  One random frame: raw bytes, a truncated or padded valid map, a msgpack
//  that is not a map, or a valid message of a random type with random
//  values (the wrong type for most sockets).
static size_t
s_junk_frame (uint8_t *buf, size_t cap)
{
    size_t size = 0;
    switch (s_rand () % 6) {
        case 0:                             //  raw random bytes
            size = s_rand () % 300;
            for (size_t i = 0; i < size; i++)
                buf [i] = (uint8_t) s_rand ();
            break;
        case 1:                             //  empty
            break;
        case 2: {                           //  a valid message of any type, random values
            zc_msg_t msg;
            zc_msg_init (&msg, (zc_type_t) (1 + s_rand () % (ZC_TYPE_COUNT - 1)));
            for (size_t i = 0; i < KEY_COUNT; i++) {
                if (s_rand () % 2)
                    continue;
                uint64_t v = s_rand () % 4 == 0 ? UINT64_MAX - s_rand () % 3 : s_rand () % 1000;
                if (s_keys [i].kind == K_UINT)
                    zc_msg_set_u64 (&msg, 1ull << i, v);
                else
                if (s_keys [i].kind == K_BOOL)
                    zc_msg_set_bool (&msg, 1ull << i, v & 1);
                else
                if (i == 7)
                    zc_msg_set_cstr (&msg, 1ull << i, "0123456789abcdef0123456789abcdef");
                else
                if (i == 19)
                    zc_msg_set_cstr (&msg, 1ull << i, "busy");
                else
                    zc_msg_set_cstr (&msg, 1ull << i, "general");
            }
            size = zc_msg_encode (&msg, buf, cap);
            if (!size) {                    //  missing a required field: still send it
                msg.type = ZC_HELLO;
                size = zc_msg_encode (&msg, buf, cap);
            }
            break;
        }
        case 3: {                           //  a valid map cut short, or with junk after
            zc_msg_t msg;
            zc_msg_init (&msg, ZC_STATUS);
            zc_msg_set_u64 (&msg, ZF_NODE, s_rand ());
            zc_msg_set_u64 (&msg, ZF_EPOCH, s_rand ());
            size = zc_msg_encode (&msg, buf, cap);
            if (s_rand () % 2)
                size = s_rand () % size;
            else
                buf [size++] = 0xc1;        //  the one byte msgpack never uses
            break;
        }
        case 4:                             //  msgpack that is not a map: an array, a str
            buf [size++] = 0x93;
            buf [size++] = 0x01;
            buf [size++] = 0xa1;
            buf [size++] = 'x';
            buf [size++] = 0xc0;
            break;
        default:                            //  a map with deep nesting and a huge length
            buf [size++] = 0x81;
            buf [size++] = 0xa1;
            buf [size++] = 'z';
            for (int i = 0; i < 40; i++)
                buf [size++] = 0x91;
            buf [size++] = 0xdf;            //  map32 claiming 2^32-1 pairs
            memset (buf + size, 0xff, 4);
            size += 4;
            break;
    }
    return size;
}

//  Garbage bytes on a raw TCP connection: not even ZMTP.
static void
s_raw_tcp (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0) {
        uint8_t junk [512];
        size_t size = s_rand () % sizeof junk;
        for (size_t i = 0; i < size; i++)
            junk [i] = (uint8_t) s_rand ();
        if (s_rand () % 2 && size > 10)
            junk [0] = 0xff;                //  a ZMTP signature start, then junk
        ssize_t rc = send (fd, junk, size, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void) rc;
    }
    close (fd);
}

static int
s_cmd_junk (const char *ports, const s_opts_t *o)
{
    static uint8_t buf [ZC_MAX_FRAME + 1024];
    int list [64], n = 0;
    char *copy = strdup (ports);
    for (char *tok = strtok (copy, ","); tok && n < 64; tok = strtok (NULL, ","))
        list [n++] = s_int (tok);
    free (copy);
    //  One DEALER, one REQ and one SUB per port, reused; raw TCP and
    //  oversize frames come and go (libzmq closes a connection that sends
    //  a frame over MAXMSGSIZE).
    zsock_t *dealers [64], *reqs [64];
    for (int i = 0; i < n; i++) {
        dealers [i] = s_connect (ZMQ_DEALER, list [i], o);
        zsock_set_sndtimeo (dealers [i], 0);
        reqs [i] = s_connect (ZMQ_REQ, list [i], o);
        zsock_set_sndtimeo (reqs [i], 0);
    }
    zclock_sleep (200);
    int64_t end = zclock_mono () + 1000L * (o->seconds ? o->seconds : 5);
    long frames = 0, messages = 0;
    for (int round = 0; round < o->count && zclock_mono () < end; round++) {
        int i = (int) (s_rand () % (uint64_t) n);
        int what = (int) (s_rand () % 10);
        if (what < 5) {                     //  one junk frame
            size_t size = s_junk_frame (buf, sizeof buf);
            zmq_send (zsock_resolve (dealers [i]), buf, size, ZMQ_DONTWAIT);
            frames++;
        }
        else
        if (what < 7) {                     //  multi-frame junk, up to 50 frames
            int parts = 2 + (int) (s_rand () % 49);
            for (int p = 0; p < parts; p++) {
                size_t size = s_junk_frame (buf, sizeof buf);
                zmq_send (zsock_resolve (dealers [i]), buf, size,
                          ZMQ_DONTWAIT | (p + 1 < parts ? ZMQ_SNDMORE : 0));
            }
            frames += parts;
        }
        else
        if (what == 7) {                    //  a REQ's [""][junk]; its reply discarded
            size_t size = s_junk_frame (buf, sizeof buf);
            zmq_send (zsock_resolve (reqs [i]), buf, size, ZMQ_DONTWAIT);
            zmsg_t *drop;
            while ((zsock_events (reqs [i]) & ZMQ_POLLIN) && (drop = zmsg_recv (reqs [i])))
                zmsg_destroy (&drop);
            frames++;
        }
        else
        if (what == 8)
            s_raw_tcp (list [i]);
        else {                              //  over the frame limit, on a throw-away socket
            zsock_t *big = s_connect (ZMQ_DEALER, list [i], o);
            size_t size = ZC_MAX_FRAME + 1 + s_rand () % 512;
            memset (buf, 0x81, size);
            zmq_send (zsock_resolve (big), buf, size, ZMQ_DONTWAIT);
            zclock_sleep (5);
            zsock_destroy (&big);
            frames++;
        }
        messages++;
        //  Replies to the DEALER are drained and dropped.
        zmsg_t *drop;
        while ((zsock_events (dealers [i]) & ZMQ_POLLIN) && (drop = zmsg_recv (dealers [i])))
            zmsg_destroy (&drop);
        if (o->interval_ms)
            zclock_sleep (o->interval_ms);
    }
    printf ("junk messages=%ld frames=%ld\n", messages, frames);
    for (int i = 0; i < n; i++) {
        zsock_destroy (&dealers [i]);
        zsock_destroy (&reqs [i]);
    }
    return 0;
}

static int
s_cmd_status (int port, const s_opts_t *o)
{
    static uint8_t buf [256];
    zsock_t *sock = s_connect (ZMQ_DEALER, port, o);
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_STATUS);
    size_t size = s_encode (&msg, buf, sizeof buf);
    zmq_send (zsock_resolve (sock), buf, size, 0);
    int replies = s_drain (sock, o->wait_ms, "status");
    zsock_destroy (&sock);
    return replies ? 0 : 1;
}

static int
s_cmd_mh (int argc, char **argv)
{
    zc_config_t cfg;
    char err [512];
    //  zc_config_parse expects argv [0] to be the program.
    char **args = calloc ((size_t) argc + 2, sizeof (char *));
    args [0] = "chat-node";
    for (int i = 0; i < argc; i++)
        args [i + 1] = argv [i];
    optind = 1;
    int rc = zc_config_parse (&cfg, argc + 1, args, err, sizeof err);
    free (args);
    if (rc) {
        fprintf (stderr, "zchat-hostile mh: %s\n", rc < 0 ? err : "no --help here");
        return 2;
    }
    printf ("%" PRIu64 "\n", zc_config_membership_hash (&cfg));
    return 0;
}

static void
s_usage (void)
{
    fputs ("usage: zchat-hostile [OPTIONS] send PORT TYPE [FIELD=VALUE...]\n"
           "       zchat-hostile [OPTIONS] ping|fetch|flood PORT [FIELD=VALUE...]\n"
           "       zchat-hostile [OPTIONS] junk PORT[,PORT...]\n"
           "       zchat-hostile [OPTIONS] status PORT\n"
           "       zchat-hostile mh CHAT-NODE-FLAGS...\n"
           "options: --count N --interval-ms N --wait-ms N --hold-ms N --seconds N\n"
           "         --delay-ms N --entries N --seed N --cert FILE --server-key FILE --curve-random\n",
           stderr);
}

int
main (int argc, char **argv)
{
    setvbuf (stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && streq (argv [1], "mh"))
        return s_cmd_mh (argc - 2, argv + 2);
    s_opts_t o = { .count = 1, .wait_ms = 300, .delay_ms = 200 };
    static struct option longs [] = {
        { "count", required_argument, 0, 'n' },
        { "interval-ms", required_argument, 0, 'i' },
        { "wait-ms", required_argument, 0, 'w' },
        { "hold-ms", required_argument, 0, 'H' },
        { "seconds", required_argument, 0, 's' },
        { "entries", required_argument, 0, 'e' },
        { "seed", required_argument, 0, 'S' },
        { "delay-ms", required_argument, 0, 'd' },
        { "cert", required_argument, 0, 'c' },
        { "server-key", required_argument, 0, 'k' },
        { "curve-random", no_argument, 0, 'r' },
        { 0, 0, 0, 0 }
    };
    int c;
    while ((c = getopt_long (argc, argv, "+", longs, NULL)) != -1) {
        switch (c) {
            case 'n': o.count = s_int (optarg); break;
            case 'i': o.interval_ms = s_int (optarg); break;
            case 'w': o.wait_ms = s_int (optarg); break;
            case 'H': o.hold_ms = s_int (optarg); break;
            case 's': o.seconds = s_int (optarg); break;
            case 'e': o.entries = s_int (optarg); break;
            case 'd': o.delay_ms = s_int (optarg); break;
            case 'S':
                if (zc_parse_u64_c (optarg, 0, UINT64_MAX, &o.seed) != ZC_PARSE_OK) {
                    fprintf (stderr, "zchat-hostile: --seed: '%s' is not a number\n", optarg);
                    return 2;
                }
                break;
            case 'c': o.cert = optarg; break;
            case 'k': o.server_key = optarg; break;
            case 'r': o.curve_random = true; break;
            default: s_usage (); return 2;
        }
    }
    //  Bounds: a test tool must never run away.
    if (o.count < 0 || o.count > 1000000 || o.seconds < 0 || o.seconds > 120
    ||  o.wait_ms < 0 || o.wait_ms > 60000 || o.hold_ms < 0 || o.hold_ms > 120000
    ||  o.interval_ms < 0 || o.interval_ms > 10000 || o.entries < 0 || o.entries > 512
    ||  o.delay_ms < 0 || o.delay_ms > 60000) {
        fprintf (stderr, "zchat-hostile: an option is out of bounds\n");
        return 2;
    }
    if (o.seed)
        s_rng = o.seed;
    if (argc - optind < 2) {
        s_usage ();
        return 2;
    }
    const char *cmd = argv [optind];
    const char *target = argv [optind + 1];
    int port = s_int (target);
    zsys_init ();
    zsys_set_logstream (stderr);
    if (streq (cmd, "junk"))
        return s_cmd_junk (target, &o);
    if (port < 1 || port > 65535) {
        fprintf (stderr, "zchat-hostile: bad port %s\n", target);
        return 2;
    }
    if (streq (cmd, "status"))
        return s_cmd_status (port, &o);
    int first = optind + 2;
    zc_type_t type = ZC_UNKNOWN;
    if (streq (cmd, "send")) {
        if (first >= argc || (type = zc_type_from_name (argv [first], strlen (argv [first])))
                             == ZC_UNKNOWN) {
            fprintf (stderr, "zchat-hostile: send needs a message type\n");
            return 2;
        }
        first++;
    }
    s_fields_t f;
    memset (&f, 0, sizeof f);
    if (s_parse_fields (&f, argc - first, argv + first))
        return 2;
    if (streq (cmd, "send"))
        return s_cmd_send (port, type, &f, &o);
    if (streq (cmd, "ping"))
        return s_cmd_ping (port, &f, &o);
    if (streq (cmd, "fetch"))
        return s_cmd_fetch (port, &f, &o);
    if (streq (cmd, "flood"))
        return s_cmd_flood (port, &f, &o);
    s_usage ();
    return 2;
}
