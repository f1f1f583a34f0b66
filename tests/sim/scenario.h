/*  scenario.h — named election scenarios on the simulator, traced.

    What tests/tools/sim_trace.c (zchat-sim-trace) runs for a teacher, and what
    tests/test_trace.c checks: a fresh cluster over the shipped core, one
    scenario, every election message and change of role as a zc-trace
    event (trace_event.h), the same events chat-node --trace logs.  The
    simulator is deterministic: one (scenario, seed, nodes) gives one
    trace.  Times are the simulated clock in microseconds.

        kill-leader   the nodes elect the highest; it crashes; the next
                      highest claims and leads, the others follow
        partition     the leader is cut off from the rest for 2 s; the
                      majority elects a new leader; the network heals and
                      the old leader returns to lead after its hold-down
        restart       kill-leader, then the crashed node restarts: it
                      joins as a backup, and the leader hands over to it
        sigterm       the highest node leads; it gets SIGTERM, hands over
                      to the next highest and exits (docs/ELECTION.md
                      "Graceful stop")
*/
#ifndef ZC_SIM_SCENARIO_H
#define ZC_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "trace_event.h"

typedef void (sim_emit_fn) (const zc_tev_t *ev, void *arg);

typedef struct {
    const char *name;           //  one of sim_scenario_names
    uint64_t seed;
    size_t nodes;               //  2..SIM_MAX_NODES (3: the seed's)
    bool leader_down;           //  crashes close connections (false: heartbeats only)
} sim_scenario_t;

//  Runs it: every event through emit.  0; -1 for an unknown name or a
//  size out of range; 1 if an invariant was violated or the scenario did
//  not reach its end state (why in err).
int sim_scenario_run (const sim_scenario_t *scenario, sim_emit_fn *emit, void *arg,
                      char *err, size_t errlen);

//  "kill-leader, partition, restart, sigterm"
const char *sim_scenario_names (void);

#endif
