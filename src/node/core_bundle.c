/*  core_bundle.c — the ready bundle: its memory (an arena of blocks that
    never move, reset per bundle, so a reply costs a copy into memory
    already held rather than a malloc), how events add to it, and how
    zc_core_ready hands it over (core.h, the loop's contract).
*/
#include "core_impl.h"
#include "oom.h"

#include <stdarg.h>

//  --- memory of one bundle -----------------------------------------------

#define S_ARENA_BLOCK (256 * 1024)

void *
zc_core_alloc (zc_core_t *self, size_t size)
{
    zc_arena_t *arena = &self->arena;
    size = (size + 7) & ~(size_t) 7;
    while (arena->current < arena->count) {
        zc_arena_block_t *block = &arena->blocks [arena->current];
        if (block->size - block->used >= size) {
            void *ptr = block->data + block->used;
            block->used += size;
            return ptr;
        }
        arena->current++;
    }
    arena->blocks = ZC_ALLOC (realloc (arena->blocks,
                                        (arena->count + 1) * sizeof *arena->blocks));
    zc_arena_block_t *block = &arena->blocks [arena->count++];
    block->size = size > S_ARENA_BLOCK ? size : S_ARENA_BLOCK;
    block->data = ZC_ALLOC (malloc (block->size));
    block->used = size;
    return block->data;
}

zc_bytes_t
zc_core_copy (zc_core_t *self, const void *data, size_t size)
{
    uint8_t *copy = zc_core_alloc (self, size ? size : 1);
    if (size)
        memcpy (copy, data, size);
    return (zc_bytes_t) { copy, size };
}

//  A bundle that grew one huge block keeps it for the next: drop blocks
//  beyond a few, so one burst does not pin its peak for good.
static void
s_arena_reset (zc_arena_t *arena)
{
    while (arena->count > 4) {
        arena->count--;
        free (arena->blocks [arena->count].data);
    }
    for (size_t i = 0; i < arena->count; i++)
        arena->blocks [i].used = 0;
    arena->current = 0;
}

void
zc_core_logf (zc_core_t *self, zc_core_level_t level, const char *format, ...)
{
    char text [512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    self->logs = zc_grow (self->logs, &self->log_cap, self->log_count + 1, sizeof *self->logs);
    zc_bytes_t copy = zc_core_copy (self, text, strlen (text) + 1);
    self->logs [self->log_count++] = (zc_core_log_t) { level, (const char *) copy.data };
}

void
zc_core_push_send (zc_core_t *self, uint32_t to, bool ping, const zc_msg_t *msg,
             uint64_t first, uint64_t last, bool early)
{
    self->pending = zc_grow (self->pending, &self->pending_cap, self->pending_count + 1,
                             sizeof *self->pending);
    self->pending [self->pending_count++] = (zc_core_pending_t) {
        { to, ping, *msg, first, last }, early };
}

//  Every event starts here: a bundle the loop took is done with.
void
zc_core_begin (zc_core_t *self, uint64_t now)
{
    if (now > self->now)
        self->now = now;
    if (!self->taken)
        return;
    self->taken = false;
    self->save_state = false;
    self->no_early = false;
    self->pending_count = 0;
    self->reply_count = 0;
    self->pub_count = 0;
    self->log_count = 0;
    self->retain_upto = 0;
    s_arena_reset (&self->arena);
}

//  --- output ----------------------------------------------------------------

const zc_core_ready_t *
zc_core_ready (zc_core_t *self)
{
    zc_core_ready_t *ready = &self->ready;
    if (self->taken) {
        //  Taken already, nothing new since: an empty bundle
        memset (ready, 0, sizeof *ready);
        ready->write_first = 1;
        return ready;
    }
    self->taken = true;
    memset (ready, 0, sizeof *ready);
    //  The log to write: everything past what the disk holds, after
    //  cutting what the replica truncated.  What is rewritten is not
    //  durable until the loop says so again.
    uint64_t last = zc_chatlog_last_seq (self->log);
    uint64_t stable = self->disk_last < self->trunc_low ? self->disk_last : self->trunc_low;
    if (stable > last)
        stable = last;
    ready->truncate = stable < self->disk_last;
    ready->truncate_after = stable;
    ready->write_first = stable + 1;
    ready->write_last = last;
    self->disk_last = last;
    self->trunc_low = UINT64_MAX;
    if (self->durable > stable)
        self->durable = stable;
    ready->save_state = self->save_state;
    ready->state = self->stored;
    //  The sends, split: a leader's replica sends go early unless state
    //  must be saved first or the leader is stuck.
    bool early_ok = !self->save_state && !self->no_early;
    if (self->send_cap < self->pending_cap) {
        self->early = ZC_ALLOC (realloc (self->early, self->pending_cap * sizeof *self->early));
        self->sends = ZC_ALLOC (realloc (self->sends, self->pending_cap * sizeof *self->sends));
        self->send_cap = self->pending_cap;
    }
    for (size_t i = 0; i < self->pending_count; i++) {
        zc_core_pending_t *pending = &self->pending [i];
        if (early_ok && pending->early)
            self->early [ready->early_count++] = pending->send;
        else
            self->sends [ready->send_count++] = pending->send;
    }
    ready->early = self->early;
    ready->sends = self->sends;
    ready->replies = self->replies;
    ready->reply_count = self->reply_count;
    ready->pubs = self->pubs;
    ready->pub_count = self->pub_count;
    ready->logs = self->logs;
    ready->log_count = self->log_count;
    ready->retain_upto = self->retain_upto;
    return ready;
}

bool
zc_core_has_ready (zc_core_t *self)
{
    if (self->taken)
        return false;
    return self->pending_count || self->reply_count || self->pub_count || self->log_count
        || self->save_state || self->retain_upto || self->trunc_low != UINT64_MAX
        || zc_chatlog_last_seq (self->log) != self->disk_last;
}
