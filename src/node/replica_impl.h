/*  replica_impl.h — the replica's private state, shared by replica.c (the
    log's replication, commit and view change) and replica_snap.c (catch-up
    past retention by snapshot, docs/PROTOCOL.md §5.8).
*/
#ifndef ZC_REPLICA_IMPL_H
#define ZC_REPLICA_IMPL_H

#include "replica.h"
#include "replication.h"

struct _zc_replica_t {
    zc_replica_config_t cfg;
    zc_chatlog_t *log;
    zc_replication_t *repl;
    uint64_t epoch;             //  the epoch we lead or follow
    uint32_t leader;            //  whom we follow (self when leading)
    bool leading;
    bool ready;                 //  leading, with the best log
    uint64_t log_epoch;         //  epoch whose leader's log we hold
    uint64_t commit;
    uint64_t durable;           //  our log is on our disk up to here
    uint64_t start_seq;         //  leader: log end when the epoch began
    bool failed;                //  storage refused a write
    //  View change: fetching the best log from another node.
    uint32_t sync_from;
    uint64_t sync_target;       //  its last seq, as it voted
    uint64_t sync_matched;      //  our log equals its log up to here (or a guess)
    uint64_t sync_step;         //  how far back the next guess goes
    uint64_t sync_started;      //  when the transfer began or last made progress
    uint64_t sync_sent;
    bool sync_snapshot;         //  it retired what we lack: fetching its snapshot
    //  Leader: the highest seq sent to each peer (cfg.peers order) in
    //  this leadership; a granted APPEND_ACK can confirm no more.
    uint64_t sent [ZC_ELECTION_MAX_MEMBERS];
    //  Messages refused as absurd or forged (issue 9), and why the last was.
    uint64_t refused;
    const char *refusal;
    uint64_t dropped;           //  sends that did not fit the caller's list
    //  Leader: the snapshot of our retired state (made again when the base
    //  moves), and each backup's transfer (cfg.peers order): its base, the
    //  bytes it holds, when the last chunk went out (0: send at once).
    char *snap_text;
    size_t snap_size;
    uint64_t snap_base;         //  the base snap_text was made at (UINT64_MAX: none)
    uint64_t snap_for [ZC_ELECTION_MAX_MEMBERS];
    uint64_t snap_offset [ZC_ELECTION_MAX_MEMBERS];
    uint64_t snap_at [ZC_ELECTION_MAX_MEMBERS];
    //  Backup: the snapshot being received from our leader
    char *recv_text;
    size_t recv_size, recv_cap;
    uint64_t recv_epoch, recv_base, recv_base_epoch, recv_total;
    uint32_t recv_leader;
    uint64_t snapshots;         //  installed (backup) or sent whole (leader)
};

//  replica.c: a refusal counted; the commit floor (commit point or last
//  retired seq); a send added to out (NULL if it is full)
void zc_rep_refuse (zc_replica_t *self, const char *why);
uint64_t zc_rep_floor (zc_replica_t *self);
zc_rsend_t *zc_rep_send (zc_replica_t *self, zc_ractions_t *out, uint32_t to, zc_type_t type);
//  View change: ask the best voter for more (LOG_FETCH)
void zc_rep_fetch (zc_replica_t *self, uint64_t now, zc_ractions_t *out);

//  replica_snap.c
void zc_rep_snapshot_send (zc_replica_t *self, size_t i, uint64_t now, zc_ractions_t *out);
void zc_rep_on_snapshot (zc_replica_t *self, const zc_msg_t *msg, uint64_t now,
                         zc_ractions_t *out);
//  A voter asked for its snapshot in a view change (LOG_FETCH with count)
void zc_rep_snapshot_reply (zc_replica_t *self, const zc_msg_t *msg, zc_ractions_t *out);
void zc_rep_on_snapshot_ack (zc_replica_t *self, const zc_msg_t *msg, uint64_t now,
                             zc_ractions_t *out);
void zc_rep_snapshot_free (zc_replica_t *self);

#endif
