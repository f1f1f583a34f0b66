/*  test_limits.c — the leader's per-client limits (client_limits.h), with
    the time given by the test.

    1. Connections: max_clients active ones; one more is refused until the
       oldest has been quiet ZC_LIMITS_ACTIVE_MS; a known one always passes.
    2. The token bucket: burst 2 * rate, then one token per 1/rate s;
       retry_ms says when the next one is there; requests that do not cost
       (HELLO) take none; rate 0 is no limit.
    3. Buckets keyed by User-Id: two connections of one key share one.
    4. Client ids: bound to the first User-Id, refused from another; no
       binding without security; at most max_rooms rooms, a known room
       always passes, a repeat (no room) is not counted.
    5. Bounded tables: 3 * ZC_LIMITS_IDS client ids and a million
       connections without max_clients keep the tables at their sizes.
*/
#include "client_limits.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static zc_limit_t
s_req (zc_limits_t *limits, const char *ident, const char *user, bool costs, uint64_t now,
       uint64_t *retry_ms)
{
    return zc_limits_request (limits, (const uint8_t *) ident, strlen (ident), user, costs,
                              now, retry_ms);
}

static void
test_connections (void)
{
    zc_limits_t *limits = zc_limits_new (3, 0, 0);
    uint64_t now = 1000000;
    CHECK (s_req (limits, "a", NULL, true, now, NULL) == ZC_LIMIT_OK);
    CHECK (s_req (limits, "b", NULL, true, now + 10, NULL) == ZC_LIMIT_OK);
    CHECK (s_req (limits, "c", NULL, false, now + 20, NULL) == ZC_LIMIT_OK);
    CHECK (zc_limits_clients (limits, now + 20) == 3);
    CHECKF (s_req (limits, "d", NULL, true, now + 30, NULL) == ZC_LIMIT_CLIENTS,
            "a fourth connection while three are active");
    CHECKF (s_req (limits, "a", NULL, true, now + 40, NULL) == ZC_LIMIT_OK, "a known one passes");
    //  b is now the oldest; once it has been quiet a minute, d gets its place
    CHECK (s_req (limits, "d", NULL, true, now + 10 + ZC_LIMITS_ACTIVE_MS - 1, NULL)
           == ZC_LIMIT_CLIENTS);
    CHECKF (s_req (limits, "d", NULL, true, now + 10 + ZC_LIMITS_ACTIVE_MS, NULL) == ZC_LIMIT_OK,
            "a place freed by a quiet connection");
    CHECK (s_req (limits, "b", NULL, true, now + 10 + ZC_LIMITS_ACTIVE_MS, NULL)
           == ZC_LIMIT_CLIENTS);
    //  Binary identities, NUL bytes included
    zc_limits_t *bin = zc_limits_new (2, 0, 0);
    uint8_t id1 [5] = { 0, 1, 2, 3, 4 }, id2 [5] = { 0, 1, 2, 3, 5 }, id3 [4] = { 0, 1, 2, 3 };
    CHECK (zc_limits_request (bin, id1, 5, NULL, true, now, NULL) == ZC_LIMIT_OK);
    CHECK (zc_limits_request (bin, id2, 5, NULL, true, now, NULL) == ZC_LIMIT_OK);
    CHECK (zc_limits_request (bin, id3, 4, NULL, true, now, NULL) == ZC_LIMIT_CLIENTS);
    CHECK (zc_limits_request (bin, id1, 5, NULL, true, now, NULL) == ZC_LIMIT_OK);
    zc_limits_destroy (&bin);
    zc_limits_destroy (&limits);
    CHECK (limits == NULL);
}

static void
test_rate (void)
{
    zc_limits_t *limits = zc_limits_new (100, 10, 0);      //  10/s, burst 20
    uint64_t now = 5000, retry = 0;
    int passed = 0;
    for (int i = 0; i < 25; i++)
        passed += s_req (limits, "x", NULL, true, now, &retry) == ZC_LIMIT_OK;
    CHECKF (passed == 20, "burst: %d passed", passed);
    CHECKF (s_req (limits, "x", NULL, true, now, &retry) == ZC_LIMIT_RATE && retry == 100,
            "retry_ms %llu", (unsigned long long) retry);
    //  Requests that cost nothing pass while the bucket is empty
    CHECK (s_req (limits, "x", NULL, false, now, NULL) == ZC_LIMIT_OK);
    //  Another connection has its own bucket
    CHECK (s_req (limits, "y", NULL, true, now, NULL) == ZC_LIMIT_OK);
    //  40 ms later: 0.4 of a token, 60 ms to wait
    CHECKF (s_req (limits, "x", NULL, true, now + 40, &retry) == ZC_LIMIT_RATE && retry == 60,
            "retry_ms %llu", (unsigned long long) retry);
    CHECK (s_req (limits, "x", NULL, true, now + 100, &retry) == ZC_LIMIT_OK);
    CHECK (s_req (limits, "x", NULL, true, now + 100, &retry) == ZC_LIMIT_RATE);
    //  A second at the sustained rate: 10 pass
    passed = 0;
    for (uint64_t t = now + 101; t <= now + 1100; t++)
        passed += s_req (limits, "x", NULL, true, t, &retry) == ZC_LIMIT_OK;
    CHECKF (passed == 10, "sustained: %d in a second", passed);
    //  A long pause refills to the burst, no more (and does not overflow)
    passed = 0;
    for (int i = 0; i < 30; i++)
        passed += s_req (limits, "x", NULL, true, now + 100000000000ull, &retry) == ZC_LIMIT_OK;
    CHECKF (passed == 20, "after a long pause: %d", passed);
    zc_limits_destroy (&limits);

    //  rate 0: no limit
    limits = zc_limits_new (100, 0, 0);
    passed = 0;
    for (int i = 0; i < 100000; i++)
        passed += s_req (limits, "x", NULL, true, 1, &retry) == ZC_LIMIT_OK;
    CHECK (passed == 100000);
    zc_limits_destroy (&limits);
}

static void
test_users (void)
{
    zc_limits_t *limits = zc_limits_new (100, 5, 0);       //  burst 10
    uint64_t retry = 0;
    int passed = 0;
    //  Two connections of one key: one bucket between them
    for (int i = 0; i < 10; i++) {
        passed += s_req (limits, "conn-1", "client:alice", true, 1, &retry) == ZC_LIMIT_OK;
        passed += s_req (limits, "conn-2", "client:alice", true, 1, &retry) == ZC_LIMIT_OK;
    }
    CHECKF (passed == 10, "one key, two connections: %d passed", passed);
    //  Another key on one of those connections' neighbours has its own
    CHECK (s_req (limits, "conn-3", "client:bob", true, 1, &retry) == ZC_LIMIT_OK);
    zc_limits_destroy (&limits);
}

static void
test_ids (void)
{
    zc_limits_t *limits = zc_limits_new (100, 0, 3);
    const char *id = "0123456789abcdef0123456789abcdef";
    CHECK (zc_limits_post (limits, id, "key:AAAA", "general") == ZC_LIMIT_OK);
    CHECKF (zc_limits_post (limits, id, "key:BBBB", "general") == ZC_LIMIT_OWNER,
            "a client id used by another key");
    CHECK (zc_limits_post (limits, id, "key:BBBB", NULL) == ZC_LIMIT_OWNER);
    CHECK (zc_limits_post (limits, id, "key:AAAA", NULL) == ZC_LIMIT_OK);
    //  Rooms: three, then a fourth is refused; known ones still pass
    CHECK (zc_limits_post (limits, id, "key:AAAA", "dev") == ZC_LIMIT_OK);
    CHECK (zc_limits_post (limits, id, "key:AAAA", "ops") == ZC_LIMIT_OK);
    CHECKF (zc_limits_post (limits, id, "key:AAAA", "random") == ZC_LIMIT_ROOMS,
            "a fourth room");
    CHECK (zc_limits_post (limits, id, "key:AAAA", "dev") == ZC_LIMIT_OK);
    CHECK (zc_limits_post (limits, id, "key:AAAA", NULL) == ZC_LIMIT_OK);
    //  Without security: no binding, rooms still counted
    const char *open = "ffffffffffffffffffffffffffffffff";
    CHECK (zc_limits_post (limits, open, NULL, "a") == ZC_LIMIT_OK);
    CHECK (zc_limits_post (limits, open, NULL, "b") == ZC_LIMIT_OK);
    CHECK (zc_limits_post (limits, open, NULL, "c") == ZC_LIMIT_OK);
    CHECK (zc_limits_post (limits, open, NULL, "d") == ZC_LIMIT_ROOMS);
    zc_limits_destroy (&limits);
    //  max_rooms 0: any number
    limits = zc_limits_new (100, 0, 0);
    int passed = 0;
    for (int i = 0; i < 1000; i++) {
        char room [16];
        snprintf (room, sizeof room, "r%d", i);
        passed += zc_limits_post (limits, id, NULL, room) == ZC_LIMIT_OK;
    }
    CHECK (passed == 1000);
    zc_limits_destroy (&limits);
}

static void
test_bounded (void)
{
    zc_limits_t *limits = zc_limits_new (0, 100, 64);
    //  The oldest client ids are forgotten: their binding with them
    const char *first = "00000000000000000000000000000001";
    CHECK (zc_limits_post (limits, first, "key:A", "r") == ZC_LIMIT_OK);
    for (unsigned i = 0; i < 3 * ZC_LIMITS_IDS; i++) {
        char id [33];
        snprintf (id, sizeof id, "%032x", 0x100000 + i);
        zc_limits_post (limits, id, "key:X", "r");
    }
    CHECKF (zc_limits_post (limits, first, "key:B", "r") == ZC_LIMIT_OK,
            "an id forgotten beyond the table's size is bound again");
    //  Without max_clients, a million connections: all pass, the table stays bounded
    int passed = 0;
    for (unsigned i = 0; i < 1100000; i++) {
        uint8_t ident [4] = { (uint8_t) i, (uint8_t) (i >> 8), (uint8_t) (i >> 16), 1 };
        passed += zc_limits_request (limits, ident, sizeof ident, NULL, true, 1, NULL)
                  == ZC_LIMIT_OK;
    }
    CHECK (passed == 1100000);
    CHECKF (zc_limits_clients (limits, 1) <= (1u << 20), "%zu connections held",
            zc_limits_clients (limits, 1));
    zc_limits_destroy (&limits);
}

int
main (void)
{
    test_connections ();
    test_rate ();
    test_users ();
    test_ids ();
    test_bounded ();
    return check_report ("test_limits");
}
