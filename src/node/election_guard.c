/*  election_guard.c — what the election refuses, and how a node that lags
    for real still catches up (docs/ELECTION.md "Hostile input").

    The rules of election.c assume every message comes from a member that
    follows them; these checks hold against one that does not.  The
    ceiling: no counter at or above ZC_EPOCH_MAX.  The jump bound: no
    message raises our epoch more than max_epoch_jump above what we hold,
    unless a quorum of other members vouches for it (corroboration), with
    probes and slow steps so that an honest lag still heals.  Lease tokens:
    an echo must carry a token this leadership issued.  Every refusal is
    counted (zc_election_refused) and logged at most once per peer per
    second.
*/
#include "election_impl.h"

#include <stdarg.h>
#include <stdio.h>

//  How long a member's word on its epoch counts as "recent".  Honest
//  epochs never decrease, so an old report is still a true lower bound; the
//  window only keeps us from leaning on what nobody has said for a while.
static uint64_t
s_report_window_ms (zc_election_t *self)
{
    return 10 * zc_el_suspect_ms (self);
}

//  Refuse one message: count it, and say so at most once per peer per
//  second, so that a flood of forgeries cannot flood the log too.
static void s_refuse (zc_election_t *self, zc_el_peer_t *peer, uint64_t now,
                      zc_actions_t *out, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

static void
s_refuse (zc_election_t *self, zc_el_peer_t *peer, uint64_t now, zc_actions_t *out,
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
    zc_el_log (self, out, "refusing node %u: %s", peer->id, text);
}

//  The ceiling: no honest peer sends a counter at or above it (election.h),
//  so a message with one is refused whole rather than acted on in part.
bool
zc_el_absurd (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now,
              zc_actions_t *out)
{
    if (msg->epoch < ZC_EPOCH_MAX && msg->last_seq < ZC_EPOCH_MAX
    &&  msg->log_epoch < ZC_EPOCH_MAX && msg->lt < ZC_EPOCH_MAX)
        return false;
    s_refuse (self, peer, now, out, "%s with a value at or above the ceiling "
              "(epoch %llu, last_seq %llu, log_epoch %llu, lt %llu)",
              zc_type_name (msg->type), (unsigned long long) msg->epoch,
              (unsigned long long) msg->last_seq, (unsigned long long) msg->log_epoch,
              (unsigned long long) msg->lt);
    return true;
}

//  Remember which epoch a member says it holds: the evidence for
//  corroboration.  A PREVOTE asks for E, so its sender holds E-1; a granted
//  PREVOTE_REPLY carries the candidate's epoch, not the voter's.
void
zc_el_note_report (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now)
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
        zc_el_peer_t *peer = &self->peers [i];
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
        zc_msg_t *msg = zc_el_send (self, out, self->peers [i].id, ZC_PREVOTE);
        msg->epoch = self->st.epoch + 1;
        zc_msg_set_u64 (msg, ZF_LAST_SEQ, self->last_seq);
        zc_msg_set_u64 (msg, ZF_LOG_EPOCH, self->log_epoch);
    }
}

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
    zc_el_persist (self, out, limit, 0);
    zc_el_log (self, out, "moving to epoch %llu, one step toward it", (unsigned long long) limit);
    zc_el_become_backup (self, 0, now);
}

//  May `msg` from `peer` raise (or, for a PREVOTE, ask to raise) our epoch
//  to `epoch`?  If not: refuse, log, and probe for corroboration.
bool
zc_el_epoch_allowed (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                     uint64_t epoch, uint64_t now, zc_actions_t *out)
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
bool
zc_el_token_ok (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg, uint64_t now,
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
