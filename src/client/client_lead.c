/*  client_lead.c — following the leader, sending, and the client's timers.

    Everything that decides when to send what to whom: HELLOs, pending
    POSTs in id order, and the timers (retry without progress, "busy"
    hold, baseline fallback); what to FETCH and when to probe the leader
    is catchup.h's, carried out here.
*/
#include "client_impl.h"

//  --------------------------------------------------------------------------
//  Leader following

zc_cl_server_t *
zc_cl_leader_server (zc_client_t *self)
{
    if (!self->follow.leader)
        return NULL;
    for (size_t i = 0; i < self->nservers; i++)
        if (self->servers [i].node == self->follow.leader && self->servers [i].dealer)
            return &self->servers [i];
    return NULL;
}

//  Starts a resend round: every pending message goes out again in order
void
zc_cl_rewind (zc_client_t *self, int64_t now)
{
    zc_pending_rewind (self->pending, now);
    zc_throttle_rewound (&self->throttle);
    self->rewound_at = now;
}

void
zc_cl_hello_all (zc_client_t *self, int64_t now, bool force)
{
    if (!force && now - self->hello_all_at < self->retry_ms)
        return;
    for (size_t i = 0; i < self->nservers; i++)
        self->servers [i].hello_due = true;
    self->hello_all_at = now;
}

//  A new leader, or the same one in a new epoch: everything pending goes
//  to it again, and delivery resumes from where it is (the baseline is
//  kept): the new leader is asked for everything after our position, in
//  chunks, while the live stream waits in delivery.  That brings what the
//  old leader published but we lost with it, and what its successor holds
//  committed; its WELCOME also shows a gap up to the room's last rseq
static void
s_follow_changed (zc_client_t *self, int64_t now)
{
    zc_cl_rewind (self, now);
    //  Only the followed leader's error replies are counted against our
    //  sends (client_recv.c): what goes to this one counts afresh
    zc_pending_forget_sends (self->pending);
    self->stale_left = 0;
    zc_catchup_leader_changed (&self->catchup, zc_delivery_started (self->delivery));
    self->busy_at = 0;
    zc_cl_server_t *server = zc_cl_leader_server (self);
    if (server)
        server->hello_due = true;
    else
        zc_cl_hello_all (self, now, true);
    if (self->follow.leader == self->told_leader && self->follow.epoch == self->told_epoch)
        return;
    self->told_leader = self->follow.leader;
    self->told_epoch = self->follow.epoch;
    zc_cl_log (self, "leader is node %u (epoch %" PRIu64 ")", self->told_leader, self->told_epoch);
    zc_cl_item_t item = { 0 };
    item.ev.type = ZC_EV_LEADER;
    item.ev.leader = self->told_leader;
    item.ev.epoch = self->told_epoch;
    zc_cl_push (self, &item);
}

void
zc_cl_hint (zc_client_t *self, uint64_t leader, uint64_t epoch, bool first_hand, int64_t now)
{
    if (leader > UINT32_MAX)
        return;
    if (zc_follow_hint (&self->follow, (uint32_t) leader, epoch, first_hand, now))
        s_follow_changed (self, now);
    if (first_hand && leader && leader == self->follow.leader && epoch == self->follow.epoch)
        self->leader_heard_at = now;
}

void
zc_cl_lost (zc_client_t *self, zc_cl_server_t *server, const char *why, int64_t now)
{
    if (!zc_follow_lost (&self->follow, server->node, now, self->retry_ms))
        return;
    self->leader_heard_at = 0;
    zc_cl_notice (self, "leader %u stopped serving (%s); looking for the new one", server->node, why);
    zc_cl_hello_all (self, now, true);
}

//  --------------------------------------------------------------------------
//  Sending and timers

//  Sends what is due: HELLOs, then pending POSTs to the leader in id order.
//  A send that fails (no connection yet, HWM) stops that stream until the
//  socket is writable again, so that order is never broken.
void
zc_cl_pump (zc_client_t *self, int64_t now)
{
    for (size_t i = 0; i < self->nservers; i++) {
        zc_cl_server_t *server = &self->servers [i];
        if (!server->hello_due || !server->dealer)
            continue;
        zc_msg_t hello;
        zc_msg_init (&hello, ZC_HELLO);
        zc_msg_set_cstr (&hello, ZF_ROOM, self->room);
        //  Where we are (informational for the node: the resume itself is
        //  our FETCH)
        uint64_t last;
        if (zc_delivery_resume_point (self->delivery, &last, NULL))
            zc_msg_set_u64 (&hello, ZF_LAST, last);
        if (zc_cl_send (self, server, &hello) == 0)
            server->hello_due = false;
    }
    zc_cl_server_t *leader = zc_cl_leader_server (self);
    if (!leader || self->busy_at)
        return;
    void *handle = zsock_resolve (leader->dealer);
    const zc_post_t *post;
    //  Paced after a slow_down (throttle.h): a send needs credit then
    while ((post = zc_pending_due (self->pending)) && zc_throttle_may_send (&self->throttle, now)) {
        if (zmq_send (handle, post->frame, post->size, ZMQ_DONTWAIT) != (int) post->size)
            break;
        zc_pending_sent (self->pending, now);
        zc_throttle_sent (&self->throttle);
    }
}

//  The index of server in self->servers (-1: NULL), as catchup.h names it
static int
s_server_index (zc_client_t *self, const zc_cl_server_t *server)
{
    return server ? (int) (server - self->servers) : -1;
}

//  The FETCH zc_catchup_tick asked for (catchup.h)
static void
s_fetch (zc_client_t *self, zc_cl_server_t *leader, const zc_catchup_do_t *todo)
{
    zc_msg_t fetch;
    zc_msg_init (&fetch, ZC_FETCH);
    zc_msg_set_u64 (&fetch, ZF_LAST, todo->last);
    zc_msg_set_cstr (&fetch, ZF_ROOM, self->room);
    zc_msg_set_u64 (&fetch, ZF_RSEQ, todo->rseq);
    zc_msg_set_u64 (&fetch, ZF_COUNT, ZC_CATCHUP_COUNT);
    if (zc_cl_send (self, leader, &fetch) == 0)
        zc_cl_log (self, "%s before rseq %" PRIu64 ": FETCH after seq %" PRIu64
                   " from node %u", zc_catchup_active (&self->catchup)? "catching up": "gap",
                   todo->rseq + 1, todo->last, leader->node);
}

//  ENTRIES came (and were offered): catchup.h decides what follows
void
zc_cl_fetch_done (zc_client_t *self, zc_cl_server_t *server, size_t entries, size_t bytes)
{
    zc_catchup_reply (&self->catchup, self->delivery, s_server_index (self, server),
                      entries, bytes, ZC_FETCH_BYTES);
}

//  A message sent retry_ms ago and still not acknowledged goes to the
//  leader again on its own, even while the ACKs of later ones arrive (its
//  ACK may have been dropped: pending.h); the leader's dedup answers it
//  with its ACK.  Not while the stream is held (busy, slow_down pacing).
static void
s_resend_overdue (zc_client_t *self, int64_t now)
{
    zc_cl_server_t *leader = zc_cl_leader_server (self);
    if (!leader || self->busy_at)
        return;
    void *handle = zsock_resolve (leader->dealer);
    const zc_post_t *post;
    uint64_t after = 0;
    while ((post = zc_pending_overdue (self->pending, after, now - self->retry_ms))
       &&  zc_throttle_may_send (&self->throttle, now)) {
        if (zmq_send (handle, post->frame, post->size, ZMQ_DONTWAIT) != (int) post->size)
            break;
        zc_cl_log (self, "no ACK for message %" PRIu64 " in %u ms: resending it to node %u",
                   post->id, self->retry_ms, leader->node);
        after = post->id;
        zc_pending_resent (self->pending, post->id, now);
        zc_throttle_sent (&self->throttle);
    }
}

static int64_t
s_fallback_ms (zc_client_t *self)
{
    int64_t ms = 3 * (int64_t) self->retry_ms;
    return ms < 1000? 1000: ms;
}

//  PRESENCE to the followed leader: here, or gone (docs/PROTOCOL.md §4)
void
zc_cl_presence_send (zc_client_t *self, bool here)
{
    zc_cl_server_t *leader = zc_cl_leader_server (self);
    if (!self->presence || !leader || !leader->dealer)
        return;
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_PRESENCE);
    zc_msg_set_cstr (&msg, ZF_ROOM, self->room);
    zc_msg_set_cstr (&msg, ZF_FROM, self->name);
    if (!here)
        zc_msg_set_bool (&msg, ZF_GRANTED, false);
    zc_cl_send (self, leader, &msg);
}

//  Every ZC_CLIENT_PRESENCE_MS, and at once for a new leader
static void
s_presence_tick (zc_client_t *self, int64_t now)
{
    if (!self->presence || !zc_cl_leader_server (self))
        return;
    if (self->presence_leader == self->follow.leader && now < self->presence_at)
        return;
    self->presence_leader = self->follow.leader;
    self->presence_at = now + ZC_CLIENT_PRESENCE_MS;
    zc_cl_presence_send (self, true);
}

void
zc_cl_timers (zc_client_t *self, int64_t now)
{
    if (self->busy_at && now >= self->busy_at) {
        self->busy_at = 0;
        zc_cl_rewind (self, now);
    }
    //  No progress for retry_ms: the leader may be gone or may have lost
    //  what we sent; resend everything and ask every server who leads
    //  Not while the stream is held (busy, slow_down): the leader answered,
    //  and the hold, not this timer, says when to resend
    int64_t oldest = zc_pending_oldest (self->pending);
    if (oldest >= 0 && !self->busy_at && now - oldest >= self->retry_ms
    &&  now - self->last_ack_at >= self->retry_ms) {
        zc_cl_log (self, "no ACK for %u ms: resending %zu message(s), leader %u",
               self->retry_ms, zc_pending_size (self->pending), self->follow.leader);
        zc_cl_rewind (self, now);
        zc_cl_hello_all (self, now, false);
    }
    s_resend_overdue (self, now);
    for (size_t i = 0; i < self->nservers; i++)
        if (!self->servers [i].dealer && now - self->hello_all_at >= self->retry_ms)
            zc_cl_dealer_reopen (self, &self->servers [i]);
    zc_cl_server_t *leader = zc_cl_leader_server (self);
    if (!leader)
        zc_cl_hello_all (self, now, false);
    if (!zc_delivery_started (self->delivery) && zc_delivery_held (self->delivery)) {
        if (!self->held_since)
            self->held_since = now;
        else
        if (now - self->held_since >= s_fallback_ms (self)) {
            zc_cl_log (self, "no baseline from a leader: starting at the first message held");
            zc_delivery_start (self->delivery);
            zc_cl_drain_delivery (self);
        }
    }
    //  The leader's FETCHes and probes (catchup.h); none for a sender that
    //  never receives
    zc_catchup_do_t todo;
    if (!self->post_only) {
        zc_catchup_tick (&self->catchup, self->delivery, s_server_index (self, leader), now,
                         &todo);
        if (todo.hello && leader)
            leader->hello_due = true;
        if (todo.fetch && leader)
            s_fetch (self, leader, &todo);
    }
    s_presence_tick (self, now);
}

//  Milliseconds until the nearest timer, at most one second
long
zc_cl_next_wake (zc_client_t *self, int64_t now)
{
    int64_t wake = now + 1000;
#define S_AT(t) do { int64_t t_ = (t); if (t_ < wake) wake = t_; } while (0)
    if (self->busy_at)
        S_AT (self->busy_at);
    int64_t oldest = zc_pending_oldest (self->pending);
    zc_cl_server_t *leader = zc_cl_leader_server (self);
    if (oldest >= 0 && !self->busy_at)
        //  The resend round when the sender is quiet, or the oldest
        //  message's own resend (s_resend_overdue)
        S_AT ((leader || oldest > self->last_ack_at? oldest: self->last_ack_at)
              + self->retry_ms);
    if (!leader)
        S_AT (self->hello_all_at + self->retry_ms);
    if (self->held_since)
        S_AT (self->held_since + s_fallback_ms (self));
    if (self->presence && leader)
        S_AT (self->presence_leader == self->follow.leader? self->presence_at: now);
    if (!self->post_only)
        S_AT (zc_catchup_next (&self->catchup, self->delivery, s_server_index (self, leader),
                               now));
#undef S_AT
    return wake > now? (long) (wake - now): 0;
}

