/*  throttle.c — see throttle.h. */
#include "throttle.h"

#include <assert.h>
#include <string.h>

void
zc_throttle_init (zc_throttle_t *self)
{
    assert (self);
    memset (self, 0, sizeof (*self));
}

int64_t
zc_throttle_slow_down (zc_throttle_t *self, bool has_retry, uint64_t retry_ms,
                       int64_t now, bool *notice)
{
    assert (self && notice);
    *notice = self->refusals == 0 || now - self->last_at >= ZC_SLOW_BURST_MS;
    if (*notice)
        self->bursts++;
    self->refusals++;
    self->last_at = now;
    self->pacing = true;
    self->credit = 1;
    if (!has_retry || retry_ms < ZC_SLOW_MIN_MS)
        return ZC_SLOW_MIN_MS;
    return retry_ms > ZC_SLOW_MAX_MS? ZC_SLOW_MAX_MS: (int64_t) retry_ms;
}

bool
zc_throttle_may_send (zc_throttle_t *self, int64_t now)
{
    assert (self);
    if (self->pacing && now - self->last_at >= ZC_SLOW_BURST_MS)
        self->pacing = false;
    return !self->pacing || self->credit > 0;
}

void
zc_throttle_sent (zc_throttle_t *self)
{
    assert (self);
    if (self->pacing && self->credit)
        self->credit--;
}

void
zc_throttle_acked (zc_throttle_t *self)
{
    assert (self);
    //  Bounded: a long burst of ACKs must not wrap the credit to 0
    if (self->pacing && self->credit < UINT32_MAX - 2)
        self->credit += 2;
}

void
zc_throttle_rewound (zc_throttle_t *self)
{
    assert (self);
    if (self->pacing && !self->credit)
        self->credit = 1;
}
