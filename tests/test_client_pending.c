/*  test_client_pending.c — the client's queue of unacknowledged POSTs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pending.h"
#include "testutil.h"

static int
s_add (zc_pending_t *p, uint64_t id, int64_t now)
{
    uint8_t frame [16];
    memset (frame, (int) id, sizeof (frame));
    return zc_pending_add (p, id, id * 10, frame, sizeof (frame), now);
}

//  Sends everything due at time now; returns how many went out
static int
s_send_all (zc_pending_t *p, int64_t now, uint64_t *ids)
{
    int count = 0;
    const zc_post_t *post;
    while ((post = zc_pending_due (p))) {
        if (ids)
            ids [count] = post->id;
        count++;
        zc_pending_sent (p, now);
    }
    return count;
}

static void
s_ack (zc_pending_t *p, uint64_t id, bool expect)
{
    zc_post_t *post = zc_pending_ack (p, id);
    CHECK ((post != NULL) == expect);
    if (post)
        CHECK (post->id == id && post->ts == id * 10 && post->size == 16
               && post->frame [0] == (uint8_t) id);
    free (post);
}

static void
test_basic (void)
{
    zc_pending_t *p = zc_pending_new ();
    CHECK (zc_pending_size (p) == 0 && zc_pending_oldest (p) == -1 && !zc_pending_has_due (p));
    CHECK (s_add (p, 0, 0) == -1);                  //  ids start at 1
    CHECK (s_add (p, 1, 100) == 0);
    CHECK (s_add (p, 3, 100) == -1);                //  not contiguous
    CHECK (s_add (p, 2, 110) == 0);
    CHECK (zc_pending_size (p) == 2);
    CHECK (zc_pending_oldest (p) == 100);           //  posted, not sent yet
    uint64_t ids [8];
    CHECK (s_send_all (p, 120, ids) == 2 && ids [0] == 1 && ids [1] == 2);
    CHECK (!zc_pending_has_due (p));
    CHECK (zc_pending_oldest (p) == 120);
    s_ack (p, 1, true);
    s_ack (p, 1, false);                            //  a repeat ACK
    CHECK (zc_pending_size (p) == 1);
    s_ack (p, 2, true);
    CHECK (zc_pending_size (p) == 0 && zc_pending_oldest (p) == -1);
    CHECK (s_add (p, 4, 200) == -1);
    CHECK (s_add (p, 3, 200) == 0);                 //  continues after the last
    CHECK (zc_pending_find (p, 3) && !zc_pending_find (p, 2) && !zc_pending_find (p, 4));
    zc_pending_destroy (&p);
    CHECK (p == NULL);
    zc_pending_destroy (&p);
}

//  A failed send stops the stream; it goes on from the same message
static void
test_send_stops_in_order (void)
{
    zc_pending_t *p = zc_pending_new ();
    for (uint64_t id = 1; id <= 5; id++)
        s_add (p, id, 0);
    CHECK (zc_pending_due (p)->id == 1);
    zc_pending_sent (p, 1);
    CHECK (zc_pending_due (p)->id == 2);            //  send of 2 failed: still 2
    CHECK (zc_pending_due (p)->id == 2);
    zc_pending_sent (p, 2);
    uint64_t ids [8];
    CHECK (s_send_all (p, 3, ids) == 3 && ids [0] == 3 && ids [2] == 5);
    zc_pending_destroy (&p);
}

//  Rounds: a rewind resends every pending message in order, skipping
//  acknowledged ones; errors from earlier rounds are stale
static void
test_rounds (void)
{
    zc_pending_t *p = zc_pending_new ();
    for (uint64_t id = 1; id <= 6; id++)
        s_add (p, id, 0);
    CHECK (s_send_all (p, 10, NULL) == 6);
    CHECK (zc_pending_round (p) == 1);
    CHECK (!zc_pending_stale (p, 3));
    s_ack (p, 2, true);                             //  out of order: a hole
    s_ack (p, 5, true);
    CHECK (zc_pending_size (p) == 4);
    zc_pending_rewind (p, 50);
    CHECK (zc_pending_round (p) == 2);
    CHECK (zc_pending_stale (p, 3));                //  sent in round 1 only
    CHECK (zc_pending_stale (p, 2));                //  not pending any more
    CHECK (zc_pending_stale (p, 99));
    CHECK (zc_pending_oldest (p) == 50);            //  due since the rewind
    uint64_t ids [8];
    CHECK (s_send_all (p, 60, ids) == 4);
    CHECK (ids [0] == 1 && ids [1] == 3 && ids [2] == 4 && ids [3] == 6);
    CHECK (!zc_pending_stale (p, 3));
    CHECK (zc_pending_oldest (p) == 60);
    s_ack (p, 1, true);                             //  the head moves past 2
    CHECK (zc_pending_oldest (p) == 60 && zc_pending_size (p) == 3);
    s_ack (p, 3, true);
    s_ack (p, 4, true);
    s_ack (p, 6, true);
    CHECK (zc_pending_size (p) == 0 && !zc_pending_has_due (p));
    CHECK (s_add (p, 7, 70) == 0);
    CHECK (zc_pending_oldest (p) == 70);            //  posted after the rewind
    zc_pending_destroy (&p);
}

//  The ring grows, and keeps id order across the wrap
static void
test_growth (void)
{
    zc_pending_t *p = zc_pending_new ();
    uint64_t next = 1;
    bool ok = true;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 37; i++)
            ok = ok && s_add (p, next++, round) == 0;
    }
    CHECK (ok);
    CHECK (zc_pending_size (p) == 50 * 37);
    const zc_post_t *post;
    uint64_t expect = 1;
    while ((post = zc_pending_due (p))) {
        ok = ok && post->id == expect++;
        zc_pending_sent (p, 1);
    }
    CHECK (ok && expect == next);
    for (uint64_t id = 2; id < next; id += 2)
        free (zc_pending_ack (p, id));
    CHECK (zc_pending_size (p) == (50 * 37 + 1) / 2);
    for (uint64_t id = 1; id < next; id += 2)
        free (zc_pending_ack (p, id));
    CHECK (zc_pending_size (p) == 0);
    CHECK (s_add (p, next, 0) == 0);
    zc_pending_destroy (&p);
}

//  A refusal for good closes the id up: later messages move down one id,
//  a new round starts there, what is below stays sent, and the unanswered
//  sends of the refused and the moved ones are handed back
static void
test_refuse (void)
{
    zc_pending_t *p = zc_pending_new ();
    for (uint64_t id = 1; id <= 4; id++)
        CHECK (s_add (p, id, 100) == 0);
    uint64_t ids [8];
    CHECK (s_send_all (p, 110, ids) == 4);
    uint32_t round = zc_pending_round (p);
    uint64_t unanswered = 0;
    zc_post_t *post = zc_pending_refuse (p, 2, 120, &unanswered);
    CHECK (post && post->id == 2 && post->ts == 20);
    free (post);
    CHECKF (unanswered == 3, "%" PRIu64, unanswered);       //  2, 3 and 4, once each
    CHECK (zc_pending_size (p) == 3 && zc_pending_next_id (p) == 4);
    CHECK (zc_pending_round (p) == round + 1);
    const zc_post_t *moved = zc_pending_find (p, 2);
    CHECK (moved && moved->id == 2 && moved->ts == 30 && moved->unanswered == 0);
    moved = zc_pending_find (p, 3);
    CHECK (moved && moved->id == 3 && moved->ts == 40);
    CHECK (!zc_pending_find (p, 4));
    CHECK (!zc_pending_stale (p, 1) && zc_pending_stale (p, 2));
    //  Due again from 2 only: 1 stays sent in the round
    CHECK (s_send_all (p, 130, ids) == 2 && ids [0] == 2 && ids [1] == 3);
    uint8_t frame [4] = { 9, 9, 9, 9 };
    CHECK (zc_pending_reframe (p, 3, frame, sizeof (frame)) == 0);
    CHECK (zc_pending_find (p, 3)->size == 4 && zc_pending_find (p, 3)->frame [0] == 9);
    CHECK (zc_pending_reframe (p, 7, frame, sizeof (frame)) == -1);
    //  The last one refused: nothing moves, its id is the next one again
    post = zc_pending_refuse (p, 3, 140, NULL);
    CHECK (post && post->ts == 40);
    free (post);
    CHECK (zc_pending_next_id (p) == 3 && s_add (p, 3, 150) == 0);
    //  The head refused: the queue starts at it, with the next message
    post = zc_pending_refuse (p, 1, 160, NULL);
    free (post);
    CHECK (zc_pending_size (p) == 2 && zc_pending_find (p, 1)->ts == 30
           && zc_pending_find (p, 2)->ts == 30 && zc_pending_next_id (p) == 3);
    CHECK (!zc_pending_refuse (p, 5, 170, NULL));
    zc_pending_destroy (&p);
}

//  A lost ACK: message 1's ACK never comes while 2 and 3 are acked.  It is
//  overdue once retry_ms passed since it went out, alone; its resend
//  restarts its own timer; what was not sent in this round is not overdue
static void
test_overdue (void)
{
    zc_pending_t *p = zc_pending_new ();
    CHECK (s_add (p, 1, 0) == 0 && s_add (p, 2, 0) == 0 && s_add (p, 3, 0) == 0
           && s_add (p, 4, 0) == 0);
    uint64_t ids [8];
    CHECK (s_send_all (p, 100, ids) == 4);
    s_ack (p, 2, true);
    s_ack (p, 3, true);
    s_ack (p, 4, true);
    CHECK (zc_pending_overdue (p, 0, 99) == NULL);          //  not yet
    const zc_post_t *post = zc_pending_overdue (p, 0, 100);
    CHECK (post && post->id == 1 && post->unanswered == 1);
    CHECK (zc_pending_overdue (p, 1, 100) == NULL);          //  the only one
    zc_pending_resent (p, 1, 500);
    CHECK (zc_pending_overdue (p, 0, 499) == NULL);          //  its timer restarted
    post = zc_pending_overdue (p, 0, 500);
    CHECK (post && post->id == 1 && post->unanswered == 2 && post->sent_at == 500);
    //  Posted after the round's sends: not sent, so not overdue
    CHECK (s_add (p, 5, 600) == 0);
    CHECK (zc_pending_overdue (p, 1, 10000) == NULL);
    //  A new round: nothing went out in it yet
    zc_pending_rewind (p, 700);
    CHECK (zc_pending_overdue (p, 0, 10000) == NULL);
    s_ack (p, 1, true);
    s_ack (p, 5, true);
    CHECK (zc_pending_overdue (p, 0, 10000) == NULL);
    //  Slow, not lost: nothing above it acknowledged, so never overdue
    //  (the quiet-sender round handles it)
    zc_pending_destroy (&p);
    p = zc_pending_new ();
    CHECK (s_add (p, 1, 0) == 0 && s_add (p, 2, 0) == 0);
    CHECK (s_send_all (p, 100, ids) == 2);
    CHECK (zc_pending_overdue (p, 0, 100000) == NULL);
    s_ack (p, 1, true);
    CHECK (zc_pending_overdue (p, 0, 100000) == NULL);
    zc_pending_destroy (&p);
}

int
main (void)
{
    test_basic ();
    test_send_stops_in_order ();
    test_rounds ();
    test_growth ();
    test_refuse ();
    test_overdue ();
    return check_report ("test_client_pending");
}
