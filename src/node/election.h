/*  election.h — Bully election with epochs, pre-vote, lease and hand-over.

    A pure state machine: it takes events (a peer message, a heartbeat
    reply, a timer tick, "the leader's connection closed") with the current
    monotonic time, and appends actions (send this message to that peer,
    ping the leader, persist (epoch, leader), log a line).  It never touches
    a socket, a file or a clock, so the simulator (tests/test_sim*.c) runs
    it, inside the node's core, under a simulated network for a thousand
    seeded schedules a run.

    The rules (docs/ELECTION.md, "The rules", tells why):
    - Bully: ELECTION to higher ids; an ANSWER means "wait for COORDINATOR";
      no ANSWER in time (or none to ask) → pre-vote → claim.
    - Pre-vote: PREVOTE(epoch+1) changes nobody's state; a voter grants
      unless it hears a live leader with a higher id than the candidate.
    - Claim: persist (epoch+1, self), COORDINATOR(epoch); serve only once
      a quorum (self included) accepted.  A node accepts a higher epoch, or
      the same epoch from the leader it recorded; it refuses lower epochs
      and answers with its own so a stale node learns.
    - Lease: the leader re-announces every heartbeat with a token lt (its
      own clock); replies echo lt.  It serves only while a quorum echoed a
      token younger than lease_ms: replies queued while it was frozen carry
      old tokens and renew nothing.
    - A returning higher node joins as a backup; after hold-down the leader
      hands over (stops serving, waits until the node has its log, sends
      HANDOVER; the node claims the next epoch).
    - Graceful stop: a leader asked to retire stops serving, waits until a
      live backup has its log, and sends HANDOVER to every member naming
      the highest such one; the target claims the next epoch, the others
      stand aside for it, the old leader stops announcing.
    - Hostile input (docs/ELECTION.md "Hostile input"): epochs, sequence
      numbers and lease tokens at or above ZC_EPOCH_MAX are refused; no
      message raises our epoch more than max_epoch_jump above what we hold
      unless a quorum of other members reported that epoch recently; a lease
      token the leader cannot have issued renews nothing; a hand-over needs
      the target's granted replies on the peer link, not only its PINGs.
*/
#ifndef ZC_ELECTION_H
#define ZC_ELECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire.h"

#define ZC_ELECTION_MAX_MEMBERS 33
#define ZC_ACTIONS_MAX 96

//  The ceiling for every counter a peer sends into the election (epoch,
//  last_seq, log_epoch, lease token): a value at or above it is refused, so
//  epoch + 1 can never wrap and every value stays exact in a JSON double.
//  2^53-1 epochs are ~285,000 years of one claim per millisecond.
#define ZC_EPOCH_MAX ((1ull << 53) - 1)
//  max_epoch_jump when the config says 0.
#define ZC_EPOCH_JUMP_DEFAULT 1000

typedef enum { ZC_ROLE_BACKUP, ZC_ROLE_CANDIDATE, ZC_ROLE_LEADER } zc_role_t;

typedef struct {
    uint32_t self;                              //  this node's id
    uint32_t members[ZC_ELECTION_MAX_MEMBERS];  //  every member id, self included
    size_t member_count;
    uint32_t quorum;                            //  nodes (self included) needed to serve
    uint64_t mh;                                //  membership hash carried by every message
    uint64_t mseq;                              //  its configuration entry (0: --peers)
    uint32_t heartbeat_ms;
    uint32_t misses;                            //  missed heartbeats before suspecting
    uint32_t election_ms;                       //  wait for ANSWER / votes
    uint32_t lease_ms;
    uint32_t holddown_ms;
    uint64_t seed;                              //  for back-off jitter (deterministic)
    uint64_t max_epoch_jump;                    //  most a message may raise our epoch
                                                //  uncorroborated (0: ZC_EPOCH_JUMP_DEFAULT)
    //  Lost state (docs/ELECTION.md "Lost state"): the node may have voted
    //  and forgotten it, so it votes only once it has heard every member's
    //  epoch; or it cannot tell (a new node, or one whose folder was lost),
    //  and starts recovering if a peer shows that the cluster has a log.
    bool lost;
    bool fresh;
} zc_election_config_t;

//  The leader of an epoch we may have accepted someone for, but do not
//  know whom: no real member id (those end at 1000000), refuses them all.
#define ZC_LEADER_UNKNOWN UINT32_MAX

//  What the node persists (fsync) before acting on a change.
typedef struct {
    uint64_t epoch;         //  highest epoch this node has seen
    uint32_t leader;        //  leader it accepted in that epoch (0: none yet)
    uint64_t trust;         //  our log counts in votes once its epoch reaches
                            //  this (0: always; see "Lost state")
} zc_election_state_t;

typedef enum {
    ZC_ACT_SEND,            //  send msg to peer `to` over the peer link
    ZC_ACT_PING,            //  send msg (a PING) to the leader `to` over REQ
    ZC_ACT_PERSIST,         //  write `state` durably before the next action
    ZC_ACT_LOG,             //  print `text`
    ZC_ACT_ROLE,            //  role, leader or serving changed (for the node)
} zc_action_kind_t;

typedef struct {
    zc_action_kind_t kind;
    uint32_t to;
    zc_msg_t msg;
    zc_election_state_t state;
    char text[160];
} zc_action_t;

typedef struct {
    zc_action_t items[ZC_ACTIONS_MAX];
    size_t count;
} zc_actions_t;

typedef struct _zc_election_t zc_election_t;

//  Start as a backup that knows no live leader, from the persisted state.
zc_election_t *zc_election_new (const zc_election_config_t *cfg,
                                const zc_election_state_t *persisted, uint64_t now);
void zc_election_destroy (zc_election_t **self_p);

//  Timers: call at (or after) zc_election_deadline ().
void zc_election_tick (zc_election_t *self, uint64_t now, zc_actions_t *out);

//  A peer message (ELECTION, ANSWER, PREVOTE(_REPLY), COORDINATOR, ACCEPT,
//  HANDOVER), a PONG from the leader, or an APPEND / APPEND_ACK (which
//  count as signs of life).  Messages with a foreign membership hash are
//  refused here and logged once per peer.
void zc_election_recv (zc_election_t *self, const zc_msg_t *msg, uint64_t now,
                       zc_actions_t *out);

//  A backup's PING arrived on the heartbeat REP socket: fill the PONG.
void zc_election_ping (zc_election_t *self, const zc_msg_t *ping, uint64_t now,
                       zc_msg_t *pong);

//  The socket monitor saw the leader's connection close: suspect it now.
void zc_election_leader_down (zc_election_t *self, uint64_t now, zc_actions_t *out);

//  The node's log: reported so that votes and hand-over can compare.
void zc_election_set_log (zc_election_t *self, uint64_t last_seq, uint64_t log_epoch);

//  A backup's replication progress, as the node learns it from APPEND_ACK:
//  the replica's confirmed match, the only thing hand-over readiness trusts
//  (ignored if past our own log: a backup cannot hold more of it than we do).
void zc_election_peer_progress (zc_election_t *self, uint32_t peer, uint64_t last_seq);

//  Earliest time at which tick has something to do.
uint64_t zc_election_deadline (zc_election_t *self);

//  Queries.
zc_role_t zc_election_role (zc_election_t *self);
uint32_t zc_election_leader (zc_election_t *self);     //  0 if unknown
uint64_t zc_election_epoch (zc_election_t *self);
//  True while this node may acknowledge and publish: leader, quorum
//  accepted its epoch, lease current at `now`, not handing over.
bool zc_election_serving (zc_election_t *self, uint64_t now);
//  What a voter said of its log when it accepted our claim.
typedef struct {
    uint32_t node;
    uint64_t log_epoch;
    uint64_t last_seq;
} zc_vote_t;

//  Leader: the peers that accepted our epoch, with their logs.
size_t zc_election_votes (zc_election_t *self, zc_vote_t *votes, size_t cap);

//  Leader: give up the lead (the view change failed); a new election follows.
void zc_election_step_down (zc_election_t *self, uint64_t now, zc_actions_t *out);

//  Messages refused as absurd or forged: values at or above ZC_EPOCH_MAX,
//  uncorroborated epoch jumps, impossible lease tokens.  (STATUS "forged".)
uint64_t zc_election_refused (zc_election_t *self);

//  Lost state: true while the node waits to hear every member's epoch;
//  true while its log does not count in votes (it votes and claims
//  nothing then, and follows a leader without a vote).
bool zc_election_recovering (zc_election_t *self);
bool zc_election_trusted (zc_election_t *self);

//  Election rounds this node started (a Bully round, or a pre-vote begun
//  as a backup: a hand-over), and how many it won (became the leader).
void zc_election_stats (zc_election_t *self, uint64_t *started, uint64_t *won);

//  True while a leader pauses to hand over to a higher node.
bool zc_election_handing_over (zc_election_t *self);

//  Graceful stop (docs/ELECTION.md "Graceful stop"): a leader stops
//  serving, and hands over to the highest live backup that holds its log
//  (lower ones too), within 2 * election_ms + the suspect time.  Once
//  retired, the node may exit: a leader of a later epoch replicates to us,
//  or the deadline passed, or there was nothing to hand over (a backup, a
//  candidate, a node alone: retired at once).  A retiring node never runs
//  for leader again.  Idempotent.
void zc_election_retire (zc_election_t *self, uint64_t now, zc_actions_t *out);
bool zc_election_retiring (zc_election_t *self);
bool zc_election_retired (zc_election_t *self);
//  The node a retiring leader hands over to (0: none had its log yet).
uint32_t zc_election_retire_target (zc_election_t *self);
const char *zc_role_name (zc_role_t role);

//  Membership changes (docs/ELECTION.md "Membership changes"): the
//  configuration in force changed (a configuration entry was appended or
//  truncated).  Peers that stay keep what we know of them; new ones start
//  unknown.  A node that is no longer a member never runs for leader
//  again until a configuration names it; a leader that is no longer one
//  retires (hands over, zc_election_retire).
void zc_election_set_members (zc_election_t *self, const uint32_t *members, size_t count,
                              uint32_t quorum, uint64_t mh, uint64_t mseq, uint64_t now,
                              zc_actions_t *out);
//  True while the configuration in force does not name us.
bool zc_election_removed (zc_election_t *self);

//  Action list helpers.
void zc_actions_clear (zc_actions_t *actions);

#endif
