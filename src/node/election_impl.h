/*  election_impl.h — the election's private state, shared by election*.c
    only.  Everything else goes through election.h.

    election.c          roles, phases and timers: the transitions of Bully,
                        pre-vote, claim, lead and hand-over, the ticks, the
                        queries (docs/ELECTION.md "The rules")
    election_recv.c     what each peer message does: zc_election_recv
                        dispatches to one handler per message type; the
                        PONG a PING gets
    election_guard.c    what the election refuses: the ceiling, the jump
                        bound and its corroboration, lease tokens no leader
                        issued (docs/ELECTION.md "Hostile input")
    election_retire.c   a graceful stop: a leader hands over before it
                        exits (docs/ELECTION.md "Graceful stop")
    election_members.c  the configuration in force changes (docs/ELECTION.md
                        "Membership changes")
*/
#ifndef ZC_ELECTION_IMPL_H
#define ZC_ELECTION_IMPL_H

#include "election.h"

typedef enum {
    PHASE_NONE,
    PHASE_JOIN,         //  backup without a leader: wait for a re-announce
    PHASE_WAIT_ANSWER,  //  sent ELECTION to higher ids
    PHASE_WAIT_COORD,   //  a higher node answered: wait for its COORDINATOR
    PHASE_PREVOTE,      //  asking whether a quorum would accept us
    PHASE_CLAIM,        //  COORDINATOR sent, counting ACCEPTs
    PHASE_BACKOFF       //  failed: wait a little, then try again
} zc_el_phase_t;

typedef struct {
    uint32_t id;
    uint64_t heard_at;       //  last message of any kind from it
    uint64_t lease_lt;       //  leader: newest token it echoed in our epoch
    uint64_t healthy_since;  //  leader: start of its current run of pings
    uint64_t last_ping;      //  leader: when it last pinged us
    uint64_t link_since;     //  leader: start of its run of granted replies on
    uint64_t link_heard;     //  the peer link in our epoch, and the last one
    uint64_t last_seq;       //  its log as the replica confirmed it (peer_progress)
    uint64_t holddown_ms;    //  hand-over hold-down (doubles on failure or a short reign)
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
    bool bound_known;        //  lost state: its epoch is at most bound, as its
    uint64_t bound;          //  reply to one of our probes said (election_lost.c)
} zc_el_peer_t;

struct _zc_election_t {
    zc_election_config_t cfg;
    zc_election_state_t st;      //  persisted
    zc_role_t role;
    zc_el_phase_t phase;
    uint32_t leader;             //  leader followed (0: none)
    uint64_t leader_heard;       //  last sign that it serves
    bool leader_suspected;
    uint64_t phase_deadline;
    uint64_t next_resend;
    uint64_t next_ping;
    uint64_t next_announce;
    uint64_t prevote_epoch;
    bool skip_answer;            //  next round goes straight to pre-vote
    uint32_t reign_of;           //  backup: the leader and epoch we follow,
    uint64_t reign_epoch;        //  and since when (a new pair restarts it)
    uint64_t reign_since;
    uint32_t deposed;            //  the leader we last suspected (0: none), and
    uint64_t deposed_reign;      //  how long it had led as we saw it
    uint32_t handed_to;          //  the last node that took the lead by our hand-over
    uint32_t handover_to;        //  leader: hand-over target (0: none)
    uint32_t handover_from;      //  candidate: the leader that handed over to us
    bool handover_sent;
    uint64_t handover_deadline;
    uint64_t last_seq, log_epoch;
    uint64_t jump;               //  max_epoch_jump, default applied
    uint64_t claimed_at;         //  when we claimed st.epoch: older tokens are not ours
    uint64_t next_probe;         //  earliest next corroboration probe
    uint64_t next_step;          //  earliest next uncorroborated step (election_guard.c)
    uint64_t refused;            //  messages refused as absurd or forged
    uint64_t started, won;       //  zc_election_stats
    bool exhausted_logged;
    uint64_t rng;
    //  Lost state (election_lost.c)
    bool recovering;             //  waiting to hear every member's epoch
    bool fresh;                  //  no state, no log: watching for a peer's log
    uint64_t nonce;              //  our probes' token: only replies to them count
    uint64_t next_recover_probe;
    uint64_t recover_log_at;     //  last "still waiting" line
    bool untrusted_logged;       //  said that our log does not count yet
    //  Graceful stop (election_retire.c)
    bool retiring;               //  zc_election_retire was called
    bool retired;                //  done: the node may exit
    uint64_t retire_epoch;       //  the epoch we led when asked
    uint64_t retire_deadline;    //  leave by then, handed over or not
    uint64_t retire_grace;       //  until then only the highest live backup will do
    uint32_t retire_to;          //  the target, once one had our log (0: none yet)
    uint64_t retire_next;        //  next HANDOVER round
    uint32_t aside_from;         //  backup: the leader we follow said, in
    uint32_t aside_for;          //  aside_epoch, that it retires in favour
    uint64_t aside_epoch;        //  of aside_for
    bool removed;                //  the configuration in force does not name us
    zc_el_peer_t peers[ZC_ELECTION_MAX_MEMBERS];
    size_t peer_count;
    //  Last reported view, to emit ZC_ACT_ROLE on change.
    zc_role_t rep_role;
    uint32_t rep_leader;
    uint64_t rep_epoch;
    bool rep_serving;
};

//  A higher node that took the lead by our hand-over and was deposed within
//  this many hold-downs had a short reign: its hold-down doubles
//  (docs/ELECTION.md rule 7)
#define ZC_EL_SHORT_REIGN_HOLDDOWNS 10

//  Failure detection: this long without a sign of life (rule 1).
static inline uint64_t
zc_el_suspect_ms (zc_election_t *self)
{
    return (uint64_t) self->cfg.heartbeat_ms * self->cfg.misses;
}

//  election.c: the member `id` (NULL: not one), and the actions an event
//  appends (a send is stamped with our id, epoch and membership hash)
zc_el_peer_t *zc_el_peer (zc_election_t *self, uint64_t id);
void zc_el_log (zc_election_t *self, zc_actions_t *out, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
zc_msg_t *zc_el_send (zc_election_t *self, zc_actions_t *out, uint32_t to, zc_type_t type);
void zc_el_persist (zc_election_t *self, zc_actions_t *out, uint64_t epoch, uint32_t leader);

//  election.c: the transitions and the rules' predicates
void zc_el_become_backup (zc_election_t *self, uint32_t leader, uint64_t now);
void zc_el_start_election (zc_election_t *self, uint64_t now, zc_actions_t *out);
void zc_el_start_prevote (zc_election_t *self, uint64_t now, zc_actions_t *out);
void zc_el_start_claim (zc_election_t *self, uint64_t now, zc_actions_t *out);
void zc_el_become_leader (zc_election_t *self, uint64_t now, zc_actions_t *out);
void zc_el_learn_epoch (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                        uint64_t epoch, uint32_t hint, uint64_t now, zc_actions_t *out);
size_t zc_el_count_voted (zc_election_t *self);
bool zc_el_lease_valid (zc_election_t *self, uint64_t now);
bool zc_el_leader_alive (zc_election_t *self, uint64_t now);
bool zc_el_hears_higher_leader (zc_election_t *self, uint32_t candidate, uint64_t now);
void zc_el_report (zc_election_t *self, uint64_t now, zc_actions_t *out);

//  election_lost.c: a node that lost its election state or its log
//  (docs/ELECTION.md "Lost state").  voting: it may vote, answer and claim.
void zc_el_lost_start (zc_election_t *self, uint64_t now);
bool zc_el_voting (zc_election_t *self);
//  Every peer message that passed the checks: true if recovering took it
//  (the message is not acted on otherwise).
bool zc_el_lost_recv (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                      uint64_t now, zc_actions_t *out);
void zc_el_lost_tick (zc_election_t *self, uint64_t now, zc_actions_t *out);

//  election_retire.c: the deadline, checked by every tick; the retiring
//  leader's tick (the leader's own tick gives way to it); the HANDOVER
//  that names another node; whether we stand aside for a candidate; a
//  later epoch's leader replicating to us
void zc_el_retire_due (zc_election_t *self, uint64_t now, zc_actions_t *out);
void zc_el_retire_tick (zc_election_t *self, uint64_t now, zc_actions_t *out);
void zc_el_retire_notice (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                          uint32_t target, zc_actions_t *out);
bool zc_el_stands_aside (zc_election_t *self, uint32_t candidate);
void zc_el_retire_seen (zc_election_t *self, uint32_t leader, zc_actions_t *out);

//  election_guard.c: each returns false (or true for "absurd") when the
//  message must be refused, and has then counted and logged the refusal
bool zc_el_absurd (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                   uint64_t now, zc_actions_t *out);
void zc_el_note_report (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                        uint64_t now);
bool zc_el_epoch_allowed (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                          uint64_t epoch, uint64_t now, zc_actions_t *out);
bool zc_el_token_ok (zc_election_t *self, zc_el_peer_t *peer, const zc_msg_t *msg,
                     uint64_t now, zc_actions_t *out);

#endif
