/*  test_replica.c — whole nodes (election + replica + chat log + disk)
    under a simulated network with a fake clock.

    Each simulated node runs the real state machines (zc_election_t,
    zc_replica_t, zc_chatlog_t) glued together the way src/node/node*.c
    glues them, in the same order:
      - a peer message goes to the election first (its actions run: sends,
        persist, role change), then, for APPEND / APPEND_ACK / LOG_FETCH /
        LOG_ENTRIES, to the replica with the entry frames as blobs; then
        the replica's actions run (persist the log epoch if `save`, send
        with the named entries encoded from the chat log, step down if
        `stuck`); an APPEND_ACK also reports the peer's progress to the
        election; then the election learns the log (set_log);
      - a ROLE action starts a leadership (zc_election_votes, then
        zc_replica_lead and its actions) or follows (zc_replica_follow);
      - each wake-up of the node's loop: election tick, client POSTs,
        replica tick, then (leader) publish and acknowledge up to the
        commit point while serving.  A leader wakes at least every
        heartbeat/2, as node.c's poll timeout.
    The log's storage hooks write a durable in-memory "disk" that survives
    crashes, with the persisted (epoch, leader, log epoch); a restart
    rebuilds the chat log from it, as node.c does from its segment files.

    Clients POST to the node that serves (stamped as node_client.c does:
    epoch, seq = last + 1, rseq per room, Lamport ts; dedup by client id
    and message number) and resend their message until it is
    acknowledged.  Every frame goes through the real codec.  Faults as in
    test_election.c (crash, restart, freeze, loss, delay, partitions);
    per schedule, frames keep their order on each link as TCP does (70%)
    or may overtake each other and be duplicated (30%), and a storm (30%)
    brings faults five times as often and 6 busy clients instead of 3.

    Invariants, checked as the run goes (the first violation fails the
    run; a failing random seed is replayed with its full trace):
      R1  no committed entry is lost or changed: the committed entries form
          one sequence (seq -> entry); an entry that a leader publishes or
          acknowledges is in it, and is held by a quorum of disks at that
          moment; no node ever truncates a committed entry; a leader of
          epoch E is ready only with every entry committed before E in its
          log; a client's next message never finds its acknowledged one
          missing;
      R2  logs agree on committed positions: each node's log up to its
          own commit point equals the committed sequence;
      R3  at most one node serves per epoch;
      R4  along the committed sequence: ts rises strictly, rseq is
          gap-free per room, message numbers are gap-free per client;
      R5  liveness: once quiet with a quorum up, the highest up node
          leads, serves and is ready within a bound, every client's
          message is acknowledged, and every up node's log and commit
          point equal the leader's; with fewer than a quorum, nobody serves;
      R6  the disk always equals the log in memory; persisted epochs never
          decrease, one leader per epoch; no livelock;
      R7  no node refuses a peer message as forged or absurd (the guards
          of issue 9 never fire on honest traffic).

    Fixed schedules: (a) DESIGN 6b.3's trap (Raft's Figure 8); (b) a
    backup far behind catches up; (c) a new leader lacking committed
    entries fetches them first; (d) hand-over to a returning higher node;
    (e) full cluster restart from disk; (f) installing an epoch drops a
    stale tail; (g) the commit floor; (h) no APPEND past the leader's log.
    docs/ELECTION.md ("The log across leaders") tells why they matter.

    Usage:
      test_replica                fixed schedules, then random schedules
      test_replica SEED [NODES]   replay one random schedule with its trace
    Environment:
      ZC_SIM_RUNS=N   random schedules with 3 nodes (default 800); 5 nodes
                      get N/4, 1 node N/20
      ZC_SIM_SEED=S   first seed (default 1)
      ZC_SIM_TRACE=1  print the fixed schedules' traces even when they pass
*/
#include "chatlog.h"
#include "election.h"
#include "lamport.h"
#include "replica.h"
#include "replication.h"
#include "wire.h"
#include "testutil.h"
#include "sim/simnet.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_FRAME       512         //  a header frame is ~150 bytes
#define SIM_CLIENTS     8           //  at most (3, or 6 in a storm)
#define SIM_ROOMS       2

//  The replica's intervals, as node.c derives them from the timing of
//  every simulated node (simnet.h, as test_election)
#define T_RETRY         T_HEARTBEAT
#define T_SYNC_TIMEOUT  (10 * T_ELECTION + 10 * T_HEARTBEAT)
#define T_CLIENT_RETRY  400         //  a client resends an unacknowledged POST

//  Random schedules: chaos, then a quiet period.  Clients stop starting new
//  messages DRAIN_MS before its end; by then the cluster must have
//  converged (within CONVERGE_MAX_MS) and acknowledged everything.  The
//  bound: test_election's 6 s for the election alone (hold-downs doubled by
//  failed hand-overs included), plus one view change that gives up because
//  the node holding the best log died when the quiet period began.
#define CHAOS_MS        20000
#define QUIET_MS        14000
#define DRAIN_MS        3000
#define CONVERGE_MAX_MS (6000 + T_SYNC_TIMEOUT)

//  ==========================================================================
//  Network: frames in flight, by (delivery time, send order)

typedef enum {
    PK_PEER,        //  peer link: election, then replica
    PK_PING,        //  heartbeat REQ: zc_election_ping, PONG back
    PK_PONG,        //  heartbeat REP
    PK_DOWN,        //  the leader's connection closed (a crash)
    PK_POST         //  a client's POST (from = client index)
} pk_kind_t;

typedef struct _packet_t packet_t;
struct _packet_t {
    uint64_t at, seq;
    uint32_t from, to;
    pk_kind_t kind;
    uint16_t size;
    uint32_t blob_count;
    uint64_t sent_at;
    size_t blob_bytes;
    uint8_t *blobs;             //  blob_count × (u32 size, bytes); owned
    size_t blob_cap;
    packet_t *next_free;
    uint8_t frame [SIM_FRAME];
};

//  Packets are recycled (malloc under ASan costs more than the rest)
static packet_t *s_free_packets;

static packet_t *
packet_new (void)
{
    packet_t *packet = s_free_packets;
    if (packet)
        s_free_packets = packet->next_free;
    else {
        packet = calloc (1, sizeof *packet);
        if (!packet)
            abort ();
    }
    uint8_t *blobs = packet->blobs;
    size_t blob_cap = packet->blob_cap;
    memset (packet, 0, offsetof (packet_t, frame));
    packet->blobs = blobs;
    packet->blob_cap = blob_cap;
    return packet;
}

static void
packet_free (packet_t *packet)
{
    if (packet) {
        packet->next_free = s_free_packets;
        s_free_packets = packet;
    }
}

static void
packet_pool_destroy (void)
{
    while (s_free_packets) {
        packet_t *packet = s_free_packets;
        s_free_packets = packet->next_free;
        free (packet->blobs);
        free (packet);
    }
}

//  Room for `bytes` of blobs
static void
packet_reserve (packet_t *packet, size_t bytes)
{
    if (bytes > packet->blob_cap) {
        free (packet->blobs);
        packet->blob_cap = bytes < 4096 ? 4096 : bytes;
        packet->blobs = malloc (packet->blob_cap);
        if (!packet->blobs)
            abort ();
    }
}

static packet_t *
packet_dup (const packet_t *packet)
{
    packet_t *copy = packet_new ();
    uint8_t *blobs = copy->blobs;
    size_t blob_cap = copy->blob_cap;
    memcpy (copy, packet, offsetof (packet_t, frame) + packet->size);
    copy->blobs = blobs;
    copy->blob_cap = blob_cap;
    if (packet->blob_count) {
        packet_reserve (copy, packet->blob_bytes);
        memcpy (copy->blobs, packet->blobs, packet->blob_bytes);
    }
    return copy;
}

typedef struct {
    uint64_t at, seq;
    packet_t *packet;
} slot_t;

//  The network (a heap_t of slot_t) holds the frames by pointer
static void
net_push (heap_t *net, packet_t *packet)
{
    slot_t slot = { packet->at, packet->seq, packet };
    heap_push (net, &slot);
}

static packet_t *
net_pop (heap_t *net)
{
    slot_t slot;
    heap_pop (net, &slot);
    return slot.packet;
}

typedef struct {
    packet_t **items;
    size_t count, cap;
} queue_t;

static void
queue_push (queue_t *queue, packet_t *packet)
{
    if (queue->count == queue->cap) {
        queue->cap = queue->cap ? queue->cap * 2 : 32;
        queue->items = realloc (queue->items, queue->cap * sizeof (packet_t *));
        if (!queue->items)
            abort ();
    }
    queue->items [queue->count++] = packet;
}

static void
queue_clear (queue_t *queue)
{
    for (size_t i = 0; i < queue->count; i++)
        packet_free (queue->items [i]);
    queue->count = 0;
}

//  ==========================================================================
//  Cluster

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

//  What survives a crash: the election state file and the log's records
typedef struct {
    uint64_t epoch;
    uint32_t leader;
    uint64_t log_epoch;
    bool has_state;
    record_t *records;          //  records [i] holds seq i + 1
    size_t count, cap;
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

typedef struct {
    sim_t *sim;
    uint32_t id;
    zc_election_t *el;          //  NULL while crashed
    zc_replica_t *rep;
    zc_chatlog_t *log;
    zc_lamport_t clock;
    zc_election_config_t ecfg;
    zc_replica_config_t rcfg;
    disk_t disk;
    unsigned incarnation;
    //  node.c's leadership state
    uint64_t lead_epoch, published;
    bool ready_checked;         //  R1 checked when it became ready
    uint64_t verified;          //  R2: log checked up to here
    queue_t inbox;              //  client POSTs waiting for the loop
    bool frozen;
    uint64_t frozen_at, thaw_at;
    queue_t backlog;            //  frames that reached it while frozen
    bool woke;                  //  something arrived this instant
    uint64_t next_loop;         //  leader: poll timeout (heartbeat / 2)
    unsigned spin;
} node_t;

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
    uint64_t sample_ms;
    uint64_t steps, step_limit;
    filter_fn *filter;
    void *filter_arg;
    //  Action lists, reused (nested calls take the next one)
    zc_actions_t acts [4];
    size_t acts_depth;
    zc_ractions_t racts [4];
    size_t racts_depth;
    zc_blob_t *blobs;
    size_t blobs_cap;
    uint8_t buf [ZC_MAX_FRAME];
    //  Invariants
    uint32_t *served;                   //  epoch -> node that served it
    size_t served_cap;
    fact_t *committed;                  //  committed [s - 1]: the entry at seq s
    uint64_t *commit_epoch;             //  lowest epoch in which a node knew it committed
    bool *acked;
    size_t committed_count, committed_cap;
    uint64_t room_rseq [SIM_ROOMS];
    uint64_t client_id [SIM_CLIENTS];
    uint64_t last_ts;
    bool failed;
    char failure [600];
    //  Observations
    uint64_t acks, first_ack_after, last_ack_at;
    uint64_t fetches, stuck, truncations, truncated;
    bool tracing;
    trace_t trace;
};

static void
sim_fail (sim_t *sim, const char *fmt, ...)
{
    if (sim->failed)
        return;
    sim->failed = true;
    size_t n = (size_t) snprintf (sim->failure, sizeof sim->failure, "at %llu ms: ",
                                  (unsigned long long) sim->now);
    va_list args;
    va_start (args, fmt);
    vsnprintf (sim->failure + n, sizeof sim->failure - n, fmt, args);
    va_end (args);
    if (sim->tracing) {
        char line [700];
        snprintf (line, sizeof line, "[%6llu] VIOLATION %s", (unsigned long long) sim->now,
                  sim->failure);
        trace_add (&sim->trace, line);
    }
}

static void
sim_trace (sim_t *sim, const char *fmt, ...)
{
    if (!sim->tracing)
        return;
    va_list args;
    va_start (args, fmt);
    trace_vline (&sim->trace, sim->now, fmt, args);
    va_end (args);
}

static node_t *
sim_node (sim_t *sim, uint64_t id)
{
    return id >= 1 && id <= sim->n ? &sim->nodes [id] : NULL;
}

static bool
sim_up (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    return node && node->el;
}

static bool
sim_running (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    return node && node->el && !node->frozen;
}

//  node_client.c's zc_node_serving: the lease, and the view change done
static bool
n_serving (sim_t *sim, node_t *node)
{
    return node->el && !node->frozen && zc_election_serving (node->el, sim->now)
        && zc_replica_ready (node->rep);
}

//  Client names end with their index in hex
static int
s_client_index (const char *name)
{
    unsigned index = 0;
    for (size_t i = 0; i < ZC_CLIENT_ID_LEN; i++) {
        char c = name [i];
        if (i >= 24)
            index = index * 16 + (unsigned) (c >= 'a' ? c - 'a' + 10 : c - '0');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
    }
    return name [ZC_CLIENT_ID_LEN] == 0 && index < SIM_CLIENTS ? (int) index : -1;
}

static void
s_fact (const zc_entry_t *entry, fact_t *fact)
{
    fact->seq = entry->seq;
    fact->epoch = entry->epoch;
    fact->ts = entry->ts;
    fact->rseq = entry->rseq;
    fact->id = entry->id;
    memcpy (fact->client, entry->client, sizeof fact->client);
    memcpy (fact->room, entry->room, sizeof fact->room);
}

static bool
s_fact_eq (const fact_t *a, const fact_t *b)
{
    return a->seq == b->seq && a->epoch == b->epoch && a->ts == b->ts && a->rseq == b->rseq
        && a->id == b->id && strcmp (a->client, b->client) == 0
        && strcmp (a->room, b->room) == 0;
}

static const char *
s_fact_str (const fact_t *fact, char *buf, size_t cap)
{
    snprintf (buf, cap, "seq %llu (epoch %llu, client %d #%llu, %s rseq %llu, ts %llu)",
              (unsigned long long) fact->seq, (unsigned long long) fact->epoch,
              s_client_index (fact->client), (unsigned long long) fact->id, fact->room,
              (unsigned long long) fact->rseq, (unsigned long long) fact->ts);
    return buf;
}

static int h_append (void *arg, const zc_entry_t *entry);
static int h_truncate (void *arg, uint64_t after_seq);

static sim_t *
sim_new (size_t n, uint32_t quorum, uint64_t seed, uint32_t batch)
{
    assert (n >= 1 && n <= SIM_MAX_NODES);
    sim_t *sim = calloc (1, sizeof *sim);
    if (!sim)
        abort ();
    sim->seed = seed;
    sim->n = n;
    sim->quorum = quorum;
    sim->batch = batch;
    sim->rng.state = seed ^ 0x7265706Cull ^ ((uint64_t) n << 48);
    sim->leader_down = true;
    sim->fifo = true;
    sim->step_limit = 20000000;
    sim->think_ms = 250;
    sim->client_count = 3;
    heap_init (&sim->net, sizeof (slot_t));
    for (uint32_t id = 1; id <= n; id++) {
        node_t *node = &sim->nodes [id];
        node->sim = sim;
        node->id = id;
        node->next_loop = UINT64_MAX;
        sim_election_config (&node->ecfg, id, n, quorum);
        zc_replica_config_t *rcfg = &node->rcfg;
        rcfg->self = id;
        for (uint32_t m = 1; m <= n; m++)
            if (m != id)
                rcfg->peers [rcfg->peer_count++] = m;
        rcfg->quorum = quorum;
        rcfg->mh = node->ecfg.mh;
        rcfg->retry_ms = T_RETRY;
        rcfg->batch = batch;
        rcfg->sync_timeout_ms = T_SYNC_TIMEOUT;
        rcfg->store = (zc_store_hooks_t) { h_append, h_truncate, node };
    }
    for (unsigned i = 0; i < SIM_CLIENTS; i++) {
        client_t *client = &sim->clients [i];
        client->index = i;
        snprintf (client->name, sizeof client->name, "c11e%020x%08x", 0xABCDu, i);
        client->next_id = 1;
        client->next_at = UINT64_MAX;
    }
    return sim;
}

//  R7: honest nodes refuse nothing.  The replica's guards against forged
//  or absurd peer messages (issue 9) must never fire on what real nodes
//  send, however the network reorders, repeats or delays it.
static void
s_check_refused (node_t *node)
{
    if (node->rep && zc_replica_refused (node->rep))
        sim_fail (node->sim, "R7: node %u refused %llu honest peer messages (the last: %s)",
                  node->id, (unsigned long long) zc_replica_refused (node->rep),
                  zc_replica_refusal (node->rep));
}

static void
s_node_free (node_t *node)
{
    s_check_refused (node);
    zc_replica_destroy (&node->rep);
    zc_election_destroy (&node->el);
    zc_chatlog_destroy (&node->log);
    queue_clear (&node->inbox);
    queue_clear (&node->backlog);
}

static void
sim_destroy (sim_t **sim_p)
{
    sim_t *sim = *sim_p;
    if (!sim)
        return;
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        s_node_free (node);
        free (node->inbox.items);
        free (node->backlog.items);
        for (size_t i = 0; i < node->disk.count; i++)
            free (node->disk.records [i].data);
        free (node->disk.records);
    }
    for (size_t i = 0; i < sim->net.count; i++)
        packet_free (((slot_t *) heap_item (&sim->net, i))->packet);
    heap_destroy (&sim->net);
    free (sim->blobs);
    free (sim->served);
    free (sim->committed);
    free (sim->commit_epoch);
    free (sim->acked);
    free (sim->trace.data);
    free (sim);
    *sim_p = NULL;
}

static zc_actions_t *
s_acts_take (sim_t *sim)
{
    assert (sim->acts_depth < 4);
    zc_actions_t *acts = &sim->acts [sim->acts_depth++];
    zc_actions_clear (acts);
    return acts;
}

static void
s_acts_give (sim_t *sim)
{
    sim->acts_depth--;
}

static zc_ractions_t *
s_racts_take (sim_t *sim)
{
    assert (sim->racts_depth < 4);
    zc_ractions_t *racts = &sim->racts [sim->racts_depth++];
    zc_ractions_clear (racts);
    return racts;
}

static void
s_racts_give (sim_t *sim)
{
    sim->racts_depth--;
}

//  ==========================================================================
//  Sending: through the codec, with the named log entries as blobs

static void
s_transmit (sim_t *sim, uint32_t from, uint32_t to, pk_kind_t kind, const zc_msg_t *msg,
            zc_chatlog_t *log, uint64_t first, uint64_t last)
{
    packet_t *packet = packet_new ();
    packet->size = (uint16_t) zc_msg_encode (msg, packet->frame, sizeof packet->frame);
    if (packet->size == 0) {
        sim_fail (sim, "node %u built a %s the codec refuses", from, zc_type_name (msg->type));
        packet_free (packet);
        return;
    }
    packet->from = from;
    packet->to = to;
    packet->kind = kind;
    packet->sent_at = sim->now;
    if (first <= last) {
        size_t total = 0;
        for (uint64_t seq = first; seq <= last; seq++) {
            zc_entry_t *entry = log ? zc_chatlog_get (log, seq) : NULL;
            if (!entry) {
                sim_fail (sim, "node %u sends seq %llu..%llu but does not hold seq %llu",
                          from, (unsigned long long) first, (unsigned long long) last,
                          (unsigned long long) seq);
                packet_free (packet);
                return;
            }
            total += 4 + entry->size;
        }
        packet_reserve (packet, total);
        size_t at = 0;
        for (uint64_t seq = first; seq <= last; seq++) {
            zc_entry_t *entry = zc_chatlog_get (log, seq);
            uint32_t size = (uint32_t) entry->size;
            memcpy (packet->blobs + at, &size, 4);
            memcpy (packet->blobs + at + 4, entry->data, entry->size);
            at += 4 + entry->size;
        }
        packet->blob_count = (uint32_t) (last - first + 1);
        packet->blob_bytes = total;
    }
    if (kind == PK_POST) {
        packet->at = sim->now + prng_range (&sim->rng, 1, 20);
        packet->seq = sim->next_seq++;
        net_push (&sim->net, packet);
        return;
    }
    if (!sim_node (sim, to) || sim->cut [from][to]
    ||  (sim->filter && sim->filter (sim, from, to, msg, packet->blob_count, sim->filter_arg))) {
        packet_free (packet);
        return;
    }
    int chan = kind == PK_PEER ? 0 : 1;
    int copies = !sim->fifo && prng_chance (&sim->rng, sim->dup_bp) ? 2 : 1;
    for (int copy = 0; copy < copies; copy++) {
        if (prng_chance (&sim->rng, sim->drop_bp))
            continue;
        uint64_t delay = prng_chance (&sim->rng, sim->slow_bp)
                       ? prng_range (&sim->rng, 300, 1000)
                       : prng_range (&sim->rng, 1, 50);
        packet_t *sent = packet;
        if (!packet)
            break;
        if (copy + 1 < copies)
            sent = packet_dup (packet);     //  the last copy takes the original
        else
            packet = NULL;
        sent->at = sim->now + delay;
        if (sim->fifo) {
            //  TCP: a frame never overtakes an earlier one on its link
            if (sent->at < sim->link_at [from][to][chan])
                sent->at = sim->link_at [from][to][chan];
            sim->link_at [from][to][chan] = sent->at;
        }
        sent->seq = sim->next_seq++;
        net_push (&sim->net, sent);
    }
    packet_free (packet);
}

//  ==========================================================================
//  Invariants on the committed sequence

static void
s_grow_committed (sim_t *sim)
{
    if (sim->committed_count < sim->committed_cap)
        return;
    size_t cap = sim->committed_cap ? sim->committed_cap * 2 : 1024;
    sim->committed = realloc (sim->committed, cap * sizeof *sim->committed);
    sim->commit_epoch = realloc (sim->commit_epoch, cap * sizeof *sim->commit_epoch);
    sim->acked = realloc (sim->acked, cap * sizeof *sim->acked);
    if (!sim->committed || !sim->commit_epoch || !sim->acked)
        abort ();
    memset (sim->acked + sim->committed_cap, 0, (cap - sim->committed_cap) * sizeof *sim->acked);
    sim->committed_cap = cap;
}

//  How many disks hold this very entry now
static size_t
s_holders (sim_t *sim, const fact_t *fact)
{
    size_t holders = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        disk_t *disk = &sim->nodes [id].disk;
        if (fact->seq <= disk->count && s_fact_eq (&disk->records [fact->seq - 1].fact, fact))
            holders++;
    }
    return holders;
}

//  R4, and a quorum of disks, for the next committed entry
static void
s_commit_new (sim_t *sim, node_t *node, const fact_t *fact, uint64_t epoch)
{
    char text [160];
    int client = s_client_index (fact->client);
    int room = fact->room [0] == 'r' ? fact->room [1] - '0' : -1;
    if (client < 0 || room < 0 || room >= SIM_ROOMS) {
        sim_fail (sim, "R1: node %u commits an entry nobody sent: %s", node->id,
                  s_fact_str (fact, text, sizeof text));
        return;
    }
    if (fact->ts <= sim->last_ts)
        sim_fail (sim, "R4: committed %s has ts not above %llu (seq %llu)",
                  s_fact_str (fact, text, sizeof text), (unsigned long long) sim->last_ts,
                  (unsigned long long) fact->seq - 1);
    if (fact->rseq != sim->room_rseq [room] + 1)
        sim_fail (sim, "R4: committed %s, but the room's last rseq was %llu",
                  s_fact_str (fact, text, sizeof text),
                  (unsigned long long) sim->room_rseq [room]);
    if (fact->id != sim->client_id [client] + 1)
        sim_fail (sim, "R4: committed %s, but the client's last committed message is #%llu",
                  s_fact_str (fact, text, sizeof text),
                  (unsigned long long) sim->client_id [client]);
    size_t holders = s_holders (sim, fact);
    if (holders < sim->quorum)
        sim_fail (sim, "R1: node %u takes %s as committed, but only %zu disks hold it",
                  node->id, s_fact_str (fact, text, sizeof text), holders);
    sim->last_ts = fact->ts;
    sim->room_rseq [room] = fact->rseq;
    sim->client_id [client] = fact->id;
    s_grow_committed (sim);
    sim->commit_epoch [sim->committed_count] = epoch;
    sim->committed [sim->committed_count++] = *fact;
}

//  R2: the node's log up to its commit point is the committed sequence
static void
n_verify (sim_t *sim, node_t *node)
{
    if (!node->rep)
        return;
    uint64_t commit = zc_replica_commit (node->rep);
    if (commit > zc_chatlog_last_seq (node->log)) {
        sim_fail (sim, "R2: node %u has commit %llu beyond its log (last %llu)", node->id,
                  (unsigned long long) commit,
                  (unsigned long long) zc_chatlog_last_seq (node->log));
        return;
    }
    //  The epoch in which the node learned it (or later: it is checked
    //  every step, so at most the same instant's epoch change later)
    uint64_t epoch = node->lead_epoch ? node->lead_epoch : zc_election_epoch (node->el);
    while (node->verified < commit && !sim->failed) {
        uint64_t seq = node->verified + 1;
        fact_t fact;
        s_fact (zc_chatlog_get (node->log, seq), &fact);
        if (seq <= sim->committed_count) {
            if (!s_fact_eq (&fact, &sim->committed [seq - 1])) {
                char a [160], b [160];
                sim_fail (sim, "R2: node %u (commit %llu) holds %s where %s was committed",
                          node->id, (unsigned long long) commit,
                          s_fact_str (&fact, a, sizeof a),
                          s_fact_str (&sim->committed [seq - 1], b, sizeof b));
            }
            if (epoch < sim->commit_epoch [seq - 1])
                sim->commit_epoch [seq - 1] = epoch;
        }
        else {
            assert (seq == sim->committed_count + 1);
            s_commit_new (sim, node, &fact, epoch);
        }
        node->verified = seq;
    }
}

//  A leader acknowledges or publishes an entry
static void
s_acknowledged (sim_t *sim, node_t *node, const zc_entry_t *entry, const char *how)
{
    fact_t fact;
    s_fact (entry, &fact);
    char text [160];
    if (entry->seq > sim->committed_count
    ||  !s_fact_eq (&fact, &sim->committed [entry->seq - 1])) {
        sim_fail (sim, "R1: node %u %s %s, which is not the committed entry at that seq",
                  node->id, how, s_fact_str (&fact, text, sizeof text));
        return;
    }
    size_t holders = s_holders (sim, &fact);
    if (holders < sim->quorum)
        sim_fail (sim, "R1: node %u %s %s held by only %zu disks", node->id, how,
                  s_fact_str (&fact, text, sizeof text), holders);
    if (!sim->acked [entry->seq - 1])
        sim->acked [entry->seq - 1] = true;
    sim->acks++;
    sim->last_ack_at = sim->now;
    if (!sim->first_ack_after && sim->now >= CHAOS_MS)
        sim->first_ack_after = sim->now;
    int index = s_client_index (entry->client);
    if (index < 0)
        return;
    client_t *client = &sim->clients [index];
    if (entry->id > client->next_id || (entry->id == client->next_id && !client->in_flight))
        sim_fail (sim, "R1: node %u %s client %d's message #%llu, never sent", node->id, how,
                  index, (unsigned long long) entry->id);
}

static void
s_client_acked (sim_t *sim, client_t *client, const zc_entry_t *entry)
{
    if (!client->in_flight || entry->id != client->next_id)
        return;                 //  an older message's late ACK
    client->in_flight = false;
    client->next_id++;
    client->acked++;
    zc_lamport_observe (&client->clock, entry->ts);
    client->next_at = sim->clients_on ? sim->now + prng_range (&sim->rng, 0, sim->think_ms)
                                      : UINT64_MAX;
}

//  ==========================================================================
//  The disk: the replica's storage hooks

static int
h_append (void *arg, const zc_entry_t *entry)
{
    node_t *node = arg;
    disk_t *disk = &node->disk;
    if (entry->seq != disk->count + 1) {
        sim_fail (node->sim, "R6: node %u writes seq %llu after seq %zu on disk", node->id,
                  (unsigned long long) entry->seq, disk->count);
        return -1;
    }
    if (disk->count == disk->cap) {
        disk->cap = disk->cap ? disk->cap * 2 : 256;
        disk->records = realloc (disk->records, disk->cap * sizeof *disk->records);
        if (!disk->records)
            abort ();
    }
    record_t *record = &disk->records [disk->count++];
    s_fact (entry, &record->fact);
    record->data = malloc (entry->size);
    if (!record->data)
        abort ();
    memcpy (record->data, entry->data, entry->size);
    record->size = entry->size;
    return 0;
}

static int
h_truncate (void *arg, uint64_t after_seq)
{
    node_t *node = arg;
    sim_t *sim = node->sim;
    disk_t *disk = &node->disk;
    size_t upto = disk->count < sim->committed_count ? disk->count : sim->committed_count;
    for (uint64_t seq = after_seq + 1; seq <= upto; seq++)
        if (s_fact_eq (&disk->records [seq - 1].fact, &sim->committed [seq - 1])) {
            char text [160];
            sim_fail (sim, "R1: node %u truncates its log after seq %llu, dropping committed %s",
                      node->id, (unsigned long long) after_seq,
                      s_fact_str (&sim->committed [seq - 1], text, sizeof text));
            break;
        }
    if (after_seq < disk->count) {
        sim_trace (sim, "SIM node %u truncates its log after seq %llu (had %zu)", node->id,
                   (unsigned long long) after_seq, disk->count);
        sim->truncations++;
        sim->truncated += disk->count - after_seq;
        for (size_t i = after_seq; i < disk->count; i++)
            free (disk->records [i].data);
        disk->count = after_seq;
    }
    if (node->verified > after_seq)
        node->verified = after_seq;
    return 0;
}

//  R6: what the node holds in memory is what its disk holds
static void
s_check_disk (sim_t *sim, node_t *node)
{
    uint64_t last = zc_chatlog_last_seq (node->log);
    if (last != node->disk.count) {
        sim_fail (sim, "R6: node %u's log ends at seq %llu, its disk at %zu", node->id,
                  (unsigned long long) last, node->disk.count);
        return;
    }
    for (uint64_t seq = 1; seq <= last; seq++) {
        zc_entry_t *entry = zc_chatlog_get (node->log, seq);
        record_t *record = &node->disk.records [seq - 1];
        if (entry->size != record->size || memcmp (entry->data, record->data, entry->size)) {
            sim_fail (sim, "R6: node %u's seq %llu differs from its disk", node->id,
                      (unsigned long long) seq);
            return;
        }
    }
}

//  ==========================================================================
//  The node glue (node.c, node_peers.c, node_client.c)

static void n_run_actions (sim_t *sim, node_t *node, zc_actions_t *acts);

static void
n_log_changed (node_t *node)
{
    zc_election_set_log (node->el, zc_chatlog_last_seq (node->log),
                         zc_replica_log_epoch (node->rep));
}

//  R1 at the moment a leader of epoch E becomes ready: it holds every
//  entry committed in an epoch before E.  (A leader of an old epoch that
//  finishes its view change late may well lack what a newer epoch
//  committed since; it cannot commit anything itself.)
static void
n_check_ready (sim_t *sim, node_t *node)
{
    if (!node->lead_epoch || node->ready_checked || !zc_replica_ready (node->rep))
        return;
    node->ready_checked = true;
    uint64_t last = zc_chatlog_last_seq (node->log);
    sim_trace (sim, "SIM node %u is ready in epoch %llu: log 1..%llu, log epoch %llu, "
               "commit %llu", node->id, (unsigned long long) node->lead_epoch,
               (unsigned long long) last,
               (unsigned long long) zc_replica_log_epoch (node->rep),
               (unsigned long long) zc_replica_commit (node->rep));
    for (uint64_t seq = 1; seq <= sim->committed_count; seq++) {
        if (sim->commit_epoch [seq - 1] >= node->lead_epoch)
            continue;
        zc_entry_t *entry = seq <= last ? zc_chatlog_get (node->log, seq) : NULL;
        fact_t fact;
        if (entry)
            s_fact (entry, &fact);
        if (!entry || !s_fact_eq (&fact, &sim->committed [seq - 1])) {
            char text [160];
            sim_fail (sim, "R1: node %u is ready to serve epoch %llu without committed %s",
                      node->id, (unsigned long long) node->lead_epoch,
                      s_fact_str (&sim->committed [seq - 1], text, sizeof text));
            return;
        }
    }
}

static void
s_persist_state (sim_t *sim, node_t *node, uint64_t epoch, uint32_t leader)
{
    disk_t *disk = &node->disk;
    if (disk->has_state && epoch < disk->epoch)
        sim_fail (sim, "R6: node %u persists epoch %llu after epoch %llu", node->id,
                  (unsigned long long) epoch, (unsigned long long) disk->epoch);
    if (disk->has_state && epoch == disk->epoch && disk->leader && leader != disk->leader)
        sim_fail (sim, "R6: node %u persists leader %u for epoch %llu, having persisted %u",
                  node->id, leader, (unsigned long long) epoch, disk->leader);
    disk->epoch = epoch;
    disk->leader = leader;
    disk->log_epoch = zc_replica_log_epoch (node->rep);
    disk->has_state = true;
    if (disk->log_epoch > disk->epoch)
        sim_fail (sim, "R6: node %u persists log epoch %llu above its epoch %llu", node->id,
                  (unsigned long long) disk->log_epoch, (unsigned long long) disk->epoch);
}

//  node.c zc_node_run_ractions
static void
n_run_ractions (sim_t *sim, node_t *node, zc_ractions_t *out)
{
    if (out->save) {
        s_persist_state (sim, node, node->disk.epoch, node->disk.leader);
        n_log_changed (node);
        sim_trace (sim, "SIM node %u: log epoch %llu (log 1..%llu)", node->id,
                   (unsigned long long) zc_replica_log_epoch (node->rep),
                   (unsigned long long) zc_chatlog_last_seq (node->log));
    }
    zc_lamport_observe (&node->clock, zc_chatlog_max_ts (node->log));
    for (size_t i = 0; i < out->count; i++) {
        zc_rsend_t *send = &out->sends [i];
        if (sim->tracing && send->first <= send->last)
            sim_trace (sim, "SIM node %u -> %u: %s with seq %llu..%llu", node->id, send->to,
                       zc_type_name (send->msg.type), (unsigned long long) send->first,
                       (unsigned long long) send->last);
        s_transmit (sim, node->id, send->to, PK_PEER, &send->msg, node->log, send->first,
                    send->last);
    }
    if (out->stuck) {
        sim_trace (sim, "SIM node %u: view change stuck, stepping down", node->id);
        sim->stuck++;
        zc_actions_t *acts = s_acts_take (sim);
        zc_election_step_down (node->el, sim->now, acts);
        zc_ractions_clear (out);
        n_run_actions (sim, node, acts);
        s_acts_give (sim);
    }
    zc_ractions_clear (out);
    n_check_ready (sim, node);
}

//  node.c s_on_role
static void
n_on_role (sim_t *sim, node_t *node)
{
    zc_role_t role = zc_election_role (node->el);
    uint64_t epoch = zc_election_epoch (node->el);
    sim_trace (sim, "SIM node %u: %s, leader %u, epoch %llu%s", node->id, zc_role_name (role),
               zc_election_leader (node->el), (unsigned long long) epoch,
               role == ZC_ROLE_LEADER
               ? (zc_election_serving (node->el, sim->now) ? ", serving" : ", not serving") : "");
    if (role == ZC_ROLE_LEADER && node->lead_epoch != epoch) {
        node->lead_epoch = epoch;
        node->published = zc_replica_commit (node->rep);
        node->ready_checked = false;
        zc_vote_t votes [ZC_ELECTION_MAX_MEMBERS];
        size_t count = zc_election_votes (node->el, votes, ZC_ELECTION_MAX_MEMBERS);
        if (sim->tracing) {
            char text [300] = "";
            size_t used = 0;
            for (size_t i = 0; i < count && used < sizeof text; i++)
                used += (size_t) snprintf (text + used, sizeof text - used,
                                           " node %u (log epoch %llu, last %llu)",
                                           votes [i].node,
                                           (unsigned long long) votes [i].log_epoch,
                                           (unsigned long long) votes [i].last_seq);
            sim_trace (sim, "SIM node %u leads epoch %llu; own log (log epoch %llu, last %llu);"
                       " votes:%s", node->id, (unsigned long long) epoch,
                       (unsigned long long) zc_replica_log_epoch (node->rep),
                       (unsigned long long) zc_chatlog_last_seq (node->log), text);
        }
        zc_ractions_t *racts = s_racts_take (sim);
        zc_replica_lead (node->rep, epoch, votes, count, sim->now, racts);
        n_run_ractions (sim, node, racts);
        s_racts_give (sim);
        if (!zc_replica_ready (node->rep))
            sim->fetches++;
    }
    else
    if (role != ZC_ROLE_LEADER) {
        if (node->lead_epoch) {
            node->lead_epoch = 0;
            //  zc_node_release_waiters: the clients will ask the next leader
            uint64_t last = zc_chatlog_last_seq (node->log);
            for (uint64_t seq = node->published + 1; seq <= last; seq++)
                zc_chatlog_get (node->log, seq)->waiter = NULL;
        }
        zc_replica_follow (node->rep, epoch, zc_election_leader (node->el));
    }
}

//  node.c zc_node_run_actions
static void
n_run_actions (sim_t *sim, node_t *node, zc_actions_t *acts)
{
    for (size_t i = 0; i < acts->count; i++) {
        zc_action_t *action = &acts->items [i];
        switch (action->kind) {
            case ZC_ACT_SEND:
                s_transmit (sim, node->id, action->to, PK_PEER, &action->msg, NULL, 1, 0);
                break;
            case ZC_ACT_PING:
                s_transmit (sim, node->id, action->to, PK_PING, &action->msg, NULL, 1, 0);
                break;
            case ZC_ACT_PERSIST:
                s_persist_state (sim, node, action->state.epoch, action->state.leader);
                break;
            case ZC_ACT_LOG:
                sim_trace (sim, "%s", action->text);
                break;
            case ZC_ACT_ROLE:
                n_on_role (sim, node);
                break;
        }
    }
    zc_actions_clear (acts);
}

//  node_peers.c zc_node_peer_recv and s_to_replica
static void
n_peer_recv (sim_t *sim, node_t *node, const packet_t *packet)
{
    zc_msg_t msg;
    const char *error = NULL;
    if (zc_msg_decode (&msg, packet->frame, packet->size, &error)) {
        sim_fail (sim, "a frame from node %u to node %u does not decode: %s", packet->from,
                  packet->to, error ? error : "?");
        return;
    }
    zc_actions_t *acts = s_acts_take (sim);
    zc_election_recv (node->el, &msg, sim->now, acts);
    n_run_actions (sim, node, acts);
    s_acts_give (sim);
    if (msg.mh != node->ecfg.mh
    ||  (msg.type != ZC_APPEND && msg.type != ZC_APPEND_ACK
     &&  msg.type != ZC_LOG_FETCH && msg.type != ZC_LOG_ENTRIES))
        return;
    if (packet->blob_count > sim->blobs_cap) {
        sim->blobs_cap = packet->blob_count;
        sim->blobs = realloc (sim->blobs, sim->blobs_cap * sizeof *sim->blobs);
        if (!sim->blobs)
            abort ();
    }
    size_t at = 0;
    for (uint32_t i = 0; i < packet->blob_count; i++) {
        uint32_t size;
        memcpy (&size, packet->blobs + at, 4);
        sim->blobs [i] = (zc_blob_t) { packet->blobs + at + 4, size };
        at += 4 + size;
    }
    if (sim->tracing && msg.type != ZC_APPEND_ACK)
        sim_trace (sim, "SIM node %u <- %u: %s epoch %llu, prev (%llu, %llu), %u entries, "
                   "last %llu, commit %llu, start %llu (sent at %llu)", node->id, packet->from,
                   zc_type_name (msg.type), (unsigned long long) msg.epoch,
                   (unsigned long long) msg.prev_seq, (unsigned long long) msg.prev_epoch,
                   packet->blob_count, (unsigned long long) msg.last_seq,
                   (unsigned long long) msg.commit, (unsigned long long) msg.start_seq,
                   (unsigned long long) packet->sent_at);
    zc_ractions_t *racts = s_racts_take (sim);
    zc_replica_recv (node->rep, &msg, sim->blobs, packet->blob_count, sim->now, racts);
    n_run_ractions (sim, node, racts);
    s_racts_give (sim);
    if (msg.type == ZC_APPEND_ACK)
        zc_election_peer_progress (node->el, (uint32_t) msg.node,
                                   zc_replica_match (node->rep, (uint32_t) msg.node));
    n_log_changed (node);
}

//  node_client.c s_on_post
static void
n_on_post (sim_t *sim, node_t *node, const zc_msg_t *post)
{
    char name [ZC_CLIENT_ID_LEN + 1], room [ZC_MAX_ROOM + 1];
    zc_str_copy (name, sizeof name, post->client);
    zc_str_copy (room, sizeof room, post->room);
    int index = s_client_index (name);
    assert (index >= 0);
    client_t *client = &sim->clients [index];
    if (!n_serving (sim, node)) {
        sim_trace (sim, "SIM node %u refuses client %d's #%llu: not serving", node->id, index,
                   (unsigned long long) post->id);
        return;
    }
    uint64_t last_id = zc_chatlog_client_last_id (node->log, name);
    if (post->id <= last_id) {
        zc_entry_t *entry = zc_chatlog_find (node->log, name, post->id);
        if (!entry) {
            sim_fail (sim, "R1: node %u holds client %d up to #%llu but not #%llu", node->id,
                      index, (unsigned long long) last_id, (unsigned long long) post->id);
            return;
        }
        if (entry->seq <= node->published) {
            s_acknowledged (sim, node, entry, "acknowledges again");
            s_client_acked (sim, client, entry);
        }
        else
            entry->waiter = client;
        return;
    }
    if (post->id > last_id + 1) {
        sim_fail (sim, "R1: node %u expects client %d's #%llu, but #%llu was acknowledged",
                  node->id, index, (unsigned long long) last_id + 1,
                  (unsigned long long) post->id - 1);
        return;
    }
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, node->lead_epoch);
    zc_msg_set_u64 (&chat, ZF_SEQ, zc_chatlog_last_seq (node->log) + 1);
    zc_msg_set_u64 (&chat, ZF_RSEQ, zc_chatlog_room_rseq (node->log, room) + 1);
    zc_msg_set_u64 (&chat, ZF_TS, zc_lamport_stamp (&node->clock, post->ts));
    zc_msg_set_str (&chat, ZF_ROOM, post->room.ptr, post->room.len);
    zc_msg_set_str (&chat, ZF_FROM, post->from.ptr, post->from.len);
    zc_msg_set_str (&chat, ZF_CLIENT, post->client.ptr, post->client.len);
    zc_msg_set_u64 (&chat, ZF_ID, post->id);
    zc_msg_set_str (&chat, ZF_TEXT, post->text.ptr, post->text.len);
    size_t size = zc_msg_encode (&chat, sim->buf, sizeof sim->buf);
    zc_entry_t *entry = size ? zc_replica_append (node->rep, &chat, sim->buf, size) : NULL;
    if (!entry) {
        sim_fail (sim, "node %u cannot append client %d's #%llu", node->id, index,
                  (unsigned long long) post->id);
        return;
    }
    entry->waiter = client;
    n_log_changed (node);
    sim_trace (sim, "SIM node %u stamps seq %llu: client %d #%llu, %s rseq %llu, ts %llu",
               node->id, (unsigned long long) entry->seq, index,
               (unsigned long long) entry->id, entry->room, (unsigned long long) entry->rseq,
               (unsigned long long) entry->ts);
}

static void
n_client_recv (sim_t *sim, node_t *node)
{
    for (size_t i = 0; i < node->inbox.count && !sim->failed; i++) {
        packet_t *packet = node->inbox.items [i];
        zc_msg_t post;
        if (zc_msg_decode (&post, packet->frame, packet->size, NULL) || post.type != ZC_POST)
            sim_fail (sim, "a POST to node %u does not decode", node->id);
        else
            n_on_post (sim, node, &post);
    }
    queue_clear (&node->inbox);
}

//  node_client.c zc_node_advance_commit
static void
n_advance_commit (sim_t *sim, node_t *node)
{
    if (!n_serving (sim, node))
        return;
    n_verify (sim, node);
    uint64_t commit = zc_replica_commit (node->rep);
    while (node->published < commit && !sim->failed) {
        zc_entry_t *entry = zc_chatlog_get (node->log, ++node->published);
        s_acknowledged (sim, node, entry, "publishes");
        if (entry->waiter) {
            client_t *client = entry->waiter;
            entry->waiter = NULL;
            s_client_acked (sim, client, entry);
        }
    }
}

//  One pass of node.c's loop after its poll woke up
static void
n_loop (sim_t *sim, node_t *node)
{
    zc_actions_t *acts = s_acts_take (sim);
    zc_election_tick (node->el, sim->now, acts);
    n_run_actions (sim, node, acts);
    s_acts_give (sim);
    n_client_recv (sim, node);
    zc_ractions_t *racts = s_racts_take (sim);
    zc_replica_tick (node->rep, sim->now, racts);
    n_run_ractions (sim, node, racts);
    s_racts_give (sim);
    if (node->lead_epoch)
        n_advance_commit (sim, node);
    node->next_loop = node->lead_epoch ? sim->now + T_HEARTBEAT / 2 : UINT64_MAX;
    if (zc_election_deadline (node->el) <= sim->now) {
        if (++node->spin > 100)
            sim_fail (sim, "R6: livelock: node %u's deadline stays at %llu", node->id,
                      (unsigned long long) zc_election_deadline (node->el));
    }
    else
        node->spin = 0;
}

//  ==========================================================================
//  Delivering frames, clients, the engine

static void
s_deliver (sim_t *sim, packet_t *packet)
{
    node_t *node = sim_node (sim, packet->to);
    if (!node->el) {
        packet_free (packet);   //  crashed: the frame is lost
        return;
    }
    if (node->frozen) {
        queue_push (&node->backlog, packet);
        return;
    }
    node->woke = true;
    zc_msg_t msg;
    switch (packet->kind) {
        case PK_DOWN:
            if (zc_election_leader (node->el) == packet->from) {
                sim_trace (sim, "SIM node %u: connection to node %u closed", node->id,
                           packet->from);
                zc_actions_t *acts = s_acts_take (sim);
                zc_election_leader_down (node->el, sim->now, acts);
                n_run_actions (sim, node, acts);
                s_acts_give (sim);
            }
            break;
        case PK_POST:
            queue_push (&node->inbox, packet);
            return;             //  the inbox owns it now
        case PK_PING:
            if (zc_msg_decode (&msg, packet->frame, packet->size, NULL) == 0) {
                zc_msg_t pong;
                zc_election_ping (node->el, &msg, sim->now, &pong);
                s_transmit (sim, node->id, packet->from, PK_PONG, &pong, NULL, 1, 0);
            }
            break;
        case PK_PONG:
            if (zc_msg_decode (&msg, packet->frame, packet->size, NULL) == 0) {
                zc_actions_t *acts = s_acts_take (sim);
                zc_election_recv (node->el, &msg, sim->now, acts);
                n_run_actions (sim, node, acts);
                s_acts_give (sim);
            }
            break;
        case PK_PEER:
            n_peer_recv (sim, node, packet);
            break;
    }
    packet_free (packet);
}

//  The node that serves clients now (the highest epoch if two do)
static uint32_t
sim_serving (sim_t *sim)
{
    uint32_t best = 0;
    uint64_t best_epoch = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (n_serving (sim, node) && (!best || zc_election_epoch (node->el) > best_epoch)) {
            best = id;
            best_epoch = zc_election_epoch (node->el);
        }
    }
    return best;
}

//  A client sends its message in flight (or its next one) to `to`
static void
s_client_send (sim_t *sim, client_t *client, uint32_t to)
{
    if (!client->in_flight) {
        client->in_flight = true;
        client->room = (unsigned) prng_range (&sim->rng, 0, SIM_ROOMS - 1);
    }
    char room [8], text [48];
    snprintf (room, sizeof room, "r%u", client->room);
    snprintf (text, sizeof text, "client %u message %llu", client->index,
              (unsigned long long) client->next_id);
    zc_msg_t post;
    zc_msg_init (&post, ZC_POST);
    zc_msg_set_cstr (&post, ZF_CLIENT, client->name);
    zc_msg_set_u64 (&post, ZF_ID, client->next_id);
    zc_msg_set_u64 (&post, ZF_TS, zc_lamport_tick (&client->clock));
    zc_msg_set_cstr (&post, ZF_ROOM, room);
    zc_msg_set_cstr (&post, ZF_FROM, "sim");
    zc_msg_set_cstr (&post, ZF_TEXT, text);
    client->sent_at = sim->now;
    s_transmit (sim, client->index, to, PK_POST, &post, NULL, 1, 0);
    sim_trace (sim, "SIM client %u sends #%llu to node %u", client->index,
               (unsigned long long) client->next_id, to);
}

static void
s_clients (sim_t *sim)
{
    if (!sim->clients_auto)
        return;
    for (unsigned i = 0; i < sim->client_count; i++) {
        client_t *client = &sim->clients [i];
        if (client->next_at > sim->now)
            continue;
        if (!client->in_flight && !sim->clients_on) {
            client->next_at = UINT64_MAX;
            continue;
        }
        uint32_t to = sim_serving (sim);
        if (!to) {
            client->next_at = sim->now + 50;
            continue;
        }
        s_client_send (sim, client, to);
        client->next_at = sim->now + T_CLIENT_RETRY;
    }
}

static void
sim_clients_on (sim_t *sim, bool on)
{
    sim->clients_auto = true;
    sim->clients_on = on;
    for (unsigned i = 0; i < sim->client_count; i++)
        if (on && sim->clients [i].next_at == UINT64_MAX)
            sim->clients [i].next_at = sim->now + prng_range (&sim->rng, 0, 100);
}

//  R3: at most one node serves per epoch
static void
s_check_serving (sim_t *sim)
{
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (!node->el || node->frozen || !zc_election_serving (node->el, sim->now))
            continue;
        uint64_t epoch = zc_election_epoch (node->el);
        if (epoch >= sim->served_cap) {
            size_t cap = sim->served_cap ? sim->served_cap : 64;
            while (cap <= epoch)
                cap *= 2;
            sim->served = realloc (sim->served, cap * sizeof *sim->served);
            if (!sim->served)
                abort ();
            memset (sim->served + sim->served_cap, 0,
                    (cap - sim->served_cap) * sizeof *sim->served);
            sim->served_cap = cap;
        }
        if (!sim->served [epoch])
            sim->served [epoch] = id;
        else
        if (sim->served [epoch] != id)
            sim_fail (sim, "R3: nodes %u and %u both served epoch %llu", sim->served [epoch],
                      id, (unsigned long long) epoch);
    }
}

static uint64_t
s_next_event (sim_t *sim)
{
    uint64_t next = heap_next_at (&sim->net);
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (!node->el)
            continue;
        uint64_t at = node->frozen ? node->thaw_at : zc_election_deadline (node->el);
        if (!node->frozen && node->next_loop < at)
            at = node->next_loop;
        if (at < next)
            next = at;
    }
    if (sim->clients_auto)
        for (unsigned i = 0; i < sim->client_count; i++)
            if (sim->clients [i].next_at < next)
                next = sim->clients [i].next_at;
    if (sim->sample_ms) {
        uint64_t sample = (sim->now / sim->sample_ms + 1) * sim->sample_ms;
        if (sample < next)
            next = sample;
    }
    return next;
}

static void sim_thaw (sim_t *sim, uint32_t id);

static void
s_step (sim_t *sim)
{
    for (uint32_t id = 1; id <= sim->n; id++)
        if (sim->nodes [id].el && sim->nodes [id].frozen && sim->nodes [id].thaw_at <= sim->now)
            sim_thaw (sim, id);
    while (heap_due (&sim->net, sim->now) && !sim->failed) {
        s_deliver (sim, net_pop (&sim->net));
    }
    for (uint32_t id = 1; id <= sim->n && !sim->failed; id++) {
        node_t *node = &sim->nodes [id];
        if (!node->el || node->frozen)
            continue;
        if (node->woke || node->inbox.count || node->next_loop <= sim->now
        ||  zc_election_deadline (node->el) <= sim->now) {
            node->woke = false;
            n_loop (sim, node);
        }
    }
    s_clients (sim);
    s_check_serving (sim);
    for (uint32_t id = 1; id <= sim->n; id++)
        if (sim->nodes [id].el)
            n_verify (sim, &sim->nodes [id]);
}

typedef bool (observe_fn) (sim_t *sim, void *arg);

static bool
s_run (sim_t *sim, uint64_t until, observe_fn *observe, void *arg)
{
    if (observe && observe (sim, arg))
        return true;
    while (!sim->failed) {
        uint64_t next = s_next_event (sim);
        if (next > until)
            break;
        if (next > sim->now)
            sim->now = next;
        s_step (sim);
        if (++sim->steps > sim->step_limit)
            sim_fail (sim, "R6: livelock: more than %llu steps",
                      (unsigned long long) sim->step_limit);
        if (observe && observe (sim, arg))
            return true;
    }
    if (!sim->failed && until > sim->now) {
        sim->now = until;
        if (observe && observe (sim, arg))
            return true;
    }
    return false;
}

static void
sim_run_until (sim_t *sim, uint64_t until)
{
    s_run (sim, until, NULL, NULL);
}

static void
sim_run_for (sim_t *sim, uint64_t ms)
{
    s_run (sim, sim->now + ms, NULL, NULL);
}

static bool
sim_run_until_pred (sim_t *sim, observe_fn *pred, void *arg, uint64_t timeout)
{
    return s_run (sim, sim->now + timeout, pred, arg) && !sim->failed;
}

//  ==========================================================================
//  Faults

//  Boot a node from its disk (node.c zc_node_new and s_open_log)
static void
sim_start (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (node->el)
        return;
    node->incarnation++;
    node->ecfg.seed = sim->seed * 1000003ull + id * 101ull + node->incarnation;
    node->log = zc_chatlog_new ();
    for (size_t i = 0; i < node->disk.count; i++) {
        record_t *record = &node->disk.records [i];
        zc_msg_t chat;
        if (zc_msg_decode (&chat, record->data, record->size, NULL) || chat.type != ZC_CHAT
        ||  chat.seq != i + 1 || !zc_chatlog_append (node->log, &chat, record->data, record->size)) {
            sim_fail (sim, "R6: node %u cannot replay seq %zu from its disk", id, i + 1);
            break;
        }
    }
    if (node->disk.count == 0)
        node->disk.log_epoch = 0;       //  no log, whatever the state file says
    zc_election_state_t state = { node->disk.epoch, node->disk.leader };
    node->el = zc_election_new (&node->ecfg, &state, sim->now);
    node->rep = zc_replica_new (&node->rcfg, node->log, node->disk.log_epoch);
    if (!node->el || !node->rep)
        abort ();
    node->clock.time = 0;
    zc_lamport_observe (&node->clock, zc_chatlog_max_ts (node->log));
    n_log_changed (node);
    node->lead_epoch = 0;
    node->published = 0;
    node->ready_checked = false;
    node->verified = 0;
    node->frozen = false;
    node->spin = 0;
    node->woke = true;
    node->next_loop = UINT64_MAX;
    sim_trace (sim, "FAULT node %u starts (incarnation %u): epoch %llu leader %u, "
               "log 1..%zu, log epoch %llu", id, node->incarnation,
               (unsigned long long) node->disk.epoch, node->disk.leader, node->disk.count,
               (unsigned long long) node->disk.log_epoch);
}

static void
sim_crash (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (!node->el)
        return;
    sim_trace (sim, "FAULT node %u crashes%s (log 1..%llu, commit %llu)", id,
               node->frozen ? " while frozen" : "",
               (unsigned long long) zc_chatlog_last_seq (node->log),
               (unsigned long long) zc_replica_commit (node->rep));
    s_check_disk (sim, node);
    s_node_free (node);
    node->frozen = false;
    node->lead_epoch = 0;
    node->next_loop = UINT64_MAX;
    if (!sim->leader_down)
        return;
    for (uint32_t other = 1; other <= sim->n; other++) {
        node_t *peer = &sim->nodes [other];
        if (other == id || !peer->el || sim->cut [id][other]
        ||  zc_election_leader (peer->el) != id)
            continue;
        packet_t *packet = packet_new ();
        packet->from = id;
        packet->to = other;
        packet->kind = PK_DOWN;
        packet->at = sim->now + prng_range (&sim->rng, 1, 20);
        packet->seq = sim->next_seq++;
        net_push (&sim->net, packet);
    }
}

static void
sim_freeze (sim_t *sim, uint32_t id, uint64_t ms)
{
    node_t *node = sim_node (sim, id);
    if (!node->el || node->frozen)
        return;
    sim_trace (sim, "FAULT node %u freezes for %llu ms", id, (unsigned long long) ms);
    node->frozen = true;
    node->frozen_at = sim->now;
    node->thaw_at = sim->now + ms;
}

//  SIGCONT: the frames that waited are delivered first, in order
static void
sim_thaw (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (!node->el || !node->frozen)
        return;
    node->frozen = false;
    node->woke = true;
    sim_trace (sim, "FAULT node %u wakes (%zu frames waiting)", id, node->backlog.count);
    for (size_t i = 0; i < node->backlog.count; i++) {
        packet_t *packet = node->backlog.items [i];
        packet->at = sim->now;
        packet->seq = sim->next_seq++;
        net_push (&sim->net, packet);
    }
    node->backlog.count = 0;
}

static void
sim_split (sim_t *sim, uint32_t mask)
{
    sim_trace (sim, "FAULT partition: mask %#x against the rest", mask);
    for (uint32_t a = 1; a <= sim->n; a++)
        for (uint32_t b = 1; b <= sim->n; b++)
            if (((mask >> a) & 1) != ((mask >> b) & 1))
                sim->cut [a][b] = true;
}

static void
sim_cut (sim_t *sim, uint32_t from, uint32_t to)
{
    sim_trace (sim, "FAULT link %u -> %u cut", from, to);
    sim->cut [from][to] = true;
}

static void
sim_heal (sim_t *sim)
{
    sim_trace (sim, "FAULT network healed");
    memset (sim->cut, 0, sizeof sim->cut);
}

static uint32_t
sim_leader (sim_t *sim)
{
    uint32_t best = 0;
    uint64_t best_epoch = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        zc_election_t *el = sim->nodes [id].el;
        if (el && zc_election_role (el) == ZC_ROLE_LEADER
        &&  (!best || zc_election_epoch (el) >= best_epoch)) {
            best = id;
            best_epoch = zc_election_epoch (el);
        }
    }
    return best;
}

static void
s_describe (sim_t *sim, char *buf, size_t cap)
{
    size_t used = 0;
    buf [0] = 0;
    for (uint32_t id = 1; id <= sim->n && used < cap; id++) {
        node_t *node = &sim->nodes [id];
        int n;
        if (!node->el)
            n = snprintf (buf + used, cap - used, "%s%u: down (log 1..%zu)", id > 1 ? "; " : "",
                          id, node->disk.count);
        else
            n = snprintf (buf + used, cap - used, "%s%u: %s%s leader %u epoch %llu%s%s, "
                          "log 1..%llu, commit %llu, log epoch %llu", id > 1 ? "; " : "", id,
                          node->frozen ? "frozen " : "",
                          zc_role_name (zc_election_role (node->el)),
                          zc_election_leader (node->el),
                          (unsigned long long) zc_election_epoch (node->el),
                          zc_election_serving (node->el, sim->now) ? " serving" : "",
                          zc_replica_ready (node->rep) ? " ready" : "",
                          (unsigned long long) zc_chatlog_last_seq (node->log),
                          (unsigned long long) zc_replica_commit (node->rep),
                          (unsigned long long) zc_replica_log_epoch (node->rep));
        if (n < 0)
            break;
        used += (size_t) n;
    }
}

static void
sim_dump (sim_t *sim, const char *what)
{
    char state [1500];
    s_describe (sim, state, sizeof state);
    fprintf (stderr, "---- %s: seed %llu, %zu nodes, quorum %u, batch %u, %s\n", what,
             (unsigned long long) sim->seed, sim->n, sim->quorum, sim->batch,
             sim->fifo ? "FIFO links" : "frames reorder");
    if (sim->failed)
        fprintf (stderr, "---- violation %s\n", sim->failure);
    fprintf (stderr, "---- trace\n%s---- end of trace\n---- state: %s\n",
             sim->trace.data ? sim->trace.data : "(empty)\n", state);
}

//  ==========================================================================
//  Convergence (R5)

//  The highest running node leads, serves and is ready, and every running
//  node follows it in its epoch.  Returns its id; 0 if not (yet); with
//  fewer than a quorum up, UINT32_MAX when nobody serves.
static uint32_t
sim_converged (sim_t *sim)
{
    size_t up = 0;
    uint32_t top = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        if (sim_running (sim, id)) {
            up++;
            top = id;
        }
        else
        if (sim_up (sim, id))
            return 0;
    }
    if (up < sim->quorum)
        return sim_serving (sim) ? 0 : UINT32_MAX;
    node_t *leader = &sim->nodes [top];
    if (zc_election_role (leader->el) != ZC_ROLE_LEADER || !n_serving (sim, leader))
        return 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        if (!sim_running (sim, id))
            continue;
        zc_election_t *el = sim->nodes [id].el;
        if (zc_election_leader (el) != top
        ||  zc_election_epoch (el) != zc_election_epoch (leader->el))
            return 0;
    }
    return top;
}

//  Every running node's log and commit point equal the leader's; the
//  leader has committed its whole log; every committed entry is there.
static bool
s_logs_converged (sim_t *sim, uint32_t top, char *why, size_t cap)
{
    node_t *leader = &sim->nodes [top];
    uint64_t last = zc_chatlog_last_seq (leader->log);
    uint64_t commit = zc_replica_commit (leader->rep);
    if (commit != last) {
        snprintf (why, cap, "leader %u commits %llu of its log 1..%llu", top,
                  (unsigned long long) commit, (unsigned long long) last);
        return false;
    }
    if (last < sim->committed_count) {
        snprintf (why, cap, "leader %u's log ends at %llu, %zu entries are committed", top,
                  (unsigned long long) last, sim->committed_count);
        return false;
    }
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (!sim_running (sim, id) || id == top)
            continue;
        if (zc_chatlog_last_seq (node->log) != last || zc_replica_commit (node->rep) != commit) {
            snprintf (why, cap, "node %u has log 1..%llu and commit %llu, the leader %llu and "
                      "%llu", id, (unsigned long long) zc_chatlog_last_seq (node->log),
                      (unsigned long long) zc_replica_commit (node->rep),
                      (unsigned long long) last, (unsigned long long) commit);
            return false;
        }
        for (uint64_t seq = 1; seq <= last; seq++) {
            zc_entry_t *a = zc_chatlog_get (node->log, seq), *b = zc_chatlog_get (leader->log, seq);
            if (a->size != b->size || memcmp (a->data, b->data, a->size)) {
                snprintf (why, cap, "node %u's seq %llu differs from the leader's", id,
                          (unsigned long long) seq);
                return false;
            }
        }
    }
    return true;
}

//  ==========================================================================
//  Random schedules

typedef struct {
    uint64_t seed;
    size_t n;
    uint32_t quorum;
    bool leader_down, fifo, storm;
    uint32_t drop_bp, slow_bp, dup_bp, batch, think_ms, clients;
    schedule_t sched;
} plan_t;

static void
s_make_plan (plan_t *plan, uint64_t seed, size_t n)
{
    static const uint32_t batches [] = { 3, 8, 64, 512 };
    memset (plan, 0, sizeof *plan);
    prng_t rng = { seed * 0x2545F4914F6CDD1Dull ^ (uint64_t) n ^ 0x5EB1CA };
    plan->seed = seed;
    plan->n = n;
    plan->quorum = (uint32_t) n / 2 + 1;
    plan->leader_down = prng_chance (&rng, 8500);
    plan->fifo = prng_chance (&rng, 7000);
    plan->drop_bp = schedule_drop_bp (&rng);
    plan->slow_bp = schedule_slow_bp (&rng);
    plan->dup_bp = !plan->fifo && prng_chance (&rng, 5000) ? 100 : 0;
    plan->batch = batches [prng_range (&rng, 0, 3)];
    //  A storm: faults five times as often, short partitions, busy clients
    plan->storm = prng_chance (&rng, 3000);
    if (plan->storm && plan->batch < 8)
        plan->batch = 8;            //  hundreds of entries: a batch of 3 takes seconds
    plan->think_ms = plan->storm ? 40 : 250;
    plan->clients = plan->storm ? 6 : 3;
    schedule_shape_t shape = {
        .chaos_ms = CHAOS_MS, .gap_min = 100, .gap_max = 1500,
        .span_min = 200, .span_max = 5000, .freeze_min = 100, .freeze_max = 3000
    };
    if (plan->storm) {
        shape.gap_min = 20;
        shape.gap_max = 300;
        shape.span_min = shape.freeze_min = 50;
        shape.span_max = shape.freeze_max = 1000;
    }
    schedule_make (&plan->sched, &rng, n, plan->quorum, &shape);
}

static void
s_print_plan (const plan_t *plan)
{
    fprintf (stderr, "---- schedule: seed %llu, %zu nodes, quorum %u, batch %u, %s%s, "
             "leader_down %s, loss %u bp, slow %u bp, duplicates %u bp\n",
             (unsigned long long) plan->seed, plan->n, plan->quorum, plan->batch,
             plan->fifo ? "FIFO links" : "frames reorder", plan->storm ? ", storm" : "",
             plan->leader_down ? "on" : "off", plan->drop_bp, plan->slow_bp, plan->dup_bp);
    schedule_print (&plan->sched, CHAOS_MS);
}

static void
sim_net (sim_t *sim, uint32_t drop_bp, uint32_t slow_bp)
{
    sim->drop_bp = drop_bp;
    sim->slow_bp = slow_bp;
}

//  How a schedule's faults reach this cluster (fault_apply)
static const sim_ops_t s_ops = {
    .trace = sim_trace, .up = sim_up, .leader = sim_leader, .start = sim_start,
    .crash = sim_crash, .freeze = sim_freeze, .split = sim_split, .cut = sim_cut,
    .heal = sim_heal, .net = sim_net
};

typedef struct {
    uint64_t since;
} converge_t;

static bool
s_observe_converge (sim_t *sim, void *arg)
{
    converge_t *converge = arg;
    if (!sim_converged (sim))
        converge->since = UINT64_MAX;
    else
    if (converge->since == UINT64_MAX)
        converge->since = sim->now;
    return false;
}

typedef struct {
    size_t runs;
    uint64_t converge_total, converge_max, converge_max_seed;
    uint64_t first_ack_max, first_ack_max_seed;
    uint64_t acked, committed, fetches, truncations, truncated, max_epoch;
    size_t reorder_runs;
} stats_t;

static bool
s_random_run (uint64_t seed, size_t n, bool tracing, void *stats_arg)
{
    stats_t *stats = stats_arg;
    plan_t plan;
    s_make_plan (&plan, seed, n);
    sim_t *sim = sim_new (n, plan.quorum, seed, plan.batch);
    sim->tracing = tracing;
    sim->leader_down = plan.leader_down;
    sim->fifo = plan.fifo;
    sim->drop_bp = plan.drop_bp;
    sim->slow_bp = plan.slow_bp;
    sim->dup_bp = plan.dup_bp;
    sim->think_ms = plan.think_ms;
    sim->client_count = plan.clients;
    sim_clients_on (sim, true);

    for (size_t i = 0; i < plan.sched.fault_count && !sim->failed; i++) {
        sim_run_until (sim, plan.sched.faults [i].at);
        fault_apply (sim, sim->n, &s_ops, &plan.sched.faults [i]);
    }
    sim_run_until (sim, CHAOS_MS);

    sim_trace (sim, "QUIET");
    sim_heal (sim);
    sim->drop_bp = sim->slow_bp = sim->dup_bp = 0;
    for (uint32_t id = 1; id <= n; id++) {
        sim_thaw (sim, id);
        if (plan.sched.down_mask & (1u << id))
            sim_crash (sim, id);
        else
            sim_start (sim, id);
    }
    uint64_t quiet_start = sim->now;
    converge_t converge = { UINT64_MAX };
    s_run (sim, quiet_start + QUIET_MS - DRAIN_MS, s_observe_converge, &converge);
    sim_trace (sim, "DRAIN: clients start no new messages");
    sim->clients_on = false;
    s_run (sim, quiet_start + QUIET_MS, s_observe_converge, &converge);
    uint32_t top = sim_converged (sim);
    if (!sim->failed) {
        char state [1500];
        s_describe (sim, state, sizeof state);
        if (converge.since == UINT64_MAX)
            sim_fail (sim, "R5: not converged after %u ms quiet: %s", QUIET_MS, state);
        else
        if (converge.since - quiet_start > CONVERGE_MAX_MS)
            sim_fail (sim, "R5: converged only %llu ms into the quiet period: %s",
                      (unsigned long long) (converge.since - quiet_start), state);
    }
    if (!sim->failed && top != UINT32_MAX) {
        char why [300];
        for (unsigned i = 0; i < sim->client_count; i++)
            if (sim->clients [i].in_flight)
                sim_fail (sim, "R5: client %u's #%llu (sent at %llu) is not acknowledged by "
                          "the end of the quiet period", i,
                          (unsigned long long) sim->clients [i].next_id,
                          (unsigned long long) sim->clients [i].sent_at);
        if (!sim->failed && !s_logs_converged (sim, top, why, sizeof why))
            sim_fail (sim, "R5: logs differ at the end of the quiet period: %s", why);
        if (!sim->failed && (!sim->first_ack_after
                          || sim->first_ack_after - quiet_start > CONVERGE_MAX_MS + 1000))
            sim_fail (sim, "R5: the first acknowledgement of the quiet period came %s%llu ms "
                      "into it", sim->first_ack_after ? "" : "not even ",
                      (unsigned long long) (sim->first_ack_after - quiet_start));
    }
    for (uint32_t id = 1; id <= sim->n; id++)
        s_check_refused (&sim->nodes [id]);
    bool ok = !sim->failed;
    if (ok && stats) {
        uint64_t took = converge.since - quiet_start;
        stats->runs++;
        stats->converge_total += took;
        if (took > stats->converge_max) {
            stats->converge_max = took;
            stats->converge_max_seed = seed;
        }
        if (top != UINT32_MAX && sim->first_ack_after - quiet_start > stats->first_ack_max) {
            stats->first_ack_max = sim->first_ack_after - quiet_start;
            stats->first_ack_max_seed = seed;
        }
        stats->acked += sim->acks;
        stats->committed += sim->committed_count;
        stats->fetches += sim->fetches;
        stats->truncations += sim->truncations;
        stats->truncated += sim->truncated;
        if (sim->served_cap > stats->max_epoch)
            for (uint64_t e = sim->served_cap; e-- > 0;)
                if (sim->served [e]) {
                    if (e > stats->max_epoch)
                        stats->max_epoch = e;
                    break;
                }
        if (!plan.fifo)
            stats->reorder_runs++;
    }
    if (tracing) {
        s_print_plan (&plan);
        sim_dump (sim, ok ? "replay (passed)" : "replay (FAILED)");
        if (ok)
            fprintf (stderr, "---- converged %llu ms into the quiet period; %zu entries "
                     "committed, %llu acknowledgements\n",
                     (unsigned long long) (converge.since - quiet_start), sim->committed_count,
                     (unsigned long long) sim->acks);
    }
    sim_destroy (&sim);
    return ok;
}

//  ==========================================================================
//  Fixed schedules

static sim_t *
s_fixed_new (size_t n, uint32_t quorum, uint64_t seed, uint32_t batch)
{
    sim_t *sim = sim_new (n, quorum, seed, batch);
    sim->tracing = true;
    sim->sample_ms = 10;
    return sim;
}

static void
s_fixed_end (sim_t **sim_p, const char *name, int failed_before)
{
    sim_t *sim = *sim_p;
    for (uint32_t id = 1; id <= sim->n; id++)
        s_check_refused (&sim->nodes [id]);
    CHECKF (!sim->failed, "%s: invariant violated %s", name, sim->failure);
    if (s_failed > failed_before || getenv ("ZC_SIM_TRACE"))
        sim_dump (sim, name);
    sim_destroy (sim_p);
}

static void
sim_start_all (sim_t *sim)
{
    for (uint32_t id = 1; id <= sim->n; id++)
        sim_start (sim, id);
}

static bool
p_converged_to (sim_t *sim, void *arg)
{
    return sim_converged (sim) == *(uint32_t *) arg;
}

static bool
p_serves (sim_t *sim, void *arg)
{
    return n_serving (sim, &sim->nodes [*(uint32_t *) arg]);
}

static bool
p_client_idle (sim_t *sim, void *arg)
{
    return !sim->clients [*(unsigned *) arg].in_flight;
}

static bool
p_clients_idle (sim_t *sim, void *arg)
{
    (void) arg;
    for (unsigned i = 0; i < sim->client_count; i++)
        if (sim->clients [i].in_flight)
            return false;
    return true;
}

//  Every running node holds the leader's whole log, committed
static bool
p_logs_converged (sim_t *sim, void *arg)
{
    char why [300];
    return s_logs_converged (sim, *(uint32_t *) arg, why, sizeof why);
}

static uint64_t
s_epoch (sim_t *sim, uint32_t id)
{
    return zc_election_epoch (sim->nodes [id].el);
}

static uint64_t
s_last (sim_t *sim, uint32_t id)
{
    return zc_chatlog_last_seq (sim->nodes [id].log);
}

static uint64_t
s_log_epoch (sim_t *sim, uint32_t id)
{
    return zc_replica_log_epoch (sim->nodes [id].rep);
}

//  The entry of `node` at seq is client's message #id
static bool
s_holds (sim_t *sim, uint32_t node, uint64_t seq, unsigned client, uint64_t id)
{
    zc_entry_t *entry = sim->nodes [node].log ? zc_chatlog_get (sim->nodes [node].log, seq)
                                              : NULL;
    return entry && entry->id == id && s_client_index (entry->client) == (int) client;
}

//  A client sends its next message to `node` (by hand)
static uint64_t
sim_post (sim_t *sim, unsigned client, uint32_t node)
{
    s_client_send (sim, &sim->clients [client], node);
    return sim->clients [client].next_id;
}

//  A client sends its next message to the serving node and waits for the ACK
static bool
sim_post_acked (sim_t *sim, unsigned client, uint64_t timeout)
{
    uint32_t to = sim_serving (sim);
    if (!to)
        return false;
    sim_post (sim, client, to);
    return sim_run_until_pred (sim, p_client_idle, &client, timeout);
}

//  Drop the frames of one type from one node (to any, or to one node);
//  with_entries: only those that carry entries
typedef struct {
    uint32_t from, to;
    zc_type_t type;
    bool with_entries;
    uint64_t carrying;          //  with_entries: only if it carries this seq or later
} drop_rule_t;

static bool
f_drop_rule (sim_t *sim, uint32_t from, uint32_t to, const zc_msg_t *msg, uint32_t entries,
             void *arg)
{
    (void) sim;
    drop_rule_t *rule = arg;
    return from == rule->from && (!rule->to || to == rule->to) && msg->type == rule->type
        && (!rule->with_entries || (entries > 0 && msg->prev_seq + entries >= rule->carrying));
}

static void
sim_filter (sim_t *sim, drop_rule_t *rule)
{
    sim->filter = rule ? f_drop_rule : NULL;
    sim->filter_arg = rule;
    if (rule)
        sim_trace (sim, "FAULT drop %s frames from node %u to %s%s", zc_type_name (rule->type),
                   rule->from, rule->to ? "one node" : "all",
                   rule->with_entries ? " that carry entries" : "");
    else
        sim_trace (sim, "FAULT no more dropped frames");
}

//  (a) DESIGN §6b.3, Raft's Figure 8: leader 3 writes seq 2 alone and
//  dies; leader 2 writes a different seq 2 alone and dies; 3 returns.  By
//  the last-entry rule 3 would copy its seq 2 to node 1, commit and publish
//  it, die, and 2 (whose last entry has the higher epoch) would return and
//  overwrite it.  By log epochs, node 1 (which installed epoch e2) beats 3.
static void
test_figure8 (void)
{
    const char *name = "figure 8 (DESIGN 6b.3)";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 8001, 4);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    uint64_t e1 = s_epoch (sim, 3);
    CHECKF (sim_post_acked (sim, 0, 1000), "%s: seq 1 acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: seq 1 everywhere", name);

    //  Leader 3 writes seq 2 alone and dies
    drop_rule_t rule3 = { 3, 0, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule3);
    sim_post (sim, 1, 3);
    sim_run_for (sim, 100);
    CHECKF (s_last (sim, 3) == 2 && s_holds (sim, 3, 2, 1, 1) && s_last (sim, 1) == 1
            && s_last (sim, 2) == 1, "%s: node 3 alone holds seq 2", name);
    sim_crash (sim, 3);
    sim_run_for (sim, 60);          //  what it sent has arrived
    sim_filter (sim, NULL);

    //  Leader 2 writes a different seq 2 alone (node 1 installs its epoch) and dies
    drop_rule_t rule2 = { 2, 0, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule2);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves", name);
    uint64_t e2 = s_epoch (sim, 2);
    sim_run_for (sim, 200);
    CHECKF (e2 > e1 && s_log_epoch (sim, 1) == e2, "%s: node 1 installed epoch %llu (has %llu)",
            name, (unsigned long long) e2, (unsigned long long) s_log_epoch (sim, 1));
    sim_post (sim, 2, 2);
    sim_run_for (sim, 100);
    CHECKF (s_last (sim, 2) == 2 && s_holds (sim, 2, 2, 2, 1) && s_last (sim, 1) == 1,
            "%s: node 2 alone holds another seq 2", name);
    sim_crash (sim, 2);
    sim_run_for (sim, 60);
    sim_filter (sim, NULL);

    //  3 returns: node 1's log (log epoch e2) beats its longer one (e1), so
    //  nothing of node 3's seq 2 is copied, committed or published.  It
    //  serves a while, and dies.
    sim_start (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves, &three, 3000), "%s: node 3 serves again", name);
    uint64_t e3 = s_epoch (sim, 3);
    CHECKF (s_last (sim, 3) == 1, "%s: node 3 dropped its seq 2 in the view change (log 1..%llu)",
            name, (unsigned long long) s_last (sim, 3));
    sim_run_for (sim, 500);
    CHECKF (s_last (sim, 1) == 1 && s_log_epoch (sim, 1) == e3,
            "%s: node 1 installed epoch %llu with log 1..1 (has %llu, 1..%llu)", name,
            (unsigned long long) e3, (unsigned long long) s_log_epoch (sim, 1),
            (unsigned long long) s_last (sim, 1));
    sim_crash (sim, 3);
    sim_run_for (sim, 60);

    //  2 returns: node 1 (log epoch e3) beats its seq 2 (epoch e2)
    sim_start (sim, 2);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves again", name);
    CHECKF (s_last (sim, 2) == 1, "%s: node 2 dropped its seq 2 in the view change (log 1..%llu)",
            name, (unsigned long long) s_last (sim, 2));
    uint64_t id = sim_post (sim, 0, 2);
    CHECKF (sim_run_until_pred (sim, p_client_idle, &(unsigned) { 0 }, 1000),
            "%s: node 2 acknowledges a new message", name);
    CHECKF (s_holds (sim, 2, 2, 0, id) && s_holds (sim, 1, 2, 0, id),
            "%s: it is seq 2 on nodes 1 and 2", name);
    sim_start (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 5000), "%s: node 3 leads at last",
            name);
    CHECKF (sim_post_acked (sim, 1, 1000) && sim_post_acked (sim, 2, 1000),
            "%s: clients 1 and 2 resend and are acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: logs converge", name);
    CHECKF (s_holds (sim, 3, 2, 0, id), "%s: seq 2 is still the published message", name);
    s_fixed_end (&sim, name, failed_before);
}

//  Clients send `count` messages one after another, each acknowledged
static bool
s_post_many (sim_t *sim, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!sim_post_acked (sim, (unsigned) (i % sim->client_count), 1000))
            return false;
    return true;
}

//  (b) A backup far behind (it was down) catches up after a restart
static void
test_backup_behind (void)
{
    const char *name = "backup far behind catches up";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 8002, 4);
    uint32_t three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (s_post_many (sim, 5), "%s: 5 messages acknowledged", name);
    sim_crash (sim, 1);
    CHECKF (s_post_many (sim, 60), "%s: 60 more acknowledged without node 1", name);
    sim_start (sim, 1);
    uint64_t started = sim->now;
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 3000),
            "%s: node 1 holds all 65 (log 1..%llu)", name, (unsigned long long) s_last (sim, 1));
    printf ("  %s: 60 entries in batches of 4 in %llu ms\n", name,
            (unsigned long long) (sim->now - started));
    s_fixed_end (&sim, name, failed_before);
}

//  (c) The new leader is a node that missed the committed entries (it was
//  slow): it must fetch them from the best log before it serves
static void
test_leader_behind (void)
{
    const char *name = "new leader fetches committed entries";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 8003, 4);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    drop_rule_t slow = { 3, 2, ZC_APPEND, false, 0 };
    sim_filter (sim, &slow);
    CHECKF (s_post_many (sim, 30), "%s: 30 acknowledged with node 1", name);
    CHECKF (s_last (sim, 2) == 0 && s_last (sim, 1) == 30, "%s: node 2 holds none of them", name);
    sim_crash (sim, 3);
    sim_filter (sim, NULL);
    uint64_t fetches = sim->fetches, crashed = sim->now;
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 1500), "%s: node 2 serves", name);
    CHECKF (sim->fetches == fetches + 1 && sim->stuck == 0 && s_last (sim, 2) == 30,
            "%s: after fetching them in its first view change (log 1..%llu, %llu view changes "
            "stuck)", name, (unsigned long long) s_last (sim, 2), (unsigned long long) sim->stuck);
    printf ("  %s: node 2 serves %llu ms after the leader's crash\n", name,
            (unsigned long long) (sim->now - crashed));
    CHECKF (s_post_many (sim, 3), "%s: and takes new messages", name);
    CHECKF (s_holds (sim, 1, 31, 0, 11), "%s: at seq 31", name);
    sim_start (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 5000), "%s: node 3 leads again", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 2000), "%s: logs converge", name);
    s_fixed_end (&sim, name, failed_before);
}

//  (d) Hand-over to a returning higher node, with clients sending all the
//  while; the returning node holds a stale tail of its own
static void
test_handover (void)
{
    const char *name = "hand-over with a stale tail";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 8004, 3);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (s_post_many (sim, 6), "%s: 6 acknowledged", name);
    drop_rule_t rule3 = { 3, 0, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule3);
    for (unsigned c = 0; c < sim->client_count; c++)
        sim_post (sim, c, 3);
    sim_run_for (sim, 100);
    CHECKF (s_last (sim, 3) == 9 && s_last (sim, 2) == 6, "%s: node 3 alone holds 7..9", name);
    sim_crash (sim, 3);
    sim_filter (sim, NULL);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves", name);
    uint64_t e2 = s_epoch (sim, 2);
    sim_clients_on (sim, true);
    sim_run_for (sim, 1500);
    uint64_t acks = sim->acks;
    sim_start (sim, 3);
    uint64_t started = sim->now;
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 5000), "%s: node 3 leads", name);
    CHECKF (s_epoch (sim, 3) == e2 + 1, "%s: in the next epoch (%llu, not %llu)", name,
            (unsigned long long) e2 + 1, (unsigned long long) s_epoch (sim, 3));
    printf ("  %s: node 3 leads %llu ms after its restart\n", name,
            (unsigned long long) (sim->now - started));
    sim_run_for (sim, 1500);
    sim->clients_on = false;
    CHECKF (sim_run_until_pred (sim, p_clients_idle, NULL, 2000), "%s: all acknowledged", name);
    CHECKF (sim->acks > acks + 10, "%s: clients went on (%llu acknowledgements)", name,
            (unsigned long long) (sim->acks - acks));
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: logs converge", name);
    s_fixed_end (&sim, name, failed_before);
}

//  (e) The whole cluster crashes and restarts from its disks
static void
test_full_restart (void)
{
    const char *name = "full cluster restart";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 8005, 8);
    uint32_t three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    sim_clients_on (sim, true);
    sim_run_for (sim, 3000);
    sim->clients_on = false;
    CHECKF (sim_run_until_pred (sim, p_clients_idle, NULL, 2000), "%s: all acknowledged", name);
    size_t committed = sim->committed_count;
    uint64_t last_ts = sim->last_ts;
    sim_crash (sim, 1);
    sim_run_for (sim, 5);
    sim_crash (sim, 3);
    sim_crash (sim, 2);
    sim_run_for (sim, 500);
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (s_last (sim, 1) >= committed && s_last (sim, 2) >= committed
            && s_last (sim, 3) >= committed, "%s: every node holds the %zu entries", name,
            committed);
    CHECKF (s_post_many (sim, 3), "%s: new messages acknowledged", name);
    CHECKF (sim->committed_count == committed + 3 && sim->last_ts > last_ts,
            "%s: after the old ones, with later ts", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: logs converge", name);
    s_fixed_end (&sim, name, failed_before);
}

//  (f) A backup that installs a new epoch drops the stale tail past what
//  it confirmed.  Node 3 keeps seq 3..5 of its own (epoch e1) and rejoins
//  leader 2 (epoch e2), whose log ends at seq 2: once it holds seq 2 it
//  installs e2, and must drop 3..5; else it would vote (e2, 5), beat node 1's
//  (e2, 4) where 3..4 are committed, and a view change would lose them.
static void
test_install_drops_tail (void)
{
    const char *name = "install drops a stale tail";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 8006, 4);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (s_post_many (sim, 2), "%s: seq 1..2 acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: everywhere", name);
    drop_rule_t rule3 = { 3, 0, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule3);
    for (unsigned c = 0; c < sim->client_count; c++)
        sim_post (sim, c, 3);
    sim_run_for (sim, 100);
    CHECKF (s_last (sim, 3) == 5 && s_last (sim, 1) == 2, "%s: node 3 alone holds 3..5", name);
    sim_crash (sim, 3);
    sim_run_for (sim, 60);
    sim_filter (sim, NULL);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves", name);
    uint64_t e2 = s_epoch (sim, 2);

    drop_rule_t rule2 = { 2, 3, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule2);
    sim_start (sim, 3);
    sim_run_for (sim, 500);
    CHECKF (s_log_epoch (sim, 3) == e2 && s_last (sim, 3) == 2,
            "%s: node 3 installed epoch %llu with log 1..2 (has %llu, 1..%llu)", name,
            (unsigned long long) e2, (unsigned long long) s_log_epoch (sim, 3),
            (unsigned long long) s_last (sim, 3));
    CHECKF (sim_post_acked (sim, 0, 1000) && sim_post_acked (sim, 1, 1000),
            "%s: clients 0 and 1 resend to node 2, acknowledged", name);
    CHECKF (s_last (sim, 1) == 4 && s_last (sim, 3) == 2, "%s: at seq 3..4, not on node 3", name);
    sim_crash (sim, 2);
    sim_run_for (sim, 60);
    sim_filter (sim, NULL);
    CHECKF (sim_run_until_pred (sim, p_serves, &three, 3000), "%s: node 3 serves", name);
    CHECKF (s_holds (sim, 3, 3, 0, 2) && s_holds (sim, 3, 4, 1, 2),
            "%s: with node 1's seq 3..4", name);
    sim_start (sim, 2);
    CHECKF (sim_post_acked (sim, 2, 1000), "%s: client 2 resends, acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 2000), "%s: logs converge", name);
    s_fixed_end (&sim, name, failed_before);
}

//  (g) The commit floor.  Leader 2 begins epoch e4 with seq 2..3 that only
//  it holds (log epoch e2); node 1 (log epoch e2 too, it installed e2 but
//  got none of them) confirms seq 2, not 3.  Seq 2 is not committed: node
//  3 holds a log of epoch e3, without it, and beats node 1 in the next view
//  change.  Only backups that hold the whole log the leader began with
//  (start_seq) count toward a commit.
static void
test_commit_floor (void)
{
    const char *name = "commit floor at start_seq";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 8007, 1);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (s_post_many (sim, 1), "%s: seq 1 acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: everywhere", name);
    sim_crash (sim, 3);
    sim_run_for (sim, 60);

    //  Node 2 (e2) writes seq 2..3 alone; node 1 installs e2 with seq 1
    drop_rule_t rule2 = { 2, 0, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule2);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves", name);
    uint64_t e2 = s_epoch (sim, 2);
    sim_post (sim, 1, 2);
    sim_post (sim, 2, 2);
    sim_run_for (sim, 200);
    CHECKF (s_last (sim, 2) == 3 && s_last (sim, 1) == 1 && s_log_epoch (sim, 1) == e2,
            "%s: node 2 alone holds seq 2..3, node 1 installed epoch %llu", name,
            (unsigned long long) e2);
    sim_crash (sim, 2);
    sim_run_for (sim, 60);

    //  Node 3 (e3) becomes ready with seq 1 (log epoch e3); node 1 does not
    //  install e3
    drop_rule_t rule3 = { 3, 0, ZC_APPEND, false, 0 };
    sim_filter (sim, &rule3);
    sim_start (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves, &three, 3000), "%s: node 3 serves", name);
    uint64_t e3 = s_epoch (sim, 3);
    CHECKF (s_log_epoch (sim, 3) == e3 && s_last (sim, 3) == 1 && s_log_epoch (sim, 1) == e2,
            "%s: node 3 holds seq 1 in log epoch %llu", name, (unsigned long long) e3);
    sim_crash (sim, 3);
    sim_run_for (sim, 60);

    //  Node 2 (e4) starts from its own log, 1..3; node 1 gets seq 2, never 3
    drop_rule_t rule2b = { 2, 0, ZC_APPEND, true, 3 };
    sim_filter (sim, &rule2b);
    sim_start (sim, 2);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves again", name);
    sim_run_for (sim, 500);
    CHECKF (s_last (sim, 1) == 2 && s_holds (sim, 1, 2, 1, 1) && zc_replica_commit (sim->nodes [2].rep) < 2,
            "%s: node 1 holds seq 2, which is not committed (commit %llu)", name,
            (unsigned long long) zc_replica_commit (sim->nodes [2].rep));
    sim_crash (sim, 2);
    sim_run_for (sim, 60);
    sim_filter (sim, NULL);

    //  Node 3's log (log epoch e3) beats node 1's (e2): seq 2 goes
    sim_start (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves, &three, 3000), "%s: node 3 serves again", name);
    sim_run_for (sim, 300);
    CHECKF (s_last (sim, 1) == 1, "%s: node 1 dropped seq 2", name);
    sim_start (sim, 2);
    CHECKF (sim_post_acked (sim, 1, 1000) && sim_post_acked (sim, 2, 1000),
            "%s: clients 1 and 2 resend, acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 2000), "%s: logs converge", name);
    s_fixed_end (&sim, name, failed_before);
}

//  (h) An APPEND always names a previous entry the leader holds.  A backup
//  that did not follow the leader yet refuses with its own log end, which
//  may lie past the leader's; the leader used to build the next APPEND
//  from there, with previous entry (seq past its log, epoch 0).  Delayed
//  past the leader's real entry at that seq (frames reorder), it made the
//  backup truncate committed entries (random seed 13820, 3 nodes, before
//  the fix).
static void
test_replication_within_log (void)
{
    const char *name = "replication stays within the leader's log";
    uint32_t peers [] = { 2, 3 };
    zc_replication_t *repl = zc_replication_new (peers, 2, 2, T_RETRY);
    zc_replication_reset (repl, 5, 0);
    zc_replication_ack (repl, 2, false, 9, 10);
    uint64_t from = 0;
    bool due = zc_replication_due (repl, 2, 5, 10 + T_RETRY, &from);
    CHECKF (due && from == 6, "%s: the next APPEND to node 2 starts at %llu (log 1..5)", name,
            (unsigned long long) from);
    zc_replication_destroy (&repl);
}

//  ==========================================================================
//  Hostile input (issue 9, items 5 and 7): one bare replica, node 1 of
//  {1, 2, 3} (quorum 2), fed forged peer messages by hand.  Each attack
//  once worked; now the message is refused, counted in zc_replica_refused,
//  answered with nothing and changes nothing.

typedef struct {
    zc_chatlog_t *log;
    zc_replica_t *rep;
    zc_ractions_t out;
    uint8_t frames [8][SIM_FRAME];
    zc_blob_t blobs [8];
    size_t count;
    uint64_t now;
} bench_t;

static size_t
s_chat_encode (uint8_t *buf, size_t cap, uint64_t seq, uint64_t epoch)
{
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&chat, ZF_SEQ, seq);
    zc_msg_set_u64 (&chat, ZF_RSEQ, seq);
    zc_msg_set_u64 (&chat, ZF_TS, seq);
    zc_msg_set_cstr (&chat, ZF_ROOM, "general");
    zc_msg_set_cstr (&chat, ZF_FROM, "mallory");
    zc_msg_set_cstr (&chat, ZF_CLIENT, "c11e0000000000000000000000000001");
    zc_msg_set_u64 (&chat, ZF_ID, seq);
    zc_msg_set_cstr (&chat, ZF_TEXT, "hi");
    return zc_msg_encode (&chat, buf, cap);
}

//  A log of seq base+1..last in epoch, and base retired (epoch too).
static bench_t *
bench_new (uint64_t base, uint64_t last, uint64_t epoch, uint64_t log_epoch)
{
    bench_t *b = calloc (1, sizeof *b);
    assert (b);
    b->log = zc_chatlog_new ();
    if (base)
        zc_chatlog_set_base (b->log, base, epoch);
    for (uint64_t seq = base + 1; seq <= last; seq++) {
        uint8_t buf [SIM_FRAME];
        size_t size = s_chat_encode (buf, sizeof buf, seq, epoch);
        zc_msg_t chat;
        int rc = zc_msg_decode (&chat, buf, size, NULL);
        assert (rc == 0 && zc_chatlog_append (b->log, &chat, buf, size));
        (void) rc;
    }
    zc_replica_config_t cfg = {
        .self = 1, .peers = { 2, 3 }, .peer_count = 2, .quorum = 2, .mh = 1,
        .retry_ms = T_RETRY, .batch = 4
    };
    b->rep = zc_replica_new (&cfg, b->log, log_epoch);
    b->now = 1000;
    return b;
}

static void
bench_destroy (bench_t **b_p)
{
    zc_replica_destroy (&(*b_p)->rep);
    zc_chatlog_destroy (&(*b_p)->log);
    free (*b_p);
    *b_p = NULL;
}

static void
bench_entry (bench_t *b, uint64_t seq, uint64_t epoch)
{
    assert (b->count < 8);
    size_t size = s_chat_encode (b->frames [b->count], SIM_FRAME, seq, epoch);
    b->blobs [b->count] = (zc_blob_t) { b->frames [b->count], size };
    b->count++;
}

static zc_msg_t
bench_msg (zc_type_t type, uint32_t node, uint64_t epoch)
{
    zc_msg_t msg;
    zc_msg_init (&msg, type);
    zc_msg_set_u64 (&msg, ZF_NODE, node);
    zc_msg_set_u64 (&msg, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&msg, ZF_MH, 1);
    return msg;
}

static zc_msg_t
bench_append (uint32_t node, uint64_t epoch, uint64_t prev_seq, uint64_t prev_epoch,
              uint64_t commit, uint64_t last_seq, uint64_t start_seq)
{
    zc_msg_t msg = bench_msg (ZC_APPEND, node, epoch);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, prev_seq);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, prev_epoch);
    zc_msg_set_u64 (&msg, ZF_COMMIT, commit);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, last_seq);
    zc_msg_set_u64 (&msg, ZF_START_SEQ, start_seq);
    zc_msg_set_u64 (&msg, ZF_LT, 1);
    return msg;
}

//  Feed msg with the entries staged by bench_entry (then unstaged).
static void
bench_recv (bench_t *b, const zc_msg_t *msg)
{
    zc_ractions_clear (&b->out);
    b->now += 10;
    zc_replica_recv (b->rep, msg, b->blobs, b->count, b->now, &b->out);
    b->count = 0;
}

static uint64_t
bench_last (bench_t *b)
{
    return zc_chatlog_last_seq (b->log);
}

//  Node 1 follows leader 3 in epoch 1 and has committed seq 1..5.
static bench_t *
bench_committed_backup (void)
{
    bench_t *b = bench_new (0, 0, 1, 0);
    zc_replica_follow (b->rep, 1, 3);
    for (uint64_t seq = 1; seq <= 5; seq++)
        bench_entry (b, seq, 1);
    zc_msg_t msg = bench_append (3, 1, 0, 0, 5, 5, 0);
    bench_recv (b, &msg);
    assert (bench_last (b) == 5 && zc_replica_commit (b->rep) == 5);
    return b;
}

//  One forged message was refused: counted, unanswered, nothing changed.
#define CHECK_REFUSED(b, name, what, refused_before, last) \
    CHECKF (zc_replica_refused ((b)->rep) == (refused_before) + 1 && (b)->out.count == 0 \
            && !(b)->out.save && bench_last (b) == (last) && zc_replica_commit ((b)->rep) >= 5, \
            "%s: %s: refused %llu (was %llu), %zu answers, log 1..%llu, commit %llu", \
            name, what, (unsigned long long) zc_replica_refused ((b)->rep), \
            (unsigned long long) (refused_before), (b)->out.count, \
            (unsigned long long) bench_last (b), \
            (unsigned long long) zc_replica_commit ((b)->rep))

//  A crafted APPEND in the leader's name cut a backup's committed log: a
//  previous entry that "differs" at or below the commit point, and an
//  install (start_seq 0 in a new epoch) that drops older epochs' entries.
static void
test_hostile_truncate (void)
{
    const char *name = "hostile: no APPEND truncates committed entries";
    bench_t *b = bench_committed_backup ();
    uint64_t refused = zc_replica_refused (b->rep);
    zc_msg_t msg = bench_append (3, 1, 3, 0, 5, 5, 0);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 5 && b->out.count == 1, "%s: an honest probe is answered", name);

    //  Node 3 leads epoch 2 now: the "previous entry" seq 3 of epoch 2
    zc_replica_follow (b->rep, 2, 3);
    msg = bench_append (3, 2, 3, 2, 5, 5, 5);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "prev (3, epoch 2) against committed (3, epoch 1)", refused, 5);

    //  An entry of epoch 2 where seq 3 of epoch 1 is committed
    refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 2, 2, 1, 5, 5, 2);
    bench_entry (b, 3, 2);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "entry (3, epoch 2) against committed (3, epoch 1)", refused, 5);

    //  An install that would drop seq 1..5 (epoch 1): start_seq 0, prev 0
    refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 2, 0, 0, 0, 0, 0);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "an install from start_seq 0", refused, 5);
    CHECK (zc_replica_log_epoch (b->rep) == 1);

    //  The same with start_seq 5 but a verified point of 2: seq 3..5 are
    //  older than epoch 2 yet past start_seq in the leader's log
    refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 2, 2, 1, 0, 5, 2);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "an install from start_seq 2", refused, 5);

    //  The honest leader of epoch 2 still gets in
    msg = bench_append (3, 2, 5, 1, 5, 6, 5);
    bench_entry (b, 6, 2);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 6 && b->out.count == 1 && b->out.sends [0].msg.granted
            && b->out.sends [0].msg.last_seq == 6 && zc_replica_log_epoch (b->rep) == 2,
            "%s: the honest APPEND is taken (log 1..%llu)", name,
            (unsigned long long) bench_last (b));
    msg = bench_append (3, 2, 6, 2, 6, 6, 5);
    bench_recv (b, &msg);
    CHECK (zc_replica_commit (b->rep) == 6);

    //  Committed: 1..5 of epoch 1, 6 of epoch 2.  An install from seq 0
    //  would drop them all
    refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 2, 0, 0, 0, 6, 0);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "an install that drops older epochs' committed entries",
                   refused, 6);

    //  Epoch 3, no install: an entry of epoch 2 where seq 3 of epoch 1 is
    //  committed (older than the leader's epoch, so possible by itself)
    zc_replica_follow (b->rep, 3, 3);
    refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 3, 2, 1, 0, 6, 6);
    bench_entry (b, 3, 2);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "entry (3, epoch 2) against committed (3, epoch 1), epoch 3",
                   refused, 6);
    bench_destroy (&b);
}

//  Forged entries and headers that no leader sends: each refused.
static void
test_hostile_entries (void)
{
    const char *name = "hostile: impossible APPENDs are refused";
    bench_t *b = bench_committed_backup ();
    zc_replica_follow (b->rep, 2, 3);
    struct {
        const char *what;
        uint64_t prev_seq, prev_epoch, commit, last_seq, start_seq;
        uint64_t seqs [3], epochs [3];
        size_t count;
        bool drop_last_seq, garbage;
    } cases [] = {
        { "an entry out of place", 5, 1, 5, 7, 5, { 7 }, { 2 }, 1, false, false },
        { "an entry newer than the leader's epoch", 5, 1, 5, 6, 5, { 6 }, { 9 }, 1, false, false },
        { "an entry older than the previous one", 5, 1, 5, 7, 5, { 6, 7 }, { 2, 1 }, 2, false, false },
        { "an entry after start_seq not of the epoch", 5, 1, 5, 6, 5, { 6 }, { 1 }, 1, false, false },
        { "an entry up to start_seq of the epoch", 5, 1, 5, 6, 6, { 6 }, { 2 }, 1, false, false },
        { "an entry of epoch 0", 5, 0, 5, 6, 6, { 6 }, { 0 }, 1, false, false },
        { "entries past last_seq", 5, 1, 5, 6, 5, { 6, 7 }, { 2, 2 }, 2, false, false },
        { "commit past last_seq", 5, 1, 9, 5, 5, { 0 }, { 0 }, 0, false, false },
        { "start_seq past last_seq", 5, 1, 5, 5, 9, { 0 }, { 0 }, 0, false, false },
        { "prev_seq past last_seq", 6, 2, 5, 5, 5, { 0 }, { 0 }, 0, false, false },
        { "prev_epoch newer than the leader's", 5, 7, 5, 5, 5, { 0 }, { 0 }, 0, false, false },
        { "prev_epoch for seq 0", 0, 1, 5, 5, 5, { 0 }, { 0 }, 0, false, false },
        { "no last_seq", 5, 1, 5, 6, 5, { 6 }, { 2 }, 1, true, false },
        { "a frame that does not decode", 5, 1, 5, 6, 5, { 6 }, { 2 }, 1, false, true },
        { "a frame that is not a chat map", 5, 1, 5, 6, 5, { 6 }, { 2 }, 1, false, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        uint64_t refused = zc_replica_refused (b->rep);
        zc_msg_t msg = bench_append (3, 2, cases [i].prev_seq, cases [i].prev_epoch,
                                     cases [i].commit, cases [i].last_seq,
                                     cases [i].start_seq);
        if (cases [i].drop_last_seq)
            msg.has &= ~ZF_LAST_SEQ;
        for (size_t j = 0; j < cases [i].count; j++)
            bench_entry (b, cases [i].seqs [j], cases [i].epochs [j]);
        if (cases [i].garbage)
            b->blobs [0].size = 3;
        if (strstr (cases [i].what, "not a chat map")) {
            zc_msg_t other = bench_msg (ZC_APPEND_ACK, 3, 2);
            zc_msg_set_u64 (&other, ZF_SEQ, 6);
            zc_msg_set_u64 (&other, ZF_LAST_SEQ, 6);
            zc_msg_set_bool (&other, ZF_GRANTED, true);
            b->blobs [0].size = zc_msg_encode (&other, b->frames [0], SIM_FRAME);
        }
        bench_recv (b, &msg);
        CHECK_REFUSED (b, name, cases [i].what, refused, 5);
    }
    CHECK (zc_replica_log_epoch (b->rep) == 1);
    zc_msg_t msg = bench_append (3, 2, 5, 1, 5, 6, 5);
    bench_entry (b, 6, 2);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 6 && b->out.count == 1 && b->out.sends [0].msg.granted,
            "%s: the honest APPEND is taken", name);
    bench_destroy (&b);
}

//  A forged view change: votes that cannot be true, and LOG_ENTRIES that
//  would cut the leader's committed log (it took the only live node from
//  5 entries to 0).
static void
test_hostile_view_change (void)
{
    const char *name = "hostile: a forged view change cuts nothing";
    bench_t *b = bench_committed_backup ();

    zc_vote_t future [] = { { 2, 3, 9 } };      //  log epoch 3 in epoch 3
    zc_ractions_clear (&b->out);
    uint64_t refused = zc_replica_refused (b->rep);
    zc_replica_lead (b->rep, 3, future, 1, b->now, &b->out);
    CHECKF (b->out.stuck && b->out.count == 0 && !zc_replica_ready (b->rep)
            && zc_replica_refused (b->rep) == refused + 1,
            "%s: a vote with a log of our epoch: step down", name);

    zc_vote_t short_log [] = { { 2, 2, 3 } };   //  best, yet without seq 4..5
    zc_ractions_clear (&b->out);
    zc_replica_lead (b->rep, 3, short_log, 1, b->now, &b->out);
    CHECKF (b->out.stuck && b->out.count == 0 && !zc_replica_ready (b->rep)
            && zc_replica_refused (b->rep) == refused + 2,
            "%s: a best vote without our committed entries: step down", name);

    //  A plausible vote from node 2; the fetch goes to it
    zc_vote_t votes [] = { { 2, 2, 9 } };
    zc_ractions_clear (&b->out);
    zc_replica_lead (b->rep, 4, votes, 1, b->now, &b->out);
    CHECKF (!b->out.stuck && b->out.count == 1 && b->out.sends [0].to == 2
            && b->out.sends [0].msg.type == ZC_LOG_FETCH, "%s: fetches from node 2", name);

    //  Its forged answer: "my log is empty"
    refused = zc_replica_refused (b->rep);
    zc_msg_t msg = bench_msg (ZC_LOG_ENTRIES, 2, 4);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 0);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 0);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 0);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "LOG_ENTRIES ending at seq 0", refused, 5);
    CHECK (!zc_replica_ready (b->rep));

    //  Entries that a voter of epoch 4 cannot hold yet
    refused = zc_replica_refused (b->rep);
    msg = bench_msg (ZC_LOG_ENTRIES, 2, 4);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 5);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 6);
    bench_entry (b, 6, 4);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "LOG_ENTRIES with an entry of our epoch", refused, 5);

    //  From a voter we did not ask: ignored (not counted: a late answer
    //  to an earlier view change looks the same)
    refused = zc_replica_refused (b->rep);
    msg = bench_msg (ZC_LOG_ENTRIES, 3, 4);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 5);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 6);
    bench_entry (b, 6, 2);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 5 && b->out.count == 0 && !zc_replica_ready (b->rep)
            && zc_replica_refused (b->rep) == refused,
            "%s: LOG_ENTRIES from a voter not asked is ignored", name);

    //  The honest answer from node 2 makes it ready
    msg = bench_msg (ZC_LOG_ENTRIES, 2, 4);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 5);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 6);
    bench_entry (b, 6, 2);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 6 && zc_replica_ready (b->rep) && b->out.save,
            "%s: the honest LOG_ENTRIES completes the view change", name);
    bench_destroy (&b);
}

//  LOG_FETCH is answered only by a node that is not leading, in its
//  epoch, to the leader it follows (PROTOCOL.md §5.4).
static void
test_hostile_log_fetch (void)
{
    const char *name = "hostile: LOG_FETCH answered only as the protocol says";
    bench_t *b = bench_committed_backup ();
    zc_msg_t msg = bench_msg (ZC_LOG_FETCH, 2, 1);
    zc_msg_set_u64 (&msg, ZF_LAST, 0);
    bench_recv (b, &msg);
    CHECKF (b->out.count == 0, "%s: not from the leader we follow", name);
    msg = bench_msg (ZC_LOG_FETCH, 3, 2);
    zc_msg_set_u64 (&msg, ZF_LAST, 0);
    bench_recv (b, &msg);
    CHECKF (b->out.count == 0, "%s: not in another epoch", name);
    msg = bench_msg (ZC_LOG_FETCH, 3, 1);
    zc_msg_set_u64 (&msg, ZF_LAST, UINT64_MAX);
    bench_recv (b, &msg);
    CHECKF (b->out.count == 1 && b->out.sends [0].msg.prev_seq == 5
            && b->out.sends [0].first > b->out.sends [0].last,
            "%s: the leader's, past our log: nothing to send", name);
    msg = bench_msg (ZC_LOG_FETCH, 3, 1);
    zc_msg_set_u64 (&msg, ZF_LAST, 0);
    bench_recv (b, &msg);
    CHECKF (b->out.count == 1 && b->out.sends [0].first == 1 && b->out.sends [0].last == 4,
            "%s: the leader's: one batch", name);
    zc_vote_t votes [] = { { 2, 1, 5 } };
    zc_ractions_clear (&b->out);
    zc_replica_lead (b->rep, 2, votes, 1, b->now, &b->out);
    CHECK (zc_replica_ready (b->rep));
    msg = bench_msg (ZC_LOG_FETCH, 3, 2);
    zc_msg_set_u64 (&msg, ZF_LAST, 0);
    bench_recv (b, &msg);
    CHECKF (b->out.count == 0, "%s: never by a leader", name);
    bench_destroy (&b);
}

//  A fake APPEND_ACK advanced commit; one with last_seq 2^64-1 counted
//  for every commit and stalled replication (next seq wrapped to 0).
static void
test_hostile_ack (void)
{
    const char *name = "hostile: an APPEND_ACK confirms only what was sent";
    bench_t *b = bench_new (0, 5, 1, 1);
    zc_vote_t votes [] = { { 2, 1, 5 } };
    zc_replica_lead (b->rep, 2, votes, 1, b->now, &b->out);
    CHECK (zc_replica_ready (b->rep) && zc_replica_start_seq (b->rep) == 5);
    zc_ractions_clear (&b->out);
    zc_replica_tick (b->rep, b->now, &b->out);      //  probes after seq 5
    CHECK (b->out.count == 2);
    uint8_t buf [SIM_FRAME];
    size_t size = s_chat_encode (buf, sizeof buf, 6, 2);
    zc_msg_t chat;
    CHECK (zc_msg_decode (&chat, buf, size, NULL) == 0);
    CHECK (zc_replica_append (b->rep, &chat, buf, size));

    uint64_t lies [] = { UINT64_MAX, 6 };
    for (size_t i = 0; i < 2; i++) {
        uint64_t refused = zc_replica_refused (b->rep);
        zc_msg_t msg = bench_msg (ZC_APPEND_ACK, 2, 2);
        zc_msg_set_u64 (&msg, ZF_LAST_SEQ, lies [i]);
        zc_msg_set_bool (&msg, ZF_GRANTED, true);
        bench_recv (b, &msg);
        CHECKF (zc_replica_commit (b->rep) < 6 && zc_replica_match (b->rep, 2) == 0
                && zc_replica_refused (b->rep) == refused + 1,
                "%s: a granted ACK for seq %llu, never sent: commit %llu, match %llu", name,
                (unsigned long long) lies [i], (unsigned long long) zc_replica_commit (b->rep),
                (unsigned long long) zc_replica_match (b->rep, 2));
    }
    //  Replication goes on: the probe's honest answer, then seq 6
    zc_msg_t msg = bench_msg (ZC_APPEND_ACK, 2, 2);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 5);
    zc_msg_set_bool (&msg, ZF_GRANTED, true);
    bench_recv (b, &msg);
    CHECK (zc_replica_match (b->rep, 2) == 5);
    zc_ractions_clear (&b->out);
    b->now += T_RETRY;
    zc_replica_tick (b->rep, b->now, &b->out);
    bool sent6 = false;
    for (size_t i = 0; i < b->out.count; i++)
        if (b->out.sends [i].to == 2 && b->out.sends [i].first == 6 && b->out.sends [i].last == 6)
            sent6 = true;
    CHECKF (sent6, "%s: seq 6 goes to node 2", name);
    msg = bench_msg (ZC_APPEND_ACK, 2, 2);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 6);
    zc_msg_set_bool (&msg, ZF_GRANTED, true);
    bench_recv (b, &msg);
    CHECKF (zc_replica_commit (b->rep) == 6, "%s: its honest ACK commits seq 6", name);
    bench_destroy (&b);
}

//  One empty APPEND to a backup running with --retain-* segfaulted it: a
//  verified point below the oldest held seq made the install read a
//  retired entry.
static void
test_hostile_retained (void)
{
    const char *name = "hostile: APPENDs below the retired part";
    bench_t *b = bench_new (10, 15, 2, 2);      //  1..10 retired, 11..15 held
    zc_replica_follow (b->rep, 2, 3);
    zc_msg_t msg = bench_append (3, 2, 5, 2, 0, 15, 3);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 15 && b->out.count == 1 && b->out.sends [0].msg.granted,
            "%s: a verified point below the oldest held seq: no crash", name);

    //  The issue's empty APPEND, in a new epoch: the retired entries are
    //  committed, so start_seq 0 would drop what followed them
    zc_replica_follow (b->rep, 3, 3);
    uint64_t refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 3, 0, 0, 0, 0, 0);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 15 && b->out.count == 0 && zc_replica_refused (b->rep) == refused + 1
            && zc_replica_log_epoch (b->rep) == 2,
            "%s: an install that would cut behind the retired seq 10 is refused (log ..%llu)",
            name, (unsigned long long) bench_last (b));
    bench_destroy (&b);
}

//  ==========================================================================
//  main

int
main (int argc, char **argv)
{
    if (argc > 1) {
        uint64_t seed = strtoull (argv [1], NULL, 10);
        size_t n = argc > 2 ? (size_t) strtoul (argv [2], NULL, 10) : 3;
        if (n < 1 || n > SIM_MAX_NODES) {
            fprintf (stderr, "usage: test_replica [SEED [NODES 1..%d]]\n", SIM_MAX_NODES);
            return 2;
        }
        bool ok = s_random_run (seed, n, true, NULL);
        printf ("test_replica: seed %llu with %zu nodes %s\n", (unsigned long long) seed, n,
                ok ? "passed" : "FAILED");
        packet_pool_destroy ();
        return ok ? 0 : 1;
    }
    double start = sim_seconds ();
    test_figure8 ();
    test_backup_behind ();
    test_leader_behind ();
    test_handover ();
    test_full_restart ();
    test_install_drops_tail ();
    test_commit_floor ();
    test_replication_within_log ();
    test_hostile_truncate ();
    test_hostile_entries ();
    test_hostile_view_change ();
    test_hostile_log_fetch ();
    test_hostile_ack ();
    test_hostile_retained ();
    double fixed = sim_seconds () - start;

    size_t runs3 = sim_env_size ("ZC_SIM_RUNS", 800);
    uint64_t first = sim_env_size ("ZC_SIM_SEED", 1);
    //  And one batch from a fresh seed (simnet.h: sim_fresh_seed)
    uint64_t fresh = sim_fresh_seed ("test_replica");
    struct { size_t n, runs; uint64_t first; } batches [] = {
        { 3, runs3, first }, { 5, runs3 / 4, first }, { 1, runs3 / 20, first },
        { 3, fresh ? runs3 / 8 : 0, fresh }
    };
    for (size_t b = 0; b < sizeof batches / sizeof batches [0]; b++) {
        stats_t stats = { 0 };
        double t0 = sim_seconds ();
        if (!batches [b].runs)
            continue;
        sim_random_batch ("test_replica", s_random_run, batches [b].first, batches [b].runs,
                          batches [b].n, &stats, &s_passed, &s_failed);
        double took = sim_seconds () - t0;
        printf ("  random, %zu node%s%s: %zu/%zu schedules of %u s in %.1f s (%zu with frames "
                "reordered); converged in %llu ms on average, %llu ms at most (seed %llu); "
                "first ACK of the quiet period at most %llu ms in (seed %llu); "
                "%llu entries committed, %llu acknowledgements; %llu view changes fetched; "
                "%llu truncations (%llu entries); highest epoch %llu\n",
                batches [b].n, batches [b].n > 1 ? "s" : "",
                batches [b].first != first ? " (fresh seed)" : "", stats.runs, batches [b].runs,
                (CHAOS_MS + QUIET_MS) / 1000, took, stats.reorder_runs,
                (unsigned long long) (stats.runs ? stats.converge_total / stats.runs : 0),
                (unsigned long long) stats.converge_max,
                (unsigned long long) stats.converge_max_seed,
                (unsigned long long) stats.first_ack_max,
                (unsigned long long) stats.first_ack_max_seed,
                (unsigned long long) stats.committed, (unsigned long long) stats.acked,
                (unsigned long long) stats.fetches, (unsigned long long) stats.truncations,
                (unsigned long long) stats.truncated, (unsigned long long) stats.max_epoch);
    }
    printf ("  fixed schedules %.2f s, total %.1f s\n", fixed, sim_seconds () - start);
    packet_pool_destroy ();
    return check_report ("test_replica");
}
