/*  simnet.c — the simulator parts that know nothing of a node (simnet.h):
    trace, heap, schedules, fault application, seeds.
*/
#include "simnet.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  ==========================================================================
//  Trace

void
trace_add (trace_t *trace, const char *line)
{
    size_t need = strlen (line);
    if (trace->len + need + 2 > trace->cap) {
        size_t cap = trace->cap ? trace->cap : 65536;
        while (trace->len + need + 2 > cap)
            cap *= 2;
        char *data = realloc (trace->data, cap);
        if (!data)
            abort ();
        trace->data = data;
        trace->cap = cap;
    }
    memcpy (trace->data + trace->len, line, need);
    trace->len += need;
    trace->data [trace->len++] = '\n';
    trace->data [trace->len] = 0;
}

void
trace_vline (trace_t *trace, uint64_t now, const char *fmt, va_list args)
{
    char line [600];
    size_t n = (size_t) snprintf (line, sizeof line, "[%6llu] ", (unsigned long long) now);
    vsnprintf (line + n, sizeof line - n, fmt, args);
    trace_add (trace, line);
}

//  ==========================================================================
//  Frames in flight

//  The keys at the front of an item
static uint64_t
s_at (const unsigned char *item)
{
    uint64_t at;
    memcpy (&at, item, sizeof at);
    return at;
}

static uint64_t
s_seq (const unsigned char *item)
{
    uint64_t seq;
    memcpy (&seq, item + sizeof (uint64_t), sizeof seq);
    return seq;
}

static bool
s_before (const unsigned char *a, const unsigned char *b)
{
    uint64_t at_a = s_at (a), at_b = s_at (b);
    return at_a < at_b || (at_a == at_b && s_seq (a) < s_seq (b));
}

static unsigned char *
s_slot (const heap_t *heap, size_t i)
{
    return heap->items + i * heap->size;
}

void
heap_init (heap_t *heap, size_t size)
{
    assert (size >= 2 * sizeof (uint64_t));
    memset (heap, 0, sizeof *heap);
    heap->size = size;
}

void
heap_destroy (heap_t *heap)
{
    free (heap->items);
    heap->items = NULL;
    heap->count = heap->cap = 0;
}

void
heap_push (heap_t *heap, const void *item)
{
    if (heap->count == heap->cap) {
        heap->cap = heap->cap ? heap->cap * 2 : 256;
        heap->items = realloc (heap->items, (heap->cap + 1) * heap->size);
        if (!heap->items)
            abort ();
    }
    size_t i = heap->count++;
    while (i > 0 && s_before (item, s_slot (heap, (i - 1) / 2))) {
        memcpy (s_slot (heap, i), s_slot (heap, (i - 1) / 2), heap->size);
        i = (i - 1) / 2;
    }
    memcpy (s_slot (heap, i), item, heap->size);
}

void
heap_pop (heap_t *heap, void *item)
{
    assert (heap->count);
    memcpy (item, s_slot (heap, 0), heap->size);
    //  The last item moves to the spare slot, then sifts down from the top
    unsigned char *last = s_slot (heap, heap->cap);
    memcpy (last, s_slot (heap, --heap->count), heap->size);
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap->count)
            break;
        if (child + 1 < heap->count && s_before (s_slot (heap, child + 1), s_slot (heap, child)))
            child++;
        if (!s_before (s_slot (heap, child), last))
            break;
        memcpy (s_slot (heap, i), s_slot (heap, child), heap->size);
        i = child;
    }
    if (heap->count)
        memcpy (s_slot (heap, i), last, heap->size);
}

bool
heap_due (const heap_t *heap, uint64_t now)
{
    return heap->count && s_at (heap->items) <= now;
}

uint64_t
heap_next_at (const heap_t *heap)
{
    return heap->count ? s_at (heap->items) : UINT64_MAX;
}

void *
heap_item (heap_t *heap, size_t i)
{
    assert (i < heap->count);
    return s_slot (heap, i);
}

//  ==========================================================================
//  Random schedules

static const uint32_t s_drops [] = { 0, 0, 100, 500, 2000 };
static const uint32_t s_slows [] = { 0, 100, 500 };

uint32_t
schedule_drop_bp (prng_t *rng)
{
    return s_drops [prng_range (rng, 0, 4)];
}

uint32_t
schedule_slow_bp (prng_t *rng)
{
    return s_slows [prng_range (rng, 0, 2)];
}

static void
s_add (schedule_t *sched, uint64_t at, fault_kind_t kind, uint32_t node, uint32_t arg,
       uint64_t ms)
{
    assert (sched->fault_count < SIM_MAX_FAULTS);
    sched->faults [sched->fault_count++] = (fault_t) { at, kind, node, arg, ms };
}

void
schedule_make (schedule_t *sched, prng_t *rng, size_t n, uint32_t quorum,
               const schedule_shape_t *shape)
{
    memset (sched, 0, sizeof *sched);
    for (uint32_t id = 1; id <= n; id++)
        s_add (sched, prng_range (rng, 0, 1000), F_START, id, 0, 0);
    uint64_t at = 500;
    while (sched->fault_count < SIM_MAX_FAULTS - 2) {
        at += prng_range (rng, shape->gap_min, shape->gap_max);
        if (at >= shape->chaos_ms)
            break;
        uint32_t node = prng_chance (rng, 5000) ? 0 : (uint32_t) prng_range (rng, 1, n);
        uint32_t other = (uint32_t) prng_range (rng, 1, n);
        uint64_t roll = prng_range (rng, 0, 99);
        uint64_t span = prng_range (rng, shape->span_min, shape->span_max);
        if (roll < 4)
            s_add (sched, at, F_RETIRE, node, 0, 0);
        else
        if (roll < 25)
            s_add (sched, at, F_CRASH, node, 0, 0);
        else
        if (roll < 45)
            s_add (sched, at, F_START, node, (uint32_t) prng_next (rng), 0);
        else
        if (roll < 57)
            s_add (sched, at, F_FREEZE, node, 0,
                   prng_range (rng, shape->freeze_min, shape->freeze_max));
        else
        if (roll < 80 && n > 1) {
            if (roll < 65) {
                uint32_t mask = (uint32_t) prng_range (rng, 1, (1u << n) - 2) << 1;
                s_add (sched, at, F_SPLIT, 0, mask, 0);
            }
            else
            if (roll < 73)
                s_add (sched, at, F_ISOLATE, node, 0, 0);
            else
                s_add (sched, at, F_CUT, node, other, 0);
            if (at + span < shape->chaos_ms)    //  else the quiet period heals
                s_add (sched, at + span, F_HEAL, 0, 0, 0);
        }
        else
        if (roll < 85)
            s_add (sched, at, F_HEAL, 0, 0, 0);
        else
            s_add (sched, at, F_NET, 0, s_drops [prng_range (rng, 0, 4)],
                   s_slows [prng_range (rng, 0, 2)]);
    }
    //  Stable insertion sort by time (heals may land after later faults)
    for (size_t i = 1; i < sched->fault_count; i++) {
        fault_t fault = sched->faults [i];
        size_t j = i;
        while (j > 0 && sched->faults [j - 1].at > fault.at) {
            sched->faults [j] = sched->faults [j - 1];
            j--;
        }
        sched->faults [j] = fault;
    }
    //  The quiet period: which nodes stay down
    uint64_t roll = prng_range (rng, 0, 99);
    size_t down = 0;
    sched->ending = END_ALL_UP;
    if (roll >= 65 && roll < 90 && n > quorum) {
        sched->ending = END_MAJORITY_UP;
        down = prng_range (rng, 0, n - quorum);
    }
    else
    if (roll >= 90 && n > 1) {
        sched->ending = END_MINORITY_UP;
        down = prng_range (rng, n - quorum + 1, n - 1);
    }
    uint32_t ids [SIM_MAX_NODES];
    for (uint32_t i = 0; i < n; i++)
        ids [i] = i + 1;
    for (size_t i = 0; i < down; i++) {
        size_t j = i + prng_range (rng, 0, n - 1 - i);
        uint32_t swap = ids [i];
        ids [i] = ids [j];
        ids [j] = swap;
        sched->down_mask |= 1u << ids [i];
    }
}

void
fault_str (const fault_t *fault, char *buf, size_t cap)
{
    char who [24];
    if (fault->node)
        snprintf (who, sizeof who, "node %u", fault->node);
    else
        snprintf (who, sizeof who, "the leader");
    switch (fault->kind) {
        case F_START:
            if (fault->node)
                snprintf (buf, cap, "start node %u", fault->node);
            else
                snprintf (buf, cap, "restart a crashed node (pick %u)", fault->arg);
            break;
        case F_CRASH:   snprintf (buf, cap, "crash %s", who); break;
        case F_RETIRE:  snprintf (buf, cap, "SIGTERM %s", who); break;
        case F_FREEZE:  snprintf (buf, cap, "freeze %s for %llu ms", who,
                                  (unsigned long long) fault->ms); break;
        case F_SPLIT:   snprintf (buf, cap, "partition mask %#x", fault->arg); break;
        case F_ISOLATE: snprintf (buf, cap, "isolate %s", who); break;
        case F_CUT:     snprintf (buf, cap, "cut %s -> node %u", who, fault->arg); break;
        case F_HEAL:    snprintf (buf, cap, "heal the network"); break;
        case F_NET:     snprintf (buf, cap, "loss %u bp, slow frames %llu bp", fault->arg,
                                  (unsigned long long) fault->ms); break;
    }
}

void
schedule_print (const schedule_t *sched, uint64_t chaos_ms)
{
    for (size_t i = 0; i < sched->fault_count; i++) {
        char text [96];
        fault_str (&sched->faults [i], text, sizeof text);
        fprintf (stderr, "  %6llu  %s\n", (unsigned long long) sched->faults [i].at, text);
    }
    fprintf (stderr, "  %6llu  quiet: heal, no loss, thaw; nodes down: mask %#x (%s)\n",
             (unsigned long long) chaos_ms, sched->down_mask,
             sched->ending == END_ALL_UP ? "all up"
           : sched->ending == END_MAJORITY_UP ? "a quorum up" : "fewer than a quorum up");
}

void
fault_apply (struct _sim_t *sim, size_t n, const sim_ops_t *ops, const fault_t *fault)
{
    char text [96];
    fault_str (fault, text, sizeof text);
    ops->trace (sim, "SCHEDULE %s", text);
    uint32_t id = fault->node ? fault->node : ops->leader (sim);
    switch (fault->kind) {
        case F_START:
            if (fault->node)
                ops->start (sim, fault->node);
            else {
                uint32_t crashed [SIM_MAX_NODES];
                size_t count = 0;
                for (uint32_t i = 1; i <= n; i++)
                    if (!ops->up (sim, i))
                        crashed [count++] = i;
                if (count)
                    ops->start (sim, crashed [fault->arg % count]);
            }
            break;
        case F_CRASH:
            if (id)
                ops->crash (sim, id);
            break;
        case F_RETIRE:
            if (id)
                (ops->retire ? ops->retire : ops->crash) (sim, id);
            break;
        case F_FREEZE:
            if (id)
                ops->freeze (sim, id, fault->ms);
            break;
        case F_SPLIT:
            ops->split (sim, fault->arg);
            break;
        case F_ISOLATE:
            if (id)
                ops->split (sim, 1u << id);
            break;
        case F_CUT:
            if (id && id != fault->arg)
                ops->cut (sim, id, fault->arg);
            break;
        case F_HEAL:
            ops->heal (sim);
            break;
        case F_NET:
            ops->net (sim, fault->arg, (uint32_t) fault->ms);
            break;
    }
}

void
sim_random_batch (const char *test, sim_random_fn *run, uint64_t first_seed, size_t runs,
                  size_t n, void *stats, int *passed, int *failed)
{
    for (size_t i = 0; i < runs; i++) {
        uint64_t seed = first_seed + i;
        if (run (seed, n, false, stats))
            (*passed)++;
        else {
            (*failed)++;
            fprintf (stderr, "FAIL random schedule: seed %llu, %zu nodes "
                     "(replay: %s %llu %zu)\n", (unsigned long long) seed, n, test,
                     (unsigned long long) seed, n);
            run (seed, n, true, NULL);
            if (*failed >= 3) {
                fprintf (stderr, "(stopping random schedules after 3 failures)\n");
                return;
            }
        }
    }
}

//  ==========================================================================
//  Nodes and main

uint64_t
sim_default_mh (size_t n, uint32_t quorum)
{
    return 0x5EED000000000000ull | (uint64_t) n << 8 | quorum;
}

void
sim_election_config (zc_election_config_t *cfg, uint32_t self, size_t n, uint32_t quorum)
{
    cfg->self = self;
    for (uint32_t m = 1; m <= n; m++)
        cfg->members [cfg->member_count++] = m;
    cfg->quorum = quorum;
    cfg->mh = sim_default_mh (n, quorum);
    cfg->heartbeat_ms = T_HEARTBEAT;
    cfg->misses = T_MISSES;
    cfg->election_ms = T_ELECTION;
    cfg->lease_ms = T_LEASE;
    cfg->holddown_ms = T_HOLDDOWN;
}

double
sim_seconds (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

size_t
sim_env_size (const char *name, size_t fallback)
{
    const char *value = getenv (name);
    return value && *value ? (size_t) strtoull (value, NULL, 10) : fallback;
}

uint64_t
sim_fresh_seed (const char *test)
{
    const char *pinned = getenv ("ZC_SIM_SEED");
    const char *fresh = getenv ("ZC_SIM_FRESH");
    if ((pinned && *pinned) || (fresh && strcmp (fresh, "0") == 0))
        return 0;
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    prng_t prng = { ((uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec)
                    ^ (uint64_t) getpid () << 32 };
    //  Above every fixed seed, and short enough to type
    uint64_t seed = 1000000 + prng_next (&prng) % 1000000000000ull;
    printf ("  fresh seed %llu (replay one schedule: %s SEED NODES; this batch: "
            "ZC_SIM_SEED=%llu %s)\n", (unsigned long long) seed, test,
            (unsigned long long) seed, test);
    fflush (stdout);
    return seed;
}
