/*  test_node_client.c — the client port of a real node, in process: a
    1-node cluster (--quorum 1) made by zc_config_parse and zc_node_new on
    free loopback ports and a temporary data folder, run by zc_node_run in
    a thread, driven through DEALERs.  The code that ships, not a copy.

    1. Clock poisoning: a POST with ts = 2^53 - 1 moves the clock by the
       bound only, and an honest client that saw its stamp still posts.
    2. Someone else's client id: a POST with a victim's id and its next
       number is stored, but the victim's own message with that id gets an
       ERROR, never an ACK; an exact repeat is acknowledged with the
       original seq.
    3. Limits: text above --max-text, a third room with --max-rooms 2,
       each an ERROR limit counted in STATUS `refused`.
    4. A request of 500 frames: one ERROR, then the next request is read
       as a request again.
    5. FETCH: a reply holds at most 256 KiB of entries; a published mark
       beyond the log (a forged truncation once did it) does not crash.
    6. --rate 10: a burst of POSTs is answered slow_down with retry_ms and
       counted in `slowed`; FETCHes take tokens too.
    7. --max-clients 2: a third connection is asked to come back later
       (slow_down "too many clients on this node"),
       and STATUS still answers it.
    8. With --keys (CURVE, clients by certificate): the stored `from` is
       the certificate's name whatever the POST says, and a client id is
       refused from another key than the one that first used it, also on
       a leader that lost its bindings (the log names the owner).
    9. Socket priority (docs/DECISIONS.md): libzmq has two I/O threads;
       the peer side (peer ROUTER, heartbeat REP, the links) is pinned to
       one and marked TOS CS6, the client ROUTER and the PUB to the other.
*/
#include "node_impl.h"
#include "core_impl.h"
#include "wire.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    zc_node_t *node;
    pthread_t thread;
    char dir [128];
    uint16_t port;
    bool running;
} s_node_t;

static bool
s_port_free (uint16_t port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    int one = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
    close (fd);
    return ok;
}

static uint16_t
s_free_base (void)
{
    static uint64_t rng = 0;
    if (!rng)
        rng = (uint64_t) getpid () * 2654435761u + 1;
    for (int tries = 0; tries < 200; tries++) {
        uint16_t base = (uint16_t) (20000 + xorshift64 (&rng) % 20000);
        if (s_port_free (base) && s_port_free (base + 1000) && s_port_free (base + 2000)
        &&  s_port_free (base + 3000))
            return base;
    }
    return 0;
}

static void *
s_run (void *arg)
{
    zc_node_run (arg);
    return NULL;
}

static void
s_resume (s_node_t *n)
{
    zsys_interrupted = 0;
    pthread_create (&n->thread, NULL, s_run, n->node);
    n->running = true;
}

static void
s_pause (s_node_t *n)
{
    if (!n->running)
        return;
    zsys_interrupted = 1;
    pthread_join (n->thread, NULL);
    n->running = false;
}

//  A node with the limit flags in extra (NULL-terminated).
static bool
s_start (s_node_t *n, const char **extra)
{
    memset (n, 0, sizeof *n);
    snprintf (n->dir, sizeof n->dir, "/tmp/zc-test-node-client-XXXXXX");
    if (!mkdtemp (n->dir))
        return false;
    n->port = s_free_base ();
    char port [16];
    snprintf (port, sizeof port, "%u", n->port);
    char data [200];
    snprintf (data, sizeof data, "%s/data", n->dir);
    const char *argv [40] = { "chat-node", "--id", "1", "--port", port, "--quorum", "1",
                              "--data-dir", data, "--heartbeat-ms", "50" };
    int argc = 11;
    for (int i = 0; extra && extra [i]; i++)
        argv [argc++] = extra [i];
    zc_config_t cfg;
    char err [256] = "";
    if (zc_config_parse (&cfg, argc, (char **) argv, err, sizeof err)) {
        fprintf (stderr, "config: %s\n", err);
        return false;
    }
    n->node = zc_node_new (&cfg, err, sizeof err);
    if (!n->node) {
        fprintf (stderr, "node: %s\n", err);
        return false;
    }
    s_resume (n);
    return true;
}

static void
s_stop (s_node_t *n)
{
    s_pause (n);
    zc_node_destroy (&n->node);
    char command [200];
    snprintf (command, sizeof command, "rm -rf '%s'", n->dir);
    if (system (command))
        fprintf (stderr, "cannot remove %s\n", n->dir);
}

static zsock_t *
s_dealer (s_node_t *n)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (dealer, 0);
    zsock_connect (dealer, "tcp://127.0.0.1:%u", n->port);
    return dealer;
}

static void
s_send (zsock_t *dealer, const zc_msg_t *msg)
{
    uint8_t buf [ZC_MAX_FRAME];
    size_t size = zc_msg_encode (msg, buf, sizeof buf);
    assert (size);
    zmq_send (zsock_resolve (dealer), buf, size, 0);
}

//  The next reply: its first message decoded into msg (strings in *frames,
//  which the caller destroys), or false after 3 s.
static int s_timeout = 3000;

static bool
s_recv (zsock_t *dealer, zc_msg_t *msg, zmsg_t **frames)
{
    zpoller_t *poller = zpoller_new (dealer, NULL);
    bool ready = zpoller_wait (poller, s_timeout) != NULL;
    zpoller_destroy (&poller);
    *frames = ready ? zmsg_recv (dealer) : NULL;
    if (!*frames)
        return false;
    zframe_t *first = zmsg_first (*frames);
    size_t offset = 0;
    return zc_msg_decode_next (msg, zframe_data (first), zframe_size (first), &offset, NULL) == 0;
}

//  Sends msg and returns the type of the reply (ZC_UNKNOWN: none), with the
//  reply in *reply (its strings valid until the next call).
static zc_type_t
s_ask (zsock_t *dealer, const zc_msg_t *msg, zc_msg_t *reply)
{
    static zmsg_t *frames;
    zmsg_destroy (&frames);
    s_send (dealer, msg);
    zc_msg_t dummy;
    if (!reply)
        reply = &dummy;
    return s_recv (dealer, reply, &frames) ? reply->type : ZC_UNKNOWN;
}

static bool
s_code (const zc_msg_t *reply, const char *code)
{
    return reply->type == ZC_ERROR && zc_str_eq (reply->code, code);
}

static zc_type_t
s_post (zsock_t *dealer, const char *client, uint64_t id, uint64_t ts, const char *room,
        const char *text, zc_msg_t *reply)
{
    zc_msg_t post;
    zc_msg_init (&post, ZC_POST);
    zc_msg_set_cstr (&post, ZF_CLIENT, client);
    zc_msg_set_u64 (&post, ZF_ID, id);
    zc_msg_set_u64 (&post, ZF_TS, ts);
    zc_msg_set_cstr (&post, ZF_ROOM, room);
    zc_msg_set_cstr (&post, ZF_FROM, "tester");
    zc_msg_set_cstr (&post, ZF_TEXT, text);
    return s_ask (dealer, &post, reply);
}

static bool
s_status (zsock_t *dealer, zc_msg_t *reply)
{
    zc_msg_t status;
    zc_msg_init (&status, ZC_STATUS);
    return s_ask (dealer, &status, reply) == ZC_STATUS_REPLY;
}

//  Until the node serves (5 s at most).
static bool
s_wait_leader (zsock_t *dealer)
{
    s_timeout = 100;
    bool serving = false;
    for (int i = 0; i < 50 && !serving; i++) {
        zc_msg_t hello, reply;
        zc_msg_init (&hello, ZC_HELLO);
        serving = s_ask (dealer, &hello, &reply) == ZC_WELCOME && zc_msg_has (&reply, ZF_GRANTED)
               && reply.granted;
        if (!serving)
            zclock_sleep (50);
    }
    s_timeout = 3000;
    return serving;
}

//  A node with flags, and a DEALER to it once it serves; NULL when the
//  node cannot start
static zsock_t *
s_start_serving (s_node_t *n, const char **flags)
{
    if (!s_start (n, flags)) {
        CHECKF (false, "cannot start a node");
        return NULL;
    }
    zsock_t *dealer = s_dealer (n);
    CHECKF (s_wait_leader (dealer), "the node never served");
    return dealer;
}

#define VICTIM   "0000000000000000000000000000000a"
#define POISONER "0000000000000000000000000000000b"
#define HONEST   "0000000000000000000000000000000c"

static void
test_rules (void)
{
    const char *flags [] = { "--rate", "0", "--max-text", "100", "--max-rooms", "2", NULL };
    s_node_t n;
    zsock_t *alice = s_start_serving (&n, flags);
    if (!alice)
        return;
    zsock_t *mallory = s_dealer (&n);
    zc_msg_t reply;

    //  1. Clock poisoning
    CHECK (s_post (mallory, POISONER, 1, ZC_MAX_TS - 1, "general", "poison", &reply) == ZC_ACK);
    uint64_t poisoned = reply.ts;
    CHECKF (poisoned <= ZC_LAMPORT_MAX_AHEAD + 10, "the poisoned POST was stamped %llu",
            (unsigned long long) poisoned);
    //  An honest client that saw that stamp posts just above it
    CHECKF (s_post (alice, HONEST, 1, poisoned + 1, "general", "hi", &reply) == ZC_ACK,
            "an honest POST after the poisoned one: %s",
            reply.type == ZC_ERROR ? "refused" : "no ACK");
    CHECK (reply.ts > poisoned && reply.ts < ZC_MAX_TS);

    //  2. Someone else's client id
    CHECK (s_post (alice, VICTIM, 1, 10, "general", "hello", &reply) == ZC_ACK);
    uint64_t first_seq = reply.seq;
    CHECK (s_post (mallory, VICTIM, 2, 11, "general", "evil", &reply) == ZC_ACK);
    zc_type_t type = s_post (alice, VICTIM, 2, 11, "general", "real", &reply);
    CHECKF (type == ZC_ERROR && s_code (&reply, ZC_ERR_BAD_REQUEST),
            "the victim's own message was %s", type == ZC_ACK ? "acknowledged" : "not refused");
    //  Also in another room, or with another sender name: not the same message
    CHECK (s_post (alice, VICTIM, 2, 11, "other", "evil", &reply) == ZC_ERROR);
    //  An exact repeat is acknowledged with the original seq
    CHECK (s_post (alice, VICTIM, 1, 10, "general", "hello", &reply) == ZC_ACK
           && reply.seq == first_seq);

    //  3. Limits
    char text [200];
    memset (text, 'x', 101);
    text [101] = 0;
    type = s_post (alice, HONEST, 2, 20, "general", text, &reply);
    CHECKF (type == ZC_ERROR && s_code (&reply, ZC_ERR_LIMIT) && reply.id == 2,
            "a text of 101 bytes with --max-text 100");
    text [100] = 0;
    CHECK (s_post (alice, HONEST, 2, 20, "general", text, &reply) == ZC_ACK);
    CHECK (s_post (alice, HONEST, 3, 21, "second", "two rooms", &reply) == ZC_ACK);
    type = s_post (alice, HONEST, 4, 22, "third", "three rooms", &reply);
    CHECKF (type == ZC_ERROR && s_code (&reply, ZC_ERR_LIMIT), "a third room with --max-rooms 2");
    CHECK (s_post (alice, HONEST, 4, 22, "general", "back home", &reply) == ZC_ACK);
    zc_msg_t status;
    CHECK (s_status (alice, &status));
    CHECK (zc_msg_has (&status, ZF_REFUSED | ZF_SLOWED | ZF_DENIED | ZF_FORGED));
    CHECKF (status.refused >= 4, "refused %llu", (unsigned long long) status.refused);

    //  4. A request of 500 frames, then a request again; its frames are
    //  never read as requests of their own (one drop, one answer)
    uint64_t dropped = status.dropped;
    void *sock = zsock_resolve (alice);
    for (int i = 0; i < 500; i++)
        zmq_send (sock, "junk", 4, i < 499 ? ZMQ_SNDMORE : 0);
    zmsg_t *frames = NULL;
    CHECK (s_recv (alice, &reply, &frames) && s_code (&reply, ZC_ERR_BAD_REQUEST));
    zmsg_destroy (&frames);
    CHECKF (s_status (alice, &status), "a request after one of 500 frames");
    CHECKF (status.dropped == dropped + 1, "500 frames dropped as %llu requests",
            (unsigned long long) (status.dropped - dropped));

    zsock_destroy (&alice);
    zsock_destroy (&mallory);
    s_stop (&n);
}

//  Entry bytes in an ENTRIES reply (frames 2..)
static size_t
s_fetch (zsock_t *dealer, uint64_t last, const char *room, size_t *count, zc_msg_t *header)
{
    zc_msg_t fetch;
    zc_msg_init (&fetch, ZC_FETCH);
    zc_msg_set_u64 (&fetch, ZF_LAST, last);
    zc_msg_set_u64 (&fetch, ZF_COUNT, 4096);
    if (room)
        zc_msg_set_cstr (&fetch, ZF_ROOM, room);
    s_send (dealer, &fetch);
    zmsg_t *frames = NULL;
    size_t bytes = 0;
    *count = 0;
    if (s_recv (dealer, header, &frames) && header->type == ZC_ENTRIES)
        for (zframe_t *frame = zmsg_next (frames); frame; frame = zmsg_next (frames)) {
            bytes += zframe_size (frame);
            (*count)++;
        }
    else
        header->type = ZC_UNKNOWN;
    zmsg_destroy (&frames);
    return bytes;
}

static void
test_fetch (void)
{
    const char *flags [] = { "--rate", "0", NULL };
    s_node_t n;
    zsock_t *dealer = s_start_serving (&n, flags);
    if (!dealer)
        return;
    static char text [10001];
    memset (text, 'y', 10000);
    int acked = 0;
    for (uint64_t id = 1; id <= 40; id++) {
        zc_msg_t reply;
        acked += s_post (dealer, HONEST, id, id, "big", text, &reply) == ZC_ACK;
    }
    CHECK (acked == 40);
    size_t count;
    zc_msg_t header;
    size_t bytes = s_fetch (dealer, 0, NULL, &count, &header);
    CHECKF (bytes <= ZC_FETCH_MAX_BYTES && count >= 20 && count < 40,
            "a FETCH of 40 x 10 KB: %zu entries, %zu bytes", count, bytes);
    CHECK (header.type == ZC_ENTRIES && header.last == count);
    bytes = s_fetch (dealer, 0, "big", &count, &header);
    CHECKF (bytes <= ZC_FETCH_MAX_BYTES && count >= 20 && count < 40,
            "a FETCH of one room: %zu entries, %zu bytes", count, bytes);

    //  5. A published mark beyond the log: the node reads what it holds
    s_pause (&n);
    uint64_t last = zc_chatlog_last_seq (zc_core_log (n.node->core));
    n.node->core->published = last + 50;
    s_resume (&n);
    size_t total = 0;
    uint64_t from = 0;
    for (int i = 0; i < 5; i++) {
        s_fetch (dealer, from, NULL, &count, &header);
        if (header.type != ZC_ENTRIES)
            break;
        total += count;
        from = header.last;
    }
    CHECKF (header.type == ZC_ENTRIES && total == last, "FETCH past the log: %zu of %llu",
            total, (unsigned long long) last);
    s_fetch (dealer, 0, "big", &count, &header);
    CHECK (header.type == ZC_ENTRIES);
    s_pause (&n);
    n.node->core->published = last;
    s_resume (&n);
    zsock_destroy (&dealer);
    s_stop (&n);
}

static void
test_rate (void)
{
    const char *flags [] = { "--rate", "10", NULL };
    s_node_t n;
    zsock_t *dealer = s_start_serving (&n, flags);
    if (!dealer)
        return;
    int acked = 0, slowed = 0;
    uint64_t retry = 0;
    for (uint64_t id = 1; id <= 30; id++) {
        zc_msg_t reply;
        zc_type_t type = s_post (dealer, HONEST, id - (uint64_t) slowed, id, "general", "hi",
                                 &reply);
        acked += type == ZC_ACK;
        if (type == ZC_ERROR && s_code (&reply, ZC_ERR_SLOW_DOWN)) {
            slowed++;
            retry = zc_msg_has (&reply, ZF_RETRY_MS) ? reply.retry_ms : 0;
        }
    }
    CHECKF (slowed > 0 && acked >= 20 && acked < 30, "a burst of 30 at --rate 10: %d acked, "
            "%d slowed", acked, slowed);
    CHECKF (retry >= 1 && retry <= 100, "retry_ms %llu", (unsigned long long) retry);
    zc_msg_t status;
    CHECK (s_status (dealer, &status) && status.slowed == (uint64_t) slowed);

    //  FETCHes take tokens: after 20 of them a POST must wait
    zsock_t *reader = s_dealer (&n);
    for (int i = 0; i < 20; i++) {
        size_t count;
        zc_msg_t header;
        s_fetch (reader, 0, NULL, &count, &header);
    }
    zc_msg_t reply;
    CHECKF (s_post (reader, VICTIM, 1, 1, "general", "after fetches", &reply) == ZC_ERROR
            && s_code (&reply, ZC_ERR_SLOW_DOWN), "a POST after 20 FETCHes at --rate 10");
    zsock_destroy (&reader);
    zsock_destroy (&dealer);
    s_stop (&n);
}

static void
test_clients (void)
{
    const char *flags [] = { "--max-clients", "2", NULL };
    s_node_t n;
    zsock_t *one = s_start_serving (&n, flags);
    if (!one)
        return;
    zsock_t *two = s_dealer (&n), *three = s_dealer (&n);
    zc_msg_t hello, reply;
    zc_msg_init (&hello, ZC_HELLO);
    CHECK (s_ask (two, &hello, &reply) == ZC_WELCOME);
    zc_type_t type = s_ask (three, &hello, &reply);
    CHECKF (type == ZC_ERROR && s_code (&reply, ZC_ERR_SLOW_DOWN) && reply.retry_ms >= 1
            && zc_str_eq (reply.reason, "too many clients on this node"),
            "a third client with --max-clients 2");
    CHECKF (s_status (three, &reply) && reply.refused >= 1, "STATUS answers a refused client");
    CHECK (s_ask (one, &hello, &reply) == ZC_WELCOME);
    zsock_destroy (&one);
    zsock_destroy (&two);
    zsock_destroy (&three);
    s_stop (&n);
}

//  The folder chat-keygen makes for node 1, with clients alice and bob.
static void
s_make_keys (const char *dir, zcert_t *node, zcert_t *server, zcert_t *alice, zcert_t *bob)
{
    char path [300];
    mkdir (dir, 0700);
    snprintf (path, sizeof path, "%s/nodes", dir);
    mkdir (path, 0700);
    snprintf (path, sizeof path, "%s/clients", dir);
    mkdir (path, 0700);
    const struct { zcert_t *cert; const char *name; bool secret; } files [] = {
        { node, "node.cert", true }, { server, "server.cert", true },
        { node, "nodes/1.cert", false }, { alice, "clients/alice.cert", false },
        { bob, "clients/bob.cert", false } };
    for (size_t i = 0; i < sizeof files / sizeof files [0]; i++) {
        snprintf (path, sizeof path, "%s/%s", dir, files [i].name);
        if (files [i].secret) {
            zcert_save (files [i].cert, path);
            strcat (path, "_secret");
            chmod (path, 0600);
        }
        else
            zcert_save_public (files [i].cert, path);
    }
}

static zsock_t *
s_curve_dealer (s_node_t *n, zcert_t *cert, zcert_t *server)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (dealer, 0);
    zcert_apply (cert, dealer);
    zsock_set_curve_serverkey (dealer, zcert_public_txt (server));
    zsock_connect (dealer, "tcp://127.0.0.1:%u", n->port);
    return dealer;
}

static void
test_secure (void)
{
    zcert_t *node = zcert_new (), *server = zcert_new ();
    zcert_t *alice = zcert_new (), *bob = zcert_new ();
    zcert_set_meta (node, "node", "1");
    zcert_set_meta (alice, "name", "alice");
    zcert_set_meta (bob, "name", "bob");
    char keys [] = "/tmp/zc-test-node-keys-XXXXXX";
    if (!mkdtemp (keys)) {
        CHECKF (false, "no temporary folder");
        return;
    }
    char dir [200];
    snprintf (dir, sizeof dir, "%s/node-1", keys);
    s_make_keys (dir, node, server, alice, bob);
    const char *flags [] = { "--keys", dir, "--bind", "127.0.0.1", "--rate", "0", NULL };
    s_node_t n;
    if (s_start (&n, flags)) {
        zsock_t *as_alice = s_curve_dealer (&n, alice, server);
        zsock_t *as_bob = s_curve_dealer (&n, bob, server);
        CHECKF (s_wait_leader (as_alice), "the node never served alice");
        zc_msg_t reply;
        //  alice says she is "tester" (s_post): she is stored as alice
        CHECK (s_post (as_alice, VICTIM, 1, 1, "general", "from alice", &reply) == ZC_ACK);
        size_t count;
        zc_msg_t header;
        zc_msg_init (&header, ZC_UNKNOWN);
        zc_msg_t fetch;
        zc_msg_init (&fetch, ZC_FETCH);
        zc_msg_set_u64 (&fetch, ZF_LAST, 0);
        s_send (as_alice, &fetch);
        zmsg_t *frames = NULL;
        bool named = false;
        if (s_recv (as_alice, &header, &frames) && header.type == ZC_ENTRIES) {
            zframe_t *frame = zmsg_next (frames);
            zc_msg_t chat;
            named = frame && zc_msg_decode (&chat, zframe_data (frame), zframe_size (frame),
                                            NULL) == 0 && zc_str_eq (chat.from, "alice");
        }
        zmsg_destroy (&frames);
        CHECKF (named, "the stored sender is the certificate's name");
        //  bob takes alice's client id and her next number: refused
        zc_type_t type = s_post (as_bob, VICTIM, 2, 2, "general", "from bob", &reply);
        CHECKF (type == ZC_ERROR && s_code (&reply, ZC_ERR_BAD_REQUEST),
                "a client id used by another key was %s", type == ZC_ACK ? "acknowledged"
                                                                         : "not refused");
        CHECK (s_post (as_bob, VICTIM, 1, 1, "general", "from alice", &reply) == ZC_ERROR);
        //  and alice's own message with that number goes through
        CHECK (s_post (as_alice, VICTIM, 2, 2, "general", "alice again", &reply) == ZC_ACK);
        CHECK (s_post (as_bob, "00000000000000000000000000000b0b", 1, 3, "general", "bob",
                       &reply) == ZC_ACK);
        //  A new leader knows no bindings: the log still names alice
        s_pause (&n);
        zc_limits_destroy (&n.node->core->limits);
        n.node->core->limits = zc_limits_new (100, 0, 64);
        s_resume (&n);
        type = s_post (as_bob, VICTIM, 3, 3, "general", "bob again", &reply);
        CHECKF (type == ZC_ERROR && s_code (&reply, ZC_ERR_BAD_REQUEST),
                "after the bindings were lost, alice's id from bob was %s",
                type == ZC_ACK ? "acknowledged" : "not refused");
        CHECK (s_post (as_alice, VICTIM, 3, 3, "general", "alice, 3", &reply) == ZC_ACK);
        (void) count;
        zsock_destroy (&as_alice);
        zsock_destroy (&as_bob);
        s_stop (&n);
    }
    else
        CHECKF (false, "cannot start a node with --keys");
    char command [300];
    snprintf (command, sizeof command, "rm -rf '%s'", keys);
    if (system (command))
        fprintf (stderr, "cannot remove %s\n", keys);
    zcert_destroy (&node);
    zcert_destroy (&server);
    zcert_destroy (&alice);
    zcert_destroy (&bob);
}

static void
test_priority (void)
{
    uint16_t other = s_free_base ();
    char peers [64];
    snprintf (peers, sizeof peers, "2:127.0.0.1:%u", other);
    const char *extra [] = { "--peers", peers, NULL };
    s_node_t n;
    if (!s_start (&n, extra)) {
        CHECKF (false, "cannot start a node with a peer");
        return;
    }
    CHECKF (n.node->io_split && zmq_ctx_get (zsys_init (), ZMQ_IO_THREADS) == ZC_NODE_IO_THREADS,
            "libzmq's I/O threads are not split");
    CHECK (n.node->link_count == 1);
    zsock_t *peer_side [] = { n.node->peer_router, n.node->hb_rep, n.node->links [0].dealer };
    for (size_t i = 0; i < 3; i++)
        CHECKF (zsock_affinity (peer_side [i]) == ZC_NODE_AFFINITY_PEERS
                && zsock_tos (peer_side [i]) == ZC_NODE_TOS_PEERS,
                "peer-side socket %zu: affinity %d, tos %d", i, zsock_affinity (peer_side [i]),
                zsock_tos (peer_side [i]));
    zsock_t *client_side [] = { n.node->client_router, n.node->pub };
    for (size_t i = 0; i < 2; i++)
        CHECKF (zsock_affinity (client_side [i]) == ZC_NODE_AFFINITY_CLIENTS
                && zsock_tos (client_side [i]) == 0,
                "client-side socket %zu: affinity %d, tos %d", i,
                zsock_affinity (client_side [i]), zsock_tos (client_side [i]));
    //  And it serves on both: a client's STATUS is answered
    zsock_t *dealer = s_dealer (&n);
    zc_msg_t status, reply;
    zc_msg_init (&status, ZC_STATUS);
    s_send (dealer, &status);
    zmsg_t *frames = NULL;
    CHECKF (s_recv (dealer, &reply, &frames) && reply.type == ZC_STATUS_REPLY,
            "no STATUS reply with the threads split");
    zmsg_destroy (&frames);
    zsock_destroy (&dealer);
    s_stop (&n);
}

int
main (void)
{
    zsys_init ();
    test_rules ();
    test_fetch ();
    test_rate ();
    test_clients ();
    test_secure ();
    test_priority ();
    return check_report ("test_node_client");
}
