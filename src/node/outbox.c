/*  outbox.c — see outbox.h.  A handful of slots searched linearly: a
    wake-up's commits go to a few rooms and a few senders, and a linear
    scan of 8..16 short keys beats hashing them.
*/
#include "outbox.h"
#include "oom.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t key [ZC_OUTBOX_MAX_KEY];
    size_t key_len;
    size_t size;                    //  bytes in frame; 0: the slot is free
    uint64_t opened;                //  when it got its first message
    uint8_t *frame;
} s_slot_t;

struct _zc_outbox_t {
    s_slot_t *slots;
    size_t nslots, cap;
    zc_outbox_flush_fn *flush;
    void *arg;
    uint64_t clock;                 //  orders the slots' openings
    uint64_t messages, frames;
};

zc_outbox_t *
zc_outbox_new (size_t slots, size_t frame_cap, zc_outbox_flush_fn *flush, void *arg)
{
    assert (slots > 0 && frame_cap > 0 && flush);
    zc_outbox_t *self = ZC_ALLOC (calloc (1, sizeof *self));
    self->slots = ZC_ALLOC (calloc (slots, sizeof *self->slots));
    for (size_t i = 0; i < slots; i++) {
        self->slots [i].frame = ZC_ALLOC (malloc (frame_cap));
    }
    self->nslots = slots;
    self->cap = frame_cap;
    self->flush = flush;
    self->arg = arg;
    return self;
}

void
zc_outbox_destroy (zc_outbox_t **self_p)
{
    assert (self_p);
    zc_outbox_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nslots; i++)
        free (self->slots [i].frame);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

static void
s_flush_slot (zc_outbox_t *self, s_slot_t *slot)
{
    if (!slot->size)
        return;
    self->flush (self->arg, slot->key, slot->key_len, slot->frame, slot->size);
    self->frames++;
    slot->size = 0;
}

//  The slot holding key, else a free one, else the oldest, flushed.
static s_slot_t *
s_slot_for (zc_outbox_t *self, const void *key, size_t key_len)
{
    s_slot_t *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < self->nslots; i++) {
        s_slot_t *slot = &self->slots [i];
        if (!slot->size) {
            if (!free_slot)
                free_slot = slot;
            continue;
        }
        if (slot->key_len == key_len && memcmp (slot->key, key, key_len) == 0)
            return slot;
        if (!oldest || slot->opened < oldest->opened)
            oldest = slot;
    }
    s_slot_t *slot = free_slot;
    if (!slot) {
        slot = oldest;
        s_flush_slot (self, slot);
    }
    memcpy (slot->key, key, key_len);
    slot->key_len = key_len;
    slot->opened = ++self->clock;
    return slot;
}

int
zc_outbox_add (zc_outbox_t *self, const void *key, size_t key_len,
               const void *data, size_t size)
{
    if (key_len > ZC_OUTBOX_MAX_KEY)
        return -1;
    self->messages++;
    s_slot_t *slot = s_slot_for (self, key, key_len);
    if (slot->size + size > self->cap)
        s_flush_slot (self, slot);
    if (size > self->cap) {
        //  Too large to batch: it goes alone, after what came before it
        self->flush (self->arg, key, key_len, data, size);
        self->frames++;
        return 0;
    }
    if (!slot->size)
        slot->opened = ++self->clock;
    memcpy (slot->frame + slot->size, data, size);
    slot->size += size;
    return 0;
}

void
zc_outbox_flush (zc_outbox_t *self)
{
    while (true) {
        s_slot_t *oldest = NULL;
        for (size_t i = 0; i < self->nslots; i++) {
            s_slot_t *slot = &self->slots [i];
            if (slot->size && (!oldest || slot->opened < oldest->opened))
                oldest = slot;
        }
        if (!oldest)
            return;
        s_flush_slot (self, oldest);
    }
}

uint64_t
zc_outbox_messages (const zc_outbox_t *self)
{
    return self->messages;
}

uint64_t
zc_outbox_frames (const zc_outbox_t *self)
{
    return self->frames;
}
