/*  node_peers.c — peer links, replication traffic, heartbeats.

    Each peer gets one DEALER to its peer ROUTER (P+2000); everything we
    say to a peer goes out on that DEALER and everything peers say to us
    comes in on our ROUTER.  So a DEALER that receives anything is a TCP
    self-connect (a redial on an ephemeral port that met itself): we close
    and reopen it.  Backups ping the leader over a REQ (relaxed, correlated:
    it never sticks after a lost reply) watched by a socket monitor, whose
    DISCONNECTED is the fast path for a crashed leader.  Whether a peer
    message counts is the core's (membership, type, epochs); this checks
    only what the socket knows: the key it came with.  Heartbeat
    priority (docs/DECISIONS.md): the peer side's own I/O thread and TOS,
    and the PINGs answered inside a batch (zc_node_hb_step).
*/
#include "node_impl.h"

#include <errno.h>

static void
s_endpoint (char *out, size_t cap, const char *host, unsigned port)
{
    //  IPv6 literals arrive as "[::1]" or "::1"; ZeroMQ wants brackets.
    if (strchr (host, ':') && host [0] != '[')
        snprintf (out, cap, "tcp://[%s]:%u", host, port);
    else
        snprintf (out, cap, "tcp://%s:%u", host, port);
}

//  Two libzmq I/O threads (node_impl.h, socket priority).  czmq's one
//  context takes its thread count when its first socket is made
//  (zsys_set_io_threads may not be called once sockets exist: it would
//  assert), so this sets it on the context directly, which libzmq honours
//  until then: in chat-node, and in a test whose first socket is a node's.
//  A bind pinned to I/O thread 1 then says whether there is one.
bool
zc_node_io_threads (uint32_t id)
{
    void *ctx = zsys_init ();
    if (ctx && zmq_ctx_get (ctx, ZMQ_IO_THREADS) < ZC_NODE_IO_THREADS)
        zmq_ctx_set (ctx, ZMQ_IO_THREADS, ZC_NODE_IO_THREADS);
    zsock_t *probe = zsock_new (ZMQ_PULL);
    if (!probe)
        return false;
    zsock_set_linger (probe, 0);
    zsock_set_affinity (probe, ZC_NODE_AFFINITY_PEERS);
    bool split = zmq_bind (zsock_resolve (probe), "tcp://127.0.0.1:*") == 0
              || zmq_errno () != EMTHREAD;
    zsock_destroy (&probe);
    if (!split)
        zsys_warning ("node %u: one libzmq I/O thread (the process made sockets before "
                      "the node): peer and client traffic share it", id);
    return split;
}

void
zc_node_peer_priority (zc_node_t *self, zsock_t *sock)
{
    if (self->io_split)
        zsock_set_affinity (sock, ZC_NODE_AFFINITY_PEERS);
    zsock_set_tos (sock, ZC_NODE_TOS_PEERS);
}

//  The options every socket towards a peer gets (the peer links and the
//  heartbeat REQ).  No queueing towards a dead peer: stale ELECTIONs must
//  not arrive seconds later.  EAGAIN then means "not connected yet"; the
//  protocol repeats what matters.  Reads never wait (node.c, s_bind).
static void
s_peer_options (zc_node_t *self, zsock_t *sock, const char *endpoint)
{
    zc_node_peer_priority (self, sock);
    zsock_set_immediate (sock, 1);
    zsock_set_sndtimeo (sock, 0);
    zsock_set_linger (sock, 0);
    zsock_set_rcvtimeo (sock, 0);
    zsock_set_maxmsgsize (sock, ZC_MAX_FRAME);
    zsock_set_reconnect_ivl (sock, 50);
    if (strchr (endpoint, '['))
        zsock_set_ipv6 (sock, 1);
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
    s_peer_options (self, link->dealer, link->endpoint);
    zsock_set_sndhwm (link->dealer, 10000);
    zsock_set_reconnect_ivl_max (link->dealer, 500);
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

void
zc_node_peers_sync (zc_node_t *self)
{
    uint64_t version;
    const zc_members_t *members = zc_core_members (self->core, &version);
    if (version == self->members_version)
        return;
    self->members_version = version;
    for (size_t i = 0; i < members->count; i++) {
        const zc_member_t *member = &members->member [i];
        if (member->id == self->cfg.id || s_link (self, member->id))
            continue;
        if (self->link_count == ZC_MAX_PEERS) {
            zsys_warning ("node %u: no room for a link to node %u", self->cfg.id, member->id);
            continue;
        }
        zc_link_t *link = &self->links [self->link_count];
        memset (link, 0, sizeof *link);
        link->id = member->id;
        s_endpoint (link->endpoint, sizeof link->endpoint, member->host,
                    member->port + ZC_PORT_PEER);
        if (s_link_open (self, link)) {
            zsys_warning ("node %u: cannot connect to new member %u (%s)", self->cfg.id,
                          member->id, link->endpoint);
            zsock_destroy (&link->dealer);
            continue;
        }
        self->link_count++;
        zsys_info ("node %u: linked to new member %u (%s)", self->cfg.id, member->id,
                   link->endpoint);
    }
}

//  The address of a member: the configuration in force's, else --peers
static bool
s_member_addr (zc_node_t *self, uint32_t id, char *host, size_t cap, uint16_t *port)
{
    const zc_member_t *member = zc_members_find (zc_core_members (self->core, NULL), id);
    if (member && member->port > 1) {
        snprintf (host, cap, "%s", member->host);
        *port = member->port;
        return true;
    }
    const zc_peer_addr_t *peer = zc_config_peer (&self->cfg, id);
    if (!peer)
        return false;
    snprintf (host, cap, "%s", peer->host);
    *port = peer->port;
    return true;
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

//  Backup: (re)connect the heartbeat REQ to the leader, then ping.
static void
s_ping_leader (zc_node_t *self, uint32_t leader, const zc_msg_t *ping)
{
    if (self->hb_leader != leader) {
        s_hb_close (self);
        char host [ZC_MEMBERS_HOST_MAX + 1], endpoint [300];
        uint16_t port;
        if (!s_member_addr (self, leader, host, sizeof host, &port))
            return;
        s_endpoint (endpoint, sizeof endpoint, host, port + ZC_PORT_HEARTBEAT);
        self->hb_req = zsock_new (ZMQ_REQ);
        if (!self->hb_req
        ||  (self->security && zc_security_client (self->security, self->hb_req, leader))) {
            s_hb_close (self);
            return;
        }
        zsock_set_req_relaxed (self->hb_req, 1);
        zsock_set_req_correlate (self->hb_req, 1);
        s_peer_options (self, self->hb_req, endpoint);
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

//  Entries first..last as frames 2.., packed back to back up to
//  ZC_MAX_BATCH a frame (docs/PROTOCOL.md §5.5): one frame per entry cost a
//  ZeroMQ message each, and with CURVE one crypto_box each, per backup.
static void
s_send_entries (zc_node_t *self, void *dealer, uint64_t first, uint64_t last)
{
    zc_chatlog_t *log = zc_core_log (self->core);
    size_t used = 0;
    for (uint64_t seq = first; seq <= last; seq++) {
        zc_entry_t *entry = zc_chatlog_get (log, seq);
        if (!entry)
            break;                  //  the core names only entries it holds
        if (used && used + entry->size > ZC_MAX_BATCH) {
            zmq_send (dealer, self->buf, used, ZMQ_DONTWAIT | ZMQ_SNDMORE);
            used = 0;
        }
        memcpy (self->buf + used, entry->data, entry->size);
        used += entry->size;
    }
    zmq_send (dealer, self->buf, used, ZMQ_DONTWAIT);
}

//  The bundle's messages to peers, with the named log entries as frames 2..
void
zc_node_peers_send (zc_node_t *self, const zc_core_send_t *sends, size_t count)
{
    zc_node_peers_sync (self);
    for (size_t i = 0; i < count; i++) {
        const zc_core_send_t *send = &sends [i];
        zc_node_hb_step (self, true);
        if (send->ping) {
            s_ping_leader (self, send->to, &send->msg);
            continue;
        }
        zc_link_t *link = s_link (self, send->to);
        if (!link)
            continue;
        int more = send->first <= send->last ? ZMQ_SNDMORE : 0;
        if (zc_node_send (link->dealer, self, &send->msg, more))
            continue;           //  not connected: the core will repeat
        if (self->cfg.trace)
            zc_node_trace_send (self, send);
        if (more) {
            s_send_entries (self, zsock_resolve (link->dealer), send->first, send->last);
            self->repl_sent += send->last - send->first + 1;
        }
    }
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
    zc_core_count (self->core, ZC_COUNT_FORGED, 1);
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
    for (int budget = 0; budget < 4096; budget++) {
        zmsg_t *frames = zc_node_recv_nowait (self->peer_router);
        if (!frames)
            break;
        zframe_t *identity = zmsg_pop (frames);
        zframe_t *body = zmsg_pop (frames);
        zc_msg_t msg;
        if (body && self->security
        &&  zc_msg_decode (&msg, zframe_data (body), zframe_size (body), NULL) == 0
        &&  zc_msg_has (&msg, ZF_NODE | ZF_EPOCH) && s_forged (self, body, &msg, "peer"))
            ;                       //  counted and logged
        else {
            size_t count = 0;
            for (zframe_t *frame = zmsg_first (frames); frame; frame = zmsg_next (frames)) {
                if (count == ZC_NODE_MAX_FRAMES) {
                    //  No correct sender sends this many: the core reads
                    //  what fits, the sender resends the rest
                    zc_core_count (self->core, ZC_COUNT_DROPPED, 1);
                    break;
                }
                self->frames [count++] = (zc_bytes_t) { zframe_data (frame),
                                                        zframe_size (frame) };
            }
            if (self->cfg.trace && body)
                zc_node_trace_recv (self, zframe_data (body), zframe_size (body));
            zc_core_peer (self->core, body ? zframe_data (body) : NULL,
                          body ? zframe_size (body) : 0, self->frames, count, zc_node_now ());
            //  The replica's answer describes the log as it stands after
            //  this message: executed before the next one
            zc_node_execute (self);
        }
        zframe_destroy (&identity);
        zframe_destroy (&body);
        zmsg_destroy (&frames);
        if (self->failed)
            break;
    }
}

void
zc_node_hb_req_recv (zc_node_t *self)
{
    zmsg_t *reply;
    while ((reply = zc_node_recv_nowait (self->hb_req))) {
        zframe_t *body = zmsg_last (reply);
        zc_core_pong (self->core, body ? zframe_data (body) : NULL, body ? zframe_size (body) : 0,
                      zc_node_now ());
        zmsg_destroy (&reply);
        zc_node_execute (self);
        if (!self->hb_req || self->failed)
            break;
    }
}

void
zc_node_hb_monitor_recv (zc_node_t *self)
{
    zmsg_t *event = zmsg_recv (self->hb_monitor);
    char *name = event ? zmsg_popstr (event) : NULL;
    if (name && streq (name, "DISCONNECTED")) {
        if (self->cfg.trace)
            zc_node_trace_event (self, ZC_TEV_DOWN, self->hb_leader);
        zc_core_leader_down (self->core, zc_node_now ());
        zc_node_execute (self);
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
//  Up to budget of them; how many.
static uint64_t
s_answer_pings (zc_node_t *self, int budget)
{
    uint64_t answered = 0;
    for (; budget > 0; budget--) {
        zmsg_t *request = zc_node_recv_nowait (self->hb_rep);
        if (!request)
            break;
        zframe_t *body = zmsg_first (request);
        zc_msg_t ping;
        bool forged = body && self->security
                   && zc_msg_decode (&ping, zframe_data (body), zframe_size (body), NULL) == 0
                   && ping.type == ZC_PING && s_forged (self, body, &ping, "heartbeat");
        zc_bytes_t pong;
        zc_core_ping (self->core, body ? zframe_data (body) : NULL, body ? zframe_size (body) : 0,
                      forged, zc_node_now (), &pong);
        zmsg_destroy (&request);
        zmq_send (zsock_resolve (self->hb_rep), pong.data, pong.size, ZMQ_DONTWAIT);
        answered++;
    }
    return answered;
}

void
zc_node_hb_rep_recv (zc_node_t *self)
{
    self->pings_wakeup += s_answer_pings (self, 256);
    self->hb_since = 0;
}

//  PINGs answered at one step inside a batch at most: the backups' few,
//  and a bound on what a PING flood takes of a batch
#define S_STEP_PINGS 32

void
zc_node_hb_step (zc_node_t *self, bool in_bundle)
{
    if (++self->hb_since < ZC_NODE_HB_EVERY)
        return;
    self->hb_since = 0;
    //  A PONG speaks of the election state: none while a change of it is
    //  not on disk yet (zc_core_unsaved); the wake-up's drain answers then
    if (!zc_core_unsaved (self->core))
        self->pings_batch += s_answer_pings (self, S_STEP_PINGS);
    //  A PONG from the leader is an event like any other: its bundle joins
    //  the batch's, executed after it.  Never while a bundle is being sent
    //  (its arrays are valid until the next call into the core), and no
    //  peer messages here at all: each needs its bundle executed before
    //  the next (core.h), which would split the batch's group commit.
    if (!in_bundle && self->hb_req) {
        zmsg_t *reply;
        for (int budget = 0; budget < S_STEP_PINGS
                          && (reply = zc_node_recv_nowait (self->hb_req)); budget++) {
            zframe_t *body = zmsg_last (reply);
            zc_core_pong (self->core, body ? zframe_data (body) : NULL,
                          body ? zframe_size (body) : 0, zc_node_now ());
            zmsg_destroy (&reply);
        }
    }
}
