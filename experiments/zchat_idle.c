/*  zchat_idle.c — zchat-idle: hold N idle clients on a cluster, cheaply
    here, but looking to the node exactly like N idle chat-clients.

    What the node sees, per idle client (as src/client does it):
    - a SUB on the leader's PUB with the library's options, subscribed to
      the room and to "$beacon", connected BEFORE the HELLO (the Clone
      pattern);
    - a DEALER on the leader's client port with the library's options
      (IMMEDIATE, SNDTIMEO 0, HWMs, MAXMSGSIZE) that sends HELLO {room}
      and is answered with a WELCOME; unanswered, it asks again every
      300 ms, like the library while no leader is known;
    - then, as a real client in a quiet room does, HELLO {room, last} to
      the leader once a second (ZC_PROBE_MS: the tail-gap probe), none in
      a second when a room message came, and a SUB that reads the beacons
      the leader publishes every heartbeat.  Nothing else: an idle client
      with no gap never FETCHes.
    A client is "ready" once its DEALER was answered and its SUB heard a
    beacon (so its subscription reached the PUB).

    One DEALER socket and one SUB socket per client, not one zmq socket
    for many connections: the node would see N connections either way,
    but a DEALER round-robins, so a WELCOME could not be tied to the
    client whose HELLO it answers, and "ready" must mean each was
    answered.  That costs one eventfd per socket here: with TCP, 4 fds
    per client (3 per node + 1 with --all-nodes).

    Leader only, by default.  Real clients also hold a DEALER to every
    backup and connect their SUB to every PUB.  The question is what a
    leader holds: only the leader answers POSTs, publishes and ACKs, and
    a backup's per-client cost is the same libzmq connection state plus
    its beacons.  Tripling connections would triple this process's fds
    and CPU, on a machine the leader shares, and blur the leader's
    numbers.  --all-nodes does what the library does (a DEALER per
    server, HELLO answered by each; one SUB connected to every PUB, a
    beacon heard from each), to measure what backups hold too.

    Cheap here: no thread per client and no zmq_poll over thousands of
    sockets.  One loop wakes every 10 ms.  Clients still starting are
    visited at each tick; ready ones in slices, so that each is visited
    once per probe period: drain its DEALER and SUB, note whether its
    last HELLO was answered and whether its SUB heard anything (a live
    SUB hears ~10 beacons a second), then send its next HELLO.  Topics
    are compared, bodies read into a small buffer and decoded only while
    a client starts.  At most --window clients wait for their WELCOME at
    once: the node listens with libzmq's default backlog (100); a flood
    of connects beyond it has SYNs dropped (retried a second later) and
    cost a leader its lease for a moment (3000 at once, here).

    --check SECS: once all are ready, a control DEALER posts a test
    message into the room every SECS; each report says how many idle
    SUBs received all of them.  The hold is otherwise silent: the room
    stays quiet.

    File descriptors: RLIMIT_NOFILE is raised to its hard limit; if N
    clients need more, it says how many fit and stops (as root, raise the
    hard limit first: ulimit -Hn).  Over loopback each connection takes
    an ephemeral port: at most ~28k clients per node port.
*/
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "client_keys.h"
#include "numparse.h"
#include "servers.h"
#include "wire.h"

#define ZI_TICK_MS      10          //  the loop's period
#define ZI_RETRY_MS     300         //  HELLO again while unanswered (library's retry_ms)
#define ZI_HWM_SND      10000       //  the library's DEALER and SUB HWMs
#define ZI_HWM_RCV      100000
#define ZI_FDS_SPARE    128         //  fds beside the clients' (context, control, stdio)
#define ZI_CHECK_MAX    4096        //  test messages remembered

typedef struct {
    const char *servers, *room, *keys;
    uint32_t clients, window, probe_ms;
    double ramp, hold, check, report, timeout;
    bool all_nodes;
} zi_opts_t;

//  A node this process talks to, learned from its WELCOME
typedef struct {
    zc_server_addr_t addr;
    uint32_t node;
    uint16_t pub_port;
    char endpoint [ZC_MAX_HOST + 32], pub_endpoint [ZC_MAX_HOST + 32];
} zi_target_t;

typedef struct {
    void *sub;
    uint32_t welcomed;              //  targets that answered a HELLO (bits)
    uint32_t heard;                 //  targets a beacon came from (bits)
    uint32_t unsent;                //  targets whose HELLO has not gone out
    uint32_t room_msgs;             //  room frames received
    int64_t hello_at;               //  last HELLO round (starting)
    bool ready, hello_out;          //  hello_out: a probe waits for its WELCOME
    bool visited;                   //  since ready (the first visit may come
                                    //  ms after its SUB was drained)
} zi_client_t;

//  What one visit round saw (each ready client once)
typedef struct {
    uint64_t visited, answered, unanswered, silent, send_failed, room_busy;
} zi_round_t;

typedef struct {
    zi_opts_t opts;
    void *ctx;
    zc_client_keys_t *keys;         //  --keys: CURVE on every socket, one key pair
    zi_target_t targets [ZC_MAX_SERVERS];
    size_t ntargets;
    size_t leader;                  //  index of the leader's target
    uint32_t all_bits;              //  one bit per target
    zi_client_t *clients;
    void **dealers;                 //  clients × targets
    uint32_t *starting;             //  indices of clients not ready yet
    uint32_t nstarting, started, unwelcomed, ready;
    int64_t t0, ready_at;
    int64_t held_at;                //  the hold began: all ready, or --timeout
    //  HELLO frames, encoded once
    uint8_t hello [128], probe [160];
    size_t hello_size, probe_size;
    uint64_t last_seq;              //  the `last` of probe HELLOs
    //  Visit rounds
    uint32_t cursor;
    int64_t round_at;
    zi_round_t round, last_round;
    zi_round_t held;                //  every round closed since the hold began
    uint64_t rounds, held_rounds;
    //  Totals
    uint64_t welcomes, errors, not_serving, beacons, room_frames, other_frames;
    uint64_t report_beacons;
    int64_t report_at;
    //  --check: a control DEALER posting test messages
    void *control;
    char control_id [ZC_CLIENT_ID_LEN + 1];
    uint64_t check_posted, check_acked;
    int64_t check_at, check_sent_at, acked_at [ZI_CHECK_MAX];
} zi_t;

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    (void) signum;
    s_stop = 1;
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_sleep_ms (int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    nanosleep (&ts, NULL);          //  EINTR: a signal, checked by the loop
}

//  --------------------------------------------------------------------------
//  Sockets, with the client library's options (client.c)

static void *
s_dealer_new (zi_t *self, const zi_target_t *target)
{
    void *sock = zmq_socket (self->ctx, ZMQ_DEALER);
    if (!sock)
        return NULL;
    int one = 1, zero = 0, snd = ZI_HWM_SND, rcv = ZI_HWM_RCV;
    int64_t max = ZC_MAX_FRAME;
    zmq_setsockopt (sock, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt (sock, ZMQ_SNDTIMEO, &zero, sizeof zero);
    zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt (sock, ZMQ_SNDHWM, &snd, sizeof snd);
    zmq_setsockopt (sock, ZMQ_RCVHWM, &rcv, sizeof rcv);
    if (target->addr.host [0] == '[')
        zmq_setsockopt (sock, ZMQ_IPV6, &one, sizeof one);
    if (self->keys)
        zc_client_keys_apply (self->keys, sock);
    if (zmq_connect (sock, target->endpoint)) {
        zmq_close (sock);
        return NULL;
    }
    return sock;
}

//  One SUB connected to every target's PUB, subscribed before connecting
static void *
s_sub_new (zi_t *self)
{
    void *sock = zmq_socket (self->ctx, ZMQ_SUB);
    if (!sock)
        return NULL;
    int one = 1, zero = 0, rcv = ZI_HWM_RCV;
    int64_t max = ZC_MAX_FRAME;
    zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt (sock, ZMQ_RCVHWM, &rcv, sizeof rcv);
    zmq_setsockopt (sock, ZMQ_SUBSCRIBE, self->opts.room, strlen (self->opts.room));
    zmq_setsockopt (sock, ZMQ_SUBSCRIBE, ZC_BEACON_TOPIC, strlen (ZC_BEACON_TOPIC));
    for (size_t t = 0; t < self->ntargets; t++) {
        if (self->targets [t].addr.host [0] == '[')
            zmq_setsockopt (sock, ZMQ_IPV6, &one, sizeof one);
        //  Before every connect: libzmq copies the options into each
        //  connection (client_keys.h)
        if (self->keys)
            zc_client_keys_apply (self->keys, sock);
        if (zmq_connect (sock, self->targets [t].pub_endpoint)) {
            zmq_close (sock);
            return NULL;
        }
    }
    return sock;
}

static bool
s_more (void *sock)
{
    int more = 0;
    size_t size = sizeof more;
    return zmq_getsockopt (sock, ZMQ_RCVMORE, &more, &size) == 0 && more;
}

static void
s_skip_rest (void *sock)
{
    uint8_t scrap [8];
    while (s_more (sock) && zmq_recv (sock, scrap, sizeof scrap, ZMQ_DONTWAIT) >= 0)
        ;
}

static size_t
s_encode (const zc_msg_t *msg, uint8_t *buf, size_t cap)
{
    size_t size = zc_msg_encode (msg, buf, cap);
    assert (size);                  //  fixed shapes that fit: a bug otherwise
    return size;
}

static void
s_encode_hellos (zi_t *self)
{
    zc_msg_t hello;
    zc_msg_init (&hello, ZC_HELLO);
    zc_msg_set_cstr (&hello, ZF_ROOM, self->opts.room);
    self->hello_size = s_encode (&hello, self->hello, sizeof self->hello);
    //  Probes say where delivery is (informational for the node)
    zc_msg_set_u64 (&hello, ZF_LAST, self->last_seq);
    self->probe_size = s_encode (&hello, self->probe, sizeof self->probe);
}

//  --------------------------------------------------------------------------
//  Finding the nodes: a HELLO to each server, until the leader (and, with
//  --all-nodes, every node) answered

static bool
s_serving_leader (const zc_msg_t *msg)
{
    return zc_str_eq (msg->role, "leader") && msg->leader == msg->node
        && (!(msg->has & ZF_GRANTED) || msg->granted);
}

//  Reads the WELCOMEs queued on probe; 1 once the leader is known
static int
s_discover_read (zi_t *self, size_t t, void *probe, bool *answered)
{
    uint8_t buf [1024];
    int size;
    while ((size = zmq_recv (probe, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        s_skip_rest (probe);
        zc_msg_t msg;
        if (size > (int) sizeof buf || zc_msg_decode (&msg, buf, (size_t) size, NULL)
        ||  msg.type != ZC_WELCOME || msg.pub_port < 1 || msg.pub_port > 65535)
            continue;
        zi_target_t *target = &self->targets [t];
        target->node = (uint32_t) msg.node;
        target->pub_port = (uint16_t) msg.pub_port;
        answered [t] = true;
        if (s_serving_leader (&msg)) {
            self->leader = t;
            self->last_seq = msg.has & ZF_SEQ ? msg.seq : 0;
            return 1;
        }
    }
    return 0;
}

static bool
s_discover_done (zi_t *self, const bool *answered, bool have_leader)
{
    if (!have_leader)
        return false;
    if (!self->opts.all_nodes)
        return true;
    for (size_t t = 0; t < self->ntargets; t++)
        if (!answered [t])
            return false;
    return true;
}

//  Keeps only the leader's target when not --all-nodes
static void
s_keep_targets (zi_t *self)
{
    if (!self->opts.all_nodes) {
        self->targets [0] = self->targets [self->leader];
        self->ntargets = 1;
        self->leader = 0;
    }
    for (size_t t = 0; t < self->ntargets; t++) {
        zi_target_t *target = &self->targets [t];
        zc_servers_endpoint (&target->addr, target->pub_port, target->pub_endpoint,
                             sizeof target->pub_endpoint);
    }
    self->all_bits = self->ntargets == 32 ? UINT32_MAX : (1u << self->ntargets) - 1;
}

static int
s_discover (zi_t *self, int timeout_ms)
{
    void *probes [ZC_MAX_SERVERS] = { 0 };
    bool answered [ZC_MAX_SERVERS] = { 0 };
    for (size_t t = 0; t < self->ntargets; t++)
        if (!(probes [t] = s_dealer_new (self, &self->targets [t])))
            return -1;
    bool have_leader = false;
    int64_t deadline = s_now_ms () + timeout_ms, asked = 0;
    while (!s_stop && s_now_ms () < deadline && !s_discover_done (self, answered, have_leader)) {
        bool ask = s_now_ms () - asked >= ZI_RETRY_MS;
        for (size_t t = 0; t < self->ntargets; t++) {
            if (ask && !answered [t])
                zmq_send (probes [t], self->hello, self->hello_size, ZMQ_DONTWAIT);
            if (s_discover_read (self, t, probes [t], answered))
                have_leader = true;
        }
        if (ask)
            asked = s_now_ms ();
        s_sleep_ms (ZI_TICK_MS);
    }
    //  The leader's probe stays open as the --check control DEALER
    for (size_t t = 0; t < self->ntargets; t++)
        if (have_leader && t == self->leader && self->opts.check > 0)
            self->control = probes [t];
        else
            zmq_close (probes [t]);
    if (!s_discover_done (self, answered, have_leader))
        return -1;
    s_keep_targets (self);
    s_encode_hellos (self);
    return 0;
}

//  --------------------------------------------------------------------------
//  Clients

static void **
s_dealers (zi_t *self, uint32_t index)
{
    return &self->dealers [(size_t) index * self->ntargets];
}

//  Counts the replies queued on a DEALER; the WELCOMEs among them
static uint32_t
s_drain_dealer (zi_t *self, void *dealer)
{
    uint8_t buf [512];
    uint32_t welcomes = 0;
    int size;
    while ((size = zmq_recv (dealer, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        s_skip_rest (dealer);
        zc_msg_t msg;
        if (size > (int) sizeof buf || zc_msg_decode (&msg, buf, (size_t) size, NULL)
        ||  msg.type != ZC_WELCOME) {
            self->errors++;
            continue;
        }
        welcomes++;
        self->welcomes++;
        //  The leader we hold clients on must still serve
        if (msg.node == self->targets [self->leader].node && !s_serving_leader (&msg))
            self->not_serving++;
    }
    return welcomes;
}

//  The target a beacon came from (bit), 0 if unknown
static uint32_t
s_beacon_bit (zi_t *self, const uint8_t *body, int size, int cap)
{
    zc_msg_t msg;
    if (size > cap || zc_msg_decode (&msg, body, (size_t) size, NULL) || msg.type != ZC_BEACON)
        return 0;
    for (size_t t = 0; t < self->ntargets; t++)
        if (self->targets [t].node == msg.node)
            return 1u << t;
    return 0;
}

//  Reads every message queued on a client's SUB.  Returns the number of
//  messages; beacons are decoded only while the client starts (heard).
static uint32_t
s_drain_sub (zi_t *self, zi_client_t *client)
{
    char topic [ZC_MAX_ROOM + 8];
    uint8_t body [256];
    size_t room_len = strlen (self->opts.room);
    uint32_t messages = 0;
    int size;
    while ((size = zmq_recv (client->sub, topic, sizeof topic, ZMQ_DONTWAIT)) >= 0) {
        messages++;
        int body_size = s_more (client->sub)
                      ? zmq_recv (client->sub, body, sizeof body, ZMQ_DONTWAIT): -1;
        s_skip_rest (client->sub);
        if (size == (int) strlen (ZC_BEACON_TOPIC)
        &&  memcmp (topic, ZC_BEACON_TOPIC, (size_t) size) == 0) {
            self->beacons++;
            if (!client->ready && body_size > 0)
                client->heard |= s_beacon_bit (self, body, body_size, (int) sizeof body);
        }
        else
        if (size == (int) room_len && memcmp (topic, self->opts.room, room_len) == 0) {
            self->room_frames++;
            client->room_msgs++;
        }
        else
            self->other_frames++;   //  a room our name is a prefix of
    }
    return messages;
}

static void
s_client_close (zi_t *self, uint32_t index)
{
    zi_client_t *client = &self->clients [index];
    void **dealers = s_dealers (self, index);
    if (client->sub)
        zmq_close (client->sub);
    client->sub = NULL;
    for (size_t t = 0; t < self->ntargets; t++) {
        if (dealers [t])
            zmq_close (dealers [t]);
        dealers [t] = NULL;
    }
}

//  Opens a client's SUB, then its DEALERs (subscribe before HELLO).  On
//  failure nothing stays open: zmq_ctx_term would wait for it forever
static int
s_client_start (zi_t *self, uint32_t index, int64_t now)
{
    zi_client_t *client = &self->clients [index];
    void **dealers = s_dealers (self, index);
    bool ok = (client->sub = s_sub_new (self)) != NULL;
    for (size_t t = 0; ok && t < self->ntargets; t++)
        ok = (dealers [t] = s_dealer_new (self, &self->targets [t])) != NULL;
    if (!ok) {
        int saved = errno;
        s_client_close (self, index);
        errno = saved;
        return -1;
    }
    client->unsent = self->all_bits;
    client->hello_at = now;
    return 0;
}

//  HELLO to every target that has not answered and whose HELLO has not
//  gone out (IMMEDIATE: EAGAIN until connected), or again after retry_ms
static void
s_client_hello (zi_t *self, uint32_t index, int64_t now)
{
    zi_client_t *client = &self->clients [index];
    void **dealers = s_dealers (self, index);
    if (now - client->hello_at >= ZI_RETRY_MS) {
        client->unsent = self->all_bits & ~client->welcomed;
        client->hello_at = now;
    }
    for (size_t t = 0; t < self->ntargets; t++)
        if ((client->unsent & (1u << t))
        &&  zmq_send (dealers [t], self->hello, self->hello_size, ZMQ_DONTWAIT)
            == (int) self->hello_size)
            client->unsent &= ~(1u << t);
}

//  A starting client: answered and heard from every target makes it ready
static bool
s_client_progress (zi_t *self, uint32_t index, int64_t now)
{
    zi_client_t *client = &self->clients [index];
    void **dealers = s_dealers (self, index);
    bool was_welcomed = client->welcomed == self->all_bits;
    for (size_t t = 0; t < self->ntargets; t++)
        if (s_drain_dealer (self, dealers [t]))
            client->welcomed |= 1u << t;
    s_drain_sub (self, client);
    if (!was_welcomed && client->welcomed == self->all_bits)
        self->unwelcomed--;
    if (client->welcomed != self->all_bits)
        s_client_hello (self, index, now);
    client->ready = client->welcomed == self->all_bits && client->heard == self->all_bits;
    return client->ready;
}

//  A ready client, once per round: was its last probe answered, does its
//  SUB still hear, then its next probe (not after a room message: the
//  library probes only a quiet room)
static void
s_client_visit (zi_t *self, uint32_t index)
{
    zi_client_t *client = &self->clients [index];
    void **dealers = s_dealers (self, index);
    uint32_t welcomes = 0;
    for (size_t t = 0; t < self->ntargets; t++)
        welcomes += s_drain_dealer (self, dealers [t]);
    if (client->hello_out) {
        if (welcomes)
            self->round.answered++;
        else
            self->round.unanswered++;
    }
    client->hello_out = false;
    uint32_t room_before = client->room_msgs;
    if (!s_drain_sub (self, client) && client->visited)
        self->round.silent++;
    client->visited = true;
    self->round.visited++;
    if (!self->opts.probe_ms)
        return;
    if (client->room_msgs != room_before) {
        self->round.room_busy++;
        return;
    }
    void *leader = dealers [self->leader];
    if (zmq_send (leader, self->probe, self->probe_size, ZMQ_DONTWAIT) == (int) self->probe_size)
        client->hello_out = true;
    else
        self->round.send_failed++;
}

//  --------------------------------------------------------------------------
//  The loop's parts

//  Starts clients: at --ramp per second (or at once), at most --window
//  waiting for their WELCOME
static int
s_admit (zi_t *self, int64_t now)
{
    uint64_t allowed = self->opts.clients;
    if (self->opts.ramp > 0) {
        uint64_t by_now = (uint64_t) ((double) (now - self->t0) * self->opts.ramp / 1000.0) + 1;
        if (by_now < allowed)
            allowed = by_now;
    }
    while (self->started < allowed && self->unwelcomed < self->opts.window) {
        uint32_t index = self->started;
        if (s_client_start (self, index, now)) {
            fprintf (stderr, "zchat-idle: cannot open client %u: %s (%u opened)\n",
                     index + 1, zmq_strerror (errno), index);
            return -1;
        }
        self->started++;
        self->unwelcomed++;
        self->starting [self->nstarting++] = index;
        s_client_hello (self, index, now);
    }
    return 0;
}

static void
s_progress (zi_t *self, int64_t now)
{
    for (uint32_t i = 0; i < self->nstarting; ) {
        if (s_client_progress (self, self->starting [i], now)) {
            self->starting [i] = self->starting [--self->nstarting];
            self->ready++;
        }
        else
            i++;
    }
}

static void
s_round_add (zi_round_t *sum, const zi_round_t *round, uint64_t *count)
{
    sum->visited += round->visited;
    sum->answered += round->answered;
    sum->unanswered += round->unanswered;
    sum->silent += round->silent;
    sum->send_failed += round->send_failed;
    sum->room_busy += round->room_busy;
    (*count)++;
}

//  Visits ready clients in slices, all of them once per period
static void
s_visit (zi_t *self, int64_t now)
{
    int64_t period = self->opts.probe_ms ? self->opts.probe_ms : 1000;
    int64_t elapsed = now - self->round_at;
    uint64_t due = elapsed >= period
                 ? self->started
                 : (uint64_t) self->started * (uint64_t) elapsed / (uint64_t) period;
    for (; self->cursor < due; self->cursor++)
        if (self->clients [self->cursor].ready)
            s_client_visit (self, self->cursor);
    if (elapsed >= period) {
        self->last_round = self->round;
        if (self->held_at)
            s_round_add (&self->held, &self->round, &self->held_rounds);
        self->round = (zi_round_t) { 0 };
        self->rounds++;
        self->cursor = 0;
        self->round_at = elapsed >= 2 * period ? now : self->round_at + period;
    }
}

//  --check: post a test message every --check seconds, resend until ACKed
static void
s_check (zi_t *self, int64_t now)
{
    //  Only once every client is ready: each must then receive them all
    if (!self->control || !self->ready_at)
        return;
    uint8_t buf [512];
    int size;
    while ((size = zmq_recv (self->control, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        s_skip_rest (self->control);
        zc_msg_t msg;
        if (size <= (int) sizeof buf && zc_msg_decode (&msg, buf, (size_t) size, NULL) == 0
        &&  msg.type == ZC_ACK && msg.id == self->check_acked + 1
        &&  self->check_acked < ZI_CHECK_MAX) {
            self->acked_at [self->check_acked++] = now;
            self->last_seq = msg.seq;
            s_encode_hellos (self);
        }
    }
    bool next = self->check_posted == self->check_acked
             && now - self->check_at >= (int64_t) (self->opts.check * 1000)
             && self->check_posted < ZI_CHECK_MAX;
    bool again = self->check_posted > self->check_acked && now - self->check_sent_at >= 1000;
    if (!next && !again)
        return;
    uint64_t id = next ? self->check_posted + 1 : self->check_posted;
    char text [64];
    snprintf (text, sizeof text, "zchat-idle check %" PRIu64, id);
    zc_msg_t post;
    zc_msg_init (&post, ZC_POST);
    zc_msg_set_cstr (&post, ZF_CLIENT, self->control_id);
    zc_msg_set_u64 (&post, ZF_ID, id);
    zc_msg_set_u64 (&post, ZF_TS, id);
    zc_msg_set_cstr (&post, ZF_ROOM, self->opts.room);
    zc_msg_set_cstr (&post, ZF_FROM, "zchat-idle");
    zc_msg_set_cstr (&post, ZF_TEXT, text);
    size = (int) s_encode (&post, buf, sizeof buf);
    zmq_send (self->control, buf, (size_t) size, ZMQ_DONTWAIT);
    self->check_sent_at = now;
    if (next) {
        self->check_posted = id;
        self->check_at = now;
    }
}

//  Ready clients whose SUB received every test message that was
//  acknowledged long enough ago to have been read since
static uint32_t
s_check_reached (zi_t *self, int64_t now, uint32_t *expected)
{
    int64_t settle = (self->opts.probe_ms ? self->opts.probe_ms : 1000) + 500;
    uint32_t count = 0, reached = 0;
    while (count < self->check_acked && now - self->acked_at [count] >= settle)
        count++;
    for (uint32_t i = 0; i < self->started; i++)
        if (self->clients [i].ready && self->clients [i].room_msgs >= count)
            reached++;
    *expected = count;
    return reached;
}

//  This process's resident memory (KiB) and open fds
static void
s_self_usage (long *rss_kib, long *fds)
{
    *rss_kib = 0;
    FILE *file = fopen ("/proc/self/status", "r");
    char line [256];
    while (file && fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0)
            *rss_kib = strtol (line + 6, NULL, 10);
    if (file)
        fclose (file);
    *fds = 0;
    DIR *dir = opendir ("/proc/self/fd");
    struct dirent *entry;
    while (dir && (entry = readdir (dir)))
        if (entry->d_name [0] != '.')
            (*fds)++;
    if (dir)
        closedir (dir);
}

//  One line per --report seconds: the last full round, and the totals
static void
s_report (zi_t *self, int64_t now)
{
    double secs = (double) (now - self->report_at) / 1000.0;
    long rss, fds;
    s_self_usage (&rss, &fds);
    const zi_round_t *r = &self->last_round;
    double beacons = secs > 0 ? (double) (self->beacons - self->report_beacons) / secs : 0;
    printf ("zchat-idle: %.0f s: %u/%u ready; round %" PRIu64 ": %" PRIu64 " visited, "
            "probes answered %" PRIu64 ", unanswered %" PRIu64 ", not sent %" PRIu64
            ", skipped (room busy) %" PRIu64 ", silent SUBs %" PRIu64 "; beacons %.0f/s; "
            "errors %" PRIu64 ", leader not serving %" PRIu64,
            (double) (now - self->t0) / 1000.0, self->ready, self->opts.clients,
            self->rounds, r->visited, r->answered, r->unanswered, r->send_failed,
            r->room_busy, r->silent, beacons, self->errors, self->not_serving);
    if (self->control) {
        uint32_t expected;
        uint32_t reached = s_check_reached (self, now, &expected);
        printf ("; check: %u/%u got all %u test messages (%" PRIu64 " posted, %" PRIu64
                " acked)", reached, self->ready, expected, self->check_posted, self->check_acked);
    }
    printf ("; here: %ld MiB, %ld fds\n", rss / 1024, fds);
    fflush (stdout);
    self->report_beacons = self->beacons;
    self->report_at = now;
}

//  --------------------------------------------------------------------------
//  Limits

//  Raises the fd limit to its hard limit; -1 with a message if N clients
//  cannot fit under it
static int
s_raise_nofile (const zi_opts_t *opts, size_t ntargets)
{
    //  Per client: one eventfd per zmq socket, one TCP fd per connection
    uint64_t per_client = 2 * ntargets + 1 + ntargets;
    uint64_t need = (uint64_t) opts->clients * per_client + ZI_FDS_SPARE;
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit))
        return -1;
    limit.rlim_cur = limit.rlim_max;
    setrlimit (RLIMIT_NOFILE, &limit);
    getrlimit (RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < need) {
        uint64_t fit = limit.rlim_cur > ZI_FDS_SPARE
                     ? (limit.rlim_cur - ZI_FDS_SPARE) / per_client : 0;
        fprintf (stderr, "zchat-idle: %u clients need ~%" PRIu64 " file descriptors "
                 "(%" PRIu64 " each), the limit is %llu: at most %" PRIu64 " clients fit. "
                 "Raise the hard limit (as root: ulimit -Hn %" PRIu64 ") or ask for fewer\n",
                 opts->clients, need, per_client, (unsigned long long) limit.rlim_cur, fit, need);
        return -1;
    }
    return 0;
}

//  One context for everything, with room for every socket
static int
s_context (zi_t *self)
{
    self->ctx = zmq_ctx_new ();
    if (!self->ctx)
        return -1;
    int sockets = (int) ((uint64_t) self->opts.clients * (self->ntargets + 1)
                       + self->ntargets + 64);
    if (zmq_ctx_set (self->ctx, ZMQ_MAX_SOCKETS, sockets)) {
        fprintf (stderr, "zchat-idle: cannot allow %d zmq sockets: %s\n", sockets,
                 zmq_strerror (errno));
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Options

static const char *s_usage =
    "usage: zchat-idle --servers HOST:PORT,... [options]\n"
    "Hold N idle clients on the cluster's leader, each like an idle chat-client:\n"
    "a SUB on the room and beacons, a DEALER answered by the leader, a HELLO probe\n"
    "a second.  Prints \"ready N clients in X s\" once all are answered and hear\n"
    "beacons, then holds them, with a line every --report seconds.\n"
    "  --servers LIST     every node's client port (required)\n"
    "  --keys DIR         CURVE, as chat-client --keys DIR (one key pair for all)\n"
    "  --clients N        idle clients (default 1000)\n"
    "  --ramp R           clients started per second (default 0: as fast as answered)\n"
    "  --window W         most clients waiting for their WELCOME at once (default 100)\n"
    "  --hold SECS        then hold them this long (default 0: until SIGINT/SIGTERM)\n"
    "  --room NAME        their room (default idle)\n"
    "  --all-nodes        also a DEALER to, and the SUB on, every backup (as the library)\n"
    "  --probe-ms MS      HELLO the leader this often while the room is quiet\n"
    "                     (default 1000, as the library; 0 = never)\n"
    "  --check SECS       post a test message into the room this often and count the\n"
    "                     idle SUBs that receive all of them (default 0: never)\n"
    "  --report SECS      a status line this often (default 10)\n"
    "  --timeout SECS     if not all are ready after this, say so and hold them as\n"
    "                     they are (default 600)\n"
    "Exit 0 after the hold or a signal; 1 if the clients cannot be opened or were\n"
    "not all ready; 2 on bad flags.\n";

static int
s_bad (const char *flag, const char *value)
{
    fprintf (stderr, "zchat-idle: bad value for --%s: '%s' (try --help)\n", flag, value);
    return 2;
}

//  A flag's number in [min, max] (numparse.h: no space, sign, junk or NaN)
static bool
s_number (const char *text, double min, double max, double *value)
{
    return zc_parse_double (text, min, max, value) == ZC_PARSE_OK;
}

//  optarg as a number in [min, max] into *value: 0, or 2 with a message
static int
s_real (const char *name, double min, double max, double *value)
{
    return s_number (optarg, min, max, value) ? 0 : s_bad (name, optarg);
}

static int
s_parse (int argc, char **argv, zi_opts_t *opts)
{
    static const struct option longs [] = {
        { "servers", required_argument, 0, 'S' }, { "clients", required_argument, 0, 'n' },
        { "keys", required_argument, 0, 'K' },
        { "ramp", required_argument, 0, 'r' }, { "window", required_argument, 0, 'w' },
        { "hold", required_argument, 0, 'H' }, { "room", required_argument, 0, 'm' },
        { "all-nodes", no_argument, 0, 'a' }, { "probe-ms", required_argument, 0, 'p' },
        { "check", required_argument, 0, 'c' }, { "report", required_argument, 0, 'R' },
        { "timeout", required_argument, 0, 't' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    *opts = (zi_opts_t) { .clients = 1000, .window = 100, .probe_ms = 1000, .room = "idle",
                          .report = 10, .timeout = 600 };
    int c, index = -1, rc = 0;
    double v;
    while (rc == 0 && (c = getopt_long (argc, argv, "h", longs, &index)) != -1) {
        const char *name = index >= 0 ? longs [index].name : "?";
        switch (c) {
            case 'S': opts->servers = optarg; break;
            case 'K': opts->keys = optarg; break;
            case 'm': opts->room = optarg; break;
            case 'a': opts->all_nodes = true; break;
            case 'h': fputs (s_usage, stdout); exit (0);
            case 'n': case 'w': case 'p':
                if (!s_number (optarg, c == 'p' ? 0 : 1, 1e7, &v) || v != (uint32_t) v)
                    return s_bad (name, optarg);
                if (c == 'n') opts->clients = (uint32_t) v;
                if (c == 'w') opts->window = (uint32_t) v;
                if (c == 'p') opts->probe_ms = (uint32_t) v;
                break;
            case 'r': rc = s_real (name, 0, 1e7, &opts->ramp); break;
            case 'H': rc = s_real (name, 0, 1e9, &opts->hold); break;
            case 'c': rc = s_real (name, 0, 1e6, &opts->check); break;
            case 'R': rc = s_real (name, 0.1, 1e6, &opts->report); break;
            case 't': rc = s_real (name, 1, 1e6, &opts->timeout); break;
            default:
                fprintf (stderr, "zchat-idle: try --help\n");
                return 2;
        }
        index = -1;
    }
    if (rc)
        return rc;
    if (optind < argc) {
        fprintf (stderr, "zchat-idle: unexpected argument '%s' (try --help)\n", argv [optind]);
        return 2;
    }
    if (!opts->servers) {
        fprintf (stderr, "zchat-idle: --servers is required (try --help)\n");
        return 2;
    }
    if (!zc_room_valid (opts->room, strlen (opts->room)))
        return s_bad ("room", opts->room);
    return 0;
}

//  --------------------------------------------------------------------------

static int
s_random_id (char *id)
{
    uint8_t bytes [ZC_CLIENT_ID_LEN / 2];
    FILE *file = fopen ("/dev/urandom", "rb");
    size_t got = file ? fread (bytes, 1, sizeof bytes, file) : 0;
    if (file)
        fclose (file);
    for (size_t i = 0; i < sizeof bytes; i++)
        sprintf (id + 2 * i, "%02x", bytes [i]);
    return got == sizeof bytes ? 0 : -1;
}

static int
s_setup (zi_t *self, int argc, char **argv)
{
    int rc = s_parse (argc, argv, &self->opts);
    if (rc)
        return rc;
    char err [256];
    zc_server_addr_t addrs [ZC_MAX_SERVERS];
    int count = zc_servers_parse (self->opts.servers, addrs, ZC_MAX_SERVERS, err, sizeof err);
    if (count < 0) {
        fprintf (stderr, "zchat-idle: --servers: %s\n", err);
        return 2;
    }
    if (self->opts.keys && !(self->keys = zc_client_keys_load (self->opts.keys, err, sizeof err))) {
        fprintf (stderr, "zchat-idle: %s\n", err);
        return 2;
    }
    self->ntargets = (size_t) count;
    for (size_t t = 0; t < self->ntargets; t++) {
        self->targets [t].addr = addrs [t];
        zc_servers_endpoint (&addrs [t], addrs [t].port, self->targets [t].endpoint,
                             sizeof self->targets [t].endpoint);
    }
    if (s_raise_nofile (&self->opts, self->opts.all_nodes ? self->ntargets : 1)
    ||  s_context (self) || s_random_id (self->control_id))
        return 1;
    s_encode_hellos (self);
    if (s_discover (self, 15000)) {
        fprintf (stderr, "zchat-idle: no serving leader%s answered in 15 s"
                 " (is the cluster up?)\n", self->opts.all_nodes ? ", or not every node," : "");
        return 1;
    }
    size_t n = self->opts.clients;
    self->clients = calloc (n, sizeof *self->clients);
    self->dealers = calloc (n * self->ntargets, sizeof (void *));
    self->starting = calloc (n, sizeof (uint32_t));
    if (!self->clients || !self->dealers || !self->starting)
        return 1;
    printf ("zchat-idle: leader is node %u; %u clients in room %s on %zu node(s)\n",
            self->targets [self->leader].node, self->opts.clients, self->opts.room,
            self->ntargets);
    fflush (stdout);
    return 0;
}

//  Opens the clients and holds them; 0 at the end of the hold or on a
//  signal, 1 if they cannot all be opened, or were not all ready in time
static int
s_run (zi_t *self)
{
    self->t0 = self->round_at = self->report_at = s_now_ms ();
    int64_t timeout = (int64_t) (self->opts.timeout * 1000);
    int64_t report = (int64_t) (self->opts.report * 1000);
    while (!s_stop) {
        int64_t now = s_now_ms ();
        if (s_admit (self, now))
            return 1;
        s_progress (self, now);
        s_visit (self, now);
        s_check (self, now);
        if (!self->ready_at && self->ready == self->opts.clients) {
            self->ready_at = now;
            if (!self->held_at)
                self->held_at = now;
            printf ("zchat-idle: ready %u clients in %.2f s\n", self->ready,
                    (double) (now - self->t0) / 1000.0);
            fflush (stdout);
        }
        if (!self->held_at && now - self->t0 > timeout) {
            //  Held as they are: what a node does when it cannot take
            //  them all is what a scale run wants to see
            printf ("zchat-idle: only %u of %u clients ready after %.0f s (%u started,"
                    " %u unanswered); holding them\n", self->ready, self->opts.clients,
                    self->opts.timeout, self->started, self->unwelcomed);
            fflush (stdout);
            self->held_at = now;
        }
        if (now - self->report_at >= report)
            s_report (self, now);
        if (self->held_at && self->opts.hold > 0
        &&  now - self->held_at >= (int64_t) (self->opts.hold * 1000))
            break;
        s_sleep_ms (ZI_TICK_MS - (s_now_ms () - now));
    }
    return self->ready_at ? 0 : 1;
}

//  The last lines: the hold in words, then key=value for scripts
static void
s_summary (zi_t *self)
{
    int64_t now = s_now_ms ();
    s_report (self, now);
    const zi_round_t *h = &self->held;
    uint32_t expected = 0, reached = self->control ? s_check_reached (self, now, &expected) : 0;
    long rss, fds;
    s_self_usage (&rss, &fds);
    printf ("zchat-idle: held %u clients (%u ready) for %.1f s, %" PRIu64 " full rounds%s\n",
            self->started, self->ready, (double) (now - self->held_at) / 1000.0,
            self->held_rounds, s_stop ? " (signal)" : "");
    printf ("zchat-idle: summary clients=%u ready=%u ready_s=%.2f rounds=%" PRIu64
            " visits=%" PRIu64 " answered=%" PRIu64 " unanswered=%" PRIu64
            " not_sent=%" PRIu64 " silent=%" PRIu64 " errors=%" PRIu64 " not_serving=%" PRIu64
            " check_expected=%u check_reached=%u rss_kib=%ld fds=%ld\n",
            self->started, self->ready,
            self->ready_at ? (double) (self->ready_at - self->t0) / 1000.0 : -1.0,
            self->held_rounds, h->visited, h->answered, h->unanswered, h->send_failed,
            h->silent, self->errors, self->not_serving, expected, reached, rss, fds);
    fflush (stdout);
}

static void
s_close (zi_t *self)
{
    for (uint32_t i = 0; self->clients && i < self->started; i++)
        s_client_close (self, i);
    if (self->control)
        zmq_close (self->control);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    free (self->clients);
    free (self->dealers);
    free (self->starting);
    zc_client_keys_destroy (&self->keys);
}

int
main (int argc, char **argv)
{
    zi_t self = { 0 };
    struct sigaction sa = { .sa_handler = s_on_signal };
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    int rc = s_setup (&self, argc, argv);
    if (rc == 0)
        rc = s_run (&self);
    if (self.held_at)
        s_summary (&self);
    s_close (&self);
    return rc;
}
