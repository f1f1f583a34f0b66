/*  node_client.c — the client ROUTER and the PUB: requests in, replies
    and publications out.  What a request means is the core's
    (core_client.c); this reads frames within a budget and sends what the
    bundle says, never blocking the loop.
*/
#include "node_impl.h"

//  Frames of a multi-frame request read per call: a request of 4000
//  frames costs 63 wake-up turns of this, not one long stall (libzmq
//  holds the whole message already; ZMQ_MAXMSGSIZE bounds each frame).
#define S_SKIP_FRAMES 64

//  Drops what is left of a multi-frame message, at most S_SKIP_FRAMES
//  frames of it; the next call goes on where this one stopped.
static void
s_skip_rest (void *router)
{
    for (int frames = 0; frames < S_SKIP_FRAMES && zsock_rcvmore (router); frames++) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        int rc = zmq_msg_recv (&part, router, ZMQ_DONTWAIT);
        zmq_msg_close (&part);
        if (rc < 0)
            break;
    }
}

//  Draining S_SKIP_FRAMES frames costs this much of a wake-up's budget of
//  requests: at most 1024 / 8 * 64 = 8192 frames of junk per wake-up.
#define S_SKIP_COST 8

//  One request: [identity][body].  What it cost of the wake-up's budget
//  (1 for a request), or -1 when nothing is queued.
static int
s_recv_one (zc_node_t *self, void *router)
{
    if (zsock_rcvmore (router)) {
        //  Still in a multi-frame request that an earlier call cut short
        s_skip_rest (router);
        return S_SKIP_COST;
    }
    zmq_msg_t head, body;
    zmq_msg_init (&head);
    if (zmq_msg_recv (&head, router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&head);
        return -1;
    }
    uint8_t ident [255];
    size_t ident_len = zmq_msg_size (&head) <= sizeof ident ? zmq_msg_size (&head) : 0;
    memcpy (ident, zmq_msg_data (&head), ident_len);
    bool more = zmq_msg_more (&head);
    zmq_msg_close (&head);
    if (!more) {                //  a ROUTER always prefixes the identity
        zc_core_count (self->core, ZC_COUNT_DROPPED, 1);
        return 1;
    }
    zmq_msg_init (&body);
    if (zmq_msg_recv (&body, router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&body);
        return 1;
    }
    uint64_t now = zc_node_now ();
    if (zmq_msg_more (&body)) {
        s_skip_rest (router);
        zc_core_client_bad (self->core, ident, ident_len, "expected one frame", now);
    }
    else {
        if (self->metrics_http)     //  for the ACK latency (node_metrics.c)
            zc_core_stamp (self->core, zc_node_now_us ());
        //  Who the handshake says sent it (docs/PROTOCOL.md §8); NULL
        //  without security.
        zc_core_client (self->core, ident, ident_len, zmq_msg_data (&body),
                        zmq_msg_size (&body), zmq_msg_gets (&body, "User-Id"), now);
    }
    zmq_msg_close (&body);
    return 1;
}

void
zc_node_client_recv (zc_node_t *self)
{
    //  A bounded number per wake-up, so that peer traffic and heartbeats
    //  are read between batches, however busy the clients keep us; and
    //  waiting PINGs are answered within the batch (zc_node_hb_step).
    int budget = self->cfg.fsync == ZC_CONFIG_FSYNC_ALWAYS ? 32 : 1024;
    void *router = zsock_resolve (self->client_router);
    while (budget > 0) {
        int cost = s_recv_one (self, router);
        if (cost < 0)
            break;
        budget -= cost;
        zc_node_hb_step (self, false);
    }
}

//  [room][chat maps back to back], or [ZC_BEACON_TOPIC][beacon]
void
zc_node_send_pubs (zc_node_t *self, const zc_core_pub_t *pubs, size_t count)
{
    void *pub = zsock_resolve (self->pub);
    for (size_t i = 0; i < count; i++) {
        zmq_send (pub, pubs [i].topic.data, pubs [i].topic.size, ZMQ_SNDMORE);
        zmq_send (pub, pubs [i].frame.data, pubs [i].frame.size, 0);
        zc_node_hb_step (self, true);
    }
}

//  [identity][body][entry frames...]; a client that is gone or not
//  reading loses the reply, counted as dropped.
void
zc_node_send_replies (zc_node_t *self, const zc_core_reply_t *replies, size_t count)
{
    void *router = zsock_resolve (self->client_router);
    zc_chatlog_t *log = zc_core_log (self->core);
    uint64_t dropped = 0;
    for (size_t i = 0; i < count; i++) {
        const zc_core_reply_t *reply = &replies [i];
        zc_node_hb_step (self, true);
        if (zmq_send (router, reply->ident.data, reply->ident.size,
                      ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            dropped++;
            continue;
        }
        int more = reply->entry_count ? ZMQ_SNDMORE : 0;
        if (zmq_send (router, reply->body.data, reply->body.size, more | ZMQ_DONTWAIT) < 0) {
            dropped++;
            continue;
        }
        for (size_t j = 0; j < reply->entry_count; j++) {
            zc_entry_t *entry = zc_chatlog_get (log, reply->entries [j]);
            int flags = j + 1 < reply->entry_count ? ZMQ_SNDMORE : 0;
            //  The core names only entries it holds; an empty frame keeps
            //  the message whole if one went
            zmq_send (router, entry ? entry->data : NULL, entry ? entry->size : 0,
                      flags | ZMQ_DONTWAIT);
        }
    }
    if (dropped)
        zc_core_count (self->core, ZC_COUNT_DROPPED, dropped);
    self->replies_lost += dropped;
}
