/*  replica.c — see replica.h.  The safety argument is in docs/ELECTION.md
    ("The log across leaders"); the invariants are checked by
    the simulator (tests/test_sim*.c), inside whole simulated nodes.
    Snapshots (catch-up past retention) are in replica_snap.c.
*/
#include "replica_impl.h"
#include "replication.h"

#include <stdlib.h>
#include <string.h>

//  A message that no correct peer can send: count it, act on nothing.
static void
s_refuse (zc_replica_t *self, const char *why)
{
    self->refused++;
    self->refusal = why;
}

//  Entries up to here are committed: our commit point, or the retired
//  ones (retention retires only committed entries, node.c s_retain).  No
//  message may truncate or change them, whatever it claims: a forged
//  APPEND or view change used to (issue 9, items 5 and 7).
static uint64_t
s_floor (zc_replica_t *self)
{
    uint64_t retired = zc_chatlog_first_seq (self->log) - 1;
    return self->commit > retired ? self->commit : retired;
}

//  A message to send, or NULL if the caller's list is full (it holds
//  ZC_RSENDS_MAX, more than one call makes: a caller that never clears
//  it).  Then nothing is sent and the protocol repeats it later: counted
//  in zc_replica_dropped, never written past the array.
static zc_rsend_t *
s_send (zc_replica_t *self, zc_ractions_t *out, uint32_t to, zc_type_t type)
{
    if (out->count >= ZC_RSENDS_MAX) {
        self->dropped++;
        return NULL;
    }
    zc_rsend_t *send = &out->sends [out->count++];
    send->to = to;
    send->first = 1;
    send->last = 0;
    zc_msg_init (&send->msg, type);
    zc_msg_set_u64 (&send->msg, ZF_NODE, self->cfg.self);
    zc_msg_set_u64 (&send->msg, ZF_EPOCH, self->epoch);
    zc_msg_set_u64 (&send->msg, ZF_MH, self->cfg.mh);
    if (self->cfg.mseq)
        zc_msg_set_u64 (&send->msg, ZF_MSEQ, self->cfg.mseq);
    return send;
}

//  For the other replica_*.c (replica_impl.h)
void
zc_rep_refuse (zc_replica_t *self, const char *why)
{
    s_refuse (self, why);
}

uint64_t
zc_rep_floor (zc_replica_t *self)
{
    return s_floor (self);
}

zc_rsend_t *
zc_rep_send (zc_replica_t *self, zc_ractions_t *out, uint32_t to, zc_type_t type)
{
    return s_send (self, out, to, type);
}

zc_replica_t *
zc_replica_new (const zc_replica_config_t *cfg, zc_chatlog_t *log, uint64_t log_epoch)
{
    if (!log)
        return NULL;
    zc_replica_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = *cfg;
    if (!self->cfg.batch)
        self->cfg.batch = 512;
    if (!self->cfg.retry_ms)
        self->cfg.retry_ms = 100;
    if (!self->cfg.sync_timeout_ms)
        self->cfg.sync_timeout_ms = 20 * self->cfg.retry_ms;
    self->log = log;
    self->log_epoch = log_epoch;
    self->repl = zc_replication_new (cfg->peers, cfg->peer_count, cfg->quorum,
                                     self->cfg.retry_ms);
    if (!self->repl) {
        free (self);
        return NULL;
    }
    zc_replication_set_window (self->repl, self->cfg.window ? self->cfg.window
                                                            : 4 * self->cfg.batch);
    self->snap_base = UINT64_MAX;
    return self;
}

void
zc_replica_destroy (zc_replica_t **self_p)
{
    if (self_p && *self_p) {
        zc_replication_destroy (&(*self_p)->repl);
        zc_rep_snapshot_free (*self_p);
        free (*self_p);
        *self_p = NULL;
    }
}

//  False (and nothing cut) if that would drop a committed entry: the
//  callers check first, this is the last line of defence.
static bool
s_truncate (zc_replica_t *self, uint64_t after_seq)
{
    if (after_seq >= zc_chatlog_last_seq (self->log))
        return true;
    if (after_seq < s_floor (self)) {
        s_refuse (self, "it would truncate committed entries");
        return false;
    }
    if (self->cfg.store.truncate
    &&  self->cfg.store.truncate (self->cfg.store.arg, after_seq))
        self->failed = true;
    zc_chatlog_truncate (self->log, after_seq, NULL);
    return true;
}

static zc_entry_t *
s_append (zc_replica_t *self, const zc_msg_t *chat, const uint8_t *data, size_t size)
{
    if (self->failed)
        return NULL;
    zc_entry_t *entry = zc_chatlog_append (self->log, chat, data, size);
    if (entry && self->cfg.store.append
    &&  self->cfg.store.append (self->cfg.store.arg, entry)) {
        self->failed = true;
        zc_chatlog_truncate (self->log, entry->seq - 1, NULL);
        return NULL;
    }
    return entry;
}

//  What any correct sender of an APPEND (leader) or LOG_ENTRIES (a voter
//  in our view change) says is consistent, and agrees with what we know
//  is committed.  Returns why not, or NULL.  PROTOCOL.md §5.4, §5.5:
//  - the header: entries end at or before `last_seq`; `commit` and
//    `start_seq` do not lie past it; `prev_epoch` is 0 for seq 0 and not
//    newer than the sender's epoch;
//  - the entries are chat maps of seq prev_seq+1, prev_seq+2, ... whose
//    epochs never go down (from `prev_epoch` if known) and are not newer
//    than the sender's epoch.  A leader's entries after `start_seq` are of
//    its epoch, those up to it of older ones (it began its epoch with a
//    log of older leaders); a voter's log holds nothing of our epoch yet;
//  - nothing at or below our commit floor differs from what we hold:
//    neither the previous entry nor an entry; a committed entry of an
//    older epoch is not past `start_seq`; and an APPEND that installs the
//    epoch would drop none of them (s_install).
static const char *
s_check (zc_replica_t *self, const zc_msg_t *msg, const zc_blob_t *entries, size_t count)
{
    bool append = msg->type == ZC_APPEND;
    if (!zc_msg_has (msg, ZF_LAST_SEQ)
    ||  (append && !zc_msg_has (msg, ZF_COMMIT | ZF_START_SEQ)))
        return "a header without last_seq, commit or start_seq";
    if (msg->prev_seq > msg->last_seq || count > msg->last_seq - msg->prev_seq)
        return "entries past its last_seq";
    if (append && (msg->commit > msg->last_seq || msg->start_seq > msg->last_seq))
        return "commit or start_seq past its last_seq";
    uint64_t newest = append ? msg->epoch : msg->epoch ? msg->epoch - 1 : 0;
    if (msg->prev_epoch > newest || (msg->prev_seq == 0 && msg->prev_epoch))
        return "an impossible prev_epoch";
    uint64_t floor = s_floor (self);
    if (msg->prev_seq && msg->prev_seq <= floor && msg->prev_epoch) {
        zc_entry_t *prev = zc_chatlog_get (self->log, msg->prev_seq);
        if (prev && prev->epoch != msg->prev_epoch)
            return "a previous entry that contradicts a committed one";
    }
    uint64_t epoch = msg->prev_epoch;
    for (size_t i = 0; i < count; i++) {
        zc_msg_t chat;
        uint64_t seq = msg->prev_seq + 1 + i;
        if (zc_msg_decode (&chat, entries [i].data, entries [i].size, NULL)
        ||  chat.type != ZC_CHAT)
            return "an entry that is not a chat map";
        if (chat.seq != seq)
            return "an entry out of place";
        if (chat.epoch == 0 || chat.epoch < epoch || chat.epoch > newest
        ||  (append && (seq > msg->start_seq) != (chat.epoch == msg->epoch)))
            return "an entry of an impossible epoch";
        epoch = chat.epoch;
        zc_entry_t *have = seq <= floor ? zc_chatlog_get (self->log, seq) : NULL;
        if (have && have->epoch != chat.epoch)
            return "an entry that contradicts a committed one";
    }
    //  The leader began its epoch with every committed entry, so one of
    //  an older epoch lies at or before its start_seq.
    uint64_t floor_epoch = zc_chatlog_epoch_at (self->log, floor);
    if (append && floor && floor_epoch && floor_epoch < msg->epoch && msg->start_seq < floor)
        return "a start_seq below our committed entries";
    if (append && msg->start_seq <= msg->prev_seq + count) {
        //  It installs: the entries past the verified point that are not
        //  of this epoch go (s_install); none of them may be committed.
        //  Our epochs never go down along the log and none is above ours,
        //  so the first of those committed entries tells (and the last,
        //  for good measure), without a walk a forger could make long.
        uint64_t seq = msg->prev_seq + count + 1;
        if (seq < zc_chatlog_first_seq (self->log))
            seq = zc_chatlog_first_seq (self->log);
        uint64_t upto = floor < zc_chatlog_last_seq (self->log)
                      ? floor : zc_chatlog_last_seq (self->log);
        if (seq <= upto && (zc_chatlog_get (self->log, seq)->epoch != msg->epoch
                        ||  zc_chatlog_get (self->log, upto)->epoch != msg->epoch))
            return "an install that would drop committed entries";
    }
    return NULL;
}

//  Apply entries that follow (prev_seq, prev_epoch) in the sender's log.
//  Sets *matched to how far our log now equals the sender's; false if the
//  previous entry did not match (we may have dropped a differing suffix).
static bool
s_apply (zc_replica_t *self, const zc_msg_t *msg, const zc_blob_t *entries,
         size_t count, uint64_t *matched)
{
    uint64_t last = zc_chatlog_last_seq (self->log);
    if (msg->prev_seq > last) {
        *matched = last;
        return false;
    }
    zc_entry_t *prev = zc_chatlog_get (self->log, msg->prev_seq);
    bool retired = msg->prev_seq < zc_chatlog_first_seq (self->log);
    if (msg->prev_seq && !retired && msg->prev_epoch == 0) {
        //  The sender does not know that entry's epoch (retired without
        //  record): refuse, but cut nothing on such a guess.
        *matched = msg->prev_seq - 1 < last ? msg->prev_seq - 1 : last;
        return false;
    }
    if (msg->prev_seq && !retired && (!prev || prev->epoch != msg->prev_epoch)) {
        *matched = msg->prev_seq - 1;
        if (!s_truncate (self, msg->prev_seq - 1))
            *matched = msg->prev_seq - 1 < last ? msg->prev_seq - 1 : last;
        return false;
    }
    *matched = msg->prev_seq;
    for (size_t i = 0; i < count; i++) {
        zc_msg_t chat;
        if (zc_msg_decode (&chat, entries [i].data, entries [i].size, NULL)
        ||  chat.type != ZC_CHAT || chat.seq != *matched + 1)
            break;                  //  the sender will resend from matched
        if (chat.seq < zc_chatlog_first_seq (self->log)) {
            *matched = chat.seq;    //  committed long ago, retired here
            continue;
        }
        zc_entry_t *have = zc_chatlog_get (self->log, chat.seq);
        if (have && have->epoch != chat.epoch) {
            if (!s_truncate (self, chat.seq - 1))
                break;
            have = NULL;
        }
        if (!have && !s_append (self, &chat, entries [i].data, entries [i].size))
            break;
        *matched = chat.seq;
    }
    return true;
}

static void
s_set_log_epoch (zc_replica_t *self, zc_ractions_t *out)
{
    if (self->log_epoch != self->epoch) {
        self->log_epoch = self->epoch;
        out->save = true;
    }
}

static void
s_become_ready (zc_replica_t *self, uint64_t now, zc_ractions_t *out)
{
    self->ready = true;
    self->sync_from = 0;
    self->start_seq = zc_chatlog_last_seq (self->log);
    s_set_log_epoch (self, out);
    zc_replication_reset (self->repl, self->start_seq, now);
    memset (self->sent, 0, sizeof self->sent);
    memset (self->snap_for, 0, sizeof self->snap_for);
    memset (self->snap_offset, 0, sizeof self->snap_offset);
    memset (self->snap_at, 0, sizeof self->snap_at);
}

static void
s_fetch (zc_replica_t *self, uint64_t now, zc_ractions_t *out)
{
    zc_rsend_t *send = s_send (self, out, self->sync_from, ZC_LOG_FETCH);
    if (!send)
        return;
    //  Ask for what follows the part of our log known to equal the best
    //  log: up to our commit point (committed entries are in the best
    //  log), or further, up to what earlier batches of this transfer gave
    //  us (else a log more than a batch ahead of our commit point would
    //  send us its first batch forever).  The first ask is a guess, our
    //  whole log: logs mostly agree, and a restarted node's commit point
    //  is 0.  The answer starts with the best log's entry at the seq we
    //  named; if ours differs there, s_apply drops our tail from it, and
    //  we guess again, 1, 2, 4... entries further back (never below the
    //  commit point), rather than fetch all that follows the commit point.
    uint64_t last = zc_chatlog_last_seq (self->log);
    uint64_t from = self->commit < last ? self->commit : last;
    if (self->sync_matched > from && self->sync_matched <= last)
        from = self->sync_matched;
    zc_msg_set_u64 (&send->msg, ZF_LAST, from);
    //  It retired what we lack: its snapshot first, from the bytes we hold
    //  (PROTOCOL.md §5.8)
    if (self->sync_snapshot)
        zc_msg_set_u64 (&send->msg, ZF_COUNT, self->recv_size);
    self->sync_sent = now;
}

void
zc_rep_fetch (zc_replica_t *self, uint64_t now, zc_ractions_t *out)
{
    s_fetch (self, now, out);
}

void
zc_replica_lead (zc_replica_t *self, uint64_t epoch, const zc_vote_t *votes,
                 size_t count, uint64_t now, zc_ractions_t *out)
{
    self->epoch = epoch;
    self->leader = self->cfg.self;
    self->leading = true;
    self->ready = false;
    //  The best log of the quorum: highest (log epoch, last seq).  Ours
    //  wins ties, so a node that was in step needs no transfer.
    uint32_t best = self->cfg.self;
    uint64_t best_epoch = self->log_epoch;
    uint64_t best_last = zc_chatlog_last_seq (self->log);
    for (size_t i = 0; i < count; i++)
        if (votes [i].log_epoch > best_epoch
        || (votes [i].log_epoch == best_epoch && votes [i].last_seq > best_last)) {
            best = votes [i].node;
            best_epoch = votes [i].log_epoch;
            best_last = votes [i].last_seq;
        }
    //  No voter of this epoch can hold a log of it yet, and the best log
    //  holds every committed entry (ELECTION.md): a vote that says
    //  otherwise is forged, and the best log is not known.  Step down.
    for (size_t i = 0; i < count; i++)
        if (votes [i].log_epoch >= epoch) {
            s_refuse (self, "a vote with a log of this epoch or newer");
            out->stuck = true;
            return;
        }
    if (best != self->cfg.self && best_last < s_floor (self)) {
        s_refuse (self, "a best log without our committed entries");
        out->stuck = true;
        return;
    }
    if (best == self->cfg.self) {
        s_become_ready (self, now, out);
        return;
    }
    self->sync_from = best;
    self->sync_snapshot = false;
    self->sync_target = best_last;
    self->sync_matched = zc_chatlog_last_seq (self->log);
    self->sync_step = 1;
    self->sync_started = now;
    s_fetch (self, now, out);
}

void
zc_replica_follow (zc_replica_t *self, uint64_t epoch, uint32_t leader)
{
    self->epoch = epoch;
    self->leader = leader;
    self->leading = false;
    self->ready = false;
    self->sync_from = 0;
    self->sync_snapshot = false;
    self->start_seq = 0;
}

bool
zc_replica_ready (zc_replica_t *self)
{
    return self->leading && self->ready && !self->failed;
}

zc_entry_t *
zc_replica_append (zc_replica_t *self, const zc_msg_t *chat, const uint8_t *data, size_t size)
{
    if (!zc_replica_ready (self))
        return NULL;            //  only a leader with the best log stamps
    return s_append (self, chat, data, size);
}

//  Backup: we hold all the log the leader began its epoch with.  Entries
//  past `matched` stamped in this epoch are the leader's (arrived early);
//  any older one is a dead leader's tail: drop it.  Then our log is this
//  epoch's log (VR's "last normal view"), and the log epoch says so.
//  Retired entries (the APPEND's verified point may lie below our oldest
//  held seq) are committed, so the walk starts at the oldest held one.
static void
s_install (zc_replica_t *self, uint64_t matched, zc_ractions_t *out)
{
    uint64_t last = zc_chatlog_last_seq (self->log);
    uint64_t seq = matched + 1;
    if (seq < zc_chatlog_first_seq (self->log))
        seq = zc_chatlog_first_seq (self->log);
    for (; seq <= last; seq++)
        if (zc_chatlog_get (self->log, seq)->epoch != self->epoch) {
            if (!s_truncate (self, seq - 1))
                return;             //  not this epoch's log: no install
            break;
        }
    s_set_log_epoch (self, out);
}

//  Backup: the leader's APPEND.
static void
s_on_append (zc_replica_t *self, const zc_msg_t *msg, const zc_blob_t *entries,
             size_t count, zc_ractions_t *out)
{
    uint64_t matched = zc_chatlog_last_seq (self->log);
    bool granted = false;
    if (!self->leading && msg->epoch == self->epoch && msg->node == self->leader) {
        const char *absurd = s_check (self, msg, entries, count);
        if (absurd) {
            s_refuse (self, absurd);
            return;                 //  no answer either: the real leader resends
        }
        granted = s_apply (self, msg, entries, count, &matched);
        if (granted) {
            uint64_t commit = msg->commit < matched ? msg->commit : matched;
            if (zc_msg_has (msg, ZF_COMMIT) && commit > self->commit)
                self->commit = commit;
            if (zc_msg_has (msg, ZF_START_SEQ) && matched >= msg->start_seq)
                s_install (self, matched, out);
        }
    }
    zc_rsend_t *send = s_send (self, out, (uint32_t) msg->node, ZC_APPEND_ACK);
    if (!send)
        return;
    zc_msg_set_u64 (&send->msg, ZF_LAST_SEQ, matched);
    zc_msg_set_bool (&send->msg, ZF_GRANTED, granted && !self->failed);
    if (granted && zc_msg_has (msg, ZF_LT))
        zc_msg_set_u64 (&send->msg, ZF_LT, msg->lt);
}

//  Any node: a new leader fetches our log for its view change.
static void
s_on_log_fetch (zc_replica_t *self, const zc_msg_t *msg, zc_ractions_t *out)
{
    if (self->leading || msg->epoch != self->epoch || msg->node != self->leader)
        return;
    if (zc_msg_has (msg, ZF_COUNT) && zc_chatlog_first_seq (self->log) > 1) {
        zc_rep_snapshot_reply (self, msg, out);
        return;
    }
    uint64_t last = zc_chatlog_last_seq (self->log);
    uint64_t from = msg->last < last ? msg->last : last;
    if (from + 1 < zc_chatlog_first_seq (self->log))
        from = zc_chatlog_first_seq (self->log) - 1;    //  older ones are retired
    zc_rsend_t *send = s_send (self, out, (uint32_t) msg->node, ZC_LOG_ENTRIES);
    if (!send)
        return;
    zc_msg_set_u64 (&send->msg, ZF_PREV_SEQ, from);
    zc_msg_set_u64 (&send->msg, ZF_PREV_EPOCH, zc_chatlog_epoch_at (self->log, from));
    zc_msg_set_u64 (&send->msg, ZF_LAST_SEQ, last);
    send->first = from + 1;
    send->last = from + self->cfg.batch < last ? from + self->cfg.batch : last;
}

//  Leader in view change: entries of the best log.
static void
s_on_log_entries (zc_replica_t *self, const zc_msg_t *msg, const zc_blob_t *entries,
                  size_t count, uint64_t now, zc_ractions_t *out)
{
    if (!self->leading || self->ready || msg->node != self->sync_from
    ||  msg->epoch != self->epoch)
        return;
    const char *absurd = s_check (self, msg, entries, count);
    if (!absurd && msg->last_seq < s_floor (self))
        absurd = "a best log without our committed entries";
    if (absurd) {
        s_refuse (self, absurd);
        return;
    }
    if (msg->prev_seq > zc_chatlog_last_seq (self->log)) {
        //  Its entries start past our log: it retired what we lack.  Its
        //  snapshot replaces our log, then the entries follow.
        self->sync_snapshot = true;
        s_fetch (self, now, out);
        return;
    }
    uint64_t matched;
    bool ok = s_apply (self, msg, entries, count, &matched);
    if (ok && matched >= msg->last_seq) {
        if (!s_truncate (self, msg->last_seq))  //  our tail is not in the best log
            return;
        s_become_ready (self, now, out);
    }
    else {
        if (!ok) {
            //  A wrong guess: guess again, further back
            self->sync_matched = msg->prev_seq > self->sync_step
                               ? msg->prev_seq - self->sync_step : 0;
            self->sync_step *= 2;
        }
        else
        if (matched > self->sync_matched) {
            self->sync_matched = matched;
            self->sync_started = now;       //  progress: give it more time
        }
        s_fetch (self, now, out);
    }
}

//  Leader: a backup confirms (granted) or refuses.  A backup verifies only
//  what we sent it, so a granted ACK can confirm at most the highest seq
//  sent to it in this leadership; a higher claim is forged (a fake ACK
//  with last_seq 2^64-1 once made a match that counted for every commit,
//  and wrapped the next seq to send to 0: issue 9, item 7).
static void
s_leader_commit (zc_replica_t *self)
{
    uint64_t commit = zc_replication_commit (self->repl, zc_chatlog_last_seq (self->log),
                                             self->durable, self->start_seq);
    if (commit > self->commit)
        self->commit = commit;
}

static void
s_on_append_ack (zc_replica_t *self, const zc_msg_t *msg, uint64_t now)
{
    size_t index = 0;
    while (index < self->cfg.peer_count && self->cfg.peers [index] != msg->node)
        index++;
    if (index == self->cfg.peer_count)
        return;
    if (msg->granted && msg->last_seq > self->sent [index]) {
        s_refuse (self, "an APPEND_ACK past what we sent");
        return;
    }
    zc_replication_ack (self->repl, (uint32_t) msg->node, msg->granted, msg->last_seq, now);
    s_leader_commit (self);
}

void
zc_replica_recv (zc_replica_t *self, const zc_msg_t *msg, const zc_blob_t *entries,
                 size_t count, uint64_t now, zc_ractions_t *out)
{
    switch (msg->type) {
        case ZC_APPEND:
            s_on_append (self, msg, entries, count, out);
            break;
        case ZC_APPEND_ACK:
            if (zc_replica_ready (self) && msg->epoch == self->epoch)
                s_on_append_ack (self, msg, now);
            break;
        case ZC_LOG_FETCH:
            s_on_log_fetch (self, msg, out);
            break;
        case ZC_LOG_ENTRIES:
            s_on_log_entries (self, msg, entries, count, now, out);
            break;
        case ZC_SNAPSHOT:
            zc_rep_on_snapshot (self, msg, now, out);
            break;
        case ZC_SNAPSHOT_ACK:
            if (zc_replica_ready (self) && msg->epoch == self->epoch)
                zc_rep_on_snapshot_ack (self, msg, now, out);
            break;
        default:
            break;
    }
}

void
zc_replica_tick (zc_replica_t *self, uint64_t now, zc_ractions_t *out)
{
    if (!self->leading)
        return;
    if (!self->ready) {
        if (self->sync_from && now >= self->sync_started + self->cfg.sync_timeout_ms)
            out->stuck = true;
        else
        if (self->sync_from && now >= self->sync_sent + self->cfg.retry_ms)
            s_fetch (self, now, out);
        return;
    }
    if (self->failed)
        return;
    uint64_t last = zc_chatlog_last_seq (self->log);
    s_leader_commit (self);         //  with --quorum 1, our own disk is enough
    for (size_t i = 0; i < self->cfg.peer_count; i++) {
        uint32_t peer = self->cfg.peers [i];
        uint64_t from;
        if (!zc_replication_due (self->repl, peer, last, now, &from))
            continue;
        if (from < zc_chatlog_first_seq (self->log)) {
            zc_rep_snapshot_send (self, i, now, out);   //  it needs entries we retired
            continue;
        }
        if (self->snap_for [i])
            self->snap_for [i] = self->snap_offset [i] = self->snap_at [i] = 0;
        uint64_t to = from + self->cfg.batch - 1 < last ? from + self->cfg.batch - 1 : last;
        zc_rsend_t *send = s_send (self, out, peer, ZC_APPEND);
        if (!send)
            break;          //  not sent, not marked sent: the next tick
        zc_msg_set_u64 (&send->msg, ZF_PREV_SEQ, from - 1);
        zc_msg_set_u64 (&send->msg, ZF_PREV_EPOCH, zc_chatlog_epoch_at (self->log, from - 1));
        zc_msg_set_u64 (&send->msg, ZF_COMMIT, self->commit);
        zc_msg_set_u64 (&send->msg, ZF_LAST_SEQ, last);
        zc_msg_set_u64 (&send->msg, ZF_START_SEQ, self->start_seq);
        zc_msg_set_u64 (&send->msg, ZF_LT, now);
        send->first = from;
        send->last = to;
        uint64_t sent = from <= to ? to : from - 1;
        if (sent > self->sent [i])
            self->sent [i] = sent;
        zc_replication_sent (self->repl, peer, sent, now);
    }
}

void
zc_replica_set_members (zc_replica_t *self, const uint32_t *peers, size_t count,
                        uint32_t quorum, uint64_t mh, uint64_t mseq)
{
    if (count > ZC_ELECTION_MAX_MEMBERS)
        return;
    if (!zc_replication_set_peers (self->repl, peers, count, quorum,
                                   zc_chatlog_last_seq (self->log)))
        return;
    //  What we sent each peer, and its snapshot transfer, follow it to its
    //  new place (a new peer starts with nothing)
    uint64_t sent [ZC_ELECTION_MAX_MEMBERS] = { 0 };
    uint64_t snap_for [ZC_ELECTION_MAX_MEMBERS] = { 0 };
    uint64_t snap_offset [ZC_ELECTION_MAX_MEMBERS] = { 0 };
    uint64_t snap_at [ZC_ELECTION_MAX_MEMBERS] = { 0 };
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < self->cfg.peer_count; j++)
            if (self->cfg.peers [j] == peers [i]) {
                sent [i] = self->sent [j];
                snap_for [i] = self->snap_for [j];
                snap_offset [i] = self->snap_offset [j];
                snap_at [i] = self->snap_at [j];
            }
    memcpy (self->sent, sent, sizeof sent);
    memcpy (self->snap_for, snap_for, sizeof snap_for);
    memcpy (self->snap_offset, snap_offset, sizeof snap_offset);
    memcpy (self->snap_at, snap_at, sizeof snap_at);
    memcpy (self->cfg.peers, peers, count * sizeof peers [0]);
    self->cfg.peer_count = count;
    self->cfg.quorum = quorum;
    self->cfg.mh = mh;
    self->cfg.mseq = mseq;
    if (self->leading && self->ready)
        s_leader_commit (self);
}

void
zc_replica_durable (zc_replica_t *self, uint64_t seq)
{
    self->durable = seq;
    if (self->leading && self->ready)
        s_leader_commit (self);
}

uint64_t
zc_replica_commit (zc_replica_t *self)
{
    return self->commit;
}

uint64_t
zc_replica_log_epoch (zc_replica_t *self)
{
    return self->log_epoch;
}

uint64_t
zc_replica_start_seq (zc_replica_t *self)
{
    return self->leading ? self->start_seq : 0;
}

uint64_t
zc_replica_match (zc_replica_t *self, uint32_t peer)
{
    return zc_replication_match (self->repl, peer);
}

bool
zc_replica_failed (zc_replica_t *self)
{
    return self->failed;
}

uint64_t
zc_replica_refused (zc_replica_t *self)
{
    return self->refused;
}

const char *
zc_replica_refusal (zc_replica_t *self)
{
    return self->refusal;
}

uint64_t
zc_replica_snapshots (zc_replica_t *self)
{
    return self->snapshots;
}

uint64_t
zc_replica_dropped (zc_replica_t *self)
{
    return self->dropped;
}

void
zc_ractions_clear (zc_ractions_t *actions)
{
    actions->count = 0;
    actions->save = false;
    actions->stuck = false;
}
