/*  election_recv.c — what each message from a peer does.

    zc_election_recv checks what every message must pass (a member, our
    membership hash, no counter at the ceiling), notes the sender's word on
    its epoch, then dispatches to one handler per message type.  Each
    handler applies one rule of docs/ELECTION.md "The rules" (rule N below).
    The transitions they call are in election.c, the refusals in
    election_guard.c.
*/
#include "election_impl.h"
#include "members.h"

#include <assert.h>

//  A reply that tells of a higher epoch (a refused vote or claim, or an
//  ACK from a later leadership): we are stale, so learn it (rule 4: "puts
//  its own epoch in the refusal so that a stale node learns").  A granted
//  reply carries the epoch it grants, not the voter's.
static void
s_on_reply_epoch (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now,
                  zc_actions_t *out)
{
    if (msg->epoch > self->st.epoch && !(zc_msg_has (msg, ZF_GRANTED) && msg->granted))
        zc_el_learn_epoch (self, peer, msg, msg->epoch,
                           zc_msg_has (msg, ZF_LEADER) ? (uint32_t) msg->leader : 0, now, out);
}

//  Leader: a granted reply on the peer link in our epoch.  The hand-over
//  needs a run of these as well as of PINGs: a PING can come from anyone
//  who reaches the heartbeat port, a granted ACCEPT is the node following
//  us (docs/ELECTION.md "Hostile input", hand-over evidence).
static void
s_note_link (zc_election_t *self, zc_el_peer_t *peer, uint64_t now)
{
    if (!peer->link_since || now > peer->link_heard + zc_el_suspect_ms (self))
        peer->link_since = now;
    peer->link_heard = now;
}

static void
s_reply_accept (zc_election_t *self, zc_actions_t *out, const zc_msg_t *msg, bool granted)
{
    zc_msg_t *reply = zc_el_send (self, out, (uint32_t) msg->node, ZC_ACCEPT);
    zc_msg_set_bool (reply, ZF_GRANTED, granted);
    if (self->leader)
        zc_msg_set_u64 (reply, ZF_LEADER, self->leader);
    //  Echoed either way: a granted token renews the lease, a refused one
    //  names the announcement refused (the leader acts only on refusals
    //  of its own current announcements)
    if (zc_msg_has (msg, ZF_LT))
        zc_msg_set_u64 (reply, ZF_LT, msg->lt);
    zc_msg_set_u64 (reply, ZF_LAST_SEQ, self->last_seq);
    zc_msg_set_u64 (reply, ZF_LOG_EPOCH, self->log_epoch);
}

//  ELECTION, rule 2 (Bully): a lower node asks whether anyone higher is
//  alive.  Answer it; if we lead, re-announce in the current epoch (no new
//  election); a backup that hears no working leader starts its own round.
static void
s_on_election (zc_election_t *self, zc_el_peer_t *peer, uint64_t now, zc_actions_t *out)
{
    uint32_t from = peer->id;
    if (from > self->cfg.self || !zc_el_voting (self) || self->retire_to)
        return;                 //  Bully only asks higher ids; a node that lost its
                                //  state or log will not claim, nor will a leader
                                //  that handed over to retire: each says nothing
    zc_el_send (self, out, from, ZC_ANSWER);
    if (self->role == ZC_ROLE_LEADER) {
        //  Still leading: re-announce in the current epoch, no new election.
        zc_msg_t *coord = zc_el_send (self, out, from, ZC_COORDINATOR);
        zc_msg_set_u64 (coord, ZF_LEADER, self->cfg.self);
        zc_msg_set_u64 (coord, ZF_LT, now);
        zc_msg_set_u64 (coord, ZF_LAST_SEQ, self->last_seq);
    }
    else
    if (self->role == ZC_ROLE_BACKUP && !zc_el_leader_alive (self, now))
        zc_el_start_election (self, now, out);
}

//  ANSWER, rule 2 (Bully): a higher node is alive.  Wait for its
//  COORDINATOR instead of claiming; if none comes in time the tick tries
//  us after all.
static void
s_on_answer (zc_election_t *self, zc_el_peer_t *peer, uint64_t now)
{
    if (self->role == ZC_ROLE_CANDIDATE && self->phase == PHASE_WAIT_ANSWER
    &&  peer->id > self->cfg.self) {
        peer->answered = true;
        self->phase = PHASE_WAIT_COORD;
        self->phase_deadline = now + 3 * self->cfg.election_ms
                             + self->cfg.heartbeat_ms;
    }
}

//  PREVOTE, rule 3: "would you accept me in epoch E+1?"  Grant if E+1 is
//  above ours and we hear no working leader higher than the candidate.
//  Asking changes nobody's state: we persist nothing here.
static void
s_on_prevote (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now,
              zc_actions_t *out)
{
    uint32_t from = peer->id;
    //  A grant for an epoch we would refuse to accept would be a lie, and
    //  it would let a candidate run far ahead of us by failing claims.
    //  A node whose log does not count grants nothing (election_lost.c).
    bool granted = msg->epoch > self->st.epoch && zc_el_voting (self)
                && !zc_el_hears_higher_leader (self, from, now)
                && zc_el_epoch_allowed (self, peer, msg, msg->epoch, now, out);
    zc_msg_t *reply = zc_el_send (self, out, from, ZC_PREVOTE_REPLY);
    zc_msg_set_bool (reply, ZF_GRANTED, granted);
    if (granted)
        reply->epoch = msg->epoch;
    //  A recovering node's probe carries a token: the echo tells it that
    //  this answer was given after its restart
    if (zc_msg_has (msg, ZF_LT))
        zc_msg_set_u64 (reply, ZF_LT, msg->lt);
    if (self->leader)
        zc_msg_set_u64 (reply, ZF_LEADER, self->leader);
}

//  PREVOTE_REPLY, rule 3: with a quorum of yeses (ourselves included) the
//  candidate claims.  A refusal may teach us a higher epoch.
static void
s_on_prevote_reply (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                    uint64_t now, zc_actions_t *out)
{
    if (self->role == ZC_ROLE_CANDIDATE && self->phase == PHASE_PREVOTE
    &&  msg->granted && msg->epoch == self->prevote_epoch) {
        peer->voted = true;
        if (zc_el_count_voted (self) >= self->cfg.quorum)
            zc_el_start_claim (self, now, out);
    }
    else
        s_on_reply_epoch (self, peer, msg, now, out);
}

//  COORDINATOR, rules 4, 5 and 7: a claim or a re-announcement.  Accept a
//  higher epoch unless we hear a working leader with a higher id, or the
//  same epoch from the leader we recorded for it (or if we recorded none);
//  persist before replying; refuse lower epochs with ours.
static void
s_on_coordinator (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now,
                  zc_actions_t *out)
{
    uint32_t from = peer->id;
    if (msg->epoch > self->st.epoch
    &&  !zc_el_epoch_allowed (self, peer, msg, msg->epoch, now, out))
        return;                 //  no reply: a refusal would tell it nothing
    //  An older epoch announced by the very node we accepted for ours: it
    //  claimed ours since, so this is a stale or replayed copy.  A refusal
    //  would carry our epoch, and the leader would read it as a conflict
    //  at its own epoch (s_on_accept) and re-elect for nothing.
    if (msg->epoch < self->st.epoch && self->st.leader == from)
        return;
    bool accept;
    if (msg->epoch < self->st.epoch)
        accept = false;
    else
    if (msg->epoch == self->st.epoch)
        accept = self->st.leader == from || self->st.leader == 0;
    else
        accept = !zc_el_hears_higher_leader (self, from, now);

    if (!accept) {
        s_reply_accept (self, out, msg, false);
        return;
    }
    //  The leader that handed over to us goes on announcing its epoch until
    //  our claim (in the next epoch) reaches it: it does still lead that
    //  epoch, but that is no reason to give the hand-over up.
    bool handing_over = self->role == ZC_ROLE_CANDIDATE && from == self->handover_from
                     && msg->epoch == self->st.epoch;
    if (msg->epoch > self->st.epoch || self->st.leader != from)
        zc_el_persist (self, out, msg->epoch, from);
    if (handing_over)
        ;   //  keep asking for votes
    else
    if (self->role != ZC_ROLE_BACKUP || self->leader != from) {
        zc_el_log (self, out, "node %u is the leader (epoch %llu)", from,
                   (unsigned long long) msg->epoch);
        zc_el_become_backup (self, from, now);
    }
    else
    if (self->leader_suspected)
        self->leader_suspected = false;
    self->leader_heard = now;       //  we echo its lease token: see s_on_append
    //  A node whose log does not count follows without a vote: a granted
    //  ACCEPT would count it in the claim's quorum (election_lost.c)
    if (zc_election_trusted (self))
        s_reply_accept (self, out, msg, true);
}

//  ACCEPT, rules 4, 6 and 8.  Granted in our epoch for our claim: a vote
//  (the candidate leads once a quorum accepted) and, with its echoed token,
//  a lease renewal.  Refused at our own epoch while we lead: two claims of
//  one epoch, so claim the next.  Otherwise it may teach us a higher epoch.
static void
s_on_accept (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now,
             zc_actions_t *out)
{
    if (msg->granted && msg->epoch == self->st.epoch
    &&  self->st.leader == self->cfg.self) {
        if (!zc_el_token_ok (self, peer, msg, now, out))
            return;             //  forged: it counts as no vote either
        if (zc_msg_has (msg, ZF_LT) && msg->lt > peer->lease_lt)
            peer->lease_lt = msg->lt;
        if (self->role == ZC_ROLE_LEADER)
            s_note_link (self, peer, now);
        if (self->role == ZC_ROLE_CANDIDATE) {
            peer->vote_log_epoch = msg->log_epoch;
            peer->vote_last_seq = msg->last_seq;
        }
        peer->voted = true;
        if (self->role == ZC_ROLE_CANDIDATE && self->phase == PHASE_CLAIM
        &&  zc_el_count_voted (self) >= self->cfg.quorum)
            zc_el_become_leader (self, now, out);
    }
    else
    if (self->role == ZC_ROLE_LEADER && !msg->granted && msg->epoch == self->st.epoch
    &&  zc_msg_has (msg, ZF_LT) && msg->lt >= self->claimed_at && msg->lt <= now) {
        //  A refusal at our own epoch: the peer persisted another
        //  leader for it (two claims of one epoch; we won) and can
        //  never join it.  Move everyone to the next epoch.  Only
        //  if it refused an announcement of this leadership (it
        //  echoes its token): a refusal of an old COORDINATOR
        //  replayed in our name carries our epoch too, and a new
        //  epoch would be an outage for nothing.
        zc_el_log (self, out, "node %u holds epoch %llu for another leader, "
                   "claiming the next epoch", peer->id, (unsigned long long) msg->epoch);
        zc_el_start_prevote (self, now, out);
    }
    else
        s_on_reply_epoch (self, peer, msg, now, out);
}

//  HANDOVER, rule 7: the leader we follow stepped aside for us once we had
//  its log; run pre-vote and claim for the next epoch, remembering who
//  handed over so that its announcements meanwhile do not stop us.  One
//  that names another member is a retiring leader's word to the others
//  (election_retire.c).
static void
s_on_handover (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now,
               zc_actions_t *out)
{
    if (zc_msg_has (msg, ZF_LEADER) && msg->leader != self->cfg.self) {
        if (msg->leader <= UINT32_MAX)
            zc_el_retire_notice (self, peer, msg, (uint32_t) msg->leader, out);
        return;
    }
    if (self->role == ZC_ROLE_BACKUP && peer->id == self->leader
    &&  msg->epoch == self->st.epoch && zc_el_voting (self)) {
        zc_el_log (self, out, "leader %u hands over to me", peer->id);
        zc_el_start_prevote (self, now, out);
        if (self->role == ZC_ROLE_CANDIDATE)
            self->handover_from = peer->id;
    }
}

//  PONG, rule 1: the heartbeat reply.  Only a leader that serves (or pauses
//  to hand over) in our epoch counts as alive.
static void
s_on_pong (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now)
{
    if (self->role == ZC_ROLE_BACKUP && peer->id == self->leader
    &&  msg->epoch == self->st.epoch && msg->leader == peer->id
    &&  zc_msg_has (msg, ZF_GRANTED) && msg->granted && !self->leader_suspected)
        self->leader_heard = now;
}

//  APPEND, rules 1 and 6: the leader's log traffic is a sign of life like a
//  heartbeat: the lease tokens it carries are echoed back, so we must not
//  suspect it sooner than its lease can last.  From a later epoch it
//  teaches us that epoch, with its sender as the hint.
static void
s_on_append (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now,
             zc_actions_t *out)
{
    if (self->role == ZC_ROLE_BACKUP && peer->id == self->leader
    &&  self->st.leader == peer->id && msg->epoch == self->st.epoch
    &&  !self->leader_suspected) {
        self->leader_heard = now;
        zc_el_retire_seen (self, peer->id, out);
    }
    else
    if (msg->epoch > self->st.epoch)
        zc_el_learn_epoch (self, peer, msg, msg->epoch, peer->id, now, out);
}

//  APPEND_ACK, rule 6: a granted ACK in our epoch echoes a lease token like
//  an ACCEPT, and is peer-link evidence for the hand-over.
static void
s_on_append_ack (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now,
                 zc_actions_t *out)
{
    if (self->role == ZC_ROLE_LEADER && msg->epoch == self->st.epoch && msg->granted) {
        if (!zc_el_token_ok (self, peer, msg, now, out))
            return;
        if (zc_msg_has (msg, ZF_LT) && msg->lt > peer->lease_lt)
            peer->lease_lt = msg->lt;
        s_note_link (self, peer, now);
        //  Its progress comes from the replica (peer_progress), which
        //  checked the ACK against what it sent.
    }
    else
        s_on_reply_epoch (self, peer, msg, now, out);
}

void
zc_election_recv (zc_election_t *self, const zc_msg_t *msg, uint64_t now, zc_actions_t *out)
{
    assert (self && msg && out);
    zc_el_peer_t *peer = zc_el_peer (self, msg->node);
    if (!peer)
        return;                 //  not a member: the node counts the drop
    //  Rule 9: a foreign membership hash counts other majorities.  (A PONG
    //  carries none: it answers our own PING.)
    //  Mid-change, the log decides (zc_members_mh_ok).
    if (msg->type != ZC_PONG && !zc_members_mh_ok (self->cfg.mseq, self->cfg.mh, msg)) {
        if (!peer->mh_warned)
            zc_el_log (self, out, "refusing node %u: its --peers differ from mine "
                       "(membership hash %016llx, mine %016llx)", peer->id,
                       (unsigned long long) msg->mh, (unsigned long long) self->cfg.mh);
        peer->mh_warned = true;
        return;
    }
    if (zc_el_absurd (self, peer, msg, now, out)) {
        zc_el_report (self, now, out);
        return;
    }
    zc_el_note_report (self, peer, msg, now);
    peer->heard_at = now;
    if (zc_el_lost_recv (self, peer, msg, now, out)) {
        zc_el_report (self, now, out);
        return;             //  recovering: heard, not acted on
    }
    switch (msg->type) {
        case ZC_ELECTION:
            s_on_election (self, peer, now, out);
            break;
        case ZC_ANSWER:
            s_on_answer (self, peer, now);
            break;
        case ZC_PREVOTE:
            s_on_prevote (self, peer, msg, now, out);
            break;
        case ZC_PREVOTE_REPLY:
            s_on_prevote_reply (self, peer, msg, now, out);
            break;
        case ZC_COORDINATOR:
            s_on_coordinator (self, peer, msg, now, out);
            break;
        case ZC_ACCEPT:
            s_on_accept (self, peer, msg, now, out);
            break;
        case ZC_HANDOVER:
            s_on_handover (self, peer, msg, now, out);
            break;
        case ZC_PONG:
            s_on_pong (self, peer, msg, now);
            break;
        case ZC_APPEND:
            s_on_append (self, peer, msg, now, out);
            break;
        case ZC_APPEND_ACK:
            s_on_append_ack (self, peer, msg, now, out);
            break;
        default:
            break;
    }
    zc_el_report (self, now, out);
}

//  A backup's PING on the heartbeat REP socket (rule 1): the PONG says
//  whether we serve under a valid lease; an honest PING in our epoch is
//  half of the hand-over's evidence (rule 7).
void
zc_election_ping (zc_election_t *self, const zc_msg_t *ping, uint64_t now, zc_msg_t *pong)
{
    assert (self && ping && pong);
    zc_msg_init (pong, ZC_PONG);
    zc_msg_set_u64 (pong, ZF_NODE, self->cfg.self);
    zc_msg_set_u64 (pong, ZF_EPOCH, self->st.epoch);
    zc_msg_set_u64 (pong, ZF_LEADER, self->leader);
    //  A leader that handed over to retire says it leads no more
    bool leading = self->role == ZC_ROLE_LEADER && zc_el_lease_valid (self, now)
                && !self->retire_to;
    zc_msg_set_bool (pong, ZF_GRANTED, leading);
    zc_el_peer_t *peer = zc_el_peer (self, ping->node);
    if (!peer || !zc_members_mh_ok (self->cfg.mseq, self->cfg.mh, ping))
        return;
    if (ping->epoch >= ZC_EPOCH_MAX || ping->last_seq >= ZC_EPOCH_MAX) {
        self->refused++;        //  absurd: no PING of ours says that
        return;
    }
    if (!leading || ping->epoch != self->st.epoch)
        return;
    //  A run of pings without a gap is half of what the hand-over hold-down
    //  counts (the other half is the peer link, s_note_link).  The PING's
    //  last_seq is the backup's own word: hand-over readiness waits for the
    //  replica's confirmed match instead.
    if (!peer->healthy_since || now > peer->last_ping + zc_el_suspect_ms (self))
        peer->healthy_since = now;
    peer->last_ping = now;
    peer->heard_at = now;
}
