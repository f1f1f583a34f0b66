/*  trace_layout.c — see trace_layout.h */
#include "trace_layout.h"
#include "oom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
zc_tlayout_opts_default (zc_tlayout_opts_t *opts)
{
    opts->all = false;
    opts->gone_us = 2000000;
    opts->max_latency_us = 1000000;
    opts->skew_us = 1000;
}

size_t
zc_tlayout_column (const zc_tlayout_t *self, uint32_t id)
{
    for (size_t i = 0; i < self->node_count; i++)
        if (self->nodes [i] == id)
            return i;
    return SIZE_MAX;
}

static void
s_add_node (zc_tlayout_t *self, uint32_t id)
{
    if (id == 0 || zc_tlayout_column (self, id) != SIZE_MAX
    ||  self->node_count == ZC_TLAYOUT_MAX_NODES)
        return;
    size_t at = self->node_count++;
    while (at > 0 && self->nodes [at - 1] > id) {
        self->nodes [at] = self->nodes [at - 1];
        at--;
    }
    self->nodes [at] = id;
}

static bool
s_is_message (const zc_tev_t *ev)
{
    return ev->kind == ZC_TEV_SEND || ev->kind == ZC_TEV_RECV;
}

//  Same message, seen from both ends?
static bool
s_pair (const zc_tev_t *send, const zc_tev_t *recv)
{
    return send->kind == ZC_TEV_SEND && send->node == recv->peer && send->peer == recv->node
        && send->type == recv->type && send->epoch == recv->epoch
        && send->granted == recv->granted && send->leader == recv->leader;
}

//  partner [i]: the other end of message event i, or SIZE_MAX.
static void
s_match (const zc_tev_t *events, size_t count, const zc_tlayout_opts_t *opts,
         size_t *partner)
{
    for (size_t i = 0; i < count; i++)
        partner [i] = SIZE_MAX;
    for (size_t j = 0; j < count; j++) {
        const zc_tev_t *recv = &events [j];
        if (recv->kind != ZC_TEV_RECV)
            continue;
        size_t best = SIZE_MAX;
        //  The oldest candidate wins: one link delivers in order (TCP)
        for (size_t i = j; i-- > 0 && events [i].us + opts->max_latency_us >= recv->us; )
            if (partner [i] == SIZE_MAX && s_pair (&events [i], recv))
                best = i;
        if (best == SIZE_MAX)
            for (size_t i = j + 1; i < count && events [i].us <= recv->us + opts->skew_us; i++)
                if (partner [i] == SIZE_MAX && s_pair (&events [i], recv)) {
                    best = i;
                    break;
                }
        if (best != SIZE_MAX) {
            partner [best] = j;
            partner [j] = best;
        }
    }
}

static void
s_note_label (const zc_tev_t *ev, char *label, size_t cap)
{
    switch (ev->kind) {
        case ZC_TEV_STATE:
            if (ev->role == ZC_TROLE_LEADER)
                snprintf (label, cap, "leader e%llu%s", (unsigned long long) ev->epoch,
                          ev->serving ? ", serving" : "");
            else
            if (ev->role == ZC_TROLE_CANDIDATE)
                snprintf (label, cap, "candidate e%llu", (unsigned long long) ev->epoch);
            else
            if (ev->leader)
                snprintf (label, cap, "backup e%llu, follows %u",
                          (unsigned long long) ev->epoch, ev->leader);
            else
                snprintf (label, cap, "backup e%llu", (unsigned long long) ev->epoch);
            break;
        case ZC_TEV_DOWN:
            if (ev->peer)
                snprintf (label, cap, "lost leader %u", ev->peer);
            else
                snprintf (label, cap, "lost the leader");
            break;
        case ZC_TEV_START:
            if (ev->leader)
                snprintf (label, cap, "starts: e%llu, leader %u",
                          (unsigned long long) ev->epoch, ev->leader);
            else
                snprintf (label, cap, "starts: e%llu", (unsigned long long) ev->epoch);
            break;
        case ZC_TEV_STOP:
            snprintf (label, cap, "stops");
            break;
        case ZC_TEV_CRASH:
            snprintf (label, cap, "crashed");
            break;
        default:
            snprintf (label, cap, "%s", ev->text);
            break;
    }
}

static char
s_mark (zc_tev_kind_t kind)
{
    switch (kind) {
        case ZC_TEV_STATE: return '*';
        case ZC_TEV_DOWN:  return '!';
        case ZC_TEV_START: return '+';
        case ZC_TEV_STOP:  return '.';
        case ZC_TEV_CRASH: return 'X';
        default:           return '~';
    }
}

//  What makes two arrows repeats of each other
typedef struct {
    size_t from, to;
    zc_type_t type;
    uint64_t epoch;
    int granted;
    bool lost;
} s_key_t;

typedef struct {
    zc_tlayout_t *self;
    size_t cap;
    uint64_t alive;
    size_t pending;             //  arrows folded since the last row
    s_key_t *keys;
    size_t key_count, key_cap;
} s_build_t;

static zc_trow_t *
s_row (s_build_t *b, zc_trow_kind_t kind, uint64_t us)
{
    zc_tlayout_t *self = b->self;
    if (kind != ZC_TROW_GAP && b->pending) {
        size_t hidden = b->pending;
        b->pending = 0;
        zc_trow_t *gap = s_row (b, ZC_TROW_GAP, us);
        gap->hidden = hidden;
        snprintf (gap->label, sizeof gap->label, "%zu repeated message%s", hidden,
                  hidden == 1 ? "" : "s");
    }
    self->rows = zc_grow (self->rows, &b->cap, self->row_count + 1, sizeof *self->rows);
    zc_trow_t *row = &self->rows [self->row_count++];
    memset (row, 0, sizeof *row);
    row->kind = kind;
    row->us = us - self->t0;
    row->alive = b->alive;
    row->col = ZC_TCOL_CLUSTER;
    return row;
}

//  True if this arrow repeats one drawn since the last note (and is
//  remembered otherwise).
static bool
s_repeat (s_build_t *b, const s_key_t *key)
{
    for (size_t i = 0; i < b->key_count; i++)
        if (memcmp (&b->keys [i], key, sizeof *key) == 0)
            return true;
    b->keys = zc_grow (b->keys, &b->key_cap, b->key_count + 1, sizeof *b->keys);
    b->keys [b->key_count++] = *key;
    return false;
}

//  A SEND with no RECV is lost if its receiver wrote a log and was down
//  then, or logged on for max_latency_us after it; otherwise the log may
//  just end before the arrival.
static void
s_arrow (s_build_t *b, const zc_tev_t *events, const size_t *partner, size_t i,
         const bool *has_log, const uint64_t *last_us, const zc_tlayout_opts_t *opts)
{
    zc_tlayout_t *self = b->self;
    const zc_tev_t *ev = &events [i];
    bool is_send = ev->kind == ZC_TEV_SEND;
    if (is_send && partner [i] != SIZE_MAX)
        return;                 //  drawn when it arrives
    size_t a = zc_tlayout_column (self, ev->node), c = zc_tlayout_column (self, ev->peer);
    if (a == SIZE_MAX || c == SIZE_MAX)
        return;
    s_key_t key;
    memset (&key, 0, sizeof key);       //  padding too: keys compare as bytes
    key.from = is_send ? a : c;
    key.to = is_send ? c : a;
    key.type = ev->type;
    key.epoch = ev->epoch;
    key.granted = ev->granted;
    key.lost = is_send && partner [i] == SIZE_MAX && has_log [c]
            && (!(b->alive & (1ull << c)) || last_us [c] > ev->us + opts->max_latency_us);
    if (key.lost)
        self->lost++;
    if (!opts->all && s_repeat (b, &key)) {
        b->pending++;
        self->hidden++;
        return;
    }
    zc_trow_t *row = s_row (b, ZC_TROW_ARROW, ev->us);
    row->from = key.from;
    row->to = key.to;
    row->type = ev->type;
    row->lost = key.lost;
    row->matched = partner [i] != SIZE_MAX;
    if (row->matched && ev->us > events [partner [i]].us)
        row->latency_us = ev->us - events [partner [i]].us;
    char type [32];
    int n = snprintf (row->label, sizeof row->label, "%s e%llu",
                      zc_tev_type_name (ev->type, type, sizeof type),
                      (unsigned long long) ev->epoch);
    if (ev->granted >= 0 && n > 0 && (size_t) n < sizeof row->label)
        snprintf (row->label + n, sizeof row->label - (size_t) n, ev->granted ? " ok" : " no");
}

static void
s_note (s_build_t *b, const zc_tev_t *ev, size_t col, char mark, const char *label)
{
    zc_trow_t *row = s_row (b, ZC_TROW_NOTE, ev->us);
    row->col = col;
    row->mark = mark;
    snprintf (row->label, sizeof row->label, "%s", label);
    b->key_count = 0;           //  after a change, the first repeat shows again
}

zc_tlayout_t *
zc_tlayout_new (const zc_tev_t *events, size_t count, const zc_tlayout_opts_t *opts)
{
    zc_tlayout_opts_t defaults;
    if (!opts) {
        zc_tlayout_opts_default (&defaults);
        opts = &defaults;
    }
    zc_tlayout_t *self = ZC_ALLOC (calloc (1, sizeof *self));
    for (size_t i = 0; i < count; i++) {
        s_add_node (self, events [i].node);
        if (s_is_message (&events [i]) || events [i].kind == ZC_TEV_DOWN)
            s_add_node (self, events [i].peer);
    }
    if (count == 0)
        return self;
    self->t0 = events [0].us;
    uint64_t end = events [count - 1].us;
    size_t *partner = ZC_ALLOC (malloc (count * sizeof *partner));
    s_match (events, count, opts, partner);

    //  Which nodes wrote a log, their last line, and whether they were up
    //  before their first (not if that is their START)
    bool has_log [ZC_TLAYOUT_MAX_NODES] = { false };
    size_t last [ZC_TLAYOUT_MAX_NODES];
    uint64_t last_us [ZC_TLAYOUT_MAX_NODES] = { 0 };
    s_build_t b = { .self = self };
    for (size_t i = 0; i < count; i++) {
        size_t col = zc_tlayout_column (self, events [i].node);
        if (events [i].node && col == SIZE_MAX) {
            self->dropped++;
            continue;
        }
        if (col == SIZE_MAX)
            continue;
        if (!has_log [col] && events [i].kind != ZC_TEV_START)
            b.alive |= 1ull << col;
        has_log [col] = true;
        last [col] = i;
        last_us [col] = events [i].us;
    }
    for (size_t col = 0; col < self->node_count; col++)
        if (!has_log [col])
            b.alive |= 1ull << col;         //  named only: assume it runs

    char label [ZC_TROW_LABEL_MAX];
    for (size_t i = 0; i < count; i++) {
        const zc_tev_t *ev = &events [i];
        size_t col = zc_tlayout_column (self, ev->node);
        if (ev->node && col == SIZE_MAX)
            continue;
        if (col != SIZE_MAX && ev->kind != ZC_TEV_CRASH && ev->kind != ZC_TEV_STOP)
            b.alive |= 1ull << col;
        if (s_is_message (ev))
            s_arrow (&b, events, partner, i, has_log, last_us, opts);
        else {
            s_note_label (ev, label, sizeof label);
            s_note (&b, ev, col, s_mark (ev->kind), label);
        }
        if (col != SIZE_MAX && (ev->kind == ZC_TEV_CRASH || ev->kind == ZC_TEV_STOP))
            b.alive &= ~(1ull << col);
        //  A log that ends well before the others, with no STOP: it died
        if (col != SIZE_MAX && last [col] == i && ev->kind != ZC_TEV_CRASH
        &&  ev->kind != ZC_TEV_STOP && end - ev->us >= opts->gone_us) {
            s_note (&b, ev, col, 'X', "log ends");
            b.alive &= ~(1ull << col);
        }
    }
    if (b.pending) {
        size_t hidden = b.pending;
        b.pending = 0;
        zc_trow_t *gap = s_row (&b, ZC_TROW_GAP, end);
        gap->hidden = hidden;
        snprintf (gap->label, sizeof gap->label, "%zu repeated message%s", hidden,
                  hidden == 1 ? "" : "s");
    }
    free (b.keys);
    free (partner);
    return self;
}

void
zc_tlayout_destroy (zc_tlayout_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->rows);
    free (*self_p);
    *self_p = NULL;
}
