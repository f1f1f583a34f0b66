/*  test_election.c — the election state machine under a simulated network.

    No sockets and no real clock: N zc_election_t objects, a fake monotonic
    clock in ms, and a priority queue of in-flight frames keyed by delivery
    time.  Every message goes through the real codec (zc_msg_encode when
    sent, zc_msg_decode when delivered).  Faults: crashes (the disk, i.e. the
    persisted (epoch, leader), survives), restarts, freezes (SIGSTOP: links
    stay open, frames wait for the process to wake), drops, delays, duplicates
    and partitions.  Everything is drawn from a seeded splitmix64, so a seed
    replays exactly.

    Invariants, checked after every step (docs/ELECTION.md tells why they hold):
      I1  at most one node serves per epoch;
      I2  a node that serves epoch E has persisted (E, itself);
      I3  persisted epochs never decrease, and a node never persists two
          different leaders for one epoch (across restarts);
      I4  lease: once an epoch E' has been served, no older epoch is served
          lease_ms later (so a frozen leader that wakes is harmless);
      I5  a node frozen for longer than lease_ms does not serve when it wakes;
      I6  no livelock: a node's deadline never stays in the past;
      I7  after a quiet period (everything healed, no loss): with a quorum
          live, the highest live id leads and serves and every live node
          follows it in one epoch; without a quorum, nobody serves.

    Usage:
      test_election                fixed schedules, then random schedules
      test_election SEED [NODES]   replay one random schedule (NODES 3 by
                                   default) and print its full trace
    Environment:
      ZC_SIM_RUNS=N   random schedules with 3 nodes (default 2000); 5 nodes
                      get N/2, 1 node N/20
      ZC_SIM_SEED=S   first seed of the random schedules (default 1)
      ZC_SIM_EPOCH_JUMP=J  max_epoch_jump of every node (default 0: 1000,
                      plus a 3- and 5-node batch with 2); set it to replay
                      a seed of the jump-2 batches

    The hostile-input schedules (11-17) inject forged and absurd messages
    straight into the machines: one per attack of issue 9 on the election,
    each failing with its guard removed.
*/
#include "election.h"
#include "wire.h"
#include "testutil.h"
#include "sim/simnet.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_FRAME       512         //  an election frame is ~100 bytes

//  Random schedules: chaos, then a quiet period that must converge.  Once
//  quiet, convergence is a failure detection and an election, then maybe a
//  hand-over after the hold-down (1 s); but a leader that saw hand-overs to
//  a node fail during the chaos has doubled that node's hold-down (2 s, 4 s
//  ...).  Worst seen over 150,000 seeds: 4.8 s.
#define CHAOS_MS        20000
#define QUIET_MS        10000
#define CONVERGE_MAX_MS 6000

//  ==========================================================================
//  Network: frames in flight, by (delivery time, send order)

typedef enum {
    PK_PEER,        //  peer link (DEALER → ROUTER): zc_election_recv
    PK_PING,        //  heartbeat REQ: zc_election_ping, then a PONG back
    PK_PONG,        //  heartbeat REP: zc_election_recv at the pinger
    PK_DOWN         //  "the leader's connection closed" (TCP RST after a crash)
} pk_kind_t;

typedef struct {
    uint64_t at, seq;
    uint32_t from, to;
    pk_kind_t kind;
    uint16_t size;
    uint8_t frame [SIM_FRAME];
} packet_t;

//  ==========================================================================
//  Cluster: nodes, their disks, the links between them, the fake clock

typedef struct {
    uint32_t id;
    zc_election_t *el;              //  NULL while crashed
    zc_election_config_t cfg;
    zc_election_state_t disk;       //  survives crashes
    bool has_disk;                  //  persisted at least once
    unsigned incarnation;
    bool frozen;
    uint64_t frozen_at, thaw_at;
    packet_t *backlog;              //  frames that reached it while frozen
    size_t backlog_count, backlog_cap;
    unsigned spin;                  //  ticks in a row that left the deadline in the past
} node_t;

typedef struct _sim_t {
    uint64_t seed;
    size_t n;
    uint32_t quorum;
    uint64_t now;
    node_t nodes [SIM_MAX_NODES + 1];   //  by id, 1..n
    heap_t net;                         //  of packet_t
    uint64_t next_seq;
    prng_t rng;                         //  delays, drops, duplicates
    bool cut [SIM_MAX_NODES + 1][SIM_MAX_NODES + 1];    //  cut [a][b]: a → b lost
    uint32_t drop_bp, slow_bp, dup_bp;
    bool leader_down;                   //  crashes reach followers as leader_down
    uint64_t sample_ms;                 //  extra wake-ups to observe (0: none)
    uint64_t steps, step_limit;
    zc_actions_t actions;
    //  Invariants
    uint32_t *served;                   //  epoch → node that served it (0: none)
    uint64_t *served_since;             //  epoch → first instant it was served
    size_t served_cap;
    uint64_t max_served;
    bool failed;
    char failure [512];
    //  Observations
    uint64_t last_serving_at;           //  last step at which somebody served
    uint64_t max_gap;                   //  longest stretch without a serving node
    uint64_t max_stale;                 //  old epoch served this long after a newer one
    uint64_t overlap_steps;             //  steps with two nodes serving (two epochs)
    uint32_t watch;                     //  node that must serve throughout (0: none)
    bool watch_lost;
    uint64_t watch_lost_at;
    bool tracing;
    trace_t trace;
} sim_t;

//  max_epoch_jump for every simulated node (0: the default, 1000).  main
//  runs the random schedules again with a small one, so that lagging nodes
//  must rejoin by corroboration (docs/ELECTION.md "Hostile input").
static uint64_t s_epoch_jump = 0;

static void
sim_fail (sim_t *sim, const char *fmt, ...)
{
    if (sim->failed)
        return;                 //  the first violation is the one to read
    sim->failed = true;
    size_t n = (size_t) snprintf (sim->failure, sizeof sim->failure, "at %llu ms: ",
                                  (unsigned long long) sim->now);
    va_list args;
    va_start (args, fmt);
    vsnprintf (sim->failure + n, sizeof sim->failure - n, fmt, args);
    va_end (args);
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

//  Up: not crashed (a frozen node is up, but does not run)
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

static sim_t *
sim_new (size_t n, uint32_t quorum, uint64_t seed)
{
    assert (n >= 1 && n <= SIM_MAX_NODES);
    sim_t *sim = calloc (1, sizeof *sim);
    if (!sim)
        abort ();
    sim->seed = seed;
    sim->n = n;
    sim->quorum = quorum;
    sim->rng.state = seed ^ 0x6E657477ull ^ ((uint64_t) n << 48);
    sim->leader_down = true;
    sim->step_limit = 20000000;
    heap_init (&sim->net, sizeof (packet_t));
    for (uint32_t id = 1; id <= n; id++) {
        node_t *node = &sim->nodes [id];
        node->id = id;
        sim_election_config (&node->cfg, id, n, quorum);
        node->cfg.max_epoch_jump = s_epoch_jump;
    }
    return sim;
}

static void
sim_destroy (sim_t **sim_p)
{
    sim_t *sim = *sim_p;
    if (!sim)
        return;
    for (uint32_t id = 1; id <= sim->n; id++) {
        zc_election_destroy (&sim->nodes [id].el);
        free (sim->nodes [id].backlog);
    }
    heap_destroy (&sim->net);
    free (sim->served);
    free (sim->served_since);
    free (sim->trace.data);
    free (sim);
    *sim_p = NULL;
}

//  Put a message on the wire from → to, through the codec, unless the link
//  is cut or the frame is lost.  Each delivery gets its own delay, so frames
//  may overtake each other (harsher than TCP).
static void
s_transmit (sim_t *sim, uint32_t from, uint32_t to, pk_kind_t kind, const zc_msg_t *msg)
{
    packet_t packet;
    packet.size = (uint16_t) zc_msg_encode (msg, packet.frame, sizeof packet.frame);
    if (packet.size == 0) {
        sim_fail (sim, "node %u built a %s the codec refuses", from, zc_type_name (msg->type));
        return;
    }
    if (!sim_node (sim, to) || sim->cut [from][to])
        return;
    packet.from = from;
    packet.to = to;
    packet.kind = kind;
    int copies = prng_chance (&sim->rng, sim->dup_bp) ? 2 : 1;
    for (int copy = 0; copy < copies; copy++) {
        if (prng_chance (&sim->rng, sim->drop_bp))
            continue;
        uint64_t delay = prng_chance (&sim->rng, sim->slow_bp)
                       ? prng_range (&sim->rng, 300, 1000)
                       : prng_range (&sim->rng, 1, 50);
        packet.at = sim->now + delay;
        packet.seq = sim->next_seq++;
        heap_push (&sim->net, &packet);
    }
}

//  ==========================================================================
//  Invariants

static void
s_served_grow (sim_t *sim, uint64_t epoch)
{
    if (epoch < sim->served_cap)
        return;
    size_t cap = sim->served_cap ? sim->served_cap : 64;
    while (cap <= epoch)
        cap *= 2;
    sim->served = realloc (sim->served, cap * sizeof *sim->served);
    sim->served_since = realloc (sim->served_since, cap * sizeof *sim->served_since);
    if (!sim->served || !sim->served_since)
        abort ();
    for (size_t i = sim->served_cap; i < cap; i++) {
        sim->served [i] = 0;
        sim->served_since [i] = 0;
    }
    sim->served_cap = cap;
}

static bool sim_node_serving (sim_t *sim, uint32_t id);

//  I3: what a node writes to its disk
static void
s_check_persist (sim_t *sim, node_t *node, zc_election_state_t state)
{
    if (node->has_disk && state.epoch < node->disk.epoch)
        sim_fail (sim, "I3: node %u persisted epoch %llu after epoch %llu", node->id,
                  (unsigned long long) state.epoch, (unsigned long long) node->disk.epoch);
    if (node->has_disk && state.epoch == node->disk.epoch && node->disk.leader
    &&  state.leader != node->disk.leader)
        sim_fail (sim, "I3: node %u persisted leader %u for epoch %llu, having persisted %u",
                  node->id, state.leader, (unsigned long long) state.epoch, node->disk.leader);
    node->disk = state;
    node->has_disk = true;
}

//  I1, I2, I4 for every running node, and the observations
static void
s_check_serving (sim_t *sim)
{
    size_t serving = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (!node->el || node->frozen || !zc_election_serving (node->el, sim->now))
            continue;
        serving++;
        uint64_t epoch = zc_election_epoch (node->el);
        if (node->disk.epoch != epoch || node->disk.leader != id)
            sim_fail (sim, "I2: node %u serves epoch %llu but its disk holds (%llu, %u)",
                      id, (unsigned long long) epoch,
                      (unsigned long long) node->disk.epoch, node->disk.leader);
        s_served_grow (sim, epoch);
        if (sim->served [epoch] == 0) {
            sim->served [epoch] = id;
            sim->served_since [epoch] = sim->now;
            if (epoch > sim->max_served)
                sim->max_served = epoch;
            sim_trace (sim, "SIM epoch %llu is served by node %u",
                       (unsigned long long) epoch, id);
        }
        else
        if (sim->served [epoch] != id)
            sim_fail (sim, "I1: nodes %u and %u both served epoch %llu",
                      sim->served [epoch], id, (unsigned long long) epoch);
        for (uint64_t newer = epoch + 1; newer <= sim->max_served; newer++) {
            if (!sim->served [newer])
                continue;
            uint64_t late = sim->now - sim->served_since [newer];
            if (late > sim->max_stale)
                sim->max_stale = late;
            if (late >= T_LEASE)
                sim_fail (sim, "I4: node %u still serves epoch %llu, %llu ms after "
                          "node %u began serving epoch %llu (lease %u ms)", id,
                          (unsigned long long) epoch, (unsigned long long) late,
                          sim->served [newer], (unsigned long long) newer, T_LEASE);
        }
    }
    if (serving > 1)
        sim->overlap_steps++;
    if (serving) {
        sim->last_serving_at = sim->now;
    }
    else
    if (sim->now - sim->last_serving_at > sim->max_gap)
        sim->max_gap = sim->now - sim->last_serving_at;
    if (sim->watch && !sim->watch_lost && !sim_node_serving (sim, sim->watch)) {
        sim->watch_lost = true;
        sim->watch_lost_at = sim->now;
        sim_trace (sim, "SIM watched node %u is not serving", sim->watch);
    }
}

//  Who serves now (the highest epoch if two do), 0 if nobody
static uint32_t
sim_serving (sim_t *sim)
{
    uint32_t best = 0;
    uint64_t best_epoch = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (node->el && !node->frozen && zc_election_serving (node->el, sim->now)
        &&  (!best || zc_election_epoch (node->el) > best_epoch)) {
            best = id;
            best_epoch = zc_election_epoch (node->el);
        }
    }
    return best;
}

static bool
sim_node_serving (sim_t *sim, uint32_t id)
{
    return sim_running (sim, id) && zc_election_serving (sim->nodes [id].el, sim->now);
}

//  I7 as a predicate: with a quorum up, the highest up node leads and
//  serves and every up node follows it in its epoch (returns its id); with
//  fewer, nobody serves (returns UINT32_MAX).  0: not converged.
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
            return 0;           //  frozen: wait for it
    }
    if (up < sim->quorum)
        return sim_serving (sim) ? 0 : UINT32_MAX;
    zc_election_t *leader = sim->nodes [top].el;
    if (zc_election_role (leader) != ZC_ROLE_LEADER || !zc_election_serving (leader, sim->now))
        return 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        if (!sim_running (sim, id))
            continue;
        zc_election_t *el = sim->nodes [id].el;
        if (zc_election_leader (el) != top || zc_election_epoch (el) != zc_election_epoch (leader))
            return 0;
    }
    return top;
}

//  ==========================================================================
//  Executing actions, delivering frames, ticking nodes

static void
s_execute (sim_t *sim, node_t *node)
{
    zc_actions_t *actions = &sim->actions;
    for (size_t i = 0; i < actions->count; i++) {
        zc_action_t *action = &actions->items [i];
        switch (action->kind) {
            case ZC_ACT_SEND:
                s_transmit (sim, node->id, action->to, PK_PEER, &action->msg);
                break;
            case ZC_ACT_PING:
                s_transmit (sim, node->id, action->to, PK_PING, &action->msg);
                break;
            case ZC_ACT_PERSIST:
                s_check_persist (sim, node, action->state);
                break;
            case ZC_ACT_LOG:
                sim_trace (sim, "%s", action->text);
                break;
            case ZC_ACT_ROLE:
                sim_trace (sim, "SIM node %u: role %s, leader %u, epoch %llu, %s", node->id,
                           zc_role_name (zc_election_role (node->el)),
                           zc_election_leader (node->el),
                           (unsigned long long) zc_election_epoch (node->el),
                           zc_election_serving (node->el, sim->now) ? "serving" : "not serving");
                break;
        }
    }
    zc_actions_clear (actions);
}

static void
s_deliver (sim_t *sim, const packet_t *packet)
{
    node_t *node = sim_node (sim, packet->to);
    if (!node->el)
        return;                 //  crashed: the frame is lost
    if (node->frozen) {
        //  SIGSTOP: the kernel keeps the frame until the process runs again
        if (node->backlog_count == node->backlog_cap) {
            node->backlog_cap = node->backlog_cap ? node->backlog_cap * 2 : 64;
            node->backlog = realloc (node->backlog, node->backlog_cap * sizeof (packet_t));
            if (!node->backlog)
                abort ();
        }
        node->backlog [node->backlog_count++] = *packet;
        return;
    }
    if (packet->kind == PK_DOWN) {
        //  The node's monitor fires only for the connection to its leader
        if (zc_election_leader (node->el) == packet->from) {
            sim_trace (sim, "SIM node %u: connection to node %u closed", node->id, packet->from);
            zc_election_leader_down (node->el, sim->now, &sim->actions);
            s_execute (sim, node);
        }
        return;
    }
    zc_msg_t msg;
    const char *error = NULL;
    if (zc_msg_decode (&msg, packet->frame, packet->size, &error) != 0) {
        sim_fail (sim, "frame from node %u to node %u does not decode: %s",
                  packet->from, packet->to, error ? error : "?");
        return;
    }
    if (packet->kind == PK_PING) {
        zc_msg_t pong;
        zc_election_ping (node->el, &msg, sim->now, &pong);
        s_transmit (sim, node->id, packet->from, PK_PONG, &pong);
    }
    else {
        zc_election_recv (node->el, &msg, sim->now, &sim->actions);
        s_execute (sim, node);
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
        if (at < next)
            next = at;
    }
    if (sim->sample_ms) {
        uint64_t sample = (sim->now / sim->sample_ms + 1) * sim->sample_ms;
        if (sample < next)
            next = sample;
    }
    return next;
}

static void sim_thaw (sim_t *sim, uint32_t id);

//  One instant: wake frozen nodes, deliver what is due, tick what is due
static void
s_step (sim_t *sim)
{
    for (uint32_t id = 1; id <= sim->n; id++)
        if (sim->nodes [id].el && sim->nodes [id].frozen && sim->nodes [id].thaw_at <= sim->now)
            sim_thaw (sim, id);

    while (heap_due (&sim->net, sim->now) && !sim->failed) {
        packet_t packet;
        heap_pop (&sim->net, &packet);
        s_deliver (sim, &packet);
    }
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (!node->el || node->frozen || zc_election_deadline (node->el) > sim->now)
            continue;
        zc_election_tick (node->el, sim->now, &sim->actions);
        s_execute (sim, node);
        //  I6: a tick must move the deadline past now (or the loop spins)
        if (zc_election_deadline (node->el) <= sim->now) {
            if (++node->spin > 100)
                sim_fail (sim, "I6: livelock: node %u's deadline stays at %llu after %u ticks",
                          id, (unsigned long long) zc_election_deadline (node->el), node->spin);
        }
        else
            node->spin = 0;
    }
    s_check_serving (sim);
}

//  The engine: run every event up to and including `until`.  After each
//  step, `observe` (if any) looks at the cluster; when it returns true the
//  run stops there.  Returns whether it stopped that way.
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
            sim_fail (sim, "I6: livelock: more than %llu steps",
                      (unsigned long long) sim->step_limit);
        if (observe && observe (sim, arg))
            return true;
    }
    if (!sim->failed && until > sim->now) {
        sim->now = until;
        s_check_serving (sim);
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

//  Run until pred holds, at most `timeout` ms: returns whether it held
static bool
sim_run_until_pred (sim_t *sim, observe_fn *pred, void *arg, uint64_t timeout)
{
    return s_run (sim, sim->now + timeout, pred, arg) && !sim->failed;
}

//  ==========================================================================
//  Faults

//  Boot a node (fresh, or from what it persisted before it crashed)
static void
sim_start (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (node->el)
        return;
    node->incarnation++;
    node->cfg.seed = sim->seed * 1000003ull + id * 101ull + node->incarnation;
    node->frozen = false;
    node->spin = 0;
    zc_election_state_t disk = node->has_disk ? node->disk : (zc_election_state_t) { 0, 0 };
    node->el = zc_election_new (&node->cfg, &disk, sim->now);
    if (!node->el)
        abort ();
    sim_trace (sim, "FAULT node %u starts (incarnation %u, disk epoch %llu leader %u)", id,
               node->incarnation, (unsigned long long) disk.epoch, disk.leader);
}

//  kill -9: sockets close, so every node following it sees leader_down
//  soon (unless that link is cut: no RST crosses a partition)
static void
sim_crash (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (!node->el)
        return;
    sim_trace (sim, "FAULT node %u crashes%s", id, node->frozen ? " (while frozen)" : "");
    zc_election_destroy (&node->el);
    node->frozen = false;
    node->backlog_count = 0;
    if (!sim->leader_down)
        return;
    for (uint32_t other = 1; other <= sim->n; other++) {
        node_t *peer = &sim->nodes [other];
        if (other == id || !peer->el || sim->cut [id][other]
        ||  zc_election_leader (peer->el) != id)
            continue;
        packet_t packet = { .from = id, .to = other, .kind = PK_DOWN,
                            .at = sim->now + prng_range (&sim->rng, 1, 20),
                            .seq = sim->next_seq++ };
        heap_push (&sim->net, &packet);
    }
}

//  SIGSTOP for `ms`: links stay open, nothing runs, frames wait
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

//  SIGCONT: I5 (a single node with quorum 1 is its own lease: nobody else
//  could have taken over), then the frames that waited are delivered first,
//  in order
static void
sim_thaw (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (!node->el || !node->frozen)
        return;
    node->frozen = false;
    sim_trace (sim, "FAULT node %u wakes (%zu frames waiting)", id, node->backlog_count);
    if (sim->quorum > 1 && sim->now - node->frozen_at > T_LEASE
    &&  zc_election_serving (node->el, sim->now))
        sim_fail (sim, "I5: node %u wakes after %llu ms frozen and still serves", id,
                  (unsigned long long) (sim->now - node->frozen_at));
    for (size_t i = 0; i < node->backlog_count; i++) {
        packet_t packet = node->backlog [i];
        packet.at = sim->now;
        packet.seq = sim->next_seq++;
        heap_push (&sim->net, &packet);
    }
    node->backlog_count = 0;
}

//  Lose everything between the two groups (bit i of `mask`: node i in A)
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

//  The node that believes it leads in the highest epoch (0: none)
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
sim_dump (sim_t *sim, const char *what)
{
    fprintf (stderr, "---- %s: seed %llu, %zu nodes, quorum %u\n", what,
             (unsigned long long) sim->seed, sim->n, sim->quorum);
    if (sim->failed)
        fprintf (stderr, "---- violation %s\n", sim->failure);
    fprintf (stderr, "---- trace\n%s---- end of trace\n",
             sim->trace.data ? sim->trace.data : "(empty)\n");
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
            n = snprintf (buf + used, cap - used, "%s%u: down", id > 1 ? "; " : "", id);
        else
            n = snprintf (buf + used, cap - used, "%s%u: %s%s leader %u epoch %llu%s",
                          id > 1 ? "; " : "", id, node->frozen ? "frozen " : "",
                          zc_role_name (zc_election_role (node->el)),
                          zc_election_leader (node->el),
                          (unsigned long long) zc_election_epoch (node->el),
                          zc_election_serving (node->el, sim->now) ? " serving" : "");
        if (n < 0)
            break;
        used += (size_t) n;
    }
}

//  ==========================================================================
//  Random schedules: CHAOS_MS of faults drawn from the seed, then QUIET_MS
//  with every link healed and no loss, at the end of which I7 must hold.

typedef struct {
    uint64_t seed;
    size_t n;
    uint32_t quorum;
    bool leader_down;
    uint32_t drop_bp, slow_bp, dup_bp;
    schedule_t sched;
} plan_t;

static void
s_make_plan (plan_t *plan, uint64_t seed, size_t n)
{
    static const schedule_shape_t shape = {
        .chaos_ms = CHAOS_MS, .gap_min = 100, .gap_max = 1500,
        .span_min = 200, .span_max = 5000, .freeze_min = 100, .freeze_max = 3000
    };
    memset (plan, 0, sizeof *plan);
    prng_t rng = { seed * 0x2545F4914F6CDD1Dull ^ (uint64_t) n };
    plan->seed = seed;
    plan->n = n;
    plan->quorum = (uint32_t) n / 2 + 1;
    plan->leader_down = prng_chance (&rng, 8500);
    plan->drop_bp = schedule_drop_bp (&rng);
    plan->slow_bp = schedule_slow_bp (&rng);
    plan->dup_bp = prng_chance (&rng, 3000) ? 100 : 0;
    schedule_make (&plan->sched, &rng, n, plan->quorum, &shape);
}

static void
s_print_plan (const plan_t *plan)
{
    fprintf (stderr, "---- schedule: seed %llu, %zu nodes, quorum %u, leader_down %s, "
             "loss %u bp, slow %u bp, duplicates %u bp\n",
             (unsigned long long) plan->seed, plan->n, plan->quorum,
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
    uint64_t since;             //  I7 has held since (UINT64_MAX: it does not)
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
    uint64_t max_epoch, max_gap_quiet;
    uint64_t max_stale;
    size_t runs_with_overlap;
} stats_t;

//  One random schedule.  Returns true if every invariant held.
static bool
s_random_run (uint64_t seed, size_t n, bool tracing, void *stats_arg)
{
    stats_t *stats = stats_arg;
    plan_t plan;
    s_make_plan (&plan, seed, n);
    sim_t *sim = sim_new (n, plan.quorum, seed);
    sim->tracing = tracing;
    sim->leader_down = plan.leader_down;
    sim->drop_bp = plan.drop_bp;
    sim->slow_bp = plan.slow_bp;
    sim->dup_bp = plan.dup_bp;

    for (size_t i = 0; i < plan.sched.fault_count && !sim->failed; i++) {
        sim_run_until (sim, plan.sched.faults [i].at);
        fault_apply (sim, sim->n, &s_ops, &plan.sched.faults [i]);
    }
    sim_run_until (sim, CHAOS_MS);

    //  Quiet: heal, no loss, wake everyone, boot or crash to the ending
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
    s_run (sim, quiet_start + QUIET_MS, s_observe_converge, &converge);
    if (!sim->failed) {
        char state [512];
        s_describe (sim, state, sizeof state);
        if (converge.since == UINT64_MAX)
            sim_fail (sim, "I7: not converged after %u ms quiet: %s", QUIET_MS, state);
        else
        if (converge.since - quiet_start > CONVERGE_MAX_MS)
            sim_fail (sim, "I7: converged only %llu ms into the quiet period: %s",
                      (unsigned long long) (converge.since - quiet_start), state);
    }
    bool ok = !sim->failed;
    if (ok && stats) {
        uint64_t took = converge.since - quiet_start;
        stats->runs++;
        stats->converge_total += took;
        if (took > stats->converge_max) {
            stats->converge_max = took;
            stats->converge_max_seed = seed;
        }
        if (sim->max_served > stats->max_epoch)
            stats->max_epoch = sim->max_served;
        if (sim->max_stale > stats->max_stale)
            stats->max_stale = sim->max_stale;
        if (sim->overlap_steps)
            stats->runs_with_overlap++;
    }
    if (tracing) {
        s_print_plan (&plan);
        sim_dump (sim, ok ? "replay (passed)" : "replay (FAILED)");
        if (ok)
            fprintf (stderr, "---- converged %llu ms into the quiet period\n",
                     (unsigned long long) (converge.since - quiet_start));
    }
    sim_destroy (&sim);
    return ok;
}

//  ==========================================================================
//  Fixed schedules: named scenarios with concrete expected outcomes

static sim_t *
s_fixed_new (size_t n, uint32_t quorum, uint64_t seed)
{
    sim_t *sim = sim_new (n, quorum, seed);
    sim->tracing = true;
    sim->sample_ms = 10;        //  observe at least every 10 ms
    return sim;
}

static void
s_fixed_end (sim_t **sim_p, const char *name, int failed_before)
{
    sim_t *sim = *sim_p;
    CHECKF (!sim->failed, "%s: invariant violated %s", name, sim->failure);
    if (s_failed > failed_before)
        sim_dump (sim, name);
    sim_destroy (sim_p);
}

static void
sim_start_all (sim_t *sim)
{
    for (uint32_t id = 1; id <= sim->n; id++)
        sim_start (sim, id);
}

static zc_election_t *
s_el (sim_t *sim, uint32_t id)
{
    return sim->nodes [id].el;
}

static bool
p_converged_to (sim_t *sim, void *arg)
{
    return sim_converged (sim) == *(uint32_t *) arg;
}

typedef struct {
    uint32_t node, leader;
} follow_t;

//  `node` is a backup that follows `leader` in the leader's epoch
static bool
s_follows (sim_t *sim, uint32_t node, uint32_t leader)
{
    return sim_running (sim, node) && sim_running (sim, leader)
        && zc_election_role (s_el (sim, node)) == ZC_ROLE_BACKUP
        && zc_election_leader (s_el (sim, node)) == leader
        && zc_election_epoch (s_el (sim, node)) == zc_election_epoch (s_el (sim, leader));
}

static bool
p_follows (sim_t *sim, void *arg)
{
    follow_t *follow = arg;
    return s_follows (sim, follow->node, follow->leader);
}

//  `leader` serves and every other running node follows it
static bool
p_serves_and_led (sim_t *sim, void *arg)
{
    uint32_t leader = *(uint32_t *) arg;
    if (!sim_node_serving (sim, leader))
        return false;
    for (uint32_t id = 1; id <= sim->n; id++)
        if (id != leader && sim_running (sim, id) && !s_follows (sim, id, leader))
            return false;
    return true;
}

//  1. The seed's scenario: 3 leads; crash 3 → 2 leads, 1 follows 2; 3
//  comes back → backup first, leader again by hand-over after hold-down.
static void
test_walkthrough (bool leader_down)
{
    const char *name = leader_down ? "walk-through (leader_down)"
                                   : "walk-through (missed heartbeats only)";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, leader_down ? 101 : 102);
    sim->leader_down = leader_down;
    uint32_t two = 2, three = 3;

    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000),
            "%s: node 3 leads after boot", name);
    uint64_t booted = sim->now;
    sim_run_for (sim, 1000);
    CHECKF (sim_converged (sim) == 3, "%s: node 3 still leads", name);

    uint64_t crashed = sim->now;
    sim_crash (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves_and_led, &two, 1000),
            "%s: node 2 leads and node 1 follows within 1 s of the crash", name);
    uint64_t failover = sim->now - crashed;
    uint64_t epoch2 = zc_election_epoch (s_el (sim, 2));
    sim_run_for (sim, 1000);
    CHECKF (p_serves_and_led (sim, &two) && zc_election_epoch (s_el (sim, 2)) == epoch2,
            "%s: node 2 keeps leading, same epoch", name);

    sim_start (sim, 3);
    follow_t joined = { 3, 2 };
    CHECKF (sim_run_until_pred (sim, p_follows, &joined, 1000),
            "%s: node 3 joins as a backup of node 2", name);
    uint64_t join_at = sim->now;
    CHECKF (zc_election_epoch (s_el (sim, 2)) == epoch2 && sim_node_serving (sim, 2),
            "%s: node 3 joining costs no election", name);
    sim->last_serving_at = sim->now;
    sim->max_gap = 0;
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 5000),
            "%s: node 3 leads again", name);
    uint64_t back_after = sim->now - join_at;
    CHECKF (back_after >= T_HOLDDOWN, "%s: hand-over waited for the hold-down (%llu ms)",
            name, (unsigned long long) back_after);
    CHECKF (zc_election_epoch (s_el (sim, 3)) > epoch2, "%s: in a new epoch", name);
    CHECKF (sim->max_gap < 1000, "%s: hand-over left no serving node for %llu ms", name,
            (unsigned long long) sim->max_gap);
    uint64_t gap = sim->max_gap;
    sim_run_for (sim, 2000);
    CHECKF (sim_converged (sim) == 3 && s_follows (sim, 1, 3) && s_follows (sim, 2, 3),
            "%s: all follow node 3", name);
    printf ("  %s: boot %llu ms, failover %llu ms, fail-back %llu ms after joining, "
            "hand-over gap %llu ms\n", name, (unsigned long long) booted,
            (unsigned long long) failover, (unsigned long long) back_after,
            (unsigned long long) gap);
    s_fixed_end (&sim, name, failed_before);
}

//  2. A high node that reaches one peer only must not depose the leader
static void
test_high_node_one_peer (void)
{
    const char *name = "high node reaching one peer";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (5, 3, 201);
    uint32_t four = 4, five = 5;
    for (uint32_t id = 1; id <= 4; id++)
        sim_start (sim, id);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &four, 3000), "%s: node 4 leads", name);
    sim_run_for (sim, 500);
    uint64_t epoch = zc_election_epoch (s_el (sim, 4));

    for (uint32_t id = 2; id <= 4; id++) {
        sim_cut (sim, 5, id);
        sim_cut (sim, id, 5);
    }
    sim->watch = 4;
    sim_start (sim, 5);
    sim_run_for (sim, 5000);
    CHECKF (!sim->watch_lost, "%s: node 4 stopped serving at %llu", name,
            (unsigned long long) sim->watch_lost_at);
    for (uint32_t id = 1; id <= 4; id++)
        CHECKF (zc_election_epoch (s_el (sim, id)) == epoch
                && zc_election_leader (s_el (sim, id)) == 4,
                "%s: node %u still at epoch %llu under node 4 (has %llu, leader %u)", name, id,
                (unsigned long long) epoch, (unsigned long long) zc_election_epoch (s_el (sim, id)),
                zc_election_leader (s_el (sim, id)));
    CHECKF (sim->max_served == epoch, "%s: no other epoch was served (max %llu)", name,
            (unsigned long long) sim->max_served);
    CHECKF (zc_election_role (s_el (sim, 5)) != ZC_ROLE_LEADER, "%s: node 5 does not lead", name);

    //  Once healed, the high node takes over by hand-over
    sim->watch = 0;
    sim_heal (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &five, 5000),
            "%s: after healing, node 5 leads", name);
    s_fixed_end (&sim, name, failed_before);
}

//  3. A backup restart costs no election
static void
test_backup_restart (void)
{
    const char *name = "backup restart";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 301);
    uint32_t three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    sim_run_for (sim, 500);
    uint64_t epoch = zc_election_epoch (s_el (sim, 3));
    sim->watch = 3;
    for (uint32_t id = 1; id <= 2; id++) {
        sim_crash (sim, id);
        sim_run_for (sim, 200);
        sim_start (sim, id);
        follow_t back = { id, 3 };
        CHECKF (sim_run_until_pred (sim, p_follows, &back, 1000),
                "%s: node %u follows node 3 again", name, id);
        sim_run_for (sim, 1000);
    }
    CHECKF (!sim->watch_lost, "%s: node 3 stopped serving at %llu", name,
            (unsigned long long) sim->watch_lost_at);
    for (uint32_t id = 1; id <= 3; id++)
        CHECKF (zc_election_epoch (s_el (sim, id)) == epoch, "%s: node %u still at epoch %llu",
                name, id, (unsigned long long) epoch);
    CHECKF (sim_converged (sim) == 3, "%s: all follow node 3", name);
    s_fixed_end (&sim, name, failed_before);
}

//  4. A frozen leader: a new leader takes over; on waking, the old one
//  serves at no instant (its lease is stale) and learns the new epoch.
static void
test_frozen_leader (void)
{
    const char *name = "frozen leader";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 401);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    sim_run_for (sim, 500);
    uint64_t epoch = zc_election_epoch (s_el (sim, 3));

    sim_freeze (sim, 3, 2000);
    uint64_t thaw_at = sim->nodes [3].thaw_at;
    CHECKF (sim_run_until_pred (sim, p_serves_and_led, &two, 1500),
            "%s: node 2 takes over while node 3 is frozen", name);
    CHECKF (zc_election_epoch (s_el (sim, 2)) > epoch, "%s: in a higher epoch", name);
    uint64_t new_epoch = zc_election_epoch (s_el (sim, 2));

    //  Wake node 3 by hand, then hand it its frames one at a time
    sim_run_until (sim, thaw_at - 1);
    CHECKF (sim->nodes [3].frozen, "%s: node 3 is still frozen", name);
    sim->now = thaw_at;
    zc_election_t *el3 = s_el (sim, 3);
    CHECKF (zc_election_role (el3) == ZC_ROLE_LEADER && zc_election_epoch (el3) == epoch,
            "%s: node 3 wakes believing it leads epoch %llu", name, (unsigned long long) epoch);
    size_t waiting = sim->nodes [3].backlog_count;
    sim_thaw (sim, 3);
    CHECKF (!zc_election_serving (el3, sim->now), "%s: node 3 serves right after waking", name);
    size_t delivered = 0, stale_serving = 0;
    while (heap_due (&sim->net, sim->now) && !sim->failed) {
        packet_t packet;
        heap_pop (&sim->net, &packet);
        s_deliver (sim, &packet);
        s_check_serving (sim);
        delivered++;
        if (zc_election_epoch (el3) == epoch && zc_election_serving (el3, sim->now))
            stale_serving++;
    }
    CHECKF (waiting > 0 && delivered >= waiting, "%s: %zu frames waited for node 3", name,
            waiting);
    CHECKF (stale_serving == 0, "%s: node 3 served epoch %llu after waking", name,
            (unsigned long long) epoch);
    CHECKF (!zc_election_serving (el3, sim->now), "%s: node 3 serves after its backlog", name);
    CHECKF (zc_election_epoch (el3) == new_epoch && zc_election_leader (el3) == 2,
            "%s: node 3 learned epoch %llu from its backlog (has %llu, leader %u)", name,
            (unsigned long long) new_epoch, (unsigned long long) zc_election_epoch (el3),
            zc_election_leader (el3));
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 5000),
            "%s: node 3 leads again by hand-over", name);
    CHECKF (zc_election_epoch (s_el (sim, 3)) > new_epoch, "%s: in a newer epoch", name);
    s_fixed_end (&sim, name, failed_before);

    //  A freeze shorter than failure detection costs no election
    name = "short freeze";
    failed_before = s_failed;
    sim = s_fixed_new (3, 2, 402);
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    sim_run_for (sim, 500);
    epoch = zc_election_epoch (s_el (sim, 3));
    sim_freeze (sim, 3, 150);
    sim_run_for (sim, 2000);
    CHECKF (sim_converged (sim) == 3 && zc_election_epoch (s_el (sim, 3)) == epoch,
            "%s: node 3 still leads epoch %llu", name, (unsigned long long) epoch);
    CHECKF (sim->max_served == epoch, "%s: no other epoch served", name);
    s_fixed_end (&sim, name, failed_before);
}

//  5. A node with a different membership hash is refused both ways
typedef struct {
    uint32_t odd;               //  the node with the foreign hash
    bool bad;
    uint64_t bad_at;
} mh_watch_t;

static bool
s_observe_mh (sim_t *sim, void *arg)
{
    mh_watch_t *watch = arg;
    for (uint32_t id = 1; id <= sim->n && !watch->bad; id++) {
        if (!sim_up (sim, id))
            continue;
        zc_election_t *el = s_el (sim, id);
        bool bad = id == watch->odd
                 ? zc_election_role (el) == ZC_ROLE_LEADER || zc_election_leader (el) != 0
                 : zc_election_leader (el) == watch->odd;
        if (bad) {
            watch->bad = true;
            watch->bad_at = sim->now;
        }
    }
    return false;
}

static void
test_membership_mismatch (uint32_t odd)
{
    const char *name = odd == 3 ? "membership mismatch (highest node)"
                                : "membership mismatch (lowest node)";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 500 + odd);
    //  The odd node believes in a fourth member: another hash, another majority
    zc_election_config_t *cfg = &sim->nodes [odd].cfg;
    cfg->members [cfg->member_count++] = 4;
    cfg->quorum = 3;
    cfg->mh = sim_default_mh (4, 3);
    sim_start_all (sim);
    mh_watch_t watch = { odd, false, 0 };
    s_run (sim, 5000, s_observe_mh, &watch);
    CHECKF (!watch.bad, "%s: node %u led or was followed (at %llu)", name, odd,
            (unsigned long long) watch.bad_at);
    uint32_t leader = odd == 3 ? 2 : 3, backup = odd == 3 ? 1 : 2;
    CHECKF (sim_node_serving (sim, leader) && s_follows (sim, backup, leader),
            "%s: node %u leads the matching nodes", name, leader);
    CHECKF (zc_election_leader (s_el (sim, odd)) == 0, "%s: node %u follows nobody", name, odd);
    s_fixed_end (&sim, name, failed_before);
}

//  `leader` serves and node 1 follows it (node 2 is cut off)
static bool
p_serves_and_led_pair (sim_t *sim, void *arg)
{
    uint32_t leader = *(uint32_t *) arg;
    return sim_node_serving (sim, leader) && s_follows (sim, 1, leader);
}

//  `leader` serves and nodes 1-3 other than it follow it
static bool
p_serves_and_led_side4 (sim_t *sim, void *arg)
{
    uint32_t leader = *(uint32_t *) arg;
    if (!sim_node_serving (sim, leader))
        return false;
    for (uint32_t id = 1; id <= 4; id++)
        if (id != leader && !s_follows (sim, id, leader))
            return false;
    return true;
}

//  6. Partition: the leader and one backup against a majority

//  `leader` serves and the other nodes of the majority side {1,2,3} follow
static bool
p_serves_and_led_side (sim_t *sim, void *arg)
{
    uint32_t leader = *(uint32_t *) arg;
    return sim_node_serving (sim, leader) && s_follows (sim, 1, leader)
        && s_follows (sim, 2, leader);
}

static void
test_partition (void)
{
    const char *name = "partition minority/majority";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (5, 3, 601);
    uint32_t three = 3, five = 5;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &five, 3000), "%s: node 5 leads", name);
    sim_run_for (sim, 500);
    uint64_t epoch = zc_election_epoch (s_el (sim, 5));

    sim_split (sim, 1u << 4 | 1u << 5);
    uint64_t split_at = sim->now;
    CHECKF (sim_run_until_pred (sim, p_serves_and_led_side, &three, 3000),
            "%s: {1,2,3} elect node 3", name);
    CHECKF (zc_election_epoch (s_el (sim, 3)) > epoch, "%s: in a higher epoch", name);
    uint64_t took = sim->now - split_at;
    sim_run_for (sim, 1000);
    CHECKF (!sim_node_serving (sim, 5) && !sim_node_serving (sim, 4),
            "%s: the minority side serves nobody", name);
    CHECKF (sim_node_serving (sim, 3) && s_follows (sim, 1, 3) && s_follows (sim, 2, 3),
            "%s: the majority side keeps node 3", name);

    sim_heal (sim);
    uint64_t healed = sim->now;
    CHECKF (sim_run_until_pred (sim, p_converged_to, &five, 5000),
            "%s: node 5 leads again after healing", name);
    printf ("  %s: majority elected node 3 in %llu ms, node 5 back %llu ms after healing\n",
            name, (unsigned long long) took, (unsigned long long) (sim->now - healed));
    s_fixed_end (&sim, name, failed_before);
}

//  7. One node, quorum 1
static void
test_single_node (void)
{
    const char *name = "single node";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (1, 1, 701);
    uint32_t one = 1;
    sim_start (sim, 1);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &one, 1000), "%s: node 1 leads alone", name);
    uint64_t epoch = zc_election_epoch (s_el (sim, 1));
    sim_run_for (sim, 1000);
    CHECKF (sim_converged (sim) == 1 && zc_election_epoch (s_el (sim, 1)) == epoch,
            "%s: and keeps leading", name);
    sim_crash (sim, 1);
    sim_run_for (sim, 100);
    sim_start (sim, 1);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &one, 1000), "%s: leads after a restart",
            name);
    CHECKF (zc_election_epoch (s_el (sim, 1)) > epoch, "%s: in a higher epoch", name);
    s_fixed_end (&sim, name, failed_before);
}

//  8. Two nodes come back close together: one hand-over, to the highest
static void
test_failback_one_step (void)
{
    const char *name = "fail-back in one step";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (5, 3, 801);
    uint32_t three = 3, five = 5;
    for (uint32_t id = 1; id <= 3; id++)
        sim_start (sim, id);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    sim_run_for (sim, 500);
    uint64_t epoch = zc_election_epoch (s_el (sim, 3));
    sim_start (sim, 4);
    sim_run_for (sim, 300);
    sim_start (sim, 5);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &five, 5000), "%s: node 5 leads", name);
    CHECKF (zc_election_epoch (s_el (sim, 5)) == epoch + 1 && sim->max_served == epoch + 1,
            "%s: one hand-over, 3 -> 5 (epochs %llu -> %llu, highest served %llu)", name,
            (unsigned long long) epoch, (unsigned long long) zc_election_epoch (s_el (sim, 5)),
            (unsigned long long) sim->max_served);
    s_fixed_end (&sim, name, failed_before);
}

//  9. Two claims of one epoch: the loser persisted (E, itself) and can
//  never accept the winner in E; the winner moves everyone to E+1.
static void
test_split_claim (void)
{
    const char *name = "two claims of one epoch";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 901);
    uint32_t three = 3;
    //  Node 2 claimed epoch 5 and crashed before anyone heard it
    sim->nodes [1].disk = (zc_election_state_t) { 4, 3 };
    sim->nodes [2].disk = (zc_election_state_t) { 5, 2 };
    sim->nodes [3].disk = (zc_election_state_t) { 4, 3 };
    for (uint32_t id = 1; id <= 3; id++)
        sim->nodes [id].has_disk = true;
    for (uint32_t id = 1; id <= 3; id++) {
        sim_cut (sim, 2, id);
        sim_cut (sim, id, 2);
    }
    sim_start_all (sim);
    uint32_t leader_of_5 = 3;
    CHECKF (sim_run_until_pred (sim, p_serves_and_led_pair, &leader_of_5, 3000),
            "%s: node 3 leads epoch 5 with node 1", name);
    CHECKF (zc_election_epoch (s_el (sim, 3)) == 5, "%s: node 3 claimed epoch 5 (has %llu)", name,
            (unsigned long long) zc_election_epoch (s_el (sim, 3)));
    sim_heal (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 2000),
            "%s: all follow node 3 after healing", name);
    CHECKF (zc_election_epoch (s_el (sim, 3)) == 6, "%s: in epoch 6 (has %llu)", name,
            (unsigned long long) zc_election_epoch (s_el (sim, 3)));
    s_fixed_end (&sim, name, failed_before);
}

//  10. The highest node reaches only the leader: its hand-over fails, and
//  the next one down that reaches a majority leads instead.
static void
test_highest_reaches_leader_only (void)
{
    const char *name = "highest node reaching only the leader";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (5, 3, 1001);
    uint32_t three = 3, four = 4;
    for (uint32_t id = 1; id <= 3; id++)
        sim_start (sim, id);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    for (uint32_t id = 1; id <= 4; id++)
        if (id != 3) {
            sim_cut (sim, 5, id);
            sim_cut (sim, id, 5);
        }
    sim_start (sim, 4);
    sim_start (sim, 5);
    CHECKF (sim_run_until_pred (sim, p_serves_and_led_side4, &four, 8000),
            "%s: node 4 leads nodes 1-3", name);
    sim_run_for (sim, 3000);
    CHECKF (p_serves_and_led_side4 (sim, &four), "%s: and keeps leading", name);
    s_fixed_end (&sim, name, failed_before);
}


//  ==========================================================================
//  Hostile input (docs/ELECTION.md "Hostile input"): forged and absurd
//  messages injected straight into the pure machine, one test per attack.

//  A message in `node`'s name with the cluster's membership hash: what an
//  outsider can compute from public ids and ports, or a member can send.
static zc_msg_t
s_forge (sim_t *sim, zc_type_t type, uint32_t node, uint64_t epoch)
{
    zc_msg_t msg;
    zc_msg_init (&msg, type);
    zc_msg_set_u64 (&msg, ZF_NODE, node);
    zc_msg_set_u64 (&msg, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&msg, ZF_MH, sim_default_mh (sim->n, sim->quorum));
    return msg;
}

//  Deliver a forged message to `to`; returns a copy of the first message
//  of `type` it sent in reply (type 0: none wanted), found in `reply`.
static bool
s_inject (sim_t *sim, uint32_t to, const zc_msg_t *msg, zc_type_t type, zc_msg_t *reply)
{
    node_t *node = &sim->nodes [to];
    bool found = false;
    if (!node->el || node->frozen)
        return false;
    sim_trace (sim, "SIM forged %s in node %llu's name to node %u, epoch %llu",
               zc_type_name (msg->type), (unsigned long long) msg->node, to,
               (unsigned long long) msg->epoch);
    zc_election_recv (node->el, msg, sim->now, &sim->actions);
    for (size_t i = 0; i < sim->actions.count && type && !found; i++)
        if (sim->actions.items [i].kind == ZC_ACT_SEND
        &&  sim->actions.items [i].msg.type == type) {
            *reply = sim->actions.items [i].msg;
            found = true;
        }
    s_execute (sim, node);
    return found;
}

static uint64_t
s_refused (sim_t *sim, uint32_t id)
{
    return zc_election_refused (s_el (sim, id));
}

//  Boot 3 nodes, node 3 leads; returns its epoch
static uint64_t
s_boot3 (sim_t *sim, const char *name)
{
    uint32_t three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    sim_run_for (sim, 500);
    return zc_election_epoch (s_el (sim, 3));
}

//  11. Epoch exhaustion (issue 9 item 1): a COORDINATOR at 2^64-1 (or at
//  the ceiling) in the leader's own name with the right mh changes nothing;
//  one far above the jump moves nobody more than one jump a second.
static void
test_hostile_epoch_ceiling (void)
{
    const char *name = "hostile: epoch at the ceiling";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 1101);
    uint64_t epoch = s_boot3 (sim, name);
    sim->watch = 3;
    uint64_t absurd [] = { UINT64_MAX, ZC_EPOCH_MAX, ZC_EPOCH_MAX + 1 };
    for (size_t i = 0; i < sizeof absurd / sizeof absurd [0]; i++)
        for (uint32_t to = 1; to <= 2; to++) {
            uint64_t before = s_refused (sim, to);
            zc_msg_t coord = s_forge (sim, ZC_COORDINATOR, 3, absurd [i]);
            zc_msg_set_u64 (&coord, ZF_LEADER, 3);
            zc_msg_set_u64 (&coord, ZF_LT, sim->now);
            zc_msg_t reply;
            CHECKF (!s_inject (sim, to, &coord, ZC_ACCEPT, &reply),
                    "%s: node %u answered a COORDINATOR at %llu", name, to,
                    (unsigned long long) absurd [i]);
            CHECKF (s_refused (sim, to) == before + 1, "%s: node %u counted it", name, to);
            sim_run_for (sim, 50);
        }
    sim_run_for (sim, 2000);
    for (uint32_t id = 1; id <= 3; id++)
        CHECKF (zc_election_epoch (s_el (sim, id)) == epoch && sim->nodes [id].disk.epoch == epoch,
                "%s: node %u still at epoch %llu (has %llu, disk %llu)", name, id,
                (unsigned long long) epoch, (unsigned long long) zc_election_epoch (s_el (sim, id)),
                (unsigned long long) sim->nodes [id].disk.epoch);
    CHECKF (!sim->watch_lost, "%s: node 3 stopped serving at %llu", name,
            (unsigned long long) sim->watch_lost_at);
    s_fixed_end (&sim, name, failed_before);

    //  Far above the jump but under the ceiling, 50 a second for 3 s:
    //  refused every time, at most one step of `jump` a second.
    name = "hostile: epoch far above the jump";
    failed_before = s_failed;
    s_epoch_jump = 10;
    sim = s_fixed_new (3, 2, 1102);
    epoch = s_boot3 (sim, name);
    uint64_t start = sim->now;
    for (int round = 0; round < 150; round++) {
        for (uint32_t to = 1; to <= 2; to++) {
            zc_msg_t coord = s_forge (sim, ZC_COORDINATOR, 3, epoch + 1000000);
            zc_msg_set_u64 (&coord, ZF_LEADER, 3);
            zc_msg_set_u64 (&coord, ZF_LT, sim->now);
            s_inject (sim, to, &coord, 0, NULL);
        }
        sim_run_for (sim, 20);
    }
    uint64_t seconds = (sim->now - start) / 1000 + 1;
    for (uint32_t id = 1; id <= 2; id++) {
        CHECKF (s_refused (sim, id) >= 150, "%s: node %u refused every claim (%llu)", name, id,
                (unsigned long long) s_refused (sim, id));
        CHECKF (sim->nodes [id].disk.epoch <= epoch + 10 * seconds + 3,
                "%s: node %u moved from epoch %llu to %llu in %llu s (jump 10)", name, id,
                (unsigned long long) epoch, (unsigned long long) sim->nodes [id].disk.epoch,
                (unsigned long long) seconds);
    }
    uint32_t three = 3;
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 5000),
            "%s: node 3 leads again once the claims stop", name);
    s_epoch_jump = 0;
    s_fixed_end (&sim, name, failed_before);
}

//  12. A lagging node rejoins a cluster that moved on by far more than the
//  jump, by corroboration (a quorum of others reports the epoch), within
//  an election or two: steps of `jump` a second alone would take 50 s.
static void
test_hostile_rejoin_corroborated (void)
{
    const char *name = "hostile: lagging node rejoins by corroboration";
    int failed_before = s_failed;
    s_epoch_jump = 10;
    sim_t *sim = s_fixed_new (3, 2, 1201);
    sim->nodes [1].disk = (zc_election_state_t) { 5, 3 };
    sim->nodes [2].disk = (zc_election_state_t) { 500, 3 };
    sim->nodes [3].disk = (zc_election_state_t) { 500, 3 };
    for (uint32_t id = 1; id <= 3; id++)
        sim->nodes [id].has_disk = true;
    sim_start (sim, 2);
    sim_start (sim, 3);
    uint32_t three = 3;
    CHECKF (sim_run_until_pred (sim, p_serves_and_led, &three, 3000),
            "%s: nodes 2 and 3 run the cluster", name);
    sim_start (sim, 1);
    uint64_t started = sim->now;
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 2000),
            "%s: node 1 follows node 3 within 2 s", name);
    CHECKF (zc_election_epoch (s_el (sim, 1)) >= 500, "%s: at epoch %llu", name,
            (unsigned long long) zc_election_epoch (s_el (sim, 1)));
    printf ("  %s: rejoined %llu ms after starting, 495 epochs behind with jump 10\n", name,
            (unsigned long long) (sim->now - started));
    s_epoch_jump = 0;
    s_fixed_end (&sim, name, failed_before);
}

//  13. A single member (even with a valid key, so in its own name) cannot
//  vouch for itself: node 3 claims epoch 500 to nodes 1 and 2, answers
//  their probes with 500, 3 s long.  They stay within a step a second.
static void
test_hostile_single_member (void)
{
    const char *name = "hostile: one member cannot vouch for itself";
    int failed_before = s_failed;
    s_epoch_jump = 10;
    sim_t *sim = s_fixed_new (3, 2, 1301);
    sim_start (sim, 1);
    sim_start (sim, 2);
    uint32_t two = 2;
    CHECKF (sim_run_until_pred (sim, p_serves_and_led_pair, &two, 3000), "%s: node 2 leads", name);
    uint64_t epoch = zc_election_epoch (s_el (sim, 2));
    uint64_t start = sim->now;
    for (int round = 0; round < 150; round++) {
        for (uint32_t to = 1; to <= 2; to++) {
            zc_msg_t coord = s_forge (sim, ZC_COORDINATOR, 3, 500);
            zc_msg_set_u64 (&coord, ZF_LEADER, 3);
            zc_msg_set_u64 (&coord, ZF_LT, sim->now);
            s_inject (sim, to, &coord, 0, NULL);
            zc_msg_t refusal = s_forge (sim, ZC_PREVOTE_REPLY, 3, 500);
            zc_msg_set_bool (&refusal, ZF_GRANTED, false);
            s_inject (sim, to, &refusal, 0, NULL);
        }
        sim_run_for (sim, 20);
    }
    uint64_t seconds = (sim->now - start) / 1000 + 1;
    for (uint32_t id = 1; id <= 2; id++)
        CHECKF (sim->nodes [id].disk.epoch <= epoch + 10 * seconds + 3,
                "%s: node %u moved from epoch %llu to %llu in %llu s (jump 10)", name, id,
                (unsigned long long) epoch, (unsigned long long) sim->nodes [id].disk.epoch,
                (unsigned long long) seconds);
    s_epoch_jump = 0;
    s_fixed_end (&sim, name, failed_before);
}

//  14. Forged lease (issue 9 item 5): with both backups dead, a granted
//  ACCEPT or APPEND_ACK echoing a token from the future renews nothing.
static void
test_hostile_lease_token (void)
{
    const char *name = "hostile: forged lease token";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 1401);
    uint64_t epoch = s_boot3 (sim, name);
    sim->leader_down = false;
    sim_crash (sim, 1);
    sim_crash (sim, 2);
    sim_run_for (sim, T_LEASE + 100);
    CHECKF (!sim_node_serving (sim, 3), "%s: alone, node 3 stops serving", name);
    zc_type_t types [] = { ZC_ACCEPT, ZC_APPEND_ACK };
    for (size_t i = 0; i < 2; i++) {
        uint64_t before = s_refused (sim, 3);
        zc_msg_t ack = s_forge (sim, types [i], 2, epoch);
        zc_msg_set_bool (&ack, ZF_GRANTED, true);
        zc_msg_set_u64 (&ack, ZF_LT, sim->now + 10000000);
        s_inject (sim, 3, &ack, 0, NULL);
        CHECKF (!sim_node_serving (sim, 3), "%s: a %s with a future token renewed the lease",
                name, zc_type_name (types [i]));
        sim_run_for (sim, 1000);
        CHECKF (!sim_node_serving (sim, 3), "%s: ... for good (%s)", name,
                zc_type_name (types [i]));
        CHECKF (s_refused (sim, 3) == before + 1, "%s: counted (%s)", name,
                zc_type_name (types [i]));
    }
    s_fixed_end (&sim, name, failed_before);
}

//  15. Forged PINGs (issue 9 item 10): PINGs in node 3's name (node 3 is
//  down) make the leader hand over to nobody, pausing clients ~1.1 s at
//  each try.  PINGs alone must cost nothing; PINGs with forged peer-link
//  replies too cost at most a hand-over per doubled hold-down.
static void
test_hostile_pings (void)
{
    const char *name = "hostile: forged PINGs";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 1501);
    sim_start (sim, 1);
    sim_start (sim, 2);
    uint32_t two = 2;
    CHECKF (sim_run_until_pred (sim, p_serves_and_led_pair, &two, 3000), "%s: node 2 leads", name);
    uint64_t epoch = zc_election_epoch (s_el (sim, 2));
    sim->watch = 2;
    for (int round = 0; round < 100; round++) {
        zc_msg_t ping = s_forge (sim, ZC_PING, 3, epoch), pong;
        zc_election_ping (s_el (sim, 2), &ping, sim->now, &pong);
        sim_run_for (sim, 50);
    }
    CHECKF (!sim->watch_lost, "%s: node 2 stopped serving at %llu (handed over to nobody)",
            name, (unsigned long long) sim->watch_lost_at);
    s_fixed_end (&sim, name, failed_before);

    //  The heartbeat port and the peer link both forged: bounded damage.
    //  Hand-overs at 1 s, then 2, 4, 8 s of hold-down: at most 4 in 20 s.
    name = "hostile: forged PINGs and ACCEPTs";
    failed_before = s_failed;
    sim = s_fixed_new (3, 2, 1502);
    sim_start (sim, 1);
    sim_start (sim, 2);
    CHECKF (sim_run_until_pred (sim, p_serves_and_led_pair, &two, 3000), "%s: node 2 leads", name);
    epoch = zc_election_epoch (s_el (sim, 2));
    size_t pauses = 0;
    bool serving = true;
    for (int round = 0; round < 400; round++) {
        zc_msg_t ping = s_forge (sim, ZC_PING, 3, epoch), pong;
        zc_election_ping (s_el (sim, 2), &ping, sim->now, &pong);
        zc_msg_t accept = s_forge (sim, ZC_ACCEPT, 3, epoch);
        zc_msg_set_bool (&accept, ZF_GRANTED, true);
        s_inject (sim, 2, &accept, 0, NULL);
        for (int ms = 0; ms < 50; ms += 10) {
            sim_run_for (sim, 10);
            bool now_serving = sim_node_serving (sim, 2);
            if (serving && !now_serving)
                pauses++;
            serving = now_serving;
        }
    }
    CHECKF (zc_election_epoch (s_el (sim, 2)) == epoch, "%s: node 2 keeps epoch %llu", name,
            (unsigned long long) epoch);
    CHECKF (pauses >= 1 && pauses <= 4, "%s: %zu hand-over pauses in 20 s (hold-down must "
            "double: 1, 2, 4, 8 s)", name, pauses);
    printf ("  %s: %zu hand-over pauses in 20 s\n", name, pauses);
    s_fixed_end (&sim, name, failed_before);
}

//  16. Other absurd values (issue 9 item 4): last_seq 2^64-1 in a PING or
//  an ACCEPT, a huge lt in a COORDINATOR, a PREVOTE at 2^64-1, a replica
//  match past our log: each refused or ignored, none changes anything.
//  17. A COORDINATOR of an older epoch replayed in the leader's own name
//  (found by tests/cluster/test_hostile.sh): the backups that accepted
//  that leader for the current epoch drop it without a reply; and a
//  refusal at the leader's epoch that does not echo one of its current
//  tokens is no conflict.  Either used to make the leader re-elect.
static void
test_hostile_replay (void)
{
    const char *name = "hostile: old COORDINATOR replayed in the leader's name";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 1701);
    uint64_t epoch = s_boot3 (sim, name);
    sim->watch = 3;
    for (int round = 0; round < 5; round++)
        for (uint32_t to = 1; to <= 2; to++) {
            zc_msg_t coord = s_forge (sim, ZC_COORDINATOR, 3, epoch - 1);
            zc_msg_set_u64 (&coord, ZF_LEADER, 3);
            zc_msg_set_u64 (&coord, ZF_LT, sim->now);
            zc_msg_t reply;
            CHECKF (!s_inject (sim, to, &coord, ZC_ACCEPT, &reply),
                    "%s: node %u answered a replayed COORDINATOR", name, to);
            sim_run_for (sim, 20);
        }
    //  A refusal at the leader's epoch with no token of this leadership
    for (uint32_t from = 1; from <= 2; from++) {
        zc_msg_t refusal = s_forge (sim, ZC_ACCEPT, from, epoch);
        zc_msg_set_bool (&refusal, ZF_GRANTED, false);
        zc_msg_set_u64 (&refusal, ZF_LEADER, 3);
        s_inject (sim, 3, &refusal, 0, NULL);
        sim_run_for (sim, 20);
    }
    sim_run_for (sim, 2000);
    for (uint32_t id = 1; id <= 3; id++)
        CHECKF (zc_election_epoch (s_el (sim, id)) == epoch,
                "%s: node %u still at epoch %llu (has %llu)", name, id,
                (unsigned long long) epoch, (unsigned long long) zc_election_epoch (s_el (sim, id)));
    CHECKF (!sim->watch_lost, "%s: node 3 stopped serving at %llu", name,
            (unsigned long long) sim->watch_lost_at);
    s_fixed_end (&sim, name, failed_before);
}

static void
test_hostile_absurd_values (void)
{
    const char *name = "hostile: absurd values";
    int failed_before = s_failed;
    sim_t *sim = s_fixed_new (3, 2, 1601);
    uint64_t epoch = s_boot3 (sim, name);
    sim->watch = 3;
    zc_msg_t reply;

    uint64_t before = s_refused (sim, 3);
    zc_msg_t ping = s_forge (sim, ZC_PING, 2, epoch), pong;
    zc_msg_set_u64 (&ping, ZF_LAST_SEQ, UINT64_MAX);
    zc_election_ping (s_el (sim, 3), &ping, sim->now, &pong);
    CHECKF (s_refused (sim, 3) == before + 1, "%s: PING last_seq 2^64-1 refused", name);

    zc_msg_t accept = s_forge (sim, ZC_ACCEPT, 2, epoch);
    zc_msg_set_bool (&accept, ZF_GRANTED, true);
    zc_msg_set_u64 (&accept, ZF_LAST_SEQ, UINT64_MAX);
    s_inject (sim, 3, &accept, 0, NULL);
    CHECKF (s_refused (sim, 3) == before + 2, "%s: ACCEPT last_seq 2^64-1 refused", name);

    zc_msg_t coord = s_forge (sim, ZC_COORDINATOR, 3, epoch);
    zc_msg_set_u64 (&coord, ZF_LEADER, 3);
    zc_msg_set_u64 (&coord, ZF_LT, UINT64_MAX);
    bool echoed = s_inject (sim, 1, &coord, ZC_ACCEPT, &reply);
    CHECKF (!echoed, "%s: node 1 echoed lt 2^64-1 (lt %llu)", name,
            (unsigned long long) (echoed ? reply.lt : 0));

    zc_msg_t prevote = s_forge (sim, ZC_PREVOTE, 1, UINT64_MAX);
    bool granted = s_inject (sim, 2, &prevote, ZC_PREVOTE_REPLY, &reply) && reply.granted;
    CHECKF (!granted, "%s: node 2 granted a PREVOTE at 2^64-1", name);

    sim_run_for (sim, 1000);
    for (uint32_t id = 1; id <= 3; id++)
        CHECKF (zc_election_epoch (s_el (sim, id)) == epoch, "%s: node %u still at epoch %llu",
                name, id, (unsigned long long) epoch);
    CHECKF (!sim->watch_lost, "%s: node 3 stopped serving at %llu", name,
            (unsigned long long) sim->watch_lost_at);
    s_fixed_end (&sim, name, failed_before);

    //  Hand-over readiness trusts the replica's confirmed match only: node
    //  3 returns and claims (in its PINGs) a log it does not have.  The
    //  leader pauses, never sends HANDOVER, and serves again.
    name = "hostile: hand-over readiness";
    failed_before = s_failed;
    sim = s_fixed_new (3, 2, 1602);
    sim_start (sim, 1);
    sim_start (sim, 2);
    uint32_t two = 2;
    CHECKF (sim_run_until_pred (sim, p_serves_and_led_pair, &two, 3000), "%s: node 2 leads", name);
    zc_election_set_log (s_el (sim, 2), 100, 1);
    zc_election_peer_progress (s_el (sim, 2), 3, UINT64_MAX);      //  past our log: ignored
    zc_election_peer_progress (s_el (sim, 2), 3, 1000000);
    epoch = zc_election_epoch (s_el (sim, 2));
    bool handed = false;
    for (int round = 0; round < 100 && !handed; round++) {
        zc_msg_t lie = s_forge (sim, ZC_PING, 3, epoch);
        zc_msg_set_u64 (&lie, ZF_LAST_SEQ, 1000000);
        zc_election_ping (s_el (sim, 2), &lie, sim->now, &pong);
        zc_msg_t acc = s_forge (sim, ZC_ACCEPT, 3, epoch);
        zc_msg_set_bool (&acc, ZF_GRANTED, true);
        s_inject (sim, 2, &acc, 0, NULL);
        //  Watch node 2's own sends for a HANDOVER
        zc_election_tick (s_el (sim, 2), sim->now, &sim->actions);
        for (size_t i = 0; i < sim->actions.count; i++)
            if (sim->actions.items [i].kind == ZC_ACT_SEND
            &&  sim->actions.items [i].msg.type == ZC_HANDOVER)
                handed = true;
        s_execute (sim, &sim->nodes [2]);
        sim_run_for (sim, 50);
    }
    CHECKF (!handed, "%s: node 2 sent HANDOVER to a node that only said it had the log", name);
    s_fixed_end (&sim, name, failed_before);
}

//  ==========================================================================
//  main

int
main (int argc, char **argv)
{
    s_epoch_jump = sim_env_size ("ZC_SIM_EPOCH_JUMP", 0);
    if (argc > 1) {
        //  Replay one seed, with its full trace
        uint64_t seed = strtoull (argv [1], NULL, 10);
        size_t n = argc > 2 ? (size_t) strtoul (argv [2], NULL, 10) : 3;
        if (n < 1 || n > SIM_MAX_NODES) {
            fprintf (stderr, "usage: test_election [SEED [NODES 1..%d]]\n", SIM_MAX_NODES);
            return 2;
        }
        bool ok = s_random_run (seed, n, true, NULL);
        printf ("test_election: seed %llu with %zu nodes %s\n", (unsigned long long) seed, n,
                ok ? "passed" : "FAILED");
        return ok ? 0 : 1;
    }
    double start = sim_seconds ();
    test_walkthrough (true);
    test_walkthrough (false);
    test_high_node_one_peer ();
    test_backup_restart ();
    test_frozen_leader ();
    test_membership_mismatch (3);
    test_membership_mismatch (1);
    test_partition ();
    test_single_node ();
    test_failback_one_step ();
    test_split_claim ();
    test_highest_reaches_leader_only ();
    test_hostile_epoch_ceiling ();
    test_hostile_rejoin_corroborated ();
    test_hostile_single_member ();
    test_hostile_lease_token ();
    test_hostile_pings ();
    test_hostile_absurd_values ();
    test_hostile_replay ();
    double fixed = sim_seconds () - start;

    size_t runs3 = sim_env_size ("ZC_SIM_RUNS", 2000);
    uint64_t first = sim_env_size ("ZC_SIM_SEED", 1);
    //  The last two batches again with max_epoch_jump 2 (unless one was
    //  given): lagging nodes then rejoin by corroboration or by steps.
    uint64_t jump = s_epoch_jump;
    //  And one batch from a fresh seed (simnet.h: sim_fresh_seed)
    uint64_t fresh = sim_fresh_seed ("test_election");
    struct { size_t n, runs; uint64_t jump, first; } batches [] = {
        { 3, runs3, jump, first }, { 5, runs3 / 2, jump, first },
        { 1, runs3 / 20, jump, first },
        { 3, jump ? 0 : runs3 / 4, 2, first }, { 5, jump ? 0 : runs3 / 8, 2, first },
        { 3, fresh ? runs3 / 8 : 0, jump, fresh }
    };
    for (size_t b = 0; b < sizeof batches / sizeof batches [0]; b++) {
        if (!batches [b].runs)
            continue;
        s_epoch_jump = batches [b].jump;
        stats_t stats = { 0 };
        double t0 = sim_seconds ();
        sim_random_batch ("test_election", s_random_run, batches [b].first, batches [b].runs,
                          batches [b].n, &stats, &s_passed, &s_failed);
        double took = sim_seconds () - t0;
        char with [40] = "";
        if (batches [b].jump)
            snprintf (with, sizeof with, " (max_epoch_jump %llu)",
                      (unsigned long long) batches [b].jump);
        if (batches [b].first != first)
            snprintf (with + strlen (with), sizeof with - strlen (with), " (fresh seed)");
        printf ("  random, %zu node%s%s: %zu/%zu schedules of %u s in %.1f s; converged in "
                "%llu ms on average, %llu ms at most (seed %llu); highest epoch %llu; "
                "%zu runs had two epochs served at once (old one at most %llu ms late)\n",
                batches [b].n, batches [b].n > 1 ? "s" : "", with, stats.runs, batches [b].runs,
                (CHAOS_MS + QUIET_MS) / 1000,
                took, (unsigned long long) (stats.runs ? stats.converge_total / stats.runs : 0),
                (unsigned long long) stats.converge_max,
                (unsigned long long) stats.converge_max_seed,
                (unsigned long long) stats.max_epoch, stats.runs_with_overlap,
                (unsigned long long) stats.max_stale);
    }
    printf ("  fixed schedules %.2f s, total %.1f s\n", fixed, sim_seconds () - start);
    return check_report ("test_election");
}
