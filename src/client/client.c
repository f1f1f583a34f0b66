/*  client.c — see client.h.

    The object, the public API, the wait loop, the sockets and the event
    queue.  The decisions live in pure modules: follow (who leads), pending
    (what to resend), delivery (what to show, what to fetch).  Leader
    following, sending and timers are in client_lead.c; what servers send
    is handled in client_recv.c.
*/
#include "client_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

//  --------------------------------------------------------------------------
//  Sockets

static zsock_t *
s_dealer_new (zc_client_t *self, zc_cl_server_t *server)
{
    char endpoint [ZC_MAX_HOST + 32];
    if (zc_servers_endpoint (&server->addr, server->addr.port, endpoint, sizeof (endpoint)))
        return NULL;
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock)
        return NULL;
    //  IMMEDIATE: no queueing towards a server that is not connected, so
    //  that no stale POST or HELLO arrives seconds later; a send then fails
    //  with EAGAIN and the message stays pending (ZMQ-NOTES)
    zsock_set_immediate (sock, 1);
    zsock_set_sndtimeo (sock, 0);
    zsock_set_linger (sock, 0);
    zsock_set_maxmsgsize (sock, ZC_MAX_FRAME);
    zsock_set_sndhwm (sock, 10000);
    zsock_set_rcvhwm (sock, 100000);
    if (server->addr.host [0] == '[')
        zsock_set_ipv6 (sock, 1);
    if (self->keys)
        zc_client_keys_apply (self->keys, sock);
    if (zsock_connect (sock, "%s", endpoint)) {
        zsock_destroy (&sock);
        return NULL;
    }
    return sock;
}

//  The DEALER and its monitor, so that a failed handshake is said, not
//  retried in silence (client_monitor.h)
static int
s_dealer_open (zc_client_t *self, zc_cl_server_t *server)
{
    server->dealer = s_dealer_new (self, server);
    if (server->dealer)
        server->monitor = zc_monitor_new (server->dealer);
    return server->dealer? 0: -1;
}

static void
s_dealer_close (zc_cl_server_t *server)
{
    zsock_destroy (&server->dealer);
    zsock_destroy (&server->monitor);
}

int
zc_cl_dealer_reopen (zc_client_t *self, zc_cl_server_t *server)
{
    zc_cl_log (self, "reopening the DEALER to %s:%u", server->addr.host, server->addr.port);
    s_dealer_close (server);
    s_dealer_open (self, server);
    //  No HELLO at once: the timers ask again within retry_ms, so that a
    //  link that keeps failing is not reopened in a tight loop
    server->hello_due = false;
    return server->dealer? 0: -1;
}

void
zc_cl_sub_point (zc_client_t *self, zc_cl_server_t *server, uint16_t pub_port)
{
    if (self->via_relay || pub_port == server->pub_port)
        return;
    char endpoint [ZC_MAX_HOST + 32];
    if (server->pub_port
    &&  zc_servers_endpoint (&server->addr, server->pub_port, endpoint, sizeof (endpoint)) == 0)
        zsock_disconnect (self->sub, "%s", endpoint);
    server->pub_port = 0;
    //  libzmq copies the CURVE options into each connection at connect
    //  time (client_keys.h): set them before every connect of the SUB
    if (self->keys)
        zc_client_keys_apply (self->keys, self->sub);
    if (zc_servers_endpoint (&server->addr, pub_port, endpoint, sizeof (endpoint)) == 0
    &&  zsock_connect (self->sub, "%s", endpoint) == 0)
        server->pub_port = pub_port;
    else
        zc_cl_log (self, "cannot connect SUB to %s", endpoint);
}

void
zc_cl_members_apply (zc_client_t *self)
{
    char *text = self->members_due;
    if (!text)
        return;
    self->members_due = NULL;
    uint32_t ids [ZC_MAX_SERVERS];
    zc_server_addr_t addrs [ZC_MAX_SERVERS];
    int count = zc_servers_parse_members (text, strlen (text), ids, addrs, ZC_MAX_SERVERS);
    free (text);
    if (count <= 0)
        return;
    //  A node id that is no member any more: its server goes (never the
    //  last one, and never one whose id we do not know)
    for (size_t i = 0; i < self->nservers && self->nservers > 1; ) {
        zc_cl_server_t *server = &self->servers [i];
        if (zc_servers_member_kept (server->node, ids, (size_t) count, self->members_drop)) {
            i++;
            continue;
        }
        zc_cl_notice (self, "node %u is no longer a member: no longer using %s:%u",
                      server->node, server->addr.host, server->addr.port);
        char endpoint [ZC_MAX_HOST + 32];
        if (server->pub_port
        &&  zc_servers_endpoint (&server->addr, server->pub_port, endpoint, sizeof (endpoint)) == 0)
            zsock_disconnect (self->sub, "%s", endpoint);
        s_dealer_close (server);
        memmove (server, server + 1, (self->nservers - i - 1) * sizeof (*server));
        self->nservers--;
    }
    //  A member we have no server for (by id, or by address): a new one
    for (int m = 0; m < count && self->nservers < ZC_MAX_SERVERS; m++) {
        bool known = false;
        for (size_t i = 0; i < self->nservers && !known; i++)
            known = self->servers [i].node == ids [m]
                 || (self->servers [i].addr.port == addrs [m].port
                     && strcmp (self->servers [i].addr.host, addrs [m].host) == 0);
        if (known)
            continue;
        zc_cl_server_t *server = &self->servers [self->nservers];
        memset (server, 0, sizeof (*server));
        server->addr = addrs [m];
        if (server->addr.host [0] == '[')
            zsock_set_ipv6 (self->sub, 1);
        zc_cl_sub_point (self, server, (uint16_t) (server->addr.port + ZC_PUB_OFFSET));
        if (s_dealer_open (self, server))
            continue;
        server->hello_due = true;
        self->nservers++;
        zc_cl_notice (self, "node %u joined the cluster: using %s:%u", ids [m],
                      server->addr.host, server->addr.port);
    }
}

//  Encodes msg and sends it without waiting; -1 if it cannot go now
int
zc_cl_send (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg)
{
    size_t size = zc_msg_encode (msg, self->buf, sizeof (self->buf));
    if (!size || !server->dealer)
        return -1;
    return zmq_send (zsock_resolve (server->dealer), self->buf, size, ZMQ_DONTWAIT)
           == (int) size? 0: -1;
}

//  cfg.relay: the SUB connects to these chat-relays ("tcp://...,tcp://...")
//  and to no server's PUB
static int
s_sub_relays (zc_client_t *self, const char *list, char *err, size_t errlen)
{
    const char *at = list;
    while (true) {
        const char *comma = strchr (at, ',');
        size_t len = comma? (size_t) (comma - at): strlen (at);
        char endpoint [ZC_MAX_HOST + 32];
        if (len == 0 || len >= sizeof (endpoint)) {
            snprintf (err, errlen, "--relay: '%s' is not a list of endpoints"
                      " (tcp://HOST:PORT,...)", list);
            return -1;
        }
        memcpy (endpoint, at, len);
        endpoint [len] = 0;
        if (self->keys)
            zc_client_keys_apply (self->keys, self->sub);
        if (strstr (endpoint, "://["))
            zsock_set_ipv6 (self->sub, 1);
        if (zsock_connect (self->sub, "%s", endpoint)) {
            snprintf (err, errlen, "--relay: cannot connect to '%s' (tcp://HOST:PORT)", endpoint);
            return -1;
        }
        if (!comma)
            return 0;
        at = comma + 1;
    }
}

//  --------------------------------------------------------------------------
//  Events

void
zc_cl_log (zc_client_t *self, const char *format, ...)
{
    if (!self->verbose)
        return;
    va_list args;
    va_start (args, format);
    char *line = zsys_vprintf (format, args);
    va_end (args);
    if (line)
        zsys_info ("client: %s", line);
    free (line);
}

void
zc_cl_push (zc_client_t *self, zc_cl_item_t *item)
{
    if (self->ev_count == self->ev_cap) {
        //  Grow, unwrapping the ring into the new array
        size_t cap = self->ev_cap? self->ev_cap * 2: 256;
        zc_cl_item_t *grown = (zc_cl_item_t *) malloc (cap * sizeof (*grown));
        if (!grown) {
            zc_chat_destroy (&item->chat);
            free (item->notice);
            free (item->moved_ts);
            return;
        }
        for (size_t i = 0; i < self->ev_count; i++)
            grown [i] = self->events [(self->ev_head + i) % self->ev_cap];
        free (self->events);
        self->events = grown;
        self->ev_cap = cap;
        self->ev_head = 0;
    }
    self->events [(self->ev_head + self->ev_count) % self->ev_cap] = *item;
    self->ev_count++;
}

void
zc_cl_notice (zc_client_t *self, const char *format, ...)
{
    zc_cl_item_t item_v = { 0 }, *item = &item_v;
    va_list args;
    va_start (args, format);
    item->notice = zsys_vprintf (format, args);
    va_end (args);
    item->ev.type = ZC_EV_NOTICE;
    zc_cl_log (self, "%s", item->notice? item->notice: "?");
    zc_cl_push (self, item);
}

static bool
s_pop (zc_client_t *self, zc_event_t *ev)
{
    if (!self->ev_count)
        return false;
    zc_cl_item_t *item = &self->events [self->ev_head];
    self->ev_head = (self->ev_head + 1) % self->ev_cap;
    self->ev_count--;
    *ev = item->ev;
    if (item->chat) {
        ev->text = item->chat->text;
        ev->text_len = item->chat->text_len;
    }
    else
    if (item->notice) {
        ev->text = item->notice;
        ev->text_len = strlen (item->notice);
    }
    else {
        ev->text = "";
        ev->text_len = 0;
    }
    ev->moved_ts = item->moved_ts;
    if (!ev->moved_ts)
        ev->moved = 0;
    //  Kept until the next wait, so that ev->text stays valid
    self->shown_chat = item->chat;
    self->shown_notice = item->notice;
    self->shown_moved_ts = item->moved_ts;
    return true;
}

static void
s_release_shown (zc_client_t *self)
{
    zc_chat_destroy (&self->shown_chat);
    free (self->shown_notice);
    self->shown_notice = NULL;
    free (self->shown_moved_ts);
    self->shown_moved_ts = NULL;
}

//  ZC_EV_START, once, when delivery knows where it starts
static void
s_push_start (zc_client_t *self)
{
    uint64_t seq;
    if (!zc_delivery_take_start (self->delivery, &seq))
        return;
    zc_cl_item_t item_v = { 0 }, *item = &item_v;
    zc_cl_log (self, "delivery starts after seq %" PRIu64, seq);
    item->ev.type = ZC_EV_START;
    item->ev.seq = seq;
    strcpy (item->ev.room, self->room);
    zc_cl_push (self, item);
}

//  Moves what delivery releases into the event queue, in order
void
zc_cl_drain_delivery (zc_client_t *self)
{
    s_push_start (self);
    zc_chat_t *chat;
    while ((chat = zc_delivery_next (self->delivery))) {
        s_push_start (self);        //  the first one may set it
        zc_lamport_observe (&self->clock, chat->ts);
        zc_cl_item_t item_v, *item = &item_v;
        item->notice = NULL;
        item->moved_ts = NULL;
        zc_event_t *ev = &item->ev;
        ev->type = ZC_EV_MESSAGE;
        ev->seq = chat->seq;
        ev->rseq = chat->rseq;
        ev->ts = chat->ts;
        ev->epoch = chat->epoch;
        ev->id = chat->id;
        ev->own = strcmp (chat->client, self->id) == 0;
        ev->leader = 0;
        ev->lead_epoch = 0;
        ev->moved = 0;
        memcpy (ev->room, chat->room, sizeof (ev->room));
        memcpy (ev->from, chat->from, sizeof (ev->from));
        memcpy (ev->client, chat->client, sizeof (ev->client));
        item->chat = chat;
        zc_cl_push (self, item);
    }
    if (zc_delivery_started (self->delivery) || !zc_delivery_held (self->delivery))
        self->held_since = 0;
}

//  --------------------------------------------------------------------------
//  Public API

static int
s_random_id (char *id)
{
    uint8_t bytes [ZC_CLIENT_ID_LEN / 2];
    int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = read (fd, bytes, sizeof (bytes));
    close (fd);
    if (got != (ssize_t) sizeof (bytes))
        return -1;
    for (size_t i = 0; i < sizeof (bytes); i++)
        sprintf (id + 2 * i, "%02x", bytes [i]);
    return 0;
}

static int
s_fail (char *err, size_t errlen, const char *format, const char *arg)
{
    if (err && errlen)
        snprintf (err, errlen, format, arg);
    return -1;
}

//  Checks the configuration and fills the plain fields
static int
s_configure (zc_client_t *self, const zc_client_config_t *cfg, char *err, size_t errlen)
{
    int count = zc_servers_parse (cfg->servers, self->addrs, ZC_MAX_SERVERS, err, errlen);
    if (count < 0)
        return -1;
    self->nservers = (size_t) count;
    const char *room = cfg->room? cfg->room: "general";
    if (!zc_room_valid (room, strlen (room)))
        return s_fail (err, errlen, "--room: '%s' is not a room name"
                       " (1-64 of A-Z a-z 0-9 _ . -)", room);
    strcpy (self->room, room);
    const char *name = cfg->name;
    if (!name) {
        name = getenv ("USER");
        if (!name || !zc_name_valid (name, strlen (name)))
            name = "anon";
    }
    if (!zc_name_valid (name, strlen (name)))
        return s_fail (err, errlen, "--name: '%s' is not a name"
                       " (1-64 printable bytes)", name);
    strcpy (self->name, name);
    self->retry_ms = cfg->retry_ms? cfg->retry_ms: 300;
    self->history = cfg->history;
    self->verbose = cfg->verbose;
    self->presence = cfg->presence;
    self->post_only = cfg->post_only;
    if (s_random_id (self->id))
        return s_fail (err, errlen, "cannot read /dev/urandom: %s", strerror (errno));
    return 0;
}

zc_client_t *
zc_client_new (const zc_client_config_t *cfg, char *err, size_t errlen)
{
    assert (cfg);
    zc_client_t *self = (zc_client_t *) calloc (1, sizeof (*self));
    if (!self) {
        s_fail (err, errlen, "out of memory%s", "");
        return NULL;
    }
    if (s_configure (self, cfg, err, errlen)) {
        free (self);
        return NULL;
    }
    //  The application owns SIGINT/SIGTERM: disable czmq's handler, which
    //  zsys_init installs (and this restores what was there before)
    zsys_init ();
    zsys_handler_set (NULL);
    if (self->verbose)
        zsys_set_logstream (stderr);

    if (cfg->keys_dir && !(self->keys = zc_client_keys_load (cfg->keys_dir, err, errlen))) {
        free (self);
        return NULL;
    }
    self->pending = zc_pending_new ();
    self->delivery = zc_delivery_new (self->room, 0);
    if (self->delivery)
        zc_delivery_set_history (self->delivery, self->history);

    self->sub = zsock_new (ZMQ_SUB);
    self->via_relay = cfg->relay != NULL;
    bool ok = self->pending && self->delivery && self->sub;
    if (ok) {
        zsock_set_linger (self->sub, 0);
        zsock_set_maxmsgsize (self->sub, ZC_MAX_FRAME);
        zsock_set_rcvhwm (self->sub, ZC_SUB_HWM);
        if (!self->post_only)
            zsock_set_subscribe (self->sub, self->room);
        zsock_set_subscribe (self->sub, ZC_BEACON_TOPIC);
        self->sub_monitor = zc_monitor_new (self->sub);
    }
    for (size_t i = 0; ok && i < self->nservers; i++) {
        zc_cl_server_t *server = &self->servers [i];
        server->addr = self->addrs [i];
        if (server->addr.host [0] == '[')
            zsock_set_ipv6 (self->sub, 1);
    }
    for (size_t i = 0; ok && i < self->nservers; i++) {
        zc_cl_server_t *server = &self->servers [i];
        //  Subscribe first, then HELLO: what is published meanwhile is
        //  buffered by delivery, not missed (zguide's Clone pattern)
        zc_cl_sub_point (self, server, (uint16_t) (server->addr.port + ZC_PUB_OFFSET));
        ok = s_dealer_open (self, server) == 0;
        server->hello_due = true;
    }
    if (!ok) {
        s_fail (err, errlen, "cannot create sockets: %s", zmq_strerror (errno));
        zc_client_destroy (&self);
        return NULL;
    }
    if (cfg->relay && s_sub_relays (self, cfg->relay, err, errlen)) {
        zc_client_destroy (&self);
        return NULL;
    }
    zc_follow_init (&self->follow);
    zc_throttle_init (&self->throttle);
    int64_t now = zclock_mono ();
    self->hello_all_at = now;
    zc_catchup_init (&self->catchup, self->retry_ms, now);
    self->last_ack_at = now;
    zc_cl_log (self, "client %s, room %s, name %s, %zu server(s), %s",
           self->id, self->room, self->name, self->nservers,
           !self->keys? "plaintext"
           : zc_client_keys_ephemeral (self->keys)? "CURVE, ephemeral key": "CURVE");
    zc_cl_pump (self, now);
    return self;
}

void
zc_client_destroy (zc_client_t **self_p)
{
    assert (self_p);
    zc_client_t *self = *self_p;
    if (!self)
        return;
    zc_cl_presence_send (self, false);
    free (self->members_due);
    for (size_t i = 0; i < self->nservers; i++)
        s_dealer_close (&self->servers [i]);
    zsock_destroy (&self->sub);
    zsock_destroy (&self->sub_monitor);
    s_release_shown (self);
    zc_event_t ev;
    while (s_pop (self, &ev))
        s_release_shown (self);
    free (self->events);
    zc_pending_destroy (&self->pending);
    zc_delivery_destroy (&self->delivery);
    zc_client_keys_destroy (&self->keys);
    free (self);
    *self_p = NULL;
}

uint64_t
zc_client_post (zc_client_t *self, const char *text, uint64_t *ts_p)
{
    assert (self && text);
    size_t len = strlen (text);
    if (len > ZC_MAX_TEXT)
        return 0;
    uint64_t id = self->last_id + 1;
    uint64_t ts = zc_lamport_tick (&self->clock);
    zc_msg_t post;
    zc_msg_init (&post, ZC_POST);
    zc_msg_set_cstr (&post, ZF_CLIENT, self->id);
    zc_msg_set_u64 (&post, ZF_ID, id);
    zc_msg_set_u64 (&post, ZF_TS, ts);
    zc_msg_set_cstr (&post, ZF_ROOM, self->room);
    zc_msg_set_cstr (&post, ZF_FROM, self->name);
    zc_msg_set_str (&post, ZF_TEXT, text, len);
    if (self->gap_id == id)
        zc_msg_set_u64 (&post, ZF_EXPECTED, self->gap_expected);
    size_t size = zc_msg_encode (&post, self->buf, sizeof (self->buf));
    int64_t now = zclock_mono ();
    if (!size || zc_pending_add (self->pending, id, ts, self->buf, size, now))
        return 0;
    if (zc_pending_size (self->pending) == 1)
        self->last_ack_at = now;    //  the retry clock starts with the first
    self->last_id = id;
    zc_cl_pump (self, now);
    if (ts_p)
        *ts_p = ts;
    return id;
}

size_t
zc_client_poll_items (zc_client_t *self, zmq_pollitem_t *items, long *wait_ms)
{
    assert (self && items && wait_ms);
    //  Before the items are built: the servers stay as they are until
    //  zc_client_poll_done has read them
    zc_cl_members_apply (self);
    int64_t now = zclock_mono ();
    zc_cl_timers (self, now);
    zc_cl_pump (self, now);
    *wait_ms = self->ev_count? 0: zc_cl_next_wake (self, now);
    zc_cl_server_t *leader = zc_cl_leader_server (self);
    size_t n = 0;
    for (size_t i = 0; i < self->nservers; i++) {
        zc_cl_server_t *server = &self->servers [i];
        //  Writable matters only for what may go now: not while held or
        //  paced without credit (throttle.h), or the poll would spin
        bool out = server->hello_due || (server == leader && !self->busy_at
                                         && zc_pending_has_due (self->pending)
                                         && zc_throttle_may_send (&self->throttle, now));
        short events = (short) (ZMQ_POLLIN | (out? ZMQ_POLLOUT: 0));
        //  A server without a DEALER (reopen failed) polls nothing
        items [n++] = server->dealer
            ? (zmq_pollitem_t) { zsock_resolve (server->dealer), -1, events, 0 }
            : (zmq_pollitem_t) { NULL, -1, 0, 0 };
    }
    items [n++] = (zmq_pollitem_t) { zsock_resolve (self->sub), -1, ZMQ_POLLIN, 0 };
    //  The monitors: a handshake that fails is said at once
    for (size_t i = 0; i < self->nservers; i++) {
        zsock_t *monitor = self->servers [i].monitor;
        items [n++] = (zmq_pollitem_t) { monitor? zsock_resolve (monitor): NULL, -1,
                                         (short) (monitor? ZMQ_POLLIN: 0), 0 };
    }
    items [n++] = (zmq_pollitem_t) { self->sub_monitor? zsock_resolve (self->sub_monitor)
                                                      : NULL, -1,
                                     (short) (self->sub_monitor? ZMQ_POLLIN: 0), 0 };
    return n;
}

void
zc_client_poll_done (zc_client_t *self, const zmq_pollitem_t *items)
{
    assert (self && items);
    size_t monitors = self->nservers + 1;
    for (size_t i = 0; i < self->nservers; i++)
        if ((items [i].revents & ZMQ_POLLIN) && self->servers [i].dealer)
            zc_cl_recv_dealer (self, &self->servers [i]);
    if (items [self->nservers].revents & ZMQ_POLLIN)
        zc_cl_recv_sub (self);
    for (size_t i = 0; i < self->nservers; i++)
        if ((items [monitors + i].revents & ZMQ_POLLIN) && self->servers [i].monitor)
            zc_cl_recv_monitor (self, self->servers [i].monitor, &self->servers [i]);
    if (items [monitors + self->nservers].revents & ZMQ_POLLIN)
        zc_cl_recv_monitor (self, self->sub_monitor, NULL);
}

bool
zc_client_next (zc_client_t *self, zc_event_t *ev)
{
    assert (self && ev);
    s_release_shown (self);
    return s_pop (self, ev);
}

int
zc_client_wait (zc_client_t *self, int timeout_ms, int extra_fd, zc_event_t *ev)
{
    assert (self && ev);
    s_release_shown (self);
    int64_t start = zclock_mono ();
    while (true) {
        if (s_pop (self, ev))
            return 1;
        zmq_pollitem_t items [ZC_CLIENT_POLL_ITEMS + 1];
        long wait;
        size_t n = zc_client_poll_items (self, items, &wait);
        if (s_pop (self, ev))
            return 1;
        if (timeout_ms >= 0) {
            int64_t left = start + timeout_ms - zclock_mono ();
            if (left < wait)
                wait = left > 0? (long) left: 0;
        }
        if (extra_fd >= 0)
            items [n++] = (zmq_pollitem_t) { NULL, extra_fd, ZMQ_POLLIN, 0 };
        if (zmq_poll (items, (int) n, wait) < 0)
            return -1;              //  EINTR: a signal for the application
        zc_client_poll_done (self, items);
        if (extra_fd >= 0 && (items [n - 1].revents & (ZMQ_POLLIN | ZMQ_POLLERR)))
            return s_pop (self, ev)? 1: 2;
        if (timeout_ms >= 0 && zclock_mono () - start >= timeout_ms)
            return s_pop (self, ev)? 1: 0;
    }
}

size_t
zc_client_unacked (zc_client_t *self)
{
    assert (self);
    return zc_pending_size (self->pending);
}

uint32_t
zc_client_leader (zc_client_t *self)
{
    assert (self);
    return self->follow.leader;
}

uint64_t
zc_client_epoch (zc_client_t *self)
{
    assert (self);
    return self->follow.epoch;
}

int64_t
zc_client_leader_heard (zc_client_t *self)
{
    assert (self);
    return self->follow.leader? self->leader_heard_at: 0;
}

bool
zc_client_set_name (zc_client_t *self, const char *name)
{
    assert (self && name);
    if (!zc_name_valid (name, strlen (name)))
        return false;
    strcpy (self->name, name);
    return true;
}

const char *
zc_client_name (zc_client_t *self)
{
    assert (self);
    return self->name;
}

const char *
zc_client_id (zc_client_t *self)
{
    assert (self);
    return self->id;
}

uint64_t
zc_client_lamport (zc_client_t *self)
{
    assert (self);
    return self->clock.time;
}

uint64_t
zc_client_dropped (zc_client_t *self)
{
    assert (self);
    return self->dropped;
}

uint64_t
zc_client_forgotten (zc_client_t *self)
{
    assert (self);
    return self->forgotten;
}

uint64_t
zc_client_refused (zc_client_t *self)
{
    assert (self);
    return self->refused;
}

uint64_t
zc_client_slowed (zc_client_t *self)
{
    assert (self);
    return self->throttle.refusals;
}
