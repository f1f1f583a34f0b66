/*  test_sim_retire.c — a graceful stop (docs/ELECTION.md "Graceful stop")
    on the simulated cluster over the shipped core (tests/sim/cluster.h).
    SIGTERM is sim_retire: the node's loop tells its core to retire, and
    the node exits once the core says it is retired, as node.c does.  Every
    invariant of test_sim.c (R1..R7) is checked all along: one leader per
    epoch, nothing acknowledged lost.

    1. Leader 3 retires while clients send: node 2 leads the next epoch
       before a crash could even be suspected, node 1 follows, one claim.
       The socket monitor is off (no leader_down), so if the node just
       exited, as before, only missed heartbeats would tell the backups.
    2. The only backup that holds the leader's log is lower than one that
       lags: the leader hands over to it.
    3. No backup reachable: the leader exits after its deadline.
    4. A backup asked to stop exits at once; so does a node alone.
    ZC_SIM_TRACE=1 prints their traces even when they pass.
*/
#include "sim/cluster.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The retiring leader's bound (election_retire.c)
#define T_RETIRE (2 * T_ELECTION + T_HEARTBEAT * T_MISSES)

static zc_election_t *
s_el (sim_t *sim, uint32_t id)
{
    return sim->nodes [id].el;
}

//  `node` is a backup that follows `leader` in the leader's epoch
static bool
s_follows (sim_t *sim, uint32_t node, uint32_t leader)
{
    return sim_running (sim, node) && sim_running (sim, leader)
        && zc_election_role (s_el (sim, node)) == ZC_ROLE_BACKUP
        && zc_election_leader (s_el (sim, node)) == leader
        && zc_election_epoch (s_el (sim, node)) == zc_election_epoch (s_el (sim, leader));
}

//  `leader` serves and every other running node follows it
static bool
p_serves_and_led (sim_t *sim, void *arg)
{
    uint32_t leader = *(uint32_t *) arg;
    if (!sim_node_serving (sim, &sim->nodes [leader]))
        return false;
    for (uint32_t id = 1; id <= sim->n; id++)
        if (id != leader && sim_running (sim, id) && !s_follows (sim, id, leader))
            return false;
    return true;
}

static bool
p_exited (sim_t *sim, void *arg)
{
    return sim->nodes [*(uint32_t *) arg].exits > 0;
}

static uint64_t
s_started (sim_t *sim, uint32_t id)
{
    uint64_t started, won;
    zc_election_stats (s_el (sim, id), &started, &won);
    return started;
}

//  1. Leader 3 retires with clients sending
static void
test_leader_retires (void)
{
    const char *name = "leader retires";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 1801, 8);
    sim->leader_down = false;
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    sim_clients_on (sim, true);
    sim_run_for (sim, 1000);
    uint64_t epoch = sim_epoch (sim, 3);
    uint64_t acks = sim->acks;
    uint64_t started1 = s_started (sim, 1), started2 = s_started (sim, 2);
    uint64_t asked = sim->now;
    sim_retire (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves_and_led, &two, 2000),
            "%s: node 2 leads and node 1 follows", name);
    uint64_t took = sim->now - asked;
    CHECKF (took < T_HEARTBEAT * T_MISSES,
            "%s: node 2 serves %llu ms after the signal, sooner than a crash is "
            "suspected (%u ms)", name, (unsigned long long) took, T_HEARTBEAT * T_MISSES);
    CHECKF (sim_epoch (sim, 2) == epoch + 1 && sim->max_served == epoch + 1,
            "%s: in the next epoch, one claim (epochs %llu -> %llu, highest served %llu)", name,
            (unsigned long long) epoch, (unsigned long long) sim_epoch (sim, 2),
            (unsigned long long) sim->max_served);
    CHECKF (s_started (sim, 1) == started1 && s_started (sim, 2) == started2 + 1,
            "%s: node 2 ran once, node 1 not at all (started %llu, %llu more)", name,
            (unsigned long long) (s_started (sim, 2) - started2),
            (unsigned long long) (s_started (sim, 1) - started1));
    CHECKF (sim_run_until_pred (sim, p_exited, &three, T_RETIRE), "%s: node 3 exits", name);
    uint64_t exited = sim->nodes [3].exited_at - asked;
    CHECKF (exited < T_RETIRE && sim_epoch (sim, 2) == epoch + 1,
            "%s: once node 2 led, before its deadline (%llu ms)", name,
            (unsigned long long) exited);
    sim_run_for (sim, 1000);
    sim->clients_on = false;
    CHECKF (sim_run_until_pred (sim, p_clients_idle, NULL, 3000), "%s: all acknowledged", name);
    CHECKF (sim->acks > acks + 5, "%s: clients went on (%llu acknowledgements)", name,
            (unsigned long long) (sim->acks - acks));
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &two, 1000), "%s: logs converge", name);
    printf ("  %s: node 2 serves %llu ms after SIGTERM, node 3 exits after %llu ms\n", name,
            (unsigned long long) took, (unsigned long long) exited);
    SIM_FIXED_END (sim, name, failed_before);
}

//  2. Node 2 lags (it gets no entries from node 3), node 1 holds the log:
//  node 3 hands over to node 1, not to the higher node 2
static void
test_lower_backup_has_log (void)
{
    const char *name = "retire to the lower backup that holds the log";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 1802, 8);
    uint32_t one = 1, two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (sim_post_many (sim, 3), "%s: 3 acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: everywhere", name);
    drop_rule_t rule = { 3, 2, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule);
    for (unsigned c = 0; c < sim->client_count; c++)
        sim_post (sim, c, 3);
    CHECKF (sim_run_until_pred (sim, p_clients_idle, NULL, 1000), "%s: 3 more acknowledged", name);
    CHECKF (sim_last (sim, 3) == 6 && sim_last (sim, 1) == 6 && sim_last (sim, 2) == 3,
            "%s: node 2 lags (logs %llu, %llu, %llu)", name,
            (unsigned long long) sim_last (sim, 1), (unsigned long long) sim_last (sim, 2),
            (unsigned long long) sim_last (sim, 3));
    uint64_t epoch = sim_epoch (sim, 3);
    sim_retire (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves, &one, 1000), "%s: node 1 serves", name);
    CHECKF (sim_epoch (sim, 1) == epoch + 1 && sim->max_served == epoch + 1,
            "%s: in the next epoch (%llu, highest served %llu)", name,
            (unsigned long long) sim_epoch (sim, 1), (unsigned long long) sim->max_served);
    CHECKF (sim_run_until_pred (sim, p_exited, &three, T_RETIRE), "%s: node 3 exits", name);
    sim_filter (sim, NULL);
    CHECKF (sim_post_many (sim, 3), "%s: new messages acknowledged", name);
    //  Then the higher node 2 gets the lead back by the fail-back
    CHECKF (sim_run_until_pred (sim, p_converged_to, &two, 5000), "%s: node 2 leads later", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &two, 2000), "%s: logs converge", name);
    SIM_FIXED_END (sim, name, failed_before);
}

static void
s_isolate (sim_t *sim, uint32_t id)
{
    for (uint32_t other = 1; other <= sim->n; other++)
        if (other != id) {
            sim_cut (sim, id, other);
            sim_cut (sim, other, id);
        }
}

//  3. Node 3 is cut off when asked: nobody to hand over to, it leaves at
//  its deadline; nodes 1 and 2 went on without it
static void
test_nobody_reachable (void)
{
    const char *name = "retire with no backup reachable";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 1803, 8);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (sim_post_many (sim, 2), "%s: 2 acknowledged", name);
    s_isolate (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 2000), "%s: node 2 serves without it", name);
    uint64_t asked = sim->now;
    sim_retire (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_exited, &three, 2 * T_RETIRE), "%s: node 3 exits", name);
    uint64_t exited = sim->nodes [3].exited_at - asked;
    CHECKF (exited >= T_RETIRE && exited <= T_RETIRE + T_HEARTBEAT,
            "%s: at its deadline (%llu ms, deadline %u)", name, (unsigned long long) exited,
            T_RETIRE);
    sim_heal (sim);
    CHECKF (sim_post_many (sim, 2), "%s: node 2 goes on", name);
    SIM_FIXED_END (sim, name, failed_before);
}

//  4. A backup exits at once, the leader serving on; a node alone too
static void
test_exit_at_once (void)
{
    const char *name = "backup or single node retires at once";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 1804, 8);
    uint32_t one = 1, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    uint64_t epoch = sim_epoch (sim, 3);
    sim->watch = 3;
    uint64_t asked = sim->now;
    sim_retire (sim, 1);
    CHECKF (sim_run_until_pred (sim, p_exited, &one, 100) && sim->nodes [1].exited_at == asked,
            "%s: backup 1 exits at once", name);
    sim_run_for (sim, 1000);
    CHECKF (!sim->watch_lost && sim_epoch (sim, 3) == epoch,
            "%s: node 3 serves on in its epoch", name);
    sim->watch = 0;
    SIM_FIXED_END (sim, name, failed_before);

    failed_before = s_failed;
    sim = sim_fixed_new (1, 1, 1805, 8);
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_serves, &one, 3000), "%s: node 1 alone serves", name);
    asked = sim->now;
    sim_retire (sim, 1);
    CHECKF (sim_run_until_pred (sim, p_exited, &one, 100) && sim->nodes [1].exited_at == asked,
            "%s: a node alone exits at once", name);
    SIM_FIXED_END (sim, name, failed_before);
}

int
main (void)
{
    double start = sim_seconds ();
    test_leader_retires ();
    test_lower_backup_has_log ();
    test_nobody_reachable ();
    test_exit_at_once ();
    printf ("  fixed schedules %.2f s\n", sim_seconds () - start);
    packet_pool_destroy ();
    return check_report ("test_sim_retire");
}
