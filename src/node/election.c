/*  election.c — Bully + epochs + pre-vote + lease + hand-over, no I/O:
    the roles, phases and timers.  See election.h for the rules and
    docs/ELECTION.md for why they are safe; what each peer message does is
    in election_recv.c, what the election refuses in election_guard.c.
*/
#include "election_impl.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
s_resend_ms (zc_election_t *self)
{
    uint64_t ms = self->cfg.heartbeat_ms / 2;
    return ms ? ms : 1;
}

static uint64_t
s_random (zc_election_t *self, uint64_t range)
{
    //  xorshift64: deterministic for a given seed, so runs replay exactly.
    uint64_t x = self->rng;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    self->rng = x;
    return range ? x % range : 0;
}

zc_el_peer_t *
zc_el_peer (zc_election_t *self, uint64_t id)
{
    for (size_t i = 0; i < self->peer_count; i++)
        if (self->peers [i].id == id)
            return &self->peers [i];
    return NULL;
}

static zc_action_t *
s_push (zc_actions_t *out, zc_action_kind_t kind)
{
    //  A full list is a programming error: ZC_ACTIONS_MAX covers one event
    //  sending to every member a few times over.
    assert (out->count < ZC_ACTIONS_MAX);
    zc_action_t *action = &out->items [out->count++];
    action->kind = kind;
    action->to = 0;
    return action;
}

void
zc_el_log (zc_election_t *self, zc_actions_t *out, const char *fmt, ...)
{
    zc_action_t *action = s_push (out, ZC_ACT_LOG);
    int n = snprintf (action->text, sizeof action->text, "[ELECTION] node %u: ",
                      self->cfg.self);
    va_list args;
    va_start (args, fmt);
    vsnprintf (action->text + n, sizeof action->text - n, fmt, args);
    va_end (args);
}

//  A message to a peer, stamped with our id, epoch and membership hash.
zc_msg_t *
zc_el_send (zc_election_t *self, zc_actions_t *out, uint32_t to, zc_type_t type)
{
    zc_action_t *action = s_push (out, ZC_ACT_SEND);
    action->to = to;
    zc_msg_init (&action->msg, type);
    zc_msg_set_u64 (&action->msg, ZF_NODE, self->cfg.self);
    zc_msg_set_u64 (&action->msg, ZF_EPOCH, self->st.epoch);
    zc_msg_set_u64 (&action->msg, ZF_MH, self->cfg.mh);
    if (self->cfg.mseq)
        zc_msg_set_u64 (&action->msg, ZF_MSEQ, self->cfg.mseq);
    return &action->msg;
}

void
zc_el_persist (zc_election_t *self, zc_actions_t *out, uint64_t epoch, uint32_t leader)
{
    self->st.epoch = epoch;
    self->st.leader = leader;
    if (self->st.trust && self->log_epoch >= self->st.trust)
        self->st.trust = 0;             //  lost state over (election_lost.c)
    zc_action_t *action = s_push (out, ZC_ACT_PERSIST);
    action->state = self->st;
}

size_t
zc_el_count_voted (zc_election_t *self)
{
    size_t count = 1;       //  ourselves
    for (size_t i = 0; i < self->peer_count; i++)
        if (self->peers [i].voted)
            count++;
    return count;
}

bool
zc_el_lease_valid (zc_election_t *self, uint64_t now)
{
    size_t count = 1;
    for (size_t i = 0; i < self->peer_count; i++) {
        zc_el_peer_t *peer = &self->peers [i];
        if (peer->lease_lt && peer->lease_lt + self->cfg.lease_ms >= now)
            count++;
    }
    return count >= self->cfg.quorum;
}

//  True if the leader we follow answered with "serving" recently.
bool
zc_el_leader_alive (zc_election_t *self, uint64_t now)
{
    return self->role == ZC_ROLE_BACKUP && self->leader && !self->leader_suspected
        && now <= self->leader_heard + zc_el_suspect_ms (self);
}

//  The pre-vote and claim refusal rule: we currently hear a working
//  leader whose id is higher than the candidate's.
bool
zc_el_hears_higher_leader (zc_election_t *self, uint32_t candidate, uint64_t now)
{
    if (zc_el_stands_aside (self, candidate))
        return false;           //  our leader retires in its favour
    if (self->role == ZC_ROLE_LEADER)
        return self->cfg.self > candidate && zc_el_lease_valid (self, now);
    return zc_el_leader_alive (self, now) && self->leader != candidate
        && self->leader > candidate;
}

static void
s_reset_votes (zc_election_t *self)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        self->peers [i].voted = false;
        self->peers [i].answered = false;
    }
}

void
zc_el_become_backup (zc_election_t *self, uint32_t leader, uint64_t now)
{
    if (leader && leader == self->handover_to)
        self->handed_to = leader;       //  our hand-over worked
    self->role = ZC_ROLE_BACKUP;
    self->leader = leader;
    self->leader_heard = now;
    if (leader && (leader != self->reign_of || self->st.epoch != self->reign_epoch)) {
        self->reign_of = leader;
        self->reign_epoch = self->st.epoch;
        self->reign_since = now;
    }
    self->leader_suspected = false;
    self->handover_to = 0;
    self->handover_from = 0;
    self->skip_answer = false;
    self->phase = leader ? PHASE_NONE : PHASE_JOIN;
    self->phase_deadline = now + zc_el_suspect_ms (self);
    self->next_ping = now;
}

//  A reply told us of a higher epoch: we are stale, so step down and wait
//  for that epoch's leader to announce itself.
void
zc_el_learn_epoch (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t epoch,
                   uint32_t hint, uint64_t now, zc_actions_t *out)
{
    if (epoch <= self->st.epoch || !zc_el_epoch_allowed (self, peer, msg, epoch, now, out))
        return;
    zc_el_persist (self, out, epoch, 0);
    if (self->role != ZC_ROLE_BACKUP)
        zc_el_log (self, out, "epoch %llu is newer than mine, stepping down",
                   (unsigned long long) epoch);
    zc_el_become_backup (self, 0, now);
    if (hint && hint != self->cfg.self && zc_el_peer (self, hint))
        self->leader = hint;        //  a hint for clients; not yet accepted
}

static void
s_send_elections (zc_election_t *self, zc_actions_t *out)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        zc_el_peer_t *peer = &self->peers [i];
        bool dead_leader = peer->id == self->leader && self->leader_suspected;
        if (peer->id > self->cfg.self && !dead_leader && !peer->answered)
            zc_el_send (self, out, peer->id, ZC_ELECTION);
    }
}

//  A node that lost its state or its log neither asks nor claims; it
//  waits for a leader to announce itself (election_lost.c).  Nor does a
//  node that is leaving (election_retire.c), or no longer a member
//  (election_members.c).
static bool
s_may_run (zc_election_t *self, uint64_t now)
{
    if (zc_el_voting (self) && !self->retiring && !self->removed)
        return true;
    zc_el_become_backup (self, 0, now);
    return false;
}

void
zc_el_start_election (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    if (!s_may_run (self, now))
        return;
    self->started++;
    self->role = ZC_ROLE_CANDIDATE;
    self->handover_to = 0;
    s_reset_votes (self);
    bool anyone_higher = false;
    for (size_t i = 0; i < self->peer_count; i++) {
        zc_el_peer_t *peer = &self->peers [i];
        bool dead_leader = peer->id == self->leader && self->leader_suspected;
        if (peer->id > self->cfg.self && !dead_leader)
            anyone_higher = true;
    }
    if (self->skip_answer || !anyone_higher) {
        self->skip_answer = false;
        zc_el_start_prevote (self, now, out);
        return;
    }
    zc_el_log (self, out, "starting election (epoch %llu)",
               (unsigned long long) self->st.epoch);
    self->phase = PHASE_WAIT_ANSWER;
    self->phase_deadline = now + self->cfg.election_ms;
    self->next_resend = now + s_resend_ms (self);
    s_send_elections (self, out);
}

static void
s_send_prevotes (zc_election_t *self, zc_actions_t *out)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        if (self->peers [i].voted)
            continue;
        zc_msg_t *msg = zc_el_send (self, out, self->peers [i].id, ZC_PREVOTE);
        msg->epoch = self->prevote_epoch;
        zc_msg_set_u64 (msg, ZF_LAST_SEQ, self->last_seq);
        zc_msg_set_u64 (msg, ZF_LOG_EPOCH, self->log_epoch);
    }
}

static void s_fail_round (zc_election_t *self, uint64_t now);

void
zc_el_start_prevote (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    if (!s_may_run (self, now))
        return;
    if (self->role != ZC_ROLE_CANDIDATE)
        self->started++;            //  not from a round already counted
    self->role = ZC_ROLE_CANDIDATE;
    if (self->st.epoch >= ZC_EPOCH_MAX - 1) {
        //  Never claim at or past the ceiling: epoch + 1 must not wrap.
        //  Only a state file written before the ceiling existed gets here.
        if (!self->exhausted_logged)
            zc_el_log (self, out, "epoch %llu is at the ceiling: I can never lead; "
                       "see docs/ELECTION.md \"Hostile input\"",
                       (unsigned long long) self->st.epoch);
        self->exhausted_logged = true;
        s_fail_round (self, now);
        return;
    }
    self->phase = PHASE_PREVOTE;
    self->prevote_epoch = self->st.epoch + 1;
    s_reset_votes (self);
    zc_el_log (self, out, "no higher node answered, asking for votes (epoch %llu)",
               (unsigned long long) self->prevote_epoch);
    self->phase_deadline = now + self->cfg.election_ms;
    self->next_resend = now + s_resend_ms (self);
    if (zc_el_count_voted (self) >= self->cfg.quorum)
        zc_el_start_claim (self, now, out);
    else
        s_send_prevotes (self, out);
}

static void
s_send_claims (zc_election_t *self, uint64_t now, zc_actions_t *out, bool all)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        if (!all && self->peers [i].voted)
            continue;
        zc_msg_t *msg = zc_el_send (self, out, self->peers [i].id, ZC_COORDINATOR);
        zc_msg_set_u64 (msg, ZF_LEADER, self->cfg.self);
        zc_msg_set_u64 (msg, ZF_LT, now);
        zc_msg_set_u64 (msg, ZF_LAST_SEQ, self->last_seq);
    }
}

//  A higher node that lost the lead soon after our hand-over gave it (a
//  sick node: starved of CPU, a disk that stalls, a crash loop) would take
//  it back after every hold-down and lose it again, pausing the clients
//  each time.  Winning after we suspected it, we double its hold-down, as
//  for a failed hand-over (docs/ELECTION.md rule 7).  A reign that began
//  any other way (the first election, say) is not counted.
static void
s_damp_short_reign (zc_election_t *self, zc_actions_t *out)
{
    zc_el_peer_t *peer = self->deposed > self->cfg.self && self->deposed == self->handed_to
                       ? zc_el_peer (self, self->deposed) : NULL;
    uint64_t window = (uint64_t) self->cfg.holddown_ms * ZC_EL_SHORT_REIGN_HOLDDOWNS;
    if (peer && self->deposed_reign < window) {
        peer->holddown_ms = peer->holddown_ms * 2 < 60000 ? peer->holddown_ms * 2 : 60000;
        zc_el_log (self, out, "node %u lost the lead %llu ms after taking it: its hold-down "
                   "is now %llu ms", peer->id, (unsigned long long) self->deposed_reign,
                   (unsigned long long) peer->holddown_ms);
    }
    self->deposed = 0;
    self->handed_to = 0;
}

//  We suspect the leader we follow: remember how long it led
static void
s_depose (zc_election_t *self, uint64_t now)
{
    self->deposed = self->leader;
    self->deposed_reign = self->reign_of == self->leader ? now - self->reign_since : UINT64_MAX;
}

void
zc_el_become_leader (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    self->won++;
    s_damp_short_reign (self, out);
    self->role = ZC_ROLE_LEADER;
    self->phase = PHASE_NONE;
    self->leader = self->cfg.self;
    self->leader_suspected = false;
    self->handover_to = 0;
    self->handover_from = 0;
    self->next_announce = now + self->cfg.heartbeat_ms;
    for (size_t i = 0; i < self->peer_count; i++) {
        self->peers [i].healthy_since = 0;
        self->peers [i].last_ping = 0;
        self->peers [i].link_since = 0;
        self->peers [i].link_heard = 0;
    }
    zc_el_log (self, out, "I am the leader (epoch %llu)", (unsigned long long) self->st.epoch);
}

void
zc_el_start_claim (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    //  Persist before the first COORDINATOR leaves: after a crash we must
    //  never claim or accept this epoch for anyone else.
    zc_el_persist (self, out, self->prevote_epoch, self->cfg.self);
    self->claimed_at = now;
    for (size_t i = 0; i < self->peer_count; i++) {
        self->peers [i].voted = false;
        self->peers [i].lease_lt = 0;
    }
    self->phase = PHASE_CLAIM;
    self->phase_deadline = now + 2 * self->cfg.election_ms;
    self->next_resend = now + s_resend_ms (self);
    zc_el_log (self, out, "claiming leadership (epoch %llu)",
               (unsigned long long) self->st.epoch);
    if (zc_el_count_voted (self) >= self->cfg.quorum)
        zc_el_become_leader (self, now, out);
    else
        s_send_claims (self, now, out, true);
}

static void
s_fail_round (zc_election_t *self, uint64_t now)
{
    self->handover_from = 0;
    self->phase = PHASE_BACKOFF;
    self->phase_deadline = now + self->cfg.heartbeat_ms
                         + s_random (self, self->cfg.heartbeat_ms + 1);
}

void
zc_el_report (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    bool serving = zc_election_serving (self, now);
    uint32_t leader = zc_election_leader (self);
    if (self->role != self->rep_role || leader != self->rep_leader
    ||  self->st.epoch != self->rep_epoch || serving != self->rep_serving) {
        self->rep_role = self->role;
        self->rep_leader = leader;
        self->rep_epoch = self->st.epoch;
        self->rep_serving = serving;
        s_push (out, ZC_ACT_ROLE);
    }
}

zc_election_t *
zc_election_new (const zc_election_config_t *cfg, const zc_election_state_t *persisted,
                 uint64_t now)
{
    assert (cfg && persisted);
    assert (cfg->heartbeat_ms > 0 && cfg->misses > 0 && cfg->quorum > 0);
    zc_election_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = *cfg;
    self->st = *persisted;
    self->jump = cfg->max_epoch_jump ? cfg->max_epoch_jump : ZC_EPOCH_JUMP_DEFAULT;
    self->rng = (cfg->seed ^ (0x9E3779B97F4A7C15ull * (cfg->self + 1))) | 1;
    for (size_t i = 0; i < cfg->member_count; i++) {
        if (cfg->members [i] == cfg->self)
            continue;
        zc_el_peer_t *peer = &self->peers [self->peer_count++];
        peer->id = cfg->members [i];
        peer->holddown_ms = cfg->holddown_ms;
    }
    zc_el_become_backup (self, 0, now);
    zc_el_lost_start (self, now);
    self->rep_role = ZC_ROLE_BACKUP;
    return self;
}

void
zc_election_destroy (zc_election_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

static void
s_tick_backup (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    if (self->leader && !self->leader_suspected) {
        if (now > self->leader_heard + zc_el_suspect_ms (self)) {
            zc_el_log (self, out, "leader %u missed heartbeats", self->leader);
            s_depose (self, now);
            self->leader_suspected = true;
            zc_el_start_election (self, now, out);
        }
        else
        if (now >= self->next_ping) {
            zc_action_t *action = s_push (out, ZC_ACT_PING);
            action->to = self->leader;
            zc_msg_init (&action->msg, ZC_PING);
            zc_msg_set_u64 (&action->msg, ZF_NODE, self->cfg.self);
            zc_msg_set_u64 (&action->msg, ZF_EPOCH, self->st.epoch);
            zc_msg_set_u64 (&action->msg, ZF_MH, self->cfg.mh);
            if (self->cfg.mseq)
                zc_msg_set_u64 (&action->msg, ZF_MSEQ, self->cfg.mseq);
            zc_msg_set_u64 (&action->msg, ZF_LAST_SEQ, self->last_seq);
            self->next_ping = now + self->cfg.heartbeat_ms;
        }
    }
    else
    if (now >= self->phase_deadline) {
        if (!zc_el_voting (self)) {
            self->phase_deadline = now + zc_el_suspect_ms (self);
            return;             //  lost state: wait for a leader (election_lost.c)
        }
        if (!self->leader_suspected)
            zc_el_log (self, out, "no leader heard");
        zc_el_start_election (self, now, out);
    }
}

static void
s_tick_candidate (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    if (now >= self->phase_deadline) {
        switch (self->phase) {
            case PHASE_WAIT_ANSWER:
                zc_el_start_prevote (self, now, out);
                break;
            case PHASE_WAIT_COORD:
                //  The higher node that answered did not win: go ourselves.
                zc_el_log (self, out, "no COORDINATOR came, trying myself");
                zc_el_start_prevote (self, now, out);
                break;
            case PHASE_PREVOTE:
            case PHASE_CLAIM:
                zc_el_log (self, out, "not enough votes (%zu of %u)",
                           zc_el_count_voted (self), self->cfg.quorum);
                s_fail_round (self, now);
                break;
            default:
                zc_el_start_election (self, now, out);
                break;
        }
        return;
    }
    if (now >= self->next_resend) {
        //  Sends can fail silently right after a connect: repeat them.
        self->next_resend = now + s_resend_ms (self);
        if (self->phase == PHASE_WAIT_ANSWER)
            s_send_elections (self, out);
        else
        if (self->phase == PHASE_PREVOTE)
            s_send_prevotes (self, out);
        else
        if (self->phase == PHASE_CLAIM)
            s_send_claims (self, now, out, false);
    }
}

static void
s_tick_leader (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    //  A retiring leader that has named its target announces no more: the
    //  others must stop hearing it (election_retire.c)
    if (now >= self->next_announce && !(self->retiring && self->retire_to)) {
        s_send_claims (self, now, out, true);
        self->next_announce = now + self->cfg.heartbeat_ms;
    }
    if (self->retiring) {
        zc_el_retire_tick (self, now, out);
        return;
    }
    if (self->handover_to) {
        zc_el_peer_t *target = zc_el_peer (self, self->handover_to);
        if (now >= self->handover_deadline) {
            zc_el_log (self, out, "hand-over to node %u failed, serving again", target->id);
            target->holddown_ms = target->holddown_ms * 2 < 60000
                                ? target->holddown_ms * 2 : 60000;
            target->healthy_since = now;
            self->handover_to = 0;
        }
        else
        if (!self->handover_sent && target->last_seq >= self->last_seq) {
            zc_msg_t *msg = zc_el_send (self, out, target->id, ZC_HANDOVER);
            zc_msg_set_u64 (msg, ZF_LEADER, target->id);
            self->handover_sent = true;
        }
        return;
    }
    if (!zc_election_serving (self, now))
        return;
    //  Fail-back: the highest healthy backup above us, after its hold-down.
    //  Wait for the highest rather than hand over to a lower one whose
    //  hold-down ends sooner (each step would pause the clients again),
    //  unless a hand-over to it already failed (its hold-down grew): it may
    //  not reach a majority, so a lower one that is ready goes first.
    //  Healthy means both runs, pings on the heartbeat port and granted
    //  replies on the peer link, unbroken for the hold-down: PINGs alone can
    //  be forged by anyone who reaches the heartbeat port.
    zc_el_peer_t *best = NULL;
    uint64_t best_since = 0;
    for (size_t i = 0; i < self->peer_count; i++) {
        zc_el_peer_t *peer = &self->peers [i];
        uint64_t since = peer->healthy_since > peer->link_since
                       ? peer->healthy_since : peer->link_since;
        bool ready = now >= since + peer->holddown_ms;
        bool worth_waiting = peer->holddown_ms == self->cfg.holddown_ms;
        if (peer->id > self->cfg.self && peer->healthy_since && peer->link_since
        &&  now <= peer->last_ping + zc_el_suspect_ms (self)
        &&  now <= peer->link_heard + zc_el_suspect_ms (self)
        &&  (ready || worth_waiting)
        &&  (!best || peer->id > best->id)) {
            best = peer;
            best_since = since;
        }
    }
    if (best && now >= best_since + best->holddown_ms) {
        zc_el_log (self, out, "node %u is back and higher, handing over", best->id);
        self->handover_to = best->id;
        self->handover_sent = false;
        self->handover_deadline = now + 4 * self->cfg.election_ms + zc_el_suspect_ms (self);
    }
}

void
zc_election_tick (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    assert (self && out);
    zc_el_retire_due (self, now, out);
    if (self->retired) {
        zc_el_report (self, now, out);
        return;                 //  leaving: nothing more to do
    }
    zc_el_lost_tick (self, now, out);
    if (self->role == ZC_ROLE_BACKUP)
        s_tick_backup (self, now, out);
    else
    if (self->role == ZC_ROLE_CANDIDATE)
        s_tick_candidate (self, now, out);
    else
        s_tick_leader (self, now, out);
    zc_el_report (self, now, out);
}

void
zc_election_leader_down (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    assert (self && out);
    if (self->role == ZC_ROLE_BACKUP && self->leader && !self->leader_suspected) {
        zc_el_log (self, out, "lost the connection to leader %u", self->leader);
        s_depose (self, now);
        self->leader_suspected = true;
        zc_el_start_election (self, now, out);
    }
    zc_el_report (self, now, out);
}

void
zc_election_set_log (zc_election_t *self, uint64_t last_seq, uint64_t log_epoch)
{
    self->last_seq = last_seq;
    self->log_epoch = log_epoch;
}

void
zc_election_peer_progress (zc_election_t *self, uint32_t peer_id, uint64_t last_seq)
{
    zc_el_peer_t *peer = zc_el_peer (self, peer_id);
    if (peer && last_seq <= self->last_seq)
        peer->last_seq = last_seq;      //  more than we hold: not a real match
}

static uint64_t
s_deadline (zc_election_t *self)
{
    switch (self->role) {
        case ZC_ROLE_BACKUP:
            if (self->recovering)
                return self->next_recover_probe < self->phase_deadline
                     ? self->next_recover_probe : self->phase_deadline;
            if (self->leader && !self->leader_suspected) {
                uint64_t suspect = self->leader_heard + zc_el_suspect_ms (self) + 1;
                return self->next_ping < suspect ? self->next_ping : suspect;
            }
            return self->phase_deadline;
        case ZC_ROLE_CANDIDATE:
            return self->next_resend < self->phase_deadline
                 && self->phase != PHASE_WAIT_COORD && self->phase != PHASE_BACKOFF
                 ? self->next_resend : self->phase_deadline;
        case ZC_ROLE_LEADER: {
            //  Wake up for the lease to lapse too, so serving changes are seen.
            uint64_t deadline = self->retire_to ? self->retire_next : self->next_announce;
            if (self->handover_to && self->handover_deadline < deadline)
                deadline = self->handover_deadline;
            return deadline;
        }
    }
    return self->phase_deadline;
}

uint64_t
zc_election_deadline (zc_election_t *self)
{
    if (self->retired)
        return UINT64_MAX;
    uint64_t deadline = s_deadline (self);
    if (self->retiring && self->retire_deadline < deadline)
        deadline = self->retire_deadline;
    return deadline;
}

zc_role_t
zc_election_role (zc_election_t *self)
{
    return self->role;
}

uint32_t
zc_election_leader (zc_election_t *self)
{
    //  Only a leader accepted in the current epoch: a candidate, or a
    //  backup that knows an epoch but not yet who leads it, names nobody
    //  (a stale id with a new epoch would send clients the wrong way).
    if (self->role == ZC_ROLE_LEADER)
        return self->cfg.self;
    if (self->role == ZC_ROLE_BACKUP && self->leader && self->leader == self->st.leader)
        return self->leader;
    return 0;
}

uint64_t
zc_election_epoch (zc_election_t *self)
{
    return self->st.epoch;
}

bool
zc_election_serving (zc_election_t *self, uint64_t now)
{
    return self->role == ZC_ROLE_LEADER && !self->handover_to && !self->retiring
        && zc_el_lease_valid (self, now);
}

size_t
zc_election_votes (zc_election_t *self, zc_vote_t *votes, size_t cap)
{
    size_t count = 0;
    for (size_t i = 0; i < self->peer_count && count < cap; i++) {
        zc_el_peer_t *peer = &self->peers [i];
        if (peer->voted)
            votes [count++] = (zc_vote_t) { peer->id, peer->vote_log_epoch,
                                            peer->vote_last_seq };
    }
    return count;
}

void
zc_election_step_down (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    if (self->role == ZC_ROLE_LEADER) {
        zc_el_log (self, out, "stepping down: cannot get the cluster's best log");
        zc_el_become_backup (self, 0, now);
    }
    zc_el_report (self, now, out);
}

uint64_t
zc_election_refused (zc_election_t *self)
{
    return self->refused;
}

void
zc_election_stats (zc_election_t *self, uint64_t *started, uint64_t *won)
{
    *started = self->started;
    *won = self->won;
}

bool
zc_election_handing_over (zc_election_t *self)
{
    return self->role == ZC_ROLE_LEADER && self->handover_to;
}

const char *
zc_role_name (zc_role_t role)
{
    return role == ZC_ROLE_LEADER ? "leader"
         : role == ZC_ROLE_CANDIDATE ? "candidate" : "backup";
}

void
zc_actions_clear (zc_actions_t *actions)
{
    actions->count = 0;
}
