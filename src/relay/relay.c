/*  relay.c — see relay.h.  The object, its sockets, the loop and the
    stats; what comes in is handled in relay_recv.c.  What to subscribe,
    what to republish and what to drop are decided in relay_subs.c,
    relay_chain.c, relay_batch.c and, per room, by the client library
    (delivery.c, catchup.c, follow.c).
*/
#include "relay_impl.h"

static int
s_fail (char *err, size_t errlen, const char *format, const char *arg)
{
    snprintf (err, errlen, format, arg);
    return -1;
}

//  Calls fn for each endpoint of a comma-separated list; -1 at the first
//  that fails, with the message in err
static int
s_each (zc_relay_t *self, const char *list, const char *flag,
        int (*fn) (zc_relay_t *, const char *), char *err, size_t errlen)
{
    const char *at = list;
    while (true) {
        const char *comma = strchr (at, ',');
        size_t len = comma? (size_t) (comma - at): strlen (at);
        char endpoint [300];
        if (len == 0 || len >= sizeof (endpoint)) {
            snprintf (err, errlen, "%s: '%s' is not a list of endpoints (tcp://HOST:PORT,...)",
                      flag, list);
            return -1;
        }
        memcpy (endpoint, at, len);
        endpoint [len] = 0;
        if (fn (self, endpoint)) {
            snprintf (err, errlen, "%s: cannot use '%s': %s", flag, endpoint,
                      zmq_strerror (zmq_errno ()));
            return -1;
        }
        if (!comma)
            return 0;
        at = comma + 1;
    }
}

static int
s_bind (zc_relay_t *self, const char *endpoint)
{
    if (strstr (endpoint, "://["))
        zsock_set_ipv6 (self->xpub, 1);
    return zsock_bind (self->xpub, "%s", endpoint) < 0? -1: 0;
}

static int
s_connect_up (zc_relay_t *self, const char *endpoint)
{
    //  libzmq copies CURVE options into each connection at connect time
    if (self->keys)
        zc_client_keys_apply (self->keys, self->up);
    if (strstr (endpoint, "://["))
        zsock_set_ipv6 (self->up, 1);
    return zsock_connect (self->up, "%s", endpoint);
}

//  The listeners' CURVE: a server key pair (DIR/server.cert and its
//  secret), and the clients let in: the certificates of DIR/clients/, the
//  rule of a node's --clients keys, checked by czmq's zauth (a ZAP
//  handler for this process, started before the XPUB binds); with
//  clients_any, any client key (encrypted, not authenticated)
static int
s_serve_keys (zc_relay_t *self, const char *dir, char *err, size_t errlen)
{
    char path [4096];
    if (!self->cfg.clients_any) {
        snprintf (path, sizeof (path), "%s/clients", dir);
        if (!zsys_file_exists (path))
            return s_fail (err, errlen, "--serve-keys: no %s (the client certificates let in,"
                           " as in a node's key folder; --clients any lets every key in)", path);
        self->auth = zactor_new (zauth, NULL);
        if (!self->auth)
            return s_fail (err, errlen, "--serve-keys: cannot start the ZAP handler%s", "");
        if (self->cfg.verbose > 1)
            zstr_sendx (self->auth, "VERBOSE", NULL);
        zstr_sendx (self->auth, "CURVE", path, NULL);
        zsock_wait (self->auth);
    }
    snprintf (path, sizeof (path), "%s/server.cert_secret", dir);
    if (!zsys_file_exists (path))
        return s_fail (err, errlen, "--serve-keys: no %s (the relay's server key pair,"
                       " e.g. the cluster's server.cert)", path);
    snprintf (path, sizeof (path), "%s/server.cert", dir);
    zcert_t *cert = zcert_load (path);
    if (!cert)
        return s_fail (err, errlen, "--serve-keys: cannot read %s", path);
    zcert_apply (cert, self->xpub);
    zsock_set_curve_server (self->xpub, 1);
    zcert_destroy (&cert);
    return 0;
}

static int
s_open_xpub (zc_relay_t *self, char *err, size_t errlen)
{
    self->xpub = zsock_new (ZMQ_XPUB);
    if (!self->xpub)
        return s_fail (err, errlen, "cannot create the XPUB: %s", zmq_strerror (errno));
    zsock_set_linger (self->xpub, 0);
    zsock_set_sndhwm (self->xpub, self->cfg.pub_hwm);
    //  Subscriptions are one short frame each; anything longer is junk.
    //  The bound also holds for the CURVE handshake's commands (a few
    //  hundred bytes): 4 KiB leaves them room
    zsock_set_maxmsgsize (self->xpub, 4096);
    //  Every subscribe, and only the last unsubscribe (relay_subs.h)
    zsock_set_xpub_verbose (self->xpub, 1);
    if (self->cfg.serve_keys && s_serve_keys (self, self->cfg.serve_keys, err, errlen))
        return -1;
    return s_each (self, self->cfg.bind, "--bind", s_bind, err, errlen);
}

static int
s_open_up (zc_relay_t *self, char *err, size_t errlen)
{
    self->up = zsock_new (ZMQ_SUB);
    if (!self->up)
        return s_fail (err, errlen, "cannot create the SUB: %s", zmq_strerror (errno));
    zsock_set_linger (self->up, 0);
    zsock_set_maxmsgsize (self->up, ZC_MAX_FRAME);
    zsock_set_rcvhwm (self->up, ZC_RL_UP_HWM);
    if (self->cfg.upstream)
        return s_each (self, self->cfg.upstream, "--upstream-relay", s_connect_up, err, errlen);
    //  Cluster mode: the beacons of every node's PUB (client port + 1000)
    zc_server_addr_t addrs [ZC_MAX_SERVERS];
    int count = zc_servers_parse (self->cfg.servers, addrs, ZC_MAX_SERVERS, err, errlen);
    for (int i = 0; i < count; i++) {
        char endpoint [ZC_MAX_HOST + 32];
        if (zc_servers_endpoint (&addrs [i], (uint16_t) (addrs [i].port + ZC_PUB_OFFSET),
                                 endpoint, sizeof (endpoint))
        ||  s_connect_up (self, endpoint))
            return s_fail (err, errlen, "cannot connect the beacon SUB to %s", endpoint);
    }
    return count < 0? -1: 0;
}

zc_relay_t *
zc_relay_new (const zc_relay_config_t *cfg, char *err, size_t errlen)
{
    assert (cfg && cfg->stop);
    if (!cfg->bind) {
        s_fail (err, errlen, "--bind is required%s", "");
        return NULL;
    }
    if (!cfg->servers == !cfg->upstream) {
        s_fail (err, errlen, "give either --servers (the cluster) or --upstream-relay%s", "");
        return NULL;
    }
    zc_relay_t *self = (zc_relay_t *) calloc (1, sizeof (*self));
    if (!self) {
        s_fail (err, errlen, "out of memory%s", "");
        return NULL;
    }
    self->cfg = *cfg;
    if (!self->cfg.max_rooms)
        self->cfg.max_rooms = 64;
    if (!self->cfg.pub_hwm)
        self->cfg.pub_hwm = 10000;
    int nservers = 1;
    if (cfg->servers) {
        zc_server_addr_t addrs [ZC_MAX_SERVERS];
        nservers = zc_servers_parse (cfg->servers, addrs, ZC_MAX_SERVERS, err, errlen);
        if (nservers < 0) {
            free (self);
            return NULL;
        }
    }
    //  Each room is a client with a DEALER and a monitor per node and a
    //  SUB: more sockets than czmq's default 1024 allows
    zsys_set_max_sockets (self->cfg.max_rooms * (4 * (size_t) nservers + 4) + 64);
    zsys_init ();
    zsys_handler_set (NULL);        //  the application owns SIGINT/SIGTERM
    if (cfg->keys_dir && !(self->keys = zc_client_keys_load (cfg->keys_dir, err, errlen))) {
        free (self);
        return NULL;
    }
    self->subs = zc_relay_subs_new (0);
    self->chain = cfg->upstream? zc_relay_chain_new (0): NULL;
    self->rooms = (zc_rl_room_t **) calloc (self->cfg.max_rooms, sizeof (zc_rl_room_t *));
    self->items = (zmq_pollitem_t *) calloc (2 + self->cfg.max_rooms * ZC_CLIENT_POLL_ITEMS,
                                             sizeof (zmq_pollitem_t));
    if (!self->subs || (cfg->upstream && !self->chain) || !self->rooms || !self->items) {
        s_fail (err, errlen, "out of memory%s", "");
        zc_relay_destroy (&self);
        return NULL;
    }
    if (s_open_xpub (self, err, errlen) || s_open_up (self, err, errlen)) {
        zc_relay_destroy (&self);
        return NULL;
    }
    self->stats_at = zclock_mono ();
    fprintf (stderr, "chat-relay: serving %s from %s %s, %s upstream, %s listeners\n",
             cfg->bind, cfg->servers? "the cluster": "the relays",
             cfg->servers? cfg->servers: cfg->upstream,
             self->keys? "CURVE": "plaintext", cfg->serve_keys? "CURVE": "plaintext");
    return self;
}

void
zc_relay_destroy (zc_relay_t **self_p)
{
    assert (self_p);
    zc_relay_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->rooms && i < self->nrooms; i++)
        zc_rl_room_destroy (&self->rooms [i]);
    free (self->rooms);
    free (self->items);
    zsock_destroy (&self->xpub);
    zactor_destroy (&self->auth);
    zsock_destroy (&self->up);
    zc_client_keys_destroy (&self->keys);
    zc_relay_subs_destroy (&self->subs);
    zc_relay_chain_destroy (&self->chain);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  The loop

zc_relay_stats_t
zc_relay_stats (zc_relay_t *self)
{
    assert (self);
    zc_relay_stats_t stats = self->stats;
    stats.topics = zc_relay_subs_topics (self->subs);
    stats.rooms = self->nrooms;
    stats.dropped += zc_relay_subs_dropped (self->subs);
    for (size_t i = 0; i < self->nrooms; i++)
        stats.dropped += zc_client_dropped (self->rooms [i]->client);
    if (self->chain) {
        zc_relay_chain_stats_t chain = zc_relay_chain_stats (self->chain);
        stats.maps += chain.maps;
        stats.repeats = chain.repeats;
        stats.gaps = chain.gaps;
        stats.dropped += chain.dropped;
    }
    return stats;
}

void
zc_relay_print_stats (zc_relay_t *self)
{
    assert (self);
    zc_relay_stats_t stats = zc_relay_stats (self);
    char rooms [1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < self->nrooms && used + ZC_MAX_ROOM + 2 < sizeof (rooms); i++)
        used += (size_t) snprintf (rooms + used, sizeof (rooms) - used, "%s%s",
                                   i? ",": "", self->rooms [i]->batch.room);
    fprintf (stderr, "chat-relay: stats topics=%zu rooms=%zu upstream=%s maps=%" PRIu64
             " frames=%" PRIu64 " beacons=%" PRIu64 " repeats=%" PRIu64 " gaps=%" PRIu64
             " dropped=%" PRIu64 "\n", stats.topics, stats.rooms,
             self->chain? "(relays)": used? rooms: "-", stats.maps, stats.frames,
             stats.beacons, stats.repeats, stats.gaps, stats.dropped);
}

int
zc_relay_run (zc_relay_t *self)
{
    assert (self);
    while (!*self->cfg.stop) {
        zmq_pollitem_t *items = self->items;
        size_t n = 0;
        long wait = 1000;
        items [n++] = (zmq_pollitem_t) { zsock_resolve (self->xpub), -1, ZMQ_POLLIN, 0 };
        items [n++] = (zmq_pollitem_t) { zsock_resolve (self->up), -1, ZMQ_POLLIN, 0 };
        for (size_t i = 0; i < self->nrooms; i++) {
            long room_wait;
            self->rooms [i]->at = n;
            n += zc_client_poll_items (self->rooms [i]->client, items + n, &room_wait);
            if (room_wait < wait)
                wait = room_wait;
        }
        int64_t now = zclock_mono ();
        if (self->cfg.stats_ms > 0) {
            int64_t left = self->stats_at + self->cfg.stats_ms - now;
            if (left < wait)
                wait = left > 0? (long) left: 0;
        }
        if (zmq_poll (items, (int) n, wait) < 0) {
            if (errno == EINTR)
                continue;           //  a signal: the loop checks stop
            fprintf (stderr, "chat-relay: poll failed: %s\n", zmq_strerror (errno));
            return -1;
        }
        //  The rooms first: a subscription change below may close one
        for (size_t i = 0; i < self->nrooms; i++) {
            zc_client_poll_done (self->rooms [i]->client, items + self->rooms [i]->at);
            zc_rl_room_drain (self, self->rooms [i]);
        }
        if (items [1].revents & ZMQ_POLLIN)
            zc_rl_recv_up (self);
        if (items [0].revents & ZMQ_POLLIN)
            zc_rl_recv_subs (self);
        now = zclock_mono ();
        if (self->cfg.stats_ms > 0 && now - self->stats_at >= self->cfg.stats_ms) {
            self->stats_at = now;
            zc_relay_print_stats (self);
        }
    }
    return 0;
}
