/*  baseline_cnats.c — the cnats and jetstream modes, through the NATS C
    client (Debian libnats-dev), used the way its documentation shows.

    cnats: NATS core.  Senders natsConnection_Publish (the library
    buffers and its flusher thread writes); NATS has no ACK, so a
    synchronous natsConnection_FlushTimeout (a PING and its PONG) after
    every --window messages bounds what is in flight.  Subscribers are
    synchronous subscriptions (natsSubscription_NextMsg).

    jetstream: senders js_PublishAsync on a stream of --replicas with
    file storage (made in start, deleted in stop); the ACK of a message
    is the stream's (the leader stored it and, with replicas, a quorum
    of the stream's peers has it).  The ACK handler runs in a cnats
    thread: it records the message number and the time under a lock and
    wakes the sender thread through an eventfd (self->fd), where the
    sender's poll sees it.  At most --window messages are unacknowledged
    (the library's own MaxPending is set above it, so it never stalls).
    Subscribers are ordered push consumers (ephemeral, in order, flow
    control and heartbeats by the library, no acks), read with
    natsSubscription_NextMsg.  See baseline.h.
*/
#include "baseline.h"

#include <nats/nats.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define ZB_CN_DRAIN     4096        //  messages taken per sub_input call

static char s_cn_urls [1024];
static char s_cn_stream [96];       //  jetstream: the stream's name
static natsConnection *s_cn_admin;  //  jetstream: makes and deletes it
static jsCtx *s_cn_admin_js;

typedef struct {
    uint64_t n;
    int64_t at;                     //  -1: a negative ACK
} zb_cn_ack_t;

typedef struct {
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *sub;          //  subscribers
    pthread_mutex_t lock;           //  jetstream: the ACKs the handler queued
    zb_cn_ack_t *acks, *taken;
    size_t count, cap, taken_cap;
    char error [160];               //  the first negative ACK's text
} zb_cn_t;

static int
s_cn_fail (char *err, size_t size, const char *what, natsStatus s, jsErrCode jerr)
{
    snprintf (err, size, "%s: %s%s (%s)", what, natsStatus_GetText (s),
              jerr? ", JetStream error": "", nats_GetLastError (NULL)? nats_GetLastError (NULL): "");
    return -1;
}

#define ZB_CN_SERVERS   16

//  s_cn_urls, comma-separated, into natsOptions_SetServers (the library
//  connects to one of them, chosen at random)
static natsStatus
s_cn_servers (natsOptions *o)
{
    char copy [sizeof (s_cn_urls)], *save = NULL;
    const char *servers [ZB_CN_SERVERS];
    int count = 0;
    snprintf (copy, sizeof (copy), "%s", s_cn_urls);
    for (char *url = strtok_r (copy, ",", &save); url && count < ZB_CN_SERVERS;
         url = strtok_r (NULL, ",", &save))
        servers [count++] = url;
    return count? natsOptions_SetServers (o, servers, count): NATS_INVALID_ARG;
}

static int
s_cn_connect (natsConnection **nc, char *err, size_t size)
{
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create (&o);
    if (s == NATS_OK)
        s = s_cn_servers (o);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout (o, 5000);
    if (s == NATS_OK)
        s = natsOptions_SetAllowReconnect (o, false);
    if (s == NATS_OK)
        s = natsConnection_Connect (nc, o);
    natsOptions_Destroy (o);
    if (s != NATS_OK) {
        char what [1100];
        snprintf (what, sizeof (what), "cannot connect to %s (is a nats-server there?)", s_cn_urls);
        return s_cn_fail (err, size, what, s, 0);
    }
    return 0;
}

static zb_cn_t *
s_cn_new (void)
{
    zb_cn_t *self = calloc (1, sizeof (zb_cn_t));
    if (self)
        pthread_mutex_init (&self->lock, NULL);
    return self;
}

static void
s_cn_destroy (zb_cn_t **self_p)
{
    zb_cn_t *self = *self_p;
    if (!self)
        return;
    if (self->sub)
        natsSubscription_Destroy (self->sub);
    if (self->nc)
        natsConnection_Close (self->nc);    //  no handler runs after this
    jsCtx_Destroy (self->js);
    natsConnection_Destroy (self->nc);
    pthread_mutex_destroy (&self->lock);
    free (self->acks);
    free (self->taken);
    free (self);
    *self_p = NULL;
}

static int
s_cn_start (const zb_opts_t *opts, char *err, size_t size)
{
    if (opts->urls)
        snprintf (s_cn_urls, sizeof (s_cn_urls), "%s", opts->urls);
    else
        snprintf (s_cn_urls, sizeof (s_cn_urls), "nats://127.0.0.1:%d", opts->port);
    (void) err;
    (void) size;
    return 0;
}

static void
s_cn_stop (void)
{
    nats_Close ();
}

//  --------------------------------------------------------------------------
//  Subscribers: both modes

static int
s_cn_sub_input (zb_sub_t *self)
{
    zb_cn_t *x = self->ext;
    for (int i = 0; i < ZB_CN_DRAIN; i++) {
        natsMsg *m = NULL;
        natsStatus s = natsSubscription_NextMsg (&m, x->sub, i? 0: ZB_WAIT_MS);
        if (s == NATS_TIMEOUT)
            return 0;
        if (s == NATS_SLOW_CONSUMER) {
            const char *text = "the library dropped messages (slow consumer)";
            zb_notice (&self->notices, "subscriber", self->index, text, strlen (text));
            continue;
        }
        if (s != NATS_OK)
            return -1;
        zb_sub_payload (self, natsMsg_GetData (m), (size_t) natsMsg_GetDataLength (m));
        natsMsg_Destroy (m);
    }
    return 0;
}

static void
s_cn_sub_close (zb_sub_t *self)
{
    s_cn_destroy ((zb_cn_t **) &self->ext);
}

//  No limit on what the library holds for a subscriber: a slow one is
//  late, not dropped (what the server does to it is the server's)
static int
s_cn_sub_ready (zb_sub_t *self, natsStatus s, jsErrCode jerr, char *err, size_t size)
{
    zb_cn_t *x = self->ext;
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits (x->sub, -1, -1);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout (x->nc, 5000);
    return s == NATS_OK? 0: s_cn_fail (err, size, "subscribe", s, jerr);
}

//  --------------------------------------------------------------------------
//  cnats: NATS core

static int
s_cnats_sender_open (zb_sender_t *self, char *err, size_t size)
{
    zb_cn_t *x = self->ext = s_cn_new ();
    return x? s_cn_connect (&x->nc, err, size): -1;
}

static int
s_cnats_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    zb_cn_t *x = self->ext;
    if (natsConnection_Publish (x->nc, self->opts->room, text, (int) len) != NATS_OK)
        return -1;
    if (n && n % self->opts->window == 0) {
        if (natsConnection_FlushTimeout (x->nc, (int64_t) (self->opts->drain * 1000) + 1000)
                != NATS_OK)
            return -1;
        self->confirmed = n;
        self->progress_us = zb_now_us ();
    }
    return 0;
}

static int
s_cnats_finish (zb_sender_t *self)
{
    zb_cn_t *x = self->ext;
    if (natsConnection_FlushTimeout (x->nc, (int64_t) (self->opts->drain * 1000) + 1000)
            != NATS_OK)
        return -1;
    self->confirmed = self->posted;
    return 0;
}

static void
s_cn_sender_close (zb_sender_t *self)
{
    s_cn_destroy ((zb_cn_t **) &self->ext);
}

static int
s_cnats_sub_open (zb_sub_t *self, char *err, size_t size)
{
    zb_cn_t *x = self->ext = s_cn_new ();
    if (!x || s_cn_connect (&x->nc, err, size))
        return -1;
    natsStatus s = natsConnection_SubscribeSync (&x->sub, x->nc, self->opts->room);
    return s_cn_sub_ready (self, s, 0, err, size);
}

const zb_ops_t zb_cnats_ops = {
    "cnats", false, "it stopped, or cut off a slow consumer",
    s_cnats_sender_open, s_cnats_post, zb_no_flush, NULL, s_cnats_finish,
    s_cnats_sub_open, s_cn_sub_input, s_cn_start, s_cn_stop,
    s_cn_sender_close, s_cn_sub_close
};

//  --------------------------------------------------------------------------
//  jetstream: the stream

static int
s_js_start (const zb_opts_t *opts, char *err, size_t size)
{
    s_cn_start (opts, err, size);
    snprintf (s_cn_stream, sizeof (s_cn_stream), "ZB_%s", opts->room);
    for (char *p = s_cn_stream; *p; p++)
        if (*p == '.' || *p == '-')
            *p = '_';
    if (s_cn_connect (&s_cn_admin, err, size))
        return -1;
    jsErrCode jerr = 0;
    natsStatus s = natsConnection_JetStream (&s_cn_admin_js, s_cn_admin, NULL);
    if (s != NATS_OK)
        return s_cn_fail (err, size, "JetStream context", s, 0);
    js_DeleteStream (s_cn_admin_js, s_cn_stream, NULL, NULL);     //  an earlier run's
    const char *subjects [1] = { opts->room };
    jsStreamConfig cfg;
    jsStreamConfig_Init (&cfg);
    cfg.Name = s_cn_stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = (int64_t) opts->replicas;
    jsStreamInfo *info = NULL;
    s = js_AddStream (&info, s_cn_admin_js, &cfg, NULL, &jerr);
    jsStreamInfo_Destroy (info);
    if (s != NATS_OK)
        return s_cn_fail (err, size, "js_AddStream (is JetStream on, with enough servers"
                          " for --replicas?)", s, jerr);
    return 0;
}

static void
s_js_stop (void)
{
    if (s_cn_admin_js)
        js_DeleteStream (s_cn_admin_js, s_cn_stream, NULL, NULL);
    jsCtx_Destroy (s_cn_admin_js);
    natsConnection_Destroy (s_cn_admin);
    s_cn_admin_js = NULL;
    s_cn_admin = NULL;
    nats_Close ();
}

//  --------------------------------------------------------------------------
//  jetstream: senders

//  In a cnats thread: queue the ACK for the sender thread and wake it
static void
s_js_on_ack (jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void) js;
    (void) pa;
    zb_sender_t *self = closure;
    zb_cn_t *x = self->ext;
    int64_t now = zb_now_us ();
    uint64_t n = zb_payload_number (natsMsg_GetData (msg), (size_t) natsMsg_GetDataLength (msg));
    natsMsg_Destroy (msg);
    if (n == 0)
        return;                     //  a ping's
    pthread_mutex_lock (&x->lock);
    if (x->count == x->cap) {
        size_t cap = x->cap? x->cap * 2: 4096;
        zb_cn_ack_t *acks = realloc (x->acks, cap * sizeof (zb_cn_ack_t));
        if (!acks) {
            pthread_mutex_unlock (&x->lock);
            return;                 //  counted as unconfirmed: the sender stalls
        }
        x->acks = acks;
        x->cap = cap;
    }
    x->acks [x->count++] = (zb_cn_ack_t) { n, pae? -1: now };
    if (pae && !*x->error)
        snprintf (x->error, sizeof (x->error), "negative ACK: %s (%d)",
                  pae->ErrText? pae->ErrText: natsStatus_GetText (pae->Err), (int) pae->ErrCode);
    pthread_mutex_unlock (&x->lock);
    uint64_t one = 1;
    if (write (self->fd, &one, sizeof (one)) < 0) {
        //  the counter is full: the sender is awake anyway
    }
}

static int
s_js_sender_open (zb_sender_t *self, char *err, size_t size)
{
    zb_cn_t *x = self->ext = s_cn_new ();
    if (!x)
        return -1;
    self->fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->fd < 0 || s_cn_connect (&x->nc, err, size))
        return -1;
    jsOptions jo;
    jsOptions_Init (&jo);
    jo.PublishAsync.MaxPending = (int64_t) self->opts->window * 2 + 64;
    jo.PublishAsync.AckHandler = s_js_on_ack;
    jo.PublishAsync.AckHandlerClosure = self;
    natsStatus s = natsConnection_JetStream (&x->js, x->nc, &jo);
    return s == NATS_OK? 0: s_cn_fail (err, size, "JetStream context", s, 0);
}

static int
s_js_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    (void) n;
    zb_cn_t *x = self->ext;
    return js_PublishAsync (x->js, self->opts->room, text, (int) len, NULL) == NATS_OK? 0: -1;
}

//  The ACKs the handler queued: taken under the lock, recorded after
static int
s_js_input (zb_sender_t *self)
{
    zb_cn_t *x = self->ext;
    uint64_t wakes;
    if (read (self->fd, &wakes, sizeof (wakes)) < 0) {
        //  EAGAIN: nothing new since the last read
    }
    pthread_mutex_lock (&x->lock);
    zb_cn_ack_t *acks = x->acks;
    size_t count = x->count, cap = x->cap;
    x->acks = x->taken;
    x->cap = x->taken_cap;
    x->count = 0;
    char error [160];
    snprintf (error, sizeof (error), "%s", x->error);
    *x->error = 0;
    pthread_mutex_unlock (&x->lock);
    x->taken = acks;
    x->taken_cap = cap;
    for (size_t i = 0; i < count; i++) {
        if (acks [i].at >= 0)
            zb_sender_ack_at (self, acks [i].n, acks [i].at);
        self->confirmed++;          //  a negative ACK ends its wait too
    }
    if (*error)
        zb_notice (&self->notices, "sender", self->index, error, strlen (error));
    if (count)
        self->progress_us = zb_now_us ();
    return 0;
}

static int
s_js_sub_open (zb_sub_t *self, char *err, size_t size)
{
    zb_cn_t *x = self->ext = s_cn_new ();
    if (!x || s_cn_connect (&x->nc, err, size))
        return -1;
    natsStatus s = natsConnection_JetStream (&x->js, x->nc, NULL);
    if (s != NATS_OK)
        return s_cn_fail (err, size, "JetStream context", s, 0);
    jsSubOptions so;
    jsSubOptions_Init (&so);
    so.Ordered = true;
    jsErrCode jerr = 0;
    s = js_SubscribeSync (&x->sub, x->js, self->opts->room, NULL, &so, &jerr);
    return s_cn_sub_ready (self, s, jerr, err, size);
}

const zb_ops_t zb_jetstream_ops = {
    "jetstream", true, "it stopped, or the consumer failed",
    s_js_sender_open, s_js_post, zb_no_flush, s_js_input, NULL,
    s_js_sub_open, s_cn_sub_input, s_js_start, s_js_stop,
    s_cn_sender_close, s_cn_sub_close
};
