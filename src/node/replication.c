/*  replication.c — see replication.h */
#include "replication.h"

#include <stdlib.h>

typedef struct {
    uint32_t id;
    uint64_t next;          //  first seq not yet sent
    uint64_t match;         //  confirmed in this leadership
    bool known;             //  match is confirmed (else: probe first)
    uint64_t sent_at;       //  last APPEND sent
    uint64_t progress_at;   //  last time match moved (or leadership began)
} s_peer_t;

struct _zc_replication_t {
    s_peer_t *peers;
    size_t count;
    uint32_t quorum;
    uint32_t retry_ms;
    uint64_t window;        //  unconfirmed entries per backup, at most
};

zc_replication_t *
zc_replication_new (const uint32_t *peers, size_t count, uint32_t quorum, uint32_t retry_ms)
{
    zc_replication_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->peers = calloc (count ? count : 1, sizeof *self->peers);
    if (!self->peers) {
        free (self);
        return NULL;
    }
    for (size_t i = 0; i < count; i++)
        self->peers [i].id = peers [i];
    self->count = count;
    self->quorum = quorum;
    self->retry_ms = retry_ms ? retry_ms : 1;
    self->window = 4096;
    return self;
}

void
zc_replication_set_window (zc_replication_t *self, uint64_t entries)
{
    self->window = entries ? entries : 1;
}

void
zc_replication_destroy (zc_replication_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->peers);
        free (*self_p);
        *self_p = NULL;
    }
}

static s_peer_t *
s_peer (zc_replication_t *self, uint32_t id)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->peers [i].id == id)
            return &self->peers [i];
    return NULL;
}

void
zc_replication_reset (zc_replication_t *self, uint64_t last_seq, uint64_t now)
{
    for (size_t i = 0; i < self->count; i++) {
        s_peer_t *peer = &self->peers [i];
        peer->next = last_seq + 1;
        peer->match = 0;
        peer->known = false;
        peer->sent_at = 0;
        peer->progress_at = 0;      //  probe at once
    }
    (void) now;
}

bool
zc_replication_due (zc_replication_t *self, uint32_t id, uint64_t last_seq,
                    uint64_t now, uint64_t *from)
{
    s_peer_t *peer = s_peer (self, id);
    if (!peer)
        return false;
    //  Never past our own log.  A refusal reports the backup's log end,
    //  which may lie past ours (a backup that did not follow us yet, with
    //  a stale tail); an APPEND built from there would name a previous
    //  entry we do not hold (epoch 0), and if it arrives late, after the
    //  backup got our real entry at that seq, the backup would truncate
    //  committed entries.
    if (peer->next > last_seq + 1)
        peer->next = last_seq + 1;
    if (!peer->known) {
        //  Until a backup confirms where it stands, one APPEND at a time
        //  (at once after a refusal, else after retry_ms).
        if (peer->sent_at && now < peer->sent_at + self->retry_ms)
            return false;
        *from = peer->next;
        return true;
    }
    //  Pipeline new entries, but keep at most `window` unconfirmed: a
    //  backup's queue stays short, so its answers (and the lease they
    //  renew) are never stuck behind seconds of work.
    if (peer->next <= last_seq && peer->next - 1 - peer->match < self->window) {
        *from = peer->next;
        return true;
    }
    if (now < peer->sent_at + self->retry_ms)
        return false;
    //  Quiet for a while: send a (maybe empty) APPEND.  It carries the
    //  commit point, probes where an unknown backup stands, and if what we
    //  sent earlier went unconfirmed for too long, sends it again.
    if (peer->known && peer->match + 1 < peer->next
    &&  now >= peer->progress_at + self->retry_ms)
        peer->next = peer->match + 1;
    *from = peer->next;
    return true;
}

void
zc_replication_sent (zc_replication_t *self, uint32_t id, uint64_t to, uint64_t now)
{
    s_peer_t *peer = s_peer (self, id);
    if (!peer)
        return;
    peer->next = to + 1;
    peer->sent_at = now;
}

void
zc_replication_ack (zc_replication_t *self, uint32_t id, bool granted,
                    uint64_t last_seq, uint64_t now)
{
    s_peer_t *peer = s_peer (self, id);
    if (!peer)
        return;
    if (granted) {
        peer->known = true;
        if (last_seq > peer->match) {
            peer->match = last_seq;
            peer->progress_at = now;
        }
        if (peer->next <= peer->match)
            peer->next = peer->match + 1;
    }
    else {
        //  Its log ends earlier or differs: resend from where it stands.
        //  It may even hold less than it once confirmed (wiped, or a tail
        //  lost with --fsync never): believe it, counting less is safe.
        if (last_seq < peer->match) {
            peer->match = last_seq;
            peer->known = false;
        }
        uint64_t back = last_seq + 1;
        if (back <= peer->match)
            back = peer->match + 1;
        peer->next = back;
        peer->progress_at = now;
        peer->sent_at = 0;
    }
}

uint64_t
zc_replication_commit (zc_replication_t *self, uint64_t leader_last_seq,
                       uint64_t leader_durable, uint64_t floor)
{
    //  The quorum-th highest position among the leader and its backups;
    //  the leader's own copy counts once it is on its disk (Raft thesis
    //  §10.2.1: its write runs beside the backups').
    if (leader_durable > leader_last_seq)
        leader_durable = leader_last_seq;
    uint64_t best = 0;
    for (size_t i = 0; i <= self->count; i++) {
        uint64_t candidate = i < self->count ? self->peers [i].match : leader_durable;
        if (candidate > leader_last_seq)
            candidate = leader_last_seq;
        if (candidate < floor)
            continue;
        size_t holders = candidate <= leader_durable ? 1 : 0;
        for (size_t j = 0; j < self->count; j++)
            if (self->peers [j].match >= candidate && self->peers [j].match >= floor)
                holders++;
        if (holders >= self->quorum && candidate > best)
            best = candidate;
    }
    return best;
}

bool
zc_replication_set_peers (zc_replication_t *self, const uint32_t *peers, size_t count,
                          uint32_t quorum, uint64_t last_seq)
{
    s_peer_t *fresh = calloc (count ? count : 1, sizeof *fresh);
    if (!fresh)
        return false;
    for (size_t i = 0; i < count; i++) {
        s_peer_t *old = s_peer (self, peers [i]);
        if (old)
            fresh [i] = *old;
        else {
            fresh [i].id = peers [i];
            fresh [i].next = last_seq + 1;
        }
    }
    free (self->peers);
    self->peers = fresh;
    self->count = count;
    self->quorum = quorum;
    return true;
}

uint64_t
zc_replication_match (zc_replication_t *self, uint32_t id)
{
    s_peer_t *peer = s_peer (self, id);
    return peer ? peer->match : 0;
}
