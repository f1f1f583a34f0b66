/*  election_retire.c — a graceful stop (docs/ELECTION.md "Graceful stop").

    A leader asked to stop (SIGTERM) serves no more, waits until a live
    backup holds its whole log, and hands over to the highest such one.
    The fail-back hand-over (rule 7) goes to a *higher* node, which the
    others let claim: they refuse a candidate only when they hear a live
    leader above it.  A retiring leader hands over to a lower node too, so
    it sends its HANDOVER to every member, naming the target: the target
    claims the next epoch, the others stand aside for it (they no longer
    count their leader against that one candidate), and the leader stops
    announcing itself.  Only the leader a backup follows in its epoch can
    make it stand aside, and only for the named member.

    The node may exit once retired: a leader of a later epoch replicates to
    us, or the deadline passed (handed over or not), or there was nothing
    to hand over (not leading, or alone).
*/
#include "election_impl.h"

#include <assert.h>

//  Done once this passes, whatever happened: a target that cannot win in
//  a pre-vote and a claim (election_ms each, a claim may take two) will
//  not win later, and the backups then elect as after a crash.
static uint64_t
s_retire_ms (zc_election_t *self)
{
    return 2 * (uint64_t) self->cfg.election_ms + zc_el_suspect_ms (self);
}

//  The highest backup that is live on both runs (pings on the heartbeat
//  port and granted replies on the peer link, as for the fail-back) and
//  whose confirmed match (zc_election_peer_progress) has reached our log.
//  For a heartbeat, only the highest live one will do: what we stored
//  last is on its way to it (a lower target would cost a fail-back to it
//  later, a second pause); then whichever is highest of those that have it.
static zc_el_peer_t *
s_target (zc_election_t *self, uint64_t now)
{
    zc_el_peer_t *best = NULL, *highest = NULL;
    for (size_t i = 0; i < self->peer_count; i++) {
        zc_el_peer_t *peer = &self->peers [i];
        bool live = peer->healthy_since && peer->link_since
                 && now <= peer->last_ping + zc_el_suspect_ms (self)
                 && now <= peer->link_heard + zc_el_suspect_ms (self);
        if (live && (!highest || peer->id > highest->id))
            highest = peer;
        if (live && peer->last_seq >= self->last_seq && (!best || peer->id > best->id))
            best = peer;
    }
    if (best && best != highest && now < self->retire_grace)
        return NULL;
    return best;
}

void
zc_election_retire (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    assert (self && out);
    if (!self->retiring) {
        self->retiring = true;
        self->retire_epoch = self->st.epoch;
        self->retire_deadline = now + s_retire_ms (self);
        self->retire_grace = now + self->cfg.heartbeat_ms;
        if (self->role != ZC_ROLE_LEADER || self->peer_count == 0)
            self->retired = true;       //  nothing to hand over
        else {
            self->handover_to = 0;      //  a fail-back in progress gives way
            zc_el_log (self, out, "retiring: serving no more; waiting for a backup "
                       "with my log (seq %llu)", (unsigned long long) self->last_seq);
            zc_el_retire_tick (self, now, out);
        }
    }
    zc_el_report (self, now, out);
}

//  Whatever our role by now: a leader still waiting for a target, or a
//  backup of the target that never heard it lead
void
zc_el_retire_due (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    if (self->retiring && !self->retired && now >= self->retire_deadline) {
        zc_el_log (self, out, "retiring: no hand-over within %llu ms, leaving anyway",
                   (unsigned long long) s_retire_ms (self));
        self->retired = true;
    }
}

void
zc_el_retire_tick (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    if (self->retired)
        return;
    if (!self->retire_to) {
        zc_el_peer_t *target = s_target (self, now);
        if (!target)
            return;             //  the leader's tick goes on announcing
        self->retire_to = target->id;
        self->retire_next = now;
        zc_el_log (self, out, "retiring: handing over to node %u", target->id);
    }
    if (now < self->retire_next)
        return;
    //  To every member, the target named: it claims, the others stand
    //  aside.  Again each heartbeat, since a send right after a connect
    //  can be lost; the target ignores it once it runs.
    for (size_t i = 0; i < self->peer_count; i++) {
        zc_msg_t *msg = zc_el_send (self, out, self->peers [i].id, ZC_HANDOVER);
        zc_msg_set_u64 (msg, ZF_LEADER, self->retire_to);
    }
    self->retire_next = now + self->cfg.heartbeat_ms;
}

//  A HANDOVER naming another member: our leader retires in its favour.
void
zc_el_retire_notice (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                     uint32_t target, zc_actions_t *out)
{
    if (self->role != ZC_ROLE_BACKUP || peer->id != self->leader
    ||  self->st.leader != peer->id || msg->epoch != self->st.epoch
    ||  target == peer->id || !zc_el_peer (self, target))
        return;
    if (self->aside_from == peer->id && self->aside_for == target
    &&  self->aside_epoch == self->st.epoch)
        return;                 //  a repeat
    zc_el_log (self, out, "leader %u retires, handing over to node %u", peer->id, target);
    self->aside_from = peer->id;
    self->aside_for = target;
    self->aside_epoch = self->st.epoch;
}

//  True if we must not count our leader against this candidate: we are
//  that leader, retiring in its favour, or our leader told us so in the
//  epoch we follow it in.
bool
zc_el_stands_aside (zc_election_t *self, uint32_t candidate)
{
    if (self->role == ZC_ROLE_LEADER)
        return self->retiring && self->retire_to && self->retire_to == candidate;
    return self->role == ZC_ROLE_BACKUP && self->aside_for && self->aside_for == candidate
        && self->aside_from == self->leader && self->st.leader == self->aside_from
        && self->aside_epoch == self->st.epoch;
}

//  A leader of a later epoch than the one we retired from replicates to
//  us: it serves, our part is done.
void
zc_el_retire_seen (zc_election_t *self, uint32_t leader, zc_actions_t *out)
{
    if (!self->retiring || self->retired || self->st.epoch <= self->retire_epoch)
        return;
    zc_el_log (self, out, "retired: node %u leads epoch %llu", leader,
               (unsigned long long) self->st.epoch);
    self->retired = true;
}

bool
zc_election_retired (zc_election_t *self)
{
    return self->retired;
}

bool
zc_election_retiring (zc_election_t *self)
{
    return self->retiring;
}

uint32_t
zc_election_retire_target (zc_election_t *self)
{
    return self->retire_to;
}
