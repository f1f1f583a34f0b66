/*  election.c — Bully + epochs + pre-vote + lease + hand-over, no I/O.
    See election.h for the rules and docs/ELECTION.md for why they are safe.
*/
#include "election.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    PHASE_NONE,
    PHASE_JOIN,         //  backup without a leader: wait for a re-announce
    PHASE_WAIT_ANSWER,  //  sent ELECTION to higher ids
    PHASE_WAIT_COORD,   //  a higher node answered: wait for its COORDINATOR
    PHASE_PREVOTE,      //  asking whether a quorum would accept us
    PHASE_CLAIM,        //  COORDINATOR sent, counting ACCEPTs
    PHASE_BACKOFF       //  failed: wait a little, then try again
} s_phase_t;

typedef struct {
    uint32_t id;
    uint64_t heard_at;       //  last message of any kind from it
    uint64_t lease_lt;       //  leader: newest token it echoed in our epoch
    uint64_t healthy_since;  //  leader: start of its current run of pings
    uint64_t last_ping;      //  leader: when it last pinged us
    uint64_t link_since;     //  leader: start of its run of granted replies on
    uint64_t link_heard;     //  the peer link in our epoch, and the last one
    uint64_t last_seq;       //  its log as the replica confirmed it (peer_progress)
    uint64_t holddown_ms;    //  hand-over hold-down (doubles on failure)
    uint64_t report_epoch;   //  highest epoch it said it holds, recently
    uint64_t report_at;      //  (reported: at least once)
    bool reported;
    uint64_t refuse_log_at;  //  last "refusing node N" line (refuse_logged: any)
    bool refuse_logged;
    bool answered;           //  current ELECTION round
    bool voted;              //  granted our pre-vote / accepted our claim
    bool mh_warned;
    uint64_t vote_log_epoch; //  its log, as its ACCEPT of our claim said
    uint64_t vote_last_seq;
} s_peer_t;

struct _zc_election_t {
    zc_election_config_t cfg;
    zc_election_state_t st;      //  persisted
    zc_role_t role;
    s_phase_t phase;
    uint32_t leader;             //  leader followed (0: none)
    uint64_t leader_heard;       //  last sign that it serves
    bool leader_suspected;
    uint64_t phase_deadline;
    uint64_t next_resend;
    uint64_t next_ping;
    uint64_t next_announce;
    uint64_t prevote_epoch;
    bool skip_answer;            //  next round goes straight to pre-vote
    uint32_t handover_to;        //  leader: hand-over target (0: none)
    uint32_t handover_from;      //  candidate: the leader that handed over to us
    bool handover_sent;
    uint64_t handover_deadline;
    uint64_t last_seq, log_epoch;
    uint64_t jump;               //  max_epoch_jump, default applied
    uint64_t claimed_at;         //  when we claimed st.epoch: older tokens are not ours
    uint64_t next_probe;         //  earliest next corroboration probe
    uint64_t next_step;          //  earliest next uncorroborated step (s_step)
    uint64_t refused;            //  messages refused as absurd or forged
    bool exhausted_logged;
    uint64_t rng;
    s_peer_t peers[ZC_ELECTION_MAX_MEMBERS];
    size_t peer_count;
    //  Last reported view, to emit ZC_ACT_ROLE on change.
    zc_role_t rep_role;
    uint32_t rep_leader;
    uint64_t rep_epoch;
    bool rep_serving;
};

static uint64_t
s_suspect_ms (zc_election_t *self)
{
    return (uint64_t) self->cfg.heartbeat_ms * self->cfg.misses;
}

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

static s_peer_t *
s_peer (zc_election_t *self, uint64_t id)
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

static void
s_log (zc_election_t *self, zc_actions_t *out, const char *fmt, ...)
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
static zc_msg_t *
s_send (zc_election_t *self, zc_actions_t *out, uint32_t to, zc_type_t type)
{
    zc_action_t *action = s_push (out, ZC_ACT_SEND);
    action->to = to;
    zc_msg_init (&action->msg, type);
    zc_msg_set_u64 (&action->msg, ZF_NODE, self->cfg.self);
    zc_msg_set_u64 (&action->msg, ZF_EPOCH, self->st.epoch);
    zc_msg_set_u64 (&action->msg, ZF_MH, self->cfg.mh);
    return &action->msg;
}

static void
s_persist (zc_election_t *self, zc_actions_t *out, uint64_t epoch, uint32_t leader)
{
    self->st.epoch = epoch;
    self->st.leader = leader;
    zc_action_t *action = s_push (out, ZC_ACT_PERSIST);
    action->state = self->st;
}

//  --------------------------------------------------------------------------
//  Hostile input (docs/ELECTION.md "Hostile input")

//  How long a member's word on its epoch counts as "recent".  Honest
//  epochs never decrease, so an old report is still a true lower bound; the
//  window only keeps us from leaning on what nobody has said for a while.
static uint64_t
s_report_window_ms (zc_election_t *self)
{
    return 10 * s_suspect_ms (self);
}

//  Refuse one message: count it, and say so at most once per peer per
//  second, so that a flood of forgeries cannot flood the log too.
static void
s_refuse (zc_election_t *self, s_peer_t *peer, uint64_t now, zc_actions_t *out,
          const char *fmt, ...)
{
    self->refused++;
    if (peer->refuse_logged && now < peer->refuse_log_at + 1000)
        return;
    peer->refuse_logged = true;
    peer->refuse_log_at = now;
    char text [120];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    s_log (self, out, "refusing node %u: %s", peer->id, text);
}

//  Remember which epoch a member says it holds: the evidence for
//  corroboration.  A PREVOTE asks for E, so its sender holds E-1; a granted
//  PREVOTE_REPLY carries the candidate's epoch, not the voter's.
static void
s_note_report (zc_election_t *self, s_peer_t *peer, const zc_msg_t *msg, uint64_t now)
{
    uint64_t epoch = msg->epoch;
    if (msg->type == ZC_PREVOTE)
        epoch = epoch ? epoch - 1 : 0;
    else
    if (msg->type == ZC_PREVOTE_REPLY && msg->granted)
        return;
    if (!peer->reported || epoch >= peer->report_epoch
    ||  now > peer->report_at + s_report_window_ms (self)) {
        peer->reported = true;
        peer->report_epoch = epoch;
        peer->report_at = now;
    }
}

//  The highest epoch that a quorum of *other* members reported recently (0
//  if fewer than a quorum spoke).  Self is never counted: ours is the epoch
//  that may lag.  A quorum, not quorum - 1: in a 3-node cluster quorum - 1
//  others is one member, who could then vouch for itself.  An epoch the
//  cluster really moved to was accepted by a quorum, and if we were not in
//  it, that quorum is made of others, so an honest lag can always be
//  corroborated once they speak.
static uint64_t
s_corroborated (zc_election_t *self, uint64_t now)
{
    uint64_t top [ZC_ELECTION_MAX_MEMBERS];
    size_t count = 0;
    for (size_t i = 0; i < self->peer_count; i++) {
        s_peer_t *peer = &self->peers [i];
        if (!peer->reported || now > peer->report_at + s_report_window_ms (self))
            continue;
        size_t at = count++;
        while (at > 0 && top [at - 1] < peer->report_epoch) {
            top [at] = top [at - 1];
            at--;
        }
        top [at] = peer->report_epoch;
    }
    return count >= self->cfg.quorum ? top [self->cfg.quorum - 1] : 0;
}

//  The highest epoch a message may raise us to now: max_epoch_jump above
//  what we hold, or above what a quorum of others vouches for, and always
//  below the ceiling.
static uint64_t
s_epoch_limit (zc_election_t *self, uint64_t now)
{
    uint64_t base = self->st.epoch;
    uint64_t vouched = s_corroborated (self, now);
    if (vouched > base)
        base = vouched;
    if (base >= ZC_EPOCH_MAX - 1 || self->jump >= ZC_EPOCH_MAX - 1 - base)
        return ZC_EPOCH_MAX - 1;
    return base + self->jump;
}

//  Ask every member where it stands: a PREVOTE for our next epoch changes
//  nobody's state, and a voter that holds a higher epoch refuses it with
//  that epoch, which is the report corroboration needs.  A lagging node
//  hears only its leader in steady state, so without asking it could not
//  rejoin a cluster that moved on by more than the jump.
static void
s_probe (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    if (now < self->next_probe || self->st.epoch >= ZC_EPOCH_MAX - 1)
        return;
    self->next_probe = now + self->cfg.heartbeat_ms;
    for (size_t i = 0; i < self->peer_count; i++) {
        zc_msg_t *msg = s_send (self, out, self->peers [i].id, ZC_PREVOTE);
        msg->epoch = self->st.epoch + 1;
        zc_msg_set_u64 (msg, ZF_LAST_SEQ, self->last_seq);
        zc_msg_set_u64 (msg, ZF_LOG_EPOCH, self->log_epoch);
    }
}

static void s_become_backup (zc_election_t *self, uint32_t leader, uint64_t now);

//  A refused far epoch still moves us up by the jump, once a second at
//  most: where no quorum of others can speak (3 nodes, one down, we lag and
//  the leader needs us), this is how the lag heals.  It gives a single
//  member nothing it does not have already (a claim at exactly our epoch +
//  jump is within the bound), and its rate bounds what it has: jump
//  epochs a second, 2^53 / 1000 of them take ~285,000 years.  Never on a
//  PREVOTE: asking must change nobody's state (rule 3).
#define ZC_EPOCH_STEP_MS 1000

static void
s_step (zc_election_t *self, uint64_t limit, uint64_t now, zc_actions_t *out)
{
    if (now < self->next_step || limit <= self->st.epoch)
        return;
    self->next_step = now + ZC_EPOCH_STEP_MS;
    s_persist (self, out, limit, 0);
    s_log (self, out, "moving to epoch %llu, one step toward it", (unsigned long long) limit);
    s_become_backup (self, 0, now);
}

//  May `msg` from `peer` raise (or, for a PREVOTE, ask to raise) our epoch
//  to `epoch`?  If not: refuse, log, and probe for corroboration.
static bool
s_epoch_allowed (zc_election_t *self, s_peer_t *peer, const zc_msg_t *msg, uint64_t epoch,
                 uint64_t now, zc_actions_t *out)
{
    uint64_t limit = s_epoch_limit (self, now);
    if (epoch <= limit)
        return true;
    s_refuse (self, peer, now, out, "%s at epoch %llu, above %llu (mine %llu + jump %llu) "
              "and no quorum reports it", zc_type_name (msg->type),
              (unsigned long long) epoch, (unsigned long long) limit,
              (unsigned long long) self->st.epoch, (unsigned long long) self->jump);
    s_probe (self, now, out);
    if (msg->type != ZC_PREVOTE)
        s_step (self, limit, now, out);
    return false;
}

//  A lease token echoed to us must be one we issued in this epoch: our own
//  clock reading, taken at or after our claim and not in the future.
static bool
s_token_ok (zc_election_t *self, s_peer_t *peer, const zc_msg_t *msg, uint64_t now,
            zc_actions_t *out)
{
    if (!zc_msg_has (msg, ZF_LT) || (msg->lt >= self->claimed_at && msg->lt <= now))
        return true;
    s_refuse (self, peer, now, out, "%s echoes lease token %llu, never issued "
              "(claimed at %llu, now %llu)", zc_type_name (msg->type),
              (unsigned long long) msg->lt, (unsigned long long) self->claimed_at,
              (unsigned long long) now);
    return false;
}

//  Leader: a granted reply on the peer link in our epoch.  The hand-over
//  needs a run of these as well as of PINGs: a PING can come from anyone
//  who reaches the heartbeat port, a granted ACCEPT is the node following us.
static void
s_note_link (zc_election_t *self, s_peer_t *peer, uint64_t now)
{
    if (!peer->link_since || now > peer->link_heard + s_suspect_ms (self))
        peer->link_since = now;
    peer->link_heard = now;
}

static size_t
s_count_voted (zc_election_t *self)
{
    size_t count = 1;       //  ourselves
    for (size_t i = 0; i < self->peer_count; i++)
        if (self->peers [i].voted)
            count++;
    return count;
}

static bool
s_lease_valid (zc_election_t *self, uint64_t now)
{
    size_t count = 1;
    for (size_t i = 0; i < self->peer_count; i++) {
        s_peer_t *peer = &self->peers [i];
        if (peer->lease_lt && peer->lease_lt + self->cfg.lease_ms >= now)
            count++;
    }
    return count >= self->cfg.quorum;
}

//  True if the leader we follow answered with "serving" recently.
static bool
s_leader_alive (zc_election_t *self, uint64_t now)
{
    return self->role == ZC_ROLE_BACKUP && self->leader && !self->leader_suspected
        && now <= self->leader_heard + s_suspect_ms (self);
}

//  The pre-vote and claim refusal rule: we currently hear a working
//  leader whose id is higher than the candidate's.
static bool
s_hears_higher_leader (zc_election_t *self, uint32_t candidate, uint64_t now)
{
    if (self->role == ZC_ROLE_LEADER)
        return self->cfg.self > candidate && s_lease_valid (self, now);
    return s_leader_alive (self, now) && self->leader != candidate
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

static void
s_become_backup (zc_election_t *self, uint32_t leader, uint64_t now)
{
    self->role = ZC_ROLE_BACKUP;
    self->leader = leader;
    self->leader_heard = now;
    self->leader_suspected = false;
    self->handover_to = 0;
    self->handover_from = 0;
    self->skip_answer = false;
    self->phase = leader ? PHASE_NONE : PHASE_JOIN;
    self->phase_deadline = now + s_suspect_ms (self);
    self->next_ping = now;
}

//  A reply told us of a higher epoch: we are stale, so step down and wait
//  for that epoch's leader to announce itself.
static void
s_learn_epoch (zc_election_t *self, s_peer_t *peer, const zc_msg_t *msg, uint64_t epoch,
               uint32_t hint, uint64_t now, zc_actions_t *out)
{
    if (epoch <= self->st.epoch || !s_epoch_allowed (self, peer, msg, epoch, now, out))
        return;
    s_persist (self, out, epoch, 0);
    if (self->role != ZC_ROLE_BACKUP)
        s_log (self, out, "epoch %llu is newer than mine, stepping down",
               (unsigned long long) epoch);
    s_become_backup (self, 0, now);
    if (hint && hint != self->cfg.self && s_peer (self, hint))
        self->leader = hint;        //  a hint for clients; not yet accepted
}

static void s_start_prevote (zc_election_t *self, uint64_t now, zc_actions_t *out);

static void
s_send_elections (zc_election_t *self, zc_actions_t *out)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        s_peer_t *peer = &self->peers [i];
        bool dead_leader = peer->id == self->leader && self->leader_suspected;
        if (peer->id > self->cfg.self && !dead_leader && !peer->answered)
            s_send (self, out, peer->id, ZC_ELECTION);
    }
}

static void
s_start_election (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    self->role = ZC_ROLE_CANDIDATE;
    self->handover_to = 0;
    s_reset_votes (self);
    bool anyone_higher = false;
    for (size_t i = 0; i < self->peer_count; i++) {
        s_peer_t *peer = &self->peers [i];
        bool dead_leader = peer->id == self->leader && self->leader_suspected;
        if (peer->id > self->cfg.self && !dead_leader)
            anyone_higher = true;
    }
    if (self->skip_answer || !anyone_higher) {
        self->skip_answer = false;
        s_start_prevote (self, now, out);
        return;
    }
    s_log (self, out, "starting election (epoch %llu)",
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
        zc_msg_t *msg = s_send (self, out, self->peers [i].id, ZC_PREVOTE);
        msg->epoch = self->prevote_epoch;
        zc_msg_set_u64 (msg, ZF_LAST_SEQ, self->last_seq);
        zc_msg_set_u64 (msg, ZF_LOG_EPOCH, self->log_epoch);
    }
}

static void s_start_claim (zc_election_t *self, uint64_t now, zc_actions_t *out);

static void s_fail_round (zc_election_t *self, uint64_t now);

static void
s_start_prevote (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    self->role = ZC_ROLE_CANDIDATE;
    if (self->st.epoch >= ZC_EPOCH_MAX - 1) {
        //  Never claim at or past the ceiling: epoch + 1 must not wrap.
        //  Only a state file written before the ceiling existed gets here.
        if (!self->exhausted_logged)
            s_log (self, out, "epoch %llu is at the ceiling: I can never lead; "
                   "see docs/ELECTION.md \"Hostile input\"",
                   (unsigned long long) self->st.epoch);
        self->exhausted_logged = true;
        s_fail_round (self, now);
        return;
    }
    self->phase = PHASE_PREVOTE;
    self->prevote_epoch = self->st.epoch + 1;
    s_reset_votes (self);
    s_log (self, out, "no higher node answered, asking for votes (epoch %llu)",
           (unsigned long long) self->prevote_epoch);
    self->phase_deadline = now + self->cfg.election_ms;
    self->next_resend = now + s_resend_ms (self);
    if (s_count_voted (self) >= self->cfg.quorum)
        s_start_claim (self, now, out);
    else
        s_send_prevotes (self, out);
}

static void
s_send_claims (zc_election_t *self, uint64_t now, zc_actions_t *out, bool all)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        if (!all && self->peers [i].voted)
            continue;
        zc_msg_t *msg = s_send (self, out, self->peers [i].id, ZC_COORDINATOR);
        zc_msg_set_u64 (msg, ZF_LEADER, self->cfg.self);
        zc_msg_set_u64 (msg, ZF_LT, now);
        zc_msg_set_u64 (msg, ZF_LAST_SEQ, self->last_seq);
    }
}

static void
s_become_leader (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
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
    s_log (self, out, "I am the leader (epoch %llu)", (unsigned long long) self->st.epoch);
}

static void
s_start_claim (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    //  Persist before the first COORDINATOR leaves: after a crash we must
    //  never claim or accept this epoch for anyone else.
    s_persist (self, out, self->prevote_epoch, self->cfg.self);
    self->claimed_at = now;
    for (size_t i = 0; i < self->peer_count; i++) {
        self->peers [i].voted = false;
        self->peers [i].lease_lt = 0;
    }
    self->phase = PHASE_CLAIM;
    self->phase_deadline = now + 2 * self->cfg.election_ms;
    self->next_resend = now + s_resend_ms (self);
    s_log (self, out, "claiming leadership (epoch %llu)", (unsigned long long) self->st.epoch);
    if (s_count_voted (self) >= self->cfg.quorum)
        s_become_leader (self, now, out);
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

uint32_t zc_election_leader (zc_election_t *self);

static void
s_report (zc_election_t *self, uint64_t now, zc_actions_t *out)
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
        s_peer_t *peer = &self->peers [self->peer_count++];
        peer->id = cfg->members [i];
        peer->holddown_ms = cfg->holddown_ms;
    }
    s_become_backup (self, 0, now);
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
        if (now > self->leader_heard + s_suspect_ms (self)) {
            s_log (self, out, "leader %u missed heartbeats", self->leader);
            self->leader_suspected = true;
            s_start_election (self, now, out);
        }
        else
        if (now >= self->next_ping) {
            zc_action_t *action = s_push (out, ZC_ACT_PING);
            action->to = self->leader;
            zc_msg_init (&action->msg, ZC_PING);
            zc_msg_set_u64 (&action->msg, ZF_NODE, self->cfg.self);
            zc_msg_set_u64 (&action->msg, ZF_EPOCH, self->st.epoch);
            zc_msg_set_u64 (&action->msg, ZF_MH, self->cfg.mh);
            zc_msg_set_u64 (&action->msg, ZF_LAST_SEQ, self->last_seq);
            self->next_ping = now + self->cfg.heartbeat_ms;
        }
    }
    else
    if (now >= self->phase_deadline) {
        if (!self->leader_suspected)
            s_log (self, out, "no leader heard");
        s_start_election (self, now, out);
    }
}

static void
s_tick_candidate (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    if (now >= self->phase_deadline) {
        switch (self->phase) {
            case PHASE_WAIT_ANSWER:
                s_start_prevote (self, now, out);
                break;
            case PHASE_WAIT_COORD:
                //  The higher node that answered did not win: go ourselves.
                s_log (self, out, "no COORDINATOR came, trying myself");
                s_start_prevote (self, now, out);
                break;
            case PHASE_PREVOTE:
            case PHASE_CLAIM:
                s_log (self, out, "not enough votes (%zu of %u)",
                       s_count_voted (self), self->cfg.quorum);
                s_fail_round (self, now);
                break;
            default:
                s_start_election (self, now, out);
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
    if (now >= self->next_announce) {
        s_send_claims (self, now, out, true);
        self->next_announce = now + self->cfg.heartbeat_ms;
    }
    if (self->handover_to) {
        s_peer_t *target = s_peer (self, self->handover_to);
        if (now >= self->handover_deadline) {
            s_log (self, out, "hand-over to node %u failed, serving again", target->id);
            target->holddown_ms = target->holddown_ms * 2 < 60000
                                ? target->holddown_ms * 2 : 60000;
            target->healthy_since = now;
            self->handover_to = 0;
        }
        else
        if (!self->handover_sent && target->last_seq >= self->last_seq) {
            s_send (self, out, target->id, ZC_HANDOVER);
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
    s_peer_t *best = NULL;
    uint64_t best_since = 0;
    for (size_t i = 0; i < self->peer_count; i++) {
        s_peer_t *peer = &self->peers [i];
        uint64_t since = peer->healthy_since > peer->link_since
                       ? peer->healthy_since : peer->link_since;
        bool ready = now >= since + peer->holddown_ms;
        bool worth_waiting = peer->holddown_ms == self->cfg.holddown_ms;
        if (peer->id > self->cfg.self && peer->healthy_since && peer->link_since
        &&  now <= peer->last_ping + s_suspect_ms (self)
        &&  now <= peer->link_heard + s_suspect_ms (self)
        &&  (ready || worth_waiting)
        &&  (!best || peer->id > best->id)) {
            best = peer;
            best_since = since;
        }
    }
    if (best && now >= best_since + best->holddown_ms) {
        s_log (self, out, "node %u is back and higher, handing over", best->id);
        self->handover_to = best->id;
        self->handover_sent = false;
        self->handover_deadline = now + 4 * self->cfg.election_ms + s_suspect_ms (self);
    }
}

void
zc_election_tick (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    assert (self && out);
    if (self->role == ZC_ROLE_BACKUP)
        s_tick_backup (self, now, out);
    else
    if (self->role == ZC_ROLE_CANDIDATE)
        s_tick_candidate (self, now, out);
    else
        s_tick_leader (self, now, out);
    s_report (self, now, out);
}

static void
s_reply_accept (zc_election_t *self, zc_actions_t *out, const zc_msg_t *msg, bool granted)
{
    zc_msg_t *reply = s_send (self, out, (uint32_t) msg->node, ZC_ACCEPT);
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

static void
s_on_coordinator (zc_election_t *self, const zc_msg_t *msg, uint64_t now, zc_actions_t *out)
{
    uint32_t from = (uint32_t) msg->node;
    if (msg->epoch > self->st.epoch
    &&  !s_epoch_allowed (self, s_peer (self, from), msg, msg->epoch, now, out))
        return;                 //  no reply: a refusal would tell it nothing
    //  An older epoch announced by the very node we accepted for ours: it
    //  claimed ours since, so this is a stale or replayed copy.  A refusal
    //  would carry our epoch, and the leader would read it as a conflict
    //  at its own epoch (below) and re-elect for nothing.
    if (msg->epoch < self->st.epoch && self->st.leader == from)
        return;
    bool accept;
    if (msg->epoch < self->st.epoch)
        accept = false;
    else
    if (msg->epoch == self->st.epoch)
        accept = self->st.leader == from || self->st.leader == 0;
    else
        accept = !s_hears_higher_leader (self, from, now);

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
        s_persist (self, out, msg->epoch, from);
    if (handing_over)
        ;   //  keep asking for votes
    else
    if (self->role != ZC_ROLE_BACKUP || self->leader != from) {
        s_log (self, out, "node %u is the leader (epoch %llu)", from,
               (unsigned long long) msg->epoch);
        s_become_backup (self, from, now);
    }
    else
    if (self->leader_suspected)
        self->leader_suspected = false;
    self->leader_heard = now;       //  we echo its lease token: see ZC_APPEND
    s_reply_accept (self, out, msg, true);
}

static void
s_on_prevote (zc_election_t *self, const zc_msg_t *msg, uint64_t now, zc_actions_t *out)
{
    uint32_t from = (uint32_t) msg->node;
    //  A grant for an epoch we would refuse to accept would be a lie, and
    //  it would let a candidate run far ahead of us by failing claims.
    bool granted = msg->epoch > self->st.epoch && !s_hears_higher_leader (self, from, now)
                && s_epoch_allowed (self, s_peer (self, from), msg, msg->epoch, now, out);
    zc_msg_t *reply = s_send (self, out, from, ZC_PREVOTE_REPLY);
    zc_msg_set_bool (reply, ZF_GRANTED, granted);
    if (granted)
        reply->epoch = msg->epoch;
    if (self->leader)
        zc_msg_set_u64 (reply, ZF_LEADER, self->leader);
}

static void
s_on_election (zc_election_t *self, const zc_msg_t *msg, uint64_t now, zc_actions_t *out)
{
    uint32_t from = (uint32_t) msg->node;
    if (from > self->cfg.self)
        return;                 //  Bully only asks higher ids
    s_send (self, out, from, ZC_ANSWER);
    if (self->role == ZC_ROLE_LEADER) {
        //  Still leading: re-announce in the current epoch, no new election.
        zc_msg_t *coord = s_send (self, out, from, ZC_COORDINATOR);
        zc_msg_set_u64 (coord, ZF_LEADER, self->cfg.self);
        zc_msg_set_u64 (coord, ZF_LT, now);
        zc_msg_set_u64 (coord, ZF_LAST_SEQ, self->last_seq);
    }
    else
    if (self->role == ZC_ROLE_BACKUP && !s_leader_alive (self, now))
        s_start_election (self, now, out);
}

static void
s_on_reply_epoch (zc_election_t *self, s_peer_t *peer, const zc_msg_t *msg, uint64_t now,
                  zc_actions_t *out)
{
    if (msg->epoch > self->st.epoch && !(zc_msg_has (msg, ZF_GRANTED) && msg->granted))
        s_learn_epoch (self, peer, msg, msg->epoch,
                       zc_msg_has (msg, ZF_LEADER) ? (uint32_t) msg->leader : 0, now, out);
}

void
zc_election_recv (zc_election_t *self, const zc_msg_t *msg, uint64_t now, zc_actions_t *out)
{
    assert (self && msg && out);
    s_peer_t *peer = s_peer (self, msg->node);
    if (!peer)
        return;                 //  not a member: the node counts the drop
    if (msg->type != ZC_PONG && msg->mh != self->cfg.mh) {
        if (!peer->mh_warned)
            s_log (self, out, "refusing node %u: its --peers differ from mine "
                   "(membership hash %016llx, mine %016llx)", peer->id,
                   (unsigned long long) msg->mh, (unsigned long long) self->cfg.mh);
        peer->mh_warned = true;
        return;
    }
    //  No honest peer sends a counter at or above the ceiling (election.h):
    //  refuse the whole message rather than act on any part of it.
    if (msg->epoch >= ZC_EPOCH_MAX || msg->last_seq >= ZC_EPOCH_MAX
    ||  msg->log_epoch >= ZC_EPOCH_MAX || msg->lt >= ZC_EPOCH_MAX) {
        s_refuse (self, peer, now, out, "%s with a value at or above the ceiling "
                  "(epoch %llu, last_seq %llu, log_epoch %llu, lt %llu)",
                  zc_type_name (msg->type), (unsigned long long) msg->epoch,
                  (unsigned long long) msg->last_seq, (unsigned long long) msg->log_epoch,
                  (unsigned long long) msg->lt);
        s_report (self, now, out);
        return;
    }
    s_note_report (self, peer, msg, now);
    peer->heard_at = now;
    switch (msg->type) {
        case ZC_ELECTION:
            s_on_election (self, msg, now, out);
            break;
        case ZC_ANSWER:
            if (self->role == ZC_ROLE_CANDIDATE && self->phase == PHASE_WAIT_ANSWER
            &&  peer->id > self->cfg.self) {
                peer->answered = true;
                self->phase = PHASE_WAIT_COORD;
                self->phase_deadline = now + 3 * self->cfg.election_ms
                                     + self->cfg.heartbeat_ms;
            }
            break;
        case ZC_PREVOTE:
            s_on_prevote (self, msg, now, out);
            break;
        case ZC_PREVOTE_REPLY:
            if (self->role == ZC_ROLE_CANDIDATE && self->phase == PHASE_PREVOTE
            &&  msg->granted && msg->epoch == self->prevote_epoch) {
                peer->voted = true;
                if (s_count_voted (self) >= self->cfg.quorum)
                    s_start_claim (self, now, out);
            }
            else
                s_on_reply_epoch (self, peer, msg, now, out);
            break;
        case ZC_COORDINATOR:
            s_on_coordinator (self, msg, now, out);
            break;
        case ZC_ACCEPT:
            if (msg->granted && msg->epoch == self->st.epoch
            &&  self->st.leader == self->cfg.self) {
                if (!s_token_ok (self, peer, msg, now, out))
                    break;      //  forged: it counts as no vote either
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
                &&  s_count_voted (self) >= self->cfg.quorum)
                    s_become_leader (self, now, out);
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
                s_log (self, out, "node %u holds epoch %llu for another leader, "
                       "claiming the next epoch", peer->id, (unsigned long long) msg->epoch);
                s_start_prevote (self, now, out);
            }
            else
                s_on_reply_epoch (self, peer, msg, now, out);
            break;
        case ZC_HANDOVER:
            if (self->role == ZC_ROLE_BACKUP && peer->id == self->leader
            &&  msg->epoch == self->st.epoch) {
                s_log (self, out, "leader %u hands over to me", peer->id);
                s_start_prevote (self, now, out);
                if (self->role == ZC_ROLE_CANDIDATE)
                    self->handover_from = peer->id;
            }
            break;
        case ZC_PONG:
            //  Only a leader that serves (or pauses to hand over) counts.
            if (self->role == ZC_ROLE_BACKUP && peer->id == self->leader
            &&  msg->epoch == self->st.epoch && msg->leader == peer->id
            &&  zc_msg_has (msg, ZF_GRANTED) && msg->granted && !self->leader_suspected)
                self->leader_heard = now;
            break;
        case ZC_APPEND:
            //  The leader's log traffic is a sign of life like a heartbeat:
            //  the lease tokens it carries are echoed back, so we must not
            //  suspect it sooner than its lease can last.
            if (self->role == ZC_ROLE_BACKUP && peer->id == self->leader
            &&  self->st.leader == peer->id && msg->epoch == self->st.epoch
            &&  !self->leader_suspected)
                self->leader_heard = now;
            else
            if (msg->epoch > self->st.epoch)
                s_learn_epoch (self, peer, msg, msg->epoch, peer->id, now, out);
            break;
        case ZC_APPEND_ACK:
            if (self->role == ZC_ROLE_LEADER && msg->epoch == self->st.epoch && msg->granted) {
                if (!s_token_ok (self, peer, msg, now, out))
                    break;
                if (zc_msg_has (msg, ZF_LT) && msg->lt > peer->lease_lt)
                    peer->lease_lt = msg->lt;
                s_note_link (self, peer, now);
                //  Its progress comes from the replica (peer_progress), which
                //  checked the ACK against what it sent.
            }
            else
                s_on_reply_epoch (self, peer, msg, now, out);
            break;
        default:
            break;
    }
    s_report (self, now, out);
}

void
zc_election_ping (zc_election_t *self, const zc_msg_t *ping, uint64_t now, zc_msg_t *pong)
{
    assert (self && ping && pong);
    zc_msg_init (pong, ZC_PONG);
    zc_msg_set_u64 (pong, ZF_NODE, self->cfg.self);
    zc_msg_set_u64 (pong, ZF_EPOCH, self->st.epoch);
    zc_msg_set_u64 (pong, ZF_LEADER, self->leader);
    bool leading = self->role == ZC_ROLE_LEADER && s_lease_valid (self, now);
    zc_msg_set_bool (pong, ZF_GRANTED, leading);
    s_peer_t *peer = s_peer (self, ping->node);
    if (!peer || ping->mh != self->cfg.mh)
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
    if (!peer->healthy_since || now > peer->last_ping + s_suspect_ms (self))
        peer->healthy_since = now;
    peer->last_ping = now;
    peer->heard_at = now;
}

void
zc_election_leader_down (zc_election_t *self, uint64_t now, zc_actions_t *out)
{
    assert (self && out);
    if (self->role == ZC_ROLE_BACKUP && self->leader && !self->leader_suspected) {
        s_log (self, out, "lost the connection to leader %u", self->leader);
        self->leader_suspected = true;
        s_start_election (self, now, out);
    }
    s_report (self, now, out);
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
    s_peer_t *peer = s_peer (self, peer_id);
    if (peer && last_seq <= self->last_seq)
        peer->last_seq = last_seq;      //  more than we hold: not a real match
}

uint64_t
zc_election_deadline (zc_election_t *self)
{
    switch (self->role) {
        case ZC_ROLE_BACKUP:
            if (self->leader && !self->leader_suspected) {
                uint64_t suspect = self->leader_heard + s_suspect_ms (self) + 1;
                return self->next_ping < suspect ? self->next_ping : suspect;
            }
            return self->phase_deadline;
        case ZC_ROLE_CANDIDATE:
            return self->next_resend < self->phase_deadline
                 && self->phase != PHASE_WAIT_COORD && self->phase != PHASE_BACKOFF
                 ? self->next_resend : self->phase_deadline;
        case ZC_ROLE_LEADER: {
            //  Wake up for the lease to lapse too, so serving changes are seen.
            uint64_t deadline = self->next_announce;
            if (self->handover_to && self->handover_deadline < deadline)
                deadline = self->handover_deadline;
            return deadline;
        }
    }
    return self->phase_deadline;
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
    return self->role == ZC_ROLE_LEADER && !self->handover_to
        && s_lease_valid (self, now);
}

size_t
zc_election_votes (zc_election_t *self, zc_vote_t *votes, size_t cap)
{
    size_t count = 0;
    for (size_t i = 0; i < self->peer_count && count < cap; i++) {
        s_peer_t *peer = &self->peers [i];
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
        s_log (self, out, "stepping down: cannot get the cluster's best log");
        s_become_backup (self, 0, now);
    }
    s_report (self, now, out);
}

uint64_t
zc_election_refused (zc_election_t *self)
{
    return self->refused;
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
