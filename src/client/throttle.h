/*  throttle.h — the client's answer to a node that asks it to slow down.

    A leader enforcing its per-client rate refuses a POST with ERROR
    slow_down and retry_ms (PROTOCOL.md §7).  The client holds its whole
    stream for that long and then resends in order, as after "busy": a
    refusal, not a loss.  Two guards:
    - the hold is bounded (ZC_SLOW_MIN_MS..ZC_SLOW_MAX_MS): a retry_ms of
      0 must not become a resend loop at network speed, and a node (or
      anyone answering in its place) must not freeze the client for hours;
    - the user hears of it once per burst: slow_downs that come less than
      ZC_SLOW_BURST_MS apart are one burst, one notice.
    And it paces itself during a burst: resending the whole pipeline after
    each hold would have most of it refused again (100 lines at --rate 20:
    1830 refusals).  After a slow_down only one message goes out; each
    ACK lets two more go (TCP's slow start), so the stream finds the
    node's rate within a few round trips.  A burst ends ZC_SLOW_BURST_MS
    after the last slow_down, and the pipeline is whole again.
    Pure: the caller passes the time in.
*/
#ifndef ZC_THROTTLE_H
#define ZC_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#define ZC_SLOW_MIN_MS   10         //  shortest hold (also when retry_ms is absent)
#define ZC_SLOW_MAX_MS   10000      //  longest hold one refusal can ask for
#define ZC_SLOW_BURST_MS 5000       //  refusals closer than this: one burst

typedef struct {
    int64_t last_at;                //  last slow_down (ms), 0 = none yet
    uint64_t refusals;              //  slow_downs heard
    uint64_t bursts;                //  bursts (notices given)
    bool pacing;                    //  in a burst: sends need credit
    uint32_t credit;                //  sends allowed before the next ACK
} zc_throttle_t;

//  Start with no refusal heard.
void zc_throttle_init (zc_throttle_t *self);

//  A slow_down at time now, asking for retry_ms (has_retry false: not
//  said).  Returns how long to hold, in ms, bounded as above; *notice is
//  set true when this refusal starts a burst (tell the user), else false.
int64_t zc_throttle_slow_down (zc_throttle_t *self, bool has_retry, uint64_t retry_ms,
                               int64_t now, bool *notice);

//  May a POST go out now?  Also ends the burst when it is over.
bool zc_throttle_may_send (zc_throttle_t *self, int64_t now);

//  A POST went out / an ACK came / a resend round started (a round must
//  be able to send at least one, or a lost ACK would stall the stream).
void zc_throttle_sent (zc_throttle_t *self);
void zc_throttle_acked (zc_throttle_t *self);
void zc_throttle_rewound (zc_throttle_t *self);

#endif
