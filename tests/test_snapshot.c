/*  test_snapshot.c — catch-up past retention (docs/PROTOCOL.md §5.8):
    the snapshot text and its chunks (snapshot.h), and two bare replicas,
    a leader whose log starts above 1 and a backup behind it, passing
    their messages by hand (encoded and decoded, as on the wire): when a
    snapshot is sent, what a backup accepts, what it installs.
*/
#include "chatlog.h"
#include "replica.h"
#include "snapshot.h"
#include "wire.h"
#include "testutil.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_RETRY 100

typedef struct {
    zc_chatlog_t *log;
    zc_replica_t *rep;
    zc_ractions_t out;
} node_t;

//  Entry seq of epoch; entries up to `clients` each have their own client
//  (so that the retired state has many lines), the rest share one.
static size_t
s_chat (uint8_t *buf, size_t cap, uint64_t seq, uint64_t epoch, uint64_t clients)
{
    char client [40];
    snprintf (client, sizeof client, "c11e%028llx",
              (unsigned long long) (seq <= clients ? seq : 0));
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&chat, ZF_SEQ, seq);
    zc_msg_set_u64 (&chat, ZF_RSEQ, seq);
    zc_msg_set_u64 (&chat, ZF_TS, seq);
    zc_msg_set_cstr (&chat, ZF_ROOM, "general");
    zc_msg_set_cstr (&chat, ZF_FROM, "ann");
    zc_msg_set_cstr (&chat, ZF_CLIENT, client);
    zc_msg_set_u64 (&chat, ZF_ID, seq);
    zc_msg_set_cstr (&chat, ZF_TEXT, "hi");
    return zc_msg_encode (&chat, buf, cap);
}

static void
s_fill (zc_chatlog_t *log, uint64_t last, uint64_t epoch, uint64_t clients)
{
    for (uint64_t seq = zc_chatlog_last_seq (log) + 1; seq <= last; seq++) {
        uint8_t buf [512];
        size_t size = s_chat (buf, sizeof buf, seq, epoch, clients);
        zc_msg_t chat;
        int rc = zc_msg_decode (&chat, buf, size, NULL);
        assert (rc == 0 && zc_chatlog_append (log, &chat, buf, size));
        (void) rc;
    }
}

//  Node id of {1, 2, 3}, log 1..last of epoch 1, retired up to base.
static node_t *
node_new (uint32_t id, uint64_t base, uint64_t last, uint64_t clients)
{
    node_t *node = calloc (1, sizeof *node);
    assert (node);
    node->log = zc_chatlog_new ();
    s_fill (node->log, last, 1, clients);
    zc_chatlog_compact (node->log, base);
    zc_replica_config_t cfg = { .self = id, .peer_count = 2, .quorum = 2, .mh = 1,
                                .retry_ms = T_RETRY, .batch = 8 };
    for (uint32_t peer = 1, n = 0; peer <= 3; peer++)
        if (peer != id)
            cfg.peers [n++] = peer;
    node->rep = zc_replica_new (&cfg, node->log, 1);
    return node;
}

static void
node_destroy (node_t **node_p)
{
    zc_replica_destroy (&(*node_p)->rep);
    zc_chatlog_destroy (&(*node_p)->log);
    free (*node_p);
    *node_p = NULL;
}

//  The message of a send as the receiver decodes it
static zc_msg_t
s_wire (const zc_msg_t *msg, uint8_t *buf, size_t cap)
{
    size_t size = zc_msg_encode (msg, buf, cap);
    zc_msg_t copy;
    int rc = zc_msg_decode (&copy, buf, size, NULL);
    assert (size && rc == 0);
    (void) rc;
    return copy;
}

//  Feed every send of from->out addressed to `to` (id to_id) to it, with
//  the entries it names; from->out is emptied, to->out holds the answers.
static size_t
s_deliver (node_t *from, node_t *to, uint32_t to_id, uint64_t now)
{
    zc_ractions_t sends = from->out;
    zc_ractions_clear (&from->out);
    zc_ractions_clear (&to->out);
    size_t fed = 0;
    for (size_t i = 0; i < sends.count; i++) {
        zc_rsend_t *send = &sends.sends [i];
        if (send->to != to_id)
            continue;
        static uint8_t header [ZC_MAX_FRAME], frames [64][512];
        zc_blob_t blobs [64];
        size_t count = 0;
        for (uint64_t seq = send->first; seq <= send->last && count < 64; seq++) {
            zc_entry_t *entry = zc_chatlog_get (from->log, seq);
            assert (entry && entry->size <= 512);
            memcpy (frames [count], entry->data, entry->size);
            blobs [count] = (zc_blob_t) { frames [count], entry->size };
            count++;
        }
        zc_msg_t msg = s_wire (&send->msg, header, sizeof header);
        zc_ractions_t answers = to->out;
        zc_ractions_clear (&to->out);
        zc_replica_recv (to->rep, &msg, blobs, count, now, &to->out);
        for (size_t j = 0; j < to->out.count && answers.count < ZC_RSENDS_MAX; j++)
            answers.sends [answers.count++] = to->out.sends [j];
        answers.save |= to->out.save;
        to->out = answers;
        fed++;
    }
    return fed;
}

static size_t
s_count (const zc_ractions_t *out, zc_type_t type)
{
    size_t n = 0;
    for (size_t i = 0; i < out->count; i++)
        n += out->sends [i].msg.type == type;
    return n;
}

//  --------------------------------------------------------------------------
//  The text: sorted, whole lines, the same for the same log

static void
test_text (void)
{
    const char *name = "snapshot text";
    node_t *node = node_new (1, 400, 405, 400);
    size_t size;
    char *text = zc_snapshot_text (node->log, &size);
    CHECKF (strncmp (text, "base 400 1\n", 11) == 0, "%s: the base line first: %.20s", name, text);
    CHECKF (strstr (text, "room general 400\n") && strstr (text, "client c11e"
            "0000000000000000000000000001 1\n"), "%s: rooms and clients", name);
    CHECK (zc_snapshot_check (text, size, 400, 1) == NULL);
    CHECK (zc_snapshot_check (text, size, 401, 1) != NULL);
    CHECK (zc_snapshot_check (text, size, 400, 2) != NULL);
    size_t again_size;
    char *again = zc_snapshot_text (node->log, &again_size);
    CHECKF (again_size == size && memcmp (text, again, size) == 0, "%s: deterministic", name);
    //  Chunks: whole lines within the limit, covering it all
    size_t at = 0, chunks = 0;
    while (at < size) {
        size_t len = zc_snapshot_chunk (text, size, at, ZC_SNAPSHOT_CHUNK);
        CHECK (len > 0 && len <= ZC_SNAPSHOT_CHUNK && text [at + len - 1] == '\n');
        if (!len)
            break;
        at += len;
        chunks++;
    }
    CHECKF (at == size && chunks == 2, "%s: %zu bytes in %zu chunks", name, size, chunks);
    CHECK (zc_snapshot_chunk (text, size, 3, ZC_SNAPSHOT_CHUNK) == 0);   //  mid-line
    CHECK (zc_snapshot_chunk (text, size, size, ZC_SNAPSHOT_CHUNK) == 0);
    char bad [] = "base 400 1\nsnapshot 400 1\n";
    CHECK (zc_snapshot_check (bad, strlen (bad), 400, 1) != NULL);
    char two [] = "base 400 1\nbase 400 1\n";
    CHECK (zc_snapshot_check (two, strlen (two), 400, 1) != NULL);
    free (text);
    free (again);
    node_destroy (&node);
    //  The configuration in force at the base travels with the state
    //  (docs/ELECTION.md "Membership changes"): installed, it is the log's
    char with_members [] = "base 400 1\nmembers 2:127.0.0.1:5002,3:127.0.0.1:5003,"
                           "4:127.0.0.1:5004 390\nroom general 400\n";
    CHECK (zc_snapshot_check (with_members, strlen (with_members), 400, 1) == NULL);
    zc_chatlog_t *log = zc_chatlog_new ();
    zc_snapshot_install (log, with_members, strlen (with_members), 400, 1);
    uint64_t members_seq = 0;
    const char *members = zc_chatlog_retired_members (log, &members_seq);
    CHECKF (members && strcmp (members, "2:127.0.0.1:5002,3:127.0.0.1:5003,4:127.0.0.1:5004") == 0
            && members_seq == 390, "%s: the configuration was not installed: %s", name,
            members ? members : "none");
    zc_chatlog_destroy (&log);
}

//  --------------------------------------------------------------------------
//  A backup behind the leader's oldest entry is caught up by a snapshot
//  in two chunks, then by APPENDs from base + 1

//  Leader 1 of epoch 2 over 1..405 (1..400 retired); backup 2 holds 1..3
//  and follows it.  The leader's probe is refused: the backup's next entry
//  (4) is retired, so a snapshot follows.
static void
s_lead (node_t *leader, node_t *backup, uint64_t now)
{
    zc_vote_t votes [] = { { 2, 1, 3 } };
    zc_replica_lead (leader->rep, 2, votes, 1, now, &leader->out);
    assert (zc_replica_ready (leader->rep));
    zc_replica_durable (leader->rep, 405);          //  the leader's own copy is on disk
    zc_replica_follow (backup->rep, 2, 1);
    zc_ractions_clear (&leader->out);
    zc_replica_tick (leader->rep, now, &leader->out);       //  the probe
    s_deliver (leader, backup, 2, now);                     //  refused: log ends at 3
    s_deliver (backup, leader, 1, now);
}

static void
test_catch_up (void)
{
    const char *name = "snapshot catch-up";
    node_t *leader = node_new (1, 400, 405, 400);
    node_t *backup = node_new (2, 0, 3, 400);
    uint64_t now = 1000;
    s_lead (leader, backup, now);
    zc_ractions_clear (&leader->out);
    zc_replica_tick (leader->rep, now += 10, &leader->out);
    CHECKF (s_count (&leader->out, ZC_SNAPSHOT) == 1 && leader->out.sends [0].to == 2,
            "%s: the backup that needs seq 4 gets a SNAPSHOT (%zu sends)", name,
            leader->out.count);
    //  Chunk 1: kept, confirmed; chunk 2 follows at once
    s_deliver (leader, backup, 2, now);
    CHECKF (s_count (&backup->out, ZC_SNAPSHOT_ACK) == 1 && zc_chatlog_last_seq (backup->log) == 3,
            "%s: the first chunk is confirmed, the log not replaced yet", name);
    s_deliver (backup, leader, 1, now);
    CHECK (s_count (&leader->out, ZC_SNAPSHOT) == 1);
    s_deliver (leader, backup, 2, now);
    CHECKF (zc_chatlog_first_seq (backup->log) == 401 && zc_chatlog_last_seq (backup->log) == 400
            && zc_chatlog_epoch_at (backup->log, 400) == 1
            && zc_chatlog_room_rseq (backup->log, "general") == 400
            && zc_chatlog_client_last_id (backup->log,
                                          "c11e0000000000000000000000000123") == 0x123
            && zc_replica_snapshots (backup->rep) == 1,
            "%s: installed: the log starts at %llu, rseq %llu", name,
            (unsigned long long) zc_chatlog_first_seq (backup->log),
            (unsigned long long) zc_chatlog_room_rseq (backup->log, "general"));
    CHECKF (s_count (&backup->out, ZC_APPEND_ACK) == 1 && backup->out.sends [0].msg.granted
            && backup->out.sends [0].msg.last_seq == 400,
            "%s: the backup confirms seq 400", name);
    s_deliver (backup, leader, 1, now);
    CHECKF (zc_replica_match (leader->rep, 2) == 400 && zc_replica_refused (leader->rep) == 0,
            "%s: the leader takes it: match %llu", name,
            (unsigned long long) zc_replica_match (leader->rep, 2));
    //  Then APPENDs from 401
    zc_ractions_clear (&leader->out);
    zc_replica_tick (leader->rep, now += 10, &leader->out);
    s_deliver (leader, backup, 2, now);
    s_deliver (backup, leader, 1, now);
    CHECKF (zc_chatlog_last_seq (backup->log) == 405 && zc_replica_match (leader->rep, 2) == 405
            && zc_replica_commit (leader->rep) == 405,
            "%s: then APPENDs: backup log ..%llu, commit %llu", name,
            (unsigned long long) zc_chatlog_last_seq (backup->log),
            (unsigned long long) zc_replica_commit (leader->rep));
    CHECKF (zc_replica_refused (backup->rep) == 0, "%s: the backup refused: %s", name,
            zc_replica_refusal (backup->rep) ? zc_replica_refusal (backup->rep) : "");
    node_destroy (&leader);
    node_destroy (&backup);
}

//  A backup that holds the leader's entry at the base keeps its log
static void
test_held_base (void)
{
    const char *name = "snapshot of a base we hold";
    node_t *leader = node_new (1, 400, 405, 0);
    node_t *backup = node_new (2, 0, 402, 0);
    uint64_t now = 1000;
    zc_replica_follow (backup->rep, 2, 1);
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_SNAPSHOT);
    zc_msg_set_u64 (&msg, ZF_NODE, 1);
    zc_msg_set_u64 (&msg, ZF_EPOCH, 2);
    zc_msg_set_u64 (&msg, ZF_MH, 1);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 400);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 405);
    zc_msg_set_u64 (&msg, ZF_COMMIT, 405);
    zc_msg_set_u64 (&msg, ZF_LAST, 0);
    zc_msg_set_u64 (&msg, ZF_COUNT, 11);
    zc_msg_set_cstr (&msg, ZF_TEXT, "base 400 1\n");
    zc_replica_recv (backup->rep, &msg, NULL, 0, now, &backup->out);
    CHECKF (zc_chatlog_first_seq (backup->log) == 1 && zc_chatlog_last_seq (backup->log) == 402
            && s_count (&backup->out, ZC_APPEND_ACK) == 1
            && backup->out.sends [0].msg.last_seq == 400,
            "%s: log 1..402 kept, seq 400 confirmed", name);
    node_destroy (&leader);
    node_destroy (&backup);
}

//  --------------------------------------------------------------------------
//  What a backup refuses: a snapshot only from the leader it follows in
//  its epoch, never below its commit floor, nothing absurd

static zc_msg_t
s_snapshot (uint32_t node, uint64_t epoch, uint64_t base, const char *text)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_SNAPSHOT);
    zc_msg_set_u64 (&msg, ZF_NODE, node);
    zc_msg_set_u64 (&msg, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&msg, ZF_MH, 1);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, base);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, base + 5);
    zc_msg_set_u64 (&msg, ZF_COMMIT, base + 5);
    zc_msg_set_u64 (&msg, ZF_LAST, 0);
    zc_msg_set_u64 (&msg, ZF_COUNT, strlen (text));
    zc_msg_set_cstr (&msg, ZF_TEXT, text);
    return msg;
}

//  Backup 2 holds 1..10 with 1..8 committed, and follows leader 1 in epoch 2.
static node_t *
s_committed_backup (void)
{
    node_t *backup = node_new (2, 0, 10, 0);
    zc_replica_follow (backup->rep, 2, 1);
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_APPEND);
    zc_msg_set_u64 (&msg, ZF_NODE, 1);
    zc_msg_set_u64 (&msg, ZF_EPOCH, 2);
    zc_msg_set_u64 (&msg, ZF_MH, 1);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 8);
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 1);
    zc_msg_set_u64 (&msg, ZF_COMMIT, 8);
    zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 10);
    zc_msg_set_u64 (&msg, ZF_START_SEQ, 10);
    zc_replica_recv (backup->rep, &msg, NULL, 0, 1000, &backup->out);
    assert (zc_replica_commit (backup->rep) == 8);
    return backup;
}

static void
s_expect_untouched (node_t *backup, const zc_msg_t *msg, bool counted, const char *what)
{
    uint64_t refused = zc_replica_refused (backup->rep);
    zc_ractions_clear (&backup->out);
    zc_replica_recv (backup->rep, msg, NULL, 0, 2000, &backup->out);
    CHECKF (zc_chatlog_first_seq (backup->log) == 1 && zc_chatlog_last_seq (backup->log) == 10
            && backup->out.count == 0
            && zc_replica_refused (backup->rep) == refused + (counted ? 1 : 0),
            "snapshot refused: %s: log %llu..%llu, %zu answers, refused %llu (was %llu)", what,
            (unsigned long long) zc_chatlog_first_seq (backup->log),
            (unsigned long long) zc_chatlog_last_seq (backup->log), backup->out.count,
            (unsigned long long) zc_replica_refused (backup->rep),
            (unsigned long long) refused);
}

static void
test_refusals (void)
{
    node_t *backup = s_committed_backup ();
    zc_msg_t msg = s_snapshot (3, 2, 20, "base 20 1\n");
    s_expect_untouched (backup, &msg, false, "from a node that is not our leader");
    msg = s_snapshot (1, 3, 20, "base 20 1\n");
    s_expect_untouched (backup, &msg, false, "from another epoch");
    msg = s_snapshot (1, 2, 7, "base 7 2\n");      //  (not our entry 7: it would install)
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 2);
    s_expect_untouched (backup, &msg, false, "a base below our commit point (late: ignored)");
    msg = s_snapshot (1, 2, 0, "base 0 1\n");
    s_expect_untouched (backup, &msg, true, "a base of 0");
    msg = s_snapshot (1, 2, 20, "base 20 1\n");
    zc_msg_set_u64 (&msg, ZF_COMMIT, 19);
    s_expect_untouched (backup, &msg, true, "a base past the leader's commit");
    msg = s_snapshot (1, 2, 20, "base 20 1\n");
    zc_msg_set_u64 (&msg, ZF_PREV_EPOCH, 3);
    s_expect_untouched (backup, &msg, true, "a base epoch past the leader's");
    msg = s_snapshot (1, 2, 20, "base 20 1\n");
    zc_msg_set_u64 (&msg, ZF_COUNT, (uint64_t) ZC_SNAPSHOT_MAX + 1);
    s_expect_untouched (backup, &msg, true, "a state too large");
    msg = s_snapshot (1, 2, 20, "base 20 1\n");
    zc_msg_set_u64 (&msg, ZF_COUNT, 5);
    s_expect_untouched (backup, &msg, true, "a chunk past the state's size");
    msg = s_snapshot (1, 2, 20, "base 21 1\n");
    s_expect_untouched (backup, &msg, true, "a base line that is not the base");
    msg = s_snapshot (1, 2, 20, "base 20 1\nroom no/slash 3\n");
    s_expect_untouched (backup, &msg, true, "a line retired.state would refuse");
    //  The honest one, after all that
    msg = s_snapshot (1, 2, 20, "base 20 1\nroom general 17\n");
    zc_ractions_clear (&backup->out);
    zc_replica_recv (backup->rep, &msg, NULL, 0, 3000, &backup->out);
    CHECKF (zc_chatlog_first_seq (backup->log) == 21 && backup->out.count == 1
            && zc_chatlog_room_rseq (backup->log, "general") == 17,
            "snapshot: an honest one is installed after the refusals");
    node_destroy (&backup);
}

//  The leader refuses an ACK for bytes it never sent
static void
test_leader_refusal (void)
{
    node_t *leader = node_new (1, 400, 405, 400);
    node_t *backup = node_new (2, 0, 3, 400);
    uint64_t now = 1000;
    s_lead (leader, backup, now);
    zc_ractions_clear (&leader->out);
    zc_replica_tick (leader->rep, now += 10, &leader->out);
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_SNAPSHOT_ACK);
    zc_msg_set_u64 (&msg, ZF_NODE, 2);
    zc_msg_set_u64 (&msg, ZF_EPOCH, 2);
    zc_msg_set_u64 (&msg, ZF_MH, 1);
    zc_msg_set_u64 (&msg, ZF_PREV_SEQ, 400);
    zc_msg_set_u64 (&msg, ZF_LAST, UINT64_MAX);
    zc_ractions_clear (&leader->out);
    zc_replica_recv (leader->rep, &msg, NULL, 0, now, &leader->out);
    CHECKF (zc_replica_refused (leader->rep) == 1 && leader->out.count == 0,
            "snapshot: a SNAPSHOT_ACK past the state is refused");
    node_destroy (&leader);
    node_destroy (&backup);
}

//  A new leader whose log ends below the best voter's oldest entry takes
//  the voter's snapshot in its view change, then the entries after it
static void
test_view_change (void)
{
    const char *name = "snapshot in a view change";
    node_t *leader = node_new (1, 0, 3, 400);
    node_t *voter = node_new (2, 400, 405, 400);
    uint64_t now = 1000;
    zc_replica_follow (voter->rep, 2, 1);
    zc_vote_t votes [] = { { 2, 1, 405 } };
    zc_replica_lead (leader->rep, 2, votes, 1, now, &leader->out);
    CHECK (!zc_replica_ready (leader->rep) && s_count (&leader->out, ZC_LOG_FETCH) == 1);
    for (int round = 0; round < 8 && !zc_replica_ready (leader->rep); round++) {
        s_deliver (leader, voter, 2, now);
        s_deliver (voter, leader, 1, now);
    }
    CHECKF (zc_replica_ready (leader->rep) && zc_chatlog_first_seq (leader->log) == 401
            && zc_chatlog_last_seq (leader->log) == 405
            && zc_chatlog_room_rseq (leader->log, "general") == 405
            && zc_replica_snapshots (leader->rep) == 1 && zc_replica_refused (leader->rep) == 0,
            "%s: ready with log %llu..%llu (snapshots %llu, refused %llu)", name,
            (unsigned long long) zc_chatlog_first_seq (leader->log),
            (unsigned long long) zc_chatlog_last_seq (leader->log),
            (unsigned long long) zc_replica_snapshots (leader->rep),
            (unsigned long long) zc_replica_refused (leader->rep));
    node_destroy (&leader);
    node_destroy (&voter);
}

int
main (void)
{
    test_text ();
    test_catch_up ();
    test_held_base ();
    test_refusals ();
    test_leader_refusal ();
    test_view_change ();
    return check_report ("test_snapshot");
}
