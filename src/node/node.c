/*  node.c — sockets, the poll loop and the election's actions.

    One thread, one zmq_poll with a deadline computed from the election's
    timers and the beacon; each wake-up drains what is queued (peer traffic
    first, so that a node that was frozen learns the present before it
    answers a client), then ticks the election, replicates, commits and
    publishes whatever the wake-up produced: batching by load.
*/
#include "node_impl.h"

#include <errno.h>

//  Milliseconds on a clock that also counts time spent suspended, so a
//  leader waking from a laptop lid-close sees its lease expired.
uint64_t
zc_node_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_BOOTTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

//  The next queued message, or NULL at once if there is none.
zmsg_t *
zc_node_recv_nowait (zsock_t *sock)
{
    return (zsock_events (sock) & ZMQ_POLLIN) ? zmsg_recv (sock) : NULL;
}

//  Encode and send one message, never blocking the loop.  0 or -1.
int
zc_node_send (zsock_t *sock, zc_node_t *self, const zc_msg_t *msg, int flags)
{
    size_t size = zc_msg_encode (msg, self->buf, sizeof self->buf);
    if (!size) {
        zsys_error ("node %u: cannot encode a %s message", self->cfg.id,
                    zc_type_name (msg->type));
        return -1;
    }
    return zmq_send (zsock_resolve (sock), self->buf, size, flags | ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

static zsock_t *
s_bind (zc_node_t *self, int type, uint16_t port, char *err, size_t errlen)
{
    zsock_t *sock = zsock_new (type);
    if (!sock) {
        snprintf (err, errlen, "cannot create a socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    bool client_port = port == self->cfg.port;
    bool peer_side = port == self->cfg.port + ZC_PORT_PEER
                  || port == self->cfg.port + ZC_PORT_HEARTBEAT;
    //  A client's frames are bounded by --max-frame (libzmq closes the
    //  connection of a client that sends more); peers by the protocol's.
    zsock_set_maxmsgsize (sock, client_port ? (int64_t) self->cfg.max_frame : ZC_MAX_FRAME);
    zsock_set_linger (sock, 0);
    //  Reads never wait: a REP reports POLLIN for a message it then drops
    //  (one without an envelope, from a DEALER), and a blocking read
    //  would wedge the node for good (zc_node_recv_nowait).
    zsock_set_rcvtimeo (sock, 0);
    //  High-water marks count only if set before bind.  Subscribers and
    //  clients that fall behind lose frames beyond them and repair gaps by
    //  FETCH / resend, so the bound is a memory cap, not a guarantee.  Per
    //  connection, so it is what one slow or hostile reader can make us
    //  hold: --reply-hwm replies (each <= 256 KiB) on the client port,
    //  --pub-hwm frames on PUB (a DEALER that never read its FETCH replies
    //  once grew a leader by 600 MB at 100000).  Peers keep a large bound:
    //  a backup catching up reads a window of APPENDs at once.
    if (type == ZMQ_PUB || type == ZMQ_ROUTER) {
        zsock_set_sndhwm (sock, client_port ? (int) self->cfg.reply_hwm
                              : type == ZMQ_PUB ? (int) self->cfg.pub_hwm : 100000);
        zsock_set_rcvhwm (sock, 100000);
    }
    //  CURVE before bind (docs/PROTOCOL.md §8): the ZAP handler is
    //  already running, so no connection is ever let in unchecked.
    if (self->security)
        zc_security_server (self->security, sock, peer_side);
    //  Thousands of clients redial a restarted node at once: libzmq's
    //  listen backlog of 100 dropped their SYNs (the kernel caps this at
    //  net.core.somaxconn).
    zsock_set_backlog (sock, 4096);
    if (zsock_bind (sock, "tcp://%s:%u", self->cfg.bind_host, port) < 0) {
        snprintf (err, errlen, "cannot bind tcp://%s:%u: %s", self->cfg.bind_host, port,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    else {
        static const char *names [] = { "client port", "pub port", "peer port",
                                        "heartbeat port" };
        char label [320];
        snprintf (label, sizeof label, "node %u: %s %u", self->cfg.id,
                  names [(port - self->cfg.port) / 1000], port);
        zc_watcher_add (self->watcher, sock, self->security ? ZC_WATCH_CURVE : 0, label, NULL);
    }
    return sock;
}

static void
s_persist (zc_node_t *self, const zc_election_state_t *state)
{
    self->stored.epoch = state->epoch;
    self->stored.leader = state->leader;
    self->stored.log_epoch = zc_replica_log_epoch (self->replica);
    if (zc_store_save (self->cfg.data_dir, &self->stored)) {
        //  A vote or claim we cannot make durable must not be sent: stop
        //  now, like a crash (which the protocol survives); a restart
        //  re-reads what the disk holds.
        zsys_error ("node %u: cannot save election state in %s: %s; stopping",
                    self->cfg.id, self->cfg.data_dir, strerror (errno));
        exit (1);
    }
}

static void
s_free_item (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  Storage hooks for the replica: the log on disk follows the log in
//  memory, entry by entry.
static int
s_store_append (void *arg, const zc_entry_t *entry)
{
    zc_node_t *self = arg;
    int rc = zc_segstore_append (self->segstore, entry->seq, entry->data, entry->size);
    if (rc)
        self->store_errno = errno;  //  reported when the loop stops, errno long gone
    return rc;
}

static int
s_store_truncate (void *arg, uint64_t after_seq)
{
    zc_node_t *self = arg;
    int rc = zc_segstore_truncate (self->segstore, after_seq);
    if (rc)
        self->store_errno = errno;
    return rc;
}

static int
s_replay (uint64_t seq, const uint8_t *data, size_t size, void *arg)
{
    zc_node_t *self = arg;
    zc_msg_t chat;
    if (zc_msg_decode (&chat, data, size, NULL) || chat.type != ZC_CHAT || chat.seq != seq)
        return -1;
    return zc_chatlog_append (self->log, &chat, data, size) ? 0 : -1;
}

static void
s_load_retired (char kind, const char *key, uint64_t value, void *arg)
{
    zc_node_t *self = arg;
    if (kind == 'b') {
        self->retired_base = strtoull (key, NULL, 10);
        self->retired_base_epoch = value;
    }
    else
        zc_chatlog_set_retired (self->log, kind, key, value);
}

static void
s_format_retired (char kind, const char *key, uint64_t value, void *arg)
{
    zchunk_t *text = arg;
    char line [200];
    int len = snprintf (line, sizeof line, "%s %s %llu\n",
                        kind == 'r' ? "room" : kind == 'c' ? "client" : "base",
                        key, (unsigned long long) value);
    zchunk_extend (text, line, (size_t) len);
}

//  Load the log from the data folder: every complete record, checked.
static int
s_open_log (zc_node_t *self, char *err, size_t errlen)
{
    zc_segstore_config_t scfg = {
        .fsync = (zc_fsync_t) self->cfg.fsync,
        .retain_bytes = (uint64_t) self->cfg.retain_mb << 20,
        .retain_secs = (uint64_t) self->cfg.retain_hours * 3600
    };
    //  Retention drops whole segments: keep them small beside the limit.
    if (scfg.retain_bytes && scfg.retain_bytes / 8 < ZC_SEGSTORE_SEGMENT_BYTES)
        scfg.segment_bytes = scfg.retain_bytes / 8 > 65536 ? scfg.retain_bytes / 8 : 65536;
    self->segstore = zc_segstore_open (self->cfg.data_dir, &scfg, err, errlen);
    if (!self->segstore)
        return -1;
    self->log = zc_chatlog_new ();
    if (zc_store_load_retired (self->cfg.data_dir, s_load_retired, self, err, errlen))
        return -1;
    uint64_t first = zc_segstore_first_seq (self->segstore);
    if (first > 1)      //  the epoch is known when retired.state covers first - 1
        zc_chatlog_set_base (self->log, first - 1,
                             self->retired_base == first - 1 ? self->retired_base_epoch : 0);
    if (zc_segstore_replay (self->segstore, s_replay, self, err, errlen))
        return -1;
    if (zc_segstore_note (self->segstore))
        zsys_warning ("node %u: %s", self->cfg.id, zc_segstore_note (self->segstore));
    if (zc_chatlog_last_seq (self->log) == 0)
        self->stored.log_epoch = 0;     //  no log, whatever the state file says
    zsys_info ("node %u: log holds seq %llu..%llu (log epoch %llu)", self->cfg.id,
               (unsigned long long) zc_chatlog_first_seq (self->log),
               (unsigned long long) zc_chatlog_last_seq (self->log),
               (unsigned long long) self->stored.log_epoch);
    return 0;
}

//  Retention: retire old segments no backup still needs, then forget them.
static void
s_retain (zc_node_t *self, uint64_t now)
{
    if (!self->cfg.retain_mb && !self->cfg.retain_hours)
        return;
    uint64_t keep_after = zc_replica_commit (self->replica);
    if (self->lead_epoch && self->published < keep_after)
        keep_after = self->published;
    if (self->lead_epoch)
        for (size_t i = 0; i < self->cfg.peer_count; i++) {
            uint64_t match = zc_replica_match (self->replica, self->cfg.peers [i].id);
            if (match < keep_after)
                keep_after = match;
        }
    (void) now;
    //  First make durable what the entries about to go leave behind.
    zchunk_t *text = zchunk_new (NULL, 0);
    zc_chatlog_tables_upto (self->log, keep_after, s_format_retired, text);
    int rc = zc_store_save_retired (self->cfg.data_dir, (char *) zchunk_data (text),
                                    zchunk_size (text));
    zchunk_destroy (&text);
    if (rc)
        zsys_warning ("node %u: cannot save retired.state; keeping the old log", self->cfg.id);
    else
    if (zc_segstore_retain (self->segstore, (uint64_t) time (NULL), keep_after) > 0) {
        uint64_t base = zc_segstore_first_seq (self->segstore) - 1;
        zc_chatlog_compact (self->log, base);
        //  Again, now naming the exact new base and its epoch.
        text = zchunk_new (NULL, 0);
        zc_chatlog_tables_upto (self->log, base, s_format_retired, text);
        zc_store_save_retired (self->cfg.data_dir, (char *) zchunk_data (text),
                               zchunk_size (text));
        zchunk_destroy (&text);
    }
}

zc_node_t *
zc_node_new (const zc_config_t *cfg, char *err, size_t errlen)
{
    zc_node_t *self = calloc (1, sizeof *self);
    assert (self);
    self->cfg = *cfg;
    if (zc_store_open (cfg->data_dir, err, errlen)
    ||  zc_store_load (cfg->data_dir, &self->stored, err, errlen)) {
        free (self);
        return NULL;
    }
    if (cfg->keys_dir [0]) {
        uint32_t members [ZC_MAX_PEERS + 1] = { cfg->id };
        for (size_t i = 0; i < cfg->peer_count; i++)
            members [i + 1] = cfg->peers [i].id;
        self->security = zc_security_load (cfg->keys_dir, cfg->id, members,
                                           cfg->peer_count + 1, cfg->clients, err, errlen);
        if (!self->security || zc_security_start (self->security, err, errlen)) {
            zc_node_destroy (&self);
            return NULL;
        }
    }
    self->watcher = zc_watcher_new ();
    self->client_router = s_bind (self, ZMQ_ROUTER, cfg->port, err, errlen);
    if (self->client_router)
        self->pub = s_bind (self, ZMQ_PUB, cfg->port + ZC_PORT_PUB, err, errlen);
    if (self->pub)
        self->peer_router = s_bind (self, ZMQ_ROUTER, cfg->port + ZC_PORT_PEER, err, errlen);
    if (self->peer_router)
        self->hb_rep = s_bind (self, ZMQ_REP, cfg->port + ZC_PORT_HEARTBEAT, err, errlen);
    if (!self->hb_rep || zc_node_peers_open (self, err, errlen)) {
        zc_node_destroy (&self);
        return NULL;
    }
    //  A ROUTER drops replies to vanished clients silently unless told not to.
    zsock_set_router_mandatory (self->client_router, 1);
    zsock_set_sndtimeo (self->client_router, 0);

    zc_election_config_t ecfg = {
        .self = cfg->id, .quorum = cfg->quorum, .mh = zc_config_membership_hash (cfg),
        .heartbeat_ms = cfg->heartbeat_ms, .misses = cfg->misses,
        .election_ms = cfg->election_ms, .lease_ms = cfg->lease_ms,
        .holddown_ms = cfg->holddown_ms, .seed = (uint64_t) getpid () ^ zclock_usecs (),
        .max_epoch_jump = cfg->max_epoch_jump,
    };
    ecfg.members [ecfg.member_count++] = cfg->id;
    uint32_t peer_ids [ZC_MAX_PEERS];
    for (size_t i = 0; i < cfg->peer_count; i++) {
        ecfg.members [ecfg.member_count++] = cfg->peers [i].id;
        peer_ids [i] = cfg->peers [i].id;
    }
    zc_election_state_t persisted = { self->stored.epoch, self->stored.leader };
    self->election = zc_election_new (&ecfg, &persisted, zc_node_now ());
    if (s_open_log (self, err, errlen)) {
        zc_node_destroy (&self);
        return NULL;
    }
    zc_replica_config_t rcfg = {
        .self = cfg->id, .quorum = cfg->quorum, .mh = ecfg.mh,
        .retry_ms = cfg->heartbeat_ms,
        //  fsync per entry costs ~0.3 ms here: smaller batches keep each
        //  wake-up short enough for heartbeats and the lease.
        .batch = cfg->fsync == ZC_CONFIG_FSYNC_ALWAYS ? 32 : 512,
        .sync_timeout_ms = 10 * cfg->election_ms + 10 * cfg->heartbeat_ms,
        .store = { s_store_append, s_store_truncate, self }
    };
    for (size_t i = 0; i < cfg->peer_count; i++)
        rcfg.peers [rcfg.peer_count++] = peer_ids [i];
    self->replica = zc_replica_new (&rcfg, self->log, self->stored.log_epoch);
    //  A wake-up's commits go to a few rooms and a few senders; frames
    //  stay within what every peer's ZMQ_MAXMSGSIZE accepts.
    self->pub_box = zc_outbox_new (8, ZC_MAX_BATCH, zc_node_send_pub, self);
    self->ack_box = zc_outbox_new (16, 16384, zc_node_send_acks, self);
    self->limits = zc_limits_new (cfg->max_clients, cfg->rate, cfg->max_rooms);
    self->room_rseq = zhashx_new ();
    zhashx_set_destructor (self->room_rseq, s_free_item);
    zc_lamport_observe (&self->clock, zc_chatlog_max_ts (self->log));
    zc_node_log_changed (self);
    zsys_info ("node %u: client port %u, pub %u, peers %u, heartbeat %u; epoch %llu, "
               "%zu peers, quorum %u, heartbeat %u ms, data in %s", cfg->id, cfg->port,
               cfg->port + ZC_PORT_PUB, cfg->port + ZC_PORT_PEER,
               cfg->port + ZC_PORT_HEARTBEAT, (unsigned long long) self->stored.epoch,
               cfg->peer_count, cfg->quorum, cfg->heartbeat_ms, cfg->data_dir);
    return self;
}

void
zc_node_destroy (zc_node_t **self_p)
{
    assert (self_p);
    zc_node_t *self = *self_p;
    if (!self)
        return;
    if (self->log)
        zc_node_release_waiters (self);
    zc_node_peers_close (self);
    zsock_destroy (&self->client_router);
    zsock_destroy (&self->pub);
    zsock_destroy (&self->peer_router);
    zsock_destroy (&self->hb_rep);
    zc_election_destroy (&self->election);
    zc_replica_destroy (&self->replica);
    zhashx_destroy (&self->room_rseq);
    zc_outbox_destroy (&self->pub_box);
    zc_outbox_destroy (&self->ack_box);
    zc_limits_destroy (&self->limits);
    zc_chatlog_destroy (&self->log);
    zc_segstore_destroy (&self->segstore);
    zc_security_destroy (&self->security);
    zactor_destroy (&self->watcher);
    free (self);
    *self_p = NULL;
}

//  The log changed: the election compares logs in votes and hand-over.
void
zc_node_log_changed (zc_node_t *self)
{
    zc_election_set_log (self->election, zc_chatlog_last_seq (self->log),
                         zc_replica_log_epoch (self->replica));
}

//  Role, leader or serving changed: start or end a leadership.
static void
s_on_role (zc_node_t *self, uint64_t now)
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
        zc_replica_lead (self->replica, epoch, votes, count, now, &self->ractions);
        zc_node_run_ractions (self, now);
    }
    else
    if (role != ZC_ROLE_LEADER) {
        if (self->lead_epoch) {
            self->lead_epoch = 0;
            zc_node_release_waiters (self);
        }
        zc_replica_follow (self->replica, epoch, zc_election_leader (self->election));
    }
    zsys_info ("[NODE] node %u: %s, leader %u, epoch %llu%s", self->cfg.id,
               zc_role_name (role), zc_election_leader (self->election),
               (unsigned long long) epoch,
               role == ZC_ROLE_LEADER ? (serving ? ", serving" : ", not serving") : "");
    self->next_beacon = now;    //  tell clients at once,
    self->beacon_burst = ZC_BEACON_BURST;   //  and again quickly a few times
}

void
zc_node_run_actions (zc_node_t *self, uint64_t now)
{
    for (size_t i = 0; i < self->actions.count; i++) {
        zc_action_t *action = &self->actions.items [i];
        switch (action->kind) {
            case ZC_ACT_SEND:
                zc_node_peer_send (self, action->to, &action->msg);
                break;
            case ZC_ACT_PING:
                zc_node_ping_leader (self, action->to, &action->msg);
                break;
            case ZC_ACT_PERSIST:
                s_persist (self, &action->state);
                break;
            case ZC_ACT_LOG:
                zsys_info ("%s", action->text);
                break;
            case ZC_ACT_ROLE:
                s_on_role (self, now);
                break;
        }
    }
    zc_actions_clear (&self->actions);
}

//  Sends the replica's messages, with the named log entries as frames 2...
//  Entries first..last as frames 2.., packed back to back up to
//  ZC_MAX_BATCH a frame (docs/PROTOCOL.md §5.5): one frame per entry cost a
//  ZeroMQ message each, and with CURVE one crypto_box each, per backup.
static void
s_send_entries (zc_node_t *self, void *dealer, uint64_t first, uint64_t last)
{
    size_t used = 0;
    for (uint64_t seq = first; seq <= last; seq++) {
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        assert (entry);             //  the replica names only entries we hold
        if (used && used + entry->size > ZC_MAX_BATCH) {
            zmq_send (dealer, self->buf, used, ZMQ_DONTWAIT | ZMQ_SNDMORE);
            used = 0;
        }
        memcpy (self->buf + used, entry->data, entry->size);
        used += entry->size;
    }
    zmq_send (dealer, self->buf, used, ZMQ_DONTWAIT);
}

static void
s_send_ractions (zc_node_t *self)
{
    zc_ractions_t *out = &self->ractions;
    for (size_t i = 0; i < out->count; i++) {
        zc_rsend_t *send = &out->sends [i];
        zc_link_t *link = NULL;
        for (size_t j = 0; j < self->link_count; j++)
            if (self->links [j].id == send->to)
                link = &self->links [j];
        if (!link)
            continue;
        int more = send->first <= send->last ? ZMQ_SNDMORE : 0;
        if (zc_node_send (link->dealer, self, &send->msg, more))
            continue;           //  not connected: the replica will repeat
        if (more)
            s_send_entries (self, zsock_resolve (link->dealer), send->first, send->last);
    }
}

//  The replica's messages.  A backup persists first: its APPEND_ACK says
//  the entries are on its disk.  A leader sends its APPENDs first and
//  syncs its own log while the backups sync theirs (the leader's disk
//  write in parallel, Raft thesis §10.2.1): an ACK still needs a quorum
//  of durable copies, because the leader reads the backups' answers only
//  in a later wake-up, after its own sync returned — and a failed sync
//  stops the node.  Saving a new log epoch keeps the strict order (the
//  log epoch reaches the disk after the log, before anyone hears of it).
void
zc_node_run_ractions (zc_node_t *self, uint64_t now)
{
    zc_ractions_t *out = &self->ractions;
    bool send_first = self->lead_epoch && !out->save && !out->stuck;
    if (send_first)
        s_send_ractions (self);
    if (zc_segstore_sync (self->segstore) || zc_replica_failed (self->replica)) {
        int error = zc_replica_failed (self->replica) && self->store_errno
                  ? self->store_errno : errno;
        zsys_error ("node %u: cannot write the log in %s: %s; stopping", self->cfg.id,
                    self->cfg.data_dir, strerror (error));
        zsys_interrupted = 1;       //  a restart re-reads what the disk holds
        self->store_failed = true;  //  and this wake-up acknowledges nothing
        zc_ractions_clear (out);
        return;
    }
    if (out->save) {
        zc_election_state_t state = { self->stored.epoch, self->stored.leader };
        s_persist (self, &state);
        zc_node_log_changed (self);
    }
    zc_lamport_observe (&self->clock, zc_chatlog_max_ts (self->log));
    if (!send_first)
        s_send_ractions (self);
    if (out->stuck) {
        zc_election_step_down (self->election, now, &self->actions);
        zc_ractions_clear (out);
        zc_node_run_actions (self, now);
    }
    zc_ractions_clear (out);
}

//  The security counters STATUS reports: ZAP refusals (counted in the
//  ZAP thread) and peer messages refused as forged.
static void
s_count_security (zc_node_t *self)
{
    if (self->security)
        self->denied = zc_security_denied (self->security);
    //  A key speaking for another node (node_peers.c), and what the pure
    //  machines refused as absurd or forged (values no correct peer sends).
    self->forged = self->forged_uid + zc_election_refused (self->election)
                 + zc_replica_refused (self->replica);
}

static uint64_t
s_deadline (zc_node_t *self)
{
    uint64_t deadline = zc_election_deadline (self->election);
    if (self->next_beacon < deadline)
        deadline = self->next_beacon;
    return deadline;
}

int
zc_node_run (zc_node_t *self)
{
    zmq_pollitem_t items [8 + ZC_MAX_PEERS];
    while (!zsys_interrupted) {
        uint64_t now = zc_node_now ();
        uint64_t deadline = s_deadline (self);
        long timeout = deadline > now ? (long) (deadline - now) : 0;
        if (self->lead_epoch && timeout > (long) self->cfg.heartbeat_ms / 2)
            timeout = self->cfg.heartbeat_ms / 2;   //  replication retries
        size_t count = 0;
        zsock_t *socks [] = { self->peer_router, self->hb_rep, self->hb_req,
                              self->client_router };
        for (size_t i = 0; i < 4; i++)
            if (socks [i])
                items [count++] = (zmq_pollitem_t) { zsock_resolve (socks [i]), 0, ZMQ_POLLIN, 0 };
        size_t monitor_at = count;
        if (self->hb_monitor)
            items [count++] = (zmq_pollitem_t) {
                zsock_resolve (zactor_sock (self->hb_monitor)), 0, ZMQ_POLLIN, 0 };
        size_t links_at = count;
        for (size_t i = 0; i < self->link_count; i++)
            items [count++] = (zmq_pollitem_t) {
                zsock_resolve (self->links [i].dealer), 0, ZMQ_POLLIN, 0 };

        if (zmq_poll (items, (int) count, timeout) < 0) {
            if (errno == EINTR)
                continue;
            zsys_error ("node %u: poll failed: %s", self->cfg.id, zmq_strerror (errno));
            break;
        }
        //  Peer traffic first: a node that was frozen learns the present
        //  before it answers any client.
        zc_node_peer_recv (self);
        s_count_security (self);
        zc_node_hb_rep_recv (self);
        if (self->hb_req)
            zc_node_hb_req_recv (self);
        if (self->hb_monitor && (items [monitor_at].revents & ZMQ_POLLIN))
            zc_node_hb_monitor_recv (self);
        for (size_t i = 0; i < self->link_count && links_at + i < count; i++)
            if (items [links_at + i].revents & ZMQ_POLLIN)
                zc_node_link_recv (self, &self->links [i]);
        now = zc_node_now ();
        zc_election_tick (self->election, now, &self->actions);
        zc_node_run_actions (self, now);
        zc_node_client_recv (self);

        now = zc_node_now ();
#ifdef ZC_TEST_BUG_EARLY_ACK
        //  The test-only broken node (see node_client.c) also replicates
        //  lazily, as an asynchronous primary would: every kill of it
        //  loses what it acknowledged in the last quarter second.
        static uint64_t lazy_until;
        if (now >= lazy_until) {
            lazy_until = now + 250;
            zc_replica_tick (self->replica, now, &self->ractions);
        }
#else
        zc_replica_tick (self->replica, now, &self->ractions);
#endif
        zc_node_run_ractions (self, now);
        //  A failed write acknowledges nothing: with --quorum 1 the commit
        //  point is our own log end, which the disk just refused.
        if (self->lead_epoch && !self->store_failed)
            zc_node_advance_commit (self, now);
        if (now >= self->next_retain) {
            s_retain (self, now);
            self->next_retain = now + 10000;
        }
        if (now >= self->next_beacon) {
            //  Every heartbeat for a burst after a change (a subscriber
            //  that joined late or dropped one hears the news), then at
            //  an idle pace: each beacon goes to every subscriber, and at
            //  10 a second they were most of an idle leader's work with
            //  thousands of clients (experiments/RESULTS.md, scale run)
            zc_node_beacon (self, now);
            uint64_t every = self->cfg.heartbeat_ms;
            if (self->beacon_burst)
                self->beacon_burst--;
            else
            if (every < ZC_BEACON_IDLE_MS)
                every = ZC_BEACON_IDLE_MS;
            self->next_beacon = now + every;
        }
    }
    zsys_info ("node %u: stopping", self->cfg.id);
    return 0;
}
