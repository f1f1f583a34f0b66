/*  test_client_resume.c — resume, history and chunked FETCH, against a
    simulated node log (pure: delivery.h plus a model of the node's FETCH).

    The model: a log of seq 1..n over two rooms ("general", ours, and
    "gen", which a SUB prefix match would also bring), with rseq per room,
    and a retention base (entries at or below it are no longer held).
    FETCH {last, rseq, room, count} returns, in seq order, at most count
    entries of the room with seq > last, held, and at or below the bound
    (the leader's published seq); a node that knows the `rseq` field also
    leaves out rseq <= that, an older one ignores it.  The client loop is
    the library's: when to FETCH and from where, when a catch-up ends,
    when a reply that made no progress waits, and the quiet-room probe are
    src/client/catchup.c's (zc_catchup_tick / zc_catchup_reply, driven
    here with a fake clock); what the reply brings is delivery.c's.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catchup.h"
#include "delivery.h"
#include "testutil.h"

#define S_MAX 4000
#define S_RETRY_MS 400          //  the client's retry_ms

static int64_t s_now = 1000;    //  the fake clock (ms)

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

//  The model node answers FETCH {last, rseq, count}: at most count of our
//  room after last (and, if it knows the field, after rseq), held, up to
//  bound; the first one may prove older ones gone.  Returns entries sent
static size_t
s_answer (zc_delivery_t *d, const s_log_t *log, uint64_t bound, size_t count,
          bool knows_rseq, uint64_t last, uint64_t rseq, s_out_t *out)
{
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

//  The client's timers with the model node as its leader (server 0): each
//  FETCH that zc_catchup_tick asks for is answered, and the reply goes
//  back to it; a reply cut at count counts as full (the node's byte
//  budget).  The clock moves to the next timer between.  Ends when nothing
//  is left to ask (no gap, no catch-up), or after 3 FETCHes in a row that
//  brought nothing new (the client would go on asking every retry_ms).
static void
s_catch_up (zc_delivery_t *d, zc_catchup_t *cu, const s_log_t *log, uint64_t bound,
            size_t count, bool knows_rseq, s_out_t *out)
{
    int barren = 0;
    for (int round = 0; round < 10000 && barren < 3; round++) {
        zc_catchup_do_t todo;
        zc_catchup_tick (cu, d, 0, s_now, &todo);
        if (todo.fetch) {
            uint64_t next = zc_delivery_next_rseq (d), floor = zc_delivery_floor (d);
            size_t sent = s_answer (d, log, bound, count, knows_rseq, todo.last, todo.rseq, out);
            zc_catchup_reply (cu, d, 0, sent, sent >= count ? SIZE_MAX : sent, SIZE_MAX);
            bool progress = zc_delivery_next_rseq (d) > next || zc_delivery_floor (d) > floor;
            barren = progress || sent ? 0 : barren + 1;
            continue;
        }
        if (!zc_catchup_active (cu) && !zc_delivery_gap (d, NULL))
            return;
        int64_t next = zc_catchup_next (cu, d, 0, s_now);
        s_now = next > s_now && next != INT64_MAX ? next : s_now + S_RETRY_MS;
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
    zc_catchup_t cu;
    zc_catchup_init (&cu, S_RETRY_MS, s_now);
    zc_delivery_leader_hint (d, s_room_rseq (&log, 100), 100);
    uint64_t start = 0;
    CHECK (zc_delivery_take_start (d, &start) && start == 100);
    s_live (d, &log, 101, 1300, 7, &out);           //  old leader, lossy
    s_catch_up (d, &cu, &log, 1300, count, knows_rseq, &out);    //  gaps repaired
    CHECK (out.expect == s_room_rseq (&log, 1300) + 1);
    //  1301..1500 were published and lost with the old leader.  The new
    //  leader is followed; until its WELCOME says it serves, the client
    //  HELLOs it every retry_ms and FETCHes nothing
    uint64_t before = zc_delivery_next_rseq (d);
    zc_catchup_leader_changed (&cu, zc_delivery_started (d));
    zc_catchup_do_t todo;
    s_now += S_RETRY_MS;
    zc_catchup_tick (&cu, d, 0, s_now, &todo);
    CHECK (todo.hello && !todo.fetch);
    zc_catchup_serving (&cu);
    zc_delivery_leader_hint (d, s_room_rseq (&log, 1400), 1400);   //  new WELCOME
    CHECK (zc_delivery_next_rseq (d) == before);    //  the baseline stays
    s_live (d, &log, 1401, 1450, 0, &out);          //  live, held behind the gap
    out.fetches = 0;
    s_catch_up (d, &cu, &log, 1450, count, knows_rseq, &out);
    CHECK (out.fetches >= (count < 100? 2u: 1u));
    s_live (d, &log, 1420, 2000, 5, &out);          //  republished, then new; lossy
    s_catch_up (d, &cu, &log, 2000, count, knows_rseq, &out);
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
    zc_catchup_t cu;
    zc_catchup_init (&cu, S_RETRY_MS, s_now);
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
    s_catch_up (d, &cu, &log, 3000, 64, knows_rseq, &out);
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
    zc_catchup_t cu;
    zc_catchup_init (&cu, S_RETRY_MS, s_now);
    s_log_t log;
    s_log_init (&log, 1000, 3);
    s_out_t out = { .ok = true };
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 0, 0);
    s_live (d, &log, 1, 200, 0, &out);
    log.base = 600;                                 //  601.. held
    zc_delivery_leader_hint (d, s_room_rseq (&log, 1000), 1000);
    s_catch_up (d, &cu, &log, 1000, 32, true, &out);
    CHECK (out.ok == false);                        //  a jump was seen, as told
    uint64_t gone = s_room_rseq (&log, 600) - s_room_rseq (&log, 200);
    CHECK (out.skipped == gone && !out.history_skip);
    CHECK (out.expect == log.ours_last + 1);
    CHECK (out.count == log.ours_last - gone);
    zc_delivery_destroy (&d);
}

//  A tail lost with the old leader shows no gap: the new leader's commit
//  lagged, so its WELCOME names the room's rseq as of what we hold.  The
//  catch-up after the leader change FETCHes after our position anyway,
//  gap or not, and finds the tail; without it (a gap-only client) the
//  tail would wait for the next message of the room
static void
test_tail_after_failover (bool catch_up)
{
    s_log_t log;
    s_log_init (&log, 600, 17);
    s_out_t out = { .ok = true };
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_catchup_t cu;
    zc_catchup_init (&cu, S_RETRY_MS, s_now);
    zc_delivery_leader_hint (d, 0, 0);
    s_live (d, &log, 1, 400, 0, &out);              //  then the leader dies
    zc_catchup_leader_changed (&cu, zc_delivery_started (d));
    if (catch_up)
        zc_catchup_serving (&cu);
    zc_delivery_leader_hint (d, s_room_rseq (&log, 400), 400);     //  no gap shown
    CHECK (!zc_delivery_gap (d, NULL));
    s_catch_up (d, &cu, &log, 600, 64, true, &out);
    uint64_t want = catch_up ? log.ours_last : s_room_rseq (&log, 400);
    CHECKF (out.ok && out.expect == want + 1, "%s: delivered up to rseq %llu (want %llu)",
            catch_up ? "catch-up" : "no catch-up", (unsigned long long) out.expect - 1,
            (unsigned long long) want);
    CHECK (!zc_catchup_active (&cu));               //  a short reply ended it
    zc_delivery_destroy (&d);
}

//  The quiet-room probe: a HELLO to the leader after 1 s without a
//  message of the room, then 2, 4, 8, 8 s; a message resets it
static void
test_probe_backoff (void)
{
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 0, 0);
    zc_catchup_t cu;
    int64_t t0 = 100000;
    zc_catchup_init (&cu, S_RETRY_MS, t0);
    int64_t hellos [8], now = t0;
    size_t n = 0;
    while (n < 6 && now < t0 + 60000) {
        int64_t next = zc_catchup_next (&cu, d, 0, now);
        now = next > now ? next : now + 1;
        zc_catchup_do_t todo;
        zc_catchup_tick (&cu, d, 0, now, &todo);
        CHECK (!todo.fetch);
        if (todo.hello)
            hellos [n++] = now - t0;
    }
    CHECKF (n == 6 && hellos [0] == 1000 && hellos [1] == 3000 && hellos [2] == 7000
            && hellos [3] == 15000 && hellos [4] == 23000 && hellos [5] == 31000,
            "probes at 1, 3, 7, 15, 23, 31 s (%zu: %lld %lld %lld)", n,
            (long long) hellos [0], (long long) hellos [1], (long long) hellos [2]);
    zc_catchup_chat (&cu, now);                     //  the room speaks
    zc_catchup_do_t todo;
    zc_catchup_tick (&cu, d, 0, now + 999, &todo);
    CHECK (!todo.hello);
    zc_catchup_tick (&cu, d, 0, now + 1000, &todo);
    CHECK (todo.hello);                             //  back to 1 s
    zc_catchup_tick (&cu, d, -1, now + 60000, &todo);
    CHECK (!todo.hello && !todo.fetch);             //  no leader: nothing to ask
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
    test_tail_after_failover (true);
    test_tail_after_failover (false);
    test_probe_backoff ();
    return check_report ("test_client_resume");
}
