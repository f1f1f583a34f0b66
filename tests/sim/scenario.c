/*  scenario.c — named election scenarios on the simulator, traced: see
    scenario.h.  The scenario only drives faults and waits; the events are
    the simulator's tap (cluster.h) turned into zc-trace events.
*/
#include "scenario.h"
#include "cluster.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    sim_emit_fn *emit;
    void *arg;
    zc_tstate_t state [SIM_MAX_NODES + 1];
} s_tap_t;

static void
s_tap (sim_t *sim, sim_tap_kind_t kind, uint32_t node, uint32_t peer, const zc_msg_t *msg,
       const char *text, void *arg)
{
    s_tap_t *tap = arg;
    uint64_t us = sim->now * 1000;
    zc_tev_t ev;
    switch (kind) {
        case SIM_TAP_SEND:
        case SIM_TAP_RECV:
            if (zc_tev_from_msg (&ev, kind == SIM_TAP_SEND ? ZC_TEV_SEND : ZC_TEV_RECV, us,
                                 node, peer, msg))
                tap->emit (&ev, tap->arg);
            return;
        case SIM_TAP_STATE: {
            node_t *n = &sim->nodes [node];
            if (!n->el)
                return;
            zc_role_t role = zc_election_role (n->el);
            zc_trole_t trole = role == ZC_ROLE_LEADER ? ZC_TROLE_LEADER
                             : role == ZC_ROLE_CANDIDATE ? ZC_TROLE_CANDIDATE
                             : ZC_TROLE_BACKUP;
            if (zc_tev_state_changed (&tap->state [node], &ev, us, node, trole,
                                      zc_election_epoch (n->el), zc_election_leader (n->el),
                                      sim_node_serving (sim, n)))
                tap->emit (&ev, tap->arg);
            return;
        }
        case SIM_TAP_DOWN:
            zc_tev_init (&ev, ZC_TEV_DOWN, us, node);
            ev.peer = peer;
            break;
        case SIM_TAP_CRASH:
            zc_tev_init (&ev, ZC_TEV_CRASH, us, node);
            tap->state [node].known = false;    //  a restart says its state again
            break;
        case SIM_TAP_START:
            zc_tev_init (&ev, ZC_TEV_START, us, node);
            ev.epoch = sim->nodes [node].disk.epoch;
            ev.leader = peer;
            break;
        default:
            zc_tev_init (&ev, ZC_TEV_NOTE, us, node);
            snprintf (ev.text, sizeof ev.text, "%s", text ? text : "");
            break;
    }
    tap->emit (&ev, tap->arg);
}

//  `leader` serves and every running node of `members` (bit per id)
//  follows it in its epoch
typedef struct {
    uint32_t leader;
    uint32_t members;
} s_lead_t;

static bool
p_leads (sim_t *sim, void *arg)
{
    s_lead_t *lead = arg;
    node_t *leader = &sim->nodes [lead->leader];
    if (!sim_node_serving (sim, leader))
        return false;
    for (uint32_t id = 1; id <= sim->n; id++) {
        zc_election_t *el = sim->nodes [id].el;
        if (id == lead->leader || !((lead->members >> id) & 1) || !sim_running (sim, id))
            continue;
        if (zc_election_role (el) != ZC_ROLE_BACKUP || zc_election_leader (el) != lead->leader
        ||  zc_election_epoch (el) != zc_election_epoch (leader->el))
            return false;
    }
    return true;
}

static int
s_wait (sim_t *sim, uint32_t leader, uint32_t members, uint64_t timeout, const char *what,
        char *err, size_t errlen)
{
    s_lead_t lead = { leader, members };
    if (sim_run_until_pred (sim, p_leads, &lead, timeout) && !sim->failed)
        return 0;
    snprintf (err, errlen, "%s", sim->failed ? sim->failure : what);
    return 1;
}

int
sim_scenario_run (const sim_scenario_t *scenario, sim_emit_fn *emit, void *arg,
                  char *err, size_t errlen)
{
    const char *name = scenario->name;
    size_t n = scenario->nodes;
    if (n < 2 || n > SIM_MAX_NODES) {
        snprintf (err, errlen, "nodes: %zu is not 2..%d", n, SIM_MAX_NODES);
        return -1;
    }
    if (strcmp (name, "kill-leader") && strcmp (name, "partition") && strcmp (name, "restart")
    &&  strcmp (name, "sigterm")) {
        snprintf (err, errlen, "unknown scenario '%s' (%s)", name, sim_scenario_names ());
        return -1;
    }
    s_tap_t tap = { .emit = emit, .arg = arg };
    sim_t *sim = sim_new (n, (uint32_t) (n / 2 + 1), scenario->seed, 8);
    sim->leader_down = scenario->leader_down;
    sim->tap = s_tap;
    sim->tap_arg = &tap;
    uint32_t top = (uint32_t) n, next = top - 1;
    uint32_t everyone = ((1u << (n + 1)) - 1) & ~1u;
    uint32_t rest = everyone & ~(1u << top);

    sim_start_all (sim);
    int rc = s_wait (sim, top, everyone, 5000, "the highest node did not lead after boot",
                     err, errlen);
    if (rc == 0) {
        sim_run_for (sim, 300);
        if (strcmp (name, "partition") == 0) {
            sim_split (sim, 1u << top);
            rc = s_wait (sim, next, rest, 3000, "the majority did not elect a new leader",
                         err, errlen);
            if (rc == 0) {
                sim_run_for (sim, 1500);
                sim_heal (sim);
                rc = s_wait (sim, top, everyone, 3 * T_HOLDDOWN + 3000,
                             "the highest node did not lead again after the partition",
                             err, errlen);
            }
        }
        else
        if (strcmp (name, "sigterm") == 0) {
            sim_retire (sim, top);
            rc = s_wait (sim, next, rest, 3000, "no hand-over after SIGTERM", err, errlen);
        }
        else {
            sim_crash (sim, top);
            rc = s_wait (sim, next, rest, 3000, "no new leader after the crash", err, errlen);
            if (rc == 0 && strcmp (name, "restart") == 0) {
                sim_run_for (sim, 500);
                sim_start (sim, top);
                rc = s_wait (sim, top, everyone, 3 * T_HOLDDOWN + 3000,
                             "the restarted node did not lead again", err, errlen);
            }
        }
    }
    if (rc == 0)
        sim_run_for (sim, 300);
    if (rc == 0 && sim->failed) {
        snprintf (err, errlen, "%s", sim->failure);
        rc = 1;
    }
    sim_destroy (&sim);
    return rc;
}

const char *
sim_scenario_names (void)
{
    return "kill-leader, partition, restart, sigterm";
}
