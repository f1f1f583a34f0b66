/*  test_client_resume.c — resume, history and chunked FETCH, against a
    simulated node log (pure: delivery.h plus a model of the node's FETCH).

    The model: a log of seq 1..n over two rooms ("general", ours, and
    "gen", which a SUB prefix match would also bring), with rseq per room,
    and a retention base (entries at or below it are no longer held).
    FETCH {last, rseq, room, count} returns, in seq order, at most count
    entries of the room with seq > last, held, and at or below the bound
    (the leader's published seq); a node that knows the `rseq` field also
    leaves out rseq <= that, an older one ignores it.  The client loop is
    the library's: FETCH from the resume point, skip what the first entry
    proves gone, offer every entry, ask again while the reply was full.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "testutil.h"

#define S_MAX 4000

typedef struct {
    uint64_t rseq [S_MAX + 1];      //  per seq
    bool ours [S_MAX + 1];          //  room "general"?
    uint64_t n;                     //  last seq
    uint64_t base;                  //  retention: seq <= base no longer held
    uint64_t ours_last;             //  our room's last rseq
} s_log_t;

static const char *s_client = "0123456789abcdef0123456789abcdef";

//  A log of n entries; about one in three is of the other room
static void
s_log_init (s_log_t *log, uint64_t n, unsigned seed)
{
    memset (log, 0, sizeof (*log));
    srand (seed);
    uint64_t other = 0;
    for (uint64_t seq = 1; seq <= n; seq++) {
        log->ours [seq] = rand () % 3 != 0;
        log->rseq [seq] = log->ours [seq]? ++log->ours_last: ++other;
    }
    log->n = n;
}

static zc_msg_t
s_entry (const s_log_t *log, uint64_t seq)
{
    zc_msg_t msg;
    memset (&msg, 0, sizeof (msg));
    msg.type = ZC_CHAT;
    msg.has = ZF_EPOCH | ZF_SEQ | ZF_RSEQ | ZF_TS | ZF_ROOM | ZF_FROM | ZF_CLIENT
            | ZF_ID | ZF_TEXT;
    msg.epoch = seq > log->n / 2? 2: 1;
    msg.seq = seq;
    msg.rseq = log->rseq [seq];
    msg.ts = seq * 2;
    const char *room = log->ours [seq]? "general": "gen";
    msg.room = (zc_str_t) { room, (uint32_t) strlen (room) };
    msg.from = (zc_str_t) { "bob", 3 };
    msg.client = (zc_str_t) { s_client, 32 };
    msg.id = seq;
    msg.text = (zc_str_t) { "hi", 2 };
    return msg;
}

//  What the client has delivered, to check: each rseq once, in order
typedef struct {
    uint64_t expect;                //  next rseq expected out
    uint64_t count;
    bool ok;
    uint64_t fetches;
    uint64_t skipped;
    bool history_skip;
    uint64_t history_kept;
} s_out_t;

static void
s_drain (zc_delivery_t *d, s_out_t *out)
{
    zc_chat_t *chat;
    while ((chat = zc_delivery_next (d))) {
        if (out->expect && chat->rseq != out->expect)
            out->ok = false;
        out->expect = chat->rseq + 1;
        out->count++;
        zc_chat_destroy (&chat);
    }
}

//  One FETCH round trip to a node with this bound; returns entries sent
static size_t
s_fetch_once (zc_delivery_t *d, const s_log_t *log, uint64_t bound, size_t count,
              bool knows_rseq, s_out_t *out)
{
    uint64_t last = 0, rseq = 0;
    if (!zc_delivery_resume_point (d, &last, &rseq))
        return 0;
    out->fetches++;
    size_t sent = 0;
    bool first = true;
    for (uint64_t seq = last + 1; seq <= bound && sent < count; seq++) {
        if (seq <= log->base || !log->ours [seq] || (knows_rseq && log->rseq [seq] <= rseq))
            continue;
        zc_msg_t msg = s_entry (log, seq);
        zc_dlv_skip_t skip;
        if (first && zc_delivery_skip_to (d, msg.rseq, msg.seq, &skip)) {
            out->skipped += skip.to - skip.from;
            out->history_skip = skip.history;
            out->history_kept = skip.history_kept;
        }
        first = false;
        zc_delivery_offer (d, &msg);
        sent++;
    }
    s_drain (d, out);
    return sent;
}

//  The catch-up: FETCH while the reply is full or a gap remains that made
//  progress (bounded, as the client's retry timer would be)
static void
s_catch_up (zc_delivery_t *d, const s_log_t *log, uint64_t bound, size_t count,
            bool knows_rseq, s_out_t *out)
{
    for (int round = 0; round < 10000; round++) {
        uint64_t next = zc_delivery_next_rseq (d), floor = zc_delivery_floor (d);
        size_t sent = s_fetch_once (d, log, bound, count, knows_rseq, out);
        bool progress = zc_delivery_next_rseq (d) > next || zc_delivery_floor (d) > floor;
        if (sent < count && !(zc_delivery_gap (d, NULL) && progress))
            return;
    }
}

//  The live stream of seqs [from, to]: each of ours reaches the client
//  unless dropped (every drop-th), and the other room's too (prefix match)
static void
s_live (zc_delivery_t *d, const s_log_t *log, uint64_t from, uint64_t to, int drop,
        s_out_t *out)
{
    for (uint64_t seq = from; seq <= to; seq++) {
        if (drop && rand () % drop == 0)
            continue;
        zc_msg_t msg = s_entry (log, seq);
        zc_dlv_result_t r = zc_delivery_offer (d, &msg);
        if (!log->ours [seq] && r != ZC_DLV_OTHER_ROOM)
            out->ok = false;
        s_drain (d, out);
    }
}

//  The room's rseq as of published seq (what WELCOME says)
static uint64_t
s_room_rseq (const s_log_t *log, uint64_t published)
{
    for (uint64_t seq = published; seq > 0; seq--)
        if (log->ours [seq])
            return log->rseq [seq];
    return 0;
}

//  Joined at seq 100; the leader published up to 1500 and died: its last
//  messages (acked to their senders) never reached us, and PUB lost some
//  before.  The new leader published up to 1400 at first (its commit
//  lagged), then republishes 1401..1500 and goes on to 2000 while we
//  catch up in chunks.  Out: every rseq after the baseline, once, in order
static void
test_failover (bool knows_rseq, size_t count)
{
    s_log_t log;
    s_log_init (&log, 2000, 11);
    s_out_t out = { .ok = true };
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, s_room_rseq (&log, 100), 100);
    uint64_t start = 0;
    CHECK (zc_delivery_take_start (d, &start) && start == 100);
    s_live (d, &log, 101, 1300, 7, &out);           //  old leader, lossy
    s_catch_up (d, &log, 1300, count, knows_rseq, &out);    //  gaps repaired
    CHECK (out.expect == s_room_rseq (&log, 1300) + 1);
    //  1301..1500 were published and lost with the old leader
    uint64_t before = zc_delivery_next_rseq (d);
    zc_delivery_leader_hint (d, s_room_rseq (&log, 1400), 1400);   //  new WELCOME
    CHECK (zc_delivery_next_rseq (d) == before);    //  the baseline stays
    s_live (d, &log, 1401, 1450, 0, &out);          //  live, held behind the gap
    out.fetches = 0;
    s_catch_up (d, &log, 1450, count, knows_rseq, &out);
    CHECK (out.fetches >= (count < 100? 2u: 1u));
    s_live (d, &log, 1420, 2000, 5, &out);          //  republished, then new; lossy
    s_catch_up (d, &log, 2000, count, knows_rseq, &out);
    CHECK (out.ok);
    CHECK (out.skipped == 0);
    CHECK (out.count == log.ours_last - s_room_rseq (&log, 100));
    CHECK (out.expect == log.ours_last + 1);
    CHECK (zc_delivery_held (d) == 0 && !zc_delivery_gap (d, NULL));
    zc_delivery_destroy (&d);
}

//  --history N, with the live stream flowing meanwhile
static void
test_history (bool knows_rseq, uint64_t n, uint64_t base, uint64_t expect_kept)
{
    s_log_t log;
    s_log_init (&log, 3000, 5);
    log.base = base;
    s_out_t out = { .ok = true };
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_set_history (d, n);
    s_live (d, &log, 2990, 2995, 0, &out);          //  before the WELCOME
    uint64_t room_rseq = s_room_rseq (&log, 2995);
    zc_delivery_leader_hint (d, room_rseq, 2995);
    s_live (d, &log, 2996, 3000, 0, &out);
    s_catch_up (d, &log, 3000, 64, knows_rseq, &out);
    CHECK (out.ok);
    CHECK (out.expect == log.ours_last + 1);
    uint64_t live = log.ours_last - room_rseq;
    CHECK (out.count == expect_kept + live);
    CHECK (out.history_kept == (out.skipped? expect_kept: 0));
    CHECK (out.history_skip == (out.skipped > 0));
    uint64_t start = 0;
    CHECK (zc_delivery_take_start (d, &start));
    //  The seq before the first history message delivered: held by the
    //  node, or received live before the WELCOME
    uint64_t first = 0;
    for (uint64_t seq = 1; seq <= log.n && !first; seq++)
        if (log.ours [seq] && log.rseq [seq] + n > room_rseq
        &&  (seq > base || seq >= 2990))
            first = seq;
    CHECK (start == first - 1);
    zc_delivery_destroy (&d);
}

//  Resume after a long outage: the new leader no longer holds the start
//  of what we missed
static void
test_retention_resume (void)
{
    s_log_t log;
    s_log_init (&log, 1000, 3);
    s_out_t out = { .ok = true };
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 0, 0);
    s_live (d, &log, 1, 200, 0, &out);
    log.base = 600;                                 //  601.. held
    zc_delivery_leader_hint (d, s_room_rseq (&log, 1000), 1000);
    s_catch_up (d, &log, 1000, 32, true, &out);
    CHECK (out.ok == false);                        //  a jump was seen, as told
    uint64_t gone = s_room_rseq (&log, 600) - s_room_rseq (&log, 200);
    CHECK (out.skipped == gone && !out.history_skip);
    CHECK (out.expect == log.ours_last + 1);
    CHECK (out.count == log.ours_last - gone);
    zc_delivery_destroy (&d);
}

int
main (void)
{
    test_failover (true, 16);
    test_failover (false, 16);
    test_failover (true, 256);
    //  History: all held; cut by retention inside it; all of it gone
    test_history (true, 100, 0, 100);
    test_history (false, 100, 0, 100);
    s_log_t log;
    s_log_init (&log, 3000, 5);                     //  the same log as inside
    uint64_t r = s_room_rseq (&log, 2995), at = 0;
    for (uint64_t seq = 1; seq <= 2995 && !at; seq++)
        if (log.ours [seq] && log.rseq [seq] == r - 39)
            at = seq;                               //  the 40th from the end
    test_history (true, 100, at - 1, 40);
    test_history (false, 100, at - 1, 40);
    uint64_t live = 0;                              //  received before WELCOME
    for (uint64_t seq = 2990; seq <= 2995; seq++)
        live += log.ours [seq];
    test_history (true, 100, 2995, live);
    test_history (true, 100000, 0, r);              //  more than the room has
    test_retention_resume ();
    return check_report ("test_client_resume");
}
