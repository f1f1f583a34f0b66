/*  zchat-relay-junk — a hostile neighbour of chat-relay, for
    tests/cluster/test_relay_hostile.sh: bad frames must be counted
    drops, never a crash, and never reach a listener.

    zchat-relay-junk pub tcp://127.0.0.1:PORT K
        An upstream "relay" (an XPUB, as chat-relay's): waits (20 s at
        most) for a subscription to alpha, then K rounds, 20 ms apart, of:
        chat rseq=i of alpha twice (two frames), then junk — a lone frame,
        three frames, a body that is not msgpack, a chat map of beta under
        the topic alpha, a beacon under alpha, an empty body, a topic that
        is no room ("alpha x"), a beacon topic with junk.  Then it stays 2 s and exits.
    zchat-relay-junk subs tcp://HOST:PORT
        A listener's XSUB that sends chat-relay junk subscriptions: empty
        frames, a first byte that is neither 0 nor 1, an over-long topic,
        an unsubscribe nobody holds, a two-frame message (libzmq takes
        its first frame for a subscribe to gamma: five of them, from one
        connection, which then goes: the relay must let gamma go); then
        exits.
*/
#include <czmq.h>

#include "wire.h"

static const char *s_client = "0123456789abcdef0123456789abcdef";

static size_t
s_chat (uint8_t *buf, size_t cap, const char *room, uint64_t rseq)
{
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, 1);
    zc_msg_set_u64 (&chat, ZF_SEQ, rseq);
    zc_msg_set_u64 (&chat, ZF_RSEQ, rseq);
    zc_msg_set_u64 (&chat, ZF_TS, rseq);
    zc_msg_set_cstr (&chat, ZF_ROOM, room);
    zc_msg_set_cstr (&chat, ZF_FROM, "junk");
    zc_msg_set_cstr (&chat, ZF_CLIENT, s_client);
    zc_msg_set_u64 (&chat, ZF_ID, rseq);
    zc_msg_set_cstr (&chat, ZF_TEXT, "hello");
    return zc_msg_encode (&chat, buf, cap);
}

static void
s_send (void *sock, const char *topic, const void *body, size_t size, bool extra)
{
    zmq_send (sock, topic, strlen (topic), ZMQ_SNDMORE);
    zmq_send (sock, body, size, extra? ZMQ_SNDMORE: 0);
    if (extra)
        zmq_send (sock, "x", 1, 0);
}

static int
s_pub (const char *endpoint, int rounds)
{
    zsock_t *xpub = zsock_new (ZMQ_XPUB);
    if (!xpub || zsock_bind (xpub, "%s", endpoint) < 0) {
        fprintf (stderr, "zchat-relay-junk: cannot bind %s\n", endpoint);
        return 2;
    }
    void *sock = zsock_resolve (xpub);
    int64_t deadline = zclock_mono () + 20000;
    bool subscribed = false;
    while (!subscribed && zclock_mono () < deadline) {
        zmq_pollitem_t item = { sock, -1, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        zframe_t *frame = zframe_recv (xpub);
        subscribed = frame && zframe_size (frame) == 6 && memcmp (zframe_data (frame), "\001alpha", 6) == 0;
        zframe_destroy (&frame);
    }
    if (!subscribed) {
        fprintf (stderr, "zchat-relay-junk: nobody subscribed to alpha\n");
        return 1;
    }
    uint8_t buf [1024], beacon [256];
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_BEACON);
    zc_msg_set_u64 (&msg, ZF_NODE, 1);
    zc_msg_set_u64 (&msg, ZF_EPOCH, 1);
    zc_msg_set_u64 (&msg, ZF_LEADER, 1);
    zc_msg_set_u64 (&msg, ZF_COMMIT, 1);
    size_t beacon_size = zc_msg_encode (&msg, beacon, sizeof (beacon));
    for (int i = 1; i <= rounds; i++) {
        size_t size = s_chat (buf, sizeof (buf), "alpha", (uint64_t) i);
        s_send (sock, "alpha", buf, size, false);
        s_send (sock, "alpha", buf, size, false);           //  a repeat
        zmq_send (sock, "alpha", 5, 0);                     //  a lone frame
        s_send (sock, "alpha", buf, size, true);            //  three frames
        s_send (sock, "alpha", "\xc1\xc1\xc1", 3, false);   //  not msgpack
        size = s_chat (buf, sizeof (buf), "beta", (uint64_t) i);
        s_send (sock, "alpha", buf, size, false);           //  beta under alpha
        s_send (sock, "alpha", beacon, beacon_size, false); //  a beacon under alpha
        s_send (sock, "alpha", "", 0, false);               //  empty
        s_send (sock, "alpha x", buf, size, false);         //  a topic that is no room
        s_send (sock, ZC_BEACON_TOPIC, "\xc1", 1, false);   //  a junk beacon
        zclock_sleep (20);
    }
    zclock_sleep (2000);
    zsock_destroy (&xpub);
    return 0;
}

static int
s_subs (const char *endpoint)
{
    zsock_t *xsub = zsock_new (ZMQ_XSUB);
    if (!xsub || zsock_connect (xsub, "%s", endpoint)) {
        fprintf (stderr, "zchat-relay-junk: cannot connect to %s\n", endpoint);
        return 2;
    }
    zclock_sleep (300);                 //  connected before the junk
    void *sock = zsock_resolve (xsub);
    char longtopic [200];
    longtopic [0] = 1;
    memset (longtopic + 1, 'a', sizeof (longtopic) - 1);
    for (int i = 0; i < 5; i++) {
        zmq_send (sock, "", 0, 0);                          //  empty
        zmq_send (sock, "\005alpha", 6, 0);                 //  neither 0 nor 1
        zmq_send (sock, longtopic, sizeof (longtopic), 0);  //  over ZC_MAX_ROOM
        zmq_send (sock, "\000nobody", 7, 0);                //  never subscribed
        zmq_send (sock, "\001gamma", 6, ZMQ_SNDMORE);       //  two frames
        zmq_send (sock, "x", 1, 0);
    }
    zclock_sleep (500);
    zsock_destroy (&xsub);
    return 0;
}

int
main (int argc, char **argv)
{
    zsys_init ();
    if (argc == 4 && streq (argv [1], "pub"))
        return s_pub (argv [2], atoi (argv [3]));
    if (argc == 3 && streq (argv [1], "subs"))
        return s_subs (argv [2]);
    fprintf (stderr, "usage: zchat-relay-junk pub ENDPOINT K | subs ENDPOINT\n");
    return 2;
}
