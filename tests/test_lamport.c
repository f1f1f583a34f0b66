/*  test_lamport.c — the Lamport rules of docs/DESIGN.md §7: tick, stamp, observe;
    ts rises strictly with seq, across a failover too; the clock never runs
    backwards; a client's ts moves the clock by at most ZC_LAMPORT_MAX_AHEAD
    (one POST with ts = 2^53 - 1 used to lock every honest client out).
*/
#include "wire.h"
#include "lamport.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

static uint64_t s_rng = 88172645463325252ull;
static uint64_t
s_rand (void)
{
    return xorshift64 (&s_rng);
}

static void
test_basic (void)
{
    zc_lamport_t c = { 0 };
    CHECKF (zc_lamport_tick (&c) == 1 && c.time == 1, "tick from 0");
    CHECKF (zc_lamport_tick (&c) == 2 && c.time == 2, "tick again");

    //  stamp = max (clock, ts) + 1
    c.time = 10;
    CHECKF (zc_lamport_stamp (&c, 3) == 11 && c.time == 11, "stamp of an older ts");
    CHECKF (zc_lamport_stamp (&c, 11) == 12 && c.time == 12, "stamp of an equal ts");
    CHECKF (zc_lamport_stamp (&c, 40) == 41 && c.time == 41, "stamp of a newer ts");
    CHECKF (zc_lamport_stamp (&c, 0) == 42, "stamp of ts 0");

    //  observe = max (clock, ts), no +1
    c.time = 10;
    zc_lamport_observe (&c, 5);
    CHECKF (c.time == 10, "observe an older ts: unchanged");
    zc_lamport_observe (&c, 10);
    CHECKF (c.time == 10, "observe an equal ts: unchanged");
    zc_lamport_observe (&c, 25);
    CHECKF (c.time == 25, "observe a newer ts: no +1");
}

//  A client that has delivered message m sends with a ts above m's, and
//  the leader stamps it above both
static void
test_causality (void)
{
    zc_lamport_t leader = { 0 }, alice = { 0 }, bob = { 0 };
    uint64_t ts_a = zc_lamport_tick (&alice);
    uint64_t m1 = zc_lamport_stamp (&leader, ts_a);
    zc_lamport_observe (&alice, m1);
    zc_lamport_observe (&bob, m1);
    uint64_t ts_b = zc_lamport_tick (&bob);
    CHECKF (ts_b > m1, "bob's reply is after what he read (%llu > %llu)",
            (unsigned long long) ts_b, (unsigned long long) m1);
    uint64_t m2 = zc_lamport_stamp (&leader, ts_b);
    CHECKF (m2 > m1 && m2 > ts_b, "stamp above the send ts and the previous entry");

    //  A client whose clock raced ahead still gets a stamp above its ts
    alice.time = 1000;
    uint64_t ts_far = zc_lamport_tick (&alice);
    uint64_t m3 = zc_lamport_stamp (&leader, ts_far);
    CHECKF (m3 == 1002 && m3 > m2, "stamp follows a fast client");
    //  ... and then a slow client is stamped above that, not at its own ts
    uint64_t m4 = zc_lamport_stamp (&leader, zc_lamport_tick (&bob));
    CHECKF (m4 > m3, "a slow client is stamped after a fast one");
}

//  A new leader replays its log (observe) and stamps above every ts in it
static void
test_failover (void)
{
    zc_lamport_t old_leader = { 0 }, backup = { 0 }, client = { 5 };
    uint64_t last = 0;
    for (int seq = 1; seq <= 50; seq++) {
        last = zc_lamport_stamp (&old_leader, zc_lamport_tick (&client) + (uint64_t) (seq % 3) * 7);
        zc_lamport_observe (&backup, last);
    }
    CHECKF (backup.time == last, "backup holds the last ts it replicated");
    uint64_t next = zc_lamport_stamp (&backup, 1);
    CHECKF (next > last, "first stamp of the new leader above its log");

    //  A restarted node with an empty clock rebuilt from its log
    zc_lamport_t restarted = { 0 };
    zc_lamport_observe (&restarted, last);
    zc_lamport_observe (&restarted, 3);
    CHECKF (zc_lamport_stamp (&restarted, 0) > last, "rebuilt clock stamps above the log");
}

//  Random interleavings: the clock never goes back, stamps rise strictly
//  with seq, each stamp is above the ts it was given
static void
test_random (void)
{
    enum { CLIENTS = 5 };
    zc_lamport_t leader = { 0 }, clients [CLIENTS] = { { 0 } };
    uint64_t prev_stamp = 0;
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        int who = (int) (s_rand () % CLIENTS);
        uint64_t before = clients [who].time, lb = leader.time;
        switch (s_rand () % 4) {
            case 0: {       //  a client sends, the leader stamps, all observe
                uint64_t ts = zc_lamport_tick (&clients [who]);
                bad += ts != before + 1;
                uint64_t stamp = zc_lamport_stamp (&leader, ts);
                bad += stamp <= ts || stamp <= prev_stamp || stamp <= lb;
                prev_stamp = stamp;
                for (int k = 0; k < CLIENTS; k++) {
                    uint64_t t = clients [k].time;
                    zc_lamport_observe (&clients [k], stamp);
                    bad += clients [k].time < t || clients [k].time < stamp;
                }
                break;
            }
            case 1:         //  a stale or duplicate ts is observed
                zc_lamport_observe (&clients [who], s_rand () % (before + 1));
                bad += clients [who].time != before;
                break;
            case 2:         //  a client jumps ahead (another cluster, a bug)
                zc_lamport_observe (&clients [who], before + s_rand () % 100);
                bad += clients [who].time < before;
                break;
            default:        //  local events
                zc_lamport_tick (&clients [who]);
                bad += clients [who].time != before + 1;
        }
        bad += leader.time < lb;
    }
    CHECKF (bad == 0, "%d rule violations in random interleavings", bad);
}

//  A poisoned ts advances the clock by the bound only; honest clients
//  then post as before, far below 2^53
static void
test_poison (void)
{
    zc_lamport_t leader = { 100 }, honest = { 90 };
    uint64_t stamp = zc_lamport_stamp (&leader, ZC_MAX_TS - 1);
    CHECKF (stamp == 100 + ZC_LAMPORT_MAX_AHEAD + 1, "poisoned stamp %llu",
            (unsigned long long) stamp);
    //  Just inside the bound still counts in full
    uint64_t near = leader.time + ZC_LAMPORT_MAX_AHEAD;
    CHECKF (zc_lamport_stamp (&leader, near) == near + 1, "a ts at the bound is followed");
    //  Many poisoned posts: the clock moves by the bound each, no more
    uint64_t before = leader.time;
    for (int i = 0; i < 1000; i++)
        zc_lamport_stamp (&leader, UINT64_MAX);
    CHECKF (leader.time == before + 1000 * (ZC_LAMPORT_MAX_AHEAD + 1), "1000 poisoned stamps");
    CHECKF (leader.time < ZC_MAX_TS / 1000, "the clock stays far from 2^53");
    uint64_t ts = zc_lamport_tick (&honest);
    uint64_t next = zc_lamport_stamp (&leader, ts);
    CHECKF (next > ts && next < ZC_MAX_TS, "an honest client is stamped in range");
    //  And a clock at the very top never wraps
    zc_lamport_t top = { UINT64_MAX - 5 };
    CHECKF (zc_lamport_stamp (&top, 3) == UINT64_MAX - 4, "no wrap near the top");
}

int
main (void)
{
    test_poison ();
    test_basic ();
    test_causality ();
    test_failover ();
    test_random ();
    return check_report ("test_lamport");
}
