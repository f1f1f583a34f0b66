/*  catchup.c — see catchup.h */
#include "catchup.h"

#include <assert.h>
#include <string.h>

void
zc_catchup_init (zc_catchup_t *self, int64_t retry_ms, int64_t now)
{
    assert (self);
    memset (self, 0, sizeof (*self));
    self->retry_ms = retry_ms;
    self->out_server = -1;
    self->probe_at = now;
    self->probe_ms = ZC_CATCHUP_PROBE_MS;
}

void
zc_catchup_leader_changed (zc_catchup_t *self, bool started)
{
    self->out = false;
    self->state = started ? ZC_CATCHUP_WAIT : ZC_CATCHUP_NONE;
}

void
zc_catchup_serving (zc_catchup_t *self)
{
    if (self->state != ZC_CATCHUP_WAIT)
        return;
    //  Resume from our position: a FETCH that went out before is not this
    //  catch-up
    self->state = ZC_CATCHUP_FETCH;
    self->out = false;
}

void
zc_catchup_chat (zc_catchup_t *self, int64_t now)
{
    self->chat_at = now;
    self->probe_ms = ZC_CATCHUP_PROBE_MS;
}

bool
zc_catchup_active (const zc_catchup_t *self)
{
    return self->state == ZC_CATCHUP_FETCH;
}

void
zc_catchup_tick (zc_catchup_t *self, zc_delivery_t *delivery, int leader, int64_t now,
                 zc_catchup_do_t *out)
{
    memset (out, 0, sizeof (*out));
    if (leader >= 0
    &&  now - self->probe_at >= self->probe_ms && now - self->chat_at >= ZC_CATCHUP_PROBE_MS) {
        //  The room is quiet: a lost last message would show no gap, the
        //  room's last rseq in the leader's WELCOME does.  Not while
        //  messages flow: a gap in the stream shows itself, and a WELCOME
        //  overtaking the live stream would look like one
        out->hello = true;
        self->probe_at = now;
        if (self->probe_ms < ZC_CATCHUP_PROBE_MAX_MS)
            self->probe_ms *= 2;
    }
    if (self->state == ZC_CATCHUP_WAIT && leader >= 0 && now - self->probe_at >= self->retry_ms) {
        out->hello = true;          //  until its WELCOME says it serves
        self->probe_at = now;
    }
    if (!zc_delivery_gap (delivery, NULL) && self->state != ZC_CATCHUP_FETCH)
        self->out = false;
    else
    if (leader >= 0 && (!self->out || now - self->out_at >= self->retry_ms)) {
        //  {last: floor, rseq: next - 1}: every message still to come has
        //  both seq > last and rseq > rseq (delivery.h), so a node that
        //  filters by either (or both) sends what we lack, or more
        out->fetch = true;
        zc_delivery_resume_point (delivery, &out->last, &out->rseq);
        self->out = true;
        self->out_at = now;
        self->out_server = leader;
        self->out_from = out->rseq + 1;
        self->out_floor = out->last;
    }
}

void
zc_catchup_reply (zc_catchup_t *self, zc_delivery_t *delivery, int server,
                  size_t entries, size_t bytes, size_t full_bytes)
{
    if (!self->out || server != self->out_server)
        return;                     //  a reply to an earlier round
    //  A full reply means more may follow: ask again at once.  A short one
    //  from the server asked ends a catch-up (we hold everything it had
    //  published); with progress, a gap that remains is asked for again
    //  at once, without, after retry_ms
    bool full = entries >= ZC_CATCHUP_COUNT || bytes >= full_bytes;
    if (!full && self->state == ZC_CATCHUP_FETCH)
        self->state = ZC_CATCHUP_NONE;
    if (full || zc_delivery_next_rseq (delivery) > self->out_from
    ||  zc_delivery_floor (delivery) > self->out_floor)
        self->out = false;
}

int64_t
zc_catchup_next (const zc_catchup_t *self, zc_delivery_t *delivery, int leader, int64_t now)
{
    int64_t wake = INT64_MAX;
    if (leader >= 0) {
        int64_t at = self->state == ZC_CATCHUP_WAIT
                   ? self->probe_at + self->retry_ms
                   : (self->probe_at + self->probe_ms > self->chat_at + ZC_CATCHUP_PROBE_MS
                      ? self->probe_at + self->probe_ms : self->chat_at + ZC_CATCHUP_PROBE_MS);
        if (at < wake)
            wake = at;
    }
    //  A gap with no leader to ask waits for the caller's HELLO round
    if ((zc_delivery_gap (delivery, NULL) || self->state == ZC_CATCHUP_FETCH)
    &&  (self->out || leader >= 0)) {
        int64_t at = self->out ? self->out_at + self->retry_ms : now;
        if (at < wake)
            wake = at;
    }
    return wake;
}
