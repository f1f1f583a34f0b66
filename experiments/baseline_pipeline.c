/*  baseline_pipeline.c — the pipeline mode: what a zchat leader does,
    minus replication and storage, as lean as it can be.

        DEALER -> server (ROUTER; decode, stamp, encode; XPUB) -> SUB

    Senders post msgpack POST maps on DEALERs to one server thread, which
    decodes each, stamps it (seq, Lamport ts), re-encodes it as a chat
    map, publishes [room][chat] on an XPUB and ACKs the sender;
    subscribers decode the chat maps.

    The server receives into stack buffers, decodes with a reused msgpack
    zone and encodes into reused sbuffers (no malloc of ours per message),
    and blocks in zmq_recv, which drains libzmq's queue without a poll per
    message.  See baseline.h.
*/
#include "baseline.h"

#include <zmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define ZB_MAX_FRAME    (ZB_MAX_SIZE + 1024)    //  a POST map, with its text

typedef struct {
    const zb_opts_t *opts;
    void *router, *pub;
    pthread_t thread;
    atomic_int stop;
    uint64_t seq, clock, bad;
    msgpack_zone zone;
    msgpack_sbuffer chat, ack;
} zb_server_t;

//  What the server needs of a POST; strings point into the frame
typedef struct {
    const msgpack_object *client, *room, *from, *text;
    uint64_t id, ts;
} zb_post_t;

static zb_server_t s_server;
static void *s_server_ctx;
static char s_router_ep [64], s_pub_ep [64];    //  the server's

//  --------------------------------------------------------------------------
//  msgpack helpers

static bool
s_key_is (const msgpack_object *key, const char *name, size_t len)
{
    return key->type == MSGPACK_OBJECT_STR && key->via.str.size == len
        && memcmp (key->via.str.ptr, name, len) == 0;
}

//  The value of key in a decoded map, or NULL
static const msgpack_object *
s_map_get (const msgpack_object *map, const char *key)
{
    if (map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (s_key_is (&map->via.map.ptr [i].key, key, strlen (key)))
            return &map->via.map.ptr [i].val;
    return NULL;
}

//  Decodes data into obj with zone (strings point into data); false if
//  it is not one msgpack map.  msgpack_unpack, unlike msgpack_unpacked,
//  reuses the caller's zone: no malloc per message.
static bool
s_decode_map (msgpack_zone *zone, const void *data, size_t len, msgpack_object *obj)
{
    size_t off = 0;
    msgpack_zone_clear (zone);
    return msgpack_unpack (data, len, &off, zone, obj) == MSGPACK_UNPACK_SUCCESS
        && obj->type == MSGPACK_OBJECT_MAP;
}

static void
s_pack_str (msgpack_packer *pk, const char *text, size_t len)
{
    msgpack_pack_str_with_body (pk, text, len);
}

#define s_pack_lit(pk, lit) s_pack_str ((pk), (lit), sizeof (lit) - 1)
#define s_pack_obj(pk, o) s_pack_str ((pk), (o)->via.str.ptr, (o)->via.str.size)

//  --------------------------------------------------------------------------
//  The server: ROUTER -> decode, stamp, encode -> XPUB, and the ACK

//  One pass over the map (the server's hot path): 0, or -1 if a field
//  is missing or of the wrong kind
static int
s_post_decode (const msgpack_object *map, zb_post_t *post)
{
    *post = (zb_post_t) { 0 };
    bool is_post = false, has_id = false;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *key = &map->via.map.ptr [i].key;
        const msgpack_object *val = &map->via.map.ptr [i].val;
        bool str = val->type == MSGPACK_OBJECT_STR;
        bool uint = val->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
        if (s_key_is (key, "type", 4))
            is_post = str && val->via.str.size == 4 && memcmp (val->via.str.ptr, "post", 4) == 0;
        else if (s_key_is (key, "id", 2) && uint) {
            post->id = val->via.u64;
            has_id = true;
        }
        else if (s_key_is (key, "ts", 2) && uint)
            post->ts = val->via.u64;
        else if (s_key_is (key, "client", 6) && str)
            post->client = val;
        else if (s_key_is (key, "room", 4) && str)
            post->room = val;
        else if (s_key_is (key, "from", 4) && str)
            post->from = val;
        else if (s_key_is (key, "text", 4) && str)
            post->text = val;
    }
    return is_post && has_id && post->client && post->room && post->from && post->text? 0: -1;
}

//  The chat map, as zchat publishes it (one room: rseq = seq)
static void
s_server_encode_chat (zb_server_t *self, const zb_post_t *post)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear (&self->chat);
    msgpack_packer_init (&pk, &self->chat, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 10);
    s_pack_lit (&pk, "type");   s_pack_lit (&pk, "chat");
    s_pack_lit (&pk, "epoch");  msgpack_pack_uint64 (&pk, 1);
    s_pack_lit (&pk, "seq");    msgpack_pack_uint64 (&pk, self->seq);
    s_pack_lit (&pk, "rseq");   msgpack_pack_uint64 (&pk, self->seq);
    s_pack_lit (&pk, "ts");     msgpack_pack_uint64 (&pk, self->clock);
    s_pack_lit (&pk, "room");   s_pack_obj (&pk, post->room);
    s_pack_lit (&pk, "from");   s_pack_obj (&pk, post->from);
    s_pack_lit (&pk, "client"); s_pack_obj (&pk, post->client);
    s_pack_lit (&pk, "id");     msgpack_pack_uint64 (&pk, post->id);
    s_pack_lit (&pk, "text");   s_pack_obj (&pk, post->text);
}

static void
s_server_encode_ack (zb_server_t *self, const zb_post_t *post)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear (&self->ack);
    msgpack_packer_init (&pk, &self->ack, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
    s_pack_lit (&pk, "type");   s_pack_lit (&pk, "ack");
    s_pack_lit (&pk, "client"); s_pack_obj (&pk, post->client);
    s_pack_lit (&pk, "id");     msgpack_pack_uint64 (&pk, post->id);
    s_pack_lit (&pk, "seq");    msgpack_pack_uint64 (&pk, self->seq);
    s_pack_lit (&pk, "rseq");   msgpack_pack_uint64 (&pk, self->seq);
    s_pack_lit (&pk, "ts");     msgpack_pack_uint64 (&pk, self->clock);
    s_pack_lit (&pk, "epoch");  msgpack_pack_uint64 (&pk, 1);
}

//  Stamp, publish, acknowledge: what the leader does once a POST is
//  committed.  -1 only if the publisher is gone.
static int
s_server_post (zb_server_t *self, const char *id, size_t id_len, const char *frame, size_t len)
{
    msgpack_object map;
    zb_post_t post;
    if (!s_decode_map (&self->zone, frame, len, &map) || s_post_decode (&map, &post)) {
        self->bad++;
        return 0;
    }
    self->seq++;
    self->clock = (post.ts > self->clock? post.ts: self->clock) + 1;
    s_server_encode_chat (self, &post);
    s_server_encode_ack (self, &post);
    if (zb_zmq_send (self->pub, post.room->via.str.ptr, post.room->via.str.size, ZMQ_SNDMORE)
    ||  zb_zmq_send (self->pub, self->chat.data, self->chat.size, 0))
        return -1;
    //  The ROUTER has no HWM: an ACK is never dropped, and never waits
    zmq_send (self->router, id, id_len, ZMQ_SNDMORE);
    zmq_send (self->router, self->ack.data, self->ack.size, 0);
    return 0;
}

//  Blocking zmq_recv takes what libzmq has queued without polling; the
//  receive timeout (100 ms) lets the thread see the stop flag
static void *
s_server_run (void *arg)
{
    zb_server_t *self = arg;
    char id [256], frame [ZB_MAX_FRAME];
    while (!atomic_load (&self->stop)) {
        int id_len = zmq_recv (self->router, id, sizeof (id), 0);
        if (id_len < 0)
            continue;               //  the receive timeout
        int more = 0;
        size_t more_size = sizeof (more);
        zmq_getsockopt (self->router, ZMQ_RCVMORE, &more, &more_size);
        int len = more? zmq_recv (self->router, frame, sizeof (frame), 0): -1;
        if (len < 0 || len > (int) sizeof (frame) || id_len > (int) sizeof (id)) {
            self->bad++;            //  no body, or truncated: dropped
            continue;
        }
        if (s_server_post (self, id, (size_t) id_len, frame, (size_t) len))
            break;
    }
    return NULL;
}

static int
s_server_start (zb_server_t *self, const zb_opts_t *opts, char *err, size_t size)
{
    *self = (zb_server_t) { .opts = opts };
    msgpack_zone_init (&self->zone, 8192);
    msgpack_sbuffer_init (&self->chat);
    msgpack_sbuffer_init (&self->ack);
    self->router = zb_zmq_socket (s_server_ctx, ZMQ_ROUTER, 0, 0);
    size_t len = sizeof (s_router_ep);
    if (!self->router || zb_zmq_int (self->router, ZMQ_RCVTIMEO, 100)
    ||  zmq_bind (self->router, "tcp://127.0.0.1:*")
    ||  zmq_getsockopt (self->router, ZMQ_LAST_ENDPOINT, s_router_ep, &len)
    ||  !(self->pub = zb_zmq_publisher (s_server_ctx, opts, s_pub_ep, sizeof (s_pub_ep)))) {
        snprintf (err, size, "pipeline server: cannot bind on 127.0.0.1: %s",
                  zmq_strerror (errno));
        return -1;
    }
    return pthread_create (&self->thread, NULL, s_server_run, self)? -1: 0;
}

static void
s_server_stop (zb_server_t *self)
{
    atomic_store (&self->stop, 1);
    pthread_join (self->thread, NULL);
    if (self->bad)
        fprintf (stderr, "zchat-baseline: pipeline server: %" PRIu64 " bad POSTs\n", self->bad);
    zmq_close (self->router);
    zmq_close (self->pub);
    msgpack_zone_destroy (&self->zone);
    msgpack_sbuffer_destroy (&self->chat);
    msgpack_sbuffer_destroy (&self->ack);
}

static int
s_pipeline_start (const zb_opts_t *opts, char *err, size_t size)
{
    zb_zmq_start (opts, err, size);
    //  The server shares the clients' I/O thread: a context of its own
    //  (as a separate process would have) cost 10-15 % more CPU per
    //  message here, with more thread wake-ups on 2 cores
    s_server_ctx = zb_zmq_ctx;
    return s_server_start (&s_server, opts, err, size);
}

//  After the clients' sockets are closed
static void
s_pipeline_stop (void)
{
    s_server_stop (&s_server);
    zb_zmq_stop ();
}

//  --------------------------------------------------------------------------
//  The clients: senders on DEALERs, subscribers on SUBs

static int
s_pipeline_sender_open (zb_sender_t *self, char *err, size_t size)
{
    snprintf (self->client, sizeof (self->client), "%032x", self->index + 1);
    msgpack_sbuffer_init (&self->sbuf);
    self->zoned = msgpack_zone_init (&self->zone, 4096);
    self->sock = zb_zmq_socket (zb_zmq_ctx, ZMQ_DEALER, 0, 0);
    if (!self->sock || zmq_connect (self->sock, s_router_ep)) {
        snprintf (err, size, "cannot connect to %s: %s", s_router_ep, zmq_strerror (errno));
        return -1;
    }
    return 0;
}

static int
s_pipeline_post (zb_sender_t *self, uint64_t n, const char *text, size_t len)
{
    const char *room = self->opts->room;
    msgpack_packer pk;
    msgpack_sbuffer_clear (&self->sbuf);
    msgpack_packer_init (&pk, &self->sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
    s_pack_lit (&pk, "type");   s_pack_lit (&pk, "post");
    s_pack_lit (&pk, "client"); s_pack_str (&pk, self->client, 32);
    s_pack_lit (&pk, "id");     msgpack_pack_uint64 (&pk, n);
    s_pack_lit (&pk, "ts");     msgpack_pack_uint64 (&pk, self->clock);
    s_pack_lit (&pk, "room");   s_pack_str (&pk, room, strlen (room));
    s_pack_lit (&pk, "from");   s_pack_lit (&pk, "zb-sender");
    s_pack_lit (&pk, "text");   s_pack_str (&pk, text, len);
    return zb_zmq_send (self->sock, self->sbuf.data, self->sbuf.size, 0);
}

static void
s_pipeline_ack (zb_sender_t *self, const void *data, size_t len)
{
    msgpack_object map;
    if (!s_decode_map (&self->zone, data, len, &map))
        return;
    const msgpack_object *id = s_map_get (&map, "id");
    const msgpack_object *ts = s_map_get (&map, "ts");
    if (ts && ts->type == MSGPACK_OBJECT_POSITIVE_INTEGER && ts->via.u64 > self->clock)
        self->clock = ts->via.u64;
    if (id && id->type == MSGPACK_OBJECT_POSITIVE_INTEGER && id->via.u64 > 0) {
        zb_sender_ack (self, id->via.u64);
        self->confirmed++;
    }
}

static int
s_pipeline_input (zb_sender_t *self)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int rc = 0;
    while ((rc = zmq_msg_recv (&msg, self->sock, ZMQ_DONTWAIT)) >= 0)
        s_pipeline_ack (self, zmq_msg_data (&msg), zmq_msg_size (&msg));
    int error = errno;
    zmq_msg_close (&msg);
    return error == EAGAIN || error == EINTR? 0: -1;
}

static int
s_pipeline_sub_open (zb_sub_t *self, char *err, size_t size)
{
    self->zoned = msgpack_zone_init (&self->zone, 4096);
    self->sock = zb_zmq_subscriber (self->opts, self->opts->room);
    if (!self->sock || zmq_connect (self->sock, s_pub_ep)) {
        snprintf (err, size, "cannot connect to %s: %s", s_pub_ep, zmq_strerror (errno));
        return -1;
    }
    return 0;
}

//  [room][chat]: the topic must be the room exactly (SUB matches prefixes)
static void
s_pipeline_chat (zb_sub_t *self, zmq_msg_t *topic, zmq_msg_t *body)
{
    const char *room = self->opts->room;
    msgpack_object map;
    const msgpack_object *text = NULL;
    if (zmq_msg_size (topic) == strlen (room)
    &&  memcmp (zmq_msg_data (topic), room, strlen (room)) == 0
    &&  s_decode_map (&self->zone, zmq_msg_data (body), zmq_msg_size (body), &map))
        text = s_map_get (&map, "text");
    if (text && text->type == MSGPACK_OBJECT_STR)
        zb_sub_payload (self, text->via.str.ptr, text->via.str.size);
    else
        self->foreign++;
}

static int
s_pipeline_sub_input (zb_sub_t *self)
{
    zmq_msg_t topic, body;
    zmq_msg_init (&topic);
    zmq_msg_init (&body);
    for (int i = 0; i < ZB_BATCH; i++) {
        if (zmq_msg_recv (&topic, self->sock, i? ZMQ_DONTWAIT: 0) < 0)
            break;
        //  The frames of a message arrive together: no wait for the body
        if (!zmq_msg_more (&topic) || zmq_msg_recv (&body, self->sock, 0) < 0)
            self->foreign++;
        else
            s_pipeline_chat (self, &topic, &body);
    }
    zmq_msg_close (&topic);
    zmq_msg_close (&body);
    return 0;
}

const zb_ops_t zb_pipeline_ops = {
    "pipeline", true, NULL, s_pipeline_sender_open, s_pipeline_post, zb_no_flush,
    s_pipeline_input, NULL, s_pipeline_sub_open, s_pipeline_sub_input,
    s_pipeline_start, s_pipeline_stop, NULL, NULL
};
