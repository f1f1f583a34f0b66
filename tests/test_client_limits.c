/*  test_client_limits.c — the client against a leader that enforces
    limits: "limit" drops that one message and the stream goes on;
    "slow_down" holds the whole stream for retry_ms (no resend, no HELLO
    round meanwhile), then resends in order, with one notice per burst.

    The leader is a fake in a thread (ROUTER + PUB on free 127.0.0.1
    ports), so that the client's reaction is tested alone, the node's
    rules being the node's tests'.  It acknowledges every POST except
    id 2 and 6 (refused for good; after 6 it asks for 6 again) and id 3 at first (slow down for HOLD_MS,
    and so is every POST while that hold runs); or, as a leader whose
    dedup cannot skip a refused id, "expected 2" for every POST after 2.
*/
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>

#include "client.h"
#include "testutil.h"
#include "wire.h"

#define HOLD_MS   700               //  the fake's retry_ms
#define RETRY_MS  100               //  the client's: a hold is several of them

typedef struct {
    zsock_t *router, *pub;
    int port, pub_port;
    atomic_bool stop;
    bool no_skip;                   //  a leader that does not skip refused ids:
                                    //  after 2, "expected 2" for every later one
    //  what the fake saw
    int64_t slowed_at;              //  the first slow_down, 0 = none yet
    int posts_in_hold;              //  POSTs that came while the hold ran
    int hellos_in_hold;             //  HELLOs that came while the hold ran
    int64_t resent_at;              //  first POST after the hold
} s_fake_t;

static void
s_reply (s_fake_t *fake, zframe_t *identity, const zc_msg_t *msg)
{
    uint8_t buf [1024];
    size_t size = zc_msg_encode (msg, buf, sizeof (buf));
    assert (size);
    zframe_send (&identity, fake->router, ZFRAME_MORE | ZFRAME_REUSE);
    zmq_send (zsock_resolve (fake->router), buf, size, 0);
}

static void
s_on_request (s_fake_t *fake, zframe_t *identity, const zc_msg_t *req, int64_t now)
{
    zc_msg_t msg;
    if (req->type == ZC_HELLO) {
        if (fake->slowed_at && now < fake->slowed_at + HOLD_MS)
            fake->hellos_in_hold++;
        zc_msg_init (&msg, ZC_WELCOME);
        zc_msg_set_u64 (&msg, ZF_NODE, 1);
        zc_msg_set_u64 (&msg, ZF_LEADER, 1);
        zc_msg_set_u64 (&msg, ZF_EPOCH, 1);
        zc_msg_set_u64 (&msg, ZF_PORT, (uint64_t) fake->port);
        zc_msg_set_u64 (&msg, ZF_PUB_PORT, (uint64_t) fake->pub_port);
        zc_msg_set_cstr (&msg, ZF_ROLE, "leader");
        zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 0);
        zc_msg_set_u64 (&msg, ZF_SEQ, 0);
        zc_msg_set_u64 (&msg, ZF_RSEQ, 0);
        s_reply (fake, identity, &msg);
        return;
    }
    if (req->type != ZC_POST)
        return;
    bool held = fake->slowed_at && now < fake->slowed_at + HOLD_MS;
    if (held)
        fake->posts_in_hold++;
    else
    if (fake->slowed_at && !fake->resent_at)
        fake->resent_at = now;
    zc_msg_init (&msg, ZC_ERROR);
    zc_msg_set_str (&msg, ZF_CLIENT, req->client.ptr, req->client.len);
    zc_msg_set_u64 (&msg, ZF_ID, req->id);
    zc_msg_set_u64 (&msg, ZF_NODE, 1);
    if ((fake->no_skip && req->id > 2) || req->id > 6) {
        zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_EXPECTED);
        zc_msg_set_u64 (&msg, ZF_EXPECTED, fake->no_skip? 2: 6);
    }
    else
    if (req->id == 2 || req->id == 6) {
        zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_LIMIT);
        zc_msg_set_cstr (&msg, ZF_REASON, "text longer than 8 bytes");
    }
    else
    if ((req->id == 3 && !fake->slowed_at) || held) {
        if (!fake->slowed_at)
            fake->slowed_at = now;
        zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_SLOW_DOWN);
        zc_msg_set_cstr (&msg, ZF_REASON, "too many messages");
        zc_msg_set_u64 (&msg, ZF_RETRY_MS, (uint64_t) (fake->slowed_at + HOLD_MS - now));
    }
    else {
        zc_msg_init (&msg, ZC_ACK);
        zc_msg_set_str (&msg, ZF_CLIENT, req->client.ptr, req->client.len);
        zc_msg_set_u64 (&msg, ZF_ID, req->id);
        zc_msg_set_u64 (&msg, ZF_SEQ, req->id);
        zc_msg_set_u64 (&msg, ZF_TS, req->ts + 1);
        zc_msg_set_u64 (&msg, ZF_EPOCH, 1);
        zc_msg_set_u64 (&msg, ZF_NODE, 1);
    }
    s_reply (fake, identity, &msg);
}

static void *
s_fake_run (void *arg)
{
    s_fake_t *fake = (s_fake_t *) arg;
    zpoller_t *poller = zpoller_new (fake->router, NULL);
    while (!atomic_load (&fake->stop)) {
        if (!zpoller_wait (poller, 20))
            continue;
        zmsg_t *request = zmsg_recv (fake->router);
        if (!request)
            break;
        zframe_t *identity = zmsg_first (request);
        zframe_t *body = zmsg_next (request);
        zc_msg_t req;
        if (body && zc_msg_decode (&req, zframe_data (body), zframe_size (body), NULL) == 0)
            s_on_request (fake, identity, &req, zclock_mono ());
        zmsg_destroy (&request);
    }
    zpoller_destroy (&poller);
    return NULL;
}

static void
s_fake_start (s_fake_t *fake, pthread_t *thread)
{
    fake->router = zsock_new (ZMQ_ROUTER);
    fake->pub = zsock_new (ZMQ_PUB);
    fake->port = zsock_bind (fake->router, "tcp://127.0.0.1:*");
    fake->pub_port = zsock_bind (fake->pub, "tcp://127.0.0.1:*");
    CHECK (fake->port > 0 && fake->pub_port > 0);
    pthread_create (thread, NULL, s_fake_run, fake);
}

static void
s_fake_stop (s_fake_t *fake, pthread_t thread)
{
    atomic_store (&fake->stop, true);
    pthread_join (thread, NULL);
    zsock_destroy (&fake->router);
    zsock_destroy (&fake->pub);
}

static zc_client_t *
s_client (s_fake_t *fake)
{
    char servers [64], err [256];
    snprintf (servers, sizeof (servers), "127.0.0.1:%d", fake->port);
    zc_client_config_t cfg = { .servers = servers, .room = "limits", .name = "t",
                               .retry_ms = RETRY_MS };
    zc_client_t *client = zc_client_new (&cfg, err, sizeof (err));
    CHECKF (client, "%s", err);
    //  Wait for the leader, so that the posts go out back to back
    zc_event_t ev;
    int64_t deadline = zclock_mono () + 5000;
    while (client && !zc_client_leader (client) && zclock_mono () < deadline)
        zc_client_wait (client, 50, -1, &ev);
    CHECK (client && zc_client_leader (client) == 1);
    return client;
}

//  A leader whose dedup cannot skip a refused id asks for it again for
//  every later message: those are refused at once, not after a timeout
static void
test_limit_without_skip (void)
{
    s_fake_t fake = { .no_skip = true };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    zc_client_t *client = s_client (&fake);
    for (int i = 1; i <= 4; i++)
        CHECK (zc_client_post (client, "hello", NULL) == (uint64_t) i);
    bool acked [5] = { false }, refused [5] = { false };
    zc_event_t ev;
    int64_t start = zclock_mono ();
    while (zclock_mono () < start + 10000) {
        int got = zc_client_wait (client, zc_client_unacked (client)? 100: 0, -1, &ev);
        if (got != 1 && !zc_client_unacked (client))
            break;
        if (got == 1 && ev.type == ZC_EV_ACK && ev.id <= 4)
            acked [ev.id] = true;
        if (got == 1 && ev.type == ZC_EV_REFUSED && ev.id <= 4)
            refused [ev.id] = true;
    }
    CHECK (zc_client_unacked (client) == 0);
    CHECKF (zclock_mono () - start < 2000, "%" PRId64 " ms", zclock_mono () - start);
    CHECK (acked [1] && !refused [1]);
    CHECK (refused [2] && refused [3] && refused [4]);
    CHECK (!acked [2] && !acked [3] && !acked [4]);
    CHECK (zc_client_refused (client) == 3);
    //  and so is the next one
    CHECK (zc_client_post (client, "later", NULL) == 5);
    bool later = false;
    while (!later && zclock_mono () < start + 10000)
        if (zc_client_wait (client, 100, -1, &ev) == 1 && ev.type == ZC_EV_REFUSED)
            later = ev.id == 5;
    CHECK (later && zc_client_unacked (client) == 0);
    zc_client_destroy (&client);
    s_fake_stop (&fake, thread);
}

static void
test_limit_and_slow_down (void)
{
    s_fake_t fake = { 0 };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    zc_client_t *client = s_client (&fake);
    zc_event_t ev;
    int64_t deadline;
    for (int i = 1; i <= 4; i++)
        CHECK (zc_client_post (client, "hello", NULL) == (uint64_t) i);

    bool acked [5] = { false }, refused [5] = { false };
    int slow_notices = 0, other = 0;
    deadline = zclock_mono () + 10000;
    //  Until nothing is pending, then the events still queued
    while (zclock_mono () < deadline) {
        int got = zc_client_wait (client, zc_client_unacked (client)? 100: 0, -1, &ev);
        if (got != 1 && !zc_client_unacked (client))
            break;
        if (got != 1)
            continue;
        if (ev.type == ZC_EV_ACK && ev.id <= 4)
            acked [ev.id] = true;
        else
        if (ev.type == ZC_EV_REFUSED && ev.id <= 4) {
            refused [ev.id] = true;
            CHECKF (strstr (ev.text, "text longer than 8 bytes"), "%s", ev.text);
        }
        else
        if (ev.type == ZC_EV_NOTICE && strstr (ev.text, "slow down"))
            slow_notices++;
        else
        if (ev.type == ZC_EV_NOTICE)
            other++;
    }
    CHECK (zc_client_unacked (client) == 0);
    CHECK (acked [1] && !acked [2] && acked [3] && acked [4]);
    CHECK (refused [2] && !refused [1] && !refused [3] && !refused [4]);
    CHECK (zc_client_refused (client) == 1);
    //  3 and 4 were both slowed: one burst, one notice
    CHECKF (zc_client_slowed (client) >= 2, "%" PRIu64, zc_client_slowed (client));
    CHECKF (slow_notices == 1, "%d", slow_notices);
    CHECKF (other == 0, "%d", other);
    //  The hold is kept: nothing is resent while it runs, no HELLO round
    //  (the retry timer, RETRY_MS, waits for the hold), and the stream
    //  goes again once it is over
    CHECKF (fake.posts_in_hold <= 1, "%d", fake.posts_in_hold);     //  4, if it crossed 3's refusal
    CHECKF (fake.hellos_in_hold <= 1, "%d", fake.hellos_in_hold);
    CHECK (fake.slowed_at && fake.resent_at >= fake.slowed_at + HOLD_MS);
    CHECKF (fake.resent_at < fake.slowed_at + HOLD_MS + 500, "%" PRId64,
            fake.resent_at - fake.slowed_at);


    //  Later, a refusal by a leader that does not skip it (6, then
    //  "expected 6"): the first refusal since an ACK above it is the one
    //  asked for, not the one of long ago
    for (int i = 5; i <= 7; i++)
        CHECK (zc_client_post (client, "hello", NULL) == (uint64_t) i);
    memset (acked, 0, sizeof (acked));
    bool later [8] = { false };
    int64_t start = zclock_mono ();
    while (zclock_mono () < start + 5000) {
        int got = zc_client_wait (client, zc_client_unacked (client)? 100: 0, -1, &ev);
        if (got != 1 && !zc_client_unacked (client))
            break;
        if (got == 1 && ev.type == ZC_EV_REFUSED && ev.id <= 7)
            later [ev.id] = true;
    }
    CHECK (later [6] && later [7] && !later [5]);
    CHECKF (zclock_mono () - start < 2000, "%" PRId64 " ms", zclock_mono () - start);
    zc_client_destroy (&client);
    s_fake_stop (&fake, thread);
}

int
main (void)
{
    test_limit_and_slow_down ();
    test_limit_without_skip ();
    return check_report ("test_client_limits");
}
