/*  test_members.c — a cluster configuration (src/node/members.c): parse
    and format round-trip, add and remove keep it sorted and refuse what
    they must, the quorum in force, and the hash equals the one --peers
    gives (docs/PROTOCOL.md §5.1) for the same members.
*/
#include <string.h>

#include "config.h"
#include "members.h"
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

int
main (void)
{
    s_parse_format ();
    s_add_remove ();
    s_quorum_hash ();
    s_entry ();
    return check_report ("test_members");
}
