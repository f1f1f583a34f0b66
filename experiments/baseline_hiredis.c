/*  baseline_hiredis.c — the hiredis and redis-aof modes, through the
    Redis C client (Debian libhiredis-dev): commands appended with
    redisAppendCommandArgv (pipelined), written with redisBufferWrite
    once ZB_FLUSH_AT bytes are queued or the sender has nothing more to
    send, replies read with redisBufferRead / redisGetReplyFromReader
    when the connection is readable.

    hiredis: pub/sub, as the redis mode but through the library: the
    PUBLISH reply is the ACK.

    redis-aof: a durable Redis (run it with appendonly yes, appendfsync
    always and one replica).  PUBLISH is never written to the AOF (Redis
    only passes it to replicas), so the messages go to a stream: senders
    XADD, and a WAIT 1 0 after each batch written, one in flight per
    connection (Redis holds a client's later commands while its WAIT
    blocks: what is posted meanwhile is the next batch); the WAIT's reply
    is the ACK of every message of its batch (Redis answered each XADD
    after its fsync, and one replica has read them).  Subscribers read the
    stream with XREAD BLOCK from the start.  The stream (key --room) is
    deleted at the start and at the end.  See baseline.h.
*/
#include "baseline.h"

#include <hiredis.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZB_HR_READ      "1000"      //  redis-aof: XREAD COUNT

typedef struct {
    redisContext *c;
    uint64_t pings, replies;        //  hiredis: as in the redis mode
    bool short_fanout;
    size_t queued;                  //  bytes appended, not written yet
    uint64_t commands;              //  redis-aof: appended (replies counts theirs)
    uint64_t open_xadds;            //  XADDs since the last WAIT
    uint64_t appended_upto;         //  the last message appended
    uint64_t wait_at, wait_upto;    //  the WAIT in flight (its number; 0: none)
    uint64_t acked_upto;
    char last_id [64];              //  redis-aof subscribers: XREAD after it
} zb_hr_t;

static int
s_hr_connect (const zb_opts_t *opts, zb_hr_t **self_p, char *err, size_t size)
{
    zb_hr_t *self = *self_p = calloc (1, sizeof (zb_hr_t));
    if (!self)
        return -1;
    strcpy (self->last_id, "0-0");
    self->c = redisConnectWithTimeout ("127.0.0.1", opts->port, (struct timeval) { 5, 0 });
    if (!self->c || self->c->err) {
        snprintf (err, size, "cannot connect to 127.0.0.1:%d: %s", opts->port,
                  self->c? self->c->errstr: "out of memory");
        return -1;
    }
    //  The replies are read only once the connection is readable (poll),
    //  so a read never waits; a write may, which the server never makes long
    redisSetTimeout (self->c, (struct timeval) { 0, 0 });
    return 0;
}

static void
s_hr_destroy (zb_hr_t **self_p)
{
    zb_hr_t *self = *self_p;
    if (!self)
        return;
    if (self->c)
        redisFree (self->c);
    free (self);
    *self_p = NULL;
}

static void
s_hr_sender_close (zb_sender_t *self)
{
    s_hr_destroy ((zb_hr_t **) &self->ext);
    self->fd = -1;                  //  redisFree closed it
}

static void
s_hr_sub_close (zb_sub_t *self)
{
    s_hr_destroy ((zb_hr_t **) &self->ext);
}

//  One blocking command and its reply, which must be of type want
static int
s_hr_command (redisContext *c, int argc, const char **argv, int want, const char *what,
              long long *integer, char *err, size_t size)
{
    redisReply *r = redisCommandArgv (c, argc, argv, NULL);
    if (!r) {
        snprintf (err, size, "%s: %s (is a redis-server on that port?)", what, c->errstr);
        return -1;
    }
    int rc = r->type == want? 0: -1;
    if (rc)
        snprintf (err, size, "redis answered %s with %s", what,
                  r->type == REDIS_REPLY_ERROR? r->str: "an unexpected reply");
    if (integer)
        *integer = r->integer;
    freeReplyObject (r);
    return rc;
}

//  Writes all that is queued
static int
s_hr_write (zb_hr_t *self)
{
    int done = 0;
    do
        if (redisBufferWrite (self->c, &done) == REDIS_ERR)
            return -1;
    while (!done);
    self->queued = 0;
    return 0;
}

static int
s_hr_append (zb_hr_t *self, int argc, const char **argv, const size_t *lens)
{
    if (redisAppendCommandArgv (self->c, argc, argv, lens) != REDIS_OK)
        return -1;
    for (int i = 0; i < argc; i++)
        self->queued += lens [i] + 16;
    return 0;
}

//  Reads once (the caller saw the connection readable), then hands every
//  whole reply to on_reply.  0, or -1 if the connection failed.
static int
s_hr_read (zb_hr_t *self, void (*on_reply) (void *owner, redisReply *r), void *owner)
{
    if (redisBufferRead (self->c) != REDIS_OK)
        return -1;
    void *reply = NULL;
    while (redisGetReplyFromReader (self->c, &reply) == REDIS_OK && reply) {
        on_reply (owner, reply);
        freeReplyObject (reply);
        reply = NULL;
    }
    return self->c->err? -1: 0;
}

static int
s_hr_sender_open (zb_sender_t *self, char *err, size_t size)
{
    zb_hr_t *x;
    int rc = s_hr_connect (self->opts, &x, err, size);
    self->ext = x;
    if (rc == 0)
        rc = s_hr_command (x->c, 1, (const char *[]) { "PING" }, REDIS_REPLY_STATUS, "PING",
                           NULL, err, size);
    self->fd = rc == 0? x->c->fd: -1;
    return rc;
}

static int
s_hr_flush (zb_sender_t *self)
{
    zb_hr_t *x = self->ext;
    return x->queued? s_hr_write (x): 0;
}

//  --------------------------------------------------------------------------
//  hiredis: pub/sub

static int
s_hiredis_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    zb_hr_t *x = self->ext;
    const char *argv [3] = { "PUBLISH", self->opts->room, text };
    size_t lens [3] = { 7, strlen (self->opts->room), len };
    if (s_hr_append (x, 3, argv, lens))
        return -1;
    x->pings += n == 0;
    return x->queued >= ZB_FLUSH_AT? s_hr_write (x): 0;
}

//  As the redis mode: the first replies answer the pings, then reply k
//  (after them) answers message k; its integer is the subscribers reached
static void
s_hiredis_reply (void *owner, redisReply *r)
{
    zb_sender_t *self = owner;
    zb_hr_t *x = self->ext;
    x->replies++;
    if (r->type == REDIS_REPLY_ERROR)
        zb_notice (&self->notices, "sender", self->index, r->str, r->len);
    if (x->replies <= x->pings)
        return;
    uint64_t n = x->replies - x->pings;
    if (r->type == REDIS_REPLY_INTEGER) {
        zb_sender_ack (self, n);
        if (r->integer < (long long) self->opts->subscribers && !x->short_fanout) {
            x->short_fanout = true;
            char text [128];
            int len = snprintf (text, sizeof (text), "message %" PRIu64 " reached %lld of %u"
                                " subscribers", n, r->integer, self->opts->subscribers);
            zb_notice (&self->notices, "sender", self->index, text, (size_t) len);
        }
    }
    self->confirmed = n;
    self->progress_us = zb_now_us ();
}

static int
s_hiredis_input (zb_sender_t *self)
{
    return s_hr_read (self->ext, s_hiredis_reply, self);
}

static int
s_hiredis_sub_open (zb_sub_t *self, char *err, size_t size)
{
    zb_hr_t *x;
    int rc = s_hr_connect (self->opts, &x, err, size);
    self->ext = x;
    if (rc == 0)
        rc = s_hr_command (x->c, 2, (const char *[]) { "SUBSCRIBE", self->opts->room },
                           REDIS_REPLY_ARRAY, "SUBSCRIBE", NULL, err, size);
    return rc;
}

static void
s_hiredis_sub_reply (void *owner, redisReply *r)
{
    zb_sub_t *self = owner;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3
    &&  r->element [0]->type == REDIS_REPLY_STRING && strcmp (r->element [0]->str, "message") == 0
    &&  r->element [2]->type == REDIS_REPLY_STRING)
        zb_sub_payload (self, r->element [2]->str, r->element [2]->len);
    else
    if (r->type == REDIS_REPLY_ERROR)
        zb_notice (&self->notices, "subscriber", self->index, r->str, r->len);
}

//  Waits up to ZB_WAIT_MS; -1 once the server closed the connection
static int
s_hiredis_sub_input (zb_sub_t *self)
{
    zb_hr_t *x = self->ext;
    struct pollfd item = { x->c->fd, POLLIN, 0 };
    int ready = poll (&item, 1, ZB_WAIT_MS);
    if (ready <= 0)
        return 0;
    return s_hr_read (x, s_hiredis_sub_reply, self);
}

const zb_ops_t zb_hiredis_ops = {
    "hiredis", true, "it stopped, or cut off a subscriber that fell behind:"
    " client-output-buffer-limit pubsub",
    s_hr_sender_open, s_hiredis_post, s_hr_flush, s_hiredis_input, NULL,
    s_hiredis_sub_open, s_hiredis_sub_input, NULL, NULL,
    s_hr_sender_close, s_hr_sub_close
};

//  --------------------------------------------------------------------------
//  redis-aof: XADD, WAIT 1 0 per batch, XREAD BLOCK

static const zb_opts_t *s_aof_opts;

//  The stream starts empty, and a replica must be there (WAIT 1 0 would
//  wait for ever without one)
static int
s_aof_start (const zb_opts_t *opts, char *err, size_t size)
{
    zb_hr_t *x;
    long long replicas = 0;
    s_aof_opts = opts;
    int rc = s_hr_connect (opts, &x, err, size);
    if (rc == 0)
        rc = s_hr_command (x->c, 2, (const char *[]) { "DEL", opts->room }, REDIS_REPLY_INTEGER,
                           "DEL", NULL, err, size);
    if (rc == 0)
        rc = s_hr_command (x->c, 3, (const char *[]) { "WAIT", "1", "2000" },
                           REDIS_REPLY_INTEGER, "WAIT", &replicas, err, size);
    if (rc == 0 && replicas < 1) {
        snprintf (err, size, "redis-aof: no replica answered WAIT 1 2000 (start the server"
                  " with a replica: run_baselines.sh does)");
        rc = -1;
    }
    s_hr_destroy (&x);
    return rc;
}

static void
s_aof_stop (void)
{
    char err [256];
    zb_hr_t *x;
    if (s_hr_connect (s_aof_opts, &x, err, sizeof (err)) == 0)
        s_hr_command (x->c, 2, (const char *[]) { "DEL", s_aof_opts->room }, REDIS_REPLY_INTEGER,
                      "DEL", NULL, err, sizeof (err));
    s_hr_destroy (&x);
}

//  Ends the open batch with a WAIT that will ACK it: one WAIT in flight
//  per connection (Redis holds a client's later commands while its WAIT
//  blocks), so what is posted meanwhile makes the next batch
static int
s_aof_wait (zb_hr_t *x)
{
    if (x->open_xadds == 0 || x->wait_at)
        return 0;
    const char *argv [3] = { "WAIT", "1", "0" };
    size_t lens [3] = { 4, 1, 1 };
    if (s_hr_append (x, 3, argv, lens))
        return -1;
    x->wait_at = ++x->commands;
    x->wait_upto = x->appended_upto;
    x->open_xadds = 0;
    return 0;
}

static int
s_aof_flush (zb_sender_t *self)
{
    zb_hr_t *x = self->ext;
    if (s_aof_wait (x))
        return -1;
    return x->queued? s_hr_write (x): 0;
}

static int
s_aof_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    zb_hr_t *x = self->ext;
    const char *argv [5] = { "XADD", self->opts->room, "*", "d", text };
    size_t lens [5] = { 4, strlen (self->opts->room), 1, 1, len };
    if (s_hr_append (x, 5, argv, lens))
        return -1;
    x->commands++;
    x->open_xadds++;
    if (n)
        x->appended_upto = n;
    return x->queued >= ZB_FLUSH_AT? s_aof_flush (self): 0;
}

//  Replies come in the commands' order: the WAIT's (its number is
//  wait_at) ACKs its batch; the others are XADDs' (an id, or an error)
static void
s_aof_reply (void *owner, redisReply *r)
{
    zb_sender_t *self = owner;
    zb_hr_t *x = self->ext;
    if (r->type == REDIS_REPLY_ERROR)
        zb_notice (&self->notices, "sender", self->index, r->str, r->len);
    if (++x->replies != x->wait_at)
        return;
    if (r->type == REDIS_REPLY_INTEGER && r->integer < 1) {
        const char *text = "WAIT 1 0 answered 0 replicas";
        zb_notice (&self->notices, "sender", self->index, text, strlen (text));
    }
    else
    if (r->type == REDIS_REPLY_INTEGER)
        for (uint64_t n = x->acked_upto + 1; n <= x->wait_upto; n++)
            zb_sender_ack (self, n);
    if (x->wait_upto > x->acked_upto)
        x->acked_upto = x->wait_upto;
    self->confirmed = x->acked_upto;
    self->progress_us = zb_now_us ();
    x->wait_at = 0;
}

//  The replies; then the next batch's WAIT, if messages wait for one
static int
s_aof_input (zb_sender_t *self)
{
    zb_hr_t *x = self->ext;
    if (s_hr_read (x, s_aof_reply, self))
        return -1;
    return x->wait_at == 0 && x->open_xadds? s_aof_flush (self): 0;
}

static int
s_aof_sub_open (zb_sub_t *self, char *err, size_t size)
{
    zb_hr_t *x;
    int rc = s_hr_connect (self->opts, &x, err, size);
    self->ext = x;
    if (rc == 0)
        rc = s_hr_command (x->c, 1, (const char *[]) { "PING" }, REDIS_REPLY_STATUS, "PING",
                           NULL, err, size);
    return rc;
}

//  One XREAD: waits up to ZB_WAIT_MS in the server; -1 if the connection
//  failed
static int
s_aof_sub_input (zb_sub_t *self)
{
    zb_hr_t *x = self->ext;
    char block [16];
    snprintf (block, sizeof (block), "%d", ZB_WAIT_MS);
    const char *argv [] = { "XREAD", "COUNT", ZB_HR_READ, "BLOCK", block, "STREAMS",
                            self->opts->room, x->last_id };
    redisReply *r = redisCommandArgv (x->c, 8, argv, NULL);
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_ERROR)
        zb_notice (&self->notices, "subscriber", self->index, r->str, r->len);
    //  [[stream, [[id, [field, value]], ...]]]
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element [0]->elements == 2) {
        redisReply *entries = r->element [0]->element [1];
        for (size_t i = 0; i < entries->elements; i++) {
            redisReply *e = entries->element [i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element [1]->elements < 2)
                continue;
            snprintf (x->last_id, sizeof (x->last_id), "%s", e->element [0]->str);
            redisReply *value = e->element [1]->element [1];
            zb_sub_payload (self, value->str, value->len);
        }
    }
    freeReplyObject (r);
    return 0;
}

const zb_ops_t zb_redis_aof_ops = {
    "redis-aof", true, "it stopped",
    s_hr_sender_open, s_aof_post, s_aof_flush, s_aof_input, NULL,
    s_aof_sub_open, s_aof_sub_input, s_aof_start, s_aof_stop,
    s_hr_sender_close, s_hr_sub_close
};
