/*  test_chatlog_clients.c — the client limits (chatlog.h
    zc_chatlog_bound_clients, docs/STORAGE.md "Retention").

    1. Age: a retired client value is dropped once it has been retired
       longer than the ttl, not before; 0 keeps it forever.
    2. Count: beyond max_ids retired values, the oldest retired go first
       (ties too, exactly down to the cap); 0 is no cap.
    3. A client with an entry still held is never dropped, whatever its
       retired value's age or the cap.
    4. Stamps: values retired by compaction (or set without a time) are
       stamped by the next bound with its now; tables_upto reports each
       client's retired-at, 0 for those an entry up to upto raises.
    5. A snapshot carries the stamps: installed, then bounded, the table
       keeps the newest and drops the old; an old snapshot line without a
       stamp is stamped at the installer's bound.
*/
#include "chatlog.h"
#include "snapshot.h"
#include "wire.h"
#include "testutil.h"

#include <czmq.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s_ts;

static void
s_name (char *name, size_t cap, unsigned client)
{
    snprintf (name, cap, "%032x", client + 1);
}

static void
s_post (zc_chatlog_t *log, const char *client, uint64_t id)
{
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_SEQ, zc_chatlog_last_seq (log) + 1);
    zc_msg_set_u64 (&chat, ZF_EPOCH, 1);
    zc_msg_set_u64 (&chat, ZF_RSEQ, zc_chatlog_room_rseq (log, "general") + 1);
    zc_msg_set_u64 (&chat, ZF_TS, ++s_ts);
    zc_msg_set_u64 (&chat, ZF_ID, id);
    zc_msg_set_cstr (&chat, ZF_ROOM, "general");
    zc_msg_set_cstr (&chat, ZF_FROM, "test");
    zc_msg_set_cstr (&chat, ZF_CLIENT, client);
    zc_msg_set_cstr (&chat, ZF_TEXT, "x");
    uint8_t data [1] = { 0 };
    CHECK (zc_chatlog_append (log, &chat, data, sizeof data) != NULL);
}

static uint64_t
s_last_id (zc_chatlog_t *log, unsigned client)
{
    char name [40];
    s_name (name, sizeof name, client);
    return zc_chatlog_client_last_id (log, name);
}

static void
s_retire (zc_chatlog_t *log, unsigned client, uint64_t id, uint64_t at)
{
    char name [40];
    s_name (name, sizeof name, client);
    zc_chatlog_set_retired_at (log, 'c', name, id, at);
}

static void
test_age (void)
{
    zc_chatlog_t *log = zc_chatlog_new ();
    s_retire (log, 0, 5, 1000);
    s_retire (log, 1, 9, 1500);
    CHECK (zc_chatlog_bound_clients (log, 1000 + 600, 600, 0) == 0);    //  exactly the ttl
    CHECK (zc_chatlog_bound_clients (log, 1601, 0, 0) == 0);            //  0: never by age
    CHECK (zc_chatlog_bound_clients (log, 1601, 600, 0) == 1);
    CHECK (s_last_id (log, 0) == 0 && s_last_id (log, 1) == 9);
    CHECK (zc_chatlog_client_count (log) == 1 && zc_chatlog_clients_dropped (log) == 1);
    //  A clock gone back drops nothing
    CHECK (zc_chatlog_bound_clients (log, 10, 600, 0) == 0);
    CHECK (zc_chatlog_bound_clients (log, 5000, 600, 0) == 1);
    CHECK (zc_chatlog_client_count (log) == 0 && zc_chatlog_clients_dropped (log) == 2);
    zc_chatlog_destroy (&log);
}

static void
test_count (void)
{
    zc_chatlog_t *log = zc_chatlog_new ();
    //  100 clients, retired at 100 - c: client 99 is the oldest; ten of
    //  them (c 40..49) share one second
    for (unsigned c = 0; c < 100; c++)
        s_retire (log, c, c + 1, c >= 40 && c < 50 ? 60 : 1000 - c);
    CHECK (zc_chatlog_bound_clients (log, 2000, 0, 0) == 0);            //  0: no cap
    CHECK (zc_chatlog_bound_clients (log, 2000, 0, 100) == 0);
    CHECK (zc_chatlog_bound_clients (log, 2000, 0, 45) == 55);
    CHECK (zc_chatlog_client_count (log) == 45);
    //  The ten at 60 went first, then the oldest of the rest (99, 98, ...)
    for (unsigned c = 40; c < 50; c++)
        CHECKF (s_last_id (log, c) == 0, "client %u kept", c);
    unsigned kept = 0;
    for (unsigned c = 0; c < 100; c++)
        kept += s_last_id (log, c) != 0;
    CHECK (kept == 45);
    for (unsigned c = 0; c < 40; c++)
        CHECKF (s_last_id (log, c) == c + 1, "client %u dropped", c);
    for (unsigned c = 95; c < 100; c++)
        CHECKF (s_last_id (log, c) == 0, "client %u kept", c);
    //  Ties at the cut: exactly down to the cap
    zc_chatlog_t *same = zc_chatlog_new ();
    for (unsigned c = 0; c < 1000; c++)
        s_retire (same, c, 1, 77);
    CHECK (zc_chatlog_bound_clients (same, 78, 0, 333) == 667);
    CHECK (zc_chatlog_client_count (same) == 333);
    zc_chatlog_destroy (&same);
    zc_chatlog_destroy (&log);
}

//  Client 0 keeps posting; 1 and 2 posted once long ago; compaction
//  retires all but the newest entries
static void
test_held_never_dropped (void)
{
    zc_chatlog_t *log = zc_chatlog_new ();
    char name [3][40];
    for (unsigned c = 0; c < 3; c++)
        s_name (name [c], sizeof name [c], c);
    s_post (log, name [1], 1);
    s_post (log, name [2], 1);
    for (uint64_t id = 1; id <= 10; id++)
        s_post (log, name [0], id);
    zc_chatlog_compact (log, 6);            //  client 0's ids 1..4 retired, 5..10 held
    CHECK (zc_chatlog_bound_clients (log, 1000, 0, 0) == 0);    //  stamps them at 1000
    //  Far past the ttl and over a cap of 1: only the idle ones go
    CHECK (zc_chatlog_bound_clients (log, 999999, 60, 1) == 2);
    CHECK (s_last_id (log, 0) == 10 && s_last_id (log, 1) == 0 && s_last_id (log, 2) == 0);
    CHECK (zc_chatlog_find (log, name [0], 7) != NULL);
    CHECK (zc_chatlog_bound_clients (log, 999999, 1, 0) == 0);
    //  Once its entries are retired too, it ages like any other
    zc_chatlog_compact (log, 12);
    CHECK (zc_chatlog_bound_clients (log, 2000000, 60, 0) == 0);    //  stamped now
    CHECK (zc_chatlog_bound_clients (log, 2000061, 60, 0) == 1);
    CHECK (s_last_id (log, 0) == 0);
    zc_chatlog_destroy (&log);
}

typedef struct {
    char text [4096];
} s_lines_t;

static void
s_collect (char kind, const char *key, uint64_t value, uint64_t at, void *arg)
{
    s_lines_t *lines = arg;
    size_t len = strlen (lines->text);
    if (kind == 'c')
        snprintf (lines->text + len, sizeof lines->text - len, "%.4s %" PRIu64 " @%" PRIu64 ";",
                  key + 28, value, at);
}

static void
test_stamps (void)
{
    zc_chatlog_t *log = zc_chatlog_new ();
    char a [40], b [40];
    s_name (a, sizeof a, 0);
    s_name (b, sizeof b, 1);
    s_post (log, a, 1);
    s_post (log, b, 1);
    s_post (log, b, 2);
    zc_chatlog_compact (log, 1);
    s_lines_t lines = { "" };
    //  Before the bound: a retired, not stamped yet; b raised by entry 2
    zc_chatlog_tables_upto (log, 2, s_collect, &lines);
    CHECKF (strstr (lines.text, "0001 1 @0;") && strstr (lines.text, "0002 1 @0;"),
            "tables %s", lines.text);
    CHECK (zc_chatlog_bound_clients (log, 500, 0, 0) == 0);
    lines = (s_lines_t) { "" };
    zc_chatlog_tables_upto (log, 1, s_collect, &lines);
    CHECKF (strcmp (lines.text, "0001 1 @500;") == 0, "tables %s", lines.text);
    //  A stamp given with the same value keeps the newer; a value set
    //  without one waits for the next bound
    zc_chatlog_set_retired_at (log, 'c', a, 1, 400);
    zc_chatlog_set_retired_at (log, 'c', a, 1, 700);
    zc_chatlog_set_retired (log, 'c', b, 9);
    lines = (s_lines_t) { "" };
    zc_chatlog_tables_upto (log, 1, s_collect, &lines);
    CHECKF (strstr (lines.text, "0001 1 @700;") && strstr (lines.text, "0002 9 @0;"),
            "tables %s", lines.text);
    zc_chatlog_destroy (&log);
}

//  The leader's snapshot carries each client's retired-at; the installer
//  bounds what it installed
static void
test_snapshot (void)
{
    zc_chatlog_t *leader = zc_chatlog_new ();
    for (unsigned c = 0; c < 20; c++) {
        char name [40];
        s_name (name, sizeof name, c);
        s_post (leader, name, 3);
    }
    zc_chatlog_compact (leader, 10);
    CHECK (zc_chatlog_bound_clients (leader, 1000, 0, 0) == 0);     //  0..9 at 1000
    zc_chatlog_compact (leader, 20);
    CHECK (zc_chatlog_bound_clients (leader, 2000, 0, 0) == 0);     //  10..19 at 2000
    size_t size;
    char *text = zc_snapshot_text (leader, &size);
    CHECKF (strstr (text, "client 00000000000000000000000000000001 3 1000\n")
         && strstr (text, "client 00000000000000000000000000000014 3 2000\n"), "%s", text);
    CHECK (zc_snapshot_check (text, size, 20, 1) == NULL);

    zc_chatlog_t *backup = zc_chatlog_new ();
    zc_snapshot_install (backup, text, size, 20, 1);
    CHECK (zc_chatlog_client_count (backup) == 20);
    CHECK (zc_chatlog_bound_clients (backup, 2500, 1000, 15) == 10);   //  the 1000s are old
    CHECK (s_last_id (backup, 0) == 0 && s_last_id (backup, 19) == 3);
    CHECK (zc_chatlog_bound_clients (backup, 2500, 1000, 4) == 6);
    CHECK (zc_chatlog_client_count (backup) == 4);
    zc_chatlog_destroy (&backup);
    free (text);

    //  A line without a stamp (an older leader) is stamped by the
    //  installer's bound, then ages from there
    const char *old = "base 5 1\nclient 0123456789abcdef0123456789abcdef 4\n";
    backup = zc_chatlog_new ();
    zc_snapshot_install (backup, old, strlen (old), 5, 1);
    CHECK (zc_chatlog_bound_clients (backup, 9000, 100, 0) == 0);
    CHECK (zc_chatlog_client_last_id (backup, "0123456789abcdef0123456789abcdef") == 4);
    CHECK (zc_chatlog_bound_clients (backup, 9101, 100, 0) == 1);
    zc_chatlog_destroy (&backup);

    //  A retired configuration travels as a "members" line (it used to be
    //  written as a second "base" line, which every backup refused)
    zc_chatlog_set_retired (leader, 'm', "1:127.0.0.1:5001,2:127.0.0.1:5002", 3);
    text = zc_snapshot_text (leader, &size);
    CHECKF (strstr (text, "\nmembers 1:127.0.0.1:5001,2:127.0.0.1:5002 3\n"), "%s", text);
    CHECK (zc_snapshot_check (text, size, 20, 1) == NULL);
    free (text);

    //  Whole however long: 30 members with long host names make a line
    //  of kilobytes (it was cut at 199 bytes, and the state refused)
    char config [4096] = "";
    for (int id = 1; id <= 30; id++)
        snprintf (config + strlen (config), sizeof config - strlen (config), "%s%d:"
                  "chat-node-%02d.rack-%02d.datacenter-eu-west.example.com:5051",
                  id > 1 ? "," : "", id, id, id);
    zc_chatlog_set_retired (leader, 'm', config, 4);
    text = zc_snapshot_text (leader, &size);
    char *line = zsys_sprintf ("\nmembers %s 4\n", config);
    CHECKF (strlen (config) > 1000 && strstr (text, line), "a %zu-byte configuration's line "
            "is not whole", strlen (config));
    CHECK (zc_snapshot_check (text, size, 20, 1) == NULL);
    zstr_free (&line);
    free (text);
    zc_chatlog_destroy (&leader);
}

int
main (void)
{
    test_age ();
    test_count ();
    test_held_never_dropped ();
    test_stamps ();
    test_snapshot ();
    return check_report ("test_chatlog_clients");
}
