/*  cluster.h — the simulated cluster over the shipped core (sim_cluster_t
    in the words; sim_t here): nodes that are zc_core_t objects, the
    network, the fake disk and clock, clients, the invariants, and the
    engine.  tests/test_sim.c runs random schedules on it, test_sim_log.c
    and test_sim_election.c fixed ones.  What a schedule is and how faults
    are drawn is simnet.h's.

    Files: cluster_net.c (frames in flight), cluster_node.c (a node: the
    core's bundles carried out as node.c's loop does, the disk, faults),
    cluster_check.c (the invariants, test_sim.c's header lists them),
    cluster.c (the engine, clients, queries for fixed schedules).
*/
#ifndef ZC_SIM_CLUSTER_H
#define ZC_SIM_CLUSTER_H

#include "chatlog.h"
#include "core.h"
#include "election.h"
#include "lamport.h"
#include "replica.h"
#include "wire.h"
#include "simnet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_FRAME       512         //  a header frame is ~150 bytes
#define SIM_CLIENTS     8           //  at most (3, or 6 in a storm)
#define SIM_ROOMS       2

//  The view change gives up after this, as node.c derives it from the
//  timing of every simulated node (simnet.h)
#define T_SYNC_TIMEOUT  (10 * T_ELECTION + 10 * T_HEARTBEAT)
#define T_CLIENT_RETRY  400         //  a client resends an unacknowledged POST

//  Random schedules: chaos, then a quiet period.  Clients stop starting new
//  messages DRAIN_MS before its end; by then the cluster must have
//  converged (within CONVERGE_MAX_MS) and acknowledged everything.  The
//  bound: 6 s for the election alone (hold-downs doubled by
//  failed hand-overs included), plus one view change that gives up because
//  the node holding the best log died when the quiet period began.
#define CHAOS_MS        20000
#define QUIET_MS        14000
#define DRAIN_MS        3000
#define CONVERGE_MAX_MS (6000 + T_SYNC_TIMEOUT)

//  ==========================================================================
//  Types

typedef enum {
    PK_PEER,        //  peer link: body, then packed entry frames (zc_core_peer)
    PK_PING,        //  heartbeat REQ: zc_core_ping, PONG back
    PK_PONG,        //  heartbeat REP (zc_core_pong)
    PK_DOWN,        //  the leader's connection closed (a crash)
    PK_POST,        //  a client's request (from = client index)
    PK_REPLY,       //  a node's reply to a client (to = client index)
    PK_PUB          //  a publication: blobs are the room, then its chat maps
} pk_kind_t;

typedef struct _packet_t packet_t;
struct _packet_t {
    uint64_t at, seq;
    uint32_t from, to;
    pk_kind_t kind;
    uint16_t size;
    uint32_t blob_count;
    uint32_t entries;           //  log entries packed in the blobs (PK_PEER)
    uint64_t sent_at;
    size_t blob_bytes;
    uint8_t *blobs;             //  blob_count × (u32 size, bytes); owned
    size_t blob_cap;
    packet_t *next_free;
    uint8_t frame [SIM_FRAME];
};

typedef struct {
    uint64_t at, seq;
    packet_t *packet;
} slot_t;

typedef struct {
    packet_t **items;
    size_t count, cap;
} queue_t;

//  What identifies a log entry, for the invariants
typedef struct {
    uint64_t seq, epoch, ts, rseq, id;
    char client [ZC_CLIENT_ID_LEN + 1];
    char room [ZC_MAX_ROOM + 1];
} fact_t;

typedef struct {
    fact_t fact;
    uint8_t *data;
    size_t size;
} record_t;

//  What survives a crash: the election state file and the log's records.
//  The loop's writes land at once (the page cache); the sync that makes
//  them durable takes sync time, as an event (sim_t.sync_max_ms).  A crash
//  keeps what was written (the kernel writes it out later); a power loss
//  keeps only what a finished sync covered.  A truncation counts as synced
//  at once (the segment store syncs the cut before it writes past it).
typedef struct {
    uint64_t epoch;
    uint32_t leader;
    uint64_t log_epoch;
    uint64_t trust;
    bool has_state;
    record_t *records;          //  records [i] holds seq i + 1
    size_t count, cap;
    //  Retention and snapshots: records [0..base) are retired (after a
    //  snapshot install, stand-ins holding the committed facts, no data);
    //  the log starts at base + 1.  retired: retired.state, as a restart
    //  reads it (snapshot.c's text)
    uint64_t base;
    char *retired;
    size_t retired_size;
    size_t synced;              //  records [0..synced) survive a power loss
    size_t cover;               //  and [0..cover) once the sync in flight returns
    fact_t *ghost;              //  what a lost disk held, synced: it counted in quorums
    size_t ghost_count;         //  (counted still until the node votes again)
} disk_t;

typedef struct _sim_t sim_t;

typedef struct {
    unsigned index;
    char name [ZC_CLIENT_ID_LEN + 1];
    uint64_t next_id;           //  in flight, or next to send (acked: next_id - 1)
    bool in_flight;
    unsigned room;              //  of the message in flight
    uint64_t sent_at, next_at;
    zc_lamport_t clock;
    uint64_t acked;
} client_t;

//  One node: the shipped core (src/node/core.c) and what its loop
//  (src/node/node.c) would do with its bundles, the disk faked in memory.
typedef struct {
    sim_t *sim;
    uint32_t id;
    zc_core_t *core;            //  NULL while crashed
    zc_election_t *el;          //  the core's parts, read by the invariants
    zc_replica_t *rep;
    zc_chatlog_t *log;
    zc_core_config_t ccfg;
    disk_t disk;
    unsigned incarnation;
    uint64_t lead_epoch;        //  the core's leadership as last seen
    bool ready_checked;         //  R1 checked when it became ready
    uint64_t verified;          //  R2: log checked up to here
    queue_t inbox;              //  client POSTs waiting for the loop
    bool frozen;
    uint64_t frozen_at, thaw_at;
    queue_t backlog;            //  frames that reached it while frozen or syncing
    //  The storage beside the loop (node.c, storage.c): tickets handed to
    //  it, the last one a finished sync covered, the sync in flight
    uint64_t issued, flushed;
    bool flushing;
    uint64_t flush_at, flush_ticket;
    //  A bundle that saves state blocks the loop until everything is on
    //  disk (core.h contract, 3): its sends wait in held until then
    bool syncing;
    uint64_t sync_at;
    bool state_pending;
    zc_stored_t state;          //  election.state, written after the log
    uint64_t retain_pending;    //  retention waits for the barrier, after the sends
    queue_t held;
    bool woke;                  //  something arrived this instant
    unsigned spin;
    uint64_t forged;            //  replica refusals a fixed schedule provoked (R7)
    //  SIGTERM (sim_retire): asked, the core told to retire at the loop's
    //  next pass, and when the node exited once the core said retired
    bool stop_asked, retiring;
    bool stop_led;              //  it led when the core was told (its epoch then)
    uint64_t stop_epoch;
    uint64_t exited_at;
    unsigned exits;
} node_t;

//  A tap on what chat-node --trace would log (tests/sim/scenario.c): a
//  peer frame as it goes onto the network (SEND, msg decoded) and as a
//  node reads it (RECV), a node after each of its bundles (STATE), the
//  leader's connection closing (DOWN), and the faults (CRASH, START,
//  FAULT with a line of text; node 0 for the whole network).
typedef enum {
    SIM_TAP_SEND, SIM_TAP_RECV, SIM_TAP_STATE, SIM_TAP_DOWN, SIM_TAP_CRASH,
    SIM_TAP_START, SIM_TAP_FAULT
} sim_tap_kind_t;
typedef void (sim_tap_fn) (sim_t *sim, sim_tap_kind_t kind, uint32_t node, uint32_t peer,
                           const zc_msg_t *msg, const char *text, void *arg);

//  A fixed schedule's packet filter: true drops the frame
typedef bool (filter_fn) (sim_t *sim, uint32_t from, uint32_t to, const zc_msg_t *msg,
                          uint32_t entries, void *arg);

struct _sim_t {
    uint64_t seed;
    size_t n;
    uint32_t quorum;
    uint32_t batch;
    uint64_t now;
    node_t nodes [SIM_MAX_NODES + 1];
    client_t clients [SIM_CLIENTS];
    unsigned client_count;
    bool clients_on;                    //  clients start new messages
    bool clients_auto;                  //  clients send and resend by themselves
    uint32_t think_ms;                  //  a client waits 0..think_ms between messages
    heap_t net;                         //  of slot_t
    uint64_t next_seq;
    prng_t rng;
    bool cut [SIM_MAX_NODES + 1][SIM_MAX_NODES + 1];
    uint64_t link_at [SIM_MAX_NODES + 1][SIM_MAX_NODES + 1][2];   //  FIFO
    bool fifo;                          //  frames on one link keep their order
    uint32_t drop_bp, slow_bp, dup_bp;
    bool leader_down;
    uint32_t sync_max_ms;               //  a sync takes 0..this (0: returns at once)
    uint32_t power_bp;                  //  a crash is a power loss (basis points)
    uint32_t lose_bp;                   //  a crash loses the whole disk (basis points;
                                        //  while every other node is whole)
    uint32_t ts_jump_bp;                //  a client's clock jumps ahead (per message)
    uint32_t retain_keep;               //  retention on: each pass retires all but this
                                        //  many synced entries (0: off)
    uint64_t sample_ms;
    uint64_t steps, step_limit;
    filter_fn *filter;
    void *filter_arg;
    uint8_t buf [ZC_MAX_FRAME];
    //  Invariants
    uint32_t *served;                   //  epoch -> node that served it
    uint64_t *served_since;             //  epoch -> first instant it was served
    size_t served_cap;
    uint64_t max_served;
    fact_t *committed;                  //  committed [s - 1]: the entry at seq s
    uint64_t *commit_epoch;             //  lowest epoch in which a node knew it committed
    size_t committed_count, committed_cap;
    uint64_t room_rseq [SIM_ROOMS];
    uint64_t client_id [SIM_CLIENTS];
    uint64_t last_ts;
    bool failed;
    char failure [600];
    //  Observations
    uint64_t acks, first_ack_after;
    uint64_t fetches, stuck, truncations, truncated, power_losses, tails_lost, disks_lost;
    uint64_t stops, stop_leaders, handed_over;  //  graceful stops, of a leader, that
                                                //  exited in a later epoch than asked
    uint64_t retirements, snapshots;    //  retention passes that retired, installs
    uint64_t last_serving_at;           //  last step at which somebody served
    uint64_t max_gap;                   //  longest stretch without a serving node
    uint64_t max_stale;                 //  old epoch served this long after a newer one
    uint64_t overlap_steps;             //  steps with two nodes serving (two epochs)
    uint32_t watch;                     //  node that must serve throughout (0: none)
    bool watch_lost;
    uint64_t watch_lost_at;
    //  A fixed schedule's spy: the first message of spy_type that node
    //  spy_node sends (node_transmit)
    uint32_t spy_node;
    zc_type_t spy_type;
    bool spy_found;
    zc_msg_t spy_msg;
    bool tracing;
    trace_t trace;
    sim_tap_fn *tap;                    //  NULL: none
    void *tap_arg;
};

//  Drop the frames of one type from one node (to any, or to one node);
//  with_entries: only those that carry entries
typedef struct {
    uint32_t from, to;
    zc_type_t type;
    bool with_entries;
    uint64_t carrying;          //  with_entries: only if it carries this seq or later
} drop_rule_t;

//  Looks at the cluster after each step; true stops the run there
typedef bool (observe_fn) (sim_t *sim, void *arg);

//  ==========================================================================
//  Frames in flight (cluster_net.c)

packet_t *packet_new (void);
void packet_free (packet_t *packet);
void packet_pool_destroy (void);
packet_t *packet_dup (const packet_t *packet);
void net_push (heap_t *net, packet_t *packet);
packet_t *net_pop (heap_t *net);
void queue_push (queue_t *queue, packet_t *packet);
void queue_clear (queue_t *queue);
void packet_blob_add (packet_t *packet, const uint8_t *data, size_t size);
zc_bytes_t packet_blob_next (const packet_t *packet, size_t *at);
void sim_launch (sim_t *sim, packet_t *packet);
void node_emit (sim_t *sim, node_t *node, packet_t *packet, bool hold);
packet_t *packet_make (uint32_t from, uint32_t to, pk_kind_t kind);
void node_transmit (sim_t *sim, node_t *node, const zc_core_send_t *send, bool hold);

//  ==========================================================================
//  Invariants (cluster_check.c)

int sim_client_index (const char *name);
void fact_of (const zc_entry_t *entry, fact_t *fact);
bool fact_eq (const fact_t *a, const fact_t *b);
const char *fact_str (const fact_t *fact, char *buf, size_t cap);
void sim_check_refused (node_t *node);
void sim_verify (sim_t *sim, node_t *node);
void sim_check_disk (sim_t *sim, node_t *node);
void sim_check_ready (sim_t *sim, node_t *node);
void sim_persist_state (sim_t *sim, node_t *node, const zc_stored_t *state);
void sim_check_reply (sim_t *sim, node_t *node, const packet_t *packet);
void sim_check_pub (sim_t *sim, node_t *node, const packet_t *packet);
void sim_check_serving (sim_t *sim);
uint32_t sim_converged (sim_t *sim);
bool sim_logs_converged (sim_t *sim, uint32_t top, char *why, size_t cap);

//  ==========================================================================
//  Nodes and faults (cluster_node.c)

sim_t *sim_new (size_t n, uint32_t quorum, uint64_t seed, uint32_t batch);
void sim_destroy (sim_t **sim_p);
void disk_cut (disk_t *disk, uint64_t after_seq);
void disk_truncate (node_t *node, uint64_t after_seq);
void node_sync_done (sim_t *sim, node_t *node);
void node_flush_done (sim_t *sim, node_t *node);
void node_loop (sim_t *sim, node_t *node);
void sim_deliver (sim_t *sim, packet_t *packet);
void sim_start (sim_t *sim, uint32_t id);
void sim_crash (sim_t *sim, uint32_t id);
void sim_lose_disk (sim_t *sim, uint32_t id, zc_initial_t initial);
bool sim_whole (node_t *node);
void sim_retire (sim_t *sim, uint32_t id);
void sim_exit (sim_t *sim, uint32_t id);
void sim_freeze (sim_t *sim, uint32_t id, uint64_t ms);
void sim_thaw (sim_t *sim, uint32_t id);
void sim_split (sim_t *sim, uint32_t mask);
void sim_cut (sim_t *sim, uint32_t from, uint32_t to);
void sim_heal (sim_t *sim);
void sim_net (sim_t *sim, uint32_t drop_bp, uint32_t slow_bp);

//  ==========================================================================
//  Engine, clients, queries (cluster.c)

void sim_fail (sim_t *sim, const char *fmt, ...);
void sim_trace (sim_t *sim, const char *fmt, ...);
node_t *sim_node (sim_t *sim, uint64_t id);
bool sim_up (sim_t *sim, uint32_t id);
bool sim_running (sim_t *sim, uint32_t id);
bool sim_node_serving (sim_t *sim, node_t *node);
void client_reply (sim_t *sim, const packet_t *packet);
uint32_t sim_serving (sim_t *sim);
void sim_client_send (sim_t *sim, client_t *client, uint32_t to);
void sim_clients_on (sim_t *sim, bool on);
bool sim_run (sim_t *sim, uint64_t until, observe_fn *observe, void *arg);
void sim_run_until (sim_t *sim, uint64_t until);
void sim_run_for (sim_t *sim, uint64_t ms);
bool sim_run_until_pred (sim_t *sim, observe_fn *pred, void *arg, uint64_t timeout);
uint32_t sim_leader (sim_t *sim);
void sim_describe (sim_t *sim, char *buf, size_t cap);
void sim_dump (sim_t *sim, const char *what);
sim_t *sim_fixed_new (size_t n, uint32_t quorum, uint64_t seed, uint32_t batch);
bool sim_fixed_end (sim_t **sim_p, const char *name, bool show);
//  In a test (testutil.h): end a fixed schedule begun when s_failed was `before`
#define SIM_FIXED_END(sim, name, before) \
    do { int before_ = (before); \
         CHECKF (sim_fixed_end (&(sim), name, s_failed > before_), "%s: invariants hold", name); \
    } while (0)
void sim_start_all (sim_t *sim);
bool p_converged_to (sim_t *sim, void *arg);
bool p_serves (sim_t *sim, void *arg);
bool p_client_idle (sim_t *sim, void *arg);
bool p_clients_idle (sim_t *sim, void *arg);
bool p_logs_converged (sim_t *sim, void *arg);
uint64_t sim_epoch (sim_t *sim, uint32_t id);
uint64_t sim_last (sim_t *sim, uint32_t id);
uint64_t sim_log_epoch (sim_t *sim, uint32_t id);
bool sim_holds (sim_t *sim, uint32_t node, uint64_t seq, unsigned client, uint64_t id);
uint64_t sim_post (sim_t *sim, unsigned client, uint32_t node);
bool sim_post_acked (sim_t *sim, unsigned client, uint64_t timeout);
bool sim_post_many (sim_t *sim, size_t count);
void sim_filter (sim_t *sim, drop_rule_t *rule);

#endif
