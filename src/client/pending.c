/*  pending.c — see pending.h.

    Ids are contiguous, so the queue is a ring indexed by id & (cap - 1)
    holding ids [head, head + span).  An ACK out of order leaves a hole
    (NULL) that the head skips once it gets there.  A refusal for good
    closes its slot up instead: the later messages move down one id.
*/
#include "pending.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _zc_pending_t {
    zc_post_t **ring;
    size_t cap;                 //  power of two
    uint64_t head;              //  lowest id in the ring (0: empty, none yet)
    uint64_t span;              //  ids [head, head + span), holes included
    size_t live;                //  messages not yet acknowledged
    uint64_t cursor;            //  next id due in this round
    uint32_t round;
    int64_t round_at;           //  when the round began
    uint64_t max_acked;         //  the highest id acknowledged
};

zc_pending_t *
zc_pending_new (void)
{
    zc_pending_t *self = (zc_pending_t *) calloc (1, sizeof (*self));
    if (!self)
        return NULL;
    self->cap = 64;
    self->ring = (zc_post_t **) calloc (self->cap, sizeof (zc_post_t *));
    if (!self->ring) {
        free (self);
        return NULL;
    }
    self->round = 1;
    return self;
}

void
zc_pending_destroy (zc_pending_t **self_p)
{
    assert (self_p);
    zc_pending_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->cap; i++)
        free (self->ring [i]);
    free (self->ring);
    free (self);
    *self_p = NULL;
}

static zc_post_t **
s_slot (zc_pending_t *self, uint64_t id)
{
    return &self->ring [id & (self->cap - 1)];
}

static int
s_grow (zc_pending_t *self)
{
    size_t cap = self->cap * 2;
    zc_post_t **ring = (zc_post_t **) calloc (cap, sizeof (zc_post_t *));
    if (!ring)
        return -1;
    for (uint64_t id = self->head; id < self->head + self->span; id++)
        ring [id & (cap - 1)] = *s_slot (self, id);
    free (self->ring);
    self->ring = ring;
    self->cap = cap;
    return 0;
}

int
zc_pending_add (zc_pending_t *self, uint64_t id, uint64_t ts,
                const uint8_t *frame, size_t size, int64_t now)
{
    assert (self);
    if (id == 0 || (self->head && id != self->head + self->span))
        return -1;
    if (self->span == self->cap && s_grow (self))
        return -1;
    zc_post_t *post = (zc_post_t *) malloc (sizeof (zc_post_t) + size);
    if (!post)
        return -1;
    post->id = id;
    post->ts = ts;
    post->queued_at = now;
    post->sent_at = 0;
    post->round = 0;
    post->unanswered = 0;
    post->size = size;
    memcpy (post->frame, frame, size);
    if (!self->head) {
        self->head = id;
        self->cursor = id;
    }
    *s_slot (self, id) = post;
    self->span++;
    self->live++;
    return 0;
}

const zc_post_t *
zc_pending_find (zc_pending_t *self, uint64_t id)
{
    assert (self);
    if (id < self->head || id - self->head >= self->span)
        return NULL;
    return *s_slot (self, id);
}

//  Drops the holes at the head; the head id stays the next to be added
//  when the queue empties, so ids remain contiguous
static void
s_trim (zc_pending_t *self)
{
    while (self->span && !*s_slot (self, self->head)) {
        self->head++;
        self->span--;
    }
    if (self->cursor < self->head)
        self->cursor = self->head;
}

zc_post_t *
zc_pending_ack (zc_pending_t *self, uint64_t id)
{
    assert (self);
    if (!zc_pending_find (self, id))
        return NULL;
    zc_post_t *post = *s_slot (self, id);
    *s_slot (self, id) = NULL;
    self->live--;
    if (id > self->max_acked)
        self->max_acked = id;
    s_trim (self);
    return post;
}

zc_post_t *
zc_pending_refuse (zc_pending_t *self, uint64_t id, int64_t now, uint64_t *unanswered)
{
    assert (self);
    if (!zc_pending_find (self, id))
        return NULL;
    zc_post_t *post = *s_slot (self, id);
    uint64_t count = post->unanswered;
    uint64_t end = self->head + self->span;
    for (uint64_t at = id; at + 1 < end; at++) {
        zc_post_t *moved = *s_slot (self, at + 1);
        if (moved) {
            moved->id = at;
            moved->round = 0;       //  due again, under its new id
            count += moved->unanswered;
            moved->unanswered = 0;
        }
        *s_slot (self, at) = moved;
    }
    *s_slot (self, end - 1) = NULL;
    self->span--;
    self->live--;
    //  A new round, so that replies to the old sends of the moved ids are
    //  stale (zc_pending_stale); the ones below id stay sent in it
    uint32_t old = self->round++;
    for (uint64_t at = self->head; at < id; at++) {
        zc_post_t *below = *s_slot (self, at);
        if (below && below->round == old)
            below->round = self->round;
    }
    self->round_at = now;
    if (self->cursor > id)
        self->cursor = id;
    s_trim (self);
    if (unanswered)
        *unanswered = count;
    return post;
}

int
zc_pending_reframe (zc_pending_t *self, uint64_t id, const uint8_t *frame, size_t size)
{
    assert (self && frame);
    if (!zc_pending_find (self, id))
        return -1;
    zc_post_t **slot = s_slot (self, id);
    zc_post_t *post = (zc_post_t *) realloc (*slot, sizeof (zc_post_t) + size);
    if (!post)
        return -1;
    memmove (post->frame, frame, size);
    post->size = size;
    *slot = post;
    return 0;
}

uint64_t
zc_pending_next_id (zc_pending_t *self)
{
    assert (self);
    return self->head? self->head + self->span: 0;
}

size_t
zc_pending_size (zc_pending_t *self)
{
    assert (self);
    return self->live;
}

void
zc_pending_rewind (zc_pending_t *self, int64_t now)
{
    assert (self);
    self->round++;
    self->round_at = now;
    self->cursor = self->head;
}

const zc_post_t *
zc_pending_due (zc_pending_t *self)
{
    assert (self);
    while (self->cursor < self->head + self->span) {
        zc_post_t *post = *s_slot (self, self->cursor);
        if (post)
            return post;
        self->cursor++;             //  acknowledged already: skip the hole
    }
    return NULL;
}

void
zc_pending_sent (zc_pending_t *self, int64_t now)
{
    assert (self);
    zc_post_t *post = (zc_post_t *) zc_pending_due (self);
    assert (post);
    post->sent_at = now;
    post->round = self->round;
    post->unanswered++;
    self->cursor++;
}

void
zc_pending_answered (zc_pending_t *self, uint64_t id)
{
    assert (self);
    zc_post_t *post = (zc_post_t *) zc_pending_find (self, id);
    if (post && post->unanswered)
        post->unanswered--;
}

void
zc_pending_forget_sends (zc_pending_t *self)
{
    assert (self);
    for (uint64_t id = self->head; id < self->head + self->span; id++)
        if (*s_slot (self, id))
            (*s_slot (self, id))->unanswered = 0;
}

bool
zc_pending_has_due (zc_pending_t *self)
{
    return zc_pending_due (self) != NULL;
}

int64_t
zc_pending_oldest (zc_pending_t *self)
{
    assert (self);
    if (!self->live)
        return -1;
    const zc_post_t *post = *s_slot (self, self->head);
    assert (post);
    if (post->round == self->round)
        return post->sent_at;
    return post->queued_at > self->round_at? post->queued_at: self->round_at;
}

const zc_post_t *
zc_pending_overdue (zc_pending_t *self, uint64_t after_id, int64_t before)
{
    assert (self);
    if (!self->live)
        return NULL;
    uint64_t id = after_id + 1 > self->head ? after_id + 1 : self->head;
    //  Only what went out in this round (the cursor is past it), and below
    //  an acknowledged id: the leader acknowledges in id order, so a later
    //  ACK proves this one stored and its ACK lost.  (A message merely slow
    //  to commit is left to the quiet-sender round: resending a whole
    //  window because a disk is slow would only add load.)
    for (; id < self->cursor && id < self->max_acked; id++) {
        const zc_post_t *post = *s_slot (self, id);
        if (post && post->round == self->round && post->sent_at <= before)
            return post;
    }
    return NULL;
}

void
zc_pending_resent (zc_pending_t *self, uint64_t id, int64_t now)
{
    assert (self);
    zc_post_t *post = (zc_post_t *) zc_pending_find (self, id);
    if (post) {
        post->sent_at = now;
        post->unanswered++;
    }
}

bool
zc_pending_stale (zc_pending_t *self, uint64_t id)
{
    const zc_post_t *post = zc_pending_find (self, id);
    return !post || post->round != self->round;
}

uint32_t
zc_pending_round (zc_pending_t *self)
{
    assert (self);
    return self->round;
}
