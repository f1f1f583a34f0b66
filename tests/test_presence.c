/*  test_presence.c — the leader's presence table (presence.h): entries by
    connection and room, refresh and expiry, leaving, the bounds, and the
    names a reply carries. */
#include <string.h>

#include "presence.h"
#include "testutil.h"
#include "wire.h"

#define C(s) (const uint8_t *) (s), strlen (s)

static void
test_here_and_gone (void)
{
    zc_presence_t *p = zc_presence_new (100, 4);
    char names [1000];
    CHECK (zc_presence_here (p, C ("conn-a"), "general", "ana", 1000) == ZC_PRESENCE_OK);
    CHECK (zc_presence_here (p, C ("conn-b"), "general", "bob", 1000) == ZC_PRESENCE_OK);
    CHECK (zc_presence_here (p, C ("conn-c"), "dev", "carla", 1000) == ZC_PRESENCE_OK);
    //  a refresh is no new entry
    CHECK (zc_presence_here (p, C ("conn-a"), "general", "ana", 1500) == ZC_PRESENCE_OK);
    CHECK (zc_presence_size (p) == 3);
    CHECK (zc_presence_count (p, "general") == 2 && zc_presence_count (p, "dev") == 1);
    CHECK (zc_presence_count (p, "nobody") == 0);
    CHECK (zc_presence_names (p, "general", names, sizeof names) == 7);
    CHECKF (strcmp (names, "ana\nbob") == 0, "'%s'", names);
    //  two connections with one name: both shown (names are not unique)
    zc_presence_here (p, C ("conn-d"), "general", "ana", 1600);
    zc_presence_names (p, "general", names, sizeof names);
    CHECKF (strcmp (names, "ana\nana\nbob") == 0, "'%s'", names);
    //  one connection cannot remove another's entry, even with its name
    zc_presence_gone (p, C ("conn-x"), "general");
    zc_presence_gone (p, C ("conn-b"), "dev");
    CHECK (zc_presence_count (p, "general") == 3 && zc_presence_count (p, "dev") == 1);
    zc_presence_gone (p, C ("conn-b"), "general");
    zc_presence_names (p, "general", names, sizeof names);
    CHECKF (strcmp (names, "ana\nana") == 0, "'%s'", names);
    //  a rename shows at once
    zc_presence_here (p, C ("conn-d"), "general", "zé", 1700);
    zc_presence_names (p, "general", names, sizeof names);
    CHECKF (strcmp (names, "ana\nzé") == 0, "'%s'", names);
    //  the last one out: the room is gone
    zc_presence_gone (p, C ("conn-c"), "dev");
    CHECK (zc_presence_count (p, "dev") == 0);
    CHECK (zc_presence_names (p, "dev", names, sizeof names) == 0 && names [0] == 0);
    zc_presence_clear (p);
    CHECK (zc_presence_size (p) == 0 && zc_presence_count (p, "general") == 0);
    zc_presence_destroy (&p);
    CHECK (p == NULL);
    zc_presence_destroy (&p);
}

static void
test_expiry (void)
{
    zc_presence_t *p = zc_presence_new (100, 4);
    zc_presence_here (p, C ("a"), "general", "ana", 10000);
    zc_presence_here (p, C ("b"), "general", "bob", 10000);
    //  ana refreshes every interval, bob stops
    uint64_t now = 10000;
    size_t dropped = 0;
    while (now + ZC_PRESENCE_MS / 4 < 10000 + ZC_PRESENCE_EXPIRE_MS) {
        now += ZC_PRESENCE_MS / 4;
        if (now % ZC_PRESENCE_MS == 0)
            zc_presence_here (p, C ("a"), "general", "ana", now);
        dropped += zc_presence_expire (p, now);
    }
    CHECKF (dropped == 0 && zc_presence_count (p, "general") == 2, "bob kept until it expires");
    for (int i = 0; i < 8; i++) {
        now += ZC_PRESENCE_MS / 4;
        if (now % ZC_PRESENCE_MS == 0)
            zc_presence_here (p, C ("a"), "general", "ana", now);
        dropped += zc_presence_expire (p, now);
    }
    char names [100];
    zc_presence_names (p, "general", names, sizeof names);
    CHECKF (dropped == 1 && strcmp (names, "ana") == 0, "dropped %zu, '%s'", dropped, names);
    //  the sweep runs at most once a second
    zc_presence_here (p, C ("c"), "general", "carla", now);
    CHECK (zc_presence_expire (p, now + 1000 + ZC_PRESENCE_EXPIRE_MS) == 2);
    CHECK (zc_presence_expire (p, now + 1500 + ZC_PRESENCE_EXPIRE_MS) == 0);
    CHECK (zc_presence_size (p) == 0);
    zc_presence_destroy (&p);
}

static void
test_bounds (void)
{
    zc_presence_t *p = zc_presence_new (5, 2);
    CHECK (zc_presence_here (p, C ("a"), "r1", "ana", 0) == ZC_PRESENCE_OK);
    CHECK (zc_presence_here (p, C ("a"), "r2", "ana", 0) == ZC_PRESENCE_OK);
    //  a third room on one connection: refused; its refreshes still pass
    CHECK (zc_presence_here (p, C ("a"), "r3", "ana", 0) == ZC_PRESENCE_CONN_FULL);
    CHECK (zc_presence_here (p, C ("a"), "r2", "ana", 1) == ZC_PRESENCE_OK);
    CHECK (zc_presence_count (p, "r3") == 0);
    //  leaving one frees its place
    zc_presence_gone (p, C ("a"), "r1");
    CHECK (zc_presence_here (p, C ("a"), "r3", "ana", 2) == ZC_PRESENCE_OK);
    //  five in all
    CHECK (zc_presence_here (p, C ("b"), "r1", "bob", 2) == ZC_PRESENCE_OK);
    CHECK (zc_presence_here (p, C ("c"), "r1", "carla", 2) == ZC_PRESENCE_OK);
    CHECK (zc_presence_here (p, C ("d"), "r1", "dora", 2) == ZC_PRESENCE_OK);
    CHECK (zc_presence_here (p, C ("e"), "r1", "eva", 2) == ZC_PRESENCE_FULL);
    CHECK (zc_presence_here (p, C ("d"), "r1", "dora", 3) == ZC_PRESENCE_OK);
    CHECK (zc_presence_size (p) == 5);
    zc_presence_destroy (&p);
    //  the names of a big room: ZC_PRESENCE_SHOW at most, whole names
    //  only, within the buffer; the count is all of them
    p = zc_presence_new (1000, 1);
    for (int i = 0; i < 300; i++) {
        char conn [16], name [ZC_MAX_NAME + 1];
        snprintf (conn, sizeof conn, "c%03d", i);
        snprintf (name, sizeof name, "%03d%0*d", i, ZC_MAX_NAME - 3, 0);     //  64 bytes
        zc_presence_here (p, C (conn), "big", name, 0);
    }
    CHECK (zc_presence_count (p, "big") == 300);
    static char names [ZC_MAX_TEXT + 1];
    size_t len = zc_presence_names (p, "big", names, sizeof names);
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += names [i] == '\n';
    CHECKF (lines == ZC_PRESENCE_SHOW && len == ZC_PRESENCE_SHOW * 65 - 1 && len <= ZC_MAX_TEXT,
            "%zu names, %zu bytes", lines, len);
    char small [200];
    len = zc_presence_names (p, "big", small, sizeof small);
    CHECKF (len == 3 * 65 - 1 && small [len] == 0 && strchr (small, '\n') == small + 64,
            "cut at a whole name: %zu", len);
    zc_presence_destroy (&p);
}

int
main (void)
{
    test_here_and_gone ();
    test_expiry ();
    test_bounds ();
    return check_report ("test_presence");
}
