/*  core.c — the node's protocol with no I/O: see core.h for the contract.

    Every event feeds the pure machines (election, replica) and turns what
    they ask for into the one bundle the loop executes: their sends, the
    election state to save, and the log to write, which the replica's
    storage hooks record here as bookkeeping (the truncation point and the
    first seq not yet on disk) instead of writing.  Releases (publication,
    ACKs) wait for zc_core_durable.  Client requests are in core_client.c,
    the bundle's memory and hand-over in core_bundle.c.
*/
#include "core_impl.h"
#include "oom.h"

//  --- storage bookkeeping (the replica's hooks) ---------------------------

//  The entry is in memory; the bundle's write range covers it (everything
//  past what the disk holds, core.h step 2).  Never fails: the loop's
//  write may, and then the node stops.
static int
s_hook_append (void *arg, const zc_entry_t *entry)
{
    zc_core_t *self = arg;
    //  What this leadership stamped is ours; the rest came from others
    if (!self->lead_epoch || entry->epoch != self->lead_epoch)
        self->appended_in++;
    return 0;
}

static int
s_hook_truncate (void *arg, uint64_t after_seq)
{
    zc_core_t *self = arg;
    if (after_seq < self->trunc_low)
        self->trunc_low = after_seq;
    if (self->durable > after_seq)
        zc_core_set_durable (self, after_seq);
    return 0;
}

//  The leader's snapshot replaced the whole log (replica.c): the next
//  bundle drops every record on disk, has the loop persist the retired
//  state first (core.h, snapshot), and writes from base + 1.
static int
s_hook_install (void *arg, uint64_t base)
{
    zc_core_t *self = arg;
    self->install = true;
    self->install_base = base;
    self->trunc_low = 0;
    if (self->durable)
        zc_core_set_durable (self, 0);
    return 0;
}

//  The election state (and the log epoch with it) must reach the disk
//  before the bundle's sends: a vote or claim we cannot make durable must
//  not be sent.
static void
s_save_state (zc_core_t *self)
{
    self->stored.log_epoch = zc_replica_log_epoch (self->replica);
    self->save_state = true;
}

//  --- the election and the replica ----------------------------------------

static void s_run_actions (zc_core_t *self, zc_actions_t *actions, uint64_t now);

static zc_actions_t *
s_actions_take (zc_core_t *self)
{
    if (self->depth >= ZC_CORE_DEPTH)
        return NULL;
    zc_actions_t *actions = &self->actions [self->depth];
    zc_actions_clear (actions);
    return actions;
}

static zc_ractions_t *
s_ractions_take (zc_core_t *self)
{
    if (self->depth >= ZC_CORE_DEPTH)
        return NULL;
    zc_ractions_t *out = &self->ractions [self->depth];
    zc_ractions_clear (out);
    return out;
}

//  Too deep: a chain of ROLE changes no election makes (ZC_CORE_DEPTH).
static void
s_too_deep (zc_core_t *self)
{
    zc_core_logf (self, ZC_CORE_ERROR, "node %u: actions nested too deep; dropped",
                  self->cfg.election.self);
    self->dropped++;
}

//  The replica's messages.  A backup persists first: its APPEND_ACK says
//  the entries are on its disk.  A leader sends its APPENDs first and
//  syncs its own log while the backups sync theirs (the leader's disk
//  write in parallel, Raft thesis §10.2.1): an ACK still needs a quorum
//  of durable copies, because the leader reads the backups' answers only
//  in a later wake-up, after its own sync returned — and a failed sync
//  stops the node — and the core releases only up to what the loop
//  reported durable.  Saving a new log epoch keeps the strict order (the
//  log epoch reaches the disk after the log, before anyone hears of it),
//  and so does a leader that is stuck.
static void
s_absorb (zc_core_t *self, zc_ractions_t *out, uint64_t now)
{
    //  Only APPENDs go early (core.h): whatever else the replica says (an
    //  APPEND_ACK, LOG_ENTRIES) speaks of this node's log as written, and
    //  waits for the write.  A leader that refuses a deposed leader's late
    //  APPEND answers with an APPEND_ACK; it used to go early, found by the
    //  simulator's R6 (harmless as a refusal, but against the contract).
    bool leading = self->lead_epoch != 0;
    for (size_t i = 0; i < out->count; i++) {
        zc_rsend_t *send = &out->sends [i];
        bool early = leading && send->msg.type == ZC_APPEND;
        zc_core_push_send (self, send->to, false, &send->msg, send->first, send->last, early);
    }
    if (out->save)
        s_save_state (self);
    zc_lamport_observe (&self->clock, zc_chatlog_max_ts (self->log));
    bool stuck = out->stuck;
    zc_ractions_clear (out);
    if (stuck) {
        self->no_early = true;
        zc_actions_t *actions = s_actions_take (self);
        if (!actions) {
            s_too_deep (self);
            return;
        }
        self->depth++;
        zc_election_step_down (self->election, now, actions);
        s_run_actions (self, actions, now);
        self->depth--;
    }
}

//  Role, leader or serving changed: start or end a leadership.  A new
//  leadership's first messages join the same bundle.
static void
s_on_role (zc_core_t *self, uint64_t now)
{
    zc_role_t role = zc_election_role (self->election);
    uint64_t epoch = zc_election_epoch (self->election);
    bool serving = zc_election_serving (self->election, now);
    if (role == ZC_ROLE_LEADER && self->lead_epoch != epoch) {
        //  A new leadership: first the view change (the best log of the
        //  quorum that accepted us), then serve.
        self->lead_epoch = epoch;
        self->published = zc_replica_commit (self->replica);
        zhashx_purge (self->room_rseq);
        zc_vote_t votes [ZC_ELECTION_MAX_MEMBERS];
        size_t count = zc_election_votes (self->election, votes, ZC_ELECTION_MAX_MEMBERS);
        zc_ractions_t *out = s_ractions_take (self);
        if (!out)
            s_too_deep (self);
        else {
            self->depth++;
            zc_replica_lead (self->replica, epoch, votes, count, now, out);
            s_absorb (self, out, now);
            self->depth--;
        }
    }
    else
    if (role != ZC_ROLE_LEADER) {
        if (self->lead_epoch) {
            self->lead_epoch = 0;
            zc_core_release_waiters (self);
        }
        zc_replica_follow (self->replica, epoch, zc_election_leader (self->election));
    }
    uint32_t leader = zc_election_leader (self->election);
    if (leader && leader != self->seen_leader) {
        self->seen_leader = leader;
        self->leader_changes++;
    }
    zc_core_logf (self, ZC_CORE_INFO, "[NODE] node %u: %s, leader %u, epoch %llu%s",
                  self->cfg.election.self, zc_role_name (role),
                  zc_election_leader (self->election), (unsigned long long) epoch,
                  role == ZC_ROLE_LEADER ? (serving ? ", serving" : ", not serving") : "");
    self->next_beacon = now;    //  tell clients at once,
    self->beacon_burst = ZC_BEACON_BURST;   //  and again quickly a few times
}

static void
s_run_actions (zc_core_t *self, zc_actions_t *actions, uint64_t now)
{
    for (size_t i = 0; i < actions->count; i++) {
        zc_action_t *action = &actions->items [i];
        switch (action->kind) {
            case ZC_ACT_SEND:
                zc_core_push_send (self, action->to, false, &action->msg, 1, 0, false);
                break;
            case ZC_ACT_PING:
                zc_core_push_send (self, action->to, true, &action->msg, 1, 0, false);
                break;
            case ZC_ACT_PERSIST:
                self->stored.epoch = action->state.epoch;
                self->stored.leader = action->state.leader;
                self->stored.trust = action->state.trust;
                s_save_state (self);
                break;
            case ZC_ACT_LOG:
                zc_core_logf (self, ZC_CORE_INFO, "%s", action->text);
                break;
            case ZC_ACT_ROLE:
                s_on_role (self, now);
                break;
        }
    }
    zc_actions_clear (actions);
}

//  One election call with a fresh action list, run at once.
typedef void (s_election_fn) (zc_election_t *election, const zc_msg_t *msg, uint64_t now,
                              zc_actions_t *out);

static void
s_election (zc_core_t *self, s_election_fn *fn, const zc_msg_t *msg, uint64_t now)
{
    zc_actions_t *actions = s_actions_take (self);
    if (!actions) {
        s_too_deep (self);
        return;
    }
    self->depth++;
    fn (self->election, msg, now, actions);
    s_run_actions (self, actions, now);
    self->depth--;
}

static void
s_election_tick (zc_election_t *election, const zc_msg_t *msg, uint64_t now, zc_actions_t *out)
{
    (void) msg;
    zc_election_tick (election, now, out);
}

static void
s_election_down (zc_election_t *election, const zc_msg_t *msg, uint64_t now, zc_actions_t *out)
{
    (void) msg;
    zc_election_leader_down (election, now, out);
}

static void
s_election_retire (zc_election_t *election, const zc_msg_t *msg, uint64_t now,
                   zc_actions_t *out)
{
    (void) msg;
    zc_election_retire (election, now, out);
}

//  The configuration in force follows the log (docs/ELECTION.md
//  "Membership changes"): after every event, if the newest configuration
//  entry changed (appended, truncated, or replaced), the election and the
//  replica take the new members, quorum and hash.
static void
s_members_sync (zc_core_t *self, uint64_t now)
{
    size_t count = zc_chatlog_room_count (self->log, ZC_MEMBERS_ROOM);
    uint64_t newest = count ? zc_chatlog_room_seq_at (self->log, ZC_MEMBERS_ROOM, count - 1) : 0;
    uint64_t held_epoch = newest ? zc_chatlog_epoch_at (self->log, newest) : 0;
    //  A snapshot installs a retired configuration with no entry held
    uint64_t retired = 0;
    zc_chatlog_retired_members (self->log, &retired);
    if (newest == self->members_held && held_epoch == self->members_held_epoch
    &&  retired == self->members_retired_held)
        return;             //  nothing changed (the usual case: two look-ups)
    self->members_held = newest;
    self->members_held_epoch = held_epoch;
    self->members_retired_held = retired;
    zc_members_t members;
    uint64_t seq, epoch;
    if (!zc_core_members_from_log (self, &members, &seq, &epoch)) {
        zc_core_logf (self, ZC_CORE_ERROR, "membership: the configuration entry at seq %llu "
                      "does not parse; keeping the one in force",
                      (unsigned long long) newest);
        return;
    }
    //  The same configuration (its entry retired, or the same text again)
    if (seq == self->members_seq && zc_members_equal (&members, &self->members)) {
        self->members_epoch = epoch;
        return;
    }
    self->members = members;
    self->members_seq = seq;
    self->members_epoch = epoch;
    self->members_version++;
    zc_election_config_t *ecfg = &self->cfg.election;
    zc_core_members_apply (self, &members, seq, ecfg);
    uint32_t peers [ZC_ELECTION_MAX_MEMBERS];
    size_t peer_count = 0;
    for (size_t i = 0; i < ecfg->member_count; i++)
        if (ecfg->members [i] != ecfg->self)
            peers [peer_count++] = ecfg->members [i];
    zc_replica_set_members (self->replica, peers, peer_count, ecfg->quorum, ecfg->mh, seq);
    zc_actions_t *actions = s_actions_take (self);
    if (!actions) {
        s_too_deep (self);
        return;
    }
    self->depth++;
    zc_election_set_members (self->election, ecfg->members, ecfg->member_count, ecfg->quorum,
                             ecfg->mh, seq, now, actions);
    s_run_actions (self, actions, now);
    self->depth--;
}

void
zc_core_retire_now (zc_core_t *self, uint64_t now)
{
    s_election (self, s_election_retire, NULL, now);
}

//  After every event, from this one place: the election's view of our log
//  (votes and hand-over compare logs) and of each backup's confirmed
//  progress (hand-over readiness trusts only that).  Progress is pushed
//  only while we lead with the best log: before that the replica's
//  matches are an older leadership's.
static void
s_after_event (zc_core_t *self)
{
    s_members_sync (self, self->now);
    zc_election_set_log (self->election, zc_chatlog_last_seq (self->log),
                         zc_replica_log_epoch (self->replica));
    if (self->lead_epoch && zc_replica_ready (self->replica)) {
        const zc_election_config_t *ecfg = &self->cfg.election;
        for (size_t i = 0; i < ecfg->member_count; i++)
            if (ecfg->members [i] != ecfg->self)
                zc_election_peer_progress (self->election, ecfg->members [i],
                                           zc_replica_match (self->replica, ecfg->members [i]));
    }
    //  A backup's APPEND_ACK may have moved the commit point past what our
    //  own disk already holds: release with this wake-up (zc_core_release
    //  at its tick), not at the next write.
    if (self->lead_epoch)
        zc_core_advance (self, self->now);
}

//  --- life ------------------------------------------------------------------

static void
s_free_item (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

zc_core_t *
zc_core_new (const zc_core_config_t *cfg, zc_chatlog_t *log, const zc_stored_t *stored,
             uint64_t now)
{
    zc_core_t *self = ZC_ALLOC (calloc (1, sizeof *self));
    self->cfg = *cfg;
    self->log = log;
    self->stored = *stored;
    bool has_log = zc_chatlog_last_seq (log) > 0;
    //  Lost state (docs/ELECTION.md): no election.state beside a log, or
    //  where the operator says the node ran before.  (A state over an
    //  empty log is a cluster that has not chatted yet: not lost.)
    //  The configuration in force is the log's, if it holds one.  A
    //  caller that gave ids alone (the simulator) gets placeholder hosts.
    self->members = cfg->members;
    if (self->members.count == 0) {
        for (size_t i = 0; i < cfg->election.member_count; i++) {
            zc_member_t member = { .id = cfg->election.members [i], .host = "sim", .port = 1 };
            const char *why;
            zc_members_add (&self->members, &member, &why);
        }
        self->cfg.members = self->members;
    }
    {
        zc_members_t members;
        uint64_t seq, epoch;
        if (zc_core_members_from_log (self, &members, &seq, &epoch) && seq) {
            self->members = members;
            self->members_seq = seq;
            self->members_epoch = epoch;
            self->members_held = epoch ? seq : 0;
            self->members_held_epoch = epoch;
            zc_core_members_apply (self, &members, seq, &self->cfg.election);
        }
        zc_chatlog_retired_members (log, &self->members_retired_held);
    }
    zc_election_config_t ecfg = self->cfg.election;
    ecfg.lost = stored->missing
             && (cfg->initial == ZC_INITIAL_EXISTING
                 || (cfg->initial == ZC_INITIAL_AUTO && has_log));
    ecfg.fresh = stored->missing && cfg->initial == ZC_INITIAL_AUTO && !has_log;
    if (!has_log)
        self->stored.log_epoch = 0;     //  no log, whatever election.state says
    self->now = now;
    zc_election_state_t persisted = { stored->epoch, stored->leader, stored->trust };
    self->election = ZC_ALLOC (zc_election_new (&ecfg, &persisted, now));
    zc_replica_config_t rcfg = {
        .self = ecfg.self, .quorum = ecfg.quorum, .mh = ecfg.mh, .mseq = ecfg.mseq,
        .retry_ms = cfg->election.heartbeat_ms, .batch = cfg->batch,
        .sync_timeout_ms = cfg->sync_timeout_ms,
        .store = { s_hook_append, s_hook_truncate, self, s_hook_install }
    };
    for (size_t i = 0; i < ecfg.member_count; i++)
        if (ecfg.members [i] != ecfg.self)
            rcfg.peers [rcfg.peer_count++] = ecfg.members [i];
    self->replica = ZC_ALLOC (zc_replica_new (&rcfg, log, self->stored.log_epoch));
    //  A wake-up's commits go to a few rooms and a few senders; frames
    //  stay within what every peer's ZMQ_MAXMSGSIZE accepts.
    self->pub_box = ZC_ALLOC (zc_outbox_new (8, ZC_MAX_BATCH, zc_core_flush_pub, self));
    self->ack_box = ZC_ALLOC (zc_outbox_new (16, 16384, zc_core_flush_ack, self));
    self->limits = ZC_ALLOC (zc_limits_new (cfg->max_clients, cfg->rate, cfg->max_rooms));
    self->presence = zc_presence_new (ZC_PRESENCE_MAX, ZC_PRESENCE_PER_CONN);
    self->room_rseq = zhashx_new ();
    zhashx_set_destructor (self->room_rseq, s_free_item);
    zc_lamport_observe (&self->clock, zc_chatlog_max_ts (log));
    self->disk_last = zc_chatlog_last_seq (log);
    zc_core_set_durable (self, self->disk_last);
    self->trunc_low = UINT64_MAX;
    self->next_retain = now;
    self->next_beacon = now;
    self->next_retry = now;
    self->taken = true;
    s_after_event (self);
    return self;
}

void
zc_core_destroy (zc_core_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_core_t *self = *self_p;
    zc_core_release_waiters (self);
    zc_election_destroy (&self->election);
    zc_replica_destroy (&self->replica);
    zhashx_destroy (&self->room_rseq);
    zc_outbox_destroy (&self->pub_box);
    zc_outbox_destroy (&self->ack_box);
    zc_limits_destroy (&self->limits);
    zc_presence_destroy (&self->presence);
    zc_chatlog_destroy (&self->log);
    for (size_t i = 0; i < self->arena.count; i++)
        free (self->arena.blocks [i].data);
    free (self->arena.blocks);
    free (self->pending);
    free (self->early);
    free (self->sends);
    free (self->replies);
    free (self->pubs);
    free (self->logs);
    free (self->stamps);
    free (self->acked);
    zc_core_held_free (self);
    free (self);
    *self_p = NULL;
}

//  --- events ------------------------------------------------------------------

static bool
s_member (zc_core_t *self, uint64_t node)
{
    const zc_election_config_t *ecfg = &self->cfg.election;
    for (size_t i = 0; i < ecfg->member_count; i++)
        if (ecfg->members [i] == node && node != ecfg->self)
            return true;
    return false;
}

//  Log traffic goes to the replica, with the entry frames that came along.
//  Each entry frame holds one chat map or several back to back
//  (docs/PROTOCOL.md §5.5): one blob per map.  What does not decode goes
//  on as one blob, for the replica to refuse and count.  Entries beyond
//  ZC_CORE_MAX_BLOBS (8 times what a correct sender puts in one message)
//  are not read: the replica answers for what it applied and the sender
//  resends the rest; the cut is counted as dropped.
static void
s_to_replica (zc_core_t *self, const zc_msg_t *msg, const zc_bytes_t *frames,
              size_t frame_count, uint64_t now)
{
    size_t count = 0;
    bool cut = false;
    for (size_t f = 0; f < frame_count && !cut; f++) {
        const uint8_t *data = frames [f].data;
        size_t size = frames [f].size, offset = 0;
        do {
            if (count == ZC_CORE_MAX_BLOBS) {
                cut = true;
                break;
            }
            size_t start = offset;
            zc_msg_t entry;
            if (zc_msg_decode_next (&entry, data, size, &offset, NULL)) {
                self->blobs [count++] = (zc_blob_t) { data + start, size - start };
                break;
            }
            self->blobs [count++] = (zc_blob_t) { data + start, offset - start };
        } while (offset < size);
    }
    if (cut)
        self->dropped++;
    zc_ractions_t *out = s_ractions_take (self);
    if (!out) {
        s_too_deep (self);
        return;
    }
    self->depth++;
    zc_replica_recv (self->replica, msg, self->blobs, count, now, out);
    s_absorb (self, out, now);
    self->depth--;
}

void
zc_core_peer (zc_core_t *self, const uint8_t *body, size_t size,
              const zc_bytes_t *frames, size_t frame_count, uint64_t now)
{
    zc_core_begin (self, now);
    zc_msg_t msg;
    if (!body || zc_msg_decode (&msg, body, size, NULL) || !zc_msg_has (&msg, ZF_NODE | ZF_EPOCH))
        self->dropped++;
    else
    if (msg.node == self->cfg.election.self)
        //  Our own words: a self-connected link of ours.  Which one does
        //  not matter: the DEALER side sees it too and reopens.
        self->dropped++;
    else
    if (!s_member (self, msg.node) || msg.type < ZC_ELECTION
    ||  msg.type == ZC_PING || msg.type == ZC_PONG)
        self->dropped++;            //  not a member, or not a peer message
    else {
        s_election (self, zc_election_recv, &msg, now);
        if (zc_members_mh_ok (self->cfg.election.mseq, self->cfg.election.mh, &msg)
        && (msg.type == ZC_APPEND || msg.type == ZC_APPEND_ACK
        ||  msg.type == ZC_LOG_FETCH || msg.type == ZC_LOG_ENTRIES
        ||  msg.type == ZC_SNAPSHOT || msg.type == ZC_SNAPSHOT_ACK))
            s_to_replica (self, &msg, frames, frame_count, now);
    }
    s_after_event (self);
}

void
zc_core_ping (zc_core_t *self, const uint8_t *body, size_t size, bool forged, uint64_t now,
              zc_bytes_t *reply)
{
    //  Not an event like the others (core.h): the loop answers PINGs in
    //  the middle of a client batch and while it sends a bundle
    //  (node_peers.c, socket priority), so this clears nothing (no
    //  zc_core_begin: a taken bundle stays valid) and adds nothing to the
    //  bundle (no s_after_event).  The election only notes the peer's
    //  ping; the next event refreshes what depends on it.
    if (now > self->now)
        self->now = now;
    zc_msg_t ping, pong;
    bool valid = body && zc_msg_decode (&ping, body, size, NULL) == 0 && ping.type == ZC_PING;
    if (valid && !forged)
        zc_election_ping (self->election, &ping, now, &pong);
    else {
        if (!valid)
            self->dropped++;        //  a forged PING is counted as forged (the loop)
        zc_msg_init (&pong, ZC_ERROR);
        zc_msg_set_cstr (&pong, ZF_CODE, ZC_ERR_BAD_REQUEST);
    }
    //  In the scratch buffer, not the bundle's arena
    *reply = (zc_bytes_t) { self->buf, zc_msg_encode (&pong, self->buf, sizeof self->buf) };
}

void
zc_core_pong (zc_core_t *self, const uint8_t *body, size_t size, uint64_t now)
{
    zc_core_begin (self, now);
    zc_msg_t msg;
    if (body && zc_msg_decode (&msg, body, size, NULL) == 0 && msg.type == ZC_PONG)
        s_election (self, zc_election_recv, &msg, now);
    else
        self->dropped++;
    s_after_event (self);
}

void
zc_core_leader_down (zc_core_t *self, uint64_t now)
{
    zc_core_begin (self, now);
    s_election (self, s_election_down, NULL, now);
    s_after_event (self);
}

void
zc_core_retire (zc_core_t *self, uint64_t now)
{
    zc_core_begin (self, now);
    s_election (self, s_election_retire, NULL, now);
    s_after_event (self);
}

bool
zc_core_retired (zc_core_t *self)
{
    return zc_election_retired (self->election);
}

bool
zc_core_unsaved (zc_core_t *self)
{
    return !self->taken && self->save_state;
}

void
zc_core_client (zc_core_t *self, const uint8_t *ident, size_t ident_len,
                const uint8_t *body, size_t size, const char *user, uint64_t now)
{
    zc_core_begin (self, now);
    zc_core_on_client (self, ident, ident_len, body, size, user, now);
    s_after_event (self);
}

void
zc_core_stamp (zc_core_t *self, uint64_t stamp)
{
    self->stamp = stamp;
}

void
zc_core_client_bad (zc_core_t *self, const uint8_t *ident, size_t ident_len,
                    const char *reason, uint64_t now)
{
    zc_core_begin (self, now);
    self->dropped++;
    zc_core_reply_error (self, ident, ident_len, ZC_ERR_BAD_REQUEST, reason);
}

//  Retention: old entries may go once they are committed and (leader)
//  published; the limits (--retain-*) say whether they do.  A backup
//  that has not confirmed them does not hold them back: one that is down
//  would pin the log for as long as it stays down, and one that comes
//  back behind the leader's oldest entry is caught up by a snapshot
//  (docs/STORAGE.md "Retention").
static void
s_retain (zc_core_t *self)
{
    uint64_t keep_after = zc_replica_commit (self->replica);
    if (self->lead_epoch && self->published < keep_after)
        keep_after = self->published;
    self->retain_upto = keep_after;
}

//  Every node tells clients, on its PUB, whom it follows in which epoch;
//  a leader does so only while it serves.
static void
s_beacon (zc_core_t *self, uint64_t now)
{
    uint32_t leader = zc_election_leader (self->election);
    if (!leader || (leader == self->cfg.election.self && !zc_core_serving (self, now))
    ||  zc_election_role (self->election) == ZC_ROLE_CANDIDATE)
        return;
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_BEACON);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.election.self);
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    zc_msg_set_u64 (&msg, ZF_LEADER, leader);
    zc_msg_set_u64 (&msg, ZF_COMMIT, zc_replica_commit (self->replica));
    size_t size = zc_msg_encode (&msg, self->buf, sizeof self->buf);
    self->pubs = zc_grow (self->pubs, &self->pub_cap, self->pub_count + 1, sizeof *self->pubs);
    self->pubs [self->pub_count++] = (zc_core_pub_t) {
        zc_core_copy (self, ZC_BEACON_TOPIC, strlen (ZC_BEACON_TOPIC)),
        zc_core_copy (self, self->buf, size) };
}

void
zc_core_tick (zc_core_t *self, uint64_t now)
{
    zc_core_begin (self, now);
    s_election (self, s_election_tick, NULL, now);
    zc_ractions_t *out = s_ractions_take (self);
#ifdef ZC_TEST_BUG_EARLY_ACK
    //  The test-only broken node (see core_client.c) also replicates
    //  lazily, as an asynchronous primary would: every kill of it loses
    //  what it acknowledged in the last quarter second.
    bool due = now >= self->lazy_until;
    if (due)
        self->lazy_until = now + 250;
#else
    bool due = true;
#endif
    if (out && due) {
        self->depth++;
        zc_replica_tick (self->replica, now, out);
        s_absorb (self, out, now);
        self->depth--;
    }
    self->next_retry = now + self->cfg.election.heartbeat_ms / 2;
    if (self->cfg.retain && now >= self->next_retain) {
        s_retain (self);
        self->next_retain = now + ZC_RETAIN_EVERY_MS;
    }
    if (now >= self->next_beacon) {
        //  Every heartbeat for a burst after a change (a subscriber that
        //  joined late or dropped one hears the news), then at an idle
        //  pace: each beacon goes to every subscriber, and at 10 a second
        //  they were most of an idle leader's work with thousands of
        //  clients (experiments/RESULTS.md, scale run)
        s_beacon (self, now);
        uint64_t every = self->cfg.election.heartbeat_ms;
        if (self->beacon_burst)
            self->beacon_burst--;
        else
        if (every < ZC_BEACON_IDLE_MS)
            every = ZC_BEACON_IDLE_MS;
        self->next_beacon = now + every;
    }
    s_after_event (self);
    zc_core_release (self);
}

//  Only now may what depends on the disk go out: with --quorum 1 the
//  commit point is our own log end, and "acknowledged" must mean "on our
//  disk"; the sends held for these writes leave with the next bundle.
void
zc_core_durable (zc_core_t *self, uint64_t ticket, uint64_t now)
{
    zc_core_begin (self, now);
    zc_core_jobs_done (self, ticket);
    if (self->lead_epoch)
        zc_core_advance (self, now);
    zc_core_release (self);
}

void
zc_core_compacted (zc_core_t *self, uint64_t base)
{
    zc_core_begin (self, self->now);
    zc_chatlog_compact (self->log, base);
}

void
zc_core_count (zc_core_t *self, zc_count_t which, uint64_t n)
{
    switch (which) {
        case ZC_COUNT_DROPPED: self->dropped += n; break;
        case ZC_COUNT_DENIED:  self->denied = n; break;       //  ZAP's running total
        case ZC_COUNT_FORGED:  self->forged_boundary += n; break;
    }
}

void
zc_core_counters (zc_core_t *self, zc_core_counters_t *out)
{
    out->dropped = self->dropped + zc_replica_dropped (self->replica);
    out->refused = self->refused;
    out->slowed = self->slowed;
    out->handled = self->handled;
    out->denied = self->denied;
    out->forged = self->forged_boundary + zc_election_refused (self->election)
                + zc_replica_refused (self->replica);
    out->published = self->publications;
    out->appended = self->appended_in;
    out->leader_changes = self->leader_changes;
    zc_election_stats (self->election, &out->elections, &out->won);
}

size_t
zc_core_clients (zc_core_t *self, uint64_t now)
{
    return zc_limits_clients (self->limits, now);
}

uint64_t
zc_core_deadline (zc_core_t *self)
{
    uint64_t deadline = zc_election_deadline (self->election);
    if (self->next_beacon < deadline)
        deadline = self->next_beacon;
    if (self->lead_epoch && self->next_retry < deadline)
        deadline = self->next_retry;        //  replication retries
    if (self->cfg.retain && self->next_retain < deadline)
        deadline = self->next_retain;
    return deadline;
}

//  --- queries ---------------------------------------------------------------

zc_chatlog_t *
zc_core_log (zc_core_t *self)
{
    return self->log;
}

zc_election_t *
zc_core_election (zc_core_t *self)
{
    return self->election;
}

zc_replica_t *
zc_core_replica (zc_core_t *self)
{
    return self->replica;
}

//  Serving clients: the election says we lead with a lease, and the view
//  change gave us the best log.
bool
zc_core_serving (zc_core_t *self, uint64_t now)
{
    return zc_election_serving (self->election, now) && zc_replica_ready (self->replica);
}

uint64_t
zc_core_published (zc_core_t *self)
{
    return self->published;
}

uint64_t
zc_core_lead_epoch (zc_core_t *self)
{
    return self->lead_epoch;
}
