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
    if (!has_retry || retry_ms < ZC_SLOW_MIN_MS)
        return ZC_SLOW_MIN_MS;
    return retry_ms > ZC_SLOW_MAX_MS? ZC_SLOW_MAX_MS: (int64_t) retry_ms;
}
