/*  replica_snap.c — catch-up past retention (docs/PROTOCOL.md §5.8): the
    leader sends a backup that needs retired entries its retired state,
    in chunks; the backup checks it, replaces its log by it, and confirms
    the base.  Part of the replica (replica_impl.h); the text is
    snapshot.c's.
*/
#include "replica_impl.h"
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

//  Our retired state, made again when our base moved (retention)
static void
s_snapshot_text (zc_replica_t *self)
{
    uint64_t base = zc_chatlog_first_seq (self->log) - 1;
    if (self->snap_base != base) {
        free (self->snap_text);
        self->snap_text = zc_snapshot_text (self->log, &self->snap_size);
        self->snap_base = base;
    }
}

//  One chunk of it, from offset (from the top if that is not a line
//  start; an empty chunk past the end)
static void
s_chunk_send (zc_replica_t *self, zc_ractions_t *out, uint32_t to, uint64_t offset)
{
    size_t len = offset < self->snap_size
               ? zc_snapshot_chunk (self->snap_text, self->snap_size, offset, ZC_SNAPSHOT_CHUNK)
               : 0;
    if (!len && offset < self->snap_size) {
        offset = 0;
        len = zc_snapshot_chunk (self->snap_text, self->snap_size, 0, ZC_SNAPSHOT_CHUNK);
    }
    if (offset > self->snap_size)
        offset = self->snap_size;
    zc_rsend_t *send = zc_rep_send (self, out, to, ZC_SNAPSHOT);
    if (!send)
        return;
    uint64_t base = self->snap_base;
    zc_msg_set_u64 (&send->msg, ZF_PREV_SEQ, base);
    zc_msg_set_u64 (&send->msg, ZF_PREV_EPOCH, zc_chatlog_epoch_at (self->log, base));
    zc_msg_set_u64 (&send->msg, ZF_LAST_SEQ, zc_chatlog_last_seq (self->log));
    zc_msg_set_u64 (&send->msg, ZF_COMMIT, zc_rep_floor (self));    //  what we retired is committed
    zc_msg_set_u64 (&send->msg, ZF_LAST, offset);
    zc_msg_set_u64 (&send->msg, ZF_COUNT, self->snap_size);
    zc_msg_set_str (&send->msg, ZF_TEXT, self->snap_text + offset, len);
}

//  Leader: the next chunk of our retired state to backup i (cfg.peers
//  order), which needs entries we no longer hold.  One chunk in flight at
//  a time: the next goes when the backup confirms this one, or again after
//  retry_ms.  A transfer starts over when our base moves (retention).
//  Past the end (all of it confirmed), an empty chunk asks again for the
//  backup's APPEND_ACK, in case it was lost.
void
zc_rep_snapshot_send (zc_replica_t *self, size_t i, uint64_t now, zc_ractions_t *out)
{
    s_snapshot_text (self);
    uint64_t base = self->snap_base;
    if (self->snap_for [i] != base) {
        self->snap_for [i] = base;
        self->snap_offset [i] = 0;
        self->snap_at [i] = 0;
    }
    if (self->snap_at [i] && now < self->snap_at [i] + self->cfg.retry_ms)
        return;
    if (self->snap_offset [i] < self->snap_size
    &&  !zc_snapshot_chunk (self->snap_text, self->snap_size, self->snap_offset [i], 1))
        self->snap_offset [i] = 0;              //  not a line start: from the top
    s_chunk_send (self, out, self->cfg.peers [i], self->snap_offset [i]);
    self->snap_at [i] = now;
    //  The backup's APPEND_ACK for the base confirms what we sent
    if (base > self->sent [i])
        self->sent [i] = base;
}

//  A voter, in a new leader's view change: the leader lacks entries we
//  retired, and asks for our snapshot from the bytes it holds (`count`).
void
zc_rep_snapshot_reply (zc_replica_t *self, const zc_msg_t *msg, zc_ractions_t *out)
{
    s_snapshot_text (self);
    s_chunk_send (self, out, (uint32_t) msg->node, msg->count);
}

//  Leader: a backup holds the first `last` bytes of the snapshot: the
//  next chunk at once.
void
zc_rep_on_snapshot_ack (zc_replica_t *self, const zc_msg_t *msg, uint64_t now, zc_ractions_t *out)
{
    size_t index = 0;
    while (index < self->cfg.peer_count && self->cfg.peers [index] != msg->node)
        index++;
    if (index == self->cfg.peer_count || !self->snap_for [index]
    ||  msg->prev_seq != self->snap_for [index] || msg->prev_seq != self->snap_base)
        return;                 //  not the transfer we run: an old answer
    if (msg->last > self->snap_size) {
        zc_rep_refuse (self, "a SNAPSHOT_ACK past what we sent");
        return;
    }
    self->snap_offset [index] = msg->last;
    if (msg->last == self->snap_size) {
        self->snapshots++;      //  it installs, and answers with an APPEND_ACK
        return;
    }
    self->snap_at [index] = 0;
    zc_rep_snapshot_send (self, index, now, out);
}

//  Backup: what no leader could send in a SNAPSHOT, or NULL.  Its base was
//  committed and retired by the leader, so it lies within its commit and
//  log; at our commit floor its epoch is that of our committed entry.
static const char *
s_snapshot_absurd (zc_replica_t *self, const zc_msg_t *msg, uint64_t newest)
{
    if (msg->prev_seq == 0)
        return "a snapshot of nothing";
    if (msg->prev_seq > msg->commit || msg->commit > msg->last_seq)
        return "a snapshot past the leader's commit";
    if (msg->prev_epoch == 0 || msg->prev_epoch > newest)
        return "a snapshot of an impossible epoch";
    if (msg->count > ZC_SNAPSHOT_MAX || msg->last > msg->count
    ||  msg->text.len > msg->count - msg->last)
        return "a snapshot past its size";
    uint64_t have = zc_chatlog_epoch_at (self->log, msg->prev_seq);
    if (msg->prev_seq == zc_rep_floor (self) && have && have != msg->prev_epoch)
        return "a snapshot that contradicts a committed entry";
    return NULL;
}

static void
s_recv_reset (zc_replica_t *self)
{
    free (self->recv_text);
    self->recv_text = NULL;
    self->recv_size = self->recv_cap = 0;
    self->recv_total = 0;
    self->recv_base = 0;
}

//  Backup: a chunk of the leader's snapshot.  Taken only from the leader
//  we follow in our epoch.  Chunks arrive in order (one in flight); the
//  whole state, once checked, replaces our log: the chat log now starts
//  after base, the store drops every record and keeps the state (the
//  install hook), and the APPEND_ACK for base waits until that is on disk
//  (the core holds it).  If our log already holds the leader's entry at
//  base, it equals the leader's log up to there: we say so, and keep it.
void
zc_rep_on_snapshot (zc_replica_t *self, const zc_msg_t *msg, uint64_t now, zc_ractions_t *out)
{
    //  Or a new leader's view change: from the best voter, which holds no
    //  entry of our epoch yet (its log is older)
    bool view_change = self->leading && !self->ready && self->sync_snapshot
                    && msg->node == self->sync_from;
    if (msg->epoch != self->epoch
    ||  (!view_change && (self->leading || msg->node != self->leader)))
        return;
    const char *absurd = s_snapshot_absurd (self, msg, view_change ? msg->epoch - 1
                                                                   : msg->epoch);
    if (absurd) {
        zc_rep_refuse (self, absurd);
        return;
    }
    //  Below our commit floor: never installed, since it would stand in
    //  for committed entries we hold.  An honest leader sends one only
    //  late (a chunk of an older transfer, overtaken on the way): ignored
    //  as an old APPEND would be, not counted (the simulator's R7)
    if (msg->prev_seq < zc_rep_floor (self))
        return;
    uint64_t base = msg->prev_seq;
    bool held = zc_chatlog_epoch_at (self->log, base) == msg->prev_epoch;
    if (!held) {
        if (self->recv_epoch != msg->epoch || self->recv_leader != msg->node
        ||  self->recv_base != base || self->recv_base_epoch != msg->prev_epoch
        ||  self->recv_total != msg->count) {
            s_recv_reset (self);        //  a new transfer (the leader's base moved)
            self->recv_epoch = msg->epoch;
            self->recv_leader = (uint32_t) msg->node;
            self->recv_base = base;
            self->recv_base_epoch = msg->prev_epoch;
            self->recv_total = msg->count;
        }
        if (msg->last == self->recv_size && msg->text.len) {
            if (self->recv_size + msg->text.len > self->recv_cap) {
                size_t cap = self->recv_cap ? self->recv_cap * 2 : 65536;
                while (cap < self->recv_size + msg->text.len)
                    cap *= 2;
                char *grown = realloc (self->recv_text, cap);
                if (!grown)
                    return;             //  no answer: the leader sends it again
                self->recv_text = grown;
                self->recv_cap = cap;
            }
            memcpy (self->recv_text + self->recv_size, msg->text.ptr, msg->text.len);
            self->recv_size += msg->text.len;
            if (view_change)
                self->sync_started = now;   //  progress: give it more time
        }
        if (self->recv_size < self->recv_total) {
            if (view_change) {
                zc_rep_fetch (self, now, out);      //  the next chunk, please
                return;
            }
            zc_rsend_t *send = zc_rep_send (self, out, (uint32_t) msg->node, ZC_SNAPSHOT_ACK);
            if (send) {
                zc_msg_set_u64 (&send->msg, ZF_PREV_SEQ, base);
                zc_msg_set_u64 (&send->msg, ZF_LAST, self->recv_size);
            }
            return;
        }
        absurd = zc_snapshot_check (self->recv_text, self->recv_size, base, msg->prev_epoch);
        if (absurd) {
            zc_rep_refuse (self, absurd);
            s_recv_reset (self);
            return;
        }
        zc_snapshot_install (self->log, self->recv_text, self->recv_size, base,
                             msg->prev_epoch);
        s_recv_reset (self);
        if (self->cfg.store.install && self->cfg.store.install (self->cfg.store.arg, base))
            self->failed = true;
        if (base > self->commit)
            self->commit = base;
        self->snapshots++;
    }
    if (view_change) {
        //  Now its entries after the base
        self->sync_snapshot = false;
        self->sync_matched = base;
        zc_rep_fetch (self, now, out);
        return;
    }
    zc_rsend_t *send = zc_rep_send (self, out, (uint32_t) msg->node, ZC_APPEND_ACK);
    if (!send)
        return;
    zc_msg_set_u64 (&send->msg, ZF_LAST_SEQ, base);
    zc_msg_set_bool (&send->msg, ZF_GRANTED, !self->failed);
}

void
zc_rep_snapshot_free (zc_replica_t *self)
{
    free (self->snap_text);
    free (self->recv_text);
}
