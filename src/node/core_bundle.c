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
    self->acked_count = 0;
    s_arena_reset (&self->arena);
}

//  --- what waits for the disk ---------------------------------------------

//  A send that speaks of this node's log or state as written (a backup's
//  APPEND_ACK, a vote, LOG_ENTRIES, ...) waits until every write handed
//  out before it is durable: the loop's storage runs behind the bundles.
static void
s_hold (zc_core_t *self, const zc_core_send_t *send)
{
    size_t size = zc_msg_encode (&send->msg, self->buf, sizeof self->buf);
    if (!size) {
        self->dropped++;        //  no message of ours is this big
        return;
    }
    self->held = zc_grow (self->held, &self->held_cap, self->held_count + 1, sizeof *self->held);
    uint8_t *data = ZC_ALLOC (malloc (size));
    memcpy (data, self->buf, size);
    self->held [self->held_count++] = (zc_core_held_t) {
        self->issued, send->to, send->first, send->last, data, size };
}

//  An ACCEPT that saves nothing (the leader we follow re-announcing its
//  epoch) is the lease's renewal (docs/ELECTION.md rule 6): held behind a
//  slow sync, it would let the leader's lease run out while the disks of
//  its backups stall, and the cluster would elect for a disk.  It goes at
//  once, speaking only of the log already durable: a vote must never
//  claim more than the disk holds.  An ACCEPT that comes with a save (a
//  new epoch or leader) still waits, with the state, for the disk.
static bool
s_lease_reply (zc_core_t *self, zc_core_send_t *send)
{
    if (send->msg.type != ZC_ACCEPT || self->save_state)
        return false;
    if (!zc_msg_has (&send->msg, ZF_LAST_SEQ) || send->msg.last_seq > self->durable)
        zc_msg_set_u64 (&send->msg, ZF_LAST_SEQ, self->durable);
    return true;
}

//  Held sends whose entries a truncation replaces would carry entries
//  they never named: they go (the protocol repeats what is lost).
static void
s_drop_held_past (zc_core_t *self, uint64_t after_seq)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->held_count; i++) {
        zc_core_held_t *held = &self->held [i];
        if (held->first <= held->last && held->last > after_seq)
            free (held->data);
        else
            self->held [kept++] = *held;
    }
    self->held_count = kept;
}

//  The held sends the disk has caught up with join the bundle's sends,
//  in the order they were made.
static void
s_release_held (zc_core_t *self, zc_core_ready_t *ready)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->held_count; i++) {
        zc_core_held_t *held = &self->held [i];
        if (held->ticket > self->done) {
            self->held [kept++] = *held;
            continue;
        }
        zc_bytes_t copy = zc_core_copy (self, held->data, held->size);
        free (held->data);
        zc_core_send_t *send = &self->sends [ready->send_count];
        if (zc_msg_decode (&send->msg, copy.data, copy.size, NULL) == 0) {
            send->to = held->to;
            send->ping = false;
            send->first = held->first;
            send->last = held->last;
            ready->send_count++;
        }
    }
    self->held_count = kept;
}

void
zc_core_held_free (zc_core_t *self)
{
    for (size_t i = 0; i < self->held_count; i++)
        free (self->held [i].data);
    free (self->held);
    free (self->jobs);
}

void
zc_core_jobs_done (zc_core_t *self, uint64_t ticket)
{
    if (ticket > self->issued)
        ticket = self->issued;      //  nothing the core did not hand out
    if (ticket <= self->done)
        return;
    self->done = ticket;
    uint64_t durable = self->durable;
    size_t gone = 0;
    while (gone < self->job_count && self->jobs [gone].ticket <= ticket)
        durable = self->jobs [gone++].last;
    self->job_count -= gone;
    memmove (self->jobs, self->jobs + gone, self->job_count * sizeof *self->jobs);
    //  A later write that truncates replaces what the disk holds past its cut
    for (size_t i = 0; i < self->job_count; i++)
        if (self->jobs [i].cut < durable)
            durable = self->jobs [i].cut;
    zc_core_set_durable (self, durable < self->disk_last ? durable : self->disk_last);
}

void
zc_core_set_durable (zc_core_t *self, uint64_t seq)
{
    self->durable = seq;
    zc_replica_durable (self->replica, seq);
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
    //  A snapshot install drops every record, whatever the disk held
    ready->truncate = stable < self->disk_last || self->install;
    ready->truncate_after = stable;
    ready->write_first = stable + 1;
    if (ready->write_first < zc_chatlog_first_seq (self->log))
        ready->write_first = zc_chatlog_first_seq (self->log);
    ready->snapshot = self->install;
    ready->snapshot_base = self->install_base;
    self->install = false;
    ready->write_last = last;
    self->disk_last = last;
    self->trunc_low = UINT64_MAX;
    if (self->durable > stable)
        zc_core_set_durable (self, stable);
    if (ready->truncate || ready->write_first <= ready->write_last) {
        ready->ticket = ++self->issued;
        self->jobs = zc_grow (self->jobs, &self->job_cap, self->job_count + 1,
                              sizeof *self->jobs);
        self->jobs [self->job_count++] = (zc_core_job_t) {
            ready->ticket, last, ready->truncate ? stable : UINT64_MAX };
    }
    if (ready->truncate)
        s_drop_held_past (self, stable);
    ready->save_state = self->save_state;
    ready->state = self->stored;
    //  The sends, split: a leader's replica sends go early unless state
    //  must be saved first or the leader is stuck; the rest wait for the
    //  writes handed out so far (pings never: they say nothing of the log).
    bool early_ok = !self->save_state && !self->no_early;
    size_t need = self->pending_count + self->held_count;
    if (self->send_cap < need) {
        self->early = ZC_ALLOC (realloc (self->early, need * sizeof *self->early));
        self->sends = ZC_ALLOC (realloc (self->sends, need * sizeof *self->sends));
        self->send_cap = need;
    }
    s_release_held (self, ready);
    bool behind = self->issued > self->done;
    for (size_t i = 0; i < self->pending_count; i++) {
        zc_core_pending_t *pending = &self->pending [i];
        if (early_ok && pending->early)
            self->early [ready->early_count++] = pending->send;
        else
        if (behind && !pending->send.ping && !s_lease_reply (self, &pending->send))
            s_hold (self, &pending->send);
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
    ready->acked = self->acked;
    ready->acked_count = self->acked_count;
    return ready;
}

//  Held sends keep the order they were made in, so their tickets never
//  fall: the first says whether any may leave
static bool
s_releasable (zc_core_t *self)
{
    return self->held_count && self->held [0].ticket <= self->done;
}

bool
zc_core_has_ready (zc_core_t *self)
{
    if (self->taken)
        return false;
    return self->pending_count || self->reply_count || self->pub_count || self->log_count
        || self->save_state || self->retain_upto || self->trunc_low != UINT64_MAX
        || self->install
        || zc_chatlog_last_seq (self->log) != self->disk_last || s_releasable (self);
}
