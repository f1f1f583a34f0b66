/*  client.c — see client.h.

    The sockets and the loop live here; the decisions live in pure
    modules: follow (who leads), pending (what to resend), delivery (what
    to show, what to fetch).  Handlers for what servers send are in
    client_recv.c; this file owns the object, the timers and the sending.
*/
#include "client_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

//  --------------------------------------------------------------------------
//  Sockets

static zsock_t *
s_dealer_new (zc_client_t *self, s_server_t *server)
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
    if (zsock_connect (sock, "%s", endpoint)) {
        zsock_destroy (&sock);
        return NULL;
    }
    (void) self;
    return sock;
}

int
s_dealer_reopen (zc_client_t *self, s_server_t *server)
{
    zsock_destroy (&server->dealer);
    server->dealer = s_dealer_new (self, server);
    server->hello_due = true;
    return server->dealer? 0: -1;
}

void
s_sub_point (zc_client_t *self, s_server_t *server, uint16_t pub_port)
{
    if (pub_port == server->pub_port)
        return;
    char endpoint [ZC_MAX_HOST + 32];
    if (server->pub_port
    &&  zc_servers_endpoint (&server->addr, server->pub_port, endpoint, sizeof (endpoint)) == 0)
        zsock_disconnect (self->sub, "%s", endpoint);
    server->pub_port = 0;
    if (zc_servers_endpoint (&server->addr, pub_port, endpoint, sizeof (endpoint)) == 0
    &&  zsock_connect (self->sub, "%s", endpoint) == 0)
        server->pub_port = pub_port;
    else
        s_log (self, "cannot connect SUB to %s", endpoint);
}

//  Encodes msg and sends it without waiting; -1 if it cannot go now
int
s_send (zc_client_t *self, s_server_t *server, const zc_msg_t *msg)
{
    size_t size = zc_msg_encode (msg, self->buf, sizeof (self->buf));
    if (!size || !server->dealer)
        return -1;
    return zmq_send (zsock_resolve (server->dealer), self->buf, size, ZMQ_DONTWAIT)
           == (int) size? 0: -1;
}

//  --------------------------------------------------------------------------
//  Events

void
s_log (zc_client_t *self, const char *format, ...)
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
s_push (zc_client_t *self, s_item_t *item)
{
    if (zlist_append (self->events, item)) {
        zc_chat_destroy (&item->chat);
        free (item->notice);
        free (item);
    }
}

void
s_notice (zc_client_t *self, const char *format, ...)
{
    s_item_t *item = (s_item_t *) calloc (1, sizeof (*item));
    if (!item)
        return;
    va_list args;
    va_start (args, format);
    item->notice = zsys_vprintf (format, args);
    va_end (args);
    item->ev.type = ZC_EV_NOTICE;
    s_log (self, "%s", item->notice? item->notice: "?");
    s_push (self, item);
}

static bool
s_pop (zc_client_t *self, zc_event_t *ev)
{
    s_item_t *item = (s_item_t *) zlist_pop (self->events);
    if (!item)
        return false;
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
    //  Kept until the next wait, so that ev->text stays valid
    self->shown_chat = item->chat;
    self->shown_notice = item->notice;
    free (item);
    return true;
}

static void
s_release_shown (zc_client_t *self)
{
    zc_chat_destroy (&self->shown_chat);
    free (self->shown_notice);
    self->shown_notice = NULL;
}

//  Moves what delivery releases into the event queue, in order
void
s_drain_delivery (zc_client_t *self)
{
    zc_chat_t *chat;
    while ((chat = zc_delivery_next (self->delivery))) {
        zc_lamport_observe (&self->clock, chat->ts);
        s_item_t *item = (s_item_t *) calloc (1, sizeof (*item));
        if (!item) {
            zc_chat_destroy (&chat);
            continue;
        }
        zc_event_t *ev = &item->ev;
        ev->type = ZC_EV_MESSAGE;
        ev->seq = chat->seq;
        ev->rseq = chat->rseq;
        ev->ts = chat->ts;
        ev->epoch = chat->epoch;
        ev->id = chat->id;
        ev->own = strcmp (chat->client, self->id) == 0;
        memcpy (ev->room, chat->room, sizeof (ev->room));
        memcpy (ev->from, chat->from, sizeof (ev->from));
        memcpy (ev->client, chat->client, sizeof (ev->client));
        item->chat = chat;
        s_push (self, item);
    }
    if (zc_delivery_started (self->delivery) || !zc_delivery_held (self->delivery))
        self->held_since = 0;
}

//  --------------------------------------------------------------------------
//  Leader following

s_server_t *
s_leader_server (zc_client_t *self)
{
    if (!self->follow.leader)
        return NULL;
    for (size_t i = 0; i < self->nservers; i++)
        if (self->servers [i].node == self->follow.leader && self->servers [i].dealer)
            return &self->servers [i];
    return NULL;
}

void
s_hello_all (zc_client_t *self, int64_t now, bool force)
{
    if (!force && now - self->hello_all_at < self->retry_ms)
        return;
    for (size_t i = 0; i < self->nservers; i++)
        self->servers [i].hello_due = true;
    self->hello_all_at = now;
}

//  A new leader, or the same one in a new epoch: everything pending goes
//  to it again, the repair restarts there, and its WELCOME tells us the
//  room's last rseq (a message its predecessor committed but never
//  published shows up as a gap)
static void
s_follow_changed (zc_client_t *self, int64_t now)
{
    zc_pending_rewind (self->pending, now);
    self->fetch_out = false;
    self->busy_at = 0;
    s_server_t *server = s_leader_server (self);
    if (server)
        server->hello_due = true;
    else
        s_hello_all (self, now, true);
    if (self->follow.leader == self->told_leader && self->follow.epoch == self->told_epoch)
        return;
    self->told_leader = self->follow.leader;
    self->told_epoch = self->follow.epoch;
    s_log (self, "leader is node %u (epoch %" PRIu64 ")", self->told_leader, self->told_epoch);
    s_item_t *item = (s_item_t *) calloc (1, sizeof (*item));
    if (item) {
        item->ev.type = ZC_EV_LEADER;
        item->ev.leader = self->told_leader;
        item->ev.epoch = self->told_epoch;
        s_push (self, item);
    }
}

void
s_hint (zc_client_t *self, uint64_t leader, uint64_t epoch, bool first_hand, int64_t now)
{
    if (leader > UINT32_MAX)
        return;
    if (zc_follow_hint (&self->follow, (uint32_t) leader, epoch, first_hand, now))
        s_follow_changed (self, now);
}

void
s_lost (zc_client_t *self, s_server_t *server, const char *why, int64_t now)
{
    if (!zc_follow_lost (&self->follow, server->node, now, self->retry_ms))
        return;
    s_notice (self, "leader %u stopped serving (%s); looking for the new one", server->node, why);
    s_hello_all (self, now, true);
}

//  --------------------------------------------------------------------------
//  Sending and timers

//  Sends what is due: HELLOs, then pending POSTs to the leader in id order.
//  A send that fails (no connection yet, HWM) stops that stream until the
//  socket is writable again, so that order is never broken.
static void
s_pump (zc_client_t *self, int64_t now)
{
    for (size_t i = 0; i < self->nservers; i++) {
        s_server_t *server = &self->servers [i];
        if (!server->hello_due)
            continue;
        zc_msg_t hello;
        zc_msg_init (&hello, ZC_HELLO);
        zc_msg_set_cstr (&hello, ZF_ROOM, self->room);
        if (s_send (self, server, &hello) == 0)
            server->hello_due = false;
    }
    s_server_t *leader = s_leader_server (self);
    if (!leader || self->busy_at)
        return;
    void *handle = zsock_resolve (leader->dealer);
    const zc_post_t *post;
    while ((post = zc_pending_due (self->pending))) {
        if (zmq_send (handle, post->frame, post->size, ZMQ_DONTWAIT) != (int) post->size)
            break;
        zc_pending_sent (self->pending, now);
    }
}

static void
s_fetch (zc_client_t *self, s_server_t *leader, uint64_t last, int64_t now)
{
    zc_msg_t fetch;
    zc_msg_init (&fetch, ZC_FETCH);
    zc_msg_set_u64 (&fetch, ZF_LAST, last);
    zc_msg_set_cstr (&fetch, ZF_ROOM, self->room);
    zc_msg_set_u64 (&fetch, ZF_COUNT, ZC_FETCH_COUNT);
    if (s_send (self, leader, &fetch) == 0)
        s_log (self, "gap before rseq %" PRIu64 ": FETCH after seq %" PRIu64 " from node %u",
               zc_delivery_next_rseq (self->delivery), last, leader->node);
    //  Sent or not, wait retry_ms before asking again unless ENTRIES come
    self->fetch_out = true;
    self->fetch_at = now;
    self->fetch_from = zc_delivery_next_rseq (self->delivery);
}

static int64_t
s_fallback_ms (zc_client_t *self)
{
    int64_t ms = 3 * (int64_t) self->retry_ms;
    return ms < 1000? 1000: ms;
}

static void
s_timers (zc_client_t *self, int64_t now)
{
    if (self->busy_at && now >= self->busy_at) {
        self->busy_at = 0;
        zc_pending_rewind (self->pending, now);
    }
    //  No progress for retry_ms: the leader may be gone or may have lost
    //  what we sent; resend everything and ask every server who leads
    int64_t oldest = zc_pending_oldest (self->pending);
    if (oldest >= 0 && now - oldest >= self->retry_ms
    &&  now - self->last_ack_at >= self->retry_ms) {
        s_log (self, "no ACK for %u ms: resending %zu message(s), leader %u",
               self->retry_ms, zc_pending_size (self->pending), self->follow.leader);
        zc_pending_rewind (self->pending, now);
        s_hello_all (self, now, false);
    }
    s_server_t *leader = s_leader_server (self);
    if (!leader)
        s_hello_all (self, now, false);
    else
    if (now - self->probe_at >= ZC_PROBE_MS) {
        //  The room's last rseq reveals a lost tail that no later message
        //  would reveal; the reply also proves the leader alive
        leader->hello_due = true;
        self->probe_at = now;
    }
    if (!zc_delivery_started (self->delivery) && zc_delivery_held (self->delivery)) {
        if (!self->held_since)
            self->held_since = now;
        else
        if (now - self->held_since >= s_fallback_ms (self)) {
            s_log (self, "no baseline from a leader: starting at the first message held");
            zc_delivery_start (self->delivery);
            s_drain_delivery (self);
        }
    }
    uint64_t last;
    if (!zc_delivery_gap (self->delivery, &last))
        self->fetch_out = false;
    else
    if (leader && (!self->fetch_out || now - self->fetch_at >= self->retry_ms))
        s_fetch (self, leader, last, now);
}

//  Milliseconds until the nearest timer, at most one second
static long
s_next_wake (zc_client_t *self, int64_t now)
{
    int64_t wake = now + 1000;
#define S_AT(t) do { int64_t t_ = (t); if (t_ < wake) wake = t_; } while (0)
    if (self->busy_at)
        S_AT (self->busy_at);
    int64_t oldest = zc_pending_oldest (self->pending);
    if (oldest >= 0)
        S_AT ((oldest > self->last_ack_at? oldest: self->last_ack_at) + self->retry_ms);
    if (!s_leader_server (self))
        S_AT (self->hello_all_at + self->retry_ms);
    else
        S_AT (self->probe_at + ZC_PROBE_MS);
    if (self->held_since)
        S_AT (self->held_since + s_fallback_ms (self));
    if (zc_delivery_gap (self->delivery, NULL))
        S_AT (self->fetch_out? self->fetch_at + self->retry_ms: now);
#undef S_AT
    return wake > now? (long) (wake - now): 0;
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
    self->verbose = cfg->verbose;
    if (s_random_id (self->id))
        return s_fail (err, errlen, "cannot read /dev/urandom%s", "");
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

    self->pending = zc_pending_new ();
    self->delivery = zc_delivery_new (self->room, 0);
    self->events = zlist_new ();
    self->sub = zsock_new (ZMQ_SUB);
    bool ok = self->pending && self->delivery && self->events && self->sub;
    if (ok) {
        zsock_set_linger (self->sub, 0);
        zsock_set_maxmsgsize (self->sub, ZC_MAX_FRAME);
        zsock_set_rcvhwm (self->sub, ZC_SUB_HWM);
        zsock_set_subscribe (self->sub, self->room);
        zsock_set_subscribe (self->sub, ZC_BEACON_TOPIC);
    }
    for (size_t i = 0; ok && i < self->nservers; i++) {
        s_server_t *server = &self->servers [i];
        server->addr = self->addrs [i];
        if (server->addr.host [0] == '[')
            zsock_set_ipv6 (self->sub, 1);
    }
    for (size_t i = 0; ok && i < self->nservers; i++) {
        s_server_t *server = &self->servers [i];
        //  Subscribe first, then HELLO: what is published meanwhile is
        //  buffered by delivery, not missed (zguide's Clone pattern)
        s_sub_point (self, server, (uint16_t) (server->addr.port + ZC_PUB_OFFSET));
        server->dealer = s_dealer_new (self, server);
        server->hello_due = true;
        ok = server->dealer != NULL;
    }
    if (!ok) {
        s_fail (err, errlen, "cannot create sockets: %s", zmq_strerror (errno));
        zc_client_destroy (&self);
        return NULL;
    }
    zc_follow_init (&self->follow);
    int64_t now = zclock_mono ();
    self->hello_all_at = now;
    self->probe_at = now;
    self->last_ack_at = now;
    s_log (self, "client %s, room %s, name %s, %zu server(s)",
           self->id, self->room, self->name, self->nservers);
    s_pump (self, now);
    return self;
}

void
zc_client_destroy (zc_client_t **self_p)
{
    assert (self_p);
    zc_client_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nservers; i++)
        zsock_destroy (&self->servers [i].dealer);
    zsock_destroy (&self->sub);
    s_release_shown (self);
    if (self->events) {
        zc_event_t ev;
        while (s_pop (self, &ev))
            s_release_shown (self);
        zlist_destroy (&self->events);
    }
    zc_pending_destroy (&self->pending);
    zc_delivery_destroy (&self->delivery);
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
    size_t size = zc_msg_encode (&post, self->buf, sizeof (self->buf));
    int64_t now = zclock_mono ();
    if (!size || zc_pending_add (self->pending, id, ts, self->buf, size, now))
        return 0;
    if (zc_pending_size (self->pending) == 1)
        self->last_ack_at = now;    //  the retry clock starts with the first
    self->last_id = id;
    s_pump (self, now);
    if (ts_p)
        *ts_p = ts;
    return id;
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
        int64_t now = zclock_mono ();
        s_timers (self, now);
        s_pump (self, now);
        if (s_pop (self, ev))
            return 1;
        long wait = s_next_wake (self, now);
        if (timeout_ms >= 0) {
            int64_t left = start + timeout_ms - now;
            if (left < wait)
                wait = left > 0? (long) left: 0;
        }
        zmq_pollitem_t items [ZC_MAX_SERVERS + 2];
        s_server_t *leader = s_leader_server (self);
        size_t n = 0;
        for (size_t i = 0; i < self->nservers; i++) {
            s_server_t *server = &self->servers [i];
            bool out = server->hello_due || (server == leader && !self->busy_at
                                             && zc_pending_has_due (self->pending));
            items [n++] = (zmq_pollitem_t) { zsock_resolve (server->dealer), -1,
                                             (short) (ZMQ_POLLIN | (out? ZMQ_POLLOUT: 0)), 0 };
        }
        items [n++] = (zmq_pollitem_t) { zsock_resolve (self->sub), -1, ZMQ_POLLIN, 0 };
        if (extra_fd >= 0)
            items [n++] = (zmq_pollitem_t) { NULL, extra_fd, ZMQ_POLLIN, 0 };
        if (zmq_poll (items, (int) n, wait) < 0)
            return -1;              //  EINTR: a signal for the application
        for (size_t i = 0; i < self->nservers; i++)
            if (items [i].revents & ZMQ_POLLIN)
                s_recv_dealer (self, &self->servers [i]);
        if (items [self->nservers].revents & ZMQ_POLLIN)
            s_recv_sub (self);
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
