/*  test_members.c — a cluster configuration (src/node/members.c): parse
    and format round-trip, add and remove keep it sorted and refuse what
    they must, the quorum in force, and the hash equals the one --peers
    gives (docs/PROTOCOL.md §5.1) for the same members.
*/
#include <string.h>

#include "chatlog.h"
#include "config.h"
#include "election.h"
#include "members.h"
#include "store.h"
#include "testdir.h"
#include "testutil.h"

static void
s_parse_format (void)
{
    zc_members_t m;
    char err [160], buf [512];
    const char *text = "3:10.0.0.3:5002,1:localhost:5000,2:[::1]:5001";
    CHECK (zc_members_parse (&m, text, strlen (text), err, sizeof err) == 0);
    CHECK (m.count == 3);
    CHECK (m.member [0].id == 1 && m.member [1].id == 2 && m.member [2].id == 3);
    CHECK (strcmp (m.member [1].host, "[::1]") == 0 && m.member [1].port == 5001);
    size_t len = zc_members_format (&m, buf, sizeof buf);
    CHECK (len == strlen (buf));
    CHECK (strcmp (buf, "1:localhost:5000,2:[::1]:5001,3:10.0.0.3:5002") == 0);
    zc_members_t again;
    CHECK (zc_members_parse (&again, buf, len, err, sizeof err) == 0);
    CHECK (zc_members_equal (&m, &again));
    CHECK (zc_members_ids (&m, buf, sizeof buf) == 5 && strcmp (buf, "1,2,3") == 0);
    //  Too small a buffer: empty, 0
    CHECK (zc_members_format (&m, buf, 10) == 0 && buf [0] == 0);

    const char *bad [] = {
        "", "1:h", "0:h:5000", "1000001:h:5000", "x:h:5000", "1::5000", "1:h:0",
        "1:h:64000", "1:h:5000,", "1:h:5000,1:g:5001", "1:a b:5000", ",1:h:5000",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        err [0] = 0;
        CHECKF (zc_members_parse (&m, bad [i], strlen (bad [i]), err, sizeof err) == -1
                && err [0], "accepted \"%s\"", bad [i]);
    }
    zc_member_t one;
    CHECK (zc_member_parse (&one, "4:127.0.0.1:5003", 16, err, sizeof err) == 0);
    CHECK (one.id == 4 && one.port == 5003 && strcmp (one.host, "127.0.0.1") == 0);
}

static void
s_add_remove (void)
{
    zc_members_t m;
    char err [160];
    const char *why = NULL;
    CHECK (zc_members_parse (&m, "1:h:5000,3:h:5002", 17, err, sizeof err) == 0);
    zc_member_t two = { .id = 2, .host = "h", .port = 5001 };
    CHECK (zc_members_add (&m, &two, &why) == 0);
    CHECK (m.count == 3 && m.member [1].id == 2 && m.member [2].id == 3);
    CHECK (zc_members_add (&m, &two, &why) == -1 && strstr (why, "already"));
    zc_member_t zero = { .id = 0, .host = "h", .port = 5001 };
    CHECK (zc_members_add (&m, &zero, &why) == -1);
    CHECK (zc_members_remove (&m, 9, &why) == -1 && strstr (why, "not a member"));
    CHECK (zc_members_remove (&m, 1, &why) == 0);
    CHECK (m.count == 2 && m.member [0].id == 2 && !zc_members_has (&m, 1));
    CHECK (zc_members_remove (&m, 2, &why) == 0);
    CHECK (zc_members_remove (&m, 3, &why) == -1 && strstr (why, "last"));
    //  Full
    zc_members_t full = { .count = 0 };
    for (uint32_t id = 1; id <= ZC_ELECTION_MAX_MEMBERS; id++) {
        zc_member_t member = { .id = id, .host = "h", .port = 5000 };
        CHECK (zc_members_add (&full, &member, &why) == 0);
    }
    zc_member_t more = { .id = 99, .host = "h", .port = 5000 };
    CHECK (zc_members_add (&full, &more, &why) == -1);
}

static void
s_quorum_hash (void)
{
    zc_members_t m;
    char err [160];
    CHECK (zc_members_parse (&m, "1:h:5000,2:h:5001,3:h:5002", 26, err, sizeof err) == 0);
    CHECK (zc_members_quorum (&m, 0) == 2);
    CHECK (zc_members_quorum (&m, 1) == 1);
    CHECK (zc_members_quorum (&m, 7) == 3);
    zc_member_t four = { .id = 4, .host = "h", .port = 5003 };
    const char *why;
    zc_members_t m4 = m;
    CHECK (zc_members_add (&m4, &four, &why) == 0);
    CHECK (zc_members_quorum (&m4, 0) == 3);
    CHECK (zc_members_hash (&m, 2) != zc_members_hash (&m4, 3));
    CHECK (zc_members_hash (&m, 2) != zc_members_hash (&m, 3));
    //  Hosts are not hashed
    zc_members_t other = m;
    strcpy (other.member [0].host, "elsewhere");
    CHECK (zc_members_hash (&m, 2) == zc_members_hash (&other, 2));

    //  The same bytes as --peers hashes: a cluster whose log never held a
    //  configuration entry keeps its membership hash
    const char *argv [] = { "chat-node", "--id", "2", "--port", "5001",
                            "--peers", "1:h:5000,3:h:5002", NULL };
    zc_config_t cfg;
    CHECK (zc_config_parse (&cfg, 7, (char **) argv, err, sizeof err) == 0);
    CHECK (zc_config_membership_hash (&cfg) == zc_members_hash (&m, 2));
}

static void
s_entry (void)
{
    CHECK (zc_members_is_entry (ZC_MEMBERS_ROOM, ZC_MEMBERS_CLIENT));
    CHECK (!zc_members_is_entry (ZC_MEMBERS_ROOM, "0123456789abcdef0123456789abcdef"));
    CHECK (!zc_members_is_entry ("general", ZC_MEMBERS_CLIENT));
}

//  The mh rule (docs/PROTOCOL.md §5.1): two nodes on --peers must agree;
//  once either runs on a configuration from the log, the log decides.
static void
s_mh_rule (void)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_COORDINATOR);
    zc_msg_set_u64 (&msg, ZF_MH, 7);
    CHECK (zc_members_mh_ok (0, 7, &msg));
    CHECK (!zc_members_mh_ok (0, 8, &msg));         //  mismatched --peers
    CHECK (zc_members_mh_ok (12, 8, &msg));         //  I run on the log's
    zc_msg_set_u64 (&msg, ZF_MSEQ, 12);
    CHECK (zc_members_mh_ok (0, 8, &msg));          //  it runs on the log's
    CHECK (zc_members_mh_ok (12, 8, &msg));
    zc_msg_set_u64 (&msg, ZF_MSEQ, 0);
    CHECK (!zc_members_mh_ok (0, 8, &msg));         //  an explicit 0 is --peers
}

static zc_entry_t *
s_append (zc_chatlog_t *log, const char *room, const char *client, uint64_t id,
          const char *text)
{
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, 1);
    zc_msg_set_u64 (&chat, ZF_SEQ, zc_chatlog_last_seq (log) + 1);
    zc_msg_set_u64 (&chat, ZF_RSEQ, zc_chatlog_room_rseq (log, room) + 1);
    zc_msg_set_u64 (&chat, ZF_TS, zc_chatlog_last_seq (log) + 1);
    zc_msg_set_cstr (&chat, ZF_ROOM, room);
    zc_msg_set_cstr (&chat, ZF_FROM, "x");
    zc_msg_set_cstr (&chat, ZF_CLIENT, client);
    zc_msg_set_u64 (&chat, ZF_ID, id);
    zc_msg_set_cstr (&chat, ZF_TEXT, text);
    uint8_t buf [4096];
    size_t size = zc_msg_encode (&chat, buf, sizeof buf);
    return zc_chatlog_append (log, &chat, buf, size);
}

typedef struct {
    char members [512];
    uint64_t seq;
} s_tables_t;

static void
s_each (char kind, const char *key, uint64_t value, uint64_t at, void *arg)
{
    (void) at;
    s_tables_t *tables = arg;
    if (kind == 'm') {
        snprintf (tables->members, sizeof tables->members, "%s", key);
        tables->seq = value;
    }
}

//  The configuration in force follows the log: the newest entry held,
//  also after a truncation; retention keeps it (tables 'm', retired.state)
static void
s_in_the_log (void)
{
    const char *user = "0123456789abcdef0123456789abcdef";
    const char *three = "1:h:5000,2:h:5001,3:h:5002";
    const char *four = "1:h:5000,2:h:5001,3:h:5002,4:h:5003";
    char buf [512];
    zc_chatlog_t *log = zc_chatlog_new ();
    CHECK (s_append (log, "general", user, 1, "hi"));
    CHECK (zc_chatlog_members_at (log, UINT64_MAX, buf, sizeof buf) == 0);
    CHECK (s_append (log, ZC_MEMBERS_ROOM, ZC_MEMBERS_CLIENT, 1, three));     //  seq 2
    CHECK (s_append (log, "general", user, 2, "hi"));
    //  A client's post in the room is not a configuration entry
    CHECK (s_append (log, ZC_MEMBERS_ROOM, user, 3, "9:h:1"));                //  seq 4
    CHECK (zc_chatlog_members_at (log, UINT64_MAX, buf, sizeof buf) == 2);
    CHECK (strcmp (buf, three) == 0);
    CHECK (s_append (log, ZC_MEMBERS_ROOM, ZC_MEMBERS_CLIENT, 2, four));      //  seq 5
    CHECK (zc_chatlog_members_at (log, UINT64_MAX, buf, sizeof buf) == 5);
    CHECK (strcmp (buf, four) == 0);
    CHECK (zc_chatlog_members_at (log, 4, buf, sizeof buf) == 2);
    CHECK (zc_chatlog_members_at (log, 1, buf, sizeof buf) == 0);
    //  Truncated away: the one before is in force again
    zc_chatlog_truncate (log, 4, NULL);
    CHECK (zc_chatlog_members_at (log, UINT64_MAX, buf, sizeof buf) == 2);
    CHECK (s_append (log, ZC_MEMBERS_ROOM, ZC_MEMBERS_CLIENT, 2, four));      //  seq 5
    CHECK (s_append (log, "general", user, 4, "hi"));                         //  seq 6
    //  Retention up to 5 keeps the configuration of seq 5
    s_tables_t tables = { "", 0 };
    zc_chatlog_tables_upto (log, 6, s_each, &tables);
    CHECK (tables.seq == 5 && strcmp (tables.members, four) == 0);
    tables.seq = 0;
    zc_chatlog_tables_upto (log, 3, s_each, &tables);
    CHECK (tables.seq == 2 && strcmp (tables.members, three) == 0);
    //  Retired in memory too: the configuration stays known
    zc_chatlog_compact (log, 6);
    CHECK (zc_chatlog_members_at (log, UINT64_MAX, buf, sizeof buf) == 0);
    uint64_t seq = 0;
    CHECK (zc_chatlog_retired_members (log, &seq) && seq == 5);
    zc_chatlog_set_retired (log, 'm', four, 5);
    zc_chatlog_set_retired (log, 'm', three, 2);    //  values only rise
    seq = 0;
    CHECK (strcmp (zc_chatlog_retired_members (log, &seq), four) == 0 && seq == 5);
    tables.seq = 0;
    zc_chatlog_tables_upto (log, 6, s_each, &tables);
    CHECK (tables.seq == 5 && strcmp (tables.members, four) == 0);
    zc_chatlog_destroy (&log);
}

static void
s_load_each (char kind, const char *key, uint64_t value, uint64_t at, void *arg)
{
    s_each (kind, key, value, at, arg);
}

//  retired.state holds a "members" line, checked like the others
static void
s_retired_state (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_members");
    const char *good = "base 6 1\nmembers 1:h:5000,2:h:5001,4:h:5003 5\nroom general 3\n";
    CHECK (zc_store_save_retired (dir, good, strlen (good)) == 0);
    s_tables_t tables = { "", 0 };
    char err [200] = "";
    CHECK (zc_store_load_retired (dir, s_load_each, &tables, err, sizeof err) == 0);
    CHECK (tables.seq == 5 && strcmp (tables.members, "1:h:5000,2:h:5001,4:h:5003") == 0);
    const char *bad = "base 6 1\nmembers 1:h:5000,,2:h:5001 5\n";
    CHECK (zc_store_save_retired (dir, bad, strlen (bad)) != 0);
    test_rmrf (dir);
}

//  The election takes a new configuration: new peers, quorum and hash; a
//  node no longer named never runs
static void
s_election_members (void)
{
    zc_election_config_t cfg = {
        .self = 2, .members = { 1, 2, 3 }, .member_count = 3, .quorum = 2, .mh = 11,
        .heartbeat_ms = 100, .misses = 3, .election_ms = 200, .lease_ms = 300,
        .holddown_ms = 1000, .seed = 1,
    };
    zc_election_state_t st = { 0, 0, 0 };
    zc_election_t *election = zc_election_new (&cfg, &st, 0);
    zc_actions_t out;
    zc_actions_clear (&out);
    uint32_t four [] = { 1, 2, 3, 4 };
    zc_election_set_members (election, four, 4, 3, 12, 9, 10, &out);
    CHECK (!zc_election_removed (election));
    //  Its sends now carry the new hash and the entry's seq
    zc_actions_clear (&out);
    uint64_t now = 10;
    bool stamped = false;
    for (int i = 0; i < 100 && !stamped; i++) {
        now += 100;
        zc_actions_clear (&out);
        zc_election_tick (election, now, &out);
        for (size_t a = 0; a < out.count; a++)
            if (out.items [a].kind == ZC_ACT_SEND && out.items [a].to == 4)
                stamped = out.items [a].msg.mh == 12 && out.items [a].msg.mseq == 9;
    }
    CHECK (stamped);
    uint32_t without [] = { 1, 3, 4 };
    zc_actions_clear (&out);
    zc_election_set_members (election, without, 3, 2, 13, 10, now, &out);
    CHECK (zc_election_removed (election));
    //  Never runs: no ELECTION or PREVOTE of its own, ever
    bool ran = false;
    for (int i = 0; i < 100; i++) {
        now += 100;
        zc_actions_clear (&out);
        zc_election_tick (election, now, &out);
        for (size_t a = 0; a < out.count; a++)
            if (out.items [a].kind == ZC_ACT_SEND
            && (out.items [a].msg.type == ZC_ELECTION || out.items [a].msg.type == ZC_PREVOTE
             || out.items [a].msg.type == ZC_COORDINATOR))
                ran = true;
    }
    CHECK (!ran && zc_election_role (election) != ZC_ROLE_LEADER);
    zc_election_destroy (&election);
}

int
main (void)
{
    s_parse_format ();
    s_add_remove ();
    s_quorum_hash ();
    s_entry ();
    s_mh_rule ();
    s_in_the_log ();
    s_retired_state ();
    s_election_members ();
    return check_report ("test_members");
}
