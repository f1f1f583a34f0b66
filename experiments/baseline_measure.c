/*  baseline_measure.c — what every mode measures with: the payloads
    ("zb T S N " then 'x' up to --size; pings "zb-ping S"), what a
    subscriber checks of each one it gets, and what a sender records of
    each ACK.  See baseline.h.
*/
#include "baseline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZB_MAX_NOTICES  5           //  notices printed per client

int64_t
zb_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
zb_notice (uint64_t *count, const char *who, uint32_t index, const char *text, size_t len)
{
    if (++*count <= ZB_MAX_NOTICES)
        fprintf (stderr, "zchat-baseline: %s %u: %.*s\n", who, index, (int) len, text);
}

//  --------------------------------------------------------------------------
//  Payloads: "zb T S N " then 'x' up to --size; pings "zb-ping S"

//  Decimal digits of v at p (snprintf would cost a sender a third of
//  its time at raw ZeroMQ rates); returns how many
size_t
zb_put_u64 (char *p, uint64_t v)
{
    char digits [20];
    size_t count = 0;
    do {
        digits [count++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < count; i++)
        p [i] = digits [count - 1 - i];
    return count;
}

//  Writes the header over the start of self->text; returns the length of
//  the text (longer than --size if the header does not fit)
size_t
zb_make_text (zb_sender_t *self, int64_t at, uint64_t n)
{
    char *p = self->text;
    size_t len = 3;
    memcpy (p, "zb ", 3);
    len += zb_put_u64 (p + len, (uint64_t) at);
    p [len++] = ' ';
    len += zb_put_u64 (p + len, self->index);
    p [len++] = ' ';
    len += zb_put_u64 (p + len, n);
    p [len++] = ' ';
    if (len < self->header_len)
        memset (p + len, 'x', self->header_len - len);
    self->header_len = len;
    return len > self->opts->size? len: self->opts->size;
}

//  A number and the space after it, from *p; false if there is none
static bool
s_take_u64 (const char **p, const char *end, uint64_t *value)
{
    const char *q = *p;
    uint64_t v = 0;
    if (q >= end || *q < '0' || *q > '9')
        return false;
    while (q < end && *q >= '0' && *q <= '9')
        v = v * 10 + (uint64_t) (*q++ - '0');
    if (q < end && *q == ' ')
        q++;
    *p = q;
    *value = v;
    return true;
}

//  A whole signed decimal number: false if text is anything else
bool
zb_parse_i64 (const char *text, size_t len, int64_t *value)
{
    const char *p = text, *end = text + len;
    bool minus = p < end && *p == '-';
    uint64_t v;
    p += minus;
    if (!s_take_u64 (&p, end, &v) || p != end || v > INT64_MAX)
        return false;
    *value = minus? -(int64_t) v: (int64_t) v;
    return true;
}

uint64_t
zb_payload_number (const char *p, size_t len)
{
    const char *end = p + len;
    uint64_t at, sender, n;
    if (len < 3 || memcmp (p, "zb ", 3) != 0)
        return 0;
    p += 3;
    if (!s_take_u64 (&p, end, &at) || !s_take_u64 (&p, end, &sender)
    ||  !s_take_u64 (&p, end, &n))
        return 0;
    return n;
}

//  --------------------------------------------------------------------------
//  Subscribers: what every mode hands over

static void
s_sub_pinged (zb_sub_t *self, uint64_t sender)
{
    if (sender >= self->opts->senders || self->pinged [sender])
        return;
    self->pinged [sender] = true;
    if (++self->pings == self->opts->senders) {
        self->ready = true;
        atomic_fetch_add (&zb_ready, 1);
    }
}

void
zb_sub_payload (zb_sub_t *self, const char *p, size_t len)
{
    const char *end = p + len;
    uint64_t at, sender, n;
    if (len > strlen (ZB_PING) && memcmp (p, ZB_PING, strlen (ZB_PING)) == 0) {
        p += strlen (ZB_PING);
        if (s_take_u64 (&p, end, &sender))
            s_sub_pinged (self, sender);
        return;
    }
    bool ours = len > 3 && memcmp (p, "zb ", 3) == 0;
    p += ours? 3: 0;
    if (!ours || !s_take_u64 (&p, end, &at) || !s_take_u64 (&p, end, &sender)
    ||  !s_take_u64 (&p, end, &n) || sender >= self->opts->senders || n == 0) {
        self->foreign++;
        return;
    }
    int64_t now = zb_now_us ();
    zb_set_t *seen = &self->seen [sender];
    if (n < seen->top && !zb_set_has (seen, n))
        self->reordered++;          //  a sender's messages come in order
    if (zb_set_put (seen, n)) {
        self->dups++;
        return;
    }
    self->delivered++;
    if (now <= atomic_load_explicit (&zb_end, memory_order_relaxed))
        self->delivered_in++;
    zb_samples_add (&self->e2e, now - (int64_t) at);
}

//  --------------------------------------------------------------------------
//  Senders: what every mode reports

void
zb_sender_ack (zb_sender_t *self, uint64_t n)
{
    zb_sender_ack_at (self, n, zb_now_us ());
}

void
zb_sender_ack_at (zb_sender_t *self, uint64_t n, int64_t now)
{
    if (n < 1 || n > self->posted)
        return;
    zb_samples_add (&self->ack, now - self->sent_at [n]);
    self->acked++;
    if (now <= atomic_load_explicit (&zb_end, memory_order_relaxed))
        self->acked_in++;
    self->progress_us = now;
}

int
zb_sent_at_put (zb_sender_t *self, uint64_t n, int64_t at)
{
    if (n >= self->sent_cap) {
        uint64_t cap = self->sent_cap? self->sent_cap * 2: 65536;
        int64_t *sent_at = realloc (self->sent_at, cap * sizeof (int64_t));
        if (!sent_at)
            return -1;
        self->sent_at = sent_at;
        self->sent_cap = cap;
    }
    self->sent_at [n] = at;
    return 0;
}
