/*  client_monitor.c — see client_monitor.h. */
#include "client_monitor.h"

#include <errno.h>
#include <stdatomic.h>

zsock_t *
zc_monitor_new (void *sock)
{
    //  One inproc name per monitor in the process (clients may live in
    //  several threads: the counter is atomic)
    static atomic_uint counter;
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "inproc://zc-monitor-%d-%u",
              (int) getpid (), atomic_fetch_add (&counter, 1));
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint,
                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
        return NULL;
    zsock_t *pipe = zsock_new (ZMQ_PAIR);
    if (pipe && zsock_connect (pipe, "%s", endpoint)) {
        zsock_destroy (&pipe);
        zmq_socket_monitor (zsock_resolve (sock), NULL, 0);
    }
    return pipe;
}

int
zc_monitor_read (zsock_t *pipe, uint32_t *event, uint32_t *value, char *endpoint, size_t cap)
{
    void *handle = zsock_resolve (pipe);
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&frame);
        return -1;
    }
    //  Frame 1: event (16 bits) and value (32 bits), host order; frame 2:
    //  the endpoint (zmq_socket_monitor(3))
    bool ok = zmq_msg_size (&frame) == 6 && zmq_msg_more (&frame);
    if (ok) {
        const uint8_t *data = (const uint8_t *) zmq_msg_data (&frame);
        uint16_t ev16;
        memcpy (&ev16, data, 2);
        memcpy (value, data + 2, 4);
        *event = ev16;
    }
    bool more = zmq_msg_more (&frame);
    zmq_msg_close (&frame);
    if (cap)
        endpoint [0] = 0;
    while (more) {
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&frame);
            break;
        }
        more = zmq_msg_more (&frame);
        size_t size = zmq_msg_size (&frame);
        if (cap && !endpoint [0]) {
            if (size >= cap)
                size = cap - 1;
            memcpy (endpoint, zmq_msg_data (&frame), size);
            endpoint [size] = 0;
        }
        zmq_msg_close (&frame);
    }
    if (!ok)
        *event = *value = 0;        //  not an event we understand: ignored
    return 0;
}

//  The peer closed the connection (libzmq reports an orderly close on
//  read as EPIPE), as opposed to a handshake that timed out
static bool
s_closed (uint32_t value)
{
    return value == EPIPE || value == ECONNRESET;
}

int
zc_handshake_explain (uint32_t event, uint32_t value, bool curve, bool ephemeral,
                      char *why, size_t cap)
{
    int kind = 0;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
    &&  value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
        kind = ZC_HS_MISMATCH;
        snprintf (why, cap, curve
                  ? "it does not speak CURVE (a node without --keys): drop --keys,"
                    " or start the cluster with keys"
                  : "it speaks CURVE (the cluster runs with --keys):"
                    " run with --keys DIR (a folder with server.cert)");
    }
    else
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        kind = ZC_HS_AUTH;
        snprintf (why, cap, ephemeral
                  ? "it refused our key (ZAP status %u): the cluster accepts only"
                    " known clients; use a folder with a client.cert from chat-keygen"
                  : "it refused our key (ZAP status %u): client.cert is not one of"
                    " the cluster's allowed clients (its clients/ folder)", value);
    }
    else
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL && s_closed (value) && !curve) {
        //  A plaintext node never drops a NULL handshake; a CURVE one
        //  does, and our write may fail (EPIPE) before its greeting,
        //  which would say "mismatch", is read
        kind = ZC_HS_MISMATCH;
        snprintf (why, cap, "it closed the connection in the handshake (%s): it probably"
                  " speaks CURVE (the cluster runs with --keys): run with --keys DIR",
                  zmq_strerror ((int) value));
    }
    else
    if ((event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL && s_closed (value))
    ||  (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
         && (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC
         ||  value == ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE))) {
        //  A CURVE server that cannot open our HELLO (it was sealed for
        //  another server key) just closes the connection: no detail here.
        //  A plaintext node closes too (a "mismatch" may follow)
        kind = ZC_HS_KEY;
        snprintf (why, cap, "the CURVE handshake failed: most likely server.cert"
                  " is not this cluster's server key (or the node runs without --keys)");
    }
    else
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
        //  Not closed by the peer: the handshake timed out (ZMQ_HANDSHAKE_IVL),
        //  a node that is frozen, or a port that is not a zchat node's
        kind = ZC_HS_OTHER;
        snprintf (why, cap, "the handshake did not complete (%s): the node may be frozen,"
                  " or this is not a zchat port", zmq_strerror ((int) value));
    }
    else
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
        kind = ZC_HS_OTHER;
        snprintf (why, cap, "the handshake failed (ZMTP protocol error 0x%08x)", value);
    }
    else
    if (cap)
        why [0] = 0;
    return kind;
}
