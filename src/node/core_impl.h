/*  core_impl.h — the core's private state, shared by core*.c (and by
    tests that look inside, like tests/test_node_client.c).

    core.c          events, the election and the replica, the storage
                    bookkeeping, timers (beacon, retention)
    core_bundle.c   the bundle's memory, building it, zc_core_ready
    core_client.c   client requests (HELLO, POST, STATUS, FETCH), commit,
                    publication and ACKs
    core_members.c  the configuration in force, and ADMIN (membership
                    changes, docs/ELECTION.md "Membership changes")
*/
#ifndef ZC_CORE_IMPL_H
#define ZC_CORE_IMPL_H

#include <czmq.h>
#include "core.h"
#include "client_limits.h"
#include "presence.h"
#include "lamport.h"
#include "outbox.h"

//  A client's ROUTER identity (libzmq's limit: 255 bytes): what a waiter
//  keeps on its log entry until the ACK goes out.
typedef struct {
    uint64_t stamp;                 //  the loop's stamp of the POST (zc_core_stamp)
    size_t len;
    uint8_t data [255];
} zc_core_ident_t;

#define ZC_BEACON_BURST    10       //  beacons at heartbeat pace after a change
#define ZC_BEACON_IDLE_MS  1000     //  then at most this far apart
#define ZC_RETAIN_EVERY_MS 10000    //  a retention pass this often
#define ZC_CORE_MAX_BLOBS  4096     //  entries of one peer message read at most
#define ZC_CORE_DEPTH      4        //  ROLE -> lead -> stuck -> step down -> ROLE

//  The bundle's arena: blocks that never move, reset per bundle, so that
//  a reply costs a copy into memory already held, not a malloc.
typedef struct {
    uint8_t *data;
    size_t size, used;
} zc_arena_block_t;

typedef struct {
    zc_arena_block_t *blocks;
    size_t count, current;
} zc_arena_t;

//  A send as the bundle is built: `early` marks a leader's replica send,
//  which may leave before its own disk write (core.h, step 1).
typedef struct {
    zc_core_send_t send;
    bool early;
} zc_core_pending_t;

//  A send that waits for the disk (core.h, "what waits"): kept encoded,
//  because the bundle that made it is gone by the time it leaves.
typedef struct {
    uint64_t ticket;                //  leaves once this ticket is durable
    uint32_t to;
    uint64_t first, last;           //  the log entries that ride along
    uint8_t *data;
    size_t size;
} zc_core_held_t;

//  A log write handed to the loop, not yet reported durable.
typedef struct {
    uint64_t ticket;
    uint64_t last;                  //  the log's end once it is on disk
    uint64_t cut;                   //  it truncates after this seq (UINT64_MAX: no)
} zc_core_job_t;

struct _zc_core_t {
    zc_core_config_t cfg;
    zc_election_t *election;
    zc_chatlog_t *log;
    zc_replica_t *replica;
    zc_lamport_t clock;
    zc_stored_t stored;
    zc_limits_t *limits;
    zc_presence_t *presence;        //  leader: who is in which room (presence.h)
    uint64_t now;                   //  the latest event's time

    uint64_t lead_epoch;            //  epoch of our current leadership (0: none)
    uint64_t published;             //  leader: highest seq published
    zhashx_t *room_rseq;            //  leader: room -> last published rseq
    zc_outbox_t *pub_box;           //  leader: publications of one release
    zc_outbox_t *ack_box;           //  leader: ACKs of one release

    //  Storage bookkeeping (the replica's hooks): what the disk holds once
    //  the loop executed the bundles so far, and the lowest truncation
    //  point asked for since the last bundle.
    uint64_t disk_last;
    uint64_t trunc_low;             //  UINT64_MAX: none
    bool install;                   //  a snapshot replaced the log (s_hook_install)
    uint64_t install_base;
    uint64_t durable;               //  the log equals the disk's synced copy up to here
    //  The loop's storage runs behind the bundles (core.h): tickets given
    //  to bundles that write, the highest reported durable, the writes in
    //  between, and the sends waiting for them.
    uint64_t issued, done;
    zc_core_job_t *jobs;
    size_t job_count, job_cap;
    zc_core_held_t *held;
    size_t held_count, held_cap;

    uint64_t next_retain;
    uint64_t next_beacon;
    uint32_t beacon_burst;
    uint64_t next_retry;            //  leader: replica tick due (heartbeat / 2)
    uint64_t lazy_until;            //  ZC_TEST_BUG_EARLY_ACK: lazy replication

    //  Membership (core_members.c): the configuration in force, its
    //  entry's seq and epoch (0: --peers), and a count of changes
    zc_members_t members;
    uint64_t members_seq, members_epoch, members_version;
    uint64_t members_held, members_held_epoch;  //  the newest entry the log holds
    uint64_t members_retired_held;  //  and the retired one's seq (a snapshot brings one)
                                                //  (0: none), as last looked at

    uint64_t dropped;               //  invalid frames (and sends the loop lost)
    uint64_t handled;               //  chat messages stamped here
    uint64_t refused;               //  requests refused by a limit
    uint64_t slowed;                //  POSTs refused by the rate limit
    uint64_t denied;                //  handshakes refused by ZAP (the loop's)
    uint64_t forged_boundary;       //  wrong User-Id (the loop's)
    //  Metrics (docs/METRICS.md)
    uint64_t publications;          //  chat messages published
    uint64_t appended_in;           //  entries from other nodes appended
    uint64_t leader_changes;
    uint32_t seen_leader;           //  the leader as last seen (0: none yet)
    uint64_t stamp;                 //  zc_core_stamp: the next requests'
    uint64_t *stamps;               //  ACKs in the ACK outbox: their POSTs' stamps
    size_t stamp_count, stamp_cap;
    uint64_t *acked;                //  the bundle's (flushed with the ACKs)
    size_t acked_count, acked_cap;

    //  Action buffers by depth: a ROLE change handled while its own list
    //  is walked fills the next one, never the list being walked.
    zc_actions_t actions [ZC_CORE_DEPTH];
    zc_ractions_t ractions [ZC_CORE_DEPTH];
    size_t depth;

    //  The bundle being built
    bool taken;                     //  zc_core_ready returned it: clear first
    bool save_state;
    bool no_early;                  //  the leader is stuck: strict order
    zc_core_pending_t *pending;
    size_t pending_count, pending_cap;
    zc_core_send_t *early, *sends;
    size_t send_cap;
    zc_core_reply_t *replies;
    size_t reply_count, reply_cap;
    zc_core_pub_t *pubs;
    size_t pub_count, pub_cap;
    zc_core_log_t *logs;
    size_t log_count, log_cap;
    uint64_t retain_upto;
    zc_arena_t arena;
    zc_core_ready_t ready;

    zc_blob_t blobs [ZC_CORE_MAX_BLOBS];
    uint8_t buf [ZC_MAX_FRAME];
};

//  core_bundle.c (allocation failures stop the node: oom.h)
void *zc_core_alloc (zc_core_t *self, size_t size);
zc_bytes_t zc_core_copy (zc_core_t *self, const void *data, size_t size);
void zc_core_logf (zc_core_t *self, zc_core_level_t level, const char *format, ...);
void zc_core_push_send (zc_core_t *self, uint32_t to, bool ping, const zc_msg_t *msg,
                        uint64_t first, uint64_t last, bool early);
//  Every event starts here: a bundle the loop took is done with.
void zc_core_begin (zc_core_t *self, uint64_t now);
//  The loop reported ticket on disk: what the log's durable end is now.
void zc_core_jobs_done (zc_core_t *self, uint64_t ticket);
void zc_core_held_free (zc_core_t *self);
//  The log equals the disk's synced copy up to seq (the replica learns it).
void zc_core_set_durable (zc_core_t *self, uint64_t seq);

//  core_client.c
void zc_core_on_client (zc_core_t *self, const uint8_t *ident, size_t ident_len,
                        const uint8_t *body, size_t size, const char *user, uint64_t now);
void zc_core_reply_error (zc_core_t *self, const uint8_t *ident, size_t ident_len,
                          const char *code, const char *reason);
void zc_core_advance (zc_core_t *self, uint64_t now);
void zc_core_release (zc_core_t *self);
void zc_core_release_waiters (zc_core_t *self);
zc_outbox_flush_fn zc_core_flush_pub;
//  core_client.c: a waiter for an entry the leader appends itself
zc_core_ident_t *zc_core_ident_dup (zc_core_t *self, const uint8_t *ident, size_t len);

//  core_members.c: the configuration the log puts in force (or --peers),
//  and the seq and epoch of its entry (0: none); false if the newest entry
//  does not parse (a hostile log: the old one stays)
bool zc_core_members_from_log (zc_core_t *self, zc_members_t *out, uint64_t *seq,
                               uint64_t *epoch);
//  The election view of a configuration: ids, quorum, hash
void zc_core_members_apply (zc_core_t *self, const zc_members_t *members, uint64_t seq,
                            zc_election_config_t *ecfg);
//  core.c: the leader retires (hands over) from inside an event
void zc_core_retire_now (zc_core_t *self, uint64_t now);
//  ADMIN on the client ROUTER (user: the User-Id, NULL without security)
void zc_core_on_admin (zc_core_t *self, const uint8_t *ident, size_t ident_len,
                       const zc_msg_t *msg, const char *user, uint64_t now);
zc_outbox_flush_fn zc_core_flush_ack;

#endif
