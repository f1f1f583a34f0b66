/*  baseline_zmq.c — the ZeroMQ helpers pubsub and pipeline share (the
    clients' context, sockets, a publisher that waits at its HWM), and
    the pubsub mode: an XPUB per sender -> a SUB per subscriber, each SUB
    connected to every XPUB.  What ZeroMQ alone can do.  See baseline.h.
*/
#include "baseline.h"

#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

void *zb_zmq_ctx;

int
zb_zmq_start (const zb_opts_t *opts, char *err, size_t size)
{
    (void) err;
    (void) size;
    zb_zmq_ctx = zmq_ctx_new ();
    zmq_ctx_set (zb_zmq_ctx, ZMQ_IO_THREADS, (int) opts->io_threads);
    return 0;
}

void
zb_zmq_stop (void)
{
    if (zb_zmq_ctx)
        zmq_ctx_term (zb_zmq_ctx);
}

int
zb_zmq_int (void *sock, int option, int value)
{
    return zmq_setsockopt (sock, option, &value, sizeof (value));
}

//  A socket with these HWMs (0: none) and no linger; options are set
//  before bind/connect, as libzmq copies them into each connection then
void *
zb_zmq_socket (void *ctx, int type, int sndhwm, int rcvhwm)
{
    void *sock = zmq_socket (ctx, type);
    if (sock) {
        zb_zmq_int (sock, ZMQ_SNDHWM, sndhwm);
        zb_zmq_int (sock, ZMQ_RCVHWM, rcvhwm);
        zb_zmq_int (sock, ZMQ_LINGER, 0);
    }
    return sock;
}

//  An XPUB that waits at the HWM instead of dropping (unless --drop); the
//  send timeout lets a waiting publisher see a second Ctrl+C
void *
zb_zmq_publisher (void *ctx, const zb_opts_t *opts, char *endpoint, size_t size)
{
    void *sock = zb_zmq_socket (ctx, ZMQ_XPUB, (int) opts->hwm, 0);
    if (!sock)
        return NULL;
    zb_zmq_int (sock, ZMQ_XPUB_NODROP, !opts->drop);
    zb_zmq_int (sock, ZMQ_SNDTIMEO, 100);
    if (zmq_bind (sock, "tcp://127.0.0.1:*")
    ||  zmq_getsockopt (sock, ZMQ_LAST_ENDPOINT, endpoint, &size)) {
        zmq_close (sock);
        return NULL;
    }
    return sock;
}

int
zb_zmq_send (void *sock, const void *data, size_t len, int flags)
{
    while (zmq_send (sock, data, len, flags) < 0)
        if ((errno != EAGAIN && errno != EINTR) || zb_stop >= 2)
            return -1;
    return 0;
}

int
zb_no_flush (zb_sender_t *self)
{
    (void) self;
    return 0;
}

void *
zb_zmq_subscriber (const zb_opts_t *opts, const char *topic)
{
    void *sock = zb_zmq_socket (zb_zmq_ctx, ZMQ_SUB, 0, (int) opts->hwm);
    if (sock) {
        zb_zmq_int (sock, ZMQ_RCVTIMEO, ZB_WAIT_MS);
        zmq_setsockopt (sock, ZMQ_SUBSCRIBE, topic, strlen (topic));
    }
    return sock;
}

//  --------------------------------------------------------------------------
//  pubsub: XPUB per sender -> SUB per subscriber

static int
s_pubsub_sender_open (zb_sender_t *self, char *err, size_t size)
{
    self->sock = zb_zmq_publisher (zb_zmq_ctx, self->opts, self->endpoint,
                                   sizeof (self->endpoint));
    if (!self->sock) {
        snprintf (err, size, "cannot bind an XPUB on 127.0.0.1: %s", zmq_strerror (errno));
        return -1;
    }
    return 0;
}

static int
s_pubsub_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    if (zb_zmq_send (self->sock, text, len, 0))
        return -1;
    if (n)
        self->confirmed = n;        //  nothing comes back: no window
    return 0;
}

//  Senders open first: zb_senders holds every XPUB's endpoint
static int
s_pubsub_sub_open (zb_sub_t *self, char *err, size_t size)
{
    self->sock = zb_zmq_subscriber (self->opts, "");
    for (uint32_t i = 0; self->sock && i < self->opts->senders; i++)
        if (zmq_connect (self->sock, zb_senders [i].endpoint)) {
            snprintf (err, size, "cannot connect to %s: %s", zb_senders [i].endpoint,
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
        zb_sub_payload (self, zmq_msg_data (&msg), zmq_msg_size (&msg));
    }
    zmq_msg_close (&msg);
    return 0;
}

const zb_ops_t zb_pubsub_ops = {
    "pubsub", false, NULL, s_pubsub_sender_open, s_pubsub_post, zb_no_flush, NULL, NULL,
    s_pubsub_sub_open, s_pubsub_sub_input, zb_zmq_start, zb_zmq_stop, NULL, NULL
};
