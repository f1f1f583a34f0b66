/*  relay_recv.c — what reaches a relay and what it sends on: the
    listeners' subscriptions (XPUB), the upstream SUB's publications, the
    rooms' deliveries; see relay.h.
*/
#include "relay_impl.h"

void
zc_rl_room_destroy (zc_rl_room_t **room_p)
{
    if (!*room_p)
        return;
    zc_client_destroy (&(*room_p)->client);
    free (*room_p);
    *room_p = NULL;
}

//  --------------------------------------------------------------------------
//  Publishing

static void
s_publish (zc_relay_t *self, const char *topic, size_t len, const void *body, size_t size)
{
    void *handle = zsock_resolve (self->xpub);
    //  An XPUB never blocks: a listener at its HWM loses the frame (and
    //  repairs by FETCH, as from a node's PUB)
    if (zmq_send (handle, topic, len, ZMQ_SNDMORE | ZMQ_DONTWAIT) == (int) len
    &&  zmq_send (handle, body, size, ZMQ_DONTWAIT) == (int) size)
        self->stats.frames++;
}

static void
s_room_flush (zc_relay_t *self, zc_rl_room_t *room)
{
    if (!room->batch.count)
        return;
    s_publish (self, room->batch.room, strlen (room->batch.room), room->batch.buf,
               room->batch.size);
    self->stats.maps += room->batch.count;
    room->maps += room->batch.count;
    zc_relay_batch_reset (&room->batch);
}

void
zc_rl_room_drain (zc_relay_t *self, zc_rl_room_t *room)
{
    zc_event_t ev;
    while (zc_client_next (room->client, &ev)) {
        if (ev.type == ZC_EV_MESSAGE) {
            int rc = zc_relay_batch_add (&room->batch, &ev);
            if (rc == 1) {
                s_room_flush (self, room);
                rc = zc_relay_batch_add (&room->batch, &ev);
            }
            if (rc)
                self->stats.dropped++;
        }
        else
        if (ev.type == ZC_EV_NOTICE)
            fprintf (stderr, "chat-relay: room %s: %s\n", room->batch.room, ev.text);
        else
        if (ev.type == ZC_EV_LEADER)
            fprintf (stderr, "chat-relay: room %s: leader is node %u (epoch %" PRIu64 ")\n",
                     room->batch.room, ev.leader, ev.epoch);
        else
        if (ev.type == ZC_EV_START)
            fprintf (stderr, "chat-relay: room %s: delivery starts after seq %" PRIu64 "\n",
                     room->batch.room, ev.seq);
    }
    s_room_flush (self, room);
}

//  --------------------------------------------------------------------------
//  Subscriptions

static zc_rl_room_t **
s_room_find (zc_relay_t *self, const char *name)
{
    for (size_t i = 0; i < self->nrooms; i++)
        if (strcmp (self->rooms [i]->batch.room, name) == 0)
            return &self->rooms [i];
    return NULL;
}

static void
s_room_open (zc_relay_t *self, const char *name)
{
    if (s_room_find (self, name))
        return;
    if (self->nrooms == self->cfg.max_rooms) {
        self->stats.dropped++;
        fprintf (stderr, "chat-relay: room %s: not served, %zu rooms already (--max-rooms)\n",
                 name, self->nrooms);
        return;
    }
    zc_rl_room_t *room = (zc_rl_room_t *) calloc (1, sizeof (*room));
    zc_client_config_t cfg = {
        .servers = self->cfg.servers, .room = name, .name = "chat-relay",
        .retry_ms = self->cfg.retry_ms, .verbose = self->cfg.verbose > 1,
        .keys_dir = self->cfg.keys_dir
    };
    char err [512] = "out of memory";
    if (room)
        room->client = zc_client_new (&cfg, err, sizeof (err));
    if (!room || !room->client) {
        self->stats.dropped++;
        fprintf (stderr, "chat-relay: room %s: cannot subscribe upstream: %s\n", name, err);
        free (room);
        return;
    }
    zc_relay_batch_init (&room->batch, name);
    self->rooms [self->nrooms++] = room;
    fprintf (stderr, "chat-relay: room %s: subscribed upstream (first listener)\n", name);
}

static void
s_room_close (zc_relay_t *self, const char *name)
{
    zc_rl_room_t **slot = s_room_find (self, name);
    if (!slot)
        return;
    fprintf (stderr, "chat-relay: room %s: unsubscribed upstream (last listener gone),"
             " %" PRIu64 " messages relayed\n", name, (*slot)->maps);
    zc_rl_room_destroy (slot);
    *slot = self->rooms [--self->nrooms];
    self->rooms [self->nrooms] = NULL;
    //  A slot is free: rooms refused before (--max-rooms, or no
    //  descriptors) that listeners still hold get another try
    size_t len;
    const char *held;
    for (size_t i = 0; self->nrooms < self->cfg.max_rooms
                       && (held = zc_relay_subs_topic_at (self->subs, i, &len)); i++)
        if (zc_relay_topic_kind (held, len) == ZC_TOPIC_ROOM && strcmp (held, name) != 0
        &&  !s_room_find (self, held))
            s_room_open (self, held);
}

static void
s_on_topic (zc_relay_t *self, zc_subs_action_t action, const char *topic, size_t len)
{
    bool on = action == ZC_SUBS_SUBSCRIBE;
    zc_topic_kind_t kind = zc_relay_topic_kind (topic, len);
    if (self->chain) {
        //  Chained: every topic goes upstream as it is (an XSUB would)
        if (on)
            zsock_set_subscribe (self->up, topic);
        else {
            zsock_set_unsubscribe (self->up, topic);
            if (kind == ZC_TOPIC_ROOM)
                zc_relay_chain_forget (self->chain, topic, len);
        }
        fprintf (stderr, "chat-relay: topic '%s': %s upstream\n", topic,
                 on? "subscribed": "unsubscribed");
        return;
    }
    if (kind == ZC_TOPIC_ROOM) {
        if (on)
            s_room_open (self, topic);
        else
            s_room_close (self, topic);
    }
    else
    if (kind == ZC_TOPIC_BEACON) {
        if (on && self->beacon_topics++ == 0)
            zsock_set_subscribe (self->up, ZC_BEACON_TOPIC);
        if (!on && --self->beacon_topics == 0)
            zsock_set_unsubscribe (self->up, ZC_BEACON_TOPIC);
    }
    else
    if (on)
        fprintf (stderr, "chat-relay: topic '%s' is neither a room nor a prefix of %s:"
                 " nothing to serve\n", topic, ZC_BEACON_TOPIC);
}

void
zc_rl_recv_subs (zc_relay_t *self)
{
    void *handle = zsock_resolve (self->xpub);
    for (int count = 0; count < ZC_RL_BATCH; count++) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&frame);
            return;
        }
        char topic [ZC_MAX_ROOM + 1];
        size_t len = 0;
        zc_subs_action_t action = zmq_msg_more (&frame)? ZC_SUBS_DROP
            : zc_relay_subs_frame (self->subs, zmq_msg_data (&frame), zmq_msg_size (&frame),
                                   topic, &len);
        if (zmq_msg_more (&frame)) {
            self->stats.dropped++;  //  a multi-frame message: no subscription
            int more = 1;
            while (more) {
                zmq_msg_t rest;
                zmq_msg_init (&rest);
                more = zmq_msg_recv (&rest, handle, ZMQ_DONTWAIT) >= 0 && zmq_msg_more (&rest);
                zmq_msg_close (&rest);
            }
        }
        if (self->cfg.verbose && (action == ZC_SUBS_SUBSCRIBE || action == ZC_SUBS_NONE)) {
            //  Every listener's subscribe, with how many the topic got
            const uint8_t *data = zmq_msg_data (&frame);
            size_t size = zmq_msg_size (&frame);
            fprintf (stderr, "chat-relay: a listener subscribed to '%.*s' (%zu now)\n",
                     (int) (size - 1), (const char *) data + 1,
                     zc_relay_subs_count (self->subs, (const char *) data + 1, size - 1));
        }
        zmq_msg_close (&frame);
        if (action == ZC_SUBS_SUBSCRIBE || action == ZC_SUBS_UNSUBSCRIBE)
            s_on_topic (self, action, topic, len);
    }
}

//  --------------------------------------------------------------------------
//  Upstream SUB: beacons (both modes), rooms (chained)

static bool
s_beacon_ok (const uint8_t *data, size_t size)
{
    size_t offset = 0;
    zc_msg_t msg;
    while (offset < size)
        if (zc_msg_decode_next (&msg, data, size, &offset, NULL) || msg.type != ZC_BEACON)
            return false;
    return size > 0;
}

static void
s_on_up (zc_relay_t *self, zmq_msg_t *topic, zmq_msg_t *body)
{
    const char *name = (const char *) zmq_msg_data (topic);
    size_t len = zmq_msg_size (topic);
    const uint8_t *data = zmq_msg_data (body);
    size_t size = zmq_msg_size (body);
    if (len == strlen (ZC_BEACON_TOPIC) && memcmp (name, ZC_BEACON_TOPIC, len) == 0) {
        if (!s_beacon_ok (data, size)) {
            self->stats.dropped++;
            return;
        }
        s_publish (self, name, len, data, size);
        self->stats.beacons++;
        return;
    }
    if (!self->chain) {
        self->stats.dropped++;      //  the beacon SUB holds no room
        return;
    }
    size_t out = zc_relay_chain_frame (self->chain, name, len, data, size, self->out,
                                       sizeof (self->out));
    if (out)
        s_publish (self, name, len, self->out, out);
}

void
zc_rl_recv_up (zc_relay_t *self)
{
    void *handle = zsock_resolve (self->up);
    for (int count = 0; count < ZC_RL_BATCH; count++) {
        zmq_msg_t topic, body;
        zmq_msg_init (&topic);
        if (zmq_msg_recv (&topic, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&topic);
            return;
        }
        bool two = false;
        zmq_msg_init (&body);
        if (zmq_msg_more (&topic) && zmq_msg_recv (&body, handle, ZMQ_DONTWAIT) >= 0) {
            two = !zmq_msg_more (&body);
            int more = zmq_msg_more (&body);
            while (more) {          //  extra frames: not the contract
                zmq_msg_t rest;
                zmq_msg_init (&rest);
                more = zmq_msg_recv (&rest, handle, ZMQ_DONTWAIT) >= 0 && zmq_msg_more (&rest);
                zmq_msg_close (&rest);
            }
        }
        if (two)
            s_on_up (self, &topic, &body);
        else
            self->stats.dropped++;
        zmq_msg_close (&body);
        zmq_msg_close (&topic);
    }
}
