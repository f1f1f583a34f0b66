/*  node_client.c — client requests, commit, publication and beacons.

    The leader stamps each POST (seq, rseq, Lamport ts), appends it to its
    log and keeps the sender's identity on the entry; once a quorum holds
    the entry it publishes it and acknowledges the sender.  Nothing is
    acknowledged or published while the election says we do not serve
    (no lease, handing over, not the leader).
*/
#include "node_impl.h"

//  A waiter is a copy of the sender's identity, kept on its log entry.
void
zc_node_waiter_free (void *waiter)
{
    free (waiter);
}

static zc_ident_t *
s_ident_dup (const zc_ident_t *who)
{
    size_t size = offsetof (zc_ident_t, data) + who->len;
    zc_ident_t *copy = malloc (size);
    assert (copy);
    memcpy (copy, who, size);
    return copy;
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
s_reply (zc_node_t *self, const zc_ident_t *who, const zc_msg_t *msg)
{
    void *router = zsock_resolve (self->client_router);
    if (zmq_send (router, who->data, who->len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
    ||  zc_node_send (self->client_router, self, msg, 0))
        self->dropped++;        //  the client is gone or not reading
}

//  The ACK outbox's flush: one frame of ACKs for one client.
void
zc_node_send_acks (void *arg, const uint8_t *key, size_t key_len,
                   const uint8_t *frame, size_t size)
{
    zc_node_t *self = arg;
    void *router = zsock_resolve (self->client_router);
    if (zmq_send (router, key, key_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
    ||  zmq_send (router, frame, size, ZMQ_DONTWAIT) < 0)
        self->dropped++;
}

//  The publication outbox's flush: [room][chat maps back to back].
void
zc_node_send_pub (void *arg, const uint8_t *key, size_t key_len,
                  const uint8_t *frame, size_t size)
{
    zc_node_t *self = arg;
    void *pub = zsock_resolve (self->pub);
    zmq_send (pub, key, key_len, ZMQ_SNDMORE);
    zmq_send (pub, frame, size, 0);
}

static void
s_reply_error (zc_node_t *self, const zc_ident_t *identity, const char *code, const char *reason)
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
s_ack_msg (zc_node_t *self, const zc_entry_t *entry, zc_msg_t *msg_p)
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
    *msg_p = msg;
}

static void
s_ack (zc_node_t *self, const zc_ident_t *who, const zc_entry_t *entry)
{
    zc_msg_t msg;
    s_ack_msg (self, entry, &msg);
    s_reply (self, who, &msg);
}

//  A POST refused for good: bad_request naming the message, so that the
//  client knows which one.
static void
s_refuse_post (zc_node_t *self, const zc_ident_t *identity, const zc_msg_t *post, const char *reason)
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
s_refuse_if_not_serving (zc_node_t *self, const zc_ident_t *identity, uint64_t now)
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
s_on_post (zc_node_t *self, const zc_ident_t *identity, const zc_msg_t *post, uint64_t now)
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
            entry->waiter = s_ident_dup (identity);
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
    entry->waiter = s_ident_dup (identity);
#endif
    self->handled++;
    zc_node_log_changed (self);
}

//  The last rseq published in room: the room's last rseq in the log,
//  stepped back over its entries not yet published (at most the entries
//  in flight), cached per room.  Never a walk through the whole log: a
//  HELLO for a quiet room must cost the same with a million entries.
static uint64_t
s_room_published (zc_node_t *self, const char *room)
{
    uint64_t *cached = zhashx_lookup (self->room_rseq, room);
    if (cached)
        return *cached;
    uint64_t rseq = zc_chatlog_room_rseq (self->log, room);
    uint64_t first = zc_chatlog_first_seq (self->log);
    for (uint64_t seq = zc_chatlog_last_seq (self->log);
         rseq && seq > self->published && seq >= first && seq > 0; seq--) {
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        if (streq (entry->room, room))
            rseq = entry->rseq - 1;
    }
    if (rseq) {     //  rooms nobody wrote to are not remembered
        cached = malloc (sizeof *cached);
        *cached = rseq;
        zhashx_insert (self->room_rseq, room, cached);
    }
    return rseq;
}

static void
s_on_hello (zc_node_t *self, const zc_ident_t *identity, const zc_msg_t *hello, uint64_t now)
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
s_on_status (zc_node_t *self, const zc_ident_t *identity)
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

//  An ENTRIES reply carries at most this much of entry frames.
#define S_FETCH_BYTES (4 * 1024 * 1024)

//  FETCH of every room: the seqs from..bound, in order.  Returns where the
//  scan stopped (the reply's `last`).
static uint64_t
s_fetch_all (zc_node_t *self, zmsg_t *reply, uint64_t from, uint64_t bound, uint64_t count)
{
    size_t total = 0;
    uint64_t sent = 0, seq;
    for (seq = from; seq <= bound && sent < count; seq++) {
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        if (total + entry->size > S_FETCH_BYTES)
            break;
        zmsg_addmem (reply, entry->data, entry->size);
        total += entry->size;
        sent++;
    }
    return seq - 1;
}

//  FETCH of one room, through the room's index: the cost is the entries
//  sent, however many of other rooms lie between (a quiet room resumed
//  after a failover used to cost a walk through the whole log).  The
//  reply is the one a scan of the log from `from` would give: same
//  entries, same `last`.  Returns `last`.
static uint64_t
s_fetch_room (zc_node_t *self, zmsg_t *reply, const char *room, const zc_msg_t *fetch,
              uint64_t bound, uint64_t count)
{
    uint64_t first = zc_chatlog_first_seq (self->log);
    uint64_t from;          //  the seq that scan would start at
    size_t pos;             //  the room's first entry at or after it
    if (zc_msg_has (fetch, ZF_RSEQ)) {
        //  Just after the room's newest entry up to the bound with an
        //  rseq <= the one asked (`last` is not used).
        pos = zc_chatlog_room_after_rseq (self->log, room, fetch->rseq, bound);
        from = pos ? zc_chatlog_room_seq_at (self->log, room, pos - 1) + 1 : first;
    }
    else {
        from = fetch->last + 1 > first ? fetch->last + 1 : first;
        pos = zc_chatlog_room_after_seq (self->log, room, from - 1);
    }
    size_t total = 0, held = zc_chatlog_room_count (self->log, room);
    uint64_t sent = 0;
    for (; pos < held; pos++) {
        uint64_t seq = zc_chatlog_room_seq_at (self->log, room, pos);
        if (seq > bound)
            break;
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        if (total + entry->size > S_FETCH_BYTES)
            return seq - 1;         //  it starts the next reply
        zmsg_addmem (reply, entry->data, entry->size);
        total += entry->size;
        if (++sent == count)
            return seq;
    }
    //  Nothing more of the room up to the bound: the scan went through
    //  every seq up to it (or asked from beyond it, and read nothing).
    return from - 1 > bound ? from - 1 : bound;
}

//  FETCH: committed entries after `last`, of one room if asked, in order.
static void
s_on_fetch (zc_node_t *self, const zc_ident_t *identity, const zc_msg_t *fetch)
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
    uint64_t last;
    if (*room)
        last = s_fetch_room (self, reply, room, fetch, bound, count);
    else {
        uint64_t from = fetch->last + 1;
        if (from < zc_chatlog_first_seq (self->log))
            from = zc_chatlog_first_seq (self->log);    //  older ones are retired
        last = s_fetch_all (self, reply, from, bound, count);
    }
    //  Where the scan stopped and where the log begins: a client continues
    //  from `last`, and learns how much history is still held.
    zc_msg_set_u64 (&msg, ZF_LAST, last);
    zc_msg_set_u64 (&msg, ZF_START_SEQ, zc_chatlog_first_seq (self->log));
    size_t size = zc_msg_encode (&msg, self->buf, sizeof self->buf);
    zframe_t *header = zmsg_first (reply);
    zframe_reset (header, self->buf, size);
    zmsg_pushmem (reply, identity->data, identity->len);
    if (zmsg_send (&reply, self->client_router))
        self->dropped++;
    zmsg_destroy (&reply);
}

//  Drops what is left of a multi-frame message.
static void
s_skip_rest (void *router)
{
    while (zsock_rcvmore (router)) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        int rc = zmq_msg_recv (&part, router, ZMQ_DONTWAIT);
        zmq_msg_close (&part);
        if (rc < 0)
            break;
    }
}

//  One request: [identity][body].  0, or -1 when nothing is queued.
static int
s_recv_one (zc_node_t *self, void *router)
{
    zmq_msg_t head, body;
    zmq_msg_init (&head);
    if (zmq_msg_recv (&head, router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&head);
        return -1;
    }
    zc_ident_t who;
    who.len = zmq_msg_size (&head) <= sizeof who.data ? zmq_msg_size (&head) : 0;
    memcpy (who.data, zmq_msg_data (&head), who.len);
    bool more = zmq_msg_more (&head);
    zmq_msg_close (&head);
    if (!more) {                //  a ROUTER always prefixes the identity
        self->dropped++;
        return 0;
    }
    zmq_msg_init (&body);
    if (zmq_msg_recv (&body, router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&body);
        return 0;
    }
    zc_msg_t msg;
    const char *error = "expected one frame";
    uint64_t now = zc_node_now ();
    if (zmq_msg_more (&body)) {
        s_skip_rest (router);
        self->dropped++;
        s_reply_error (self, &who, ZC_ERR_BAD_REQUEST, error);
    }
    else
    if (zc_msg_decode (&msg, zmq_msg_data (&body), zmq_msg_size (&body), &error)) {
        self->dropped++;
        s_reply_error (self, &who, ZC_ERR_BAD_REQUEST, error);
    }
    else
    switch (msg.type) {
        case ZC_POST:   s_on_post (self, &who, &msg, now); break;
        case ZC_HELLO:  s_on_hello (self, &who, &msg, now); break;
        case ZC_STATUS: s_on_status (self, &who); break;
        case ZC_FETCH:  s_on_fetch (self, &who, &msg); break;
        default:
            self->dropped++;
            s_reply_error (self, &who, ZC_ERR_BAD_REQUEST, "not a client request");
    }
    zmq_msg_close (&body);
    return 0;
}

void
zc_node_client_recv (zc_node_t *self)
{
    //  A bounded number per wake-up, so that peer traffic and heartbeats
    //  are read between batches, however busy the clients keep us.
    int budget = self->cfg.fsync == ZC_CONFIG_FSYNC_ALWAYS ? 32 : 1024;
    void *router = zsock_resolve (self->client_router);
    while (budget-- > 0 && s_recv_one (self, router) == 0)
        ;
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
    zc_outbox_add (self->pub_box, entry->room, strlen (entry->room), entry->data, entry->size);
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
            zc_ident_t *who = entry->waiter;
            entry->waiter = NULL;
            zc_msg_t ack;
            s_ack_msg (self, entry, &ack);
            size_t size = zc_msg_encode (&ack, self->buf, sizeof self->buf);
            if (size)
                zc_outbox_add (self->ack_box, who->data, who->len, self->buf, size);
            zc_node_waiter_free (who);
        }
    }
    //  Publications before ACKs: a sender that hears its ACK may expect
    //  its own message on the PUB next.
    zc_outbox_flush (self->pub_box);
    zc_outbox_flush (self->ack_box);
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
