/*  replica.h — the log side of a node: replication, commit, view change.

    A pure state machine over the node's chat log (no sockets, no clock):
    the node feeds it peer messages and ticks, and sends the messages it
    returns, attaching the log entries each one names.  Storage goes
    through hooks, so the simulator runs it with an in-memory log.

    - Backup: applies the leader's APPENDs after checking the previous
      entry (epoch and seq), truncating a suffix that differs; acknowledges
      how far its log now equals the leader's (cumulative).  Its log epoch
      becomes the leader's epoch once it holds the log the leader started
      its epoch with, and no foreign tail.
    - Leader: first the view change (docs/ELECTION.md, "The view change"):
      among the quorum that accepted its epoch it takes the log with the
      highest (log epoch, last seq), fetching what it lacks from that node;
      only then is it ready to stamp.  Then it pipelines APPENDs (whatever is queued, in batches),
      and commits what a quorum holds in its epoch.
    - Snapshot (docs/PROTOCOL.md §5.8): a backup whose next needed entry
      the leader has retired gets the retired state instead, in chunks;
      it replaces its whole log by it and acknowledges the base, and
      APPENDs go on from there.
    - Hostile input (issue 9): a message that no correct peer could send
      is refused whole, unanswered, and counted (zc_replica_refused); and
      whatever a message says, no entry at or below the commit point (or
      retired) is ever truncated or replaced.  PROTOCOL.md §5.5 lists the
      refusals.  Only the node's key check tells a consistent forgery.
*/
#ifndef ZC_REPLICA_H
#define ZC_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "chatlog.h"
#include "election.h"
#include "wire.h"

#define ZC_RSENDS_MAX (ZC_ELECTION_MAX_MEMBERS + 8)

//  A message for a peer; entries [first, last] of the log ride along as
//  frames 2.. (none when first > last).
typedef struct {
    uint32_t to;
    zc_msg_t msg;
    uint64_t first, last;
} zc_rsend_t;

typedef struct {
    zc_rsend_t sends [ZC_RSENDS_MAX];
    size_t count;
    bool save;              //  the log epoch changed: persist it first
    bool stuck;             //  leader cannot get the best log: step down
} zc_ractions_t;

//  One encoded entry as it arrived (frame data).
typedef struct {
    const uint8_t *data;
    size_t size;
} zc_blob_t;

//  Durable storage of the log; NULL hooks keep the log in memory only.
//  install: the whole log was replaced by the leader's snapshot at base
//  (the chat log is now empty after base, with the snapshot's tables);
//  the store must drop every record and persist the retired state.
typedef struct {
    int (*append) (void *arg, const zc_entry_t *entry);
    int (*truncate) (void *arg, uint64_t after_seq);
    void *arg;
    int (*install) (void *arg, uint64_t base);
} zc_store_hooks_t;

typedef struct {
    uint32_t self;
    uint32_t peers [ZC_ELECTION_MAX_MEMBERS];
    size_t peer_count;
    uint32_t quorum;
    uint64_t mh;                //  membership hash, stamped on every message
    uint64_t mseq;              //  its configuration entry (0: --peers)
    uint32_t retry_ms;          //  resend / keep-alive interval
    uint32_t batch;             //  entries per APPEND at most (default 512)
    uint32_t window;            //  unconfirmed entries per backup (default 4 * batch)
    uint32_t sync_timeout_ms;   //  view change: give up after this
    zc_store_hooks_t store;
} zc_replica_config_t;

typedef struct _zc_replica_t zc_replica_t;

//  Over a log already loaded, with the persisted log epoch and the commit
//  point known (0 after a restart: it is learned again).  NULL without a
//  log or memory.
zc_replica_t *zc_replica_new (const zc_replica_config_t *cfg, zc_chatlog_t *log,
                              uint64_t log_epoch);
void zc_replica_destroy (zc_replica_t **self_p);

//  The election made us leader of epoch; votes are the (log epoch, last
//  seq) of the quorum that accepted it.
void zc_replica_lead (zc_replica_t *self, uint64_t epoch, const zc_vote_t *votes,
                      size_t count, uint64_t now, zc_ractions_t *out);

//  We follow leader (0: unknown) in epoch, or stopped leading.
void zc_replica_follow (zc_replica_t *self, uint64_t epoch, uint32_t leader);

//  Leading, with the best log: may stamp and append.
bool zc_replica_ready (zc_replica_t *self);

//  Leader: append an entry it stamped (seq = last_seq + 1).  Returns the
//  entry, or NULL if storage failed, seq is wrong or we are not ready.
zc_entry_t *zc_replica_append (zc_replica_t *self, const zc_msg_t *chat,
                               const uint8_t *data, size_t size);

//  APPEND, APPEND_ACK, LOG_FETCH, LOG_ENTRIES, SNAPSHOT, SNAPSHOT_ACK
//  from a peer, with the entries that came with it.
void zc_replica_recv (zc_replica_t *self, const zc_msg_t *msg, const zc_blob_t *entries,
                      size_t count, uint64_t now, zc_ractions_t *out);

//  Leader: APPENDs that are due; view change: fetches to repeat.
void zc_replica_tick (zc_replica_t *self, uint64_t now, zc_ractions_t *out);

uint64_t zc_replica_commit (zc_replica_t *self);
//  Our log is on our disk up to seq: a leader counts its own copy only
//  up to here (the core tells it, zc_core_durable).
void zc_replica_durable (zc_replica_t *self, uint64_t seq);
uint64_t zc_replica_log_epoch (zc_replica_t *self);
//  The leader's log end when its epoch began (0 when not leading).
uint64_t zc_replica_start_seq (zc_replica_t *self);
//  A backup's confirmed position, as the leader knows it.
uint64_t zc_replica_match (zc_replica_t *self, uint32_t peer);
//  Storage refused a write: the node must stop (a restart re-reads disk).
bool zc_replica_failed (zc_replica_t *self);
//  Peer messages refused as absurd or forged (issue 9): an APPEND or
//  LOG_ENTRIES that no correct sender could send or that would change a
//  committed entry, an APPEND_ACK confirming more than we sent, a vote
//  that cannot be true.  The node counts them in STATUS `forged`; it may
//  compare the count before and after zc_replica_recv to log the message.
uint64_t zc_replica_refused (zc_replica_t *self);
//  Why the last refusal (a static string; NULL if none yet).
const char *zc_replica_refusal (zc_replica_t *self);

//  Snapshots installed here (backup) and sent whole (leader).
uint64_t zc_replica_snapshots (zc_replica_t *self);

//  Sends dropped because the caller's zc_ractions_t was full (it holds
//  ZC_RSENDS_MAX; clear it before each call).
uint64_t zc_replica_dropped (zc_replica_t *self);

//  The configuration in force changed (docs/ELECTION.md "Membership
//  changes"): replicate to these peers, commit by this quorum, stamp this
//  hash.  A leader sends a new peer everything it lacks from now on.
void zc_replica_set_members (zc_replica_t *self, const uint32_t *peers, size_t count,
                             uint32_t quorum, uint64_t mh, uint64_t mseq);

void zc_ractions_clear (zc_ractions_t *actions);

#endif
