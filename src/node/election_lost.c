/*  election_lost.c — a node that lost its election state or its log
    (docs/ELECTION.md "Lost state").

    A vote is a promise kept on disk: "I accepted leader L for epoch E".  A
    node whose election.state is gone may have made that promise and
    forgotten it; if it now accepted someone else for E, two leaders could
    each count it in a quorum.  A node whose log is gone may have
    acknowledged entries that only it and a node now down still hold; if
    its empty log counted in a view change, a leader could start without
    them.  So such a node:

    1. Recovering: votes, answers and claims nothing, and asks every other
       member where it stands (a PREVOTE for our next epoch, which changes
       nobody's state, carrying a token the reply must echo, so that only
       replies sent after our restart count).  A member that holds epoch e
       refuses with e; one that grants holds less than the epoch asked.
       A vote of ours mattered only in an epoch whose claim won: then a
       quorum q counting us persisted that epoch (the claimant before
       asking, the others before accepting), and epochs never decrease.
       Any n - q + 1 of the other members meet those q - 1 others, so
       once that many answered (recovering nodes do not answer), the
       highest of their epochs R bounds every vote of ours that counted.
       We keep (R, unknown leader): no leader at R, any above it.
    2. Untrusted: until our log holds what a leader of an epoch above R
       started its epoch with (our log epoch reaches R + 1, `trust`), the
       log does not count: we grant no pre-vote, answer no ELECTION, claim
       nothing, and accept a leader without replying, so that no claim
       counts us; we follow it, and its log comes to us.  The leader we
       refuse at R moves to R + 1 at once (rule 8), elected by the others.

    A node with no state and no log cannot tell a new cluster from a lost
    folder; it recovers only if a peer shows that the cluster has a log,
    unless the operator said which it is (--initial-cluster-state).
*/
#include "election_impl.h"

#include <stdio.h>

//  How often a recovering node asks again, and says what it waits for.
#define S_WAIT_LOG_MS 10000

void
zc_el_lost_start (zc_election_t *self, uint64_t now)
{
    self->recovering = self->cfg.lost;
    self->fresh = !self->cfg.lost && self->cfg.fresh;
    //  Below the ceiling, never 0 (a reply without a token echoes none)
    self->nonce = ((self->rng * 0x2545F4914F6CDD1Dull) >> 12) | 1;
    self->next_recover_probe = now;
    self->recover_log_at = now;
}

bool
zc_election_recovering (zc_election_t *self)
{
    return self->recovering;
}

bool
zc_election_trusted (zc_election_t *self)
{
    return !self->st.trust || self->log_epoch >= self->st.trust;
}

bool
zc_el_voting (zc_election_t *self)
{
    return !self->recovering && zc_election_trusted (self);
}

static void
s_probe (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    self->next_recover_probe = now + self->cfg.heartbeat_ms;
    for (size_t i = 0; i < self->peer_count; i++) {
        if (self->peers [i].bound_known)
            continue;
        zc_msg_t *msg = zc_el_send (self, out, self->peers [i].id, ZC_PREVOTE);
        msg->epoch = self->st.epoch + 1;
        zc_msg_set_u64 (msg, ZF_LT, self->nonce);
        zc_msg_set_u64 (msg, ZF_LAST_SEQ, self->last_seq);
        zc_msg_set_u64 (msg, ZF_LOG_EPOCH, self->log_epoch);
    }
}

//  How many other members must tell us their epoch: n - q + 1 of them
//  (all of them under a quorum of 1, where nothing is safe).
static size_t
s_needed (zc_election_t *self)
{
    size_t n = self->peer_count + 1;
    size_t q = self->cfg.quorum ? self->cfg.quorum : n / 2 + 1;
    size_t need = q > n ? 1 : n - q + 1;
    return need > self->peer_count ? self->peer_count : need;
}

static void
s_recover_done (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    uint64_t floor = self->st.epoch;
    for (size_t i = 0; i < self->peer_count; i++)
        if (self->peers [i].bound > floor)
            floor = self->peers [i].bound;
    self->recovering = false;
    //  Epoch 0 everywhere: nobody ever claimed, so we never voted, and no
    //  entry was ever acknowledged.
    if (floor == 0) {
        zc_el_log (self, out, "every member is at epoch 0: a new cluster, voting");
        return;
    }
    self->st.trust = floor + 1;
    zc_el_persist (self, out, floor, ZC_LEADER_UNKNOWN);
    zc_el_log (self, out, "heard enough members: highest epoch %llu; no leader of it "
               "for me, votes from epoch %llu", (unsigned long long) floor,
               (unsigned long long) floor + 1);
    zc_el_become_backup (self, 0, now);
}

//  Done once enough members answered (true)
static bool
s_check_done (zc_election_t *self, uint64_t now, zc_actions_t *out, size_t *known_p)
{
    size_t known = 0;
    for (size_t i = 0; i < self->peer_count; i++)
        known += self->peers [i].bound_known;
    *known_p = known;
    if (known < s_needed (self))
        return false;
    s_recover_done (self, now, out);
    return true;
}

//  A peer's message shows the cluster has a log (or has served one): a
//  node that starts with nothing is then most likely one that lost it.
static bool
s_shows_log (const zc_msg_t *msg)
{
    return msg->last_seq > 0 || msg->log_epoch > 0 || msg->type == ZC_APPEND
        || msg->type == ZC_LOG_ENTRIES;
}

bool
zc_el_lost_recv (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                 uint64_t now, zc_actions_t *out)
{
    if (self->fresh) {
        if (self->st.epoch || self->st.leader) {
            self->fresh = false;        //  we voted since the start: state is ours
            return false;
        }
        if (!s_shows_log (msg))
            return false;
        self->fresh = false;
        self->recovering = true;
        zc_el_log (self, out, "no state, no log, but node %u has a log: recovering as "
                   "a node that lost its data (or --initial-cluster-state new)", peer->id);
    }
    if (!self->recovering)
        return false;
    if (msg->type == ZC_PREVOTE_REPLY && zc_msg_has (msg, ZF_LT) && msg->lt == self->nonce) {
        uint64_t bound = msg->granted ? (msg->epoch ? msg->epoch - 1 : 0) : msg->epoch;
        if (!peer->bound_known || bound > peer->bound)
            peer->bound = bound;
        peer->bound_known = true;
        size_t known;
        s_check_done (self, now, out, &known);
    }
    return true;
}

void
zc_el_lost_tick (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    if (self->recovering) {
        size_t known;
        if (s_check_done (self, now, out, &known))
            return;
        if (now >= self->next_recover_probe)
            s_probe (self, now, out);
        if (now >= self->recover_log_at) {
            self->recover_log_at = now + S_WAIT_LOG_MS;
            char waiting [120] = "";
            size_t at = 0;
            for (size_t i = 0; i < self->peer_count && at + 12 < sizeof waiting; i++)
                if (!self->peers [i].bound_known)
                    at += (size_t) snprintf (waiting + at, sizeof waiting - at, "%s%u",
                                             at ? ", " : "", self->peers [i].id);
            zc_el_log (self, out, "lost state: I vote once %zu more of node %s told me "
                       "their epoch", s_needed (self) - known, waiting);
        }
        return;
    }
    if (!zc_election_trusted (self) && !self->untrusted_logged) {
        self->untrusted_logged = true;
        zc_el_log (self, out, "my log counts in no vote until it holds a log of "
                   "epoch %llu or later", (unsigned long long) self->st.trust);
    }
    else
    if (zc_election_trusted (self) && self->untrusted_logged) {
        self->untrusted_logged = false;
        zc_el_log (self, out, "my log holds the leader's (log epoch %llu): voting again",
                   (unsigned long long) self->log_epoch);
    }
}
