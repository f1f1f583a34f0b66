/*  baseline_redis.c — the redis mode: Redis pub/sub through a tiny RESP
    client of our own.  Senders pipeline PUBLISH commands and read the
    integer replies (our ACK: the reply also says how many subscribers
    got the message); subscribers SUBSCRIBE.  See baseline.h.
*/
#include "baseline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static char s_redis_prefix [128];           //  PUBLISH and the channel, in RESP
static size_t s_redis_prefix_len;

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
    if (r->type != '+' && r->type != '-' && !zb_parse_i64 (r->text, r->len, &r->integer))
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

//  One value at p into unit (a zb_resp_t): its bytes, 0 if incomplete,
//  -1 if bad (or nested arrays, which pub/sub does not send)
static long
s_resp_parse (const char *p, const char *end, void *unit)
{
    zb_resp_t *r = unit;
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

static int
s_redis_expect (int fd, zb_buf_t *in, char want, const char *what, char *err, size_t size)
{
    zb_resp_t r;
    if (zb_tcp_next (fd, in, s_resp_parse, &r)) {
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
s_redis_start (const zb_opts_t *opts, char *err, size_t size)
{
    (void) err;
    (void) size;
    int len = snprintf (s_redis_prefix, sizeof (s_redis_prefix),
                        "*3\r\n$7\r\nPUBLISH\r\n$%zu\r\n%s\r\n", strlen (opts->room), opts->room);
    s_redis_prefix_len = (size_t) len;
    return 0;
}

//  --------------------------------------------------------------------------
//  Senders: PUBLISH, pipelined

static int
s_redis_sender_open (zb_sender_t *self, char *err, size_t size)
{
    self->fd = zb_tcp_connect (self->opts, &self->in, err, size);
    if (self->fd < 0 || zb_buf_init (&self->out, 2 * ZB_FLUSH_AT))
        return -1;
    if (zb_write_all (self->fd, "PING\r\n", 6)
    ||  s_redis_expect (self->fd, &self->in, '+', "PING", err, size))
        return -1;
    return 0;
}

static int
s_redis_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    char head [32];
    int head_len = snprintf (head, sizeof (head), "$%zu\r\n", len);
    if (zb_buf_add (&self->out, s_redis_prefix, s_redis_prefix_len)
    ||  zb_buf_add (&self->out, head, (size_t) head_len)
    ||  zb_buf_add (&self->out, text, len) || zb_buf_add (&self->out, "\r\n", 2))
        return -1;
    self->pings += n == 0;
    return self->out.end >= ZB_FLUSH_AT? zb_buf_flush (&self->out, self->fd): 0;
}

//  Replies come in order: the first ones answer the pings, then reply
//  k (after them) answers message k.  The integer is how many
//  subscribers got it.
static void
s_redis_reply (zb_sender_t *self, const zb_resp_t *r)
{
    self->replies++;
    if (r->type == '-')
        zb_notice (&self->notices, "sender", self->index, r->text, r->len);
    if (self->replies <= self->pings)
        return;
    uint64_t n = self->replies - self->pings;
    if (r->type == ':') {
        zb_sender_ack (self, n);
        if (r->integer < (int64_t) self->opts->subscribers && !self->short_fanout) {
            self->short_fanout = true;
            char text [128];
            int len = snprintf (text, sizeof (text), "message %" PRIu64 " reached %" PRId64
                                " of %u subscribers", n, r->integer, self->opts->subscribers);
            zb_notice (&self->notices, "sender", self->index, text, (size_t) len);
        }
    }
    self->confirmed = n;
    self->progress_us = zb_now_us ();
}

static int
s_redis_input (zb_sender_t *self)
{
    ssize_t got;
    while ((got = zb_buf_fill (&self->in, self->fd, MSG_DONTWAIT)) > 0) {
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

//  --------------------------------------------------------------------------
//  Subscribers: SUBSCRIBE

static int
s_redis_sub_open (zb_sub_t *self, char *err, size_t size)
{
    const char *room = self->opts->room;
    char cmd [160];
    int len = snprintf (cmd, sizeof (cmd), "*2\r\n$9\r\nSUBSCRIBE\r\n$%zu\r\n%s\r\n",
                        strlen (room), room);
    self->fd = zb_tcp_connect (self->opts, &self->in, err, size);
    if (self->fd < 0 || zb_write_all (self->fd, cmd, (size_t) len)
    ||  s_redis_expect (self->fd, &self->in, '*', "SUBSCRIBE", err, size))
        return -1;
    zb_set_rcvtimeo (self->fd, ZB_WAIT_MS);
    return 0;
}

static void
s_redis_sub_value (zb_sub_t *self, const zb_resp_t *r)
{
    if (r->type == '*' && r->integer == 3 && r->elem_len [0] == 7
    &&  memcmp (r->elem [0], "message", 7) == 0)
        zb_sub_payload (self, r->elem [2], r->elem_len [2]);
    else
    if (r->type == '-')
        zb_notice (&self->notices, "subscriber", self->index, r->text, r->len);
}

//  Waits up to ZB_WAIT_MS; -1 once the server closed the connection
static int
s_redis_sub_input (zb_sub_t *self)
{
    ssize_t got = zb_buf_fill (&self->in, self->fd, 0);
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

const zb_ops_t zb_redis_ops = {
    "redis", true, "it stopped, or cut off a subscriber that fell behind:"
    " client-output-buffer-limit pubsub",
    s_redis_sender_open, s_redis_post, zb_tcp_flush, s_redis_input, NULL,
    s_redis_sub_open, s_redis_sub_input, s_redis_start, NULL, NULL, NULL
};
