/*  test_chaos_pure.c — the chaos harness's pure parts: the seeded fault
    schedule (src/chaos/schedule.c), the per-fault detection and
    election times read from the nodes' log lines (src/chaos/timing.c),
    and the comparison of the nodes' logs at the end (src/chaos/logimage.c).

    The schedules of the ten original kinds are pinned by hashes taken
    before term-leader and return-higher existed: a seed in an old report
    must still replay the same faults.
*/
#include "chaos.h"
#include "testutil.h"

#include <inttypes.h>
#include <string.h>

#define N 300

//  FNV-1a over every number of a schedule
static uint64_t
s_hash (const zc_fault_t *f, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        uint64_t v [] = { f [i].kind, f [i].pick, f [i].hold_ms, f [i].gap_ms,
                          f [i].param, f [i].param2 };
        for (int j = 0; j < 6; j++) {
            h ^= v [j];
            h *= 1099511628211ull;
        }
    }
    return h;
}

static void
test_old_schedules_unchanged (void)
{
    static const struct { uint64_t seed; uint32_t mask; uint64_t hash; } pinned [] = {
        { 20261127, 0x3ff, 0x84b657c668b45a70ull }, { 20261127, 0x1, 0x32e60bc29af62792ull },
        { 20261127, 0xc1, 0x149726013613d680ull },  { 20261127, 0x23f, 0x443a07abc869f61dull },
        { 4242, 0x3ff, 0xaccb3d69e044e767ull },     { 4242, 0x1, 0x7f12ae1dc425a777ull },
        { 4242, 0xc1, 0x5de7176c450c6ca2ull },      { 4242, 0x23f, 0xa2bb102373ec2acfull },
        { 1, 0x3ff, 0x6f76b62b6a8114c9ull },        { 1, 0x1, 0xaddd5122954427cbull },
        { 1, 0xc1, 0x710b3102c47a5593ull },         { 1, 0x23f, 0x96ff2e70903fb499ull },
    };
    static zc_fault_t f [N];
    CHECKF (ZC_F_ALL == 0x3ff, "all = the ten original kinds, is %#x", ZC_F_ALL);
    for (size_t i = 0; i < sizeof (pinned) / sizeof (pinned [0]); i++) {
        size_t n = zc_schedule_make (pinned [i].seed, pinned [i].mask, f, N);
        uint64_t h = s_hash (f, n);
        CHECKF (n == N && h == pinned [i].hash, "seed %" PRIu64 " mask %#x: hash %#" PRIx64,
                pinned [i].seed, pinned [i].mask, h);
    }
}

static void
test_names (void)
{
    uint32_t mask;
    CHECK (zc_fault_mask ("all", &mask) == 0 && mask == ZC_F_ALL);
    CHECK (!(mask & (1u << ZC_F_TERM_LEADER)) && !(mask & (1u << ZC_F_RETURN_HIGHER)));
    CHECK (zc_fault_mask ("term-leader,return-higher", &mask) == 0
           && mask == ((1u << ZC_F_TERM_LEADER) | (1u << ZC_F_RETURN_HIGHER)));
    CHECK (zc_fault_mask ("all,term-leader", &mask) == 0
           && mask == (ZC_F_ALL | (1u << ZC_F_TERM_LEADER)));
    CHECK (zc_fault_mask ("term-leaders", &mask) == -1);
    char list [200];
    zc_fault_list ((1u << ZC_F_KILL_LEADER) | (1u << ZC_F_RETURN_HIGHER), list, sizeof (list));
    CHECKF (strcmp (list, "kill-leader,return-higher") == 0, "list: %s", list);
    zc_fault_list (ZC_F_EVERY, list, sizeof (list));
    CHECK (zc_fault_mask (list, &mask) == 0 && mask == ZC_F_EVERY);
    CHECK (strcmp (zc_fault_name (ZC_F_TERM_LEADER), "term-leader") == 0);
    CHECK (strcmp (zc_fault_name (ZC_F_RETURN_HIGHER), "return-higher") == 0);
    CHECK (strcmp (zc_fault_name (ZC_F_CPU_HOG), "cpu-hog") == 0);
    CHECK (zc_fault_mask ("all", &mask) == 0 && !(mask & (1u << ZC_F_CPU_HOG)));
    CHECK (zc_fault_mask ("all,cpu-hog", &mask) == 0
           && mask == (ZC_F_ALL | (1u << ZC_F_CPU_HOG)));
}

static void
test_new_kinds_drawn (void)
{
    static zc_fault_t a [N], b [N];
    uint32_t mask = (1u << ZC_F_KILL_LEADER) | (1u << ZC_F_TERM_LEADER)
                  | (1u << ZC_F_RETURN_HIGHER);
    for (uint64_t seed = 1; seed <= 50; seed++) {
        size_t n = zc_schedule_make (seed, mask, a, N);
        CHECK (n == N && zc_schedule_make (seed, mask, b, N) == N
               && memcmp (a, b, sizeof (a)) == 0);
        //  Every kind once first
        uint32_t first = 0;
        for (int i = 0; i < 3; i++)
            first |= 1u << a [i].kind;
        CHECKF (first == mask, "seed %" PRIu64 ": first three %#x", seed, first);
        size_t count [ZC_F_KINDS] = { 0 };
        for (size_t i = 0; i < n; i++) {
            count [a [i].kind]++;
            CHECK ((1u << a [i].kind) & mask);
            CHECK (a [i].gap_ms >= 500 && a [i].gap_ms <= 2000);
            if (a [i].kind == ZC_F_TERM_LEADER)
                CHECK (a [i].hold_ms >= 300 && a [i].hold_ms <= 3000);
            if (a [i].kind == ZC_F_RETURN_HIGHER)
                CHECK (a [i].hold_ms >= 500 && a [i].hold_ms <= 3000);
        }
        CHECK (count [ZC_F_TERM_LEADER] > 50 && count [ZC_F_RETURN_HIGHER] > 50);
    }
}

static zc_logline_t
s_line (int64_t t, uint32_t node, const char *text)
{
    zc_logline_t l = { .t = t, .node = node };
    snprintf (l.text, sizeof (l.text), "%s", text);
    return l;
}

static void
test_timing_failover (void)
{
    //  Leader 3 killed at 1000; both backups notice, 2 wins; 3 returns
    //  and takes over at 4100; the window closes at 4500
    zc_logline_t lines [] = {
        s_line (500, 2, "[ELECTION] node 2: lost the connection to leader 3"),   //  before
        s_line (1003, 1, "[ELECTION] node 1: leader 3 missed heartbeats"),
        s_line (1004, 2, "[ELECTION] node 2: lost the connection to leader 3"),
        s_line (1006, 2, "[ELECTION] node 2: no higher node answered, asking for votes (epoch 4)"),
        s_line (1009, 2, "[ELECTION] node 2: I am the leader (epoch 4)"),
        s_line (1009, 2, "[NODE] node 2: leader, leader 2, epoch 4, serving"),
        s_line (4100, 2, "[ELECTION] node 2: node 3 is back and higher, handing over"),
        s_line (4104, 3, "[ELECTION] node 3: I am the leader (epoch 5)"),
        s_line (9000, 1, "[ELECTION] node 1: I am the leader (epoch 6)"),        //  stray
    };
    size_t n = sizeof (lines) / sizeof (lines [0]);
    zc_fault_run_t run = { .f = { .kind = ZC_F_KILL_LEADER }, .t_begin = 1000,
                           .t_inject = 1000, .t_settled = 4500, .old_leader = 3,
                           .old_epoch = 3, .struck_leader = true };
    zc_fault_timing_t t;
    zc_fault_timing (lines, n, &run, &t);
    CHECKF (t.detect_ms == 3, "detection %" PRId64, t.detect_ms);
    CHECKF (t.elect_ms == 9 && t.new_leader == 2, "election %" PRId64 " by %u",
            t.elect_ms, t.new_leader);
    CHECK (t.outage_from == 1000 && t.elections == 2);
    CHECK (zc_elections_outside (lines, n, &run, 1) == 1);

    //  A leader lost to someone else is no detection of this fault
    run.old_leader = 5;
    zc_fault_timing (lines, n, &run, &t);
    CHECK (t.detect_ms == -1 && t.elect_ms == 9);

    //  A backup fault: no detection, no election measured
    run = (zc_fault_run_t) { .f = { .kind = ZC_F_KILL_BACKUP }, .t_begin = 1000,
                             .t_inject = 1000, .t_settled = 4500, .old_leader = 3 };
    zc_fault_timing (lines, n, &run, &t);
    CHECK (t.detect_ms == -1 && t.elect_ms == -1 && t.outage_from == 1000);
}

static void
test_timing_handover (void)
{
    //  Node 3 stopped at 100 (2 elected), back at 2000; 2 hands over at
    //  4150, 3 elected at 4153
    zc_logline_t lines [] = {
        s_line (103, 2, "[ELECTION] node 2: lost the connection to leader 3"),
        s_line (106, 2, "[ELECTION] node 2: I am the leader (epoch 8)"),
        s_line (4150, 2, "[ELECTION] node 2: node 3 is back and higher, handing over"),
        s_line (4151, 3, "[ELECTION] node 3: leader 2 hands over to me"),
        s_line (4153, 3, "[ELECTION] node 3: I am the leader (epoch 9)"),
    };
    size_t n = sizeof (lines) / sizeof (lines [0]);
    zc_fault_run_t run = { .f = { .kind = ZC_F_RETURN_HIGHER }, .t_begin = 100,
                           .t_inject = 2000, .t_settled = 4600, .old_leader = 2,
                           .old_epoch = 8, .struck_leader = true };
    zc_fault_timing_t t;
    zc_fault_timing (lines, n, &run, &t);
    CHECKF (t.detect_ms == 2150 && t.elect_ms == 2153 && t.new_leader == 3,
            "detection %" PRId64 ", election %" PRId64 " by %u", t.detect_ms, t.elect_ms,
            t.new_leader);
    CHECK (t.outage_from == 4150 && t.elections == 2);
    CHECK (zc_elections_outside (lines, n, &run, 1) == 0);

    //  No hand-over seen: nothing to measure the outage from
    zc_fault_timing (lines, 2, &run, &t);
    CHECK (t.outage_from == -1 && t.detect_ms == -1 && t.elect_ms == -1);
}

//  The nodes' logs at the end of a run (logimage.c): compared on the seqs
//  both hold, up to the highest acknowledged seq
static void
s_image (zc_log_image_t *image, uint64_t first, uint64_t last, uint64_t odd)
{
    memset (image, 0, sizeof (*image));
    for (uint64_t seq = first; seq <= last; seq++) {
        char entry [32];
        int n = snprintf (entry, sizeof entry, "entry %" PRIu64 "%s", seq,
                          seq == odd ? " (other)" : "");
        zc_log_image_add (image, seq, (const uint8_t *) entry, (size_t) n);
    }
}

static void
test_log_images (void)
{
    zc_log_image_t a, b;
    uint64_t seq = 0;
    s_image (&a, 1, 50, 0);
    s_image (&b, 1, 50, 0);
    CHECK (!zc_log_images_differ (&a, &b, 50, &seq));
    zc_log_image_free (&b);
    s_image (&b, 1, 50, 17);
    CHECKF (zc_log_images_differ (&a, &b, 50, &seq) && seq == 17,
            "a different entry at seq 17 is found (%" PRIu64 ")", seq);
    CHECK (!zc_log_images_differ (&a, &b, 16, &seq));     //  17 is not committed
    zc_log_image_free (&b);
    s_image (&b, 1, 30, 0);                                 //  a backup behind
    CHECK (!zc_log_images_differ (&a, &b, 50, &seq));
    zc_log_image_free (&b);
    s_image (&b, 21, 50, 0);                                //  retention retired 1..20
    CHECK (!zc_log_images_differ (&a, &b, 50, &seq));
    zc_log_image_free (&b);
    s_image (&b, 21, 60, 45);                               //  retired, longer, one differs
    CHECKF (zc_log_images_differ (&a, &b, 100, &seq) && seq == 45,
            "retired prefix, differs at 45 (%" PRIu64 ")", seq);
    zc_log_image_free (&b);
    CHECK (!zc_log_images_differ (&a, &b, 50, &seq));     //  an empty log
    CHECK (zc_log_image_add (&a, 52, (const uint8_t *) "x", 1) == -1);   //  not contiguous
    zc_log_image_free (&a);
}

int
main (void)
{
    test_old_schedules_unchanged ();
    test_names ();
    test_new_kinds_drawn ();
    test_timing_failover ();
    test_timing_handover ();
    test_log_images ();
    return check_report ("test_chaos_pure");
}
