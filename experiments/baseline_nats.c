/*  baseline_nats.c — the nats mode: NATS core through its text protocol.
    Senders PUB, subscribers SUB.  NATS has no ACK: a PING every
    window/4 messages bounds what is in flight (its PONG says the server
    has read all before it).  See baseline.h.
*/
#include "baseline.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

//  One message from the server: its line (without CRLF) and, for MSG,
//  its payload
typedef struct {
    const char *line, *payload;
    size_t line_len, payload_len;
} zb_nats_t;

static bool
s_nats_is (const zb_nats_t *m, const char *verb)
{
    size_t len = strlen (verb);
    return m->line_len >= len && memcmp (m->line, verb, len) == 0;
}

//  One message at p into unit (a zb_nats_t): its bytes, 0 if
//  incomplete, -1 if bad.  MSG <subject> <sid> [reply-to] <#bytes>: the
//  size is the last word
static long
s_nats_parse (const char *p, const char *end, void *unit)
{
    zb_nats_t *m = unit;
    const char *lf = memchr (p, '\n', (size_t) (end - p));
    if (!lf)
        return 0;
    m->line = p;
    m->line_len = (size_t) (lf - p) - (lf > p && lf [-1] == '\r');
    m->payload = NULL;
    long used = lf + 1 - p;
    if (!s_nats_is (m, "MSG "))
        return used;
    const char *size_at = p + m->line_len;
    while (size_at > p && size_at [-1] != ' ')
        size_at--;
    int64_t size;
    if (!zb_parse_i64 (size_at, (size_t) (p + m->line_len - size_at), &size) || size < 0)
        return -1;
    if (end - p < used + size + 2)
        return 0;
    m->payload = p + used;
    m->payload_len = (size_t) size;
    return used + (long) size + 2;
}

//  INFO, then CONNECT (plus SUB for a subscriber) and PING; its PONG
//  says all was taken
static int
s_nats_open (const zb_opts_t *opts, int *fd, zb_buf_t *in, bool sub, char *err, size_t size)
{
    zb_nats_t m;
    char cmd [256];
    *fd = zb_tcp_connect (opts, in, err, size);
    if (*fd < 0)
        return -1;
    if (zb_tcp_next (*fd, in, s_nats_parse, &m) || !s_nats_is (&m, "INFO")) {
        snprintf (err, size, "no INFO from port %d (is a nats-server on it?)", opts->port);
        return -1;
    }
    int len = snprintf (cmd, sizeof (cmd),
                        "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n%s%s%sPING\r\n",
                        sub? "SUB ": "", sub? opts->room: "", sub? " 1\r\n": "");
    if (zb_write_all (*fd, cmd, (size_t) len))
        return -1;
    while (!zb_tcp_next (*fd, in, s_nats_parse, &m)) {
        if (s_nats_is (&m, "PONG"))
            return 0;
        if (s_nats_is (&m, "-ERR")) {
            snprintf (err, size, "nats: %.*s", (int) m.line_len, m.line);
            return -1;
        }
    }
    snprintf (err, size, "nats at port %d did not answer PING", opts->port);
    return -1;
}

//  --------------------------------------------------------------------------
//  Senders: PUB, and a PING per window/4

static int
s_nats_sender_open (zb_sender_t *self, char *err, size_t size)
{
    if (zb_buf_init (&self->out, 2 * ZB_FLUSH_AT))
        return -1;
    return s_nats_open (self->opts, &self->fd, &self->in, false, err, size);
}

//  A PING after every window/4 messages: its PONG frees them
static int
s_nats_mark (zb_sender_t *self, uint64_t upto)
{
    assert (self->mark_count < ZB_MARKS);
    self->marks [(self->mark_head + self->mark_count++) % ZB_MARKS] = upto;
    return zb_buf_add (&self->out, "PING\r\n", 6);
}

static int
s_nats_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    char head [128];
    uint32_t every = self->opts->window / 4? self->opts->window / 4: 1;
    int head_len = snprintf (head, sizeof (head), "PUB %s %zu\r\n", self->opts->room, len);
    if (zb_buf_add (&self->out, head, (size_t) head_len) || zb_buf_add (&self->out, text, len)
    ||  zb_buf_add (&self->out, "\r\n", 2))
        return -1;
    if (n && n % every == 0 && s_nats_mark (self, n))
        return -1;
    return self->out.end >= ZB_FLUSH_AT? zb_buf_flush (&self->out, self->fd): 0;
}

static int
s_nats_finish (zb_sender_t *self)
{
    if (self->posted > self->confirmed
    &&  (!self->mark_count
         || self->marks [(self->mark_head + self->mark_count - 1) % ZB_MARKS] < self->posted))
        if (s_nats_mark (self, self->posted))
            return -1;
    return zb_buf_flush (&self->out, self->fd);
}

static void
s_nats_sender_message (zb_sender_t *self, const zb_nats_t *m)
{
    if (s_nats_is (m, "PONG") && self->mark_count) {
        self->confirmed = self->marks [self->mark_head];
        self->mark_head = (self->mark_head + 1) % ZB_MARKS;
        self->mark_count--;
        self->progress_us = zb_now_us ();
    }
    else
    if (s_nats_is (m, "PING"))
        zb_buf_add (&self->out, "PONG\r\n", 6);     //  sent with the next flush
    else
    if (s_nats_is (m, "-ERR"))
        zb_notice (&self->notices, "sender", self->index, m->line, m->line_len);
}

static int
s_nats_input (zb_sender_t *self)
{
    ssize_t got;
    while ((got = zb_buf_fill (&self->in, self->fd, MSG_DONTWAIT)) > 0) {
        zb_nats_t m;
        long used;
        while ((used = s_nats_parse (self->in.data + self->in.start,
                                     self->in.data + self->in.end, &m)) > 0) {
            self->in.start += (size_t) used;
            s_nats_sender_message (self, &m);
        }
        if (used < 0)
            return -1;
    }
    return got < 0 && (errno == EAGAIN || errno == EINTR)? 0: -1;
}

//  --------------------------------------------------------------------------
//  Subscribers: SUB

static int
s_nats_sub_open (zb_sub_t *self, char *err, size_t size)
{
    if (s_nats_open (self->opts, &self->fd, &self->in, true, err, size))
        return -1;
    zb_set_rcvtimeo (self->fd, ZB_WAIT_MS);
    return 0;
}

static int
s_nats_sub_message (zb_sub_t *self, const zb_nats_t *m)
{
    if (m->payload)
        zb_sub_payload (self, m->payload, m->payload_len);
    else
    if (s_nats_is (m, "PING"))
        return zb_write_all (self->fd, "PONG\r\n", 6);
    else
    if (s_nats_is (m, "-ERR"))
        zb_notice (&self->notices, "subscriber", self->index, m->line, m->line_len);
    return 0;
}

//  Waits up to ZB_WAIT_MS; -1 once the server closed the connection
static int
s_nats_sub_input (zb_sub_t *self)
{
    ssize_t got = zb_buf_fill (&self->in, self->fd, 0);
    if (got <= 0)
        return got < 0 && (errno == EAGAIN || errno == EINTR)? 0: -1;
    zb_nats_t m;
    long used;
    while ((used = s_nats_parse (self->in.data + self->in.start,
                                 self->in.data + self->in.end, &m)) > 0) {
        self->in.start += (size_t) used;
        if (s_nats_sub_message (self, &m))
            return -1;
    }
    return used < 0? -1: 0;
}

const zb_ops_t zb_nats_ops = {
    "nats", false, "it stopped, or cut off a slow consumer",
    s_nats_sender_open, s_nats_post, zb_tcp_flush, s_nats_input, s_nats_finish,
    s_nats_sub_open, s_nats_sub_input, NULL, NULL, NULL, NULL
};
