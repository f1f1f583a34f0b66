/*  fuzz_peer.c — libFuzzer target for the pure machines behind the peer
    port: node 1 of {1, 2, 3} (quorum 2), its election and its replica
    over an in-memory chat log, glued as src/node/node_peers.c and node.c
    glue them, fed a sequence of events that the fuzzer writes.  Peers 2
    and 3 are the fuzzer: every message they "send" is hostile input
    (issue 9: forged peer traffic must never hurt).

    Build (H3 wires it into CMake as fuzz_peer):
      clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
        -Isrc/node -Isrc/msg tests/fuzz/fuzz_peer.c \
        src/node/{election,replica,chatlog,replication}.c \
        src/msg/{wire,json,lamport}.c \
        $(pkg-config --cflags --libs libczmq libzmq msgpack) -o fuzz_peer
    Run: ./fuzz_peer -max_len=4096 [CORPUS_DIR]

    Input: records [op][len lo][len hi][len bytes of payload], until the
    input ends.  op % 8 picks the event:
      0  a raw frame to the peer ROUTER (zc_msg_decode; no entry frames);
      1  a raw frame with entry frames: payload = [n lo][n hi][n bytes]
         header, then [n lo][n hi][n bytes] per entry;
      2  a tick: the clock advances by payload[0..1] ms (0: 50 ms);
      3  a structured peer message: its type, sender, epoch and fields are
         drawn from the payload around what node 1 knows (its epoch, its
         log), with chat entries, then encoded and decoded by the real
         codec, so that the fuzzer reaches deep states without learning
         msgpack first;
      4  the election's verdict, forced: lead (with votes from the
         payload) or follow, at an epoch above any the replica saw;
      5  node 1 stamps a chat message if it may (leading and ready);
      6  a PING on the heartbeat port, or the leader's link going down;
      7  retention (--retain-*): the log forgets entries up to a point no
         higher than node.c's s_retain allows (commit, and as a leader
         what every backup confirmed).
    Invariants, checked after every event (abort () on violation):
      - the commit point never goes down and never passes the log's end;
      - a committed entry never changes or disappears (its epoch and
        bytes are remembered when it becomes committed);
      - every message the machines emit encodes, and names only entries
        the log holds (node.c asserts that);
      - a ready leader's view of a backup's position never passes its
        own log (a forged APPEND_ACK cannot claim more).
*/
#include "chatlog.h"
#include "election.h"
#include "replica.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MH        0x5eed5eed5eed5eedull
#define S_MAX_ENTRIES 8

typedef struct {
    uint64_t epoch;
    size_t size;
    uint64_t hash;
} s_committed_t;

typedef struct {
    zc_chatlog_t *log;
    zc_election_t *el;
    zc_replica_t *rep;
    zc_actions_t acts;
    zc_ractions_t racts;
    uint64_t now;
    uint64_t lead_epoch;        //  node.c's lead_epoch (0: not leading)
    uint64_t fed_epoch;         //  highest epoch given to the replica
    uint64_t rep_epoch;         //  the last epoch given to it, and leader
    uint32_t rep_leader;
    uint64_t commit;            //  highest commit seen
    s_committed_t *committed;   //  [seq - 1 - committed_base] for seq past the base
    size_t committed_cap;
    uint64_t committed_base;    //  retired (a snapshot may jump far): not remembered
    uint64_t stamped;           //  chat messages stamped by node 1
} s_node_t;

static uint8_t s_buf [ZC_MAX_FRAME];

static void
s_fail (const char *what, unsigned long long a, unsigned long long b)
{
    fprintf (stderr, "fuzz_peer: invariant violated: %s (%llu, %llu)\n", what, a, b);
    abort ();
}

static uint64_t
s_hash (const uint8_t *data, size_t size)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; i++)
        hash = (hash ^ data [i]) * 0x100000001b3ull;
    return hash;
}

//  --------------------------------------------------------------------------
//  Invariants

static void
s_check_send (s_node_t *node, const zc_msg_t *msg, uint64_t first, uint64_t last)
{
    if (!zc_msg_encode (msg, s_buf, sizeof s_buf))
        s_fail ("a message the codec refuses", msg->type, msg->has);
    for (uint64_t seq = first; seq <= last && last != UINT64_MAX; seq++)
        if (!zc_chatlog_get (node->log, seq))
            s_fail ("a send names an entry the log does not hold", seq, last);
}

static void
s_check (s_node_t *node)
{
    uint64_t commit = zc_replica_commit (node->rep);
    uint64_t last = zc_chatlog_last_seq (node->log);
    if (commit < node->commit)
        s_fail ("the commit point went down", node->commit, commit);
    if (commit > last)
        s_fail ("the commit point passed the log's end", commit, last);
    //  What is retired is forgotten here too: a snapshot (PROTOCOL.md §5.8)
    //  retires up to its base, which may lie far ahead, and is never below
    //  the commit floor, so nothing committed and held before it goes
    uint64_t first = zc_chatlog_first_seq (node->log);
    if (first - 1 > node->committed_base) {
        uint64_t drop = first - 1 - node->committed_base;
        uint64_t kept = node->commit > first - 1 ? node->commit - (first - 1) : 0;
        if (kept)
            memmove (node->committed, node->committed + drop, kept * sizeof *node->committed);
        node->committed_base = first - 1;
    }
    if (commit - node->committed_base > node->committed_cap) {
        size_t cap = node->committed_cap ? node->committed_cap : 64;
        while (cap < commit - node->committed_base)
            cap *= 2;
        node->committed = realloc (node->committed, cap * sizeof *node->committed);
        if (!node->committed)
            abort ();
        node->committed_cap = cap;
    }
    uint64_t from = node->commit > node->committed_base ? node->commit : node->committed_base;
    for (uint64_t seq = from + 1; seq <= commit; seq++) {
        zc_entry_t *entry = zc_chatlog_get (node->log, seq);
        if (!entry)
            s_fail ("a committed entry is not held", seq, first);
        node->committed [seq - 1 - node->committed_base] = (s_committed_t) {
            entry->epoch, entry->size, s_hash (entry->data, entry->size)
        };
    }
    node->commit = commit;
    for (uint64_t seq = first; seq <= commit; seq++) {
        zc_entry_t *entry = zc_chatlog_get (node->log, seq);
        s_committed_t *was = &node->committed [seq - 1 - node->committed_base];
        if (!entry)
            s_fail ("a committed entry disappeared", seq, commit);
        if (entry->epoch != was->epoch || entry->size != was->size
        ||  s_hash (entry->data, entry->size) != was->hash)
            s_fail ("a committed entry changed", seq, entry->epoch);
    }
    if (zc_replica_ready (node->rep))
        for (uint32_t peer = 2; peer <= 3; peer++)
            if (zc_replica_match (node->rep, peer) > last)
                s_fail ("a backup's position passed the leader's log",
                        zc_replica_match (node->rep, peer), last);
}

//  --------------------------------------------------------------------------
//  The glue of node.c and node_peers.c

static void s_run_actions (s_node_t *node);

static void
s_run_ractions (s_node_t *node)
{
    zc_ractions_t *out = &node->racts;
    for (size_t i = 0; i < out->count; i++)
        s_check_send (node, &out->sends [i].msg, out->sends [i].first, out->sends [i].last);
    bool stuck = out->stuck;
    zc_ractions_clear (out);
    if (stuck) {
        zc_election_step_down (node->el, node->now, &node->acts);
        s_run_actions (node);
    }
}

//  The election changed role: lead (view change) or follow.
static void
s_on_role (s_node_t *node)
{
    zc_role_t role = zc_election_role (node->el);
    uint64_t epoch = zc_election_epoch (node->el);
    if (role == ZC_ROLE_LEADER && node->lead_epoch != epoch) {
        node->lead_epoch = epoch;
        zc_vote_t votes [ZC_ELECTION_MAX_MEMBERS];
        size_t count = zc_election_votes (node->el, votes, ZC_ELECTION_MAX_MEMBERS);
        if (epoch > node->fed_epoch)
            node->fed_epoch = epoch;
        node->rep_epoch = epoch;
        node->rep_leader = 1;
        zc_replica_lead (node->rep, epoch, votes, count, node->now, &node->racts);
        s_run_ractions (node);
    }
    else
    if (role != ZC_ROLE_LEADER) {
        node->lead_epoch = 0;
        if (epoch > node->fed_epoch)
            node->fed_epoch = epoch;
        node->rep_epoch = epoch;
        node->rep_leader = zc_election_leader (node->el);
        zc_replica_follow (node->rep, epoch, node->rep_leader);
    }
}

static void
s_run_actions (s_node_t *node)
{
    //  A role change runs the replica, which may step down: a new batch
    for (int rounds = 0; node->acts.count && rounds < 8; rounds++) {
        zc_actions_t acts = node->acts;
        zc_actions_clear (&node->acts);
        for (size_t i = 0; i < acts.count; i++) {
            zc_action_t *action = &acts.items [i];
            if (action->kind == ZC_ACT_SEND || action->kind == ZC_ACT_PING)
                s_check_send (node, &action->msg, 1, 0);
            else
            if (action->kind == ZC_ACT_ROLE)
                s_on_role (node);
        }
    }
    zc_actions_clear (&node->acts);
}

static void
s_log_changed (s_node_t *node)
{
    zc_election_set_log (node->el, zc_chatlog_last_seq (node->log),
                         zc_replica_log_epoch (node->rep));
}

//  zc_node_peer_recv: the ROUTER's filters, then election, then replica.
static void
s_peer_recv (s_node_t *node, const uint8_t *frame, size_t size,
             const zc_blob_t *blobs, size_t count)
{
    zc_msg_t msg;
    if (zc_msg_decode (&msg, frame, size, NULL) || !zc_msg_has (&msg, ZF_NODE | ZF_EPOCH))
        return;
    if (msg.node == 1 || (msg.node != 2 && msg.node != 3) || msg.type < ZC_ELECTION
    ||  msg.type == ZC_PING || msg.type == ZC_PONG)
        return;
    zc_election_recv (node->el, &msg, node->now, &node->acts);
    s_run_actions (node);
    if (msg.mh == S_MH && (msg.type == ZC_APPEND || msg.type == ZC_APPEND_ACK
                       ||  msg.type == ZC_LOG_FETCH || msg.type == ZC_LOG_ENTRIES
                       ||  msg.type == ZC_SNAPSHOT || msg.type == ZC_SNAPSHOT_ACK)) {
        zc_replica_recv (node->rep, &msg, blobs, count, node->now, &node->racts);
        s_run_ractions (node);
        if (msg.type == ZC_APPEND_ACK)
            zc_election_peer_progress (node->el, (uint32_t) msg.node,
                                       zc_replica_match (node->rep, (uint32_t) msg.node));
    }
    s_log_changed (node);
}

//  One wake-up of node.c's loop: election timers, then replication.
static void
s_tick (s_node_t *node, uint64_t step)
{
    node->now += step;
    if (node->now >= zc_election_deadline (node->el)) {
        zc_election_tick (node->el, node->now, &node->acts);
        s_run_actions (node);
    }
    zc_replica_tick (node->rep, node->now, &node->racts);
    s_run_ractions (node);
    s_log_changed (node);
}

//  node_client.c: a leader that serves stamps a POST.
static void
s_stamp (s_node_t *node, uint8_t room)
{
    if (!zc_replica_ready (node->rep) || !node->lead_epoch)
        return;
    char client [ZC_CLIENT_ID_LEN + 1];
    snprintf (client, sizeof client, "c11e%028x", (unsigned) room);
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, node->lead_epoch);
    zc_msg_set_u64 (&chat, ZF_SEQ, zc_chatlog_last_seq (node->log) + 1);
    zc_msg_set_u64 (&chat, ZF_RSEQ, zc_chatlog_room_rseq (node->log, "general") + 1);
    zc_msg_set_u64 (&chat, ZF_TS, ++node->stamped + zc_chatlog_max_ts (node->log));
    zc_msg_set_cstr (&chat, ZF_ROOM, "general");
    zc_msg_set_cstr (&chat, ZF_FROM, "node1");
    zc_msg_set_cstr (&chat, ZF_CLIENT, client);
    zc_msg_set_u64 (&chat, ZF_ID, node->stamped);
    zc_msg_set_cstr (&chat, ZF_TEXT, "hello");
    size_t size = zc_msg_encode (&chat, s_buf, sizeof s_buf);
    if (!size)
        s_fail ("node 1 stamps a chat the codec refuses", 0, 0);
    zc_msg_t decoded;
    if (zc_msg_decode (&decoded, s_buf, size, NULL))
        s_fail ("node 1 stamps a chat the codec refuses", 1, 0);
    zc_replica_append (node->rep, &decoded, s_buf, size);
    s_log_changed (node);
}

//  --------------------------------------------------------------------------
//  Structured input

typedef struct {
    const uint8_t *data;
    size_t size, at;
} s_reader_t;

static uint8_t
s_u8 (s_reader_t *r)
{
    return r->at < r->size ? r->data [r->at++] : 0;
}

static uint64_t
s_u64 (s_reader_t *r)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = value << 8 | s_u8 (r);
    return value;
}

//  A value: half the time `around` itself (what an honest peer would
//  say), else near it, sometimes an extreme one.
static uint64_t
s_near (s_reader_t *r, uint64_t around)
{
    uint8_t pick = s_u8 (r);
    if (pick < 128)
        return around;
    if (pick < 232) {
        int64_t delta = (int64_t) (pick % 16) - 8;
        if (delta < 0 && (uint64_t) -delta > around)
            return 0;
        return around + (uint64_t) delta;
    }
    switch (pick % 6) {
        case 0: return 0;
        case 1: return UINT64_MAX;
        case 2: return UINT64_MAX - 1;
        case 3: return (1ull << 53) - 1;
        case 4: return 1ull << 63;
        default: return s_u64 (r);
    }
}

static const zc_type_t s_peer_types [] = {
    ZC_ELECTION, ZC_ANSWER, ZC_PREVOTE, ZC_PREVOTE_REPLY, ZC_COORDINATOR, ZC_ACCEPT,
    ZC_APPEND, ZC_APPEND_ACK, ZC_HANDOVER, ZC_LOG_FETCH, ZC_LOG_ENTRIES,
    ZC_APPEND, ZC_APPEND_ACK, ZC_COORDINATOR, ZC_ACCEPT, ZC_LOG_ENTRIES,
    ZC_SNAPSHOT, ZC_SNAPSHOT_ACK
};

static size_t
s_chat_entry (uint8_t *buf, size_t cap, uint64_t seq, uint64_t epoch, uint8_t salt)
{
    char client [ZC_CLIENT_ID_LEN + 1];
    snprintf (client, sizeof client, "c11e%028x", (unsigned) (salt & 3) + 0x100);
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&chat, ZF_SEQ, seq);
    zc_msg_set_u64 (&chat, ZF_RSEQ, seq);
    zc_msg_set_u64 (&chat, ZF_TS, seq + salt);
    zc_msg_set_cstr (&chat, ZF_ROOM, salt & 4 ? "other" : "general");
    zc_msg_set_cstr (&chat, ZF_FROM, "peer");
    zc_msg_set_cstr (&chat, ZF_CLIENT, client);
    zc_msg_set_u64 (&chat, ZF_ID, seq);
    zc_msg_set_cstr (&chat, ZF_TEXT, salt & 16 ? "forged" : "hi");
    return zc_msg_encode (&chat, buf, cap);
}

//  Op 3.  Every field is drawn around what an honest peer would send in
//  node 1's present state (s_near), so whole honest exchanges happen
//  (a claim, then APPENDs that grow and commit the log, ACKs, a view
//  change) and the fuzzer's deviations from them test the guards.
static void
s_structured (s_node_t *node, const uint8_t *data, size_t size)
{
    static uint8_t header [ZC_MAX_FRAME];
    static uint8_t frames [S_MAX_ENTRIES][512];
    zc_blob_t blobs [S_MAX_ENTRIES];
    s_reader_t r = { data, size, 0 };
    uint8_t kind = s_u8 (&r);
    zc_type_t type = s_peer_types [kind % (sizeof s_peer_types / sizeof s_peer_types [0])];
    //  Log traffic is about the replica's epoch and leader, which a
    //  forced verdict (op 4) may have set apart from the election's.
    bool log_type = type == ZC_APPEND || type == ZC_APPEND_ACK || type == ZC_LOG_FETCH
                 || type == ZC_LOG_ENTRIES || type == ZC_SNAPSHOT || type == ZC_SNAPSHOT_ACK;
    uint32_t leader = log_type ? node->rep_leader : zc_election_leader (node->el);
    uint32_t from = (kind & 0x10) || (leader != 2 && leader != 3) ? 2 + ((kind >> 5) & 1)
                                                                  : leader;
    uint64_t our_epoch = log_type ? node->rep_epoch : zc_election_epoch (node->el);
    bool claim = type == ZC_PREVOTE || type == ZC_COORDINATOR;
    uint64_t epoch = s_near (&r, our_epoch + (claim && !(kind & 0x40)));
    uint64_t last = zc_chatlog_last_seq (node->log);
    zc_msg_t msg;
    zc_msg_init (&msg, type);
    zc_msg_set_u64 (&msg, ZF_NODE, from);
    zc_msg_set_u64 (&msg, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&msg, ZF_MH, (kind & 0x80) && (kind & 0x40) ? S_MH + 1 : S_MH);
    uint8_t mask = s_u8 (&r);
    size_t count = 0;
    if (type == ZC_APPEND || type == ZC_LOG_ENTRIES)
        count = s_u8 (&r) % (S_MAX_ENTRIES + 1);
    //  The fields each type needs are always there; the others per mask
    uint64_t prev_seq = s_near (&r, last);
    uint64_t prev_epoch = s_near (&r, zc_chatlog_epoch_at (node->log, prev_seq));
    uint64_t their_last = s_near (&r, prev_seq + count);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, prev_seq);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, prev_epoch);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, type == ZC_APPEND_ACK ? s_near (&r, last) : their_last);
    zc_msg_set_bool (&msg, ZF_GRANTED, !(mask & 1));
    zc_msg_set_u64 (&msg, ZF_LAST, s_near (&r, zc_replica_commit (node->rep)));
    if (!(mask & 2))
        zc_msg_set_u64 (&msg, ZF_COMMIT, s_near (&r, their_last));
    if (!(mask & 4))
        zc_msg_set_u64 (&msg, ZF_START_SEQ, s_near (&r, prev_seq));
    if (!(mask & 8))
        zc_msg_set_u64 (&msg, ZF_LT, s_near (&r, node->now));
    if (!(mask & 16))
        zc_msg_set_u64 (&msg, ZF_LOG_EPOCH, s_near (&r, zc_replica_log_epoch (node->rep)));
    if (!(mask & 32))
        zc_msg_set_u64 (&msg, ZF_LEADER, mask & 64 ? 1 : from);
    //  A snapshot (PROTOCOL.md §5.8): a state naming its base, or not, in
    //  one chunk or from an offset into it
    char state [200];
    if (type == ZC_SNAPSHOT || type == ZC_SNAPSHOT_ACK || type == ZC_LOG_FETCH) {
        int n = snprintf (state, sizeof state, "base %llu %llu\n%s",
                          (unsigned long long) (mask & 128 ? prev_seq : s_near (&r, prev_seq)),
                          (unsigned long long) prev_epoch,
                          mask & 64 ? "client c11e0000000000000000000000000100 9\n"
                                      "room general 9\n" : "");
        size_t offset = s_u8 (&r) % 8 == 0 ? s_u8 (&r) % (size_t) (n + 1) : 0;
        if (type != ZC_LOG_FETCH)           //  (a LOG_FETCH's `last` is a seq)
            zc_msg_set_u64 (&msg, ZF_LAST, offset);
        if (type != ZC_LOG_FETCH || (mask & 32))
            zc_msg_set_u64 (&msg, ZF_COUNT, s_u8 (&r) % 4 ? (uint64_t) n
                                                         : s_near (&r, (uint64_t) n));
        zc_msg_set_str (&msg, ZF_TEXT, state + offset, (size_t) n - offset);
    }
    uint64_t entry_epoch = type == ZC_APPEND ? epoch : prev_epoch ? prev_epoch : 1;
    for (size_t i = 0; i < count; i++) {
        uint8_t how = s_u8 (&r);
        uint64_t seq = how & 0x80 ? s_near (&r, prev_seq + 1 + i) : prev_seq + 1 + i;
        if (how & 0x40)
            entry_epoch = s_near (&r, entry_epoch);
        size_t len = s_chat_entry (frames [i], sizeof frames [i], seq, entry_epoch, how);
        if (how == 0xff && len > 4)
            len -= 3;           //  a cut frame
        blobs [i] = (zc_blob_t) { frames [i], len };
    }
    size_t len = zc_msg_encode (&msg, header, sizeof header);
    if (len)
        s_peer_recv (node, header, len, blobs, count);
}

//  Op 4: the election's verdict, forced, at an epoch the replica has not
//  seen (the node only ever moves the replica's epoch up).
static void
s_force_role (s_node_t *node, const uint8_t *data, size_t size)
{
    s_reader_t r = { data, size, 0 };
    uint8_t how = s_u8 (&r);
    uint64_t epoch = node->fed_epoch + 1 + (how >> 4);
    node->fed_epoch = node->rep_epoch = epoch;
    if (how & 1) {
        zc_vote_t votes [2];
        size_t count = (how >> 1) % 3;
        for (size_t i = 0; i < count; i++) {
            votes [i].node = 2 + (uint32_t) i;
            votes [i].log_epoch = s_near (&r, zc_replica_log_epoch (node->rep));
            votes [i].last_seq = s_near (&r, zc_chatlog_last_seq (node->log));
        }
        node->lead_epoch = epoch;
        node->rep_leader = 1;
        zc_replica_lead (node->rep, epoch, votes, count, node->now, &node->racts);
        s_run_ractions (node);
    }
    else {
        node->lead_epoch = 0;
        node->rep_leader = how & 2 ? 2 + ((how >> 2) & 1) : 0;
        zc_replica_follow (node->rep, epoch, node->rep_leader);
    }
    s_log_changed (node);
}

static void
s_heartbeat (s_node_t *node, const uint8_t *data, size_t size)
{
    s_reader_t r = { data, size, 0 };
    uint8_t how = s_u8 (&r);
    if (how & 1) {
        zc_election_leader_down (node->el, node->now, &node->acts);
        s_run_actions (node);
        return;
    }
    zc_msg_t ping, pong;
    zc_msg_init (&ping, ZC_PING);
    zc_msg_set_u64 (&ping, ZF_NODE, 2 + ((how >> 1) & 1));
    zc_msg_set_u64 (&ping, ZF_EPOCH, s_near (&r, zc_election_epoch (node->el)));
    zc_msg_set_u64 (&ping, ZF_MH, how & 4 ? S_MH + 1 : S_MH);
    zc_msg_set_u64 (&ping, ZF_LAST_SEQ, s_near (&r, zc_chatlog_last_seq (node->log)));
    zc_msg_set_u64 (&ping, ZF_LT, s_near (&r, node->now));
    uint8_t frame [512];
    size_t len = zc_msg_encode (&ping, frame, sizeof frame);
    zc_msg_t decoded;
    if (!len || zc_msg_decode (&decoded, frame, len, NULL))
        return;
    zc_msg_init (&pong, ZC_PONG);
    zc_election_ping (node->el, &decoded, node->now, &pong);
    s_check_send (node, &pong, 1, 0);
}

//  node.c s_retain: retire what is committed and, leading, what every
//  backup confirmed; the payload picks how much of that.
static void
s_retain (s_node_t *node, const uint8_t *data, size_t size)
{
    uint64_t keep_after = zc_replica_commit (node->rep);
    if (node->lead_epoch)
        for (uint32_t peer = 2; peer <= 3; peer++)
            if (zc_replica_match (node->rep, peer) < keep_after)
                keep_after = zc_replica_match (node->rep, peer);
    uint64_t back = size ? data [0] % 8 : 0;
    keep_after = keep_after > back ? keep_after - back : 0;
    zc_chatlog_compact (node->log, keep_after);
}

//  --------------------------------------------------------------------------

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static zc_blob_t blobs [64];
    s_node_t node = { .now = 1000 };
    node.log = zc_chatlog_new ();
    zc_election_config_t ecfg = {
        .self = 1, .members = { 1, 2, 3 }, .member_count = 3, .quorum = 2, .mh = S_MH,
        .heartbeat_ms = 100, .misses = 3, .election_ms = 200, .lease_ms = 300,
        .holddown_ms = 2000, .seed = 1
    };
    zc_election_state_t state = { 0, 0, 0 };
    node.el = zc_election_new (&ecfg, &state, node.now);
    zc_replica_config_t rcfg = {
        .self = 1, .peers = { 2, 3 }, .peer_count = 2, .quorum = 2, .mh = S_MH,
        .retry_ms = 100, .batch = 4, .window = 8
    };
    node.rep = zc_replica_new (&rcfg, node.log, 0);
    s_log_changed (&node);

    size_t at = 0;
    while (at + 3 <= size) {
        uint8_t op = data [at];
        size_t len = (size_t) data [at + 1] | (size_t) data [at + 2] << 8;
        at += 3;
        if (len > size - at)
            len = size - at;
        const uint8_t *payload = data + at;
        at += len;
        switch (op % 8) {
            case 0:
                s_peer_recv (&node, payload, len, NULL, 0);
                break;
            case 1: {
                //  [n][n bytes] header, then [n][n bytes] per entry
                size_t pos = 0, count = 0;
                const uint8_t *header = NULL;
                size_t header_size = 0;
                while (pos + 2 <= len && count < 64) {
                    size_t n = (size_t) payload [pos] | (size_t) payload [pos + 1] << 8;
                    pos += 2;
                    if (n > len - pos)
                        n = len - pos;
                    if (!header) {
                        header = payload + pos;
                        header_size = n;
                    }
                    else
                        blobs [count++] = (zc_blob_t) { payload + pos, n };
                    pos += n;
                }
                if (header)
                    s_peer_recv (&node, header, header_size, blobs, count);
                break;
            }
            case 2: {
                uint64_t step = len >= 2 ? ((uint64_t) payload [0] | (uint64_t) payload [1] << 8)
                                         : 50;
                s_tick (&node, step ? step : 50);
                break;
            }
            case 3:
                s_structured (&node, payload, len);
                break;
            case 4:
                s_force_role (&node, payload, len);
                break;
            case 5:
                s_stamp (&node, len ? payload [0] : 0);
                break;
            case 6:
                s_heartbeat (&node, payload, len);
                break;
            default:
                s_retain (&node, payload, len);
                break;
        }
        s_check (&node);
    }
    zc_replica_destroy (&node.rep);
    zc_election_destroy (&node.el);
    zc_chatlog_destroy (&node.log);
    free (node.committed);
    return 0;
}
