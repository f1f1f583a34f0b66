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
    3. No backup reachable: the leader exits after its deadline.  3b: the
       highest backup's last confirmation is on its way: it is worth a
       heartbeat's wait.
    4. The new leader never reaches the old one: it leaves at its deadline
       all the same, as the new leader's backup.
    5. A backup asked to stop exits at once; so does a node alone.
    6. Who can make a backup stand aside for a lower candidate: only the
       leader it follows, in its epoch, for the member named (the pure
       machine, forged messages).
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

//  The retiring leader named its target
static bool
p_named (sim_t *sim, void *arg)
{
    node_t *node = &sim->nodes [*(uint32_t *) arg];
    return node->el && zc_election_retire_target (node->el);
}

static uint64_t
s_started (sim_t *sim, uint32_t id)
{
    uint64_t started, won;
    zc_election_stats (s_el (sim, id), &started, &won);
    return started;
}

//  For comparison: the same cluster and traffic, leader 3 crashes instead
//  (leader_down as given); how long until node 2 serves and node 1 follows
static uint64_t
s_crash_failover (bool leader_down)
{
    sim_t *sim = sim_fixed_new (3, 2, 1801, 8);
    sim->leader_down = leader_down;
    sim->tracing = false;
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    uint64_t took = UINT64_MAX;
    if (sim_run_until_pred (sim, p_converged_to, &three, 3000)) {
        sim_clients_on (sim, true);
        sim_run_for (sim, 1000);
        uint64_t crashed = sim->now;
        sim_crash (sim, 3);
        if (sim_run_until_pred (sim, p_serves_and_led, &two, 3000))
            took = sim->now - crashed;
    }
    sim_destroy (&sim);
    return took;
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
    CHECKF (sim_run_until_pred (sim, p_named, &three, 100)
            && zc_election_retire_target (s_el (sim, 3)) == 2,
            "%s: node 3 hands over to node 2", name);
    //  From now on it announces itself no more
    sim->spy_node = 3;
    sim->spy_type = ZC_COORDINATOR;
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
    CHECKF (!sim->spy_found, "%s: node 3 announced itself after it named its target "
            "(epoch %llu)", name, (unsigned long long) sim->spy_msg.epoch);
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
    printf ("  %s: node 2 serves %llu ms after SIGTERM, node 3 exits after %llu ms; "
            "after a crash instead: %llu ms with leader_down, %llu ms without\n", name,
            (unsigned long long) took, (unsigned long long) exited,
            (unsigned long long) s_crash_failover (true),
            (unsigned long long) s_crash_failover (false));
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
    CHECKF (sim_run_until_pred (sim, p_named, &three, 2 * T_HEARTBEAT)
            && zc_election_retire_target (s_el (sim, 3)) == 1,
            "%s: node 3 hands over to node 1", name);
    sim->spy_node = 3;
    sim->spy_type = ZC_COORDINATOR;
    CHECKF (sim_run_until_pred (sim, p_serves, &one, 1000), "%s: node 1 serves", name);
    CHECKF (sim_epoch (sim, 1) == epoch + 1 && sim->max_served == epoch + 1,
            "%s: in the next epoch (%llu, highest served %llu)", name,
            (unsigned long long) sim_epoch (sim, 1), (unsigned long long) sim->max_served);
    CHECKF (sim_run_until_pred (sim, p_exited, &three, T_RETIRE), "%s: node 3 exits", name);
    CHECKF (!sim->spy_found, "%s: node 3 announced itself after it named its target "
            "(epoch %llu)", name, (unsigned long long) sim->spy_msg.epoch);
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

//  3b. Asked right after an ACK, while node 2's confirmation of the last
//  entry is still on its way and node 1's is in: node 3 waits for node 2
//  (a heartbeat at most) rather than hand over to node 1 and have node 1
//  hand over to node 2 again after the hold-down
static void
test_waits_for_highest (void)
{
    const char *name = "retire waits briefly for the highest backup";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 1806, 8);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (sim_post_many (sim, 2), "%s: 2 acknowledged", name);
    uint64_t epoch = sim_epoch (sim, 3);
    CHECKF (zc_replica_match (sim->nodes [3].rep, 2) < sim_last (sim, 3)
            && zc_replica_match (sim->nodes [3].rep, 1) == sim_last (sim, 3),
            "%s: the schedule still has node 2 behind, node 1 not (matches %llu, %llu of %llu)",
            name, (unsigned long long) zc_replica_match (sim->nodes [3].rep, 1),
            (unsigned long long) zc_replica_match (sim->nodes [3].rep, 2),
            (unsigned long long) sim_last (sim, 3));
    sim_retire (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_named, &three, T_HEARTBEAT + 10)
            && zc_election_retire_target (s_el (sim, 3)) == 2,
            "%s: node 3 hands over to node 2 (to %u)", name,
            sim_up (sim, 3) ? zc_election_retire_target (s_el (sim, 3)) : 0);
    CHECKF (sim_run_until_pred (sim, p_serves_and_led, &two, 1000)
            && sim_epoch (sim, 2) == epoch + 1, "%s: node 2 leads the next epoch", name);
    SIM_FIXED_END (sim, name, failed_before);
}

//  4. Node 3 hands over and follows the new leader, but no APPEND reaches
//  it: a backup by then, it still leaves at its deadline
static bool
f_no_append_to_3 (sim_t *sim, uint32_t from, uint32_t to, const zc_msg_t *msg,
                  uint32_t entries, void *arg)
{
    (void) sim; (void) from; (void) entries; (void) arg;
    return to == 3 && msg->type == ZC_APPEND;
}

static void
test_deadline_as_backup (void)
{
    const char *name = "retire deadline as the target's backup";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 1806, 8);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (sim_post_many (sim, 2), "%s: 2 acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: everywhere", name);
    sim->filter = f_no_append_to_3;
    uint64_t asked = sim->now;
    sim_retire (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 1000), "%s: node 2 serves", name);
    CHECKF (sim_up (sim, 3) && zc_election_role (s_el (sim, 3)) == ZC_ROLE_BACKUP
            && zc_election_leader (s_el (sim, 3)) == 2, "%s: node 3 follows node 2", name);
    CHECKF (sim_run_until_pred (sim, p_exited, &three, 2 * T_RETIRE), "%s: node 3 exits", name);
    uint64_t exited = sim->nodes [3].exited_at - asked;
    CHECKF (exited >= T_RETIRE && exited <= T_RETIRE + T_HEARTBEAT,
            "%s: at its deadline (%llu ms, deadline %u)", name, (unsigned long long) exited,
            T_RETIRE);
    sim->filter = NULL;
    CHECKF (sim_post_many (sim, 2), "%s: node 2 goes on", name);
    SIM_FIXED_END (sim, name, failed_before);
}

//  5. A backup exits at once, the leader serving on; a node alone too
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

//  6. Who can make a backup stand aside (docs/ELECTION.md "Hostile
//  input"): only the leader it follows, in its epoch, and only for the
//  member that leader names.  On the pure machine: node 2 of 4 follows
//  leader 4 in epoch 5, and is asked for votes for epoch 6.
static zc_actions_t s_out;

static zc_msg_t
s_msg (zc_type_t type, uint32_t from, uint64_t epoch, uint64_t mh)
{
    zc_msg_t msg;
    zc_msg_init (&msg, type);
    zc_msg_set_u64 (&msg, ZF_NODE, from);
    zc_msg_set_u64 (&msg, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&msg, ZF_MH, mh);
    return msg;
}

static void
s_recv (zc_election_t *el, const zc_msg_t *msg, uint64_t now)
{
    zc_actions_clear (&s_out);
    zc_election_recv (el, msg, now, &s_out);
}

static bool
s_grants (zc_election_t *el, uint32_t candidate, uint64_t mh, uint64_t now)
{
    zc_msg_t prevote = s_msg (ZC_PREVOTE, candidate, 6, mh);
    zc_msg_set_u64 (&prevote, ZF_LAST_SEQ, 0);
    zc_msg_set_u64 (&prevote, ZF_LOG_EPOCH, 0);
    s_recv (el, &prevote, now);
    for (size_t i = 0; i < s_out.count; i++)
        if (s_out.items [i].kind == ZC_ACT_SEND && s_out.items [i].to == candidate
        &&  s_out.items [i].msg.type == ZC_PREVOTE_REPLY)
            return s_out.items [i].msg.granted;
    return false;
}

static void
s_handover (zc_election_t *el, uint32_t from, uint64_t epoch, uint64_t target, uint64_t mh,
            uint64_t now)
{
    zc_msg_t msg = s_msg (ZC_HANDOVER, from, epoch, mh);
    zc_msg_set_u64 (&msg, ZF_LEADER, target);
    s_recv (el, &msg, now);
}

static void
test_stand_aside (void)
{
    const char *name = "who makes a backup stand aside";
    zc_election_config_t cfg;
    memset (&cfg, 0, sizeof cfg);
    sim_election_config (&cfg, 2, 4, 3);
    zc_election_state_t state = { 5, 4, 0 };
    zc_election_t *el = zc_election_new (&cfg, &state, 1000);
    zc_msg_t coord = s_msg (ZC_COORDINATOR, 4, 5, cfg.mh);
    zc_msg_set_u64 (&coord, ZF_LEADER, 4);
    zc_msg_set_u64 (&coord, ZF_LT, 1000);
    zc_msg_set_u64 (&coord, ZF_LAST_SEQ, 0);
    s_recv (el, &coord, 1000);
    CHECKF (zc_election_role (el) == ZC_ROLE_BACKUP && zc_election_leader (el) == 4,
            "%s: node 2 follows leader 4", name);
    CHECKF (!s_grants (el, 1, cfg.mh, 1001), "%s: no vote for node 1 while leader 4 lives", name);
    s_handover (el, 3, 5, 1, cfg.mh, 1002);
    CHECKF (!s_grants (el, 1, cfg.mh, 1003),
            "%s: node 3, which it does not follow, cannot make it stand aside", name);
    s_handover (el, 4, 4, 1, cfg.mh, 1004);
    CHECKF (!s_grants (el, 1, cfg.mh, 1005),
            "%s: nor can leader 4's word from an older epoch", name);
    s_handover (el, 4, 5, 1 + (1ull << 32), cfg.mh, 1006);
    CHECKF (!s_grants (el, 1, cfg.mh, 1007),
            "%s: nor a target that is not a member (2^32 + 1)", name);
    s_handover (el, 4, 5, 1, cfg.mh + 1, 1008);
    CHECKF (!s_grants (el, 1, cfg.mh, 1009), "%s: nor one with a foreign membership hash", name);
    s_handover (el, 4, 5, 1, cfg.mh, 1010);
    CHECKF (s_grants (el, 1, cfg.mh, 1011), "%s: leader 4 in epoch 5 can, for node 1", name);
    CHECKF (!s_grants (el, 3, cfg.mh, 1012), "%s: and for node 1 only", name);
    s_handover (el, 3, 5, 1, cfg.mh, 1013);
    CHECKF (s_grants (el, 1, cfg.mh, 1014) && !s_grants (el, 3, cfg.mh, 1015),
            "%s: and node 3 cannot overwrite leader 4's word", name);
    CHECKF (zc_election_role (el) == ZC_ROLE_BACKUP && zc_election_leader (el) == 4
            && zc_election_epoch (el) == 5, "%s: a notice changes no state", name);
    zc_election_destroy (&el);
}

int
main (void)
{
    double start = sim_seconds ();
    test_leader_retires ();
    test_lower_backup_has_log ();
    test_nobody_reachable ();
    test_waits_for_highest ();
    test_deadline_as_backup ();
    test_exit_at_once ();
    test_stand_aside ();
    printf ("  fixed schedules %.2f s\n", sim_seconds () - start);
    packet_pool_destroy ();
    return check_report ("test_sim_retire");
}
