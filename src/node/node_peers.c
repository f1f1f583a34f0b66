/*  node_peers.c — peer links, replication traffic, heartbeats.

    Each peer gets one DEALER to its peer ROUTER (P+2000); everything we
    say to a peer goes out on that DEALER and everything peers say to us
    comes in on our ROUTER.  So a DEALER that receives anything is a TCP
    self-connect (a redial on an ephemeral port that met itself): we close
    and reopen it.  Backups ping the leader over a REQ (relaxed, correlated:
    it never sticks after a lost reply) watched by a socket monitor, whose
    DISCONNECTED is the fast path for a crashed leader.
*/
#include "node_impl.h"

static void
s_endpoint (char *out, size_t cap, const char *host, unsigned port)
{
    //  IPv6 literals arrive as "[::1]" or "::1"; ZeroMQ wants brackets.
    if (strchr (host, ':') && host [0] != '[')
        snprintf (out, cap, "tcp://[%s]:%u", host, port);
    else
        snprintf (out, cap, "tcp://%s:%u", host, port);
}

static int
s_link_open (zc_link_t *link)
{
    link->dealer = zsock_new (ZMQ_DEALER);
    if (!link->dealer)
        return -1;
    //  No queueing towards a dead peer: stale ELECTIONs must not arrive
    //  seconds later.  EAGAIN then means "not connected yet"; the protocol
    //  repeats what matters.
    zsock_set_immediate (link->dealer, 1);
    zsock_set_sndtimeo (link->dealer, 0);
    zsock_set_linger (link->dealer, 0);
    zsock_set_sndhwm (link->dealer, 10000);
    zsock_set_maxmsgsize (link->dealer, ZC_MAX_FRAME);
    zsock_set_reconnect_ivl (link->dealer, 50);
    zsock_set_reconnect_ivl_max (link->dealer, 500);
    if (strchr (link->endpoint, '['))
        zsock_set_ipv6 (link->dealer, 1);
    return zsock_connect (link->dealer, "%s", link->endpoint);
}

int
zc_node_peers_open (zc_node_t *self, char *err, size_t errlen)
{
    for (size_t i = 0; i < self->cfg.peer_count; i++) {
        const zc_peer_addr_t *peer = &self->cfg.peers [i];
        zc_link_t *link = &self->links [self->link_count++];
        link->id = peer->id;
        s_endpoint (link->endpoint, sizeof link->endpoint, peer->host,
                    peer->port + ZC_PORT_PEER);
        if (s_link_open (link)) {
            snprintf (err, errlen, "--peers: cannot connect to %s (peer %u)",
                      link->endpoint, peer->id);
            return -1;
        }
    }
    return 0;
}

static void
s_hb_close (zc_node_t *self)
{
    zactor_destroy (&self->hb_monitor);
    zsock_destroy (&self->hb_req);
    self->hb_leader = 0;
}

void
zc_node_peers_close (zc_node_t *self)
{
    s_hb_close (self);
    for (size_t i = 0; i < self->link_count; i++)
        zsock_destroy (&self->links [i].dealer);
}

static zc_link_t *
s_link (zc_node_t *self, uint32_t peer)
{
    for (size_t i = 0; i < self->link_count; i++)
        if (self->links [i].id == peer)
            return &self->links [i];
    return NULL;
}

int
zc_node_peer_send (zc_node_t *self, uint32_t peer, const zc_msg_t *msg)
{
    zc_link_t *link = s_link (self, peer);
    return link ? zc_node_send (link->dealer, self, msg, 0) : -1;
}

void
zc_node_link_recv (zc_node_t *self, zc_link_t *link)
{
    //  Peers never answer on our DEALER: whatever arrives is our own
    //  message come back through a TCP self-connect.  Reopen the link.
    zmsg_t *stray = zc_node_recv_nowait (link->dealer);
    zmsg_destroy (&stray);
    zsys_warning ("node %u: link to peer %u (%s) is connected to itself; reopening",
                  self->cfg.id, link->id, link->endpoint);
    zsock_destroy (&link->dealer);
    s_link_open (link);
}

//  APPEND from the leader (backup side): check the previous entry, drop a
//  differing suffix, append, and say how far our log now matches.
static void
s_on_append (zc_node_t *self, const zc_msg_t *msg, zmsg_t *frames)
{
    uint64_t epoch = zc_election_epoch (self->election);
    bool from_leader = msg->epoch == epoch
                    && zc_election_role (self->election) == ZC_ROLE_BACKUP
                    && zc_election_leader (self->election) == msg->node;
    bool granted = false;
    uint64_t matched = 0;       //  our log equals the leader's up to here
    if (from_leader) {
        uint64_t last = zc_chatlog_last_seq (self->log);
        zc_entry_t *prev = zc_chatlog_get (self->log, msg->prev_seq);
        if (msg->prev_seq > last)
            matched = last;                 //  we lack entries before these
        else
        if (msg->prev_seq && (!prev || prev->epoch != msg->prev_epoch)) {
            //  Our entry there differs from the leader's: drop it and what
            //  follows, and let the leader back up.
            zc_chatlog_truncate (self->log, msg->prev_seq - 1, NULL);
            matched = msg->prev_seq - 1;
        }
        else {
            granted = true;
            matched = msg->prev_seq;
            zframe_t *frame;
            while ((frame = zmsg_pop (frames))) {
                zc_msg_t chat;
                int rc = zc_msg_decode (&chat, zframe_data (frame), zframe_size (frame), NULL);
                bool ok = rc == 0 && chat.type == ZC_CHAT && chat.seq == matched + 1;
                if (ok) {
                    zc_entry_t *have = zc_chatlog_get (self->log, chat.seq);
                    if (have && have->epoch != chat.epoch) {
                        zc_chatlog_truncate (self->log, chat.seq - 1, NULL);
                        have = NULL;
                    }
                    if (!have)
                        ok = zc_chatlog_append (self->log, &chat, zframe_data (frame),
                                                zframe_size (frame)) != NULL;
                    if (ok) {
                        zc_lamport_observe (&self->clock, chat.ts);
                        matched = chat.seq;
                    }
                }
                zframe_destroy (&frame);
                if (!ok) {
                    self->dropped++;
                    break;                  //  the leader will resend
                }
            }
            //  Only what matches the leader's log counts as committed here;
            //  a longer tail of ours may be a dead leader's leftovers.
            uint64_t commit = msg->commit < matched ? msg->commit : matched;
            if (commit > self->commit)
                self->commit = commit;
            if (zc_msg_has (msg, ZF_LAST_SEQ) && matched >= msg->last_seq
            &&  self->log_epoch != epoch) {
                //  We now hold the whole log this leader started its epoch
                //  with: our log is the log of this epoch (DESIGN §6b.2).
                self->log_epoch = epoch;
            }
        }
        zc_node_log_changed (self);
    }
    zc_msg_t ack;
    zc_msg_init (&ack, ZC_APPEND_ACK);
    zc_msg_set_u64 (&ack, ZF_NODE, self->cfg.id);
    zc_msg_set_u64 (&ack, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&ack, ZF_MH, zc_config_membership_hash (&self->cfg));
    zc_msg_set_u64 (&ack, ZF_LAST_SEQ, matched);
    zc_msg_set_bool (&ack, ZF_GRANTED, granted);
    if (granted && zc_msg_has (msg, ZF_LT))
        zc_msg_set_u64 (&ack, ZF_LT, msg->lt);
    zc_node_peer_send (self, (uint32_t) msg->node, &ack);
}

void
zc_node_peer_recv (zc_node_t *self)
{
    uint64_t mh = zc_config_membership_hash (&self->cfg);
    for (int budget = 0; budget < 4096; budget++) {
        zmsg_t *frames = zc_node_recv_nowait (self->peer_router);
        if (!frames)
            break;
        zframe_t *identity = zmsg_pop (frames);
        zframe_t *body = zmsg_pop (frames);
        zc_msg_t msg;
        const char *error = NULL;
        uint64_t now = zc_node_now ();
        if (!body || zc_msg_decode (&msg, zframe_data (body), zframe_size (body), &error)
        ||  !zc_msg_has (&msg, ZF_NODE | ZF_EPOCH)) {
            self->dropped++;
            zsys_debug ("node %u: dropped a peer frame: %s", self->cfg.id,
                        error ? error : "empty");
        }
        else
        if (msg.node == self->cfg.id) {
            //  Our own words: a self-connected link of ours.  Which one
            //  does not matter: the DEALER side sees it too and reopens.
            self->dropped++;
        }
        else {
            zc_election_recv (self->election, &msg, now, &self->actions);
            zc_node_run_actions (self, now);
            if (msg.mh == mh) {
                if (msg.type == ZC_APPEND)
                    s_on_append (self, &msg, frames);
                else
                if (msg.type == ZC_APPEND_ACK && self->lead_epoch
                &&  msg.epoch == self->lead_epoch) {
                    zc_replication_ack (self->repl, (uint32_t) msg.node, msg.granted,
                                        msg.last_seq, now);
                    zc_election_peer_progress (self->election, (uint32_t) msg.node,
                                               zc_replication_match (self->repl,
                                                                     (uint32_t) msg.node));
                }
            }
        }
        zframe_destroy (&identity);
        zframe_destroy (&body);
        zmsg_destroy (&frames);
    }
}

//  Leader: send each backup what it lacks, as far as ZC_APPEND_BATCH
//  entries per message; whatever queued up since the last wake-up goes
//  in one message.
void
zc_node_replicate (zc_node_t *self, uint64_t now)
{
    uint64_t last = zc_chatlog_last_seq (self->log);
    for (size_t i = 0; i < self->link_count; i++) {
        zc_link_t *link = &self->links [i];
        uint64_t from;
        if (!zc_replication_due (self->repl, link->id, last, now, &from))
            continue;
        uint64_t to = from + ZC_APPEND_BATCH - 1 < last ? from + ZC_APPEND_BATCH - 1 : last;
        zc_entry_t *prev = zc_chatlog_get (self->log, from - 1);
        zc_msg_t msg;
        zc_msg_init (&msg, ZC_APPEND);
        zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.id);
        zc_msg_set_u64 (&msg, ZF_EPOCH, self->lead_epoch);
        zc_msg_set_u64 (&msg, ZF_MH, zc_config_membership_hash (&self->cfg));
        zc_msg_set_u64 (&msg, ZF_PREV_SEQ, from - 1);
        zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, prev ? prev->epoch : 0);
        zc_msg_set_u64 (&msg, ZF_COMMIT, self->commit);
        zc_msg_set_u64 (&msg, ZF_LAST_SEQ, self->start_seq);
        zc_msg_set_u64 (&msg, ZF_LT, now);
        int more = from <= to ? ZMQ_SNDMORE : 0;
        if (zc_node_send (link->dealer, self, &msg, more))
            continue;           //  not connected: try again next wake-up
        for (uint64_t seq = from; seq <= to; seq++) {
            zc_entry_t *entry = zc_chatlog_get (self->log, seq);
            zmq_send (zsock_resolve (link->dealer), entry->data, entry->size,
                      ZMQ_DONTWAIT | (seq < to ? ZMQ_SNDMORE : 0));
        }
        zc_replication_sent (self->repl, link->id, from <= to ? to : from - 1, now);
    }
}

//  Backup: (re)connect the heartbeat REQ to the leader, then ping.
void
zc_node_ping_leader (zc_node_t *self, uint32_t leader, const zc_msg_t *ping)
{
    if (self->hb_leader != leader) {
        s_hb_close (self);
        const zc_peer_addr_t *peer = zc_config_peer (&self->cfg, leader);
        if (!peer)
            return;
        char endpoint [300];
        s_endpoint (endpoint, sizeof endpoint, peer->host, peer->port + ZC_PORT_HEARTBEAT);
        self->hb_req = zsock_new (ZMQ_REQ);
        zsock_set_req_relaxed (self->hb_req, 1);
        zsock_set_req_correlate (self->hb_req, 1);
        zsock_set_immediate (self->hb_req, 1);
        zsock_set_sndtimeo (self->hb_req, 0);
        zsock_set_linger (self->hb_req, 0);
        zsock_set_maxmsgsize (self->hb_req, ZC_MAX_FRAME);
        zsock_set_reconnect_ivl (self->hb_req, 50);
        if (strchr (endpoint, '['))
            zsock_set_ipv6 (self->hb_req, 1);
        self->hb_monitor = zactor_new (zmonitor, self->hb_req);
        zstr_sendx (self->hb_monitor, "LISTEN", "DISCONNECTED", NULL);
        zstr_send (self->hb_monitor, "START");
        zsock_wait (self->hb_monitor);
        zsock_connect (self->hb_req, "%s", endpoint);
        self->hb_leader = leader;
    }
    zc_node_send (self->hb_req, self, ping, 0);
}

void
zc_node_hb_req_recv (zc_node_t *self)
{
    zmsg_t *reply;
    while ((reply = zc_node_recv_nowait (self->hb_req))) {
        zframe_t *body = zmsg_last (reply);
        zc_msg_t msg;
        uint64_t now = zc_node_now ();
        if (body && zc_msg_decode (&msg, zframe_data (body), zframe_size (body), NULL) == 0
        &&  msg.type == ZC_PONG) {
            zc_election_recv (self->election, &msg, now, &self->actions);
            zc_node_run_actions (self, now);
        }
        else
            self->dropped++;
        zmsg_destroy (&reply);
        if (!self->hb_req)
            break;
    }
}

void
zc_node_hb_monitor_recv (zc_node_t *self)
{
    zmsg_t *event = zmsg_recv (self->hb_monitor);
    char *name = event ? zmsg_popstr (event) : NULL;
    if (name && streq (name, "DISCONNECTED")) {
        uint64_t now = zc_node_now ();
        zc_election_leader_down (self->election, now, &self->actions);
        zc_node_run_actions (self, now);
    }
    zstr_free (&name);
    zmsg_destroy (&event);
}

//  Leader side of heartbeats: every PING gets a PONG (REP is strict).
void
zc_node_hb_rep_recv (zc_node_t *self)
{
    for (int budget = 0; budget < 256; budget++) {
        zmsg_t *request = zc_node_recv_nowait (self->hb_rep);
        if (!request)
            break;
        zframe_t *body = zmsg_first (request);
        zc_msg_t ping, pong;
        uint64_t now = zc_node_now ();
        if (body && zc_msg_decode (&ping, zframe_data (body), zframe_size (body), NULL) == 0
        &&  ping.type == ZC_PING)
            zc_election_ping (self->election, &ping, now, &pong);
        else {
            self->dropped++;
            zc_msg_init (&pong, ZC_ERROR);
            zc_msg_set_cstr (&pong, ZF_CODE, ZC_ERR_BAD_REQUEST);
        }
        zmsg_destroy (&request);
        zc_node_send (self->hb_rep, self, &pong, 0);
    }
}
