/*  follow.c — see follow.h */
#include "follow.h"

#include <assert.h>
#include <string.h>

void
zc_follow_init (zc_follow_t *self)
{
    assert (self);
    memset (self, 0, sizeof (*self));
}

static bool
s_shunned (zc_follow_t *self, uint32_t leader, uint64_t epoch, int64_t now)
{
    return leader == self->shun_leader && epoch == self->shun_epoch
        && now < self->shun_until;
}

bool
zc_follow_hint (zc_follow_t *self, uint32_t leader, uint64_t epoch,
                bool first_hand, int64_t now)
{
    assert (self);
    if (epoch > self->max_epoch)
        self->max_epoch = epoch;
    if (leader == 0 || epoch < self->epoch)
        return false;
    if (first_hand && leader == self->shun_leader && epoch == self->shun_epoch)
        self->shun_until = 0;           //  it holds its lease again
    if (epoch == self->epoch) {
        //  Same epoch: the same leader, or a leader we lost.  Two leaders
        //  in one epoch cannot be; a contradicting hint is stale, ignore it
        if (self->leader != 0 || s_shunned (self, leader, epoch, now))
            return false;
    }
    self->leader = leader;
    self->epoch = epoch;
    return true;
}

bool
zc_follow_lost (zc_follow_t *self, uint32_t node, int64_t now, int64_t hold_ms)
{
    assert (self);
    if (node == 0 || node != self->leader)
        return false;
    self->shun_leader = node;
    self->shun_epoch = self->epoch;
    self->shun_until = now + hold_ms;
    self->leader = 0;
    return true;
}
