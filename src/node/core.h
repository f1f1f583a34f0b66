/*  core.h — the node's protocol with no I/O (etcd raft's RawNode/Ready).

    The core owns everything a node decides: the election, the replica,
    the chat log and its indexes, the Lamport clock, admission and dedup of
    POSTs (limits included), the serving rule (lease and view change),
    commit, publication and ACKs, beacons and retention.  It never touches
    a socket, a file or the clock: every event carries `now` (monotonic
    milliseconds), and what the node must do comes back in one ready
    bundle.  The loop (node*.c) reads sockets, feeds events, executes the
    bundle in the order written below, and reports back what persistence
    achieved.  tests/sim drives this same code under a simulated network.

    The loop's contract, per bundle (zc_core_ready).  The node's storage
    runs behind the loop (group commit, docs/STORAGE.md): a write handed
    to it is durable only when it says so, and the loop serves meanwhile.
      1. send early[0..early_count)     a leader's APPENDs, sent while its own
                                        disk write runs (Raft thesis §10.2.1);
                                        never present when state must be saved
      2. if snapshot: the leader's snapshot replaced the log (docs/
         STORAGE.md "Snapshot install"): write retired.state durably first,
         as the chat log's tables stand at snapshot_base, marked as a
         snapshot (truncate_after is then 0: the write drops every record)
         hand the write, numbered `ticket` (0: nothing to write), to the
         storage, in ticket order (or write it here, then go on as in 3): if truncate, drop every entry after
         truncate_after; then append entries write_first..write_last from
         zc_core_log (copy them: the core may drop them later); then sync
         (as --fsync says)
      3. if save_state: wait until every ticket handed out so far is
         durable, write `state` durably (election.state), and report the
         last ticket with zc_core_durable; likewise before retain_upto
      4. send sends[], then pubs[], then replies[] at once (publications
         before ACKs: a sender that hears its ACK may expect its own
         message on the PUB next); print logs[].  What must wait for the
         disk is not in them: ACKs and publications wait for a quorum and
         our own durable copy, and sends that speak of this node's log or
         state (a backup's APPEND_ACK, a vote) are held by the core until
         the tickets handed out before them are durable; an ACCEPT that
         saves nothing (the lease's renewal) goes at once, naming only
         the durable log
      5. when the storage reports ticket T on disk (all writes up to T
         synced): zc_core_durable (T), then take a bundle: the releases
    If a write in 2 or 3 fails, the loop stops the node with a non-zero
    exit and sends nothing more: nothing was released.  The loop takes a
    bundle after every peer message (the replica's answer describes the
    log as it stands after that message) and once after each wake-up's
    client requests and tick.

    Bundles stay valid until the next call into the core other than
    zc_core_ping, which touches no bundle.
*/
#ifndef ZC_CORE_H
#define ZC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "chatlog.h"
#include "election.h"
#include "members.h"
#include "replica.h"
#include "store.h"
#include "wire.h"

//  --initial-cluster-state: what a missing election.state means
//  (docs/ELECTION.md "Lost state").  AUTO: lost if the folder holds a
//  log, else unknown until a peer shows a log; NEW: never voted;
//  EXISTING: lost.
typedef enum { ZC_INITIAL_AUTO, ZC_INITIAL_NEW, ZC_INITIAL_EXISTING } zc_initial_t;

typedef struct {
    zc_election_config_t election;  //  self, members, quorum, mh, timing, seed
    zc_initial_t initial;           //  --initial-cluster-state (lost and fresh are
                                    //  derived from it and the disk: zc_core_new)
    uint32_t batch;                 //  entries per APPEND (512; 32 with --fsync always)
    uint32_t sync_timeout_ms;       //  view change gives up after this
    uint16_t port;                  //  for WELCOME: client port, and port + ZC_PORT_PUB
    uint32_t max_text;              //  --max-text
    uint32_t max_rooms;             //  --max-rooms
    uint32_t max_clients;           //  --max-clients
    uint32_t rate;                  //  --rate
    bool retain;                    //  --retain-mb or --retain-hours given
    //  Membership changes (docs/ELECTION.md "Membership changes"): the
    //  initial configuration (--peers and self, with hosts), the quorum
    //  --quorum gave (0: a majority of the configuration in force), and
    //  whether ADMIN is taken without a key (the client port is loopback)
    zc_members_t members;
    uint32_t quorum_explicit;
    bool admin_open;
} zc_core_config_t;

//  A message to a peer: over the peer link, or (ping) the heartbeat REQ.
//  Entries first..last of zc_core_log ride along as frames 2.. (none when
//  first > last), packed back to back up to ZC_MAX_BATCH a frame.
typedef struct {
    uint32_t to;
    bool ping;
    zc_msg_t msg;
    uint64_t first, last;
} zc_core_send_t;

//  Bytes in the bundle's arena: valid until the next call into the core.
typedef struct {
    const uint8_t *data;
    size_t size;
} zc_bytes_t;

//  A reply to a client: [identity][body][entry frames...].  For ENTRIES,
//  entries lists the seqs whose encodings follow the body, one a frame.
typedef struct {
    zc_bytes_t ident;
    zc_bytes_t body;
    const uint64_t *entries;
    size_t entry_count;
} zc_core_reply_t;

//  A publication: [topic][frame] (a room and its chat maps back to back,
//  or ZC_BEACON_TOPIC and a beacon).
typedef struct {
    zc_bytes_t topic;
    zc_bytes_t frame;
} zc_core_pub_t;

typedef enum { ZC_CORE_INFO, ZC_CORE_WARNING, ZC_CORE_ERROR } zc_core_level_t;

typedef struct {
    zc_core_level_t level;
    const char *text;
} zc_core_log_t;

typedef struct {
    zc_core_send_t *early;
    size_t early_count;
    bool snapshot;                          //  a snapshot replaced the log (step 2)
    uint64_t snapshot_base;
    bool truncate;
    uint64_t truncate_after;
    uint64_t write_first, write_last;       //  none when first > last
    uint64_t ticket;                        //  this write's number (0: none)
    bool save_state;
    zc_stored_t state;
    zc_core_send_t *sends;
    size_t send_count;
    zc_core_reply_t *replies;
    size_t reply_count;
    zc_core_pub_t *pubs;
    size_t pub_count;
    zc_core_log_t *logs;
    size_t log_count;
    //  Retention: the loop may retire log entries up to this seq (0:
    //  nothing), then tells the core zc_core_compacted
    uint64_t retain_upto;
    //  Metrics: the stamps (zc_core_stamp) of the POSTs whose ACKs are in
    //  replies[], for the loop to time them once sent
    const uint64_t *acked;
    size_t acked_count;
} zc_core_ready_t;

typedef struct _zc_core_t zc_core_t;

//  Over a log loaded from disk (the core takes it) and the persisted state.
zc_core_t *zc_core_new (const zc_core_config_t *cfg, zc_chatlog_t *log,
                        const zc_stored_t *stored, uint64_t now);
void zc_core_destroy (zc_core_t **self_p);

//  --- events ---------------------------------------------------------------

//  A frame on the peer ROUTER (already authenticated by the loop: with
//  CURVE the User-Id matched), with the entry frames that came along.
void zc_core_peer (zc_core_t *self, const uint8_t *body, size_t size,
                   const zc_bytes_t *frames, size_t frame_count, uint64_t now);
//  A PING on the heartbeat REP: returns the PONG (or an error) encoded in
//  *reply, to send at once (REP is strict; valid until the next call into
//  the core).  The one call allowed at any time, even while the loop
//  executes a bundle it took: it neither clears that bundle nor adds to
//  the one being built (the election notes the peer's ping, nothing
//  else), so the loop answers PINGs between client requests and between
//  a bundle's sends (docs/DECISIONS.md, "Heartbeat priority").
//  forged: the loop found the PING sent with another node's key (counted
//  with ZC_COUNT_FORGED); it is answered with an error, as a bad one is.
void zc_core_ping (zc_core_t *self, const uint8_t *body, size_t size, bool forged,
                   uint64_t now, zc_bytes_t *reply);
//  The election state changed in an event whose bundle the loop has not
//  taken yet: it is not on disk.  The loop answers no PING inside a
//  batch then (a PONG speaks of the state, as a vote does); the wake-up's
//  own drain, after the bundle, answers them.
bool zc_core_unsaved (zc_core_t *self);
//  A reply on the heartbeat REQ.
void zc_core_pong (zc_core_t *self, const uint8_t *body, size_t size, uint64_t now);
//  The heartbeat REQ's connection to the leader closed.
void zc_core_leader_down (zc_core_t *self, uint64_t now);
//  SIGTERM: stop gracefully (docs/ELECTION.md "Graceful stop").  A leader
//  stops serving and hands over to a backup that holds its log; the loop
//  goes on until zc_core_retired, then exits.  A backup, a candidate or a
//  node alone is retired at once.
void zc_core_retire (zc_core_t *self, uint64_t now);
bool zc_core_retired (zc_core_t *self);
//  A client request on the client ROUTER; user is the User-Id (NULL
//  without security).
void zc_core_client (zc_core_t *self, const uint8_t *ident, size_t ident_len,
                     const uint8_t *body, size_t size, const char *user, uint64_t now);
//  A client request the loop could not read whole (more than one body
//  frame): counted as dropped and answered bad_request with reason.
void zc_core_client_bad (zc_core_t *self, const uint8_t *ident, size_t ident_len,
                         const char *reason, uint64_t now);
//  Metrics (docs/METRICS.md): an opaque number (the loop's microsecond
//  clock) the core keeps with each client request that follows and hands
//  back with its ACK (ready->acked).  0, the default: not stamped.
void zc_core_stamp (zc_core_t *self, uint64_t stamp);
//  Timers: call at or after zc_core_deadline.
void zc_core_tick (zc_core_t *self, uint64_t now);
//  The storage synced every write up to bundle `ticket` (contract, 5).
void zc_core_durable (zc_core_t *self, uint64_t ticket, uint64_t now);
//  Retention retired the log up to base (the chat log is compacted).
void zc_core_compacted (zc_core_t *self, uint64_t base);

//  --- output ---------------------------------------------------------------

//  What to do now; an empty bundle when nothing is pending.  The next
//  call into the core clears it.
const zc_core_ready_t *zc_core_ready (zc_core_t *self);
bool zc_core_has_ready (zc_core_t *self);
//  The earliest time tick has something to do (one timer table).
uint64_t zc_core_deadline (zc_core_t *self);

//  --- queries --------------------------------------------------------------

zc_chatlog_t *zc_core_log (zc_core_t *self);
zc_election_t *zc_core_election (zc_core_t *self);
zc_replica_t *zc_core_replica (zc_core_t *self);
bool zc_core_serving (zc_core_t *self, uint64_t now);
//  Client connections that made a request in the last minute.
size_t zc_core_clients (zc_core_t *self, uint64_t now);
uint64_t zc_core_published (zc_core_t *self);
uint64_t zc_core_lead_epoch (zc_core_t *self);

//  The configuration in force (the newest in the log, committed or not;
//  --peers while the log holds none) and the seq of its entry (0: none),
//  and the committed one (STATUS `members`).  version rises on each change
//  in force: the loop then opens links to new members.
const zc_members_t *zc_core_members (zc_core_t *self, uint64_t *version);
void zc_core_members_committed (zc_core_t *self, zc_members_t *out);

//  What STATUS reports: forged = the boundary's forgeries + what the
//  election and the replica refused as absurd or forged.
//  And, for metrics: chat messages published, entries from other nodes
//  appended, leader changes seen, elections started and won.
typedef struct {
    uint64_t dropped, refused, slowed, handled, denied, forged;
    uint64_t published, appended, leader_changes, elections, won;
} zc_core_counters_t;
void zc_core_counters (zc_core_t *self, zc_core_counters_t *out);

//  Counters kept at the boundary (frames the loop could not read or send,
//  ZAP refusals, User-Id forgeries), reported in STATUS with the core's own.
//  DROPPED and FORGED add n; DENIED sets the ZAP handler's running total.
typedef enum { ZC_COUNT_DROPPED, ZC_COUNT_DENIED, ZC_COUNT_FORGED } zc_count_t;
void zc_core_count (zc_core_t *self, zc_count_t which, uint64_t n);

#endif
