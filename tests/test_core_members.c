/*  test_core_members.c — membership changes in the core (src/node/
    core_members.c; docs/ELECTION.md "Membership changes") without
    sockets: a 1-node core that serves, and ADMIN requests to it.

    1. Who may: without a key only when the client port is loopback
       (admin_open); with a key only the client named admin.
    2. A bad request, and a POST into the reserved room, are refused.
    3. An add appends a configuration entry that is in force at once (the
       core's members, the election's), not committed: with two members
       the quorum is 2, so the entry waits; a second change is refused
       busy until then, and STATUS still reports the committed members.
    4. Removing the leader itself: it hands over first (retiring), busy.
    5. A core started over a log that holds a configuration entry takes
       it, not --peers; and keeps it once retention retires the entry.
    6. A snapshot's retired configuration is in force at the next event.
*/
#include "core.h"
#include "wire.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define CLIENT "0123456789abcdef0123456789abcdef"

typedef struct {
    zc_core_t *core;
    uint64_t now, ticket;
    zc_msg_t reply;
    uint8_t reply_data [4096];
    bool replied;
} s_loop_t;

static zc_core_config_t
s_config (bool open)
{
    zc_core_config_t cfg = {
        .election = { .self = 1, .quorum = 1, .mh = 42, .heartbeat_ms = 100,
                      .misses = 3, .election_ms = 200, .lease_ms = 300,
                      .holddown_ms = 2000, .seed = 7, .members = { 1 }, .member_count = 1 },
        .batch = 512, .sync_timeout_ms = 3000, .port = 5000,
        .max_text = 1000, .max_rooms = 8, .admin_open = open,
    };
    zc_member_t me = { .id = 1, .host = "127.0.0.1", .port = 5000 };
    const char *why;
    zc_members_add (&cfg.members, &me, &why);
    return cfg;
}

static void
s_take (s_loop_t *loop)
{
    for (int round = 0; round < 2; round++) {
        const zc_core_ready_t *ready = zc_core_ready (loop->core);
        if (ready->ticket)
            loop->ticket = ready->ticket;
        for (size_t i = 0; i < ready->reply_count; i++) {
            size_t size = ready->replies [i].body.size;
            if (size > sizeof loop->reply_data)
                continue;
            memcpy (loop->reply_data, ready->replies [i].body.data, size);
            if (zc_msg_decode_next (&loop->reply, loop->reply_data, size, &(size_t) { 0 },
                                    NULL) == 0)
                loop->replied = true;
        }
        zc_core_durable (loop->core, loop->ticket, loop->now);
    }
}

static s_loop_t *
s_start (bool open, zc_chatlog_t *log)
{
    s_loop_t *loop = calloc (1, sizeof *loop);
    zc_core_config_t cfg = s_config (open);
    zc_stored_t stored = { .epoch = 0, .leader = 0, .log_epoch = 0 };
    loop->now = 1000;
    loop->core = zc_core_new (&cfg, log ? log : zc_chatlog_new (), &stored, loop->now);
    for (int i = 0; i < 200 && !zc_core_serving (loop->core, loop->now); i++) {
        uint64_t deadline = zc_core_deadline (loop->core);
        loop->now = deadline > loop->now ? deadline : loop->now + 1;
        zc_core_tick (loop->core, loop->now);
        s_take (loop);
    }
    return loop;
}

static void
s_stop (s_loop_t **loop_p)
{
    zc_core_destroy (&(*loop_p)->core);
    free (*loop_p);
    *loop_p = NULL;
}

//  One request; the reply it got (type ZC_UNKNOWN: none yet)
static const zc_msg_t *
s_ask (s_loop_t *loop, const zc_msg_t *msg, const char *user)
{
    uint8_t buf [ZC_MAX_FRAME];
    size_t size = zc_msg_encode (msg, buf, sizeof buf);
    loop->replied = false;
    zc_msg_init (&loop->reply, ZC_UNKNOWN);
    zc_core_client (loop->core, (const uint8_t *) "c1", 2, buf, size, user, loop->now);
    zc_core_tick (loop->core, loop->now);
    s_take (loop);
    return &loop->reply;
}

static const zc_msg_t *
s_admin (s_loop_t *loop, const char *text, const char *user)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ADMIN);
    zc_msg_set_cstr (&msg, ZF_TEXT, text);
    return s_ask (loop, &msg, user);
}

static bool
s_is (zc_str_t str, const char *text)
{
    return str.len == strlen (text) && memcmp (str.ptr, text, str.len) == 0;
}

static bool
s_refused (const zc_msg_t *reply, const char *code)
{
    return reply->type == ZC_ERROR && s_is (reply->code, code);
}

static void
test_who (void)
{
    s_loop_t *loop = s_start (false, NULL);
    CHECK (zc_core_serving (loop->core, loop->now));
    uint64_t last = zc_chatlog_last_seq (zc_core_log (loop->core));
    CHECK (s_refused (s_admin (loop, "add 2:127.0.0.1:5001", NULL), ZC_ERR_BAD_REQUEST));
    CHECK (s_refused (s_admin (loop, "add 2:127.0.0.1:5001", "client:bob"), ZC_ERR_BAD_REQUEST));
    CHECK (zc_chatlog_last_seq (zc_core_log (loop->core)) == last);
    const zc_msg_t *reply = s_admin (loop, "add 2:127.0.0.1:5001", "client:admin");
    CHECKF (reply->type == ZC_UNKNOWN, "the admin key's change waits for its commit (type %d)",
            reply->type);
    CHECK (zc_chatlog_last_seq (zc_core_log (loop->core)) == last + 1);
    s_stop (&loop);
}

static void
test_bad (void)
{
    s_loop_t *loop = s_start (true, NULL);
    const char *bad [] = { "add", "add 2", "add 0:h:5001", "remove x", "remove 9",
                           "add 1:h:5000", "grow 2", "remove 1 2" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        CHECKF (s_refused (s_admin (loop, bad [i], NULL), ZC_ERR_BAD_REQUEST),
                "\"%s\" was not refused", bad [i]);
    //  Clients cannot post into the reserved room
    zc_msg_t post;
    zc_msg_init (&post, ZC_POST);
    zc_msg_set_cstr (&post, ZF_CLIENT, CLIENT);
    zc_msg_set_u64 (&post, ZF_ID, 1);
    zc_msg_set_cstr (&post, ZF_ROOM, ZC_MEMBERS_ROOM);
    zc_msg_set_cstr (&post, ZF_FROM, "mallory");
    zc_msg_set_cstr (&post, ZF_TEXT, "1:h:5000,9:h:6000");
    zc_msg_set_u64 (&post, ZF_TS, 1);
    CHECK (s_refused (s_ask (loop, &post, NULL), ZC_ERR_BAD_REQUEST));
    CHECK (zc_chatlog_room_count (zc_core_log (loop->core), ZC_MEMBERS_ROOM) == 0);
    s_stop (&loop);
}

static void
test_one_at_a_time (void)
{
    s_loop_t *loop = s_start (true, NULL);
    s_admin (loop, "add 2:127.0.0.1:5001", NULL);
    uint64_t version;
    const zc_members_t *members = zc_core_members (loop->core, &version);
    CHECK (members->count == 2 && zc_members_has (members, 2));
    CHECK (version == 1);
    zc_members_t committed;
    zc_core_members_committed (loop->core, &committed);
    CHECK (committed.count == 1);
    //  Two members, quorum 2: we serve no more alone, and the entry waits
    loop->now += 1000;
    zc_core_tick (loop->core, loop->now);
    s_take (loop);
    CHECK (!zc_core_serving (loop->core, loop->now));
    //  A second change: not while the first is uncommitted (the leader
    //  no longer serves here, so it says not_leader; see test_busy)
    const zc_msg_t *reply = s_admin (loop, "add 3:127.0.0.1:5002", NULL);
    CHECK (s_refused (reply, ZC_ERR_NOT_LEADER) || s_refused (reply, ZC_ERR_BUSY));
    CHECK (zc_core_members (loop->core, NULL)->count == 2);
    s_stop (&loop);
}

//  --quorum 1 given: a change commits at once, then the next may go
static void
test_busy (void)
{
    s_loop_t *loop = calloc (1, sizeof *loop);
    zc_core_config_t cfg = s_config (true);
    cfg.quorum_explicit = 1;
    zc_stored_t stored = { 0 };
    loop->now = 1000;
    loop->core = zc_core_new (&cfg, zc_chatlog_new (), &stored, loop->now);
    for (int i = 0; i < 200 && !zc_core_serving (loop->core, loop->now); i++) {
        uint64_t deadline = zc_core_deadline (loop->core);
        loop->now = deadline > loop->now ? deadline : loop->now + 1;
        zc_core_tick (loop->core, loop->now);
        s_take (loop);
    }
    CHECK (zc_core_serving (loop->core, loop->now));
    //  Held back from the disk: the first is not committed when the
    //  second arrives
    uint8_t buf [256];
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ADMIN);
    zc_msg_set_cstr (&msg, ZF_TEXT, "add 2:127.0.0.1:5001");
    size_t size = zc_msg_encode (&msg, buf, sizeof buf);
    zc_core_client (loop->core, (const uint8_t *) "c1", 2, buf, size, NULL, loop->now);
    const zc_core_ready_t *ready = zc_core_ready (loop->core);
    CHECK (ready->ticket);              //  the write is handed out, not yet durable
    uint64_t first_ticket = ready->ticket;
    const zc_msg_t *reply = s_admin (loop, "add 3:127.0.0.1:5002", NULL);
    CHECKF (s_refused (reply, ZC_ERR_BUSY), "a second change while the first is "
            "uncommitted: type %d", reply->type);
    //  Durable now: the first is committed (ACK), the next one goes
    if (loop->ticket < first_ticket)
        loop->ticket = first_ticket;
    s_take (loop);
    zc_core_tick (loop->core, loop->now);
    loop->replied = false;
    s_take (loop);
    zc_members_t committed;
    zc_core_members_committed (loop->core, &committed);
    CHECK (committed.count == 2);
    reply = s_admin (loop, "add 3:127.0.0.1:5002", NULL);
    CHECKF (reply->type == ZC_ACK, "the second change once the first is committed: %d",
            reply->type);
    CHECK (zc_core_members (loop->core, NULL)->count == 3);
    //  Removing ourselves, the leader: we hand over first
    reply = s_admin (loop, "remove 1", NULL);
    CHECK (s_refused (reply, ZC_ERR_BUSY));
    CHECK (zc_election_retiring (zc_core_election (loop->core)));
    CHECK (zc_core_members (loop->core, NULL)->count == 3);
    s_stop (&loop);
}

//  A log that holds a configuration entry: it wins over --peers
static void
test_restart (void)
{
    zc_chatlog_t *log = zc_chatlog_new ();
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, 1);
    zc_msg_set_u64 (&chat, ZF_SEQ, 1);
    zc_msg_set_u64 (&chat, ZF_RSEQ, 1);
    zc_msg_set_u64 (&chat, ZF_TS, 1);
    zc_msg_set_cstr (&chat, ZF_ROOM, ZC_MEMBERS_ROOM);
    zc_msg_set_cstr (&chat, ZF_FROM, "admin");
    zc_msg_set_cstr (&chat, ZF_CLIENT, ZC_MEMBERS_CLIENT);
    zc_msg_set_u64 (&chat, ZF_ID, 1);
    zc_msg_set_cstr (&chat, ZF_TEXT, "1:127.0.0.1:5000,4:127.0.0.1:5003");
    uint8_t buf [512];
    size_t size = zc_msg_encode (&chat, buf, sizeof buf);
    CHECK (zc_chatlog_append (log, &chat, buf, size));
    zc_core_config_t cfg = s_config (true);
    zc_stored_t stored = { .epoch = 1, .leader = 1, .log_epoch = 1 };
    zc_core_t *core = zc_core_new (&cfg, log, &stored, 1000);
    const zc_members_t *members = zc_core_members (core, NULL);
    CHECK (members->count == 2 && zc_members_has (members, 4));
    //  Two members, quorum 2: alone it never serves
    uint64_t now = 1000;
    for (int i = 0; i < 100; i++) {
        now += 100;
        zc_core_tick (core, now);
        zc_core_ready (core);
    }
    CHECK (!zc_core_serving (core, now));
    //  Retention retires the entry: the configuration stays in force
    zc_core_compacted (core, 1);
    zc_core_tick (core, now + 100);
    zc_core_ready (core);
    members = zc_core_members (core, NULL);
    CHECK (members->count == 2 && zc_members_has (members, 4));
    zc_core_destroy (&core);
}

//  6. A snapshot installs a retired configuration into a log that holds
//  no configuration entry (a backup that was down while the change was
//  committed and retired): the core takes it at its next event, not
//  only at the next restart
static void
test_snapshot_members (void)
{
    zc_core_config_t cfg = s_config (true);
    zc_stored_t stored = { .epoch = 1, .leader = 2, .log_epoch = 1 };
    zc_chatlog_t *log = zc_chatlog_new ();
    zc_core_t *core = zc_core_new (&cfg, log, &stored, 1000);
    CHECK (zc_core_members (core, NULL)->count == 1);
    //  What the install leaves in the log (snapshot.c): a base, the tables
    zc_chatlog_set_base (log, 7, 1);
    zc_chatlog_set_retired (log, 'm', "1:127.0.0.1:5000,4:127.0.0.1:5003", 5);
    zc_core_tick (core, 1100);
    zc_core_ready (core);
    const zc_members_t *members = zc_core_members (core, NULL);
    CHECKF (members->count == 2 && zc_members_has (members, 4),
            "the snapshot's configuration is not in force: %zu members", members->count);
    zc_core_destroy (&core);
}

int
main (void)
{
    test_who ();
    test_bad ();
    test_one_at_a_time ();
    test_busy ();
    test_restart ();
    test_snapshot_members ();
    return check_report ("test_core_members");
}
