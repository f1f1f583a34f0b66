/*  replication.h — the leader's view of each backup's log, and commit.

    Pure bookkeeping, no I/O: which entries to send each backup next
    (pipelined: next advances as soon as a batch is sent), what each backup
    has confirmed (match), and the commit point: the highest seq that a
    quorum, the leader included, holds in the leader's epoch.  A backup
    that rejects an APPEND tells its last seq and the leader backs up to it.
*/
#ifndef ZC_REPLICATION_H
#define ZC_REPLICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _zc_replication_t zc_replication_t;

//  NULL without memory.
zc_replication_t *zc_replication_new (const uint32_t *peers, size_t count,
                                      uint32_t quorum, uint32_t retry_ms);
//  At most this many unconfirmed entries in flight to one backup
//  (default 4096).
void zc_replication_set_window (zc_replication_t *self, uint64_t entries);

void zc_replication_destroy (zc_replication_t **self_p);

//  A new leadership over a log ending at last_seq: nothing is confirmed.
void zc_replication_reset (zc_replication_t *self, uint64_t last_seq, uint64_t now);

//  What to send to peer now: entries [*from, last_seq] (maybe none: an
//  empty APPEND that probes where the backup stands).  False if nothing
//  is due.  The caller caps the batch and reports what it sent.
bool zc_replication_due (zc_replication_t *self, uint32_t peer, uint64_t last_seq,
                         uint64_t now, uint64_t *from);

//  A batch up to `to` went out (next = to + 1).
void zc_replication_sent (zc_replication_t *self, uint32_t peer, uint64_t to, uint64_t now);

//  APPEND_ACK from peer: granted (it holds everything up to last_seq, as we
//  do) or refused (its log ends at last_seq or differs after it).
void zc_replication_ack (zc_replication_t *self, uint32_t peer, bool granted,
                         uint64_t last_seq, uint64_t now);

//  Highest seq held by a quorum of disks: the leader's up to
//  leader_durable (of its log 1..leader_last_seq), each backup's up to
//  what it confirmed.  Only backups that confirmed at least `floor` (the
//  log the leader began its epoch with) count: before that they have not
//  installed this epoch's log.
uint64_t zc_replication_commit (zc_replication_t *self, uint64_t leader_last_seq,
                                uint64_t leader_durable, uint64_t floor);

//  The configuration in force changed: these peers and this quorum from
//  now on.  Peers that stay keep their positions; a new one starts
//  unconfirmed, probed at once from last_seq + 1.  False without memory
//  (nothing changed then).
bool zc_replication_set_peers (zc_replication_t *self, const uint32_t *peers, size_t count,
                               uint32_t quorum, uint64_t last_seq);

//  A peer's confirmed position (0 if unknown peer).
uint64_t zc_replication_match (zc_replication_t *self, uint32_t peer);

#endif
