/*  election_members.c — the configuration in force changes
    (docs/ELECTION.md "Membership changes").

    The node calls zc_election_set_members whenever the newest
    configuration entry in its log changes (appended, or truncated away):
    a node uses the newest configuration in its log, committed or not
    (Raft dissertation §4.1).  The peers that stay keep what we know of
    them (their epochs, health, hold-down); a new peer starts unknown, so
    the fail-back hand-over to it waits for its whole hold-down, as for a
    node that returns.  A node the configuration no longer names never runs
    for leader (election.c s_may_run); a leader no longer named retires,
    by the graceful stop's hand-over (election_retire.c).
*/
#include "election_impl.h"

#include <assert.h>
#include <string.h>

void
zc_election_set_members (zc_election_t *self, const uint32_t *members, size_t count,
                         uint32_t quorum, uint64_t mh, uint64_t mseq, uint64_t now,
                         zc_actions_t *out)
{
    assert (self && members && out);
    assert (count <= ZC_ELECTION_MAX_MEMBERS && quorum > 0);
    zc_el_peer_t kept [ZC_ELECTION_MAX_MEMBERS];
    size_t kept_count = 0;
    bool named = false;
    for (size_t i = 0; i < count; i++) {
        if (members [i] == self->cfg.self) {
            named = true;
            continue;
        }
        zc_el_peer_t *old = zc_el_peer (self, members [i]);
        zc_el_peer_t *peer = &kept [kept_count++];
        if (old)
            *peer = *old;
        else {
            memset (peer, 0, sizeof *peer);
            peer->id = members [i];
            peer->holddown_ms = self->cfg.holddown_ms;
        }
    }
    memcpy (self->peers, kept, kept_count * sizeof kept [0]);
    self->peer_count = kept_count;
    memcpy (self->cfg.members, members, count * sizeof members [0]);
    self->cfg.member_count = count;
    self->cfg.quorum = quorum;
    self->cfg.mh = mh;
    self->cfg.mseq = mseq;
    //  A hand-over or a retirement aimed at a node that left gives way
    if (self->handover_to && !zc_el_peer (self, self->handover_to))
        self->handover_to = 0;
    if (self->retire_to && !zc_el_peer (self, self->retire_to))
        self->retire_to = 0;
    if (self->leader && self->leader != self->cfg.self && !zc_el_peer (self, self->leader))
        self->leader_suspected = true;
    zc_el_log (self, out, "membership: %zu members, quorum %u (configuration of seq %llu)%s",
               count, (unsigned) quorum, (unsigned long long) mseq,
               named ? "" : "; I am no longer a member");
    bool was_removed = self->removed;
    self->removed = !named;
    if (self->removed && !was_removed && self->role == ZC_ROLE_LEADER)
        zc_election_retire (self, now, out);
    else
    if (self->removed && self->role == ZC_ROLE_CANDIDATE)
        zc_el_become_backup (self, 0, now);
    zc_el_report (self, now, out);
}

bool
zc_election_removed (zc_election_t *self)
{
    return self->removed;
}
