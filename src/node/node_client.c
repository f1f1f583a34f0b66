/*  node_client.c — client requests, commit, publication and beacons.

    The leader stamps each POST (seq, rseq, Lamport ts), appends it to its
    log and keeps the sender's identity on the entry; once a quorum holds
    the entry it publishes it and acknowledges the sender.  Nothing is
    acknowledged or published while the election says we do not serve
    (no lease, handing over, not the leader).
*/
#include "node_impl.h"

void
zc_node_waiter_free (void *waiter)
{
    zframe_t *identity = waiter;
    zframe_destroy (&identity);
}

//  Leadership ended: the clients waiting for ACKs will ask the next leader.
void
zc_node_release_waiters (zc_node_t *self)
{
    uint64_t last = zc_chatlog_last_seq (self->log);
    uint64_t first = zc_chatlog_first_seq (self->log);
    for (uint64_t seq = self->published + 1 > first ? self->published + 1 : first;
         seq <= last; seq++) {
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        if (entry && entry->waiter) {
            zc_node_waiter_free (entry->waiter);
            entry->waiter = NULL;
        }
    }
}

static void
s_reply (zc_node_t *self, zframe_t *identity, const zc_msg_t *msg)
{
    void *router = zsock_resolve (self->client_router);
    if (zmq_send (router, zframe_data (identity), zframe_size (identity),
                  ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
    ||  zc_node_send (self->client_router, self, msg, 0))
        self->dropped++;        //  the client is gone or not reading
}

static void
s_reply_error (zc_node_t *self, zframe_t *identity, const char *code, const char *reason)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ERROR);
    zc_msg_set_cstr (&msg, ZF_CODE, code);
    if (reason)
        zc_msg_set_cstr (&msg, ZF_REASON, reason);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.id);
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    uint32_t leader = zc_election_leader (self->election);
    if (leader && leader != self->cfg.id)
        zc_msg_set_u64 (&msg, ZF_LEADER, leader);
    s_reply (self, identity, &msg);
}

static void
s_ack (zc_node_t *self, zframe_t *identity, const zc_entry_t *entry)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ACK);
    zc_msg_set_cstr (&msg, ZF_CLIENT, entry->client);
    zc_msg_set_u64 (&msg, ZF_ID, entry->id);
    zc_msg_set_u64 (&msg, ZF_SEQ, entry->seq);
    zc_msg_set_u64 (&msg, ZF_TS, entry->ts);
    zc_msg_set_u64 (&msg, ZF_EPOCH, entry->epoch);
    zc_msg_set_u64 (&msg, ZF_RSEQ, entry->rseq);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.id);
    //  The epoch we lead: `epoch` is the stamping epoch, which a later
    //  leader repeats when it answers a resend; this one says who served
    //  when (the chaos checker's one-leader-per-epoch rule).
    zc_msg_set_u64 (&msg, ZF_LOG_EPOCH, self->lead_epoch);
    s_reply (self, identity, &msg);
}

//  A POST refused for good: bad_request naming the message, so that the
//  client knows which one.
static void
s_refuse_post (zc_node_t *self, zframe_t *identity, const zc_msg_t *post, const char *reason)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ERROR);
    zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_BAD_REQUEST);
    zc_msg_set_cstr (&msg, ZF_REASON, reason);
    zc_msg_set_str (&msg, ZF_CLIENT, post->client.ptr, post->client.len);
    zc_msg_set_u64 (&msg, ZF_ID, post->id);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.id);
    s_reply (self, identity, &msg);
}

//  Why we do not take a POST right now, in the client's terms.
static bool
s_refuse_if_not_serving (zc_node_t *self, zframe_t *identity, uint64_t now)
{
    if (zc_node_serving (self, now))
        return false;
    if (zc_election_role (self->election) != ZC_ROLE_LEADER)
        s_reply_error (self, identity, ZC_ERR_NOT_LEADER, "this node is not the leader");
    else
    if (zc_election_handing_over (self->election))
        s_reply_error (self, identity, ZC_ERR_BUSY, "handing over to a higher node");
    else
    if (zc_election_serving (self->election, now))
        s_reply_error (self, identity, ZC_ERR_BUSY, "the new leader is gathering the log");
    else
        s_reply_error (self, identity, ZC_ERR_NO_QUORUM,
                       "the leader does not hear a majority of the cluster");
    return true;
}

static void
s_on_post (zc_node_t *self, zframe_t *identity, const zc_msg_t *post, uint64_t now)
{
    if (s_refuse_if_not_serving (self, identity, now))
        return;
    if (post->ts >= ZC_MAX_TS) {
        s_refuse_post (self, identity, post, "ts out of range");
        return;
    }
    char client [ZC_CLIENT_ID_LEN + 1], room [ZC_MAX_ROOM + 1];
    zc_str_copy (client, sizeof client, post->client);
    zc_str_copy (room, sizeof room, post->room);
    uint64_t last_id = zc_chatlog_client_last_id (self->log, client);
    if (post->id <= last_id) {
        //  A repeat (the ACK was lost, or the client moved from an old
        //  leader): answer with the original seq once it is committed.
        zc_entry_t *entry = zc_chatlog_find (self->log, client, post->id);
        if (!entry) {
            //  Stored long ago and retired from the log since.
            s_refuse_post (self, identity, post, "message id is no longer held");
            return;
        }
        if (entry->seq <= self->published)
            s_ack (self, identity, entry);
        else {
            if (entry->waiter)
                zc_node_waiter_free (entry->waiter);
            entry->waiter = zframe_dup (identity);
        }
        return;
    }
    if (post->id > last_id + 1) {
        zc_msg_t msg;
        zc_msg_init (&msg, ZC_ERROR);
        zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_EXPECTED);
        zc_msg_set_u64 (&msg, ZF_EXPECTED, last_id + 1);
        zc_msg_set_str (&msg, ZF_CLIENT, post->client.ptr, post->client.len);
        zc_msg_set_u64 (&msg, ZF_ID, post->id);
        zc_msg_set_u64 (&msg, ZF_EPOCH, self->lead_epoch);
        s_reply (self, identity, &msg);
        return;
    }
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, self->lead_epoch);
    zc_msg_set_u64 (&chat, ZF_SEQ, zc_chatlog_last_seq (self->log) + 1);
    zc_msg_set_u64 (&chat, ZF_RSEQ, zc_chatlog_room_rseq (self->log, room) + 1);
    zc_msg_set_u64 (&chat, ZF_TS, zc_lamport_stamp (&self->clock, post->ts));
    zc_msg_set_str (&chat, ZF_ROOM, post->room.ptr, post->room.len);
    zc_msg_set_str (&chat, ZF_FROM, post->from.ptr, post->from.len);
    zc_msg_set_str (&chat, ZF_CLIENT, post->client.ptr, post->client.len);
    zc_msg_set_u64 (&chat, ZF_ID, post->id);
    zc_msg_set_str (&chat, ZF_TEXT, post->text.ptr, post->text.len);
    size_t size = zc_msg_encode (&chat, self->buf, sizeof self->buf);
    if (!size) {
        s_reply_error (self, identity, ZC_ERR_BAD_REQUEST, "message too large");
        return;
    }
    zc_entry_t *entry = zc_replica_append (self->replica, &chat, self->buf, size);
    if (!entry) {
        s_reply_error (self, identity, ZC_ERR_BUSY, "the log cannot be written");
        return;
    }
#ifdef ZC_TEST_BUG_EARLY_ACK
    //  A deliberately broken rule, compiled only into the chaos harness's
    //  self-test: acknowledge before a quorum holds the entry (and, in
    //  node.c, replicate lazily).  The harness must catch the acknowledged
    //  messages this loses.
    s_ack (self, identity, entry);
#else
    entry->waiter = zframe_dup (identity);
#endif
    self->handled++;
    zc_node_log_changed (self);
}

//  The last rseq published in room, cached per room (the first look
//  walks back through the log once).
static uint64_t
s_room_published (zc_node_t *self, const char *room)
{
    uint64_t *cached = zhashx_lookup (self->room_rseq, room);
    if (cached)
        return *cached;
    uint64_t rseq = 0;
    bool found = false;
    uint64_t first = zc_chatlog_first_seq (self->log);
    for (uint64_t seq = self->published; seq >= first && seq > 0; seq--) {
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        if (streq (entry->room, room)) {
            rseq = entry->rseq;
            found = true;
            break;
        }
    }
    if (!found)     //  every entry of the room retired, or none yet
        rseq = zc_chatlog_retired_rseq (self->log, room);
    if (rseq) {     //  rooms nobody wrote to are not remembered
        cached = malloc (sizeof *cached);
        *cached = rseq;
        zhashx_insert (self->room_rseq, room, cached);
    }
    return rseq;
}

static void
s_on_hello (zc_node_t *self, zframe_t *identity, const zc_msg_t *hello, uint64_t now)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_WELCOME);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.id);
    bool serving = zc_node_serving (self, now);
    zc_msg_set_u64 (&msg, ZF_LEADER, zc_election_leader (self->election));
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    zc_msg_set_u64 (&msg, ZF_PORT, self->cfg.port);
    zc_msg_set_u64 (&msg, ZF_PUB_PORT, self->cfg.port + ZC_PORT_PUB);
    zc_msg_set_cstr (&msg, ZF_ROLE, zc_role_name (zc_election_role (self->election)));
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, zc_chatlog_last_seq (self->log));
    zc_msg_set_u64 (&msg, ZF_COMMIT, zc_replica_commit (self->replica));
    zc_msg_set_bool (&msg, ZF_GRANTED, serving);
    if (serving && zc_msg_has (hello, ZF_ROOM)) {
        //  The room's last published rseq: the client's delivery baseline.
        char room [ZC_MAX_ROOM + 1];
        zc_str_copy (room, sizeof room, hello->room);
        uint64_t rseq = s_room_published (self, room);
        zc_msg_set_u64 (&msg, ZF_RSEQ, rseq);
        zc_msg_set_u64 (&msg, ZF_SEQ, self->published);
    }
    s_reply (self, identity, &msg);
}

static void
s_on_status (zc_node_t *self, zframe_t *identity)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_STATUS_REPLY);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.id);
    zc_msg_set_cstr (&msg, ZF_ROLE, zc_role_name (zc_election_role (self->election)));
    zc_msg_set_u64 (&msg, ZF_LEADER, zc_election_leader (self->election));
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    zc_msg_set_u64 (&msg, ZF_LAMPORT, self->clock.time);
    zc_msg_set_u64 (&msg, ZF_MESSAGES, self->handled);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, zc_chatlog_last_seq (self->log));
    zc_msg_set_u64 (&msg, ZF_COMMIT, zc_replica_commit (self->replica));
    zc_msg_set_u64 (&msg, ZF_LOG_EPOCH, zc_replica_log_epoch (self->replica));
    zc_msg_set_u64 (&msg, ZF_DROPPED, self->dropped);
    zc_msg_set_bool (&msg, ZF_GRANTED, zc_node_serving (self, zc_node_now ()));
    s_reply (self, identity, &msg);
}

//  The first seq after which room's entries have rseq > `rseq`: found by
//  walking back from `bound` (history requests are for recent messages).
static uint64_t
s_room_seq_after (zc_node_t *self, const char *room, uint64_t rseq, uint64_t bound)
{
    uint64_t first = zc_chatlog_first_seq (self->log);
    uint64_t seq = bound;
    for (; seq >= first && seq > 0; seq--) {
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        if (streq (entry->room, room) && entry->rseq <= rseq)
            return seq + 1;
    }
    return first;
}

//  FETCH: committed entries after `last`, of one room if asked, in order.
static void
s_on_fetch (zc_node_t *self, zframe_t *identity, const zc_msg_t *fetch)
{
    uint64_t bound = self->lead_epoch ? self->published : zc_replica_commit (self->replica);
    uint64_t count = zc_msg_has (fetch, ZF_COUNT) && fetch->count ? fetch->count : 256;
    if (count > 4096)
        count = 4096;
    char room [ZC_MAX_ROOM + 1] = "";
    if (zc_msg_has (fetch, ZF_ROOM))
        zc_str_copy (room, sizeof room, fetch->room);
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ENTRIES);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.id);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, zc_chatlog_last_seq (self->log));
    zc_msg_set_u64 (&msg, ZF_COMMIT, bound);
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    zmsg_t *reply = zmsg_new ();
    zmsg_addmem (reply, NULL, 0);   //  placeholder for the header frame
    uint64_t from = fetch->last + 1;
    if (*room && zc_msg_has (fetch, ZF_RSEQ))
        from = s_room_seq_after (self, room, fetch->rseq, bound);
    if (from < zc_chatlog_first_seq (self->log))
        from = zc_chatlog_first_seq (self->log);    //  older ones are retired
    size_t total = 0;
    uint64_t sent = 0, seq;
    for (seq = from; seq <= bound && sent < count; seq++) {
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        if (*room && !streq (entry->room, room))
            continue;
        if (total + entry->size > 4 * 1024 * 1024)
            break;
        zmsg_addmem (reply, entry->data, entry->size);
        total += entry->size;
        sent++;
    }
    //  Where the scan stopped and where the log begins: a client continues
    //  from `last`, and learns how much history is still held.
    zc_msg_set_u64 (&msg, ZF_LAST, seq - 1);
    zc_msg_set_u64 (&msg, ZF_START_SEQ, zc_chatlog_first_seq (self->log));
    size_t size = zc_msg_encode (&msg, self->buf, sizeof self->buf);
    zframe_t *header = zmsg_first (reply);
    zframe_reset (header, self->buf, size);
    zmsg_pushmem (reply, zframe_data (identity), zframe_size (identity));
    if (zmsg_send (&reply, self->client_router))
        self->dropped++;
    zmsg_destroy (&reply);
}

void
zc_node_client_recv (zc_node_t *self)
{
    //  A bounded number per wake-up, so that peer traffic and heartbeats
    //  are read between batches, however busy the clients keep us.
    int budget = self->cfg.fsync == ZC_CONFIG_FSYNC_ALWAYS ? 32 : 1024;
    while (budget-- > 0) {
        zmsg_t *frames = zc_node_recv_nowait (self->client_router);
        if (!frames)
            break;
        zframe_t *identity = zmsg_pop (frames);
        zframe_t *body = zmsg_pop (frames);
        zc_msg_t msg;
        const char *error = NULL;
        uint64_t now = zc_node_now ();
        if (!identity || !body || zmsg_size (frames)
        ||  zc_msg_decode (&msg, zframe_data (body), zframe_size (body), &error)) {
            self->dropped++;
            if (identity)
                s_reply_error (self, identity, ZC_ERR_BAD_REQUEST,
                               error ? error : "expected one frame");
        }
        else
        switch (msg.type) {
            case ZC_POST:   s_on_post (self, identity, &msg, now); break;
            case ZC_HELLO:  s_on_hello (self, identity, &msg, now); break;
            case ZC_STATUS: s_on_status (self, identity); break;
            case ZC_FETCH:  s_on_fetch (self, identity, &msg); break;
            default:
                self->dropped++;
                s_reply_error (self, identity, ZC_ERR_BAD_REQUEST, "not a client request");
        }
        zframe_destroy (&identity);
        zframe_destroy (&body);
        zmsg_destroy (&frames);
    }
}

static void
s_publish (zc_node_t *self, const zc_entry_t *entry)
{
    uint64_t *cached = zhashx_lookup (self->room_rseq, entry->room);
    if (!cached) {
        cached = malloc (sizeof *cached);
        zhashx_insert (self->room_rseq, entry->room, cached);
    }
    *cached = entry->rseq;
    void *pub = zsock_resolve (self->pub);
    zmq_send (pub, entry->room, strlen (entry->room), ZMQ_SNDMORE);
    zmq_send (pub, entry->data, entry->size, 0);
}

//  Leader: move commit to what a quorum holds, then publish and
//  acknowledge up to it — only while serving.
void
zc_node_advance_commit (zc_node_t *self, uint64_t now)
{
    if (!zc_node_serving (self, now))
        return;
    uint64_t commit = zc_replica_commit (self->replica);
    while (self->published < commit) {
        zc_entry_t *entry = zc_chatlog_get (self->log, ++self->published);
        if (!entry)
            continue;           //  retired already (cannot be unpublished news)
        s_publish (self, entry);
        if (entry->waiter) {
            zframe_t *identity = entry->waiter;
            entry->waiter = NULL;
            s_ack (self, identity, entry);
            zframe_destroy (&identity);
        }
    }
}

//  Serving clients: the election says we lead with a lease, and the view
//  change gave us the best log.
bool
zc_node_serving (zc_node_t *self, uint64_t now)
{
    return zc_election_serving (self->election, now) && zc_replica_ready (self->replica);
}

//  Every node tells clients, on its PUB, whom it follows in which epoch;
//  a leader does so only while it serves.
void
zc_node_beacon (zc_node_t *self, uint64_t now)
{
    uint32_t leader = zc_election_leader (self->election);
    bool serving = zc_node_serving (self, now);
    if (!leader || (leader == self->cfg.id && !serving)
    ||  zc_election_role (self->election) == ZC_ROLE_CANDIDATE)
        return;
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_BEACON);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.id);
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    zc_msg_set_u64 (&msg, ZF_LEADER, leader);
    zc_msg_set_u64 (&msg, ZF_COMMIT, zc_replica_commit (self->replica));
    void *pub = zsock_resolve (self->pub);
    zmq_send (pub, ZC_BEACON_TOPIC, strlen (ZC_BEACON_TOPIC), ZMQ_SNDMORE);
    zc_node_send (self->pub, self, &msg, 0);
}
