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
*/
#include "election.h"
#include "wire.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIM_MAX_NODES   7
#define SIM_FRAME       512         //  an election frame is ~100 bytes
#define SIM_MAX_FAULTS  128

//  Timing of every simulated node (the brief's defaults)
#define T_HEARTBEAT     100
#define T_MISSES        3
#define T_ELECTION      200
#define T_LEASE         300
#define T_HOLDDOWN      1000

//  Random schedules: chaos, then a quiet period that must converge
#define CHAOS_MS        20000
#define QUIET_MS        10000
#define CONVERGE_MAX_MS 6000        //  see s_random_run

static int s_passed, s_failed;

//  ==========================================================================
//  PRNG: splitmix64 (never rand ())

typedef struct {
    uint64_t state;
} prng_t;

static uint64_t
prng_next (prng_t *p)
{
    uint64_t z = (p->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

//  Uniform in [lo, hi]
static uint64_t
prng_range (prng_t *p, uint64_t lo, uint64_t hi)
{
    return lo + prng_next (p) % (hi - lo + 1);
}

//  True with probability bp / 10000
static bool
prng_chance (prng_t *p, uint32_t bp)
{
    return bp && prng_next (p) % 10000 < bp;
}

//  ==========================================================================
//  Trace: collected while tracing is on, printed when a run fails

typedef struct {
    char *data;
    size_t len, cap;
} trace_t;

static void
trace_vadd (trace_t *trace, const char *fmt, va_list args)
{
    va_list copy;
    va_copy (copy, args);
    int need = vsnprintf (NULL, 0, fmt, copy);
    va_end (copy);
    if (need < 0)
        return;
    if (trace->len + (size_t) need + 2 > trace->cap) {
        size_t cap = trace->cap ? trace->cap : 65536;
        while (trace->len + (size_t) need + 2 > cap)
            cap *= 2;
        char *data = realloc (trace->data, cap);
        if (!data)
            abort ();
        trace->data = data;
        trace->cap = cap;
    }
    vsnprintf (trace->data + trace->len, (size_t) need + 1, fmt, args);
    trace->len += (size_t) need;
    trace->data [trace->len++] = '\n';
    trace->data [trace->len] = 0;
}

//  ==========================================================================
//  Network: a binary heap of frames ordered by (delivery time, send order)

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

typedef struct {
    packet_t *items;
    size_t count, cap;
} heap_t;

static bool
s_before (const packet_t *a, const packet_t *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void
heap_push (heap_t *heap, const packet_t *packet)
{
    if (heap->count == heap->cap) {
        heap->cap = heap->cap ? heap->cap * 2 : 256;
        heap->items = realloc (heap->items, heap->cap * sizeof (packet_t));
        if (!heap->items)
            abort ();
    }
    size_t i = heap->count++;
    while (i > 0 && s_before (packet, &heap->items [(i - 1) / 2])) {
        heap->items [i] = heap->items [(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap->items [i] = *packet;
}

static void
heap_pop (heap_t *heap, packet_t *packet)
{
    *packet = heap->items [0];
    packet_t last = heap->items [--heap->count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap->count)
            break;
        if (child + 1 < heap->count && s_before (&heap->items [child + 1], &heap->items [child]))
            child++;
        if (!s_before (&heap->items [child], &last))
            break;
        heap->items [i] = heap->items [child];
        i = child;
    }
    if (heap->count)
        heap->items [i] = last;
}

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

typedef struct {
    uint64_t seed;
    size_t n;
    uint32_t quorum;
    uint64_t now;
    node_t nodes [SIM_MAX_NODES + 1];   //  by id, 1..n
    heap_t net;
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
    bool tracing;
    trace_t trace;
} sim_t;

