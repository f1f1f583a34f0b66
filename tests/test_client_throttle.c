/*  test_client_throttle.c — the client's answer to "slow_down" (throttle.h):
    a bounded hold, one notice per burst. */
#include "testutil.h"
#include "throttle.h"

static void
test_hold_bounds (void)
{
    zc_throttle_t t;
    zc_throttle_init (&t);
    bool notice;
    CHECK (zc_throttle_slow_down (&t, true, 250, 1000, &notice) == 250);
    //  retry_ms 0, or absent: never a resend loop at network speed
    CHECK (zc_throttle_slow_down (&t, true, 0, 1001, &notice) == ZC_SLOW_MIN_MS);
    CHECK (zc_throttle_slow_down (&t, true, 3, 1002, &notice) == ZC_SLOW_MIN_MS);
    CHECK (zc_throttle_slow_down (&t, false, 5000, 1003, &notice) == ZC_SLOW_MIN_MS);
    //  and no node freezes us for long
    CHECK (zc_throttle_slow_down (&t, true, ZC_SLOW_MAX_MS + 1, 1004, &notice) == ZC_SLOW_MAX_MS);
    CHECK (zc_throttle_slow_down (&t, true, UINT64_MAX, 1005, &notice) == ZC_SLOW_MAX_MS);
    CHECK (zc_throttle_slow_down (&t, true, ZC_SLOW_MAX_MS, 1006, &notice) == ZC_SLOW_MAX_MS);
    CHECK (t.refusals == 7);
}

static void
test_one_notice_per_burst (void)
{
    zc_throttle_t t;
    zc_throttle_init (&t);
    bool notice = false;
    zc_throttle_slow_down (&t, true, 100, 0, &notice);
    CHECK (notice);                             //  the first one, even at time 0
    int notices = 0;
    //  a refusal every 100 ms for 20 s: one burst
    for (int64_t now = 100; now <= 20000; now += 100) {
        zc_throttle_slow_down (&t, true, 100, now, &notice);
        notices += notice;
    }
    CHECK (notices == 0);
    CHECK (t.bursts == 1);
    //  quiet for a burst gap: the next one is told again
    zc_throttle_slow_down (&t, true, 100, 20000 + ZC_SLOW_BURST_MS - 1, &notice);
    CHECK (!notice);
    zc_throttle_slow_down (&t, true, 100, 20000 + 2 * ZC_SLOW_BURST_MS, &notice);
    CHECK (notice);
    CHECK (t.bursts == 2 && t.refusals == 203);
}

//  During a burst the stream is paced: one send after a refusal, two more
//  per ACK; a resend round can always send one; the burst ends
static void
test_pacing (void)
{
    zc_throttle_t t;
    zc_throttle_init (&t);
    CHECK (zc_throttle_may_send (&t, 0));       //  no refusal yet: no pacing
    for (int i = 0; i < 1000; i++)
        zc_throttle_sent (&t);
    CHECK (zc_throttle_may_send (&t, 0));
    bool notice;
    zc_throttle_slow_down (&t, true, 50, 1000, &notice);
    CHECK (zc_throttle_may_send (&t, 1050));
    zc_throttle_sent (&t);
    CHECK (!zc_throttle_may_send (&t, 1051));   //  one, then wait for its ACK
    zc_throttle_acked (&t);
    int sends = 0;
    while (zc_throttle_may_send (&t, 1052) && sends < 100) {
        zc_throttle_sent (&t);
        sends++;
    }
    CHECK (sends == 2);
    //  A lost ACK: the retry round must still send one
    CHECK (!zc_throttle_may_send (&t, 1400));
    zc_throttle_rewound (&t);
    CHECK (zc_throttle_may_send (&t, 1400));
    zc_throttle_sent (&t);
    zc_throttle_rewound (&t);
    CHECK (zc_throttle_may_send (&t, 1401));
    zc_throttle_rewound (&t);                   //  does not pile up credit
    zc_throttle_sent (&t);
    CHECK (!zc_throttle_may_send (&t, 1402));
    //  The burst is over: the pipeline is whole again
    CHECK (zc_throttle_may_send (&t, 1000 + ZC_SLOW_BURST_MS));
    for (int i = 0; i < 1000; i++)
        zc_throttle_sent (&t);
    CHECK (zc_throttle_may_send (&t, 1000 + ZC_SLOW_BURST_MS + 1));
}

int
main (void)
{
    test_hold_bounds ();
    test_one_notice_per_burst ();
    test_pacing ();
    return check_report ("test_client_throttle");
}
