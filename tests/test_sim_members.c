/*  test_sim_members.c — membership changes (docs/ELECTION.md "Membership
    changes") on the simulated cluster over the shipped core
    (tests/sim/cluster.h).  Every invariant of test_sim.c is checked all
    along: one leader per epoch (R3), nothing acknowledged lost (R1), the
    log's order and counters (R2, R4); a configuration entry is checked
    as the leader's own entry, not a client's.

    1. Fixed: 3 nodes serve clients; node 4 starts with the new
       configuration as its --peers and is added: it leads after the
       hold-down.  Node 1 is removed and stopped.  Then the leader, node 4,
       is removed: it hands over first, the next leader writes the change.
    2. Random: the same changes under faults: a crash and restart of a
       random member during each change, a partition of one node, 3% of
       frames lost; then the network heals, and the cluster must serve and
       acknowledge every message again.
    ZC_SIM_TRACE=1 prints their traces even when they pass.
*/
#include "sim/cluster.h"
#include "members.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_CLIENT (SIM_CLIENTS - 1)      //  not one of the auto clients

//  The membership each node starts with: --peers as an operator gives it
static void
s_start_members (sim_t *sim, uint32_t id, const uint32_t *ids, size_t count)
{
    zc_core_config_t *ccfg = &sim->nodes [id].ccfg;
    ccfg->election.member_count = 0;
    for (size_t i = 0; i < count; i++)
        ccfg->election.members [ccfg->election.member_count++] = ids [i];
    ccfg->election.quorum = (uint32_t) count / 2 + 1;
    ccfg->election.mh = 0x5EED000000000000ull | (uint64_t) count << 8 | ccfg->election.quorum;
    ccfg->admin_open = true;
}

static void
s_admin_send (sim_t *sim, uint32_t to, const char *text)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ADMIN);
    zc_msg_set_cstr (&msg, ZF_TEXT, text);
    packet_t *packet = packet_make (ADMIN_CLIENT, to, PK_POST);
    packet->size = (uint16_t) zc_msg_encode (&msg, packet->frame, sizeof packet->frame);
    sim_launch (sim, packet);
    sim_trace (sim, "SIM admin: %s to node %u", text, to);
}

typedef struct {
    const char *want;       //  the committed ids, "2,3,4"
} s_want_t;

//  A serving node whose committed members are these
static bool
p_committed (sim_t *sim, void *arg)
{
    s_want_t *want = arg;
    uint32_t serving = sim_serving (sim);
    if (!serving)
        return false;
    zc_members_t members;
    zc_core_members_committed (sim->nodes [serving].core, &members);
    char ids [300];
    zc_members_ids (&members, ids, sizeof ids);
    return strcmp (ids, want->want) == 0;
}

//  Ask whoever serves, again every 300 ms (as chat-client admin does),
//  until the change is committed or the timeout passes
static bool
s_change (sim_t *sim, const char *text, const char *want, uint64_t timeout)
{
    s_want_t arg = { want };
    uint64_t until = sim->now + timeout;
    while (sim->now < until && !sim->failed) {
        uint32_t serving = sim_serving (sim);
        if (serving)
            s_admin_send (sim, serving, text);
        if (sim_run_until_pred (sim, p_committed, &arg, 300))
            return true;
    }
    return false;
}

static bool
p_serves_id (sim_t *sim, void *arg)
{
    uint32_t id = *(uint32_t *) arg;
    return sim_serving (sim) == id;
}

static void
test_fixed (void)
{
    int before = s_failed;
    sim_t *sim = sim_fixed_new (4, 2, 1, 64);
    uint32_t three [] = { 1, 2, 3 }, four [] = { 1, 2, 3, 4 };
    for (uint32_t id = 1; id <= 3; id++)
        s_start_members (sim, id, three, 3);
    s_start_members (sim, 4, four, 4);
    for (uint32_t id = 1; id <= 3; id++)
        sim_start (sim, id);
    uint32_t leader = 3;
    CHECK (sim_run_until_pred (sim, p_serves_id, &leader, 5000));
    sim_clients_on (sim, true);
    sim_run_for (sim, 500);
    sim_start (sim, 4);
    sim_run_for (sim, 300);
    CHECKF (sim_serving (sim) == 3, "node 4 alone disturbed nothing (serving: %u)",
            sim_serving (sim));
    uint64_t asked = sim->now;
    CHECKF (s_change (sim, "add 4:sim:1", "1,2,3,4", 5000), "node 4 was not added");
    uint64_t added = sim->now;
    leader = 4;
    CHECKF (sim_run_until_pred (sim, p_serves_id, &leader, 8000),
            "node 4 did not take the lead after the hold-down");
    uint64_t leads = sim->now;
    CHECKF (s_change (sim, "remove 1", "2,3,4", 5000), "node 1 was not removed");
    sim_crash (sim, 1);
    sim_run_for (sim, 500);
    CHECK (sim_serving (sim) == 4);
    //  The leader itself: it hands over first; the next one removes it
    uint64_t remove_asked = sim->now;
    CHECKF (s_change (sim, "remove 4", "2,3", 8000), "node 4 was not removed");
    uint64_t removed = sim->now;
    CHECKF (sim_serving (sim) == 3, "node 3 leads once 4 is out (serving: %u)",
            sim_serving (sim));
    sim_crash (sim, 4);
    sim_run_for (sim, 1000);
    sim_clients_on (sim, false);
    CHECKF (sim_run_until_pred (sim, p_clients_idle, NULL, 10000),
            "clients still wait for ACKs");
    CHECK (sim->acks > 20);
    printf ("test_sim_members: fixed: %llu ACKs; add 4 committed %llu ms after it was "
            "asked, node 4 serves %llu ms later (hold-down %u ms); removing leader 4 "
            "committed %llu ms after it was asked\n",
            (unsigned long long) sim->acks, (unsigned long long) (added - asked),
            (unsigned long long) (leads - added), T_HOLDDOWN,
            (unsigned long long) (removed - remove_asked));
    SIM_FIXED_END (sim, "membership, fixed", before);
}

//  One random schedule: the changes of test_fixed under faults
static bool
s_random (uint64_t seed, uint64_t *acks)
{
    int before = s_failed;
    sim_t *sim = sim_new (4, 2, seed, 64);
    uint32_t three [] = { 1, 2, 3 }, four [] = { 1, 2, 3, 4 };
    for (uint32_t id = 1; id <= 3; id++)
        s_start_members (sim, id, three, 3);
    s_start_members (sim, 4, four, 4);
    for (uint32_t id = 1; id <= 3; id++)
        sim_start (sim, id);
    sim_run_for (sim, 1500);
    sim_clients_on (sim, true);
    sim_start (sim, 4);
    sim_net (sim, 300, 500);
    prng_t rng = { seed * 7919 + 1 };
    //  add 4 while one member crashes and comes back
    uint32_t victim = (uint32_t) prng_range (&rng, 1, 4);
    uint32_t serving = sim_serving (sim);
    if (serving)
        s_admin_send (sim, serving, "add 4:sim:1");
    sim_run_for (sim, prng_range (&rng, 0, 400));
    sim_crash (sim, victim);
    sim_run_for (sim, prng_range (&rng, 100, 1500));
    sim_start (sim, victim);
    bool added = s_change (sim, "add 4:sim:1", "1,2,3,4", 15000);
    //  remove 1 while one node is cut off for a while
    uint32_t cut = (uint32_t) prng_range (&rng, 2, 4);
    serving = sim_serving (sim);
    if (serving)
        s_admin_send (sim, serving, "remove 1");
    sim_split (sim, 1u << cut);
    sim_run_for (sim, prng_range (&rng, 200, 2000));
    sim_heal (sim);
    bool removed = added && s_change (sim, "remove 1", "2,3,4", 15000);
    if (removed)
        sim_crash (sim, 1);
    //  quiet: the cluster serves and acknowledges everything again
    sim_net (sim, 0, 0);
    sim_run_for (sim, 3000);
    sim_clients_on (sim, false);
    bool idle = sim_run_until_pred (sim, p_clients_idle, NULL, 20000);
    *acks += sim->acks;
    bool ok = !sim->failed && added && removed && idle;
    if (!ok) {
        fprintf (stderr, "FAIL seed %llu: added %d removed %d idle %d %s\n",
                 (unsigned long long) seed, added, removed, idle,
                 sim->failed ? sim->failure : "");
        sim_dump (sim, "membership, random");
    }
    (void) before;
    sim_destroy (&sim);
    return ok;
}

int
main (int argc, char **argv)
{
    test_fixed ();
    uint64_t seeds = argc > 1 ? strtoull (argv [1], NULL, 10) : 200;
    uint64_t acks = 0, passed = 0;
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        bool ok = s_random (seed, &acks);
        CHECKF (ok, "random schedule %llu", (unsigned long long) seed);
        passed += ok;
    }
    printf ("test_sim_members: random: %llu of %llu schedules, %llu ACKs\n",
            (unsigned long long) passed, (unsigned long long) seeds,
            (unsigned long long) acks);
    packet_pool_destroy ();
    return check_report ("test_sim_members");
}
