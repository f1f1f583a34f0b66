/*  client_recv.c — what servers send to the client, and what it does.

    DEALER replies: WELCOME, ACK, ERROR, ENTRIES (multi-frame); ACKs may
    come several to a frame.  SUB: [room][CHAT...] (one or a batch) and
    ["$beacon"][BEACON].  A frame that does not decode,
    has an unexpected type or shape is counted and dropped, never trusted.
*/
#include "client_impl.h"

static void
s_bad (zc_client_t *self, const char *where, const char *why)
{
    self->dropped++;
    zc_cl_log (self, "dropped a frame from %s: %s", where, why);
}

//  Drops the remaining frames of a multi-frame message
static void
s_skip_rest (void *handle)
{
    int more = 1;
    size_t size = sizeof (more);
    while (zmq_getsockopt (handle, ZMQ_RCVMORE, &more, &size) == 0 && more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        int rc = zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT);
        zmq_msg_close (&frame);
        if (rc < 0)
            break;
    }
}

//  --------------------------------------------------------------------------
//  DEALER replies

static void
s_on_welcome (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg, int64_t now)
{
    if (msg->node == 0 || msg->node > UINT32_MAX) {
        s_bad (self, server->addr.host, "welcome without a node id");
        return;
    }
    //  A node id names one server; if another entry held it, that one
    //  answers as someone else now (or the list names one node twice)
    for (size_t i = 0; i < self->nservers; i++)
        if (self->servers [i].node == msg->node && &self->servers [i] != server)
            self->servers [i].node = 0;
    server->node = (uint32_t) msg->node;
    //  Ports, never hosts: we keep the host we dialed (docs/DESIGN.md §2)
    if (msg->pub_port >= 1 && msg->pub_port <= 65535)
        zc_cl_sub_point (self, server, (uint16_t) msg->pub_port);

    //  "granted" (when sent) says whether a leader holds its lease
    bool self_named = zc_str_eq (msg->role, "leader") && msg->leader == msg->node;
    bool serving = self_named && (!(msg->has & ZF_GRANTED) || msg->granted);
    //  A leader that says it does not serve (no lease) is no hint at all:
    //  following it would only bring no_quorum again
    if (serving || !self_named)
        zc_cl_hint (self, msg->leader, msg->epoch, serving, now);
    if (serving && msg->node == self->follow.leader)
        zc_catchup_serving (&self->catchup);        //  the new leader serves: resume
    if ((msg->has & ZF_PEERS) && msg->peers.len && (serving || !self->members_due)) {
        char *due = malloc (msg->peers.len + 1);
        if (due) {
            memcpy (due, msg->peers.ptr, msg->peers.len);
            due [msg->peers.len] = 0;
            free (self->members_due);
            self->members_due = due;
            self->members_drop = serving;
        }
    }
    if (serving && (msg->has & ZF_RSEQ) && !self->post_only) {
        //  The room's last published rseq, as of log position seq: the
        //  baseline, or a gap check.  Not commit: entries between the
        //  published position and commit may be of our room
        zc_delivery_leader_hint (self->delivery, msg->rseq, msg->has & ZF_SEQ? msg->seq: 0);
        zc_cl_drain_delivery (self);
    }
}

static void
s_on_ack (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg, int64_t now)
{
    if (!zc_str_eq (msg->client, self->id)) {
        s_bad (self, server->addr.host, "ack for another client");
        return;
    }
    zc_post_t *post = zc_pending_ack (self->pending, msg->id);
    if (!post)
        return;                     //  a repeat: the first ACK counted
    free (post);
    if (self->gap_id && msg->id >= self->gap_id)
        self->gap_id = 0;           //  the leader took the gap
    self->last_ack_at = now;
    zc_throttle_acked (&self->throttle);
    zc_lamport_observe (&self->clock, msg->ts);
    zc_cl_item_t item_v = { 0 }, *item = &item_v;
    item->ev.type = ZC_EV_ACK;
    item->ev.id = msg->id;
    item->ev.seq = msg->seq;
    item->ev.ts = msg->ts;
    item->ev.epoch = msg->epoch;
    //  Who acknowledged, and the epoch it leads (0: not said)
    item->ev.leader = (msg->has & ZF_NODE) && msg->node <= UINT32_MAX ? (uint32_t) msg->node : 0;
    item->ev.lead_epoch = msg->has & ZF_LOG_EPOCH ? msg->log_epoch : 0;
    item->ev.own = true;
    strcpy (item->ev.room, self->room);
    strcpy (item->ev.from, self->name);
    strcpy (item->ev.client, self->id);
    zc_cl_push (self, item);
}

//  The leader asks again for `expected`, which a leader had acknowledged:
//  with --quorum 1 a leader acknowledges before any backup holds a
//  message, and its successor does not hold what it had not replicated.
//  Those messages, expected up to the first one still pending, are lost:
//  say so (ZC_EV_FORGOTTEN), and declare the gap, so that the stream goes
//  on: the first pending message (or the next one posted) carries the
//  leader's `expected` back, and the leader takes it as the next id
//  (PROTOCOL.md §4, "Lost in a leader change").  Ids are never reused, so
//  an ACK always names one message.
//
//  With `unknown` (the leader has no record of our client id, and its
//  quorum is a majority) nothing was lost: the cluster retired our record
//  (--client-ttl) after holding those messages.  The gap is declared the
//  same way, but told as ZC_EV_EXPIRED (PROTOCOL.md §4, "Forgotten client
//  ids").
static void
s_on_forgotten (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg, int64_t now)
{
    bool expired = (msg->has & ZF_UNKNOWN) && msg->unknown;
    uint64_t expected = msg->expected, next = expected;
    while (next <= self->last_id && !zc_pending_find (self->pending, next))
        next++;
    uint64_t lost = next - expected;
    if (self->gap_id == next && self->gap_expected == expected)
        return;                     //  told, and declared: the resend carries it
    self->gap_expected = expected;
    self->gap_id = next;
    if (!expired)
        self->forgotten += lost;
    if (zc_pending_find (self->pending, next)) {
        const zc_post_t *post = zc_pending_find (self->pending, next);
        zc_msg_t resend;
        size_t size = 0;
        if (zc_msg_decode (&resend, post->frame, post->size, NULL) == 0) {
            zc_msg_set_u64 (&resend, ZF_EXPECTED, expected);
            size = zc_msg_encode (&resend, self->buf, sizeof (self->buf));
        }
        if (!size || zc_pending_reframe (self->pending, next, self->buf, size))
            zc_cl_log (self, "message %" PRIu64 ": cannot encode it again", next);
    }
    zc_cl_item_t item_v = { 0 }, *item = &item_v;
    unsigned node = server->node;
    if (expired)
        item->notice = zsys_sprintf ("the cluster no longer remembers this client id's messages"
                                     " %" PRIu64 "-%" PRIu64 " (node %u): they were"
                                     " acknowledged and have since been retired; going on"
                                     " from message %" PRIu64, expected, next - 1, node, next);
    else
    if (lost == 1)
        item->notice = zsys_sprintf ("message %" PRIu64 " was acknowledged, but the leader"
                                     " (node %u) does not hold it: lost in a leader change"
                                     " (a leader with --quorum 1 acknowledges before any"
                                     " backup holds a message); going on from message %"
                                     PRIu64, expected, node, next);
    else
        item->notice = zsys_sprintf ("messages %" PRIu64 "-%" PRIu64 " were acknowledged, but"
                                     " the leader (node %u) does not hold them: lost in a"
                                     " leader change (a leader with --quorum 1 acknowledges"
                                     " before any backup holds a message); going on from"
                                     " message %" PRIu64, expected, next - 1, node, next);
    zc_cl_log (self, "%s", item->notice ? item->notice : "acknowledged messages lost");
    item->ev.type = expired ? ZC_EV_EXPIRED : ZC_EV_FORGOTTEN;
    item->ev.id = expected;
    item->ev.count = lost;
    item->ev.leader = node;
    item->ev.epoch = msg->has & ZF_EPOCH ? msg->epoch : 0;
    strcpy (item->ev.room, self->room);
    strcpy (item->ev.client, self->id);
    zc_cl_push (self, item);
    zc_cl_rewind (self, now);
}

static void
s_on_expected (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg, int64_t now)
{
    if ((msg->has & ZF_ID)? zc_pending_stale (self->pending, msg->id)
                          : now - self->rewound_at < ZC_BUSY_MS)
        return;                     //  answers an earlier round
    if ((msg->has & ZF_EXPECTED) && msg->expected >= 1 && msg->expected <= self->last_id
    &&  !zc_pending_find (self->pending, msg->expected)) {
        //  It acknowledged that one before: the cluster lost it
        s_on_forgotten (self, server, msg, now);
        return;
    }
    zc_cl_log (self, "leader expects message %" PRIu64 ": resending in order",
               msg->has & ZF_EXPECTED? msg->expected: 0);
    zc_cl_rewind (self, now);
}

//  Our message id was stored once and is no longer held (retention)
static void
s_on_lost (zc_client_t *self, zc_cl_server_t *server, uint64_t id)
{
    zc_post_t *post = zc_pending_ack (self->pending, id);
    if (!post)
        return;
    free (post);
    self->last_ack_at = zclock_mono ();
    zc_cl_item_t item_v = { 0 }, *item = &item_v;
    item->notice = zsys_sprintf ("message %" PRIu64 " was stored, but node %u no longer"
                                 " holds it (retention): dropped, unacknowledged",
                                 id, server->node);
    if (!item->notice)
        return;
    zc_cl_log (self, "%s", item->notice);
    item->ev.type = ZC_EV_LOST;
    item->ev.id = id;
    strcpy (item->ev.room, self->room);
    strcpy (item->ev.client, self->id);
    zc_cl_push (self, item);
}

//  A POST frame of ours again, under another id; -1 if it cannot be
static int
s_reframe (zc_client_t *self, uint64_t id)
{
    const zc_post_t *post = zc_pending_find (self->pending, id);
    zc_msg_t msg;
    if (!post || zc_msg_decode (&msg, post->frame, post->size, NULL))
        return -1;
    zc_msg_set_u64 (&msg, ZF_ID, id);
    size_t size = zc_msg_encode (&msg, self->buf, sizeof (self->buf));
    return size? zc_pending_reframe (self->pending, id, self->buf, size): -1;
}

//  Refused for good: the leader never stored that id, and its dedup takes
//  only last + 1 (PROTOCOL.md §4), so the id is free again.  The message
//  leaves the queue (ZC_EV_REFUSED, with text, which it takes over), every
//  later one moves down one id, re-encoded, and they go again from there
//  in order.  Without this, the leader would answer "expected" to all of
//  them: one over-long line would end the session.  The error replies
//  still to come for sends made before carry the old ids: they are counted
//  (stale_left, s_stale_reply), so that none is taken for a moved message
static void
s_refused (zc_client_t *self, uint64_t id, char *text, int64_t now)
{
    uint64_t unanswered;
    zc_post_t *post = zc_pending_refuse (self->pending, id, now, &unanswered);
    if (!post) {
        free (text);
        return;
    }
    free (post);
    //  This reply answered one of the refused message's sends
    if (unanswered)
        unanswered--;
    if (unanswered) {
        if (!self->stale_left || id < self->stale_floor)
            self->stale_floor = id;
        self->stale_left += unanswered;
    }
    self->last_id--;
    self->last_ack_at = now;
    self->refused++;
    zc_throttle_rewound (&self->throttle);
    zc_cl_item_t item_v = { 0 }, *item = &item_v;
    size_t moved = self->last_id >= id? (size_t) (self->last_id - id + 1): 0;
    item->moved_ts = moved? (uint64_t *) calloc (moved, sizeof (uint64_t)): NULL;
    for (uint64_t at = id; at <= self->last_id; at++) {
        const zc_post_t *later = zc_pending_find (self->pending, at);
        if (!later)
            continue;               //  acknowledged already (a hole)
        if (item->moved_ts)
            item->moved_ts [at - id] = later->ts;
        if (s_reframe (self, at))
            zc_cl_log (self, "message %" PRIu64 ": cannot encode it again (out of memory)", at);
    }
    item->ev.moved = item->moved_ts? moved: 0;
    item->notice = text? text: strdup ("message refused");
    zc_cl_log (self, "%s; %zu later message(s) move down one id", item->notice? item->notice: "?",
               moved);
    item->ev.type = ZC_EV_REFUSED;
    item->ev.id = id;
    strcpy (item->ev.room, self->room);
    strcpy (item->ev.client, self->id);
    zc_cl_push (self, item);
}

//  An error reply of the followed leader that names one of our ids: true
//  if it answers a send made before a refusal moved the ids down (it names
//  an old id, whatever message holds that id now).  The leader answers an
//  unstored id at once and in the order of our sends, so those replies
//  come first and are exactly counted; a fresh one counts its send answered
static bool
s_stale_reply (zc_client_t *self, const zc_msg_t *msg)
{
    if (!(msg->has & ZF_ID))
        return false;
    if (self->stale_left && msg->id >= self->stale_floor) {
        self->stale_left--;
        return true;
    }
    zc_pending_answered (self->pending, msg->id);
    return false;
}

//  The leader's rate limit refused a POST: hold the whole stream for the
//  time it asks (bounded), then resend in order, as after "busy"; the
//  user hears of it once per burst (throttle.h)
static void
s_on_slow_down (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg, bool stale,
                int64_t now)
{
    bool notice;
    int64_t hold = zc_throttle_slow_down (&self->throttle, msg->has & ZF_RETRY_MS,
                                          msg->retry_ms, now, &notice);
    if (notice)
        zc_cl_notice (self, "the cluster asks us to slow down (node %u): holding our messages"
                      " for %" PRId64 " ms, then resending them in order", server->node, hold);
    //  A refusal of a send of an earlier round holds nothing: that round
    //  has been replaced already
    if (stale || ((msg->has & ZF_ID) && zc_pending_stale (self->pending, msg->id)))
        return;
    if (!self->busy_at || now + hold > self->busy_at)
        self->busy_at = now + hold;
}

//  Refused for good by a limit of the node: resending cannot help.  One of
//  our pending messages leaves the queue unacknowledged (ZC_EV_REFUSED)
//  and the later ones go on under ids one lower (s_refused); anything else
//  (a HELLO or FETCH refused) is said once per reason.  A stale refusal
//  (s_stale_reply) is of a send of before: the message it was about is
//  gone or holds another id now, and its own send of now will be answered
static void
s_on_limit (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg, bool from_leader,
            bool stale, int64_t now)
{
    char reason [ZC_MAX_REASON + 1] = "a limit of the cluster";
    if ((msg->has & ZF_REASON) && msg->reason.len)
        zc_str_copy (reason, sizeof (reason), msg->reason);
    //  Only the leader's word: it is the one that takes our POSTs
    if (stale)
        return;
    if (from_leader && (msg->has & ZF_ID) && zc_pending_find (self->pending, msg->id)) {
        s_refused (self, msg->id, zsys_sprintf ("message %" PRIu64 " refused by node %u: %s"
                                                " (dropped, not stored)",
                                                msg->id, server->node, reason), now);
        return;
    }
    if (!(msg->has & ZF_ID) && strcmp (reason, self->limit_told) != 0) {
        zc_cl_notice (self, "node %u refused a request: %s", server->node, reason);
        snprintf (self->limit_told, sizeof (self->limit_told), "%s", reason);
    }
}

static void
s_on_error (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg, int64_t now)
{
    if ((msg->has & ZF_CLIENT) && !zc_str_eq (msg->client, self->id)) {
        s_bad (self, server->addr.host, "error for another client");
        return;
    }
    bool from_leader = server->node && server->node == self->follow.leader;
    bool stale = from_leader && s_stale_reply (self, msg);
    if (zc_str_eq (msg->code, ZC_ERR_NOT_LEADER)) {
        if (from_leader)
            zc_cl_lost (self, server, "not leader", now);
        if ((msg->has & ZF_LEADER) && msg->leader)
            zc_cl_hint (self, msg->leader, msg->has & ZF_EPOCH? msg->epoch: self->follow.epoch,
                        false, now);
    }
    else
    if (zc_str_eq (msg->code, ZC_ERR_NO_QUORUM)) {
        if (from_leader)
            zc_cl_lost (self, server, "no quorum", now);
    }
    else
    if (zc_str_eq (msg->code, ZC_ERR_EXPECTED)) {
        if (from_leader && !stale)
            s_on_expected (self, server, msg, now);
    }
    else
    if (zc_str_eq (msg->code, ZC_ERR_BUSY)) {
        //  Handing over: hold the stream briefly, then resend in order
        if (from_leader && !self->busy_at && !stale
        &&  !((msg->has & ZF_ID) && zc_pending_stale (self->pending, msg->id)))
            self->busy_at = now + ZC_BUSY_MS;
    }
    else
    if (zc_str_eq (msg->code, ZC_ERR_SLOW_DOWN)) {
        if (from_leader)
            s_on_slow_down (self, server, msg, stale, now);
    }
    else
    if (zc_str_eq (msg->code, ZC_ERR_LIMIT))
        s_on_limit (self, server, msg, from_leader, stale, now);
    else {
        char code [40], reason [ZC_MAX_REASON + 1] = "";
        zc_str_copy (code, sizeof (code), msg->code);
        if (msg->has & ZF_REASON)
            zc_str_copy (reason, sizeof (reason), msg->reason);
        //  bad_request for a POST cannot be fixed by resending; the id
        //  stays pending (ids must stay contiguous) and the user is told.
        //  Except a repeat the node stored once and has retired since: no
        //  ACK can ever come, so it leaves pending and later ids flow.
        //  Only the leader's word: its dedup table is the one that counts
        if (stale)
            zc_cl_log (self, "error from %s for a send of before: %s %s",
                       server->addr.host, code, reason);
        else
        if (from_leader && (msg->has & ZF_ID) && zc_pending_find (self->pending, msg->id)
        &&  zc_str_eq (msg->code, ZC_ERR_BAD_REQUEST) && strstr (reason, "no longer held"))
            s_on_lost (self, server, msg->id);
        else
        if ((msg->has & ZF_ID) && zc_pending_find (self->pending, msg->id)) {
            if (msg->id != self->rejected_id)
                zc_cl_notice (self, "message %" PRIu64 " refused by node %u: %s %s",
                              msg->id, server->node, code, reason);
            self->rejected_id = msg->id;
        }
        else
            zc_cl_log (self, "error from %s: %s %s", server->addr.host, code, reason);
    }
}

//  The first entry of our room in a FETCH reply is above the next rseq:
//  the cluster no longer holds those between (retention)
static void
s_skip (zc_client_t *self, const zc_msg_t *chat)
{
    zc_dlv_skip_t skip;
    if (!zc_delivery_skip_to (self->delivery, chat->rseq, chat->seq, &skip))
        return;
    if (skip.history)
        zc_cl_notice (self, "only %" PRIu64 " older messages are still held", skip.history_kept);
    else
        zc_cl_notice (self, "%" PRIu64 " message(s) of room %s (rseq %" PRIu64 "-%" PRIu64
                      ") are no longer held by the cluster: skipped",
                      skip.to - skip.from, self->room, skip.from, skip.to - 1);
}

//  ENTRIES: frame 1 (header) is decoded; frames 2.. are CHAT maps.  Only
//  committed entries are taken: an uncommitted one could still change
static void
s_on_entries (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *header, void *handle)
{
    uint64_t commit = header->has & ZF_COMMIT? header->commit: UINT64_MAX;
    size_t entries = 0, bytes = 0;
    bool first = true;
    int more = 1;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&frame);
            break;
        }
        more = zmq_msg_more (&frame);
        entries++;
        bytes += zmq_msg_size (&frame);
        zc_msg_t chat;
        const char *why = "entry is not a chat message";
        if (zc_msg_decode (&chat, zmq_msg_data (&frame), zmq_msg_size (&frame), &why) == 0
        &&  chat.type == ZC_CHAT && chat.seq <= commit) {
            if (first && zc_msg_has (&chat, ZF_SEQ | ZF_RSEQ | ZF_ROOM)
            &&  zc_str_eq (chat.room, self->room)) {
                first = false;
                s_skip (self, &chat);
            }
            if (zc_delivery_offer (self->delivery, &chat) == ZC_DLV_INVALID)
                s_bad (self, server->addr.host, "invalid entry");
        }
        else
            s_bad (self, server->addr.host, why);
        zmq_msg_close (&frame);
    }
    zc_cl_drain_delivery (self);
    zc_cl_fetch_done (self, server, entries, bytes);
}

//  MEMBERS: who is in our room, from the leader we follow (a refusal or
//  another node's answer shows nothing; docs/PROTOCOL.md §4 presence)
static void
s_on_members (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg)
{
    if (!self->presence || server != zc_cl_leader_server (self))
        return;
    if (!zc_msg_has (msg, ZF_ROOM | ZF_COUNT | ZF_TEXT)
    ||  (zc_msg_has (msg, ZF_GRANTED) && !msg->granted)
    ||  msg->room.len != strlen (self->room) || memcmp (msg->room.ptr, self->room, msg->room.len))
        return;
    zc_cl_item_t item = { 0 };
    item.notice = strndup (msg->text.ptr, msg->text.len);
    if (!item.notice)
        return;
    item.ev.type = ZC_EV_MEMBERS;
    item.ev.count = msg->count;
    item.ev.leader = self->follow.leader;
    item.ev.epoch = self->follow.epoch;
    strcpy (item.ev.room, self->room);
    zc_cl_push (self, &item);
}

//  Returns true if the DEALER must be reopened
static bool
s_on_reply (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg)
{
    int64_t now = zclock_mono ();
    switch (msg->type) {
        case ZC_WELCOME: s_on_welcome (self, server, msg, now); break;
        case ZC_ACK:     s_on_ack (self, server, msg, now); break;
        case ZC_ERROR:   s_on_error (self, server, msg, now); break;
        case ZC_ENTRIES: zc_cl_fetch_done (self, server, 0, 0); break;
        case ZC_MEMBERS: s_on_members (self, server, msg); break;
        case ZC_HELLO: case ZC_POST: case ZC_FETCH: case ZC_STATUS:
            //  Our own request came back: the DEALER redialed a dead local
            //  port and connected to itself (ZMQ-NOTES); it also holds the
            //  port the node needs to restart.  Close it and dial again
            s_bad (self, server->addr.host, "own request came back (TCP self-connect)");
            return true;
        default:
            s_bad (self, server->addr.host, zc_type_name (msg->type));
    }
    return false;
}

void
zc_cl_recv_dealer (zc_client_t *self, zc_cl_server_t *server)
{
    void *handle = zsock_resolve (server->dealer);
    for (int count = 0; count < ZC_BATCH; count++) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&frame);
            return;
        }
        bool more = zmq_msg_more (&frame);
        bool reopen = false;
        zc_msg_t msg;
        const char *why = "unexpected extra frames";
        const uint8_t *data = zmq_msg_data (&frame);
        size_t size = zmq_msg_size (&frame), offset = 0;
        if (zc_msg_decode_next (&msg, data, size, &offset, &why)) {
            s_bad (self, server->addr.host, why);
        }
        else
        if (msg.type == ZC_ENTRIES && more && offset == size) {
            s_on_entries (self, server, &msg, handle);
            more = false;
        }
        else
        if (more)
            s_bad (self, server->addr.host, why);
        else {
            //  One reply, or a batch of them (ACKs of one wake-up)
            reopen = s_on_reply (self, server, &msg);
            while (!reopen && offset < size) {
                if (zc_msg_decode_next (&msg, data, size, &offset, &why)) {
                    s_bad (self, server->addr.host, why);
                    break;
                }
                reopen = s_on_reply (self, server, &msg);
            }
        }
        zmq_msg_close (&frame);
        if (more)
            s_skip_rest (handle);
        if (reopen) {
            zc_cl_dealer_reopen (self, server);
            return;
        }
    }
}

//  --------------------------------------------------------------------------
//  SUB: chat messages of our room, beacons of every node

static void
s_on_sub_msg (zc_client_t *self, bool beacon, const zc_msg_t *msg)
{
    if (beacon && msg->type == ZC_BEACON) {
        //  Node says whom it follows; the leader beacons only with a lease
        zc_cl_hint (self, msg->leader, msg->epoch, msg->node == msg->leader, zclock_mono ());
        return;
    }
    if (!beacon && msg->type == ZC_CHAT) {
        zc_dlv_result_t result = zc_delivery_offer (self->delivery, msg);
        if (result == ZC_DLV_INVALID || result == ZC_DLV_OTHER_ROOM)
            s_bad (self, "pub", "chat message does not match its topic");
        return;
    }
    s_bad (self, "pub", "unexpected message type on topic");
}

//  [topic][one or more maps back to back]: a busy leader batches the
//  messages of one wake-up (PROTOCOL.md, "Batches")
static void
s_on_sub_frame (zc_client_t *self, const zmq_msg_t *topic, zmq_msg_t *body)
{
    const char *name = (const char *) zmq_msg_data ((zmq_msg_t *) topic);
    size_t len = zmq_msg_size ((zmq_msg_t *) topic);
    bool beacon = len == strlen (ZC_BEACON_TOPIC) && memcmp (name, ZC_BEACON_TOPIC, len) == 0;
    bool room = len == strlen (self->room) && memcmp (name, self->room, len) == 0;
    if (!beacon && (!room || self->post_only))
        return;                     //  a room that starts with ours: not ours

    const uint8_t *data = zmq_msg_data (body);
    size_t size = zmq_msg_size (body), offset = 0;
    bool chat = false;
    do {
        zc_msg_t msg;
        const char *why = NULL;
        if (zc_msg_decode_next (&msg, data, size, &offset, &why)) {
            s_bad (self, "pub", why);
            break;                  //  the rest of the frame is not trustworthy
        }
        chat |= msg.type == ZC_CHAT;
        s_on_sub_msg (self, beacon, &msg);
    } while (offset < size);
    if (room && chat) {
        zc_catchup_chat (&self->catchup, zclock_mono ());   //  once per frame, not per message
        zc_cl_drain_delivery (self);
    }
}

void
zc_cl_recv_sub (zc_client_t *self)
{
    void *handle = zsock_resolve (self->sub);
    for (int count = 0; count < ZC_BATCH; count++) {
        zmq_msg_t topic, body;
        zmq_msg_init (&topic);
        if (zmq_msg_recv (&topic, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&topic);
            return;
        }
        if (!zmq_msg_more (&topic)) {
            s_bad (self, "pub", "single frame");
            zmq_msg_close (&topic);
            continue;
        }
        zmq_msg_init (&body);
        if (zmq_msg_recv (&body, handle, ZMQ_DONTWAIT) >= 0) {
            if (zmq_msg_more (&body)) {
                s_bad (self, "pub", "unexpected extra frames");
                s_skip_rest (handle);
            }
            else
                s_on_sub_frame (self, &topic, &body);
        }
        zmq_msg_close (&body);
        zmq_msg_close (&topic);
    }
}

//  --------------------------------------------------------------------------
//  Monitors: handshake failures, once per server and kind

//  The server a SUB endpoint ("tcp://host:port") names: by port, since
//  libzmq may report the address it resolved rather than the host we gave
static zc_cl_server_t *
s_sub_server (zc_client_t *self, const char *endpoint)
{
    const char *colon = strrchr (endpoint, ':');
    long port = colon? strtol (colon + 1, NULL, 10): 0;
    for (size_t i = 0; i < self->nservers; i++)
        if (self->servers [i].pub_port && self->servers [i].pub_port == port)
            return &self->servers [i];
    return NULL;
}

void
zc_cl_recv_monitor (zc_client_t *self, zsock_t *monitor, zc_cl_server_t *server)
{
    uint32_t event, value;
    char endpoint [ZC_MAX_HOST + 32];
    for (int count = 0; count < ZC_BATCH
                     && zc_monitor_read (monitor, &event, &value, endpoint, sizeof (endpoint)) == 0;
         count++) {
        char why [256];
        int kind = zc_handshake_explain (event, value, self->keys != NULL,
                                         self->keys && zc_client_keys_ephemeral (self->keys),
                                         why, sizeof (why));
        if (!kind)
            continue;
        zc_cl_server_t *named = server? server: s_sub_server (self, endpoint);
        if (!named) {
            zc_cl_log (self, "handshake with %s failed: %s", endpoint, why);
            continue;
        }
        //  Each kind once per node: libzmq retries every reconnect interval
        if (named->told_handshake & kind)
            continue;
        named->told_handshake |= kind;
        zc_cl_notice (self, "cannot talk to the node at %s:%u (%s port): %s",
                      named->addr.host, server? named->addr.port: named->pub_port,
                      server? "client": "PUB", why);
    }
}
