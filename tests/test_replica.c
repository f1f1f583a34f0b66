/*  test_replica.c — one bare replica (zc_replica_t over a chat log), fed
    peer messages by hand: the replication window's bound, and the guards
    against forged or absurd peer messages (issue 9).  Whole nodes under
    faults are tests/test_sim.c's: the simulator over the shipped core.
*/
#include "chatlog.h"
#include "replica.h"
#include "replication.h"
#include "wire.h"
#include "testutil.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_FRAME       512
#define T_RETRY         100

//  (h) An APPEND always names a previous entry the leader holds.  A backup
//  that did not follow the leader yet refuses with its own log end, which
//  may lie past the leader's; the leader used to build the next APPEND
//  from there, with previous entry (seq past its log, epoch 0).  Delayed
//  past the leader's real entry at that seq (frames reorder), it made the
//  backup truncate committed entries (random seed 13820 of the simulator,
//  3 nodes, before the fix).
static void
test_replication_within_log (void)
{
    const char *name = "replication stays within the leader's log";
    uint32_t peers [] = { 2, 3 };
    zc_replication_t *repl = zc_replication_new (peers, 2, 2, T_RETRY);
    zc_replication_reset (repl, 5, 0);
    zc_replication_ack (repl, 2, false, 9, 10);
    uint64_t from = 0;
    bool due = zc_replication_due (repl, 2, 5, 10 + T_RETRY, &from);
    CHECKF (due && from == 6, "%s: the next APPEND to node 2 starts at %llu (log 1..5)", name,
            (unsigned long long) from);
    zc_replication_destroy (&repl);
}

//  ==========================================================================
//  Hostile input (issue 9, items 5 and 7): one bare replica, node 1 of
//  {1, 2, 3} (quorum 2), fed forged peer messages by hand.  Each attack
//  once worked; now the message is refused, counted in zc_replica_refused,
//  answered with nothing and changes nothing.

typedef struct {
    zc_chatlog_t *log;
    zc_replica_t *rep;
    zc_ractions_t out;
    uint8_t frames [8][SIM_FRAME];
    zc_blob_t blobs [8];
    size_t count;
    uint64_t now;
} bench_t;

static size_t
s_chat_encode (uint8_t *buf, size_t cap, uint64_t seq, uint64_t epoch)
{
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&chat, ZF_SEQ, seq);
    zc_msg_set_u64 (&chat, ZF_RSEQ, seq);
    zc_msg_set_u64 (&chat, ZF_TS, seq);
    zc_msg_set_cstr (&chat, ZF_ROOM, "general");
    zc_msg_set_cstr (&chat, ZF_FROM, "mallory");
    zc_msg_set_cstr (&chat, ZF_CLIENT, "c11e0000000000000000000000000001");
    zc_msg_set_u64 (&chat, ZF_ID, seq);
    zc_msg_set_cstr (&chat, ZF_TEXT, "hi");
    return zc_msg_encode (&chat, buf, cap);
}

//  A log of seq base+1..last in epoch, and base retired (epoch too).
static bench_t *
bench_new (uint64_t base, uint64_t last, uint64_t epoch, uint64_t log_epoch)
{
    bench_t *b = calloc (1, sizeof *b);
    assert (b);
    b->log = zc_chatlog_new ();
    if (base)
        zc_chatlog_set_base (b->log, base, epoch);
    for (uint64_t seq = base + 1; seq <= last; seq++) {
        uint8_t buf [SIM_FRAME];
        size_t size = s_chat_encode (buf, sizeof buf, seq, epoch);
        zc_msg_t chat;
        int rc = zc_msg_decode (&chat, buf, size, NULL);
        assert (rc == 0 && zc_chatlog_append (b->log, &chat, buf, size));
        (void) rc;
    }
    zc_replica_config_t cfg = {
        .self = 1, .peers = { 2, 3 }, .peer_count = 2, .quorum = 2, .mh = 1,
        .retry_ms = T_RETRY, .batch = 4
    };
    b->rep = zc_replica_new (&cfg, b->log, log_epoch);
    b->now = 1000;
    return b;
}

static void
bench_destroy (bench_t **b_p)
{
    zc_replica_destroy (&(*b_p)->rep);
    zc_chatlog_destroy (&(*b_p)->log);
    free (*b_p);
    *b_p = NULL;
}

static void
bench_entry (bench_t *b, uint64_t seq, uint64_t epoch)
{
    assert (b->count < 8);
    size_t size = s_chat_encode (b->frames [b->count], SIM_FRAME, seq, epoch);
    b->blobs [b->count] = (zc_blob_t) { b->frames [b->count], size };
    b->count++;
}

static zc_msg_t
bench_msg (zc_type_t type, uint32_t node, uint64_t epoch)
{
    zc_msg_t msg;
    zc_msg_init (&msg, type);
    zc_msg_set_u64 (&msg, ZF_NODE, node);
    zc_msg_set_u64 (&msg, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&msg, ZF_MH, 1);
    return msg;
}

static zc_msg_t
bench_append (uint32_t node, uint64_t epoch, uint64_t prev_seq, uint64_t prev_epoch,
              uint64_t commit, uint64_t last_seq, uint64_t start_seq)
{
    zc_msg_t msg = bench_msg (ZC_APPEND, node, epoch);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, prev_seq);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, prev_epoch);
    zc_msg_set_u64 (&msg, ZF_COMMIT, commit);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, last_seq);
    zc_msg_set_u64 (&msg, ZF_START_SEQ, start_seq);
    zc_msg_set_u64 (&msg, ZF_LT, 1);
    return msg;
}

//  Feed msg with the entries staged by bench_entry (then unstaged).
static void
bench_recv (bench_t *b, const zc_msg_t *msg)
{
    zc_ractions_clear (&b->out);
    b->now += 10;
    zc_replica_recv (b->rep, msg, b->blobs, b->count, b->now, &b->out);
    b->count = 0;
}

static uint64_t
bench_last (bench_t *b)
{
    return zc_chatlog_last_seq (b->log);
}

//  Node 1 follows leader 3 in epoch 1 and has committed seq 1..5.
static bench_t *
bench_committed_backup (void)
{
    bench_t *b = bench_new (0, 0, 1, 0);
    zc_replica_follow (b->rep, 1, 3);
    for (uint64_t seq = 1; seq <= 5; seq++)
        bench_entry (b, seq, 1);
    zc_msg_t msg = bench_append (3, 1, 0, 0, 5, 5, 0);
    bench_recv (b, &msg);
    assert (bench_last (b) == 5 && zc_replica_commit (b->rep) == 5);
    return b;
}

//  One forged message was refused: counted, unanswered, nothing changed.
#define CHECK_REFUSED(b, name, what, refused_before, last) \
    CHECKF (zc_replica_refused ((b)->rep) == (refused_before) + 1 && (b)->out.count == 0 \
            && !(b)->out.save && bench_last (b) == (last) && zc_replica_commit ((b)->rep) >= 5, \
            "%s: %s: refused %llu (was %llu), %zu answers, log 1..%llu, commit %llu", \
            name, what, (unsigned long long) zc_replica_refused ((b)->rep), \
            (unsigned long long) (refused_before), (b)->out.count, \
            (unsigned long long) bench_last (b), \
            (unsigned long long) zc_replica_commit ((b)->rep))

//  A crafted APPEND in the leader's name cut a backup's committed log: a
//  previous entry that "differs" at or below the commit point, and an
//  install (start_seq 0 in a new epoch) that drops older epochs' entries.
static void
test_hostile_truncate (void)
{
    const char *name = "hostile: no APPEND truncates committed entries";
    bench_t *b = bench_committed_backup ();
    uint64_t refused = zc_replica_refused (b->rep);
    zc_msg_t msg = bench_append (3, 1, 3, 0, 5, 5, 0);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 5 && b->out.count == 1, "%s: an honest probe is answered", name);

    //  Node 3 leads epoch 2 now: the "previous entry" seq 3 of epoch 2
    zc_replica_follow (b->rep, 2, 3);
    msg = bench_append (3, 2, 3, 2, 5, 5, 5);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "prev (3, epoch 2) against committed (3, epoch 1)", refused, 5);

    //  An entry of epoch 2 where seq 3 of epoch 1 is committed
    refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 2, 2, 1, 5, 5, 2);
    bench_entry (b, 3, 2);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "entry (3, epoch 2) against committed (3, epoch 1)", refused, 5);

    //  An install that would drop seq 1..5 (epoch 1): start_seq 0, prev 0
    refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 2, 0, 0, 0, 0, 0);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "an install from start_seq 0", refused, 5);
    CHECK (zc_replica_log_epoch (b->rep) == 1);

    //  The same with start_seq 5 but a verified point of 2: seq 3..5 are
    //  older than epoch 2 yet past start_seq in the leader's log
    refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 2, 2, 1, 0, 5, 2);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "an install from start_seq 2", refused, 5);

    //  The honest leader of epoch 2 still gets in
    msg = bench_append (3, 2, 5, 1, 5, 6, 5);
    bench_entry (b, 6, 2);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 6 && b->out.count == 1 && b->out.sends [0].msg.granted
            && b->out.sends [0].msg.last_seq == 6 && zc_replica_log_epoch (b->rep) == 2,
            "%s: the honest APPEND is taken (log 1..%llu)", name,
            (unsigned long long) bench_last (b));
    msg = bench_append (3, 2, 6, 2, 6, 6, 5);
    bench_recv (b, &msg);
    CHECK (zc_replica_commit (b->rep) == 6);

    //  Committed: 1..5 of epoch 1, 6 of epoch 2.  An install from seq 0
    //  would drop them all
    refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 2, 0, 0, 0, 6, 0);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "an install that drops older epochs' committed entries",
                   refused, 6);

    //  Epoch 3, no install: an entry of epoch 2 where seq 3 of epoch 1 is
    //  committed (older than the leader's epoch, so possible by itself)
    zc_replica_follow (b->rep, 3, 3);
    refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 3, 2, 1, 0, 6, 6);
    bench_entry (b, 3, 2);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "entry (3, epoch 2) against committed (3, epoch 1), epoch 3",
                   refused, 6);
    bench_destroy (&b);
}

//  Forged entries and headers that no leader sends: each refused.
static void
test_hostile_entries (void)
{
    const char *name = "hostile: impossible APPENDs are refused";
    bench_t *b = bench_committed_backup ();
    zc_replica_follow (b->rep, 2, 3);
    struct {
        const char *what;
        uint64_t prev_seq, prev_epoch, commit, last_seq, start_seq;
        uint64_t seqs [3], epochs [3];
        size_t count;
        bool drop_last_seq, garbage;
    } cases [] = {
        { "an entry out of place", 5, 1, 5, 7, 5, { 7 }, { 2 }, 1, false, false },
        { "an entry newer than the leader's epoch", 5, 1, 5, 6, 5, { 6 }, { 9 }, 1, false, false },
        { "an entry older than the previous one", 5, 1, 5, 7, 5, { 6, 7 }, { 2, 1 }, 2, false, false },
        { "an entry after start_seq not of the epoch", 5, 1, 5, 6, 5, { 6 }, { 1 }, 1, false, false },
        { "an entry up to start_seq of the epoch", 5, 1, 5, 6, 6, { 6 }, { 2 }, 1, false, false },
        { "an entry of epoch 0", 5, 0, 5, 6, 6, { 6 }, { 0 }, 1, false, false },
        { "entries past last_seq", 5, 1, 5, 6, 5, { 6, 7 }, { 2, 2 }, 2, false, false },
        { "commit past last_seq", 5, 1, 9, 5, 5, { 0 }, { 0 }, 0, false, false },
        { "start_seq past last_seq", 5, 1, 5, 5, 9, { 0 }, { 0 }, 0, false, false },
        { "prev_seq past last_seq", 6, 2, 5, 5, 5, { 0 }, { 0 }, 0, false, false },
        { "prev_epoch newer than the leader's", 5, 7, 5, 5, 5, { 0 }, { 0 }, 0, false, false },
        { "prev_epoch for seq 0", 0, 1, 5, 5, 5, { 0 }, { 0 }, 0, false, false },
        { "no last_seq", 5, 1, 5, 6, 5, { 6 }, { 2 }, 1, true, false },
        { "a frame that does not decode", 5, 1, 5, 6, 5, { 6 }, { 2 }, 1, false, true },
        { "a frame that is not a chat map", 5, 1, 5, 6, 5, { 6 }, { 2 }, 1, false, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        uint64_t refused = zc_replica_refused (b->rep);
        zc_msg_t msg = bench_append (3, 2, cases [i].prev_seq, cases [i].prev_epoch,
                                     cases [i].commit, cases [i].last_seq,
                                     cases [i].start_seq);
        if (cases [i].drop_last_seq)
            msg.has &= ~ZF_LAST_SEQ;
        for (size_t j = 0; j < cases [i].count; j++)
            bench_entry (b, cases [i].seqs [j], cases [i].epochs [j]);
        if (cases [i].garbage)
            b->blobs [0].size = 3;
        if (strstr (cases [i].what, "not a chat map")) {
            zc_msg_t other = bench_msg (ZC_APPEND_ACK, 3, 2);
            zc_msg_set_u64 (&other, ZF_SEQ, 6);
            zc_msg_set_u64 (&other, ZF_LAST_SEQ, 6);
            zc_msg_set_bool (&other, ZF_GRANTED, true);
            b->blobs [0].size = zc_msg_encode (&other, b->frames [0], SIM_FRAME);
        }
        bench_recv (b, &msg);
        CHECK_REFUSED (b, name, cases [i].what, refused, 5);
    }
    CHECK (zc_replica_log_epoch (b->rep) == 1);
    zc_msg_t msg = bench_append (3, 2, 5, 1, 5, 6, 5);
    bench_entry (b, 6, 2);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 6 && b->out.count == 1 && b->out.sends [0].msg.granted,
            "%s: the honest APPEND is taken", name);
    bench_destroy (&b);
}

//  A forged view change: votes that cannot be true, and LOG_ENTRIES that
//  would cut the leader's committed log (it took the only live node from
//  5 entries to 0).
static void
test_hostile_view_change (void)
{
    const char *name = "hostile: a forged view change cuts nothing";
    bench_t *b = bench_committed_backup ();

    zc_vote_t future [] = { { 2, 3, 9 } };      //  log epoch 3 in epoch 3
    zc_ractions_clear (&b->out);
    uint64_t refused = zc_replica_refused (b->rep);
    zc_replica_lead (b->rep, 3, future, 1, b->now, &b->out);
    CHECKF (b->out.stuck && b->out.count == 0 && !zc_replica_ready (b->rep)
            && zc_replica_refused (b->rep) == refused + 1,
            "%s: a vote with a log of our epoch: step down", name);

    zc_vote_t short_log [] = { { 2, 2, 3 } };   //  best, yet without seq 4..5
    zc_ractions_clear (&b->out);
    zc_replica_lead (b->rep, 3, short_log, 1, b->now, &b->out);
    CHECKF (b->out.stuck && b->out.count == 0 && !zc_replica_ready (b->rep)
            && zc_replica_refused (b->rep) == refused + 2,
            "%s: a best vote without our committed entries: step down", name);

    //  A plausible vote from node 2; the fetch goes to it
    zc_vote_t votes [] = { { 2, 2, 9 } };
    zc_ractions_clear (&b->out);
    zc_replica_lead (b->rep, 4, votes, 1, b->now, &b->out);
    CHECKF (!b->out.stuck && b->out.count == 1 && b->out.sends [0].to == 2
            && b->out.sends [0].msg.type == ZC_LOG_FETCH, "%s: fetches from node 2", name);

    //  Its forged answer: "my log is empty"
    refused = zc_replica_refused (b->rep);
    zc_msg_t msg = bench_msg (ZC_LOG_ENTRIES, 2, 4);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 0);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 0);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 0);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "LOG_ENTRIES ending at seq 0", refused, 5);
    CHECK (!zc_replica_ready (b->rep));

    //  Entries that a voter of epoch 4 cannot hold yet
    refused = zc_replica_refused (b->rep);
    msg = bench_msg (ZC_LOG_ENTRIES, 2, 4);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 5);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 6);
    bench_entry (b, 6, 4);
    bench_recv (b, &msg);
    CHECK_REFUSED (b, name, "LOG_ENTRIES with an entry of our epoch", refused, 5);

    //  From a voter we did not ask: ignored (not counted: a late answer
    //  to an earlier view change looks the same)
    refused = zc_replica_refused (b->rep);
    msg = bench_msg (ZC_LOG_ENTRIES, 3, 4);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 5);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 6);
    bench_entry (b, 6, 2);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 5 && b->out.count == 0 && !zc_replica_ready (b->rep)
            && zc_replica_refused (b->rep) == refused,
            "%s: LOG_ENTRIES from a voter not asked is ignored", name);

    //  The honest answer from node 2 makes it ready
    msg = bench_msg (ZC_LOG_ENTRIES, 2, 4);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 5);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 6);
    bench_entry (b, 6, 2);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 6 && zc_replica_ready (b->rep) && b->out.save,
            "%s: the honest LOG_ENTRIES completes the view change", name);
    bench_destroy (&b);
}

//  LOG_FETCH is answered only by a node that is not leading, in its
//  epoch, to the leader it follows (PROTOCOL.md §5.4).
static void
test_hostile_log_fetch (void)
{
    const char *name = "hostile: LOG_FETCH answered only as the protocol says";
    bench_t *b = bench_committed_backup ();
    zc_msg_t msg = bench_msg (ZC_LOG_FETCH, 2, 1);
    zc_msg_set_u64 (&msg, ZF_LAST, 0);
    bench_recv (b, &msg);
    CHECKF (b->out.count == 0, "%s: not from the leader we follow", name);
    msg = bench_msg (ZC_LOG_FETCH, 3, 2);
    zc_msg_set_u64 (&msg, ZF_LAST, 0);
    bench_recv (b, &msg);
    CHECKF (b->out.count == 0, "%s: not in another epoch", name);
    msg = bench_msg (ZC_LOG_FETCH, 3, 1);
    zc_msg_set_u64 (&msg, ZF_LAST, UINT64_MAX);
    bench_recv (b, &msg);
    CHECKF (b->out.count == 1 && b->out.sends [0].msg.prev_seq == 5
            && b->out.sends [0].first > b->out.sends [0].last,
            "%s: the leader's, past our log: nothing to send", name);
    msg = bench_msg (ZC_LOG_FETCH, 3, 1);
    zc_msg_set_u64 (&msg, ZF_LAST, 0);
    bench_recv (b, &msg);
    CHECKF (b->out.count == 1 && b->out.sends [0].first == 1 && b->out.sends [0].last == 4,
            "%s: the leader's: one batch", name);
    zc_vote_t votes [] = { { 2, 1, 5 } };
    zc_ractions_clear (&b->out);
    zc_replica_lead (b->rep, 2, votes, 1, b->now, &b->out);
    CHECK (zc_replica_ready (b->rep));
    msg = bench_msg (ZC_LOG_FETCH, 3, 2);
    zc_msg_set_u64 (&msg, ZF_LAST, 0);
    bench_recv (b, &msg);
    CHECKF (b->out.count == 0, "%s: never by a leader", name);
    bench_destroy (&b);
}

//  A fake APPEND_ACK advanced commit; one with last_seq 2^64-1 counted
//  for every commit and stalled replication (next seq wrapped to 0).
static void
test_hostile_ack (void)
{
    const char *name = "hostile: an APPEND_ACK confirms only what was sent";
    bench_t *b = bench_new (0, 5, 1, 1);
    zc_vote_t votes [] = { { 2, 1, 5 } };
    zc_replica_lead (b->rep, 2, votes, 1, b->now, &b->out);
    CHECK (zc_replica_ready (b->rep) && zc_replica_start_seq (b->rep) == 5);
    zc_ractions_clear (&b->out);
    zc_replica_tick (b->rep, b->now, &b->out);      //  probes after seq 5
    CHECK (b->out.count == 2);
    uint8_t buf [SIM_FRAME];
    size_t size = s_chat_encode (buf, sizeof buf, 6, 2);
    zc_msg_t chat;
    CHECK (zc_msg_decode (&chat, buf, size, NULL) == 0);
    CHECK (zc_replica_append (b->rep, &chat, buf, size));
    zc_replica_durable (b->rep, 6);         //  our own copy is on disk

    uint64_t lies [] = { UINT64_MAX, 6 };
    for (size_t i = 0; i < 2; i++) {
        uint64_t refused = zc_replica_refused (b->rep);
        zc_msg_t msg = bench_msg (ZC_APPEND_ACK, 2, 2);
        zc_msg_set_u64 (&msg, ZF_LAST_SEQ, lies [i]);
        zc_msg_set_bool (&msg, ZF_GRANTED, true);
        bench_recv (b, &msg);
        CHECKF (zc_replica_commit (b->rep) < 6 && zc_replica_match (b->rep, 2) == 0
                && zc_replica_refused (b->rep) == refused + 1,
                "%s: a granted ACK for seq %llu, never sent: commit %llu, match %llu", name,
                (unsigned long long) lies [i], (unsigned long long) zc_replica_commit (b->rep),
                (unsigned long long) zc_replica_match (b->rep, 2));
    }
    //  Replication goes on: the probe's honest answer, then seq 6
    zc_msg_t msg = bench_msg (ZC_APPEND_ACK, 2, 2);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 5);
    zc_msg_set_bool (&msg, ZF_GRANTED, true);
    bench_recv (b, &msg);
    CHECK (zc_replica_match (b->rep, 2) == 5);
    zc_ractions_clear (&b->out);
    b->now += T_RETRY;
    zc_replica_tick (b->rep, b->now, &b->out);
    bool sent6 = false;
    for (size_t i = 0; i < b->out.count; i++)
        if (b->out.sends [i].to == 2 && b->out.sends [i].first == 6 && b->out.sends [i].last == 6)
            sent6 = true;
    CHECKF (sent6, "%s: seq 6 goes to node 2", name);
    msg = bench_msg (ZC_APPEND_ACK, 2, 2);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 6);
    zc_msg_set_bool (&msg, ZF_GRANTED, true);
    bench_recv (b, &msg);
    CHECKF (zc_replica_commit (b->rep) == 6, "%s: its honest ACK commits seq 6", name);
    bench_destroy (&b);
}

//  One empty APPEND to a backup running with --retain-* segfaulted it: a
//  verified point below the oldest held seq made the install read a
//  retired entry.
static void
test_hostile_retained (void)
{
    const char *name = "hostile: APPENDs below the retired part";
    bench_t *b = bench_new (10, 15, 2, 2);      //  1..10 retired, 11..15 held
    zc_replica_follow (b->rep, 2, 3);
    zc_msg_t msg = bench_append (3, 2, 5, 2, 0, 15, 3);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 15 && b->out.count == 1 && b->out.sends [0].msg.granted,
            "%s: a verified point below the oldest held seq: no crash", name);

    //  The empty APPEND, in a new epoch: the retired entries are
    //  committed, so start_seq 0 would drop what followed them
    zc_replica_follow (b->rep, 3, 3);
    uint64_t refused = zc_replica_refused (b->rep);
    msg = bench_append (3, 3, 0, 0, 0, 0, 0);
    bench_recv (b, &msg);
    CHECKF (bench_last (b) == 15 && b->out.count == 0 && zc_replica_refused (b->rep) == refused + 1
            && zc_replica_log_epoch (b->rep) == 2,
            "%s: an install that would cut behind the retired seq 10 is refused (log ..%llu)",
            name, (unsigned long long) bench_last (b));
    bench_destroy (&b);
}

//  ==========================================================================
//  main

int
main (void)
{
    test_replication_within_log ();
    test_hostile_truncate ();
    test_hostile_entries ();
    test_hostile_view_change ();
    test_hostile_log_fetch ();
    test_hostile_ack ();
    test_hostile_retained ();
    return check_report ("test_replica");
}
