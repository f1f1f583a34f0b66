/*  core_client.c — client requests, commit, publication and ACKs.

    The leader stamps each POST (seq, rseq, Lamport ts), appends it to its
    log and keeps the sender's identity on the entry; once a quorum holds
    the entry on its disk (ours counting once zc_core_durable says so:
    zc_replication_commit), it publishes it and
    acknowledges the sender.  Nothing is acknowledged or published while
    the election says we do not serve (no lease, handing over, not the
    leader).

    What one client may cost is bounded (docs/PROTOCOL.md §4, §7; issue
    9): connections, a token bucket per client for POST and FETCH, text
    size and rooms per client id (client_limits.h); an ACK only ever for
    the sender's own message; a FETCH reply of at most ZC_FETCH_MAX_BYTES.
*/
#include "core_impl.h"
#include "oom.h"
#include "config.h"         //  ZC_PORT_PUB

//  A waiter is a copy of the sender's identity, kept on its log entry.
zc_core_ident_t *
zc_core_ident_dup (zc_core_t *self, const uint8_t *ident, size_t len)
{
    zc_core_ident_t *copy = ZC_ALLOC (malloc (offsetof (zc_core_ident_t, data) + len));
    copy->stamp = self->stamp;
    copy->len = len;
    memcpy (copy->data, ident, len);
    return copy;
}

//  Leadership ended: the clients waiting for ACKs will ask the next leader.
void
zc_core_release_waiters (zc_core_t *self)
{
    uint64_t last = zc_chatlog_last_seq (self->log);
    uint64_t first = zc_chatlog_first_seq (self->log);
    for (uint64_t seq = self->published + 1 > first ? self->published + 1 : first;
         seq <= last; seq++) {
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        if (entry && entry->waiter) {
            free (entry->waiter);
            entry->waiter = NULL;
        }
    }
}

static zc_core_reply_t *
s_reply_raw (zc_core_t *self, const uint8_t *ident, size_t ident_len,
             const uint8_t *body, size_t size)
{
    self->replies = zc_grow (self->replies, &self->reply_cap, self->reply_count + 1,
                             sizeof *self->replies);
    zc_core_reply_t *reply = &self->replies [self->reply_count++];
    reply->ident = zc_core_copy (self, ident, ident_len);
    reply->body = zc_core_copy (self, body, size);
    reply->entries = NULL;
    reply->entry_count = 0;
    return reply;
}

static zc_core_reply_t *
s_reply (zc_core_t *self, const uint8_t *ident, size_t ident_len, const zc_msg_t *msg)
{
    size_t size = zc_msg_encode (msg, self->buf, sizeof self->buf);
    if (!size) {
        self->dropped++;
        return NULL;
    }
    return s_reply_raw (self, ident, ident_len, self->buf, size);
}

//  The ACK outbox's flush: one frame of ACKs for one client.
void
zc_core_flush_ack (void *arg, const uint8_t *key, size_t key_len,
                   const uint8_t *frame, size_t size)
{
    s_reply_raw (arg, key, key_len, frame, size);
}

//  The publication outbox's flush: [room][chat maps back to back].
void
zc_core_flush_pub (void *arg, const uint8_t *key, size_t key_len,
                   const uint8_t *frame, size_t size)
{
    zc_core_t *self = arg;
    self->pubs = zc_grow (self->pubs, &self->pub_cap, self->pub_count + 1, sizeof *self->pubs);
    self->pubs [self->pub_count++] = (zc_core_pub_t) {
        zc_core_copy (self, key, key_len), zc_core_copy (self, frame, size) };
}

void
zc_core_reply_error (zc_core_t *self, const uint8_t *ident, size_t ident_len,
                     const char *code, const char *reason)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ERROR);
    zc_msg_set_cstr (&msg, ZF_CODE, code);
    if (reason)
        zc_msg_set_cstr (&msg, ZF_REASON, reason);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.election.self);
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    uint32_t leader = zc_election_leader (self->election);
    if (leader && leader != self->cfg.election.self)
        zc_msg_set_u64 (&msg, ZF_LEADER, leader);
    s_reply (self, ident, ident_len, &msg);
}

//  The request being answered: who asked, and as whom.
typedef struct {
    const uint8_t *ident;
    size_t len;
} s_who_t;

static void
s_ack_msg (zc_core_t *self, const zc_entry_t *entry, zc_msg_t *msg_p)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ACK);
    zc_msg_set_cstr (&msg, ZF_CLIENT, entry->client);
    zc_msg_set_u64 (&msg, ZF_ID, entry->id);
    zc_msg_set_u64 (&msg, ZF_SEQ, entry->seq);
    zc_msg_set_u64 (&msg, ZF_TS, entry->ts);
    zc_msg_set_u64 (&msg, ZF_EPOCH, entry->epoch);
    zc_msg_set_u64 (&msg, ZF_RSEQ, entry->rseq);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.election.self);
    //  The epoch we lead: `epoch` is the stamping epoch, which a later
    //  leader repeats when it answers a resend; this one says who served
    //  when (the chaos checker's one-leader-per-epoch rule).
    zc_msg_set_u64 (&msg, ZF_LOG_EPOCH, self->lead_epoch);
    *msg_p = msg;
}

static void
s_ack (zc_core_t *self, const s_who_t *who, const zc_entry_t *entry)
{
    zc_msg_t msg;
    s_ack_msg (self, entry, &msg);
    s_reply (self, who->ident, who->len, &msg);
}

//  A POST refused for good: bad_request naming the message, so that the
//  client knows which one.
static void
s_refuse_post (zc_core_t *self, const s_who_t *who, const zc_msg_t *post, const char *reason)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ERROR);
    zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_BAD_REQUEST);
    zc_msg_set_cstr (&msg, ZF_REASON, reason);
    zc_msg_set_str (&msg, ZF_CLIENT, post->client.ptr, post->client.len);
    zc_msg_set_u64 (&msg, ZF_ID, post->id);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.election.self);
    s_reply (self, who->ident, who->len, &msg);
}

//  A request refused by a limit (code ZC_ERR_LIMIT, for good) or by the
//  rate (ZC_ERR_SLOW_DOWN with retry_ms: resend then).  Names the POST, if
//  it is one, so that the client knows which message.
//  A node serving --max-clients connections answers a new one with
//  slow_down and this wait: a connection frees up after a quiet minute.
#define S_TOO_MANY_CLIENTS "too many clients on this node"
#define S_FULL_RETRY_MS    1000

static void
s_refuse_limit (zc_core_t *self, const s_who_t *who, const zc_msg_t *post,
                const char *code, const char *reason, uint64_t retry_ms)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ERROR);
    zc_msg_set_cstr (&msg, ZF_CODE, code);
    zc_msg_set_cstr (&msg, ZF_REASON, reason);
    if (post && post->type == ZC_POST) {
        zc_msg_set_str (&msg, ZF_CLIENT, post->client.ptr, post->client.len);
        zc_msg_set_u64 (&msg, ZF_ID, post->id);
    }
    if (retry_ms)
        zc_msg_set_u64 (&msg, ZF_RETRY_MS, retry_ms);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.election.self);
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    s_reply (self, who->ident, who->len, &msg);
    //  A full node asks to come back later too, but that is a limit, not
    //  this client's pace
    if (retry_ms && !streq (reason, S_TOO_MANY_CLIENTS))
        self->slowed++;
    else
        self->refused++;
}

//  The User-Id says who sent it: "client:NAME" is a certificate made for
//  NAME, and then NAME is the sender's name whatever the POST says.
static zc_str_t
s_sender_name (const zc_msg_t *post, const char *user)
{
    if (user && strncmp (user, "client:", 7) == 0 && user [7]) {
        zc_str_t name = { user + 7, (uint32_t) strlen (user + 7) };
        return name;
    }
    return post->from;
}

static bool
s_str_same (zc_str_t a, zc_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp (a.ptr, b.ptr, a.len) == 0);
}

//  A repeat is acknowledged only if it is the stored message: same room,
//  sender name and text.  Anyone can read a client id off the PUB; a POST
//  with a victim's id and its next number used to make the victim's real
//  message come back acknowledged, and never stored.
static bool
s_same_message (const zc_entry_t *entry, const zc_msg_t *post, zc_str_t from)
{
    zc_msg_t stored;
    if (zc_msg_decode (&stored, entry->data, entry->size, NULL))
        return false;
    return s_str_same (stored.room, post->room) && s_str_same (stored.from, from)
        && s_str_same (stored.text, post->text);
}

//  Why we do not take a POST right now, in the client's terms.
static bool
s_refuse_if_not_serving (zc_core_t *self, const s_who_t *who, uint64_t now)
{
    if (zc_core_serving (self, now))
        return false;
    const char *code, *reason;
    if (zc_election_role (self->election) != ZC_ROLE_LEADER) {
        code = ZC_ERR_NOT_LEADER;
        reason = "this node is not the leader";
    }
    else
    if (zc_election_handing_over (self->election)) {
        code = ZC_ERR_BUSY;
        reason = "handing over to a higher node";
    }
    else
    if (zc_election_retiring (self->election)) {
        code = ZC_ERR_BUSY;
        reason = "stopping: handing over to another node";
    }
    else
    if (zc_election_serving (self->election, now)) {
        code = ZC_ERR_BUSY;
        reason = "the new leader is gathering the log";
    }
    else {
        code = ZC_ERR_NO_QUORUM;
        reason = "the leader does not hear a majority of the cluster";
    }
    zc_core_reply_error (self, who->ident, who->len, code, reason);
    return true;
}

//  With security, a client id belongs to the first key that used it
//  (leader memory); rooms count only for new messages.  A certificate
//  name is also in the log: an id not yet bound here (a new leader) stays
//  with the name its newest held entry was stored under.
static zc_limit_t
s_post_limits (zc_core_t *self, const zc_msg_t *post, const char *user, zc_str_t from,
               const char *client, const char *room, uint64_t last_id)
{
    if (user && from.ptr != post->from.ptr && last_id
    &&  !zc_limits_owned (self->limits, client)) {
        zc_entry_t *newest = zc_chatlog_find (self->log, client, last_id);
        zc_msg_t stored;
        if (newest && zc_msg_decode (&stored, newest->data, newest->size, NULL) == 0
        &&  !s_str_same (stored.from, from))
            return ZC_LIMIT_OWNER;
    }
    return zc_limits_post (self->limits, client, user, post->id == last_id + 1 ? room : NULL);
}

//  A repeat (the ACK was lost, or the client moved from an old leader):
//  answer with the original seq once it is committed.
static void
s_on_repeat (zc_core_t *self, const s_who_t *who, const zc_msg_t *post, zc_str_t from,
             const char *client)
{
    zc_entry_t *entry = zc_chatlog_find (self->log, client, post->id);
    if (!entry) {
        //  Stored long ago and retired from the log since.
        s_refuse_post (self, who, post, "message id is no longer held");
        return;
    }
    if (!s_same_message (entry, post, from)) {
        s_refuse_limit (self, who, post, ZC_ERR_BAD_REQUEST,
                        "message id already used for another message", 0);
        return;
    }
    if (entry->seq <= self->published)
        s_ack (self, who, entry);
    else {
        free (entry->waiter);
        entry->waiter = zc_core_ident_dup (self, who->ident, who->len);
    }
}

static void
s_on_post (zc_core_t *self, const s_who_t *who, const zc_msg_t *post, const char *user,
           uint64_t now)
{
    if (s_refuse_if_not_serving (self, who, now))
        return;
    if (post->ts >= ZC_MAX_TS) {
        s_refuse_post (self, who, post, "ts out of range");
        return;
    }
    //  Configuration entries are the leader's own (core_members.c)
    if (post->room.len == strlen (ZC_MEMBERS_ROOM)
    &&  memcmp (post->room.ptr, ZC_MEMBERS_ROOM, post->room.len) == 0) {
        s_refuse_post (self, who, post, "room " ZC_MEMBERS_ROOM " is reserved");
        return;
    }
    if (post->text.len > self->cfg.max_text) {
        char reason [80];
        snprintf (reason, sizeof reason, "text longer than %u bytes", self->cfg.max_text);
        s_refuse_limit (self, who, post, ZC_ERR_LIMIT, reason, 0);
        return;
    }
    zc_str_t from = s_sender_name (post, user);
    char client [ZC_CLIENT_ID_LEN + 1], room [ZC_MAX_ROOM + 1];
    zc_str_copy (client, sizeof client, post->client);
    zc_str_copy (room, sizeof room, post->room);
    uint64_t last_id = zc_chatlog_client_last_id (self->log, client);
    switch (s_post_limits (self, post, user, from, client, room, last_id)) {
        case ZC_LIMIT_OWNER:
            s_refuse_limit (self, who, post, ZC_ERR_BAD_REQUEST,
                            "client id belongs to another key", 0);
            return;
        case ZC_LIMIT_ROOMS: {
            char reason [80];
            snprintf (reason, sizeof reason, "more than %u rooms for one client",
                      self->cfg.max_rooms);
            s_refuse_limit (self, who, post, ZC_ERR_LIMIT, reason, 0);
            return;
        }
        default:
            break;
    }
    if (post->id <= last_id) {
        s_on_repeat (self, who, post, from, client);
        return;
    }
    //  A gap the client knows of (PROTOCOL.md §4, "Lost in a leader
    //  change"): we asked it for `expected` = last_id + 1, which it had
    //  seen acknowledged by a leader that did not survive (--quorum 1), so
    //  it resends its next message with our `expected` echoed: the ids in
    //  between are lost, and this one is the next.  Only the very id we
    //  ask for is a proof that it heard us; the client harms only its own
    //  stream.
    bool gap = post->id > last_id + 1 && (post->has & ZF_EXPECTED)
            && post->expected == last_id + 1;
    if (post->id > last_id + 1 && !gap) {
        zc_msg_t msg;
        zc_msg_init (&msg, ZC_ERROR);
        zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_EXPECTED);
        zc_msg_set_u64 (&msg, ZF_EXPECTED, last_id + 1);
        zc_msg_set_str (&msg, ZF_CLIENT, post->client.ptr, post->client.len);
        zc_msg_set_u64 (&msg, ZF_ID, post->id);
        zc_msg_set_u64 (&msg, ZF_EPOCH, self->lead_epoch);
        //  No record of the client at all, and an acknowledgement needs a
        //  majority: then none of its ids was lost (a majority holds each
        //  one acknowledged, and a leader is elected only with what they
        //  hold), so its record was retired (--client-ttl, docs/STORAGE.md
        //  "The client table and its limits").  Say so: the client
        //  declares the gap as above without taking it for a loss
        //  (PROTOCOL.md §4, "Forgotten client ids").
        const zc_election_config_t *ecfg = &self->cfg.election;
        if (last_id == 0 && 2 * (uint64_t) ecfg->quorum > ecfg->member_count)
            zc_msg_set_bool (&msg, ZF_UNKNOWN, true);
        s_reply (self, who->ident, who->len, &msg);
        return;
    }
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, self->lead_epoch);
    zc_msg_set_u64 (&chat, ZF_SEQ, zc_chatlog_last_seq (self->log) + 1);
    zc_msg_set_u64 (&chat, ZF_RSEQ, zc_chatlog_room_rseq (self->log, room) + 1);
    zc_msg_set_u64 (&chat, ZF_TS, zc_lamport_stamp (&self->clock, post->ts));
    zc_msg_set_str (&chat, ZF_ROOM, post->room.ptr, post->room.len);
    zc_msg_set_str (&chat, ZF_FROM, from.ptr, from.len);
    zc_msg_set_str (&chat, ZF_CLIENT, post->client.ptr, post->client.len);
    zc_msg_set_u64 (&chat, ZF_ID, post->id);
    zc_msg_set_str (&chat, ZF_TEXT, post->text.ptr, post->text.len);
    size_t size = zc_msg_encode (&chat, self->buf, sizeof self->buf);
    if (!size) {
        zc_core_reply_error (self, who->ident, who->len, ZC_ERR_BAD_REQUEST, "message too large");
        return;
    }
    zc_entry_t *entry = zc_replica_append (self->replica, &chat, self->buf, size);
    if (!entry) {
        zc_core_reply_error (self, who->ident, who->len, ZC_ERR_BUSY,
                             "the log cannot be written");
        return;
    }
#ifdef ZC_TEST_BUG_EARLY_ACK
    //  A deliberately broken rule, compiled only into the chaos harness's
    //  self-test: acknowledge before a quorum holds the entry (and, in
    //  core.c, replicate lazily).  The harness must catch the acknowledged
    //  messages this loses.
    s_ack (self, who, entry);
#else
    entry->waiter = zc_core_ident_dup (self, who->ident, who->len);
#endif
    self->handled++;
}

//  The last rseq published in room: the room's last rseq in the log,
//  stepped back over its entries not yet published (at most the entries
//  in flight), cached per room.  Never a walk through the whole log: a
//  HELLO for a quiet room must cost the same with a million entries.
static uint64_t
s_room_published (zc_core_t *self, const char *room)
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
        if (cached) {   //  no memory: not cached, answered all the same
            *cached = rseq;
            zhashx_insert (self->room_rseq, room, cached);
        }
    }
    return rseq;
}

static void
s_on_hello (zc_core_t *self, const s_who_t *who, const zc_msg_t *hello, uint64_t now)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_WELCOME);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.election.self);
    bool serving = zc_core_serving (self, now);
    zc_msg_set_u64 (&msg, ZF_LEADER, zc_election_leader (self->election));
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    zc_msg_set_u64 (&msg, ZF_PORT, self->cfg.port);
    zc_msg_set_u64 (&msg, ZF_PUB_PORT, self->cfg.port + ZC_PORT_PUB);
    zc_msg_set_cstr (&msg, ZF_ROLE, zc_role_name (zc_election_role (self->election)));
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, zc_chatlog_last_seq (self->log));
    zc_msg_set_u64 (&msg, ZF_COMMIT, zc_replica_commit (self->replica));
    zc_msg_set_bool (&msg, ZF_GRANTED, serving);
    //  The committed members and their addresses, as this node knows
    //  them: clients learn a node added after they started, and (from a
    //  serving leader only) forget a removed one (docs/ELECTION.md
    //  "Membership changes")
    char peers [ZC_MAX_TEXT + 1];
    zc_members_t committed;
    zc_core_members_committed (self, &committed);
    if (zc_members_format (&committed, peers, sizeof peers))
        zc_msg_set_cstr (&msg, ZF_PEERS, peers);
    if (serving && zc_msg_has (hello, ZF_ROOM)) {
        //  The room's last published rseq: the client's delivery baseline.
        char room [ZC_MAX_ROOM + 1];
        zc_str_copy (room, sizeof room, hello->room);
        uint64_t rseq = s_room_published (self, room);
        zc_msg_set_u64 (&msg, ZF_RSEQ, rseq);
        zc_msg_set_u64 (&msg, ZF_SEQ, self->published);
    }
    s_reply (self, who->ident, who->len, &msg);
}

static void
s_on_status (zc_core_t *self, const s_who_t *who, uint64_t now)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_STATUS_REPLY);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.election.self);
    zc_msg_set_cstr (&msg, ZF_ROLE, zc_role_name (zc_election_role (self->election)));
    zc_msg_set_u64 (&msg, ZF_LEADER, zc_election_leader (self->election));
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    zc_msg_set_u64 (&msg, ZF_LAMPORT, self->clock.time);
    zc_msg_set_u64 (&msg, ZF_MESSAGES, self->handled);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, zc_chatlog_last_seq (self->log));
    zc_msg_set_u64 (&msg, ZF_COMMIT, zc_replica_commit (self->replica));
    zc_msg_set_u64 (&msg, ZF_LOG_EPOCH, zc_replica_log_epoch (self->replica));
    zc_core_counters_t counters;
    zc_core_counters (self, &counters);
    zc_msg_set_u64 (&msg, ZF_DROPPED, counters.dropped);
    zc_msg_set_u64 (&msg, ZF_REFUSED, counters.refused);
    zc_msg_set_u64 (&msg, ZF_SLOWED, counters.slowed);
    zc_msg_set_u64 (&msg, ZF_DENIED, counters.denied);
    zc_msg_set_u64 (&msg, ZF_FORGED, counters.forged);
    zc_msg_set_bool (&msg, ZF_GRANTED, zc_core_serving (self, now));
    zc_members_t committed;
    zc_core_members_committed (self, &committed);
    char ids [ZC_ELECTION_MAX_MEMBERS * 8 + 1];
    if (zc_members_ids (&committed, ids, sizeof ids))
        zc_msg_set_cstr (&msg, ZF_MEMBERS, ids);
    s_reply (self, who->ident, who->len, &msg);
}

//  PRESENCE: the sender's connection is in room (granted false: it left);
//  the reply is the room's names.  Soft state of the serving leader only
//  (presence.h, docs/PROTOCOL.md §4 presence): any other node answers
//  granted=false with no names, and forgets what it held; never an
//  ERROR, so that a client's POST stream never takes it for its own.
static void
s_on_presence (zc_core_t *self, const s_who_t *who, const zc_msg_t *msg, const char *user,
               uint64_t now)
{
    char room [ZC_MAX_ROOM + 1], name [ZC_MAX_NAME + 1];
    zc_str_copy (room, sizeof room, msg->room);
    zc_str_copy (name, sizeof name, s_sender_name (msg, user));
    bool serving = zc_core_serving (self, now);
    zc_msg_t reply;
    zc_msg_init (&reply, ZC_MEMBERS);
    zc_msg_set_u64 (&reply, ZF_NODE, self->cfg.election.self);
    zc_msg_set_u64 (&reply, ZF_EPOCH, zc_election_epoch (self->election));
    zc_msg_set_cstr (&reply, ZF_ROOM, room);
    if (!serving) {
        zc_presence_clear (self->presence);
        zc_msg_set_u64 (&reply, ZF_COUNT, 0);
        zc_msg_set_bool (&reply, ZF_GRANTED, false);
        s_reply (self, who->ident, who->len, &reply);
        return;
    }
    zc_presence_expire (self->presence, now);
    const char *refused = NULL;
    if (zc_msg_has (msg, ZF_GRANTED) && !msg->granted)
        zc_presence_gone (self->presence, who->ident, who->len, room);
    else
    switch (zc_presence_here (self->presence, who->ident, who->len, room, name, now)) {
        case ZC_PRESENCE_FULL:      refused = "presence table full"; break;
        case ZC_PRESENCE_CONN_FULL: refused = "in too many rooms on one connection"; break;
        default: break;
    }
    if (refused) {
        self->refused++;
        zc_msg_set_cstr (&reply, ZF_REASON, refused);
    }
    char names [ZC_MAX_TEXT + 1];
    size_t len = zc_presence_names (self->presence, room, names, sizeof names);
    zc_msg_set_u64 (&reply, ZF_COUNT, zc_presence_count (self->presence, room));
    zc_msg_set_str (&reply, ZF_TEXT, names, len);
    zc_msg_set_bool (&reply, ZF_GRANTED, !refused);
    s_reply (self, who->ident, who->len, &reply);
}

//  An ENTRIES reply carries at most ZC_FETCH_MAX_BYTES of entry frames
//  (256 KiB; it was 4 MiB): with --reply-hwm replies queued per connection
//  that is what one client that never reads can make us hold, 64 MiB at
//  the default of 256 (150 unread FETCHes once grew a leader to 629 MB).
#define S_FETCH_BYTES ZC_FETCH_MAX_BYTES

//  The seqs of one ENTRIES reply (their encodings go out as frames).
typedef struct {
    uint64_t *seqs;
    size_t count;
} s_fetched_t;

//  FETCH of every room: the seqs from..bound, in order.  Returns where the
//  scan stopped (the reply's `last`).
static uint64_t
s_fetch_all (zc_core_t *self, s_fetched_t *out, uint64_t from, uint64_t bound, uint64_t count)
{
    size_t total = 0;
    uint64_t seq;
    for (seq = from; seq <= bound && out->count < count; seq++) {
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        if (!entry || total + entry->size > S_FETCH_BYTES)
            break;
        out->seqs [out->count++] = seq;
        total += entry->size;
    }
    return seq - 1;
}

//  FETCH of one room, through the room's index: the cost is the entries
//  sent, however many of other rooms lie between (a quiet room resumed
//  after a failover used to cost a walk through the whole log).  The
//  reply is the one a scan of the log from `from` would give: same
//  entries, same `last`.  Returns `last`.
static uint64_t
s_fetch_room (zc_core_t *self, s_fetched_t *out, const char *room, const zc_msg_t *fetch,
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
    for (; pos < held; pos++) {
        uint64_t seq = zc_chatlog_room_seq_at (self->log, room, pos);
        if (seq > bound)
            break;
        zc_entry_t *entry = zc_chatlog_get (self->log, seq);
        if (!entry || total + entry->size > S_FETCH_BYTES)
            return seq - 1;         //  it starts the next reply
        out->seqs [out->count++] = seq;
        total += entry->size;
        if (out->count == count)
            return seq;
    }
    //  Nothing more of the room up to the bound: the scan went through
    //  every seq up to it (or asked from beyond it, and read nothing).
    return from - 1 > bound ? from - 1 : bound;
}

//  FETCH: committed entries after `last`, of one room if asked, in order.
static void
s_on_fetch (zc_core_t *self, const s_who_t *who, const zc_msg_t *fetch)
{
    uint64_t bound = self->lead_epoch ? self->published : zc_replica_commit (self->replica);
    //  Never beyond the log: a commit or published mark above what we hold
    //  (a forged truncation once did it) made the scan read past the end.
    if (bound > zc_chatlog_last_seq (self->log))
        bound = zc_chatlog_last_seq (self->log);
    uint64_t count = zc_msg_has (fetch, ZF_COUNT) && fetch->count ? fetch->count : 256;
    if (count > 4096)
        count = 4096;
    char room [ZC_MAX_ROOM + 1] = "";
    if (zc_msg_has (fetch, ZF_ROOM))
        zc_str_copy (room, sizeof room, fetch->room);
    s_fetched_t fetched = { zc_core_alloc (self, count * sizeof (uint64_t)), 0 };
    uint64_t last;
    if (*room)
        last = s_fetch_room (self, &fetched, room, fetch, bound, count);
    else {
        uint64_t from = fetch->last + 1;
        if (from < zc_chatlog_first_seq (self->log))
            from = zc_chatlog_first_seq (self->log);    //  older ones are retired
        last = s_fetch_all (self, &fetched, from, bound, count);
    }
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ENTRIES);
    zc_msg_set_u64 (&msg, ZF_NODE, self->cfg.election.self);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, zc_chatlog_last_seq (self->log));
    zc_msg_set_u64 (&msg, ZF_COMMIT, bound);
    zc_msg_set_u64 (&msg, ZF_EPOCH, zc_election_epoch (self->election));
    //  Where the scan stopped and where the log begins: a client continues
    //  from `last`, and learns how much history is still held.
    zc_msg_set_u64 (&msg, ZF_LAST, last);
    zc_msg_set_u64 (&msg, ZF_START_SEQ, zc_chatlog_first_seq (self->log));
    zc_core_reply_t *reply = s_reply (self, who->ident, who->len, &msg);
    if (reply) {
        reply->entries = fetched.seqs;
        reply->entry_count = fetched.count;
    }
}

//  The limits on who may ask what: a new connection beyond --max-clients,
//  and a POST or FETCH beyond the client's rate.  True if refused (and
//  answered).  STATUS is never limited: operators must see a full node.
static bool
s_limited (zc_core_t *self, const s_who_t *who, const zc_msg_t *msg, const char *user,
           uint64_t now)
{
    if (msg->type == ZC_STATUS)
        return false;
    bool costs = msg->type == ZC_POST || msg->type == ZC_FETCH;
    uint64_t retry_ms = 0;
    switch (zc_limits_request (self->limits, who->ident, who->len, user, costs, now,
                               &retry_ms)) {
        case ZC_LIMIT_CLIENTS:
            //  slow_down, not limit: nothing is wrong with the request, and a
            //  client holds its messages and asks again (docs/PROTOCOL.md §7)
            s_refuse_limit (self, who, msg, ZC_ERR_SLOW_DOWN, S_TOO_MANY_CLIENTS,
                            S_FULL_RETRY_MS);
            return true;
        case ZC_LIMIT_RATE:
            s_refuse_limit (self, who, msg, ZC_ERR_SLOW_DOWN, "slow down", retry_ms);
            return true;
        default:
            return false;
    }
}

void
zc_core_on_client (zc_core_t *self, const uint8_t *ident, size_t ident_len,
                   const uint8_t *body, size_t size, const char *user, uint64_t now)
{
    s_who_t who = { ident, ident_len };
    zc_msg_t msg;
    const char *error = NULL;
    if (zc_msg_decode (&msg, body, size, &error)) {
        self->dropped++;
        zc_core_reply_error (self, ident, ident_len, ZC_ERR_BAD_REQUEST, error);
        return;
    }
    if (s_limited (self, &who, &msg, user, now))
        return;
    switch (msg.type) {
        case ZC_POST:   s_on_post (self, &who, &msg, user, now); break;
        case ZC_HELLO:  s_on_hello (self, &who, &msg, now); break;
        case ZC_STATUS: s_on_status (self, &who, now); break;
        case ZC_FETCH:  s_on_fetch (self, &who, &msg); break;
        case ZC_PRESENCE: s_on_presence (self, &who, &msg, user, now); break;
        case ZC_ADMIN:  zc_core_on_admin (self, ident, ident_len, &msg, user, now); break;
        default:
            self->dropped++;
            zc_core_reply_error (self, ident, ident_len, ZC_ERR_BAD_REQUEST,
                                 "not a client request");
    }
}

static void
s_publish (zc_core_t *self, const zc_entry_t *entry)
{
    uint64_t *cached = zhashx_lookup (self->room_rseq, entry->room);
    if (!cached) {
        cached = malloc (sizeof *cached);
        if (cached)
            zhashx_insert (self->room_rseq, entry->room, cached);
    }
    if (cached)
        *cached = entry->rseq;
    else        //  no memory for the cache: forget the room, it is derived again
        zhashx_delete (self->room_rseq, entry->room);
    if (zc_members_is_entry (entry->room, entry->client))
        return;     //  a configuration entry: nobody listens to it
    zc_outbox_add (self->pub_box, entry->room, strlen (entry->room), entry->data, entry->size);
}

//  Leader: publish and acknowledge up to what a quorum of disks holds
//  (ours counts once it is on ours: zc_replication_commit) — only while
//  serving.
void
zc_core_advance (zc_core_t *self, uint64_t now)
{
    if (!zc_core_serving (self, now))
        return;
    uint64_t upto = zc_replica_commit (self->replica);
    //  Retired entries are skipped at once, not one by one: after a
    //  snapshot (PROTOCOL.md §5.8) they may be millions
    uint64_t retired = zc_chatlog_first_seq (self->log) - 1;
    if (self->published < retired && retired <= upto)
        self->published = retired;
    while (self->published < upto) {
        zc_entry_t *entry = zc_chatlog_get (self->log, ++self->published);
        if (!entry)
            continue;           //  retired already (cannot be unpublished news)
        s_publish (self, entry);
        self->publications++;
        if (entry->waiter) {
            zc_core_ident_t *who = entry->waiter;
            entry->waiter = NULL;
            zc_msg_t ack;
            s_ack_msg (self, entry, &ack);
            size_t size = zc_msg_encode (&ack, self->buf, sizeof self->buf);
            if (size) {
                zc_outbox_add (self->ack_box, who->data, who->len, self->buf, size);
                if (who->stamp) {
                    self->stamps = zc_grow (self->stamps, &self->stamp_cap,
                                            self->stamp_count + 1, sizeof *self->stamps);
                    self->stamps [self->stamp_count++] = who->stamp;
                }
            }
            free (who);
        }
    }
}

//  What advance released goes into the bundle once per wake-up (its tick)
//  and per storage report, not per event: a wake-up's publications of a
//  room and ACKs of a client share frames (DECISIONS.md, batches on the
//  wire).  Publications before ACKs: a sender that hears its ACK may
//  expect its own message on the PUB next (the loop sends pubs[] first).
void
zc_core_release (zc_core_t *self)
{
    zc_outbox_flush (self->pub_box);
    zc_outbox_flush (self->ack_box);
    //  The stamps of the ACKs just flushed join the bundle with them
    if (self->stamp_count) {
        self->acked = zc_grow (self->acked, &self->acked_cap,
                               self->acked_count + self->stamp_count, sizeof *self->acked);
        memcpy (self->acked + self->acked_count, self->stamps,
                self->stamp_count * sizeof *self->stamps);
        self->acked_count += self->stamp_count;
        self->stamp_count = 0;
    }
}
