/*  zchat_baseline.c — zchat-baseline: what other systems do on this
    machine, measured the way zchat-bench measures zchat and reported in
    the same CSV columns, so that one script can put them in one table.

    Modes (one process; every sender and every subscriber is a thread with
    its own connection):
    - pubsub: raw libzmq.  Each sender has an XPUB, every subscriber a SUB
      connected to all of them.  What ZeroMQ alone can do.
    - pipeline: what a zchat leader does, minus replication and storage,
      as lean as it can be: senders post msgpack POST maps on DEALERs to
      one server thread with a ROUTER, which decodes each, stamps it (seq,
      Lamport ts), re-encodes it as a chat map, publishes [room][chat] on
      an XPUB and ACKs the sender; subscribers decode the chat maps.  The
      reference for what a good zchat leader could do.
    - redis: Redis pub/sub through a tiny RESP client of our own: senders
      pipeline PUBLISH commands and read the integer replies (our ACK);
      subscribers SUBSCRIBE.
    - nats: NATS core through its text protocol: senders PUB, subscribers
      SUB.  NATS has no ACK: a PING every window/4 messages bounds what is
      in flight (its PONG says the server has read all before it).

    Measured as zchat-bench does: every payload (the chat text in
    pipeline) begins "zb T S N ", T the send time in microseconds
    (CLOCK_MONOTONIC, one process), S the sender, N its message number.
    At a fixed --rate, T is the INTENDED send time of the schedule, so a
    stall counts in full for every message it delayed (coordinated
    omission).  Rates count what arrived within --duration, over
    --duration.  Every subscriber checks that it got each posted message
    of each sender exactly once: pub/sub systems may drop under load
    (Redis and NATS cut slow subscribers off), and that is reported as
    lost, not hidden.

    ZeroMQ publishers are XPUBs with XPUB_NODROP: at the high-water mark
    the publisher waits instead of dropping, so the rates are what is
    delivered without loss (--drop gives ZeroMQ's default, dropping).

    Start-up: every subscriber must have a live subscription before the
    first measured message (slow joiner).  Senders send "zb-ping S" every
    10 ms until every subscriber got one from every sender.

    Efficiency matters here only where the systems compared are
    concerned: the pipeline server receives into stack buffers, decodes
    with a reused msgpack zone, encodes into reused sbuffers (no malloc
    of ours per message) and blocks in zmq_recv, which drains libzmq's
    queue without a poll per message.  The TCP clients read and write in
    large batches.
*/
#include <zmq.h>
#include <msgpack.h>
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define ZB_MAX_SENDERS  256
#define ZB_MAX_SIZE     16384       //  --size limit: zchat's own text limit
#define ZB_MAX_FRAME    (ZB_MAX_SIZE + 1024)    //  a POST map, with its text
#define ZB_PING         "zb-ping "
#define ZB_WAIT_MS      50          //  a subscriber's longest wait for input
#define ZB_BATCH        1024        //  ZeroMQ messages taken per wake-up
#define ZB_FLUSH_AT     65536       //  TCP: write once this much is queued
#define ZB_IN_SIZE      (256 * 1024)
#define ZB_MARKS        16          //  nats: PINGs in flight (at most ~9)
#define ZB_MAX_NOTICES  5           //  notices printed per client
#define ZB_READY_MS     10000       //  subscribers must be ready by then

typedef enum { ZB_PUBSUB, ZB_PIPELINE, ZB_REDIS, ZB_NATS } zb_mode_t;

typedef struct {
    zb_mode_t mode;
    const char *mode_name, *room, *csv, *label, *cdf;
    uint32_t senders, subscribers, window, size, hwm, io_threads;
    int port;
    bool drop;
    double rate, duration, drain;
} zb_opts_t;

//  Bytes read from, or to write to, a TCP connection: data [start, end)
typedef struct {
    char *data;
    size_t start, end, cap;
} zb_buf_t;

typedef struct {
    const zb_opts_t *opts;
    uint32_t index;
    void *sock;                     //  pubsub: XPUB; pipeline: DEALER
    int fd;                         //  redis, nats: TCP; else -1
    char endpoint [64];             //  pubsub: where the XPUB listens
    char client [33];               //  pipeline: the client id
    zb_buf_t out, in;
    msgpack_sbuffer sbuf;           //  pipeline: the POST being sent
    msgpack_zone zone;              //  pipeline: decoding ACKs
    bool zoned;                     //  pipeline: sbuf and zone made
    uint64_t clock;                 //  pipeline: Lamport time from ACKs
    uint64_t posted, confirmed;     //  measured messages; those out of the window
    uint64_t pings, replies;        //  redis: the replies to pings come first
    uint64_t marks [ZB_MARKS];      //  nats: posted at each PING not yet PONGed
    uint32_t mark_head, mark_count;
    bool short_fanout;              //  redis: a PUBLISH reached fewer subscribers
    int64_t *sent_at;               //  by N: when sent (intended, at a rate)
    uint64_t sent_cap;
    uint64_t acked, acked_in, notices;
    int64_t progress_us, end_us;
    bool stalled, failed;
    zb_samples_t ack;
    char *text;
    size_t header_len;
} zb_sender_t;

typedef struct {
    const zb_opts_t *opts;
    uint32_t index;
    void *sock;                     //  pubsub, pipeline: SUB
    int fd;                         //  redis, nats: TCP; else -1
    zb_buf_t in;
    msgpack_zone zone;              //  pipeline: decoding chat maps
    bool zoned;
    bool pinged [ZB_MAX_SENDERS];
    uint32_t pings;
    bool ready, closed;
    zb_set_t seen [ZB_MAX_SENDERS];
    uint64_t delivered, delivered_in, dups, reordered, foreign, notices;
    zb_samples_t e2e;
} zb_sub_t;

//  What a mode does; post with n 0 sends a ping
typedef struct {
    const char *name;
    bool acks;                      //  an ACK per message: ack latency and rate
    const char *closed_hint;        //  why a server may close a subscriber
    int (*sender_open) (zb_sender_t *self, char *err, size_t size);
    int (*post) (zb_sender_t *self, uint64_t n, const char *text, size_t len);
    int (*flush) (zb_sender_t *self);
    int (*input) (zb_sender_t *self);       //  what is readable, no wait
    int (*finish) (zb_sender_t *self);      //  after the last post (or NULL)
    int (*sub_open) (zb_sub_t *self, char *err, size_t size);
    int (*sub_input) (zb_sub_t *self);      //  waits up to ZB_WAIT_MS
} zb_ops_t;

static volatile sig_atomic_t s_stop = 0;
static const zb_ops_t *s_ops;
static void *s_ctx;                         //  ZeroMQ modes: the clients'
static void *s_server_ctx;                  //  pipeline: the server's
static zb_sender_t *s_senders;              //  pubsub: subscribers dial each XPUB
static char s_router_ep [64], s_pub_ep [64];    //  pipeline: the server's
static char s_redis_prefix [128];           //  PUBLISH and the channel, in RESP
static size_t s_redis_prefix_len;
static _Atomic int64_t s_t0;
static _Atomic int64_t s_end = INT64_MAX;   //  s_t0 + --duration
static pthread_barrier_t s_start;
static atomic_int s_ready;                  //  subscribers pinged by every sender
static atomic_int s_all_ready;              //  main saw them all (or gave up)
static atomic_int s_senders_done;           //  then s_posted is final
static _Atomic uint64_t s_posted [ZB_MAX_SENDERS];
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
s_notice (uint64_t *count, const char *who, uint32_t index, const char *text, size_t len)
{
    if (++*count <= ZB_MAX_NOTICES)
        fprintf (stderr, "zchat-baseline: %s %u: %.*s\n", who, index, (int) len, text);
}

//  --------------------------------------------------------------------------
//  Payloads: "zb T S N " then 'x' up to --size; pings "zb-ping S"

//  Decimal digits of v at p (snprintf would cost a sender a third of
//  its time at raw ZeroMQ rates); returns how many
static size_t
s_put_u64 (char *p, uint64_t v)
{
    char digits [20];
    size_t count = 0;
    do {
        digits [count++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < count; i++)
        p [i] = digits [count - 1 - i];
    return count;
}

//  Writes the header over the start of self->text; returns the length of
//  the text (longer than --size if the header does not fit)
static size_t
s_make_text (zb_sender_t *self, int64_t at, uint64_t n)
{
    char *p = self->text;
    size_t len = 3;
    memcpy (p, "zb ", 3);
    len += s_put_u64 (p + len, (uint64_t) at);
    p [len++] = ' ';
    len += s_put_u64 (p + len, self->index);
    p [len++] = ' ';
    len += s_put_u64 (p + len, n);
    p [len++] = ' ';
    if (len < self->header_len)
        memset (p + len, 'x', self->header_len - len);
    self->header_len = len;
    return len > self->opts->size? len: self->opts->size;
}

//  A number and the space after it, from *p; false if there is none
static bool
s_take_u64 (const char **p, const char *end, uint64_t *value)
{
    const char *q = *p;
    uint64_t v = 0;
    if (q >= end || *q < '0' || *q > '9')
        return false;
    while (q < end && *q >= '0' && *q <= '9')
        v = v * 10 + (uint64_t) (*q++ - '0');
    if (q < end && *q == ' ')
        q++;
    *p = q;
    *value = v;
    return true;
}

//  A whole signed decimal number: false if text is anything else
static bool
s_parse_i64 (const char *text, size_t len, int64_t *value)
{
    const char *p = text, *end = text + len;
    bool minus = p < end && *p == '-';
    uint64_t v;
    p += minus;
    if (!s_take_u64 (&p, end, &v) || p != end || v > INT64_MAX)
        return false;
    *value = minus? -(int64_t) v: (int64_t) v;
    return true;
}

//  --------------------------------------------------------------------------
//  Subscribers: what every mode hands over

static void
s_sub_pinged (zb_sub_t *self, uint64_t sender)
{
    if (sender >= self->opts->senders || self->pinged [sender])
        return;
    self->pinged [sender] = true;
    if (++self->pings == self->opts->senders) {
        self->ready = true;
        atomic_fetch_add (&s_ready, 1);
    }
}

static void
s_sub_payload (zb_sub_t *self, const char *p, size_t len)
{
    const char *end = p + len;
    uint64_t at, sender, n;
    if (len > strlen (ZB_PING) && memcmp (p, ZB_PING, strlen (ZB_PING)) == 0) {
        p += strlen (ZB_PING);
        if (s_take_u64 (&p, end, &sender))
            s_sub_pinged (self, sender);
        return;
    }
    bool ours = len > 3 && memcmp (p, "zb ", 3) == 0;
    p += ours? 3: 0;
    if (!ours || !s_take_u64 (&p, end, &at) || !s_take_u64 (&p, end, &sender)
    ||  !s_take_u64 (&p, end, &n) || sender >= self->opts->senders || n == 0) {
        self->foreign++;
        return;
    }
    int64_t now = s_now_us ();
    zb_set_t *seen = &self->seen [sender];
    if (n < seen->top && !zb_set_has (seen, n))
        self->reordered++;          //  a sender's messages come in order
    if (zb_set_put (seen, n)) {
        self->dups++;
        return;
    }
    self->delivered++;
    if (now <= atomic_load_explicit (&s_end, memory_order_relaxed))
        self->delivered_in++;
    zb_samples_add (&self->e2e, now - (int64_t) at);
}

//  --------------------------------------------------------------------------
//  Senders: what every mode reports

static void
s_sender_ack (zb_sender_t *self, uint64_t n)
{
    if (n < 1 || n > self->posted)
        return;
    int64_t now = s_now_us ();
    zb_samples_add (&self->ack, now - self->sent_at [n]);
    self->acked++;
    if (now <= atomic_load_explicit (&s_end, memory_order_relaxed))
        self->acked_in++;
    self->progress_us = now;
}

static int
s_sent_at_put (zb_sender_t *self, uint64_t n, int64_t at)
{
    if (n >= self->sent_cap) {
        uint64_t cap = self->sent_cap? self->sent_cap * 2: 65536;
        int64_t *sent_at = realloc (self->sent_at, cap * sizeof (int64_t));
        if (!sent_at)
            return -1;
        self->sent_at = sent_at;
        self->sent_cap = cap;
    }
    self->sent_at [n] = at;
    return 0;
}

//  --------------------------------------------------------------------------
//  ZeroMQ helpers

static int
s_zmq_int (void *sock, int option, int value)
{
    return zmq_setsockopt (sock, option, &value, sizeof (value));
}

//  A socket with these HWMs (0: none) and no linger; options are set
//  before bind/connect, as libzmq copies them into each connection then
static void *
s_zmq_socket (void *ctx, int type, int sndhwm, int rcvhwm)
{
    void *sock = zmq_socket (ctx, type);
    if (sock) {
        s_zmq_int (sock, ZMQ_SNDHWM, sndhwm);
        s_zmq_int (sock, ZMQ_RCVHWM, rcvhwm);
        s_zmq_int (sock, ZMQ_LINGER, 0);
    }
    return sock;
}

//  An XPUB that waits at the HWM instead of dropping (unless --drop); the
//  send timeout lets a waiting publisher see a second Ctrl+C
static void *
s_zmq_publisher (void *ctx, const zb_opts_t *opts, char *endpoint, size_t size)
{
    void *sock = s_zmq_socket (ctx, ZMQ_XPUB, (int) opts->hwm, 0);
    if (!sock)
        return NULL;
    s_zmq_int (sock, ZMQ_XPUB_NODROP, !opts->drop);
    s_zmq_int (sock, ZMQ_SNDTIMEO, 100);
    if (zmq_bind (sock, "tcp://127.0.0.1:*")
    ||  zmq_getsockopt (sock, ZMQ_LAST_ENDPOINT, endpoint, &size)) {
        zmq_close (sock);
        return NULL;
    }
    return sock;
}

static int
s_zmq_send (void *sock, const void *data, size_t len, int flags)
{
    while (zmq_send (sock, data, len, flags) < 0)
        if ((errno != EAGAIN && errno != EINTR) || s_stop >= 2)
            return -1;
    return 0;
}

static bool
s_key_is (const msgpack_object *key, const char *name, size_t len)
{
    return key->type == MSGPACK_OBJECT_STR && key->via.str.size == len
        && memcmp (key->via.str.ptr, name, len) == 0;
}

//  The value of key in a decoded map, or NULL
static const msgpack_object *
s_map_get (const msgpack_object *map, const char *key)
{
    if (map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (s_key_is (&map->via.map.ptr [i].key, key, strlen (key)))
            return &map->via.map.ptr [i].val;
    return NULL;
}

//  Decodes data into obj with zone (strings point into data); false if
//  it is not one msgpack map.  msgpack_unpack, unlike msgpack_unpacked,
//  reuses the caller's zone: no malloc per message.
static bool
s_decode_map (msgpack_zone *zone, const void *data, size_t len, msgpack_object *obj)
{
    size_t off = 0;
    msgpack_zone_clear (zone);
    return msgpack_unpack (data, len, &off, zone, obj) == MSGPACK_UNPACK_SUCCESS
        && obj->type == MSGPACK_OBJECT_MAP;
}

static void
s_pack_str (msgpack_packer *pk, const char *text, size_t len)
{
    msgpack_pack_str_with_body (pk, text, len);
}

#define s_pack_lit(pk, lit) s_pack_str ((pk), (lit), sizeof (lit) - 1)

//  --------------------------------------------------------------------------
//  pubsub: XPUB per sender -> SUB per subscriber

static int
s_pubsub_sender_open (zb_sender_t *self, char *err, size_t size)
{
    self->sock = s_zmq_publisher (s_ctx, self->opts, self->endpoint, sizeof (self->endpoint));
    if (!self->sock) {
        snprintf (err, size, "cannot bind an XPUB on 127.0.0.1: %s", zmq_strerror (errno));
        return -1;
    }
    return 0;
}

static int
s_pubsub_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    if (s_zmq_send (self->sock, text, len, 0))
        return -1;
    if (n)
        self->confirmed = n;        //  nothing comes back: no window
    return 0;
}

static int
s_no_flush (zb_sender_t *self)
{
    (void) self;
    return 0;
}

static void *
s_zmq_subscriber (const zb_opts_t *opts, const char *topic)
{
    void *sock = s_zmq_socket (s_ctx, ZMQ_SUB, 0, (int) opts->hwm);
    if (sock) {
        s_zmq_int (sock, ZMQ_RCVTIMEO, ZB_WAIT_MS);
        zmq_setsockopt (sock, ZMQ_SUBSCRIBE, topic, strlen (topic));
    }
    return sock;
}

static int
s_pubsub_sub_open (zb_sub_t *self, char *err, size_t size)
{
    self->sock = s_zmq_subscriber (self->opts, "");
    for (uint32_t i = 0; self->sock && i < self->opts->senders; i++)
        if (zmq_connect (self->sock, s_senders [i].endpoint)) {
            snprintf (err, size, "cannot connect to %s: %s", s_senders [i].endpoint,
                      zmq_strerror (errno));
            return -1;
        }
    return self->sock? 0: -1;
}

static int
s_pubsub_sub_input (zb_sub_t *self)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    for (int i = 0; i < ZB_BATCH; i++) {
        if (zmq_msg_recv (&msg, self->sock, i? ZMQ_DONTWAIT: 0) < 0)
            break;
        s_sub_payload (self, zmq_msg_data (&msg), zmq_msg_size (&msg));
    }
    zmq_msg_close (&msg);
    return 0;
}

static const zb_ops_t s_pubsub_ops = {
    "pubsub", false, NULL, s_pubsub_sender_open, s_pubsub_post, s_no_flush, NULL, NULL,
    s_pubsub_sub_open, s_pubsub_sub_input
};

//  --------------------------------------------------------------------------
//  pipeline: DEALER -> server (ROUTER; decode, stamp, encode; XPUB) -> SUB

typedef struct {
    const zb_opts_t *opts;
    void *router, *pub;
    pthread_t thread;
    atomic_int stop;
    uint64_t seq, clock, bad;
    msgpack_zone zone;
    msgpack_sbuffer chat, ack;
} zb_server_t;

//  What the server needs of a POST; strings point into the frame
typedef struct {
    const msgpack_object *client, *room, *from, *text;
    uint64_t id, ts;
} zb_post_t;

//  One pass over the map (the server's hot path): 0, or -1 if a field
//  is missing or of the wrong kind
static int
s_post_decode (const msgpack_object *map, zb_post_t *post)
{
    *post = (zb_post_t) { 0 };
    bool is_post = false, has_id = false;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *key = &map->via.map.ptr [i].key;
        const msgpack_object *val = &map->via.map.ptr [i].val;
        bool str = val->type == MSGPACK_OBJECT_STR;
        bool uint = val->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
        if (s_key_is (key, "type", 4))
            is_post = str && val->via.str.size == 4 && memcmp (val->via.str.ptr, "post", 4) == 0;
        else if (s_key_is (key, "id", 2) && uint) {
            post->id = val->via.u64;
            has_id = true;
        }
        else if (s_key_is (key, "ts", 2) && uint)
            post->ts = val->via.u64;
        else if (s_key_is (key, "client", 6) && str)
            post->client = val;
        else if (s_key_is (key, "room", 4) && str)
            post->room = val;
        else if (s_key_is (key, "from", 4) && str)
            post->from = val;
        else if (s_key_is (key, "text", 4) && str)
            post->text = val;
    }
    return is_post && has_id && post->client && post->room && post->from && post->text? 0: -1;
}

#define s_pack_obj(pk, o) s_pack_str ((pk), (o)->via.str.ptr, (o)->via.str.size)

//  The chat map, as zchat publishes it (one room: rseq = seq)
static void
s_server_encode_chat (zb_server_t *self, const zb_post_t *post)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear (&self->chat);
    msgpack_packer_init (&pk, &self->chat, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 10);
    s_pack_lit (&pk, "type");   s_pack_lit (&pk, "chat");
    s_pack_lit (&pk, "epoch");  msgpack_pack_uint64 (&pk, 1);
    s_pack_lit (&pk, "seq");    msgpack_pack_uint64 (&pk, self->seq);
    s_pack_lit (&pk, "rseq");   msgpack_pack_uint64 (&pk, self->seq);
    s_pack_lit (&pk, "ts");     msgpack_pack_uint64 (&pk, self->clock);
    s_pack_lit (&pk, "room");   s_pack_obj (&pk, post->room);
    s_pack_lit (&pk, "from");   s_pack_obj (&pk, post->from);
    s_pack_lit (&pk, "client"); s_pack_obj (&pk, post->client);
    s_pack_lit (&pk, "id");     msgpack_pack_uint64 (&pk, post->id);
    s_pack_lit (&pk, "text");   s_pack_obj (&pk, post->text);
}

static void
s_server_encode_ack (zb_server_t *self, const zb_post_t *post)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear (&self->ack);
    msgpack_packer_init (&pk, &self->ack, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
    s_pack_lit (&pk, "type");   s_pack_lit (&pk, "ack");
    s_pack_lit (&pk, "client"); s_pack_obj (&pk, post->client);
    s_pack_lit (&pk, "id");     msgpack_pack_uint64 (&pk, post->id);
    s_pack_lit (&pk, "seq");    msgpack_pack_uint64 (&pk, self->seq);
    s_pack_lit (&pk, "rseq");   msgpack_pack_uint64 (&pk, self->seq);
    s_pack_lit (&pk, "ts");     msgpack_pack_uint64 (&pk, self->clock);
    s_pack_lit (&pk, "epoch");  msgpack_pack_uint64 (&pk, 1);
}

//  Stamp, publish, acknowledge: what the leader does once a POST is
//  committed.  -1 only if the publisher is gone.
static int
s_server_post (zb_server_t *self, const char *id, size_t id_len, const char *frame, size_t len)
{
    msgpack_object map;
    zb_post_t post;
    if (!s_decode_map (&self->zone, frame, len, &map) || s_post_decode (&map, &post)) {
        self->bad++;
        return 0;
    }
    self->seq++;
    self->clock = (post.ts > self->clock? post.ts: self->clock) + 1;
    s_server_encode_chat (self, &post);
    s_server_encode_ack (self, &post);
    if (s_zmq_send (self->pub, post.room->via.str.ptr, post.room->via.str.size, ZMQ_SNDMORE)
    ||  s_zmq_send (self->pub, self->chat.data, self->chat.size, 0))
        return -1;
    //  The ROUTER has no HWM: an ACK is never dropped, and never waits
    zmq_send (self->router, id, id_len, ZMQ_SNDMORE);
    zmq_send (self->router, self->ack.data, self->ack.size, 0);
    return 0;
}

//  Blocking zmq_recv takes what libzmq has queued without polling; the
//  receive timeout (100 ms) lets the thread see the stop flag
static void *
s_server_run (void *arg)
{
    zb_server_t *self = arg;
    char id [256], frame [ZB_MAX_FRAME];
    while (!atomic_load (&self->stop)) {
        int id_len = zmq_recv (self->router, id, sizeof (id), 0);
        if (id_len < 0)
            continue;               //  the receive timeout
        int more = 0;
        size_t more_size = sizeof (more);
        zmq_getsockopt (self->router, ZMQ_RCVMORE, &more, &more_size);
        int len = more? zmq_recv (self->router, frame, sizeof (frame), 0): -1;
        if (len < 0 || len > (int) sizeof (frame) || id_len > (int) sizeof (id)) {
            self->bad++;            //  no body, or truncated: dropped
            continue;
        }
        if (s_server_post (self, id, (size_t) id_len, frame, (size_t) len))
            break;
    }
    return NULL;
}

static int
s_server_start (zb_server_t *self, const zb_opts_t *opts, char *err, size_t size)
{
    *self = (zb_server_t) { .opts = opts };
    msgpack_zone_init (&self->zone, 8192);
    msgpack_sbuffer_init (&self->chat);
    msgpack_sbuffer_init (&self->ack);
    self->router = s_zmq_socket (s_server_ctx, ZMQ_ROUTER, 0, 0);
    size_t len = sizeof (s_router_ep);
    if (!self->router || s_zmq_int (self->router, ZMQ_RCVTIMEO, 100)
    ||  zmq_bind (self->router, "tcp://127.0.0.1:*")
    ||  zmq_getsockopt (self->router, ZMQ_LAST_ENDPOINT, s_router_ep, &len)
    ||  !(self->pub = s_zmq_publisher (s_server_ctx, opts, s_pub_ep, sizeof (s_pub_ep)))) {
        snprintf (err, size, "pipeline server: cannot bind on 127.0.0.1: %s",
                  zmq_strerror (errno));
        return -1;
    }
    return pthread_create (&self->thread, NULL, s_server_run, self)? -1: 0;
}

static void
s_server_stop (zb_server_t *self)
{
    atomic_store (&self->stop, 1);
    pthread_join (self->thread, NULL);
    if (self->bad)
        fprintf (stderr, "zchat-baseline: pipeline server: %" PRIu64 " bad POSTs\n", self->bad);
    zmq_close (self->router);
    zmq_close (self->pub);
    msgpack_zone_destroy (&self->zone);
    msgpack_sbuffer_destroy (&self->chat);
    msgpack_sbuffer_destroy (&self->ack);
}

static int
s_pipeline_sender_open (zb_sender_t *self, char *err, size_t size)
{
    snprintf (self->client, sizeof (self->client), "%032x", self->index + 1);
    msgpack_sbuffer_init (&self->sbuf);
    self->zoned = msgpack_zone_init (&self->zone, 4096);
    self->sock = s_zmq_socket (s_ctx, ZMQ_DEALER, 0, 0);
    if (!self->sock || zmq_connect (self->sock, s_router_ep)) {
        snprintf (err, size, "cannot connect to %s: %s", s_router_ep, zmq_strerror (errno));
        return -1;
    }
    return 0;
}

static int
s_pipeline_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    const char *room = self->opts->room;
    msgpack_packer pk;
    msgpack_sbuffer_clear (&self->sbuf);
    msgpack_packer_init (&pk, &self->sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
    s_pack_lit (&pk, "type");   s_pack_lit (&pk, "post");
    s_pack_lit (&pk, "client"); s_pack_str (&pk, self->client, 32);
    s_pack_lit (&pk, "id");     msgpack_pack_uint64 (&pk, n);
    s_pack_lit (&pk, "ts");     msgpack_pack_uint64 (&pk, self->clock);
    s_pack_lit (&pk, "room");   s_pack_str (&pk, room, strlen (room));
    s_pack_lit (&pk, "from");   s_pack_lit (&pk, "zb-sender");
    s_pack_lit (&pk, "text");   s_pack_str (&pk, text, len);
    return s_zmq_send (self->sock, self->sbuf.data, self->sbuf.size, 0);
}

static void
s_pipeline_ack (zb_sender_t *self, const void *data, size_t len)
{
    msgpack_object map;
    if (!s_decode_map (&self->zone, data, len, &map))
        return;
    const msgpack_object *id = s_map_get (&map, "id");
    const msgpack_object *ts = s_map_get (&map, "ts");
    if (ts && ts->type == MSGPACK_OBJECT_POSITIVE_INTEGER && ts->via.u64 > self->clock)
        self->clock = ts->via.u64;
    if (id && id->type == MSGPACK_OBJECT_POSITIVE_INTEGER && id->via.u64 > 0) {
        s_sender_ack (self, id->via.u64);
        self->confirmed++;
    }
}

static int
s_pipeline_input (zb_sender_t *self)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int rc = 0;
    while ((rc = zmq_msg_recv (&msg, self->sock, ZMQ_DONTWAIT)) >= 0)
        s_pipeline_ack (self, zmq_msg_data (&msg), zmq_msg_size (&msg));
    int error = errno;
    zmq_msg_close (&msg);
    return error == EAGAIN || error == EINTR? 0: -1;
}

static int
s_pipeline_sub_open (zb_sub_t *self, char *err, size_t size)
{
    self->zoned = msgpack_zone_init (&self->zone, 4096);
    self->sock = s_zmq_subscriber (self->opts, self->opts->room);
    if (!self->sock || zmq_connect (self->sock, s_pub_ep)) {
        snprintf (err, size, "cannot connect to %s: %s", s_pub_ep, zmq_strerror (errno));
        return -1;
    }
    return 0;
}

//  [room][chat]: the topic must be the room exactly (SUB matches prefixes)
static void
s_pipeline_chat (zb_sub_t *self, zmq_msg_t *topic, zmq_msg_t *body)
{
    const char *room = self->opts->room;
    msgpack_object map;
    const msgpack_object *text = NULL;
    if (zmq_msg_size (topic) == strlen (room)
    &&  memcmp (zmq_msg_data (topic), room, strlen (room)) == 0
    &&  s_decode_map (&self->zone, zmq_msg_data (body), zmq_msg_size (body), &map))
        text = s_map_get (&map, "text");
    if (text && text->type == MSGPACK_OBJECT_STR)
        s_sub_payload (self, text->via.str.ptr, text->via.str.size);
    else
        self->foreign++;
}

static int
s_pipeline_sub_input (zb_sub_t *self)
{
    zmq_msg_t topic, body;
    zmq_msg_init (&topic);
    zmq_msg_init (&body);
    for (int i = 0; i < ZB_BATCH; i++) {
        if (zmq_msg_recv (&topic, self->sock, i? ZMQ_DONTWAIT: 0) < 0)
            break;
        //  The frames of a message arrive together: no wait for the body
        if (!zmq_msg_more (&topic) || zmq_msg_recv (&body, self->sock, 0) < 0)
            self->foreign++;
        else
            s_pipeline_chat (self, &topic, &body);
    }
    zmq_msg_close (&topic);
    zmq_msg_close (&body);
    return 0;
}

static const zb_ops_t s_pipeline_ops = {
    "pipeline", true, NULL, s_pipeline_sender_open, s_pipeline_post, s_no_flush,
    s_pipeline_input, NULL, s_pipeline_sub_open, s_pipeline_sub_input
};

//  --------------------------------------------------------------------------
//  TCP helpers (redis, nats)

static int
s_buf_init (zb_buf_t *self, size_t cap)
{
    *self = (zb_buf_t) { .data = malloc (cap), .cap = cap };
    return self->data? 0: -1;
}

static int
s_buf_reserve (zb_buf_t *self, size_t len)
{
    if (self->end + len <= self->cap)
        return 0;
    size_t cap = self->cap * 2 > self->end + len? self->cap * 2: self->end + len;
    char *data = realloc (self->data, cap);
    if (!data)
        return -1;
    self->data = data;
    self->cap = cap;
    return 0;
}

static int
s_buf_add (zb_buf_t *self, const void *data, size_t len)
{
    if (s_buf_reserve (self, len))
        return -1;
    memcpy (self->data + self->end, data, len);
    self->end += len;
    return 0;
}

//  Reads what there is after what is kept (flags: MSG_DONTWAIT, or 0 to
//  wait up to the socket's receive timeout).  recv's result.
static ssize_t
s_buf_fill (zb_buf_t *self, int fd, int flags)
{
    if (self->start) {
        memmove (self->data, self->data + self->start, self->end - self->start);
        self->end -= self->start;
        self->start = 0;
    }
    if (self->end == self->cap && s_buf_reserve (self, self->cap))
        return -1;
    ssize_t got = recv (fd, self->data + self->end, self->cap - self->end, flags);
    if (got > 0)
        self->end += (size_t) got;
    return got;
}

static int
s_write_all (int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t sent = send (fd, data, len, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return -1;
        data += sent;
        len -= (size_t) sent;
    }
    return 0;
}

static int
s_buf_flush (zb_buf_t *self, int fd)
{
    int rc = s_write_all (fd, self->data + self->start, self->end - self->start);
    self->start = self->end = 0;
    return rc;
}

static void
s_set_rcvtimeo (int fd, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
}

//  A connection to 127.0.0.1:port, with Nagle off (latency at a rate;
//  flat out, the clients write in large batches anyway); -1 and err
static int
s_tcp_connect (const zb_opts_t *opts, zb_buf_t *in, char *err, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) opts->port),
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof (addr))) {
        snprintf (err, size, "cannot connect to %s at 127.0.0.1:%d: %s", opts->mode_name,
                  opts->port, strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    s_set_rcvtimeo (fd, 2000);      //  the handshake; ZB_WAIT_MS after it
    if (s_buf_init (in, ZB_IN_SIZE)) {
        close (fd);
        return -1;
    }
    return fd;
}

//  --------------------------------------------------------------------------
//  redis: RESP

//  One RESP value: its type (+ - : $ *), the number in its line, and its
//  text (+ - : the line, $ the data); an array keeps its first three
//  elements (a pub/sub message: "message", channel, payload)
typedef struct {
    char type;
    int64_t integer;
    const char *text;
    size_t len;
    const char *elem [3];
    size_t elem_len [3];
} zb_resp_t;

//  The first line of a value: its bytes, 0 if incomplete, -1 if bad
static long
s_resp_line (const char *p, const char *end, zb_resp_t *r)
{
    const char *cr = memchr (p, '\r', (size_t) (end - p));
    if (!cr || cr + 1 >= end)
        return 0;
    if (cr [1] != '\n' || cr == p || !strchr ("+-:$*", *p))
        return -1;
    r->type = *p;
    r->text = p + 1;
    r->len = (size_t) (cr - p - 1);
    r->integer = 0;
    if (r->type != '+' && r->type != '-' && !s_parse_i64 (r->text, r->len, &r->integer))
        return -1;
    return cr + 2 - p;
}

//  A value that is not an array
static long
s_resp_scalar (const char *p, const char *end, zb_resp_t *r)
{
    long used = s_resp_line (p, end, r);
    if (used <= 0 || r->type != '$' || r->integer < 0)
        return used;
    if (end - p < used + r->integer + 2)
        return 0;
    r->text = p + used;
    r->len = (size_t) r->integer;
    return used + (long) r->integer + 2;
}

//  One value at p: its bytes, 0 if incomplete, -1 if bad (or nested
//  arrays, which pub/sub does not send)
static long
s_resp_parse (const char *p, const char *end, zb_resp_t *r)
{
    long used = s_resp_scalar (p, end, r);
    if (used <= 0 || r->type != '*')
        return used;
    for (int64_t i = 0; i < r->integer; i++) {
        zb_resp_t e;
        long n = s_resp_scalar (p + used, end, &e);
        if (n <= 0 || e.type == '*')
            return n <= 0? n: -1;
        if (i < 3) {
            r->elem [i] = e.text;
            r->elem_len [i] = e.len;
        }
        used += n;
    }
    return used;
}

//  Waits (the socket's receive timeout) for one whole value; -1 if none
static int
s_resp_next (int fd, zb_buf_t *in, zb_resp_t *r)
{
    while (true) {
        long used = s_resp_parse (in->data + in->start, in->data + in->end, r);
        if (used < 0)
            return -1;
        if (used > 0) {
            in->start += (size_t) used;
            return 0;
        }
        if (s_buf_fill (in, fd, 0) <= 0)
            return -1;
    }
}

static int
s_redis_expect (int fd, zb_buf_t *in, char want, const char *what, char *err, size_t size)
{
    zb_resp_t r;
    if (s_resp_next (fd, in, &r)) {
        snprintf (err, size, "no RESP answer to %s (is a redis-server on that port?)", what);
        return -1;
    }
    if (r.type != want) {
        snprintf (err, size, "redis answered %s with %c%.*s", what, r.type, (int) r.len, r.text);
        return -1;
    }
    return 0;
}

static int
s_redis_sender_open (zb_sender_t *self, char *err, size_t size)
{
    self->fd = s_tcp_connect (self->opts, &self->in, err, size);
    if (self->fd < 0 || s_buf_init (&self->out, 2 * ZB_FLUSH_AT))
        return -1;
    if (s_write_all (self->fd, "PING\r\n", 6)
    ||  s_redis_expect (self->fd, &self->in, '+', "PING", err, size))
        return -1;
    return 0;
}

static int
s_redis_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    char head [32];
    int head_len = snprintf (head, sizeof (head), "$%zu\r\n", len);
    if (s_buf_add (&self->out, s_redis_prefix, s_redis_prefix_len)
    ||  s_buf_add (&self->out, head, (size_t) head_len)
    ||  s_buf_add (&self->out, text, len) || s_buf_add (&self->out, "\r\n", 2))
        return -1;
    self->pings += n == 0;
    return self->out.end >= ZB_FLUSH_AT? s_buf_flush (&self->out, self->fd): 0;
}

static int
s_tcp_flush (zb_sender_t *self)
{
    return s_buf_flush (&self->out, self->fd);
}

//  Replies come in order: the first ones answer the pings, then reply
//  k (after them) answers message k.  The integer is how many
//  subscribers got it.
static void
s_redis_reply (zb_sender_t *self, const zb_resp_t *r)
{
    self->replies++;
    if (r->type == '-')
        s_notice (&self->notices, "sender", self->index, r->text, r->len);
    if (self->replies <= self->pings)
        return;
    uint64_t n = self->replies - self->pings;
    if (r->type == ':') {
        s_sender_ack (self, n);
        if (r->integer < (int64_t) self->opts->subscribers && !self->short_fanout) {
            self->short_fanout = true;
            char text [128];
            int len = snprintf (text, sizeof (text), "message %" PRIu64 " reached %" PRId64
                                " of %u subscribers", n, r->integer, self->opts->subscribers);
            s_notice (&self->notices, "sender", self->index, text, (size_t) len);
        }
    }
    self->confirmed = n;
    self->progress_us = s_now_us ();
}

static int
s_redis_input (zb_sender_t *self)
{
    ssize_t got;
    while ((got = s_buf_fill (&self->in, self->fd, MSG_DONTWAIT)) > 0) {
        zb_resp_t r;
        long used;
        while ((used = s_resp_parse (self->in.data + self->in.start,
                                     self->in.data + self->in.end, &r)) > 0) {
            self->in.start += (size_t) used;
            s_redis_reply (self, &r);
        }
        if (used < 0)
            return -1;
    }
    return got < 0 && (errno == EAGAIN || errno == EINTR)? 0: -1;
}

static int
s_redis_sub_open (zb_sub_t *self, char *err, size_t size)
{
    const char *room = self->opts->room;
    char cmd [160];
    int len = snprintf (cmd, sizeof (cmd), "*2\r\n$9\r\nSUBSCRIBE\r\n$%zu\r\n%s\r\n",
                        strlen (room), room);
    self->fd = s_tcp_connect (self->opts, &self->in, err, size);
    if (self->fd < 0 || s_write_all (self->fd, cmd, (size_t) len)
    ||  s_redis_expect (self->fd, &self->in, '*', "SUBSCRIBE", err, size))
        return -1;
    s_set_rcvtimeo (self->fd, ZB_WAIT_MS);
    return 0;
}

static void
s_redis_sub_value (zb_sub_t *self, const zb_resp_t *r)
{
    if (r->type == '*' && r->integer == 3 && r->elem_len [0] == 7
    &&  memcmp (r->elem [0], "message", 7) == 0)
        s_sub_payload (self, r->elem [2], r->elem_len [2]);
    else
    if (r->type == '-')
        s_notice (&self->notices, "subscriber", self->index, r->text, r->len);
}

//  Waits up to ZB_WAIT_MS; -1 once the server closed the connection
static int
s_redis_sub_input (zb_sub_t *self)
{
    ssize_t got = s_buf_fill (&self->in, self->fd, 0);
    if (got <= 0)
        return got < 0 && (errno == EAGAIN || errno == EINTR)? 0: -1;
    zb_resp_t r;
    long used;
    while ((used = s_resp_parse (self->in.data + self->in.start,
                                 self->in.data + self->in.end, &r)) > 0) {
        self->in.start += (size_t) used;
        s_redis_sub_value (self, &r);
    }
    return used < 0? -1: 0;
}

static const zb_ops_t s_redis_ops = {
    "redis", true, "it stopped, or cut off a subscriber that fell behind:"
    " client-output-buffer-limit pubsub",
    s_redis_sender_open, s_redis_post, s_tcp_flush, s_redis_input, NULL,
    s_redis_sub_open, s_redis_sub_input
};

//  --------------------------------------------------------------------------
//  nats: the text protocol

//  One message from the server: its line (without CRLF) and, for MSG,
//  its payload
typedef struct {
    const char *line, *payload;
    size_t line_len, payload_len;
} zb_nats_t;

static bool
s_nats_is (const zb_nats_t *m, const char *verb)
{
    size_t len = strlen (verb);
    return m->line_len >= len && memcmp (m->line, verb, len) == 0;
}

//  Its bytes, 0 if incomplete, -1 if bad.  MSG <subject> <sid>
//  [reply-to] <#bytes>: the size is the last word
static long
s_nats_parse (const char *p, const char *end, zb_nats_t *m)
{
    const char *lf = memchr (p, '\n', (size_t) (end - p));
    if (!lf)
        return 0;
    m->line = p;
    m->line_len = (size_t) (lf - p) - (lf > p && lf [-1] == '\r');
    m->payload = NULL;
    long used = lf + 1 - p;
    if (!s_nats_is (m, "MSG "))
        return used;
    const char *size_at = p + m->line_len;
    while (size_at > p && size_at [-1] != ' ')
        size_at--;
    int64_t size;
    if (!s_parse_i64 (size_at, (size_t) (p + m->line_len - size_at), &size) || size < 0)
        return -1;
    if (end - p < used + size + 2)
        return 0;
    m->payload = p + used;
    m->payload_len = (size_t) size;
    return used + (long) size + 2;
}

//  Waits (the socket's receive timeout) for one message; -1 if none
static int
s_nats_next (int fd, zb_buf_t *in, zb_nats_t *m)
{
    while (true) {
        long used = s_nats_parse (in->data + in->start, in->data + in->end, m);
        if (used < 0)
            return -1;
        if (used > 0) {
            in->start += (size_t) used;
            return 0;
        }
        if (s_buf_fill (in, fd, 0) <= 0)
            return -1;
    }
}

//  INFO, then CONNECT (plus SUB for a subscriber) and PING; its PONG
//  says all was taken
static int
s_nats_open (const zb_opts_t *opts, int *fd, zb_buf_t *in, bool sub, char *err, size_t size)
{
    zb_nats_t m;
    char cmd [256];
    *fd = s_tcp_connect (opts, in, err, size);
    if (*fd < 0)
        return -1;
    if (s_nats_next (*fd, in, &m) || !s_nats_is (&m, "INFO")) {
        snprintf (err, size, "no INFO from port %d (is a nats-server on it?)", opts->port);
        return -1;
    }
    int len = snprintf (cmd, sizeof (cmd),
                        "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n%s%s%sPING\r\n",
                        sub? "SUB ": "", sub? opts->room: "", sub? " 1\r\n": "");
    if (s_write_all (*fd, cmd, (size_t) len))
        return -1;
    while (!s_nats_next (*fd, in, &m)) {
        if (s_nats_is (&m, "PONG"))
            return 0;
        if (s_nats_is (&m, "-ERR")) {
            snprintf (err, size, "nats: %.*s", (int) m.line_len, m.line);
            return -1;
        }
    }
    snprintf (err, size, "nats at port %d did not answer PING", opts->port);
    return -1;
}

static int
s_nats_sender_open (zb_sender_t *self, char *err, size_t size)
{
    if (s_buf_init (&self->out, 2 * ZB_FLUSH_AT))
        return -1;
    return s_nats_open (self->opts, &self->fd, &self->in, false, err, size);
}

//  A PING after every window/4 messages: its PONG frees them
static int
s_nats_mark (zb_sender_t *self, uint64_t upto)
{
    assert (self->mark_count < ZB_MARKS);
    self->marks [(self->mark_head + self->mark_count++) % ZB_MARKS] = upto;
    return s_buf_add (&self->out, "PING\r\n", 6);
}

static int
s_nats_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    char head [128];
    uint32_t every = self->opts->window / 4? self->opts->window / 4: 1;
    int head_len = snprintf (head, sizeof (head), "PUB %s %zu\r\n", self->opts->room, len);
    if (s_buf_add (&self->out, head, (size_t) head_len) || s_buf_add (&self->out, text, len)
    ||  s_buf_add (&self->out, "\r\n", 2))
        return -1;
    if (n && n % every == 0 && s_nats_mark (self, n))
        return -1;
    return self->out.end >= ZB_FLUSH_AT? s_buf_flush (&self->out, self->fd): 0;
}

static int
s_nats_finish (zb_sender_t *self)
{
    if (self->posted > self->confirmed
    &&  (!self->mark_count
         || self->marks [(self->mark_head + self->mark_count - 1) % ZB_MARKS] < self->posted))
        if (s_nats_mark (self, self->posted))
            return -1;
    return s_buf_flush (&self->out, self->fd);
}

static void
s_nats_sender_message (zb_sender_t *self, const zb_nats_t *m)
{
    if (s_nats_is (m, "PONG") && self->mark_count) {
        self->confirmed = self->marks [self->mark_head];
        self->mark_head = (self->mark_head + 1) % ZB_MARKS;
        self->mark_count--;
        self->progress_us = s_now_us ();
    }
    else
    if (s_nats_is (m, "PING"))
        s_buf_add (&self->out, "PONG\r\n", 6);      //  sent with the next flush
    else
    if (s_nats_is (m, "-ERR"))
        s_notice (&self->notices, "sender", self->index, m->line, m->line_len);
}

static int
s_nats_input (zb_sender_t *self)
{
    ssize_t got;
    while ((got = s_buf_fill (&self->in, self->fd, MSG_DONTWAIT)) > 0) {
        zb_nats_t m;
        long used;
        while ((used = s_nats_parse (self->in.data + self->in.start,
                                     self->in.data + self->in.end, &m)) > 0) {
            self->in.start += (size_t) used;
            s_nats_sender_message (self, &m);
        }
        if (used < 0)
            return -1;
    }
    return got < 0 && (errno == EAGAIN || errno == EINTR)? 0: -1;
}

static int
s_nats_sub_open (zb_sub_t *self, char *err, size_t size)
{
    if (s_nats_open (self->opts, &self->fd, &self->in, true, err, size))
        return -1;
    s_set_rcvtimeo (self->fd, ZB_WAIT_MS);
    return 0;
}

static int
s_nats_sub_message (zb_sub_t *self, const zb_nats_t *m)
{
    if (m->payload)
        s_sub_payload (self, m->payload, m->payload_len);
    else
    if (s_nats_is (m, "PING"))
        return s_write_all (self->fd, "PONG\r\n", 6);
    else
    if (s_nats_is (m, "-ERR"))
        s_notice (&self->notices, "subscriber", self->index, m->line, m->line_len);
    return 0;
}

//  Waits up to ZB_WAIT_MS; -1 once the server closed the connection
static int
s_nats_sub_input (zb_sub_t *self)
{
    ssize_t got = s_buf_fill (&self->in, self->fd, 0);
    if (got <= 0)
        return got < 0 && (errno == EAGAIN || errno == EINTR)? 0: -1;
    zb_nats_t m;
    long used;
    while ((used = s_nats_parse (self->in.data + self->in.start,
                                 self->in.data + self->in.end, &m)) > 0) {
        self->in.start += (size_t) used;
        if (s_nats_sub_message (self, &m))
            return -1;
    }
    return used < 0? -1: 0;
}

static const zb_ops_t s_nats_ops = {
    "nats", false, "it stopped, or cut off a slow consumer",
    s_nats_sender_open, s_nats_post, s_tcp_flush, s_nats_input, s_nats_finish,
    s_nats_sub_open, s_nats_sub_input
};

//  --------------------------------------------------------------------------
//  The sender thread

//  Says once why the sender stops (errno of the failed call)
static void
s_sender_fail (zb_sender_t *self, const char *what)
{
    if (!self->failed)
        fprintf (stderr, "zchat-baseline: %s: sender %u: %s failed: %s\n",
                 self->opts->mode_name, self->index, what,
                 errno? strerror (errno): "the server closed the connection");
    self->failed = true;
}

//  Waits until the transport has input, the timer fires, or timeout_ms;
//  handles what came.  0, or -1 if the transport failed.
static int
s_sender_wait (zb_sender_t *self, int tfd, int timeout_ms)
{
    zmq_pollitem_t items [2];
    int count = 0;
    bool input = s_ops->input != NULL;          //  pubsub has nothing to read
    if (input)
        items [count++] = (zmq_pollitem_t) { self->sock, self->fd, ZMQ_POLLIN, 0 };
    if (tfd >= 0)
        items [count++] = (zmq_pollitem_t) { NULL, tfd, ZMQ_POLLIN, 0 };
    if (count == 0) {
        usleep ((useconds_t) timeout_ms * 1000);
        return 0;
    }
    errno = 0;
    if (zmq_poll (items, count, timeout_ms) < 0)
        return errno == EINTR? 0: -1;
    if (tfd >= 0 && items [count - 1].revents) {
        uint64_t expirations;
        if (read (tfd, &expirations, sizeof (expirations)) < 0 && errno != EAGAIN)
            return -1;
    }
    errno = 0;
    return input && items [0].revents? s_ops->input (self): 0;
}

static int
s_sender_post (zb_sender_t *self, int64_t at)
{
    uint64_t n = self->posted + 1;
    if (s_ops->acks && s_sent_at_put (self, n, at))
        return -1;
    size_t len = s_make_text (self, at, n);
    if (s_ops->post (self, n, self->text, len))
        return -1;
    self->posted = n;
    return 0;
}

//  Pings every 10 ms until main says every subscriber has one
static void
s_sender_ping (zb_sender_t *self)
{
    char ping [32];
    size_t len = strlen (ZB_PING);
    memcpy (ping, ZB_PING, len);
    len += s_put_u64 (ping + len, self->index);
    int64_t pinged = 0;
    while (!s_stop && !atomic_load (&s_all_ready) && !self->failed) {
        if (s_now_us () - pinged >= 10000) {
            if (s_ops->post (self, 0, ping, len) || s_ops->flush (self))
                s_sender_fail (self, "ping");
            pinged = s_now_us ();
        }
        if (s_sender_wait (self, -1, 2))
            s_sender_fail (self, "reading");
    }
}

static bool
s_sender_stuck (zb_sender_t *self, int64_t now)
{
    int64_t t0 = atomic_load (&s_t0);
    int64_t progress = self->progress_us > t0? self->progress_us: t0;
    if (self->confirmed < self->posted && now - progress > (int64_t) (self->opts->drain * 1e6)) {
        fprintf (stderr, "zchat-baseline: sender %u: no progress for %.0f s, giving up\n",
                 self->index, self->opts->drain);
        self->stalled = true;
    }
    return self->stalled;
}

//  Arms the timer for the next intended send
static void
s_arm (int tfd, int64_t next)
{
    struct itimerspec its = { { 0, 0 }, { next / 1000000, (next % 1000000) * 1000 } };
    timerfd_settime (tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

//  Posts what is due (flat out: all) within the window.  Returns the
//  next intended send time, 0 if the window is full, INT64_MAX when
//  done, -1 on error.
static int64_t
s_sender_burst (zb_sender_t *self, double interval, int64_t first)
{
    uint64_t window = s_ops == &s_pubsub_ops? UINT64_MAX: self->opts->window;
    int64_t end = atomic_load (&s_end);
    int64_t now = s_now_us ();
    while (self->posted - self->confirmed < window) {
        int64_t at = interval > 0? first + (int64_t) (interval * (double) self->posted)
                                 : (now = s_now_us ());
        if (at >= end || s_stop)
            return INT64_MAX;
        if (at > now)
            return at;
        if (s_sender_post (self, at))
            return -1;
    }
    return 0;
}

//  Posts on schedule (rate > 0) or flat out until --duration, with at
//  most --window in flight
static void
s_sender_send (zb_sender_t *self, int tfd)
{
    const zb_opts_t *opts = self->opts;
    double interval = opts->rate > 0? 1e6 / opts->rate: 0;
    //  Senders at a rate are spread evenly over one interval
    int64_t first = atomic_load (&s_t0) + (int64_t) (interval * self->index / opts->senders);
    int64_t armed = 0;
    while (!s_sender_stuck (self, s_now_us ())) {
        int64_t next = s_sender_burst (self, interval, first);
        if (next < 0 || s_ops->flush (self)) {
            s_sender_fail (self, "sending");
            return;
        }
        if (next == INT64_MAX)
            return;
        //  Wake at the next intended send, to the microsecond (poll
        //  timeouts are in milliseconds)
        if (next && next != armed) {
            s_arm (tfd, next);
            armed = next;
        }
        if (s_sender_wait (self, tfd, 100)) {
            s_sender_fail (self, "reading");
            return;
        }
    }
}

//  Waits for what is in flight to be confirmed (ACKs, replies, PONGs)
static void
s_sender_drain (zb_sender_t *self)
{
    if (s_ops->finish && s_ops->finish (self)) {
        s_sender_fail (self, "sending");
        return;
    }
    int64_t until = self->end_us + (int64_t) (self->opts->drain * 1e6);
    while (s_stop < 2 && self->confirmed < self->posted && s_now_us () < until)
        if (s_sender_wait (self, -1, 50) || s_ops->flush (self)) {
            s_sender_fail (self, "reading");
            return;
        }
    if (self->confirmed < self->posted) {
        fprintf (stderr, "zchat-baseline: sender %u: %" PRIu64 " messages unconfirmed after"
                 " the drain\n", self->index, self->posted - self->confirmed);
        self->stalled = true;
    }
}

static void *
s_sender_run (void *arg)
{
    zb_sender_t *self = arg;
    s_sender_ping (self);
    pthread_barrier_wait (&s_start);        //  everyone ready: main sets s_t0
    pthread_barrier_wait (&s_start);        //  go
    if (self->failed || s_stop)
        return NULL;
    int tfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd < 0) {
        s_sender_fail (self, "timerfd_create");
        return NULL;
    }
    s_sender_send (self, tfd);
    close (tfd);
    self->end_us = s_now_us ();
    if (!self->failed && !self->stalled)
        s_sender_drain (self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  The subscriber thread

//  True once every message posted by every sender arrived
static bool
s_sub_complete (zb_sub_t *self)
{
    if (!atomic_load (&s_senders_done))
        return false;
    for (uint32_t i = 0; i < self->opts->senders; i++)
        if (self->seen [i].prefix < atomic_load (&s_posted [i]))
            return false;
    return true;
}

static void *
s_sub_run (void *arg)
{
    zb_sub_t *self = arg;
    while (s_stop < 2 && !s_sub_complete (self)) {
        int64_t deadline = atomic_load (&s_sub_deadline);
        if (deadline && s_now_us () > deadline)
            break;
        if (s_ops->sub_input (self) < 0) {
            char text [160];
            int len = snprintf (text, sizeof (text), "the server closed the connection (%s)",
                                s_ops->closed_hint);
            s_notice (&self->notices, "subscriber", self->index, text, (size_t) len);
            self->closed = true;
            break;
        }
    }
    return NULL;
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
    "  --port P           redis: 6379, nats: 4222 (default)\n"
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

static bool
s_number (const char *text, double min, double max, double *value)
{
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (errno || end == text || *end || v < min || v > max)
        return false;
    *value = v;
    return true;
}

static int
s_parse_real (const char *name, const char *text, double min, double max, double *value)
{
    return s_number (text, min, max, value)? 0: s_bad (name, text);
}

static int
s_parse_mode (zb_opts_t *opts, const char *name)
{
    static const char *names [] = { "pubsub", "pipeline", "redis", "nats" };
    for (int i = 0; i < 4; i++)
        if (strcmp (name, names [i]) == 0) {
            opts->mode = (zb_mode_t) i;
            opts->mode_name = names [i];
            if (opts->port == 0)
                opts->port = i == ZB_REDIS? 6379: i == ZB_NATS? 4222: 0;
            if (!*opts->label)
                opts->label = names [i];
            return 0;
        }
    fprintf (stderr, "zchat-baseline: unknown mode '%s': pubsub, pipeline, redis or nats"
             " (try --help)\n", name);
    return 2;
}

//  The whole-number options: their limits, and where they go
static int
s_parse_count (zb_opts_t *opts, int c, const char *name, const char *text)
{
    double v, min = c == 'r' || c == 'H'? 0: 1;
    double max = c == 's'? ZB_MAX_SENDERS: c == 'r'? 1024: c == 'z'? ZB_MAX_SIZE
               : c == 'p'? 65535: c == 'i'? 64: 1e8;
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
        { "cdf", required_argument, 0, 'F' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
    };
    *opts = (zb_opts_t) { .senders = 1, .subscribers = 1, .window = 1000, .size = 100,
                          .hwm = 100000, .io_threads = 1, .duration = 10, .drain = 5,
                          .room = "bench", .label = "" };
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
            case 'R': rc = s_parse_real (name, optarg, 0, 1e7, &opts->rate); break;
            case 'd': rc = s_parse_real (name, optarg, 0.01, 1e5, &opts->duration); break;
            case 'D': rc = s_parse_real (name, optarg, 0, 1e5, &opts->drain); break;
            case 's': case 'r': case 'w': case 'z': case 'p': case 'H': case 'i':
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
//  Report: zchat-bench's columns, in its order

typedef struct {
    uint64_t posted, acked, delivered, lost, dups, reordered, foreign, notices, stalled;
    uint32_t cut_off;               //  subscribers whose connection closed
    double send_secs, ack_rate, sub_rate, total_rate;
    uint32_t ack [5], e2e [5];
} zb_result_t;

static const double s_pcts [5] = { 0.5, 0.9, 0.99, 0.999, 1.0 };

static void
s_collect_senders (const zb_opts_t *opts, zb_sender_t *senders, zb_result_t *r,
                   zb_samples_t *ack)
{
    int64_t t0 = atomic_load (&s_t0), send_end = t0;
    uint64_t acked_in = 0;
    for (uint32_t i = 0; i < opts->senders; i++) {
        zb_sender_t *s = &senders [i];
        r->posted += s->posted;
        r->acked += s->acked;
        acked_in += s->acked_in;
        r->notices += s->notices;
        r->stalled += s->stalled;
        if (s->end_us > send_end)
            send_end = s->end_us;
        zb_samples_merge (ack, &s->ack);
    }
    r->send_secs = (double) (send_end - t0) / 1e6;
    r->ack_rate = (double) acked_in / opts->duration;
}

static void
s_collect (const zb_opts_t *opts, zb_sender_t *senders, zb_sub_t *subs, zb_result_t *r)
{
    zb_samples_t ack = { 0 }, e2e = { 0 };
    s_collect_senders (opts, senders, r, &ack);
    for (uint32_t j = 0; j < opts->subscribers; j++) {
        zb_sub_t *b = &subs [j];
        for (uint32_t i = 0; i < opts->senders; i++)
            r->lost += zb_set_missing (&b->seen [i], senders [i].posted);
        r->delivered += b->delivered;
        r->dups += b->dups;
        r->reordered += b->reordered;
        r->foreign += b->foreign;
        r->notices += b->notices;
        r->cut_off += b->closed;
        //  What came within --duration over it: the steady state, not
        //  the tail of the drain
        r->total_rate += (double) b->delivered_in / opts->duration;
        zb_samples_merge (&e2e, &b->e2e);
    }
    r->sub_rate = opts->subscribers? r->total_rate / opts->subscribers: 0;
    zb_samples_sort (&ack);
    zb_samples_sort (&e2e);
    if (opts->cdf)
        zb_samples_write_cdf (&e2e, opts->cdf, opts->label);
    for (int i = 0; i < 5; i++) {
        r->ack [i] = zb_samples_pct (&ack, s_pcts [i]);
        r->e2e [i] = zb_samples_pct (&e2e, s_pcts [i]);
    }
    zb_samples_free (&ack);
    zb_samples_free (&e2e);
}

//  Must stay zchat-bench's header (experiments/zchat_bench.c)
static const char *s_csv_header =
    "label,date,servers,senders,subscribers,rate,window,size,send_secs,posted,acked,"
    "ack_rate,deliv_rate_sub,deliv_rate_total,"
    "ack_p50_us,ack_p90_us,ack_p99_us,ack_p999_us,ack_max_us,"
    "e2e_p50_us,e2e_p90_us,e2e_p99_us,e2e_p999_us,e2e_max_us,"
    "lost,dups,reordered,leader_changes,notices,dropped,stalled\n";

static void
s_csv_line (FILE *file, const zb_opts_t *opts, const zb_result_t *r)
{
    time_t now = time (NULL);
    char date [32];
    strftime (date, sizeof (date), "%Y-%m-%dT%H:%M:%S", localtime (&now));
    bool pubsub = opts->mode == ZB_PUBSUB;
    fprintf (file, "%s,%s,%d,%u,%u,%.0f,%u,%u,%.2f,%" PRIu64 ",%" PRIu64 ",%.0f,%.0f,%.0f",
             opts->label, date, pubsub? 0: 1, opts->senders, opts->subscribers, opts->rate,
             pubsub? 0: opts->window, opts->size, r->send_secs, r->posted, r->acked,
             r->ack_rate, r->sub_rate, r->total_rate);
    for (int i = 0; i < 5; i++)
        fprintf (file, ",%u", r->ack [i]);
    for (int i = 0; i < 5; i++)
        fprintf (file, ",%u", r->e2e [i]);
    fprintf (file, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",0,%" PRIu64 ",0,%" PRIu64 "\n",
             r->lost, r->dups, r->reordered, r->notices, r->stalled);
}

static void
s_human_line (const zb_opts_t *opts, const zb_result_t *r)
{
    char mode [64], acks [160] = "", extra [160] = "";
    if (opts->rate > 0)
        snprintf (mode, sizeof (mode), "%.0f msgs/s each", opts->rate);
    else
    if (opts->mode == ZB_PUBSUB)
        snprintf (mode, sizeof (mode), "flat out");
    else
        snprintf (mode, sizeof (mode), "flat out, window %u", opts->window);
    if (s_ops->acks)
        snprintf (acks, sizeof (acks), "acked %.0f msgs/s (%" PRIu64 "), ack us p50 %u p99 %u"
                  " max %u; ", r->ack_rate, r->acked, r->ack [0], r->ack [2], r->ack [4]);
    if (r->cut_off || r->foreign)
        snprintf (extra, sizeof (extra), ", %u subscribers cut off, %" PRIu64
                  " messages not from this run", r->cut_off, r->foreign);
    double posted_rate = r->send_secs > 0? (double) r->posted / r->send_secs: 0;
    printf ("zchat-baseline %s: %u senders (%s), %u subscribers, %u B, %.1f s: posted %"
            PRIu64 " (%.0f msgs/s while sending); %sdelivered %.0f msgs/s per subscriber,"
            " %.0f in total; sender->receiver us p50 %u p90 %u p99 %u p99.9 %u max %u;"
            " lost %" PRIu64 ", twice %" PRIu64 ", out of order %" PRIu64 ", notices %"
            PRIu64 "%s%s\n",
            opts->mode_name, opts->senders, mode, opts->subscribers, opts->size,
            r->send_secs, r->posted, posted_rate, acks, r->sub_rate, r->total_rate,
            r->e2e [0], r->e2e [1], r->e2e [2], r->e2e [3], r->e2e [4], r->lost, r->dups,
            r->reordered, r->notices, extra, r->stalled? ", A SENDER STALLED": "");
}

static void
s_report (const zb_opts_t *opts, const zb_result_t *r)
{
    s_human_line (opts, r);
    fputs (s_csv_header, stdout);
    s_csv_line (stdout, opts, r);
    fflush (stdout);
    if (opts->csv) {
        FILE *file = fopen (opts->csv, "a");
        if (!file) {
            fprintf (stderr, "zchat-baseline: cannot open %s: %s\n", opts->csv, strerror (errno));
            return;
        }
        if (ftell (file) == 0)
            fputs (s_csv_header, file);
        s_csv_line (file, opts, r);
        fclose (file);
    }
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
        if (!s->text || s_ops->sender_open (s, err, sizeof (err))) {
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
        if (s_ops->sub_open (b, err, sizeof (err))) {
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
    int64_t deadline = s_now_us () + ZB_READY_MS * 1000;
    while (atomic_load (&s_ready) < (int) opts->subscribers) {
        if (s_stop || s_now_us () > deadline)
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
    pthread_barrier_init (&s_start, NULL, opts->senders + 1);
    for (uint32_t j = 0; j < opts->subscribers; j++)
        pthread_create (&threads [opts->senders + j], NULL, s_sub_run, &subs [j]);
    for (uint32_t i = 0; i < opts->senders; i++)
        pthread_create (&threads [i], NULL, s_sender_run, &senders [i]);
    if (s_wait_ready (opts)) {
        fprintf (stderr, "zchat-baseline: %s: %d of %u subscribers got going in %d s\n",
                 opts->mode_name, atomic_load (&s_ready), opts->subscribers, ZB_READY_MS / 1000);
        s_stop = 2;
        rc = 1;
    }
    atomic_store (&s_all_ready, 1);
    pthread_barrier_wait (&s_start);
    int64_t t0 = s_now_us ();
    atomic_store (&s_t0, t0);
    atomic_store (&s_end, t0 + (int64_t) (opts->duration * 1e6));
    pthread_barrier_wait (&s_start);
    for (uint32_t i = 0; i < opts->senders; i++) {
        pthread_join (threads [i], NULL);
        atomic_store (&s_posted [i], senders [i].posted);
        if (senders [i].failed)
            rc = 1;
    }
    //  Subscribers get the drain time from the end of sending
    atomic_store (&s_sub_deadline, s_now_us () + (int64_t) (opts->drain * 1e6));
    atomic_store (&s_senders_done, 1);
    for (uint32_t j = 0; j < opts->subscribers; j++)
        pthread_join (threads [opts->senders + j], NULL);
    pthread_barrier_destroy (&s_start);
    free (threads);
    return rc;
}

static void
s_setup_mode (const zb_opts_t *opts)
{
    static const zb_ops_t *ops [] = { &s_pubsub_ops, &s_pipeline_ops, &s_redis_ops, &s_nats_ops };
    s_ops = ops [opts->mode];
    int len = snprintf (s_redis_prefix, sizeof (s_redis_prefix),
                        "*3\r\n$7\r\nPUBLISH\r\n$%zu\r\n%s\r\n", strlen (opts->room), opts->room);
    s_redis_prefix_len = (size_t) len;
    if (opts->mode == ZB_PUBSUB || opts->mode == ZB_PIPELINE) {
        s_ctx = zmq_ctx_new ();
        zmq_ctx_set (s_ctx, ZMQ_IO_THREADS, (int) opts->io_threads);
    }
    //  The server shares the clients' I/O thread: a context of its own
    //  (as a separate process would have) cost 10-15 % more CPU per
    //  message here, with more thread wake-ups on 2 cores
    s_server_ctx = s_ctx;
}

int
main (int argc, char **argv)
{
    zb_opts_t opts;
    int rc = s_parse (argc, argv, &opts);
    if (rc)
        return rc;
    s_setup_mode (&opts);
    struct sigaction sa = { .sa_handler = s_on_signal };
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);

    zb_server_t server;
    char err [256];
    if (opts.mode == ZB_PIPELINE && s_server_start (&server, &opts, err, sizeof (err))) {
        fprintf (stderr, "zchat-baseline: %s\n", err);
        return 1;
    }
    zb_sender_t *senders = calloc (opts.senders, sizeof (zb_sender_t));
    zb_sub_t *subs = calloc (opts.subscribers? opts.subscribers: 1, sizeof (zb_sub_t));
    assert (senders && subs);
    s_senders = senders;
    rc = s_open_all (&opts, senders, subs);
    if (rc == 0)
        rc = s_run (&opts, senders, subs);
    if (rc == 0 && s_stop)
        fprintf (stderr, "zchat-baseline: interrupted: sending stopped early\n");
    if (rc == 0) {
        zb_result_t result = { 0 };
        s_collect (&opts, senders, subs, &result);
        s_report (&opts, &result);
        if (result.lost || result.dups || result.stalled)
            rc = 3;
    }
    s_close_all (&opts, senders, subs);
    if (opts.mode == ZB_PIPELINE)
        s_server_stop (&server);
    if (s_ctx)
        zmq_ctx_term (s_ctx);
    free (senders);
    free (subs);
    return rc;
}
