/*  baseline.h — zchat-baseline: what other systems do on this machine,
    measured the way zchat-bench measures zchat and reported in the same
    CSV columns, so that one script can put them in one table.

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
    - cnats, hiredis: the same two through the vendors' C libraries
      (built when pkg-config finds libnats / hiredis).
    - jetstream: NATS JetStream through cnats: js_PublishAsync, each ACK
      the stream's (a quorum of its replicas stored it), at most --window
      in flight; subscribers are ordered push consumers.  The stream
      (file storage, --replicas) is made at the start, deleted at the end.
    - redis-aof: a durable Redis through hiredis: senders pipeline XADD
      to a stream and a WAIT 1 0 after each batch written (the ACK of the
      batch: one replica has it); subscribers read with XREAD BLOCK.
      PUBLISH is never written to the AOF, hence a stream.

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

    The files:
    - baseline_main.c      main, options, set-up, the threads' start and stop
    - baseline_threads.c   the sender and subscriber threads (every mode)
    - baseline_measure.c   payloads, and what senders and subscribers record
    - baseline_report.c    the results: the human line and the CSV line
    - baseline_zmq.c       ZeroMQ helpers and the pubsub mode
    - baseline_pipeline.c  the pipeline mode: its server and its clients
    - baseline_tcp.c       TCP connections and buffers (redis, nats)
    - baseline_redis.c     the redis mode: RESP
    - baseline_nats.c      the nats mode: the NATS text protocol
    - baseline_cnats.c     the cnats and jetstream modes (libnats)
    - baseline_hiredis.c   the hiredis and redis-aof modes (hiredis)
*/
#ifndef ZB_BASELINE_H
#define ZB_BASELINE_H

#include <msgpack.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench_stats.h"

#define ZB_MAX_SENDERS  256
#define ZB_MAX_SIZE     16384       //  --size limit: zchat's own text limit
#define ZB_PING         "zb-ping "
#define ZB_WAIT_MS      50          //  a subscriber's longest wait for input
#define ZB_BATCH        1024        //  ZeroMQ messages taken per wake-up
#define ZB_FLUSH_AT     65536       //  TCP: write once this much is queued
#define ZB_MARKS        16          //  nats: PINGs in flight (at most ~9)

//  --------------------------------------------------------------------------
//  Options, per-thread state, results

typedef enum { ZB_PUBSUB, ZB_PIPELINE, ZB_REDIS, ZB_NATS, ZB_CNATS, ZB_JETSTREAM,
               ZB_HIREDIS, ZB_REDIS_AOF, ZB_MODES } zb_mode_t;

typedef struct {
    zb_mode_t mode;
    const char *mode_name, *room, *csv, *label, *cdf;
    const char *urls;               //  cnats, jetstream: nats:// URLs, comma-separated
    uint32_t senders, subscribers, window, size, hwm, io_threads;
    uint32_t replicas;              //  jetstream: the stream's
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
    void *ext;                      //  the vendor library modes' own state
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
    void *ext;                      //  the vendor library modes' own state
} zb_sub_t;

//  What a run measured, in zchat-bench's terms
typedef struct {
    uint64_t posted, acked, delivered, lost, dups, reordered, foreign, notices, stalled;
    uint32_t cut_off;               //  subscribers whose connection closed
    double send_secs, ack_rate, sub_rate, total_rate;
    uint32_t ack [5], e2e [5];
} zb_result_t;

//  --------------------------------------------------------------------------
//  The modes

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
    //  Before any client opens, and after all are closed (or NULL)
    int (*start) (const zb_opts_t *opts, char *err, size_t size);
    void (*stop) (void);
    //  Frees ext (or NULL), before fd is closed
    void (*sender_close) (zb_sender_t *self);
    void (*sub_close) (zb_sub_t *self);
} zb_ops_t;

extern const zb_ops_t zb_pubsub_ops;        //  baseline_zmq.c
extern const zb_ops_t zb_pipeline_ops;      //  baseline_pipeline.c
extern const zb_ops_t zb_redis_ops;         //  baseline_redis.c
extern const zb_ops_t zb_nats_ops;          //  baseline_nats.c
#ifdef ZB_HAVE_CNATS
extern const zb_ops_t zb_cnats_ops;         //  baseline_cnats.c
extern const zb_ops_t zb_jetstream_ops;
#endif
#ifdef ZB_HAVE_HIREDIS
extern const zb_ops_t zb_hiredis_ops;       //  baseline_hiredis.c
extern const zb_ops_t zb_redis_aof_ops;
#endif

//  --------------------------------------------------------------------------
//  What main and the threads share (baseline_main.c)

extern volatile sig_atomic_t zb_stop;       //  1: stop sending; 2: stop all
extern const zb_ops_t *zb_ops;              //  the mode's
extern zb_sender_t *zb_senders;             //  pubsub: subscribers dial each XPUB
extern _Atomic int64_t zb_t0;
extern _Atomic int64_t zb_end;              //  zb_t0 + --duration
extern pthread_barrier_t zb_start;
extern atomic_int zb_ready;                 //  subscribers pinged by every sender
extern atomic_int zb_all_ready;             //  main saw them all (or gave up)
extern atomic_int zb_senders_done;          //  then zb_posted is final
extern _Atomic uint64_t zb_posted [ZB_MAX_SENDERS];
extern _Atomic int64_t zb_sub_deadline;

//  --------------------------------------------------------------------------
//  The threads (baseline_threads.c): arg is a zb_sender_t or a zb_sub_t

//  Ping until main says all are ready, wait at zb_start twice (ready,
//  go), send until --duration, drain
void *zb_sender_run (void *arg);

//  Take input until every posted message came, or the drain time is up
void *zb_sub_run (void *arg);

//  --------------------------------------------------------------------------
//  Payloads and measurements (baseline_measure.c)

//  Microseconds, CLOCK_MONOTONIC
int64_t zb_now_us (void);

//  Prints a server's complaint or a client's trouble, the first
//  ZB_MAX_NOTICES times per client; counts every one
void zb_notice (uint64_t *count, const char *who, uint32_t index, const char *text, size_t len);

//  Decimal digits of v at p; returns how many
size_t zb_put_u64 (char *p, uint64_t v);

//  A whole signed decimal number: false if text is anything else
bool zb_parse_i64 (const char *text, size_t len, int64_t *value);

//  Writes the header "zb T S N " over the start of self->text; returns
//  the length of the text
size_t zb_make_text (zb_sender_t *self, int64_t at, uint64_t n);

//  Records when message n was (meant to be) sent.  0 or -1.
int zb_sent_at_put (zb_sender_t *self, uint64_t n, int64_t at);

//  A sender got the ACK of its message n
void zb_sender_ack (zb_sender_t *self, uint64_t n);

//  The same, the ACK having come at time at (zb_now_us) in another thread
void zb_sender_ack_at (zb_sender_t *self, uint64_t n, int64_t at);

//  The message number N of a payload "zb T S N ...": 0 for a ping or
//  anything else
uint64_t zb_payload_number (const char *p, size_t len);

//  A subscriber got a payload: a ping, a measured message, or foreign
void zb_sub_payload (zb_sub_t *self, const char *p, size_t len);

//  --------------------------------------------------------------------------
//  Results (baseline_report.c)

void zb_collect (const zb_opts_t *opts, zb_sender_t *senders, zb_sub_t *subs, zb_result_t *r);

//  The human line and the CSV line on stdout; the CSV line also to --csv
void zb_report (const zb_opts_t *opts, const zb_result_t *r);

//  --------------------------------------------------------------------------
//  ZeroMQ helpers, for pubsub and pipeline (baseline_zmq.c)

extern void *zb_zmq_ctx;                    //  the clients' (NULL: not a ZeroMQ mode)

//  Makes zb_zmq_ctx with --io-threads; zb_zmq_stop ends it
int zb_zmq_start (const zb_opts_t *opts, char *err, size_t size);
void zb_zmq_stop (void);

int zb_zmq_int (void *sock, int option, int value);
void *zb_zmq_socket (void *ctx, int type, int sndhwm, int rcvhwm);
void *zb_zmq_publisher (void *ctx, const zb_opts_t *opts, char *endpoint, size_t size);
void *zb_zmq_subscriber (const zb_opts_t *opts, const char *topic);

//  Sends, waiting at the HWM until a second Ctrl+C.  0 or -1.
int zb_zmq_send (void *sock, const void *data, size_t len, int flags);

//  A flush for modes that send at once
int zb_no_flush (zb_sender_t *self);

//  --------------------------------------------------------------------------
//  TCP connections and buffers, for redis and nats (baseline_tcp.c)

//  What a protocol parser says of the bytes at p: how many make one
//  unit (a value, a message: filled in at unit), 0 if incomplete, -1 if bad
typedef long (zb_parse_fn) (const char *p, const char *end, void *unit);

int zb_buf_init (zb_buf_t *self, size_t cap);
int zb_buf_add (zb_buf_t *self, const void *data, size_t len);
ssize_t zb_buf_fill (zb_buf_t *self, int fd, int flags);
int zb_buf_flush (zb_buf_t *self, int fd);
int zb_write_all (int fd, const char *data, size_t len);
void zb_set_rcvtimeo (int fd, int ms);
int zb_tcp_connect (const zb_opts_t *opts, zb_buf_t *in, char *err, size_t size);

//  Waits (the socket's receive timeout) for one whole unit; -1 if none
int zb_tcp_next (int fd, zb_buf_t *in, zb_parse_fn *parse, void *unit);

//  The flush of the TCP modes: writes what self->out holds
int zb_tcp_flush (zb_sender_t *self);

#endif
