/*  test_storage.c — the log writer thread (src/node/storage.h): writes in
    ticket order reach the segment store, a batch of writes queued behind
    a sync shares one sync (group commit), truncations apply in order, a
    failed write is reported and every later write refused, and destroy
    finishes what was handed out.  Files live in mkdtemp folders.
*/
#include "storage.h"
#include "testutil.h"
#include "testdir.h"

#include <errno.h>

static char s_err [1024];

//  A chat log of seqs from..to whose payloads name their seq
static void
s_fill (zc_chatlog_t *log, uint64_t from, uint64_t to, const char *tag)
{
    for (uint64_t seq = from; seq <= to; seq++) {
        zc_msg_t chat;
        zc_msg_init (&chat, ZC_CHAT);
        zc_msg_set_u64 (&chat, ZF_SEQ, seq);
        zc_msg_set_u64 (&chat, ZF_EPOCH, 1);
        zc_msg_set_u64 (&chat, ZF_RSEQ, seq);
        zc_msg_set_u64 (&chat, ZF_TS, seq);
        zc_msg_set_u64 (&chat, ZF_ID, seq);
        zc_msg_set_cstr (&chat, ZF_ROOM, "general");
        zc_msg_set_cstr (&chat, ZF_FROM, "alice");
        zc_msg_set_cstr (&chat, ZF_CLIENT, "0123456789abcdef0123456789abcdef");
        zc_msg_set_cstr (&chat, ZF_TEXT, tag);
        uint8_t buf [512];
        size_t size = zc_msg_encode (&chat, buf, sizeof buf);
        zc_msg_t decoded;
        CHECK (size && zc_msg_decode (&decoded, buf, size, NULL) == 0);
        CHECK (zc_chatlog_append (log, &decoded, buf, size));
    }
}

typedef struct {
    uint64_t count, last;
    char text [64];
} s_replayed_t;

static int
s_replay (uint64_t seq, const uint8_t *data, size_t size, void *arg)
{
    s_replayed_t *seen = arg;
    zc_msg_t chat;
    if (zc_msg_decode (&chat, data, size, NULL) || chat.seq != seq)
        return -1;
    seen->count++;
    seen->last = seq;
    snprintf (seen->text, sizeof seen->text, "%.*s", (int) chat.text.len, chat.text.ptr);
    return 0;
}

//  The slow-disk hook's file: every sync ms longer
static void
s_slow_for (const char *path, unsigned ms)
{
    FILE *file = fopen (path, "w");
    CHECK (file && fprintf (file, "%u\n", ms) > 0);
    if (file)
        fclose (file);
}

static s_replayed_t
s_reopen (const char *dir)
{
    s_replayed_t seen = { 0, 0, "" };
    zc_segstore_t *store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    CHECKF (store, "reopen: %s", s_err);
    if (store) {
        CHECK (zc_segstore_replay (store, s_replay, &seen, s_err, sizeof s_err) == 0);
        zc_segstore_destroy (&store);
    }
    return seen;
}

//  Many writes handed at once: all on disk, fewer syncs than writes
static void
test_group_commit (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_storage");
    zc_segstore_t *store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    CHECK (store);
    zc_storage_t *storage = zc_storage_new (store, NULL, 0);
    CHECK (storage);
    zc_chatlog_t *log = zc_chatlog_new ();
    s_fill (log, 1, 2000, "one");
    for (uint64_t ticket = 1; ticket <= 1000; ticket++)
        CHECK (zc_storage_write (storage, ticket, false, 0, log, 2 * ticket - 1,
                                 2 * ticket) == 0);
    uint64_t done = 0;
    CHECK (zc_storage_wait (storage, &done) == 0);
    CHECKF (done == 1000, "waited until ticket %llu", (unsigned long long) done);
    uint64_t syncs = 0, writes = 0;
    zc_storage_stats (storage, &syncs, &writes);
    CHECKF (writes == 1000 && syncs >= 1 && syncs < writes,
            "%llu writes in %llu syncs", (unsigned long long) writes,
            (unsigned long long) syncs);
    CHECK (zc_segstore_last_seq (store) == 2000);
    //  Nothing new: recv reports the same, at once
    CHECK (zc_storage_recv (storage, &done) == 0 && done == 1000);
    zc_storage_destroy (&storage);
    zc_segstore_destroy (&store);
    s_replayed_t seen = s_reopen (dir);
    CHECK (seen.count == 2000 && seen.last == 2000);
    zc_chatlog_destroy (&log);
    test_rmrf (dir);
}

//  A truncation and a rewrite apply after the writes before them
static void
test_truncate_in_order (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_storage");
    zc_segstore_t *store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    zc_storage_t *storage = zc_storage_new (store, NULL, 0);
    zc_chatlog_t *log = zc_chatlog_new ();
    s_fill (log, 1, 10, "old");
    CHECK (zc_storage_write (storage, 1, false, 0, log, 1, 10) == 0);
    zc_chatlog_destroy (&log);
    log = zc_chatlog_new ();
    s_fill (log, 1, 8, "new");
    //  Ticket 2: drop after 5, then 6..8 of the new log
    CHECK (zc_storage_write (storage, 2, true, 5, log, 6, 8) == 0);
    uint64_t done = 0;
    CHECK (zc_storage_wait (storage, &done) == 0 && done == 2);
    zc_storage_destroy (&storage);
    zc_segstore_destroy (&store);
    s_replayed_t seen = s_reopen (dir);
    CHECKF (seen.count == 8 && seen.last == 8 && strcmp (seen.text, "new") == 0,
            "after the truncation: %llu records, last %llu says %s",
            (unsigned long long) seen.count, (unsigned long long) seen.last, seen.text);
    zc_chatlog_destroy (&log);
    test_rmrf (dir);
}

//  A write the store refuses (a gap in seqs) is reported; later ones are
//  refused with the same errno, and the loop never hears "done" for them
static void
test_failure (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_storage");
    zc_segstore_t *store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    zc_storage_t *storage = zc_storage_new (store, NULL, 0);
    zc_chatlog_t *log = zc_chatlog_new ();
    s_fill (log, 1, 10, "x");
    CHECK (zc_storage_write (storage, 1, false, 0, log, 1, 3) == 0);
    CHECK (zc_storage_write (storage, 2, false, 0, log, 5, 6) == 0);     //  4 is missing
    uint64_t done = 0;
    errno = 0;
    int rc = zc_storage_wait (storage, &done);
    CHECKF (rc == -1 && errno == EINVAL, "the gap: rc %d, errno %d", rc, errno);
    errno = 0;
    CHECK (zc_storage_write (storage, 3, false, 0, log, 7, 7) == -1 && errno == EINVAL);
    CHECK (zc_storage_recv (storage, &done) == -1);
    //  A seq the log does not hold is refused before it travels
    zc_storage_t *other = zc_storage_new (store, NULL, 0);
    errno = 0;
    CHECK (zc_storage_write (other, 1, false, 0, log, 11, 11) == -1 && errno == EINVAL);
    zc_storage_destroy (&other);
    zc_storage_destroy (&storage);
    zc_segstore_destroy (&store);
    zc_chatlog_destroy (&log);
    test_rmrf (dir);
}

//  Destroy applies and syncs what was handed out and never waited for
static void
test_destroy_flushes (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_storage");
    zc_segstore_t *store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    zc_storage_t *storage = zc_storage_new (store, NULL, 0);
    zc_chatlog_t *log = zc_chatlog_new ();
    s_fill (log, 1, 300, "y");
    for (uint64_t ticket = 1; ticket <= 300; ticket++)
        CHECK (zc_storage_write (storage, ticket, false, 0, log, ticket, ticket) == 0);
    zc_storage_destroy (&storage);
    zc_segstore_destroy (&store);
    s_replayed_t seen = s_reopen (dir);
    CHECK (seen.count == 300);
    zc_chatlog_destroy (&log);
    test_rmrf (dir);
}

//  The test-only slow-disk hook: a sync waits the file's ms, and stops
//  waiting once the file is gone
static void
test_slow_hook (void)
{
    char dir [64], slow [128];
    test_mkdtemp (dir, "zc_storage");
    snprintf (slow, sizeof slow, "%s/test-sync-delay-ms", dir);
    zc_segstore_t *store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    zc_storage_t *storage = zc_storage_new (store, slow, 0);
    zc_chatlog_t *log = zc_chatlog_new ();
    s_fill (log, 1, 2, "z");
    s_slow_for (slow, 40);
    int64_t start = zclock_mono ();
    uint64_t done = 0;
    CHECK (zc_storage_write (storage, 1, false, 0, log, 1, 1) == 0);
    CHECK (zc_storage_wait (storage, &done) == 0 && done == 1);
    int64_t slowed = zclock_mono () - start;
    CHECKF (slowed >= 40, "a sync with the hook at 40 ms took %lld ms", (long long) slowed);
    unlink (slow);
    CHECK (zc_storage_write (storage, 2, false, 0, log, 2, 2) == 0);
    CHECK (zc_storage_wait (storage, &done) == 0 && done == 2);
    zc_storage_destroy (&storage);
    zc_segstore_destroy (&store);
    zc_chatlog_destroy (&log);
    test_rmrf (dir);
}

//  While syncs are fast and the thread idle, the caller writes itself;
//  a slow sync sends the next writes to the thread, and fast ones bring
//  them back
static void
test_inline (void)
{
    char dir [64], slow [128];
    test_mkdtemp (dir, "zc_storage");
    snprintf (slow, sizeof slow, "%s/test-sync-delay-ms", dir);
    zc_segstore_t *store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    zc_storage_t *storage = zc_storage_new (store, slow, 1000);
    zc_chatlog_t *log = zc_chatlog_new ();
    s_fill (log, 1, 100, "i");
    uint64_t done = 0, ticket = 0;
    CHECK (zc_storage_write (storage, ++ticket, false, 0, log, 1, 1) == 1);
    CHECK (zc_segstore_last_seq (store) == 1);
    s_slow_for (slow, 40);
    CHECK (zc_storage_write (storage, ++ticket, false, 0, log, 2, 2) == 1);   //  slow, here
    int rc = zc_storage_write (storage, ++ticket, false, 0, log, 3, 3);
    CHECKF (rc == 0, "after a 40 ms sync the write went %s", rc == 1 ? "inline" : "wrong");
    CHECK (zc_storage_wait (storage, &done) == 0 && done == ticket);
    unlink (slow);
    bool back = false;
    uint64_t written = 3;
    for (uint64_t seq = 4; seq <= 100 && !back; seq++) {
        rc = zc_storage_write (storage, ++ticket, false, 0, log, seq, seq);
        written = seq;
        back = rc == 1;
        CHECK (rc >= 0 && zc_storage_wait (storage, &done) == 0 && done == ticket);
    }
    CHECKF (back, "fast syncs did not bring the writes back inline");
    zc_storage_destroy (&storage);
    zc_segstore_destroy (&store);
    s_replayed_t seen = s_reopen (dir);
    CHECKF (seen.count == written && seen.last == written, "%llu records, %llu written",
            (unsigned long long) seen.count, (unsigned long long) written);
    zc_chatlog_destroy (&log);
    test_rmrf (dir);
}

int
main (void)
{
    zsys_init ();
    test_group_commit ();
    test_truncate_in_order ();
    test_failure ();
    test_destroy_flushes ();
    test_slow_hook ();
    test_inline ();
    return check_report ("test_storage");
}
