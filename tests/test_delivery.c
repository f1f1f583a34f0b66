/*  test_delivery.c — the client's ordered, exact delivery (delivery.h).
    Pure: messages are built by hand, no sockets, no clock.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "testutil.h"

static const char *s_client = "0123456789abcdef0123456789abcdef";

//  A chat message of room with this seq and rseq; epoch and text derived
static zc_msg_t
s_chat (const char *room, uint64_t seq, uint64_t rseq, uint64_t epoch)
{
    static char text [64];
    snprintf (text, sizeof (text), "message %llu", (unsigned long long) rseq);
    zc_msg_t msg;
    memset (&msg, 0, sizeof (msg));
    msg.type = ZC_CHAT;
    msg.has = ZF_EPOCH | ZF_SEQ | ZF_RSEQ | ZF_TS | ZF_ROOM | ZF_FROM | ZF_CLIENT
            | ZF_ID | ZF_TEXT;
    msg.epoch = epoch;
    msg.seq = seq;
    msg.rseq = rseq;
    msg.ts = seq * 2;
    msg.room = (zc_str_t) { room, (uint32_t) strlen (room) };
    msg.from = (zc_str_t) { "alice", 5 };
    msg.client = (zc_str_t) { s_client, 32 };
    msg.id = rseq;
    msg.text = (zc_str_t) { text, (uint32_t) strlen (text) };
    return msg;
}

static zc_dlv_result_t
s_offer (zc_delivery_t *d, uint64_t seq, uint64_t rseq)
{
    zc_msg_t msg = s_chat ("general", seq, rseq, 1);
    return zc_delivery_offer (d, &msg);
}

//  Pops the next message; returns its rseq, or 0 if none
static uint64_t
s_next (zc_delivery_t *d)
{
    zc_chat_t *chat = zc_delivery_next (d);
    if (!chat)
        return 0;
    uint64_t rseq = chat->rseq;
    zc_chat_destroy (&chat);
    return rseq;
}

static void
test_in_order (void)
{
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 0, 0);              //  empty room
    CHECK (zc_delivery_started (d));
    CHECK (s_offer (d, 1, 1) == ZC_DLV_READY);
    zc_chat_t *chat = zc_delivery_next (d);
    CHECK (chat && chat->seq == 1 && chat->rseq == 1 && chat->ts == 2 && chat->id == 1);
    CHECK (chat && strcmp (chat->room, "general") == 0 && strcmp (chat->from, "alice") == 0);
    CHECK (chat && strcmp (chat->client, s_client) == 0);
    CHECK (chat && strcmp (chat->text, "message 1") == 0 && chat->text_len == 9);
    zc_chat_destroy (&chat);
    CHECK (chat == NULL);
    CHECK (s_offer (d, 2, 2) == ZC_DLV_READY);
    CHECK (s_offer (d, 3, 3) == ZC_DLV_HELD);       //  2 not taken out yet
    CHECK (s_next (d) == 2 && s_next (d) == 3 && s_next (d) == 0);
    CHECK (!zc_delivery_gap (d, NULL));
    zc_delivery_destroy (&d);
    CHECK (d == NULL);
    zc_delivery_destroy (&d);                       //  safe twice
}

static void
test_duplicates (void)
{
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 0, 0);
    CHECK (s_offer (d, 1, 1) == ZC_DLV_READY);
    CHECK (s_offer (d, 1, 1) == ZC_DLV_DUPLICATE);  //  held twice
    CHECK (s_next (d) == 1 && s_next (d) == 0);
    CHECK (s_offer (d, 1, 1) == ZC_DLV_DUPLICATE);  //  delivered already
    CHECK (s_offer (d, 3, 3) == ZC_DLV_HELD);
    CHECK (s_offer (d, 3, 3) == ZC_DLV_DUPLICATE);
    CHECK (zc_delivery_held (d) == 1);
    CHECK (s_offer (d, 2, 2) == ZC_DLV_READY);
    CHECK (s_next (d) == 2 && s_next (d) == 3 && s_next (d) == 0);
    zc_delivery_destroy (&d);
}

static void
test_room_filter (void)
{
    zc_delivery_t *d = zc_delivery_new ("gen", 0);
    zc_delivery_leader_hint (d, 0, 0);
    zc_msg_t other = s_chat ("general", 1, 1, 1);   //  SUB prefix-matches it
    CHECK (zc_delivery_offer (d, &other) == ZC_DLV_OTHER_ROOM);
    zc_msg_t shorter = s_chat ("ge", 1, 1, 1);
    CHECK (zc_delivery_offer (d, &shorter) == ZC_DLV_OTHER_ROOM);
    CHECK (s_next (d) == 0 && zc_delivery_known_rseq (d) == 0);
    zc_msg_t ours = s_chat ("gen", 2, 1, 1);
    CHECK (zc_delivery_offer (d, &ours) == ZC_DLV_READY);
    CHECK (s_next (d) == 1);
    CHECK (zc_delivery_new ("bad room", 0) == NULL);
    CHECK (zc_delivery_new ("", 0) == NULL);
    zc_delivery_destroy (&d);
}

static void
test_invalid (void)
{
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 0, 0);
    zc_msg_t msg = s_chat ("general", 1, 0, 1);
    CHECK (zc_delivery_offer (d, &msg) == ZC_DLV_INVALID);      //  rseq 0
    msg = s_chat ("general", 0, 1, 1);
    CHECK (zc_delivery_offer (d, &msg) == ZC_DLV_INVALID);      //  seq 0
    msg = s_chat ("general", 1, 1, 1);
    msg.type = ZC_ACK;
    CHECK (zc_delivery_offer (d, &msg) == ZC_DLV_INVALID);
    msg = s_chat ("general", 1, 1, 1);
    msg.has &= ~ZF_TEXT;
    CHECK (zc_delivery_offer (d, &msg) == ZC_DLV_INVALID);
    CHECK (zc_delivery_offer (d, NULL) == ZC_DLV_INVALID);
    CHECK (s_next (d) == 0 && zc_delivery_known_rseq (d) == 0);
    zc_delivery_destroy (&d);
}

//  Room messages sit between other rooms' messages: seq has holes, rseq not
static void
test_gap_fetch_fill (void)
{
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 0, 0);
    uint64_t last = 99;
    CHECK (!zc_delivery_gap (d, &last) && last == 99);
    CHECK (s_offer (d, 10, 1) == ZC_DLV_READY);
    CHECK (s_next (d) == 1);
    CHECK (s_offer (d, 30, 3) == ZC_DLV_HELD);      //  20 (rseq 2) was lost
    CHECK (s_offer (d, 40, 4) == ZC_DLV_HELD);
    CHECK (s_next (d) == 0);
    CHECK (zc_delivery_gap (d, &last) && last == 10);   //  FETCH {last: 10}
    //  ENTRIES bring 2, 3 (again) and 4 (again)
    CHECK (s_offer (d, 20, 2) == ZC_DLV_READY);
    CHECK (s_offer (d, 30, 3) == ZC_DLV_DUPLICATE);
    CHECK (s_offer (d, 40, 4) == ZC_DLV_DUPLICATE);
    CHECK (!zc_delivery_gap (d, NULL));
    CHECK (s_next (d) == 2 && s_next (d) == 3 && s_next (d) == 4 && s_next (d) == 0);
    CHECK (zc_delivery_held (d) == 0);
    //  Two gaps: the FETCH floor moves as each is filled
    CHECK (s_offer (d, 60, 6) == ZC_DLV_HELD);
    CHECK (s_offer (d, 80, 8) == ZC_DLV_HELD);
    CHECK (zc_delivery_gap (d, &last) && last == 40);
    CHECK (s_offer (d, 50, 5) == ZC_DLV_READY);
    CHECK (s_next (d) == 5 && s_next (d) == 6 && s_next (d) == 0);
    CHECK (zc_delivery_gap (d, &last) && last == 60);
    CHECK (s_offer (d, 70, 7) == ZC_DLV_READY);
    CHECK (s_next (d) == 7 && s_next (d) == 8 && s_next (d) == 0);
    CHECK (!zc_delivery_gap (d, NULL));
    zc_delivery_destroy (&d);
}

//  A lost tail: no later message shows it, the leader's hint does
static void
test_tail_gap_from_hint (void)
{
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 0, 0);
    CHECK (s_offer (d, 1, 1) == ZC_DLV_READY && s_next (d) == 1);
    CHECK (!zc_delivery_gap (d, NULL));
    zc_delivery_leader_hint (d, 3, 7);              //  2 and 3 exist
    uint64_t last = 0;
    CHECK (zc_delivery_gap (d, &last) && last == 1);
    CHECK (zc_delivery_known_rseq (d) == 3);
    CHECK (s_offer (d, 5, 2) == ZC_DLV_READY);
    CHECK (s_offer (d, 7, 3) == ZC_DLV_HELD);
    CHECK (s_next (d) == 2 && s_next (d) == 3);
    CHECK (!zc_delivery_gap (d, NULL));
    zc_delivery_leader_hint (d, 2, 5);              //  an older hint changes nothing
    CHECK (!zc_delivery_gap (d, NULL) && zc_delivery_next_rseq (d) == 4);
    zc_delivery_destroy (&d);
}

static void
test_baseline (void)
{
    //  Messages that arrive before the baseline wait for it
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    CHECK (!zc_delivery_started (d));
    CHECK (s_offer (d, 50, 5) == ZC_DLV_HELD);
    CHECK (s_offer (d, 60, 6) == ZC_DLV_HELD);
    CHECK (s_next (d) == 0 && !zc_delivery_gap (d, NULL));
    zc_delivery_leader_hint (d, 4, 40);
    CHECK (zc_delivery_started (d));
    CHECK (s_next (d) == 5 && s_next (d) == 6 && s_next (d) == 0);
    zc_delivery_destroy (&d);

    //  Baseline above what is held: those are history
    d = zc_delivery_new ("general", 0);
    CHECK (s_offer (d, 50, 5) == ZC_DLV_HELD);
    CHECK (s_offer (d, 60, 6) == ZC_DLV_HELD);
    zc_delivery_leader_hint (d, 6, 60);
    CHECK (s_next (d) == 0 && zc_delivery_held (d) == 0);
    CHECK (s_offer (d, 60, 6) == ZC_DLV_DUPLICATE);
    CHECK (s_offer (d, 70, 7) == ZC_DLV_READY && s_next (d) == 7);
    zc_delivery_destroy (&d);

    //  Baseline below what is held: the messages between are fetched
    //  after the leader's commit (every room message up to rseq 5 is at or
    //  below it)
    d = zc_delivery_new ("general", 0);
    CHECK (s_offer (d, 70, 7) == ZC_DLV_HELD);
    CHECK (s_offer (d, 80, 8) == ZC_DLV_HELD);
    zc_delivery_leader_hint (d, 5, 55);
    uint64_t last = 0;
    CHECK (s_next (d) == 0);
    CHECK (zc_delivery_gap (d, &last) && last == 55);
    CHECK (s_offer (d, 60, 6) == ZC_DLV_READY);
    CHECK (s_next (d) == 6 && s_next (d) == 7 && s_next (d) == 8 && s_next (d) == 0);
    zc_delivery_destroy (&d);

    //  Held out of order before the baseline (an earlier one came later)
    d = zc_delivery_new ("general", 0);
    CHECK (s_offer (d, 70, 7) == ZC_DLV_HELD);
    CHECK (s_offer (d, 50, 5) == ZC_DLV_HELD);
    zc_delivery_leader_hint (d, 3, 30);
    CHECK (zc_delivery_gap (d, &last) && last == 30);
    CHECK (s_offer (d, 40, 4) == ZC_DLV_READY);
    CHECK (s_next (d) == 4 && s_next (d) == 5 && s_next (d) == 0);
    CHECK (zc_delivery_gap (d, &last) && last == 50);
    CHECK (s_offer (d, 60, 6) == ZC_DLV_READY);
    CHECK (s_next (d) == 6 && s_next (d) == 7 && s_next (d) == 0);
    //  A second hint never moves the baseline back
    zc_delivery_leader_hint (d, 1, 10);
    CHECK (zc_delivery_next_rseq (d) == 8 && !zc_delivery_gap (d, NULL));
    zc_delivery_destroy (&d);
}

//  No baseline from a leader in time: start from the first message held
static void
test_start_without_baseline (void)
{
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    CHECK (s_offer (d, 110, 11) == ZC_DLV_HELD);
    CHECK (s_offer (d, 100, 10) == ZC_DLV_HELD);
    CHECK (s_offer (d, 130, 13) == ZC_DLV_HELD);
    CHECK (zc_delivery_held (d) == 3);
    zc_delivery_start (d);
    CHECK (zc_delivery_started (d));
    CHECK (s_next (d) == 10 && s_next (d) == 11 && s_next (d) == 0);
    uint64_t last = 0;
    CHECK (zc_delivery_gap (d, &last) && last == 110);
    CHECK (s_offer (d, 100, 10) == ZC_DLV_DUPLICATE);
    zc_delivery_leader_hint (d, 2, 20);             //  too late to be a baseline
    CHECK (zc_delivery_next_rseq (d) == 12);
    CHECK (s_offer (d, 120, 12) == ZC_DLV_READY);
    CHECK (s_next (d) == 12 && s_next (d) == 13);
    zc_delivery_destroy (&d);

    //  Started with nothing held: the next arrival is the first
    d = zc_delivery_new ("general", 0);
    zc_delivery_start (d);
    CHECK (s_next (d) == 0 && !zc_delivery_gap (d, NULL));
    CHECK (s_offer (d, 420, 42) == ZC_DLV_READY);
    CHECK (s_next (d) == 42);
    CHECK (s_offer (d, 440, 44) == ZC_DLV_HELD);
    CHECK (zc_delivery_gap (d, &last) && last == 420);
    CHECK (s_offer (d, 410, 41) == ZC_DLV_DUPLICATE);   //  before the start
    zc_delivery_destroy (&d);

    //  A first message held then started: what preceded it is history,
    //  and a gap right after it is fetched from just below it
    d = zc_delivery_new ("general", 0);
    CHECK (s_offer (d, 300, 30) == ZC_DLV_HELD);
    CHECK (s_offer (d, 320, 32) == ZC_DLV_HELD);
    zc_delivery_start (d);
    CHECK (s_next (d) == 30 && s_next (d) == 0);
    CHECK (zc_delivery_gap (d, &last) && last == 300);
    zc_delivery_destroy (&d);
}

//  A new leader continues seq and rseq: nothing special, epoch passes through
static void
test_leader_change (void)
{
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 2, 4);
    zc_msg_t m3 = s_chat ("general", 5, 3, 1);
    zc_msg_t m4 = s_chat ("general", 6, 4, 2);      //  stamped by the new leader
    zc_msg_t m5 = s_chat ("general", 8, 5, 2);
    CHECK (zc_delivery_offer (d, &m3) == ZC_DLV_READY);
    zc_chat_t *chat = zc_delivery_next (d);
    CHECK (chat && chat->rseq == 3 && chat->epoch == 1);
    zc_chat_destroy (&chat);
    //  The old leader's last message was lost; the new one's come first
    CHECK (zc_delivery_offer (d, &m5) == ZC_DLV_HELD);
    zc_delivery_leader_hint (d, 5, 8);              //  WELCOME of the new leader
    uint64_t last = 0;
    CHECK (zc_delivery_gap (d, &last) && last == 5);
    CHECK (zc_delivery_offer (d, &m4) == ZC_DLV_READY);
    chat = zc_delivery_next (d);
    CHECK (chat && chat->rseq == 4 && chat->epoch == 2);
    zc_chat_destroy (&chat);
    chat = zc_delivery_next (d);
    CHECK (chat && chat->rseq == 5 && chat->seq == 8 && chat->epoch == 2);
    zc_chat_destroy (&chat);
    zc_delivery_destroy (&d);
}

//  The window bounds memory: what is too far ahead is fetched later
static void
test_window (void)
{
    zc_delivery_t *d = zc_delivery_new ("general", 4);
    zc_delivery_leader_hint (d, 0, 0);
    CHECK (s_offer (d, 9, 9) == ZC_DLV_TOO_FAR);
    CHECK (zc_delivery_known_rseq (d) == 9);
    uint64_t last = 99;
    CHECK (zc_delivery_gap (d, &last) && last == 0);
    for (uint64_t r = 4; r >= 2; r--)
        CHECK (s_offer (d, r, r) == ZC_DLV_HELD);
    CHECK (s_offer (d, 5, 5) == ZC_DLV_TOO_FAR);    //  window is [1, 5)
    CHECK (s_offer (d, 1, 1) == ZC_DLV_READY);
    for (uint64_t r = 1; r <= 4; r++)
        CHECK (s_next (d) == r);
    CHECK (zc_delivery_gap (d, &last) && last == 4);
    for (uint64_t r = 5; r <= 9; r++)
        CHECK (s_offer (d, r, r) == (r == 5? ZC_DLV_READY: r < 9? ZC_DLV_HELD: ZC_DLV_TOO_FAR));
    for (uint64_t r = 5; r <= 8; r++)
        CHECK (s_next (d) == r);
    CHECK (s_offer (d, 9, 9) == ZC_DLV_READY && s_next (d) == 9);
    CHECK (!zc_delivery_gap (d, NULL));
    zc_delivery_destroy (&d);
}

//  --history N: the baseline is N before the room's last rseq; the first
//  one delivered sets the start; the live stream waits behind them
static void
test_history (void)
{
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_set_history (d, 3);
    CHECK (s_offer (d, 110, 11) == ZC_DLV_HELD);    //  live, before WELCOME
    zc_delivery_leader_hint (d, 10, 100);
    uint64_t last = 99, rseq = 99, start = 0;
    CHECK (zc_delivery_next_rseq (d) == 8 && zc_delivery_known_rseq (d) == 11);
    CHECK (zc_delivery_gap (d, &last) && last == 0);
    CHECK (zc_delivery_resume_point (d, &last, &rseq) && last == 0 && rseq == 7);
    CHECK (!zc_delivery_take_start (d, &start));    //  not known yet
    CHECK (s_offer (d, 70, 7) == ZC_DLV_DUPLICATE); //  older than asked
    CHECK (s_offer (d, 80, 8) == ZC_DLV_READY);
    CHECK (s_offer (d, 90, 9) == ZC_DLV_HELD && s_offer (d, 100, 10) == ZC_DLV_HELD);
    CHECK (s_next (d) == 8);
    CHECK (zc_delivery_take_start (d, &start) && start == 79);
    CHECK (!zc_delivery_take_start (d, &start));    //  once
    CHECK (s_next (d) == 9 && s_next (d) == 10 && s_next (d) == 11 && s_next (d) == 0);
    zc_delivery_destroy (&d);

    //  More asked than the room has: all of it, from rseq 1
    d = zc_delivery_new ("general", 0);
    zc_delivery_set_history (d, 50);
    zc_delivery_leader_hint (d, 2, 20);
    CHECK (zc_delivery_resume_point (d, &last, &rseq) && rseq == 0);
    CHECK (s_offer (d, 5, 1) == ZC_DLV_READY && s_next (d) == 1);
    CHECK (zc_delivery_take_start (d, &start) && start == 4);
    zc_delivery_destroy (&d);

    //  An empty room: nothing to fetch, the start is the leader's seq
    d = zc_delivery_new ("general", 0);
    zc_delivery_set_history (d, 50);
    zc_delivery_leader_hint (d, 0, 33);
    CHECK (!zc_delivery_gap (d, NULL));
    CHECK (zc_delivery_take_start (d, &start) && start == 33);
    zc_delivery_destroy (&d);
}

//  The start line: the baseline's seq, else the seq before the first one
static void
test_start_seq (void)
{
    uint64_t start = 0;
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    CHECK (!zc_delivery_take_start (d, &start) && !zc_delivery_resume_point (d, NULL, NULL));
    zc_delivery_leader_hint (d, 4, 40);
    CHECK (zc_delivery_take_start (d, &start) && start == 40);
    CHECK (s_offer (d, 50, 5) == ZC_DLV_READY && s_next (d) == 5);
    CHECK (!zc_delivery_take_start (d, &start));
    zc_delivery_destroy (&d);

    d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 4, 0);              //  seq not sent
    CHECK (!zc_delivery_take_start (d, &start));
    CHECK (s_offer (d, 50, 5) == ZC_DLV_READY && s_next (d) == 5);
    CHECK (zc_delivery_take_start (d, &start) && start == 49);
    zc_delivery_destroy (&d);

    d = zc_delivery_new ("general", 0);             //  no leader: the first held
    CHECK (s_offer (d, 70, 7) == ZC_DLV_HELD);
    zc_delivery_start (d);
    CHECK (s_next (d) == 7 && zc_delivery_take_start (d, &start) && start == 69);
    zc_delivery_destroy (&d);
}

//  Retention: a FETCH reply whose first entry is past the next rseq
static void
test_skip (void)
{
    zc_dlv_skip_t skip;
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    CHECK (!zc_delivery_skip_to (d, 9, 90, &skip));    //  not started
    zc_delivery_leader_hint (d, 4, 40);
    CHECK (s_offer (d, 120, 12) == ZC_DLV_HELD);       //  live, far ahead
    CHECK (!zc_delivery_skip_to (d, 5, 50, &skip));    //  nothing missing
    CHECK (zc_delivery_skip_to (d, 8, 80, &skip));     //  5..7 are gone
    CHECK (skip.from == 5 && skip.to == 8 && !skip.history);
    uint64_t last = 0, rseq = 0;
    CHECK (zc_delivery_resume_point (d, &last, &rseq) && last == 79 && rseq == 7);
    CHECK (s_offer (d, 80, 8) == ZC_DLV_READY && s_next (d) == 8);
    CHECK (zc_delivery_next_rseq (d) == 9 && zc_delivery_held (d) == 1);
    //  12 came live before the node retired it: skip to it, not past it
    CHECK (zc_delivery_skip_to (d, 14, 140, &skip));
    CHECK (skip.from == 9 && skip.to == 12 && s_next (d) == 12);
    CHECK (zc_delivery_resume_point (d, &last, &rseq) && last == 120 && rseq == 12);
    zc_delivery_destroy (&d);

    //  Within the history asked for: how many of it are still held
    d = zc_delivery_new ("general", 0);
    zc_delivery_set_history (d, 5);
    zc_delivery_leader_hint (d, 10, 100);              //  asks for 6..10
    CHECK (zc_delivery_skip_to (d, 9, 90, &skip));
    CHECK (skip.from == 6 && skip.to == 9 && skip.history && skip.history_kept == 2);
    CHECK (s_offer (d, 90, 9) == ZC_DLV_READY && s_next (d) == 9);
    uint64_t start = 0;
    CHECK (zc_delivery_take_start (d, &start) && start == 89);
    zc_delivery_destroy (&d);
}

//  Many messages in a random order, with repeats: out comes 1..N once each
static void
test_shuffled (void)
{
    enum { N = 2000 };
    static uint64_t order [3 * N];
    srand (7);
    for (int i = 0; i < 3 * N; i++)
        order [i] = (uint64_t) (i % N) + 1;
    for (int i = 3 * N - 1; i > 0; i--) {
        int j = rand () % (i + 1);
        uint64_t t = order [i];
        order [i] = order [j];
        order [j] = t;
    }
    zc_delivery_t *d = zc_delivery_new ("general", 0);
    zc_delivery_leader_hint (d, 0, 0);
    uint64_t expect = 1;
    bool ok = true;
    for (int i = 0; i < 3 * N; i++) {
        s_offer (d, order [i] * 3, order [i]);
        uint64_t r;
        while ((r = s_next (d)))
            ok = ok && r == expect++;
    }
    CHECK (ok);
    CHECK (expect == N + 1);
    CHECK (zc_delivery_held (d) == 0 && !zc_delivery_gap (d, NULL));
    zc_delivery_destroy (&d);
}

int
main (void)
{
    test_in_order ();
    test_duplicates ();
    test_room_filter ();
    test_invalid ();
    test_gap_fetch_fill ();
    test_tail_gap_from_hint ();
    test_baseline ();
    test_start_without_baseline ();
    test_leader_change ();
    test_window ();
    test_shuffled ();
    test_history ();
    test_start_seq ();
    test_skip ();
    return check_report ("test_delivery");
}
