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
s_link_open (zc_node_t *self, zc_link_t *link)
{
    link->dealer = zsock_new (ZMQ_DEALER);
    if (!link->dealer)
        return -1;
    //  CURVE client of the peer's node key (docs/PROTOCOL.md §8); a
    //  failed handshake is logged by the watcher, never a silent hang.
    if (self->security && zc_security_client (self->security, link->dealer, link->id))
        return -1;
    char label [400], key [64];
    snprintf (label, sizeof label, "node %u: peer %u (%s)", self->cfg.id, link->id,
              link->endpoint);
    snprintf (key, sizeof key, "nodes/%u.cert", link->id);
    zc_watcher_add (self->watcher, link->dealer,
                    ZC_WATCH_CONNECT | (self->security ? ZC_WATCH_CURVE : 0), label, key);
    //  No queueing towards a dead peer: stale ELECTIONs must not arrive
    //  seconds later.  EAGAIN then means "not connected yet"; the protocol
    //  repeats what matters.
    zsock_set_immediate (link->dealer, 1);
    zsock_set_sndtimeo (link->dealer, 0);
    zsock_set_linger (link->dealer, 0);
    zsock_set_rcvtimeo (link->dealer, 0);   //  reads never wait (node.c, s_bind)
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
        if (s_link_open (self, link)) {
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
    s_link_open (self, link);
}

//  Log traffic goes to the replica, with the entry frames that came along.
static void
s_to_replica (zc_node_t *self, const zc_msg_t *msg, zmsg_t *frames, uint64_t now)
{
    //  Each entry frame holds one chat map or several back to back
    //  (docs/PROTOCOL.md §5.5): one blob per map.  What does not decode
    //  goes on as one blob, for the replica to refuse and count.
    enum { MAX_BLOBS = 4096 };
    static zc_blob_t blobs [MAX_BLOBS];
    size_t count = 0;
    for (zframe_t *frame = zmsg_first (frames); frame && count < MAX_BLOBS;
         frame = zmsg_next (frames)) {
        const uint8_t *data = zframe_data (frame);
        size_t size = zframe_size (frame), offset = 0;
        do {
            size_t start = offset;
            zc_msg_t entry;
            if (zc_msg_decode_next (&entry, data, size, &offset, NULL)) {
                blobs [count++] = (zc_blob_t) { data + start, size - start };
                break;
            }
            blobs [count++] = (zc_blob_t) { data + start, offset - start };
        } while (offset < size && count < MAX_BLOBS);
    }
    zc_replica_recv (self->replica, msg, blobs, count, now, &self->ractions);
    zc_node_run_ractions (self, now);
    if (msg->type == ZC_APPEND_ACK)
        zc_election_peer_progress (self->election, (uint32_t) msg->node,
                                   zc_replica_match (self->replica, (uint32_t) msg->node));
    zc_node_log_changed (self);
}

//  With security on, a message speaks for msg->node only if it came with
//  that node's key (User-Id "node:ID", set by our ZAP handler): a valid
//  member key cannot vote, claim or append in another member's name.
static bool
s_forged (zc_node_t *self, zframe_t *body, const zc_msg_t *msg, const char *port)
{
    if (!self->security)
        return false;
    const char *user_id = zframe_meta (body, "User-Id");
    if (zc_security_speaks_for (user_id, msg->node))
        return false;
    self->forged_uid++;
    char key [96];
    snprintf (key, sizeof key, "forged %s", user_id ? user_id : "-");
    zc_security_note (self->security, key, "node %u: dropped a peer message (%s) on the "
                      "%s port in node %llu's name, sent with the key of %s: a key speaks "
                      "only for its own node", self->cfg.id, zc_type_name (msg->type), port,
                      (unsigned long long) msg->node, user_id ? user_id : "no one");
    return true;
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
        if (s_forged (self, body, &msg, "peer"))
            ;                       //  counted and logged
        else
        if (msg.node == self->cfg.id) {
            //  Our own words: a self-connected link of ours.  Which one
            //  does not matter: the DEALER side sees it too and reopens.
            self->dropped++;
        }
        else
        if (!zc_config_peer (&self->cfg, (uint32_t) msg.node) || msg.type < ZC_ELECTION
        ||  msg.type == ZC_PING || msg.type == ZC_PONG) {
            self->dropped++;        //  not a member, or not a peer message
        }
        else {
            zc_election_recv (self->election, &msg, now, &self->actions);
            zc_node_run_actions (self, now);
            if (msg.mh == mh && (msg.type == ZC_APPEND || msg.type == ZC_APPEND_ACK
                             ||  msg.type == ZC_LOG_FETCH || msg.type == ZC_LOG_ENTRIES))
                s_to_replica (self, &msg, frames, now);
        }
        zframe_destroy (&identity);
        zframe_destroy (&body);
        zmsg_destroy (&frames);
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
        if (self->security && zc_security_client (self->security, self->hb_req, leader)) {
            s_hb_close (self);
            return;
        }
        zsock_set_req_relaxed (self->hb_req, 1);
        zsock_set_req_correlate (self->hb_req, 1);
        zsock_set_immediate (self->hb_req, 1);
        zsock_set_sndtimeo (self->hb_req, 0);
        zsock_set_linger (self->hb_req, 0);
        zsock_set_rcvtimeo (self->hb_req, 0);
        zsock_set_maxmsgsize (self->hb_req, ZC_MAX_FRAME);
        zsock_set_reconnect_ivl (self->hb_req, 50);
        if (strchr (endpoint, '['))
            zsock_set_ipv6 (self->hb_req, 1);
        self->hb_monitor = zactor_new (zmonitor, self->hb_req);
        //  One monitor per socket (libzmq): the handshake failures come
        //  here too, and zc_node_hb_monitor_recv explains them.
        zstr_sendx (self->hb_monitor, "LISTEN", "DISCONNECTED", ZC_HANDSHAKE_EVENTS, NULL);
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
    else
    if (name) {
        char *value = zmsg_popstr (event);
        char *address = zmsg_popstr (event);
        char label [400], key [64], line [600];
        snprintf (label, sizeof label, "node %u: heartbeat to leader %u (%s)", self->cfg.id,
                  self->hb_leader, address ? address : "?");
        snprintf (key, sizeof key, "nodes/%u.cert", self->hb_leader);
        int flags = ZC_WATCH_CONNECT | (self->security ? ZC_WATCH_CURVE : 0);
        int code = value ? atoi (value) : 0;
        if (zc_security_explain (flags, label, key, name, code, line, sizeof line)) {
            char ratekey [96];
            snprintf (ratekey, sizeof ratekey, "hb %u %s %d", self->hb_leader, name, code);
            zc_ratelog_warn (&self->hb_log, ratekey, "%s", line);
        }
        zstr_free (&value);
        zstr_free (&address);
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
        bool valid = body && zc_msg_decode (&ping, zframe_data (body), zframe_size (body),
                                            NULL) == 0 && ping.type == ZC_PING;
        if (valid && !s_forged (self, body, &ping, "heartbeat"))
            zc_election_ping (self->election, &ping, now, &pong);
        else {
            if (!valid)
                self->dropped++;    //  a forged PING is counted as forged
            zc_msg_init (&pong, ZC_ERROR);
            zc_msg_set_cstr (&pong, ZF_CODE, ZC_ERR_BAD_REQUEST);
        }
        zmsg_destroy (&request);
        zc_node_send (self->hb_rep, self, &pong, 0);
    }
}
