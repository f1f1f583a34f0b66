/*  test_sim_log.c — fixed schedules for the log across leaders, on the
    simulated cluster over the shipped core (tests/sim/cluster.h; the
    invariants are test_sim.c's R1..R7, checked all along).

    (a) Raft's Figure 8 (docs/ELECTION.md); (b) a backup far behind catches
    up; (c) a new leader lacking committed entries fetches them first; (d)
    hand-over to a returning higher node; (e) full cluster restart from
    disk; (f) installing an epoch drops a stale tail; (g) the commit floor;
    (h) a backup behind the leader's retired entries: snapshot.
    docs/ELECTION.md ("The log across leaders") tells why they matter.
    ZC_SIM_TRACE=1 prints their traces even when they pass.
*/
#include "sim/cluster.h"
#include "numparse.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  (a) Raft's Figure 8 (docs/ELECTION.md, "Why the log epoch, not the last
//  entry's epoch"): leader 3 writes seq 2 alone and dies; leader 2 writes a
//  different seq 2 alone and dies; 3 returns.  By the last-entry rule 3 would copy its seq 2 to node 1, commit and publish
//  it, die, and 2 (whose last entry has the higher epoch) would return and
//  overwrite it.  By log epochs, node 1 (which installed epoch e2) beats 3.
static void
test_figure8 (void)
{
    const char *name = "figure 8";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 8001, 4);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    uint64_t e1 = sim_epoch (sim, 3);
    CHECKF (sim_post_acked (sim, 0, 1000), "%s: seq 1 acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: seq 1 everywhere", name);

    //  Leader 3 writes seq 2 alone and dies
    drop_rule_t rule3 = { 3, 0, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule3);
    sim_post (sim, 1, 3);
    sim_run_for (sim, 100);
    CHECKF (sim_last (sim, 3) == 2 && sim_holds (sim, 3, 2, 1, 1) && sim_last (sim, 1) == 1
            && sim_last (sim, 2) == 1, "%s: node 3 alone holds seq 2", name);
    sim_crash (sim, 3);
    sim_run_for (sim, 60);          //  what it sent has arrived
    sim_filter (sim, NULL);

    //  Leader 2 writes a different seq 2 alone (node 1 installs its epoch) and dies
    drop_rule_t rule2 = { 2, 0, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule2);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves", name);
    uint64_t e2 = sim_epoch (sim, 2);
    sim_run_for (sim, 200);
    CHECKF (e2 > e1 && sim_log_epoch (sim, 1) == e2, "%s: node 1 installed epoch %llu (has %llu)",
            name, (unsigned long long) e2, (unsigned long long) sim_log_epoch (sim, 1));
    sim_post (sim, 2, 2);
    sim_run_for (sim, 100);
    CHECKF (sim_last (sim, 2) == 2 && sim_holds (sim, 2, 2, 2, 1) && sim_last (sim, 1) == 1,
            "%s: node 2 alone holds another seq 2", name);
    sim_crash (sim, 2);
    sim_run_for (sim, 60);
    sim_filter (sim, NULL);

    //  3 returns: node 1's log (log epoch e2) beats its longer one (e1), so
    //  nothing of node 3's seq 2 is copied, committed or published.  It
    //  serves a while, and dies.
    sim_start (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves, &three, 3000), "%s: node 3 serves again", name);
    uint64_t e3 = sim_epoch (sim, 3);
    CHECKF (sim_last (sim, 3) == 1, "%s: node 3 dropped its seq 2 in the view change (log 1..%llu)",
            name, (unsigned long long) sim_last (sim, 3));
    sim_run_for (sim, 500);
    CHECKF (sim_last (sim, 1) == 1 && sim_log_epoch (sim, 1) == e3,
            "%s: node 1 installed epoch %llu with log 1..1 (has %llu, 1..%llu)", name,
            (unsigned long long) e3, (unsigned long long) sim_log_epoch (sim, 1),
            (unsigned long long) sim_last (sim, 1));
    sim_crash (sim, 3);
    sim_run_for (sim, 60);

    //  2 returns: node 1 (log epoch e3) beats its seq 2 (epoch e2)
    sim_start (sim, 2);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves again", name);
    CHECKF (sim_last (sim, 2) == 1, "%s: node 2 dropped its seq 2 in the view change (log 1..%llu)",
            name, (unsigned long long) sim_last (sim, 2));
    uint64_t id = sim_post (sim, 0, 2);
    CHECKF (sim_run_until_pred (sim, p_client_idle, &(unsigned) { 0 }, 1000),
            "%s: node 2 acknowledges a new message", name);
    CHECKF (sim_holds (sim, 2, 2, 0, id) && sim_holds (sim, 1, 2, 0, id),
            "%s: it is seq 2 on nodes 1 and 2", name);
    sim_start (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 5000), "%s: node 3 leads at last",
            name);
    CHECKF (sim_post_acked (sim, 1, 1000) && sim_post_acked (sim, 2, 1000),
            "%s: clients 1 and 2 resend and are acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: logs converge", name);
    CHECKF (sim_holds (sim, 3, 2, 0, id), "%s: seq 2 is still the published message", name);
    SIM_FIXED_END (sim, name, failed_before);
}

//  (b) A backup far behind (it was down) catches up after a restart
static void
test_backup_behind (void)
{
    const char *name = "backup far behind catches up";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 8002, 4);
    uint32_t three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (sim_post_many (sim, 5), "%s: 5 messages acknowledged", name);
    sim_crash (sim, 1);
    CHECKF (sim_post_many (sim, 60), "%s: 60 more acknowledged without node 1", name);
    sim_start (sim, 1);
    uint64_t started = sim->now;
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 3000),
            "%s: node 1 holds all 65 (log 1..%llu)", name, (unsigned long long) sim_last (sim, 1));
    printf ("  %s: 60 entries in batches of 4 in %llu ms\n", name,
            (unsigned long long) (sim->now - started));
    SIM_FIXED_END (sim, name, failed_before);
}

//  (c) The new leader is a node that missed the committed entries (it was
//  slow): it must fetch them from the best log before it serves
static void
test_leader_behind (void)
{
    const char *name = "new leader fetches committed entries";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 8003, 4);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    drop_rule_t slow = { 3, 2, ZC_APPEND, false, 0 };
    sim_filter (sim, &slow);
    CHECKF (sim_post_many (sim, 30), "%s: 30 acknowledged with node 1", name);
    CHECKF (sim_last (sim, 2) == 0 && sim_last (sim, 1) == 30, "%s: node 2 holds none of them", name);
    sim_crash (sim, 3);
    sim_filter (sim, NULL);
    uint64_t fetches = sim->fetches, crashed = sim->now;
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 1500), "%s: node 2 serves", name);
    CHECKF (sim->fetches == fetches + 1 && sim->stuck == 0 && sim_last (sim, 2) == 30,
            "%s: after fetching them in its first view change (log 1..%llu, %llu view changes "
            "stuck)", name, (unsigned long long) sim_last (sim, 2), (unsigned long long) sim->stuck);
    printf ("  %s: node 2 serves %llu ms after the leader's crash\n", name,
            (unsigned long long) (sim->now - crashed));
    CHECKF (sim_post_many (sim, 3), "%s: and takes new messages", name);
    CHECKF (sim_holds (sim, 1, 31, 0, 11), "%s: at seq 31", name);
    sim_start (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 5000), "%s: node 3 leads again", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 2000), "%s: logs converge", name);
    SIM_FIXED_END (sim, name, failed_before);
}

//  (d) Hand-over to a returning higher node, with clients sending all the
//  while; the returning node holds a stale tail of its own
static void
test_handover (void)
{
    const char *name = "hand-over with a stale tail";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 8004, 3);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (sim_post_many (sim, 6), "%s: 6 acknowledged", name);
    drop_rule_t rule3 = { 3, 0, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule3);
    for (unsigned c = 0; c < sim->client_count; c++)
        sim_post (sim, c, 3);
    sim_run_for (sim, 100);
    CHECKF (sim_last (sim, 3) == 9 && sim_last (sim, 2) == 6, "%s: node 3 alone holds 7..9", name);
    sim_crash (sim, 3);
    sim_filter (sim, NULL);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves", name);
    uint64_t e2 = sim_epoch (sim, 2);
    sim_clients_on (sim, true);
    sim_run_for (sim, 1500);
    uint64_t acks = sim->acks;
    sim_start (sim, 3);
    uint64_t started = sim->now;
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 5000), "%s: node 3 leads", name);
    CHECKF (sim_epoch (sim, 3) == e2 + 1, "%s: in the next epoch (%llu, not %llu)", name,
            (unsigned long long) e2 + 1, (unsigned long long) sim_epoch (sim, 3));
    printf ("  %s: node 3 leads %llu ms after its restart\n", name,
            (unsigned long long) (sim->now - started));
    sim_run_for (sim, 1500);
    sim->clients_on = false;
    CHECKF (sim_run_until_pred (sim, p_clients_idle, NULL, 2000), "%s: all acknowledged", name);
    CHECKF (sim->acks > acks + 10, "%s: clients went on (%llu acknowledgements)", name,
            (unsigned long long) (sim->acks - acks));
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: logs converge", name);
    SIM_FIXED_END (sim, name, failed_before);
}

//  (e) The whole cluster crashes and restarts from its disks
static void
test_full_restart (void)
{
    const char *name = "full cluster restart";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 8005, 8);
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
    CHECKF (sim_last (sim, 1) >= committed && sim_last (sim, 2) >= committed
            && sim_last (sim, 3) >= committed, "%s: every node holds the %zu entries", name,
            committed);
    CHECKF (sim_post_many (sim, 3), "%s: new messages acknowledged", name);
    CHECKF (sim->committed_count == committed + 3 && sim->last_ts > last_ts,
            "%s: after the old ones, with later ts", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: logs converge", name);
    SIM_FIXED_END (sim, name, failed_before);
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
    sim_t *sim = sim_fixed_new (3, 2, 8006, 4);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (sim_post_many (sim, 2), "%s: seq 1..2 acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: everywhere", name);
    drop_rule_t rule3 = { 3, 0, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule3);
    for (unsigned c = 0; c < sim->client_count; c++)
        sim_post (sim, c, 3);
    sim_run_for (sim, 100);
    CHECKF (sim_last (sim, 3) == 5 && sim_last (sim, 1) == 2, "%s: node 3 alone holds 3..5", name);
    sim_crash (sim, 3);
    sim_run_for (sim, 60);
    sim_filter (sim, NULL);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves", name);
    uint64_t e2 = sim_epoch (sim, 2);

    drop_rule_t rule2 = { 2, 3, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule2);
    sim_start (sim, 3);
    sim_run_for (sim, 500);
    CHECKF (sim_log_epoch (sim, 3) == e2 && sim_last (sim, 3) == 2,
            "%s: node 3 installed epoch %llu with log 1..2 (has %llu, 1..%llu)", name,
            (unsigned long long) e2, (unsigned long long) sim_log_epoch (sim, 3),
            (unsigned long long) sim_last (sim, 3));
    CHECKF (sim_post_acked (sim, 0, 1000) && sim_post_acked (sim, 1, 1000),
            "%s: clients 0 and 1 resend to node 2, acknowledged", name);
    CHECKF (sim_last (sim, 1) == 4 && sim_last (sim, 3) == 2, "%s: at seq 3..4, not on node 3", name);
    sim_crash (sim, 2);
    sim_run_for (sim, 60);
    sim_filter (sim, NULL);
    CHECKF (sim_run_until_pred (sim, p_serves, &three, 3000), "%s: node 3 serves", name);
    CHECKF (sim_holds (sim, 3, 3, 0, 2) && sim_holds (sim, 3, 4, 1, 2),
            "%s: with node 1's seq 3..4", name);
    sim_start (sim, 2);
    CHECKF (sim_post_acked (sim, 2, 1000), "%s: client 2 resends, acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 2000), "%s: logs converge", name);
    SIM_FIXED_END (sim, name, failed_before);
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
    sim_t *sim = sim_fixed_new (3, 2, 8007, 1);
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (sim_post_many (sim, 1), "%s: seq 1 acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 1000), "%s: everywhere", name);
    sim_crash (sim, 3);
    sim_run_for (sim, 60);

    //  Node 2 (e2) writes seq 2..3 alone; node 1 installs e2 with seq 1
    drop_rule_t rule2 = { 2, 0, ZC_APPEND, true, 0 };
    sim_filter (sim, &rule2);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves", name);
    uint64_t e2 = sim_epoch (sim, 2);
    sim_post (sim, 1, 2);
    sim_post (sim, 2, 2);
    sim_run_for (sim, 200);
    CHECKF (sim_last (sim, 2) == 3 && sim_last (sim, 1) == 1 && sim_log_epoch (sim, 1) == e2,
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
    uint64_t e3 = sim_epoch (sim, 3);
    CHECKF (sim_log_epoch (sim, 3) == e3 && sim_last (sim, 3) == 1 && sim_log_epoch (sim, 1) == e2,
            "%s: node 3 holds seq 1 in log epoch %llu", name, (unsigned long long) e3);
    sim_crash (sim, 3);
    sim_run_for (sim, 60);

    //  Node 2 (e4) starts from its own log, 1..3; node 1 gets seq 2, never 3
    drop_rule_t rule2b = { 2, 0, ZC_APPEND, true, 3 };
    sim_filter (sim, &rule2b);
    sim_start (sim, 2);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 3000), "%s: node 2 serves again", name);
    sim_run_for (sim, 500);
    CHECKF (sim_last (sim, 1) == 2 && sim_holds (sim, 1, 2, 1, 1) && zc_replica_commit (sim->nodes [2].rep) < 2,
            "%s: node 1 holds seq 2, which is not committed (commit %llu)", name,
            (unsigned long long) zc_replica_commit (sim->nodes [2].rep));
    sim_crash (sim, 2);
    sim_run_for (sim, 60);
    sim_filter (sim, NULL);

    //  Node 3's log (log epoch e3) beats node 1's (e2): seq 2 goes
    sim_start (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves, &three, 3000), "%s: node 3 serves again", name);
    sim_run_for (sim, 300);
    CHECKF (sim_last (sim, 1) == 1, "%s: node 1 dropped seq 2", name);
    sim_start (sim, 2);
    CHECKF (sim_post_acked (sim, 1, 1000) && sim_post_acked (sim, 2, 1000),
            "%s: clients 1 and 2 resend, acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 2000), "%s: logs converge", name);
    SIM_FIXED_END (sim, name, failed_before);
}

//  (h) Retention with a backup down (PROTOCOL.md §5.8): the leader retires
//  past what node 2 holds, node 2 comes back and is caught up by the
//  leader's snapshot, then the leader dies and node 2 leads: nothing
//  committed is lost (R1, R2 all along; retired entries count as held)
static void
test_snapshot_catch_up (void)
{
    const char *name = "snapshot catch-up past retention";
    int failed_before = s_failed;
    sim_t *sim = sim_fixed_new (3, 2, 8008, 4);
    sim->retain_keep = 8;
    uint32_t two = 2, three = 3;
    sim_start_all (sim);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 3000), "%s: node 3 leads", name);
    CHECKF (sim_post_many (sim, 5), "%s: 5 messages acknowledged", name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 3000), "%s: 5 everywhere", name);
    sim_crash (sim, 2);
    CHECKF (sim_post_many (sim, 60), "%s: 60 more acknowledged without node 2", name);
    sim_run_for (sim, 11000);           //  a retention pass (every 10 s)
    uint64_t first = zc_chatlog_first_seq (sim->nodes [3].log);
    CHECKF (first > 6, "%s: the leader retired past node 2's log (its log starts at %llu)", name,
            (unsigned long long) first);
    sim_start (sim, 2);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 5000),
            "%s: node 2 caught up (log ..%llu)", name, (unsigned long long) sim_last (sim, 2));
    CHECKF (zc_replica_snapshots (sim->nodes [2].rep) == 1
            && zc_chatlog_first_seq (sim->nodes [2].log) == first,
            "%s: by one snapshot (installed %llu, log from %llu)", name,
            (unsigned long long) zc_replica_snapshots (sim->nodes [2].rep),
            (unsigned long long) zc_chatlog_first_seq (sim->nodes [2].log));
    sim_crash (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_serves, &two, 5000), "%s: node 2 serves", name);
    CHECKF (sim_post_many (sim, 10), "%s: 10 more acknowledged by node 2", name);
    sim_start (sim, 3);
    CHECKF (sim_run_until_pred (sim, p_converged_to, &three, 8000), "%s: node 3 leads again",
            name);
    CHECKF (sim_run_until_pred (sim, p_logs_converged, &three, 3000), "%s: logs converge", name);
    SIM_FIXED_END (sim, name, failed_before);
}

int
main (void)
{
    double start = sim_seconds ();
    test_figure8 ();
    test_backup_behind ();
    test_leader_behind ();
    test_handover ();
    test_full_restart ();
    test_install_drops_tail ();
    test_commit_floor ();
    test_snapshot_catch_up ();
    printf ("  fixed schedules %.2f s\n", sim_seconds () - start);
    packet_pool_destroy ();
    return check_report ("test_sim_log");
}
