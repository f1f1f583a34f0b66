/*  simnet.h — the simulator's parts that know nothing of a node: the PRNG,
    the trace, the heap of frames in flight, the random fault schedules and
    how they are applied, and the timing every simulated node runs with.
    The cluster over the shipped core that uses them is cluster.h's.

    What is here calls the cluster only through sim_ops_t.  Everything is
    drawn from a seeded splitmix64 in a fixed order, so a seed replays
    exactly.
*/
#ifndef ZC_SIMNET_H
#define ZC_SIMNET_H

#include "election.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_NODES   7
#define SIM_MAX_FAULTS  128

//  Timing of every simulated node
#define T_HEARTBEAT     100
#define T_MISSES        3
#define T_ELECTION      200
#define T_LEASE         300
#define T_HOLDDOWN      1000

//  ==========================================================================
//  PRNG: splitmix64 (never rand ())

typedef struct {
    uint64_t state;
} prng_t;

static inline uint64_t
prng_next (prng_t *p)
{
    uint64_t z = (p->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

//  Uniform in [lo, hi]
static inline uint64_t
prng_range (prng_t *p, uint64_t lo, uint64_t hi)
{
    return lo + prng_next (p) % (hi - lo + 1);
}

//  True with probability bp / 10000
static inline bool
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

//  Appends line and a newline
void trace_add (trace_t *trace, const char *line);
//  Appends "[   now] " and the formatted text (cut at 600 bytes)
void trace_vline (trace_t *trace, uint64_t now, const char *fmt, va_list args);

//  ==========================================================================
//  Frames in flight: a binary heap of fixed-size items ordered by (delivery
//  time, send order).  Every item begins with the two keys:
//      struct { uint64_t at, seq; ... }

typedef struct {
    unsigned char *items;       //  count items of size bytes, and one spare
    size_t size, count, cap;
} heap_t;

void heap_init (heap_t *heap, size_t size);
void heap_destroy (heap_t *heap);
void heap_push (heap_t *heap, const void *item);
//  Takes the first item (the heap must not be empty)
void heap_pop (heap_t *heap, void *item);
//  Is an item due at now?
bool heap_due (const heap_t *heap, uint64_t now);
//  When the first item is due (UINT64_MAX: none)
uint64_t heap_next_at (const heap_t *heap);
//  The i-th item, in no particular order
void *heap_item (heap_t *heap, size_t i);

//  ==========================================================================
//  Random schedules: faults drawn from the seed during the chaos period,
//  then which nodes stay down in the quiet period

typedef enum {
    F_START,        //  node (0: a crashed node, picked by arg)
    F_CRASH,        //  node (0: the current leader)
    F_RETIRE,       //  SIGTERM to node (0: the current leader): it exits once retired
    F_FREEZE,       //  node (0: the current leader) for ms
    F_SPLIT,        //  two groups: arg is the mask of one
    F_ISOLATE,      //  node (0: the current leader) against everyone
    F_CUT,          //  one way: node (0: the leader) → arg
    F_HEAL,
    F_NET           //  loss arg (basis points), slow frames ms (basis points)
} fault_kind_t;

typedef struct {
    uint64_t at;
    fault_kind_t kind;
    uint32_t node;
    uint32_t arg;
    uint64_t ms;
} fault_t;

typedef enum { END_ALL_UP, END_MAJORITY_UP, END_MINORITY_UP } ending_t;

typedef struct {
    fault_t faults [SIM_MAX_FAULTS];    //  by time
    size_t fault_count;
    ending_t ending;
    uint32_t down_mask;                 //  nodes left down in the quiet period
} schedule_t;

//  The ranges a schedule's draws come from (ms)
typedef struct {
    uint64_t chaos_ms;                  //  faults happen before this
    uint64_t gap_min, gap_max;          //  between one fault and the next
    uint64_t span_min, span_max;        //  how long a partition or a cut lasts
    uint64_t freeze_min, freeze_max;    //  how long a node is frozen
} schedule_shape_t;

//  Loss and slow frames (basis points) a schedule draws from
uint32_t schedule_drop_bp (prng_t *rng);
uint32_t schedule_slow_bp (prng_t *rng);

//  Draws the faults, then the ending, of n nodes with this quorum
void schedule_make (schedule_t *sched, prng_t *rng, size_t n, uint32_t quorum,
                    const schedule_shape_t *shape);
void fault_str (const fault_t *fault, char *buf, size_t cap);
//  To stderr: one line a fault, then the quiet period
void schedule_print (const schedule_t *sched, uint64_t chaos_ms);

//  What a schedule does to a test's cluster
struct _sim_t;
typedef struct {
    void (*trace) (struct _sim_t *sim, const char *fmt, ...);
    bool (*up) (struct _sim_t *sim, uint32_t id);          //  not crashed
    uint32_t (*leader) (struct _sim_t *sim);                //  0: none
    void (*start) (struct _sim_t *sim, uint32_t id);
    void (*crash) (struct _sim_t *sim, uint32_t id);
    void (*retire) (struct _sim_t *sim, uint32_t id);      //  NULL: crash instead
    void (*freeze) (struct _sim_t *sim, uint32_t id, uint64_t ms);
    void (*split) (struct _sim_t *sim, uint32_t mask);
    void (*cut) (struct _sim_t *sim, uint32_t from, uint32_t to);
    void (*heal) (struct _sim_t *sim);
    void (*net) (struct _sim_t *sim, uint32_t drop_bp, uint32_t slow_bp);
} sim_ops_t;

//  Applies one fault to a cluster of n nodes
void fault_apply (struct _sim_t *sim, size_t n, const sim_ops_t *ops, const fault_t *fault);

//  One random schedule of n nodes: true if every invariant held.  With
//  tracing, it prints its schedule and trace.
typedef bool (sim_random_fn) (uint64_t seed, size_t n, bool tracing, void *stats);

//  Runs `runs` random schedules from first_seed, counting each in passed or
//  failed; replays a failure with its trace and stops once *failed is 3.
void sim_random_batch (const char *test, sim_random_fn *run, uint64_t first_seed, size_t runs,
                       size_t n, void *stats, int *passed, int *failed);

//  ==========================================================================
//  Nodes and main

//  The membership hash of n members with this quorum
uint64_t sim_default_mh (size_t n, uint32_t quorum);
//  A zeroed election config: member `self` of 1..n, with the timing above
void sim_election_config (zc_election_config_t *cfg, uint32_t self, size_t n, uint32_t quorum);

//  Monotonic clock in seconds
double sim_seconds (void);
//  An environment variable as a number, or fallback
size_t sim_env_size (const char *name, size_t fallback);
//  The first seed of one more batch, beyond the fixed seeds, drawn from the
//  clock so that every CI run tries schedules no run tried before; printed
//  with how to replay it.  0 (no such batch) when ZC_SIM_SEED pins the run
//  or ZC_SIM_FRESH=0.  A failing seed of it is printed with its replay line
//  as any other.
uint64_t sim_fresh_seed (const char *test);

#endif
