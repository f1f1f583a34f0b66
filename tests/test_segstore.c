/*  test_segstore.c — the on-disk chat log (docs/STORAGE.md):
    round trips across segments, reopen, truncate, retention, the torn-tail
    torture test (cut the last record at every byte offset and reopen), and
    refusal of real damage.  Files live in mkdtemp folders under /tmp.
*/
#include "segstore.h"
#include "testutil.h"
#include "testdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char s_err [2048];

//  --------------------------------------------------------------------------
//  Helpers

//  Payload of seq: its own text repeated 1..7 times, so sizes vary.
static size_t
s_payload (uint64_t seq, uint8_t *buf)
{
    size_t size = 0;
    for (uint64_t i = 0; i <= seq % 7; i++)
        size += (size_t) sprintf ((char *) buf + size, "record %llu;", (unsigned long long) seq);
    return size;
}

static uint64_t
s_record_bytes (uint64_t seq)
{
    uint8_t buf [256];
    return 16 + s_payload (seq, buf);
}



static void
s_seg_path (const char *dir, uint64_t first, char *path)
{
    sprintf (path, "%s/log-%020llu.seg", dir, (unsigned long long) first);
}

static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

//  First seqs of the segment files in dir, sorted; returns how many.
static size_t
s_list (const char *dir, uint64_t *firsts, size_t max)
{
    DIR *handle = opendir (dir);
    struct dirent *entry;
    size_t count = 0;
    while (handle && (entry = readdir (handle)))
        if (strncmp (entry->d_name, "log-", 4) == 0 && count < max)
            firsts [count++] = strtoull (entry->d_name + 4, NULL, 10);
    if (handle)
        closedir (handle);
    qsort (firsts, count, sizeof *firsts, s_cmp_u64);
    return count;
}

static uint64_t
s_file_size (const char *path)
{
    struct stat st;
    return stat (path, &st) ? 0 : (uint64_t) st.st_size;
}

static uint64_t
s_dir_bytes (const char *dir)
{
    uint64_t firsts [256], total = 0;
    size_t count = s_list (dir, firsts, 256);
    char path [512];
    for (size_t i = 0; i < count; i++) {
        s_seg_path (dir, firsts [i], path);
        total += s_file_size (path);
    }
    return total;
}

static void
s_fill (zc_segstore_t *store, uint64_t from, uint64_t to)
{
    uint8_t buf [256];
    for (uint64_t seq = from; seq <= to; seq++) {
        size_t size = s_payload (seq, buf);
        if (zc_segstore_append (store, seq, buf, size)) {
            fprintf (stderr, "append %llu: %s\n", (unsigned long long) seq, strerror (errno));
            exit (2);
        }
    }
}

typedef struct {
    uint64_t next, count;
    bool ok;
} s_seen_t;

static int
s_check_record (uint64_t seq, const uint8_t *data, size_t size, void *arg)
{
    s_seen_t *seen = arg;
    uint8_t want [256];
    size_t want_size = s_payload (seq, want);
    if (seq != seen->next || size != want_size || memcmp (data, want, size))
        seen->ok = false;
    seen->next = seq + 1;
    seen->count++;
    return 0;
}

//  The store replays exactly first..last with the right payloads.
static bool
s_holds (zc_segstore_t *store, uint64_t first, uint64_t last)
{
    s_seen_t seen = { first, 0, true };
    int rc = zc_segstore_replay (store, s_check_record, &seen, s_err, sizeof s_err);
    return rc == 0 && seen.ok && seen.count == last + 1 - first
        && zc_segstore_first_seq (store) == (last >= first ? first : 0)
        && zc_segstore_last_seq (store) == (last >= first ? last : 0);
}

//  Reopen dir and check it holds exactly first..last.
static bool
s_reopen_holds (const char *dir, const zc_segstore_config_t *cfg, uint64_t first, uint64_t last)
{
    zc_segstore_t *store = zc_segstore_open (dir, cfg, s_err, sizeof s_err);
    if (!store) {
        fprintf (stderr, "open: %s\n", s_err);
        return false;
    }
    bool ok = s_holds (store, first, last);
    zc_segstore_destroy (&store);
    return ok;
}

//  A fresh store in dir holding 1..count (one open, filled, closed).
static void
s_build (const char *dir, uint64_t segment_bytes, uint64_t count)
{
    zc_segstore_config_t cfg = { ZC_FSYNC_NEVER, segment_bytes, 0, 0 };
    zc_segstore_t *store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    if (!store) {
        fprintf (stderr, "open: %s\n", s_err);
        exit (2);
    }
    s_fill (store, 1, count);
    zc_segstore_destroy (&store);
}

static void
s_flip_byte (const char *path, uint64_t offset)
{
    int fd = open (path, O_RDWR);
    uint8_t byte = 0;
    if (fd < 0 || pread (fd, &byte, 1, (off_t) offset) != 1)
        exit (2);
    byte ^= 0x20;
    if (pwrite (fd, &byte, 1, (off_t) offset) != 1)
        exit (2);
    close (fd);
}

//  Offset of record seq in a single-segment store that starts at 1.
static uint64_t
s_offset_of (uint64_t seq)
{
    uint64_t offset = 16;
    for (uint64_t s = 1; s < seq; s++)
        offset += s_record_bytes (s);
    return offset;
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_crc (void)
{
    CHECK (zc_segstore_crc32 (0, "123456789", 9) == 0xCBF43926u);
    CHECK (zc_segstore_crc32 (zc_segstore_crc32 (0, "1234", 4), "56789", 5) == 0xCBF43926u);
    CHECK (zc_segstore_crc32 (0, "", 0) == 0);
    //  The sliced loop against the plain bitwise definition: every length
    //  0..300, every alignment, split anywhere
    uint8_t data [320];
    uint64_t state = 7;
    for (size_t i = 0; i < sizeof data; i++)
        data [i] = (uint8_t) xorshift64 (&state);
    for (size_t len = 0; len <= 300; len++) {
        size_t start = len % 8;
        uint32_t ref = 0xFFFFFFFFu;
        for (size_t i = 0; i < len; i++) {
            ref ^= data [start + i];
            for (int k = 0; k < 8; k++)
                ref = ref & 1 ? 0xEDB88320u ^ (ref >> 1) : ref >> 1;
        }
        ref = ~ref;
        size_t cut = len / 3;
        CHECKF (zc_segstore_crc32 (0, data + start, len) == ref, "length %zu", len);
        CHECKF (zc_segstore_crc32 (zc_segstore_crc32 (0, data + start, cut),
                                   data + start + cut, len - cut) == ref, "length %zu split", len);
    }
}

static void
test_round_trip (void)
{
    char dir [64], path [512];
    test_mkdtemp (dir, "zc_segstore");
    zc_segstore_config_t cfg = { ZC_FSYNC_BATCH, 300, 0, 0 };
    zc_segstore_t *store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    CHECK (store && !zc_segstore_note (store));
    CHECK (zc_segstore_first_seq (store) == 0 && zc_segstore_last_seq (store) == 0);
    CHECK (zc_segstore_sync (store) == 0);              //  nothing to do
    s_fill (store, 1, 100);
    CHECK (zc_segstore_sync (store) == 0);
    CHECK (s_holds (store, 1, 100));

    //  Refused appends change nothing.
    uint8_t big [17] = { 0 };
    CHECK (zc_segstore_append (store, 100, big, 1) == -1 && errno == EINVAL);
    CHECK (zc_segstore_append (store, 102, big, 1) == -1 && errno == EINVAL);
    uint8_t *huge = calloc (1, ZC_SEGSTORE_MAX_RECORD + 1);
    CHECK (zc_segstore_append (store, 101, huge, ZC_SEGSTORE_MAX_RECORD + 1) == -1 && errno == EMSGSIZE);
    free (huge);
    zc_segstore_destroy (&store);
    CHECK (store == NULL);

    //  Many segments, each named by its first record and no bigger than
    //  segment_bytes (no record here is bigger than one segment).
    uint64_t firsts [256];
    size_t count = s_list (dir, firsts, 256);
    CHECK (count > 10);
    CHECK (firsts [0] == 1);
    for (size_t i = 0; i < count; i++) {
        s_seg_path (dir, firsts [i], path);
        uint8_t head [32];
        int fd = open (path, O_RDONLY);
        CHECK (fd >= 0 && read (fd, head, 32) == 32);
        close (fd);
        CHECK (memcmp (head, "ZCLOG1\n\0\1\0\0\0\0\0\0\0", 16) == 0);
        uint64_t seq = 0;
        for (int b = 7; b >= 0; b--)
            seq = seq << 8 | head [24 + b];
        CHECK (seq == firsts [i]);
        CHECK (s_file_size (path) <= 300);
    }
    //  Reopen and carry on across more segments.
    CHECK (s_reopen_holds (dir, &cfg, 1, 100));
    store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    CHECK (store && !zc_segstore_note (store));
    s_fill (store, 101, 150);
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &cfg, 1, 150));

    //  Files that are not segments are left alone.
    snprintf (path, sizeof path, "%s/election.state", dir);
    FILE *file = fopen (path, "w");
    fputs ("1 2 3\n", file);
    fclose (file);
    CHECK (s_reopen_holds (dir, &cfg, 1, 150));
    test_rmrf (dir);
}

static void
test_policies (void)
{
    //  An empty store takes any first seq; ALWAYS syncs in append.
    char dir [64];
    test_mkdtemp (dir, "zc_segstore");
    zc_segstore_config_t cfg = { ZC_FSYNC_ALWAYS, 0, 0, 0 };
    zc_segstore_t *store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    s_fill (store, 1000, 1010);
    CHECK (zc_segstore_first_seq (store) == 1000 && zc_segstore_last_seq (store) == 1010);
    CHECK (zc_segstore_sync (store) == 0);
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, NULL, 1000, 1010));

    //  A NULL config means the defaults.
    store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    s_seen_t seen = { 1000, 0, true };
    int rc = zc_segstore_replay (store, s_check_record, &seen, s_err, sizeof s_err);
    CHECK (rc == 0 && seen.count == 11);
    zc_segstore_destroy (&store);
    test_rmrf (dir);
}

static int
s_stop_at_1005 (uint64_t seq, const uint8_t *data, size_t size, void *arg)
{
    (void) data, (void) size, (void) arg;
    return seq == 1005;
}

static void
test_replay_stop (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_segstore");
    zc_segstore_t *store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    s_fill (store, 1000, 1010);
    CHECK (zc_segstore_replay (store, s_stop_at_1005, NULL, s_err, sizeof s_err) == -1);
    CHECK (strstr (s_err, "1005") != NULL);
    zc_segstore_destroy (&store);
    test_rmrf (dir);
}

static void
test_truncate (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_segstore");
    zc_segstore_config_t cfg = { ZC_FSYNC_BATCH, 300, 0, 0 };
    s_build (dir, 300, 150);
    zc_segstore_t *store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    uint64_t firsts [256];
    size_t count = s_list (dir, firsts, 256);

    //  Nothing to drop.
    CHECK (zc_segstore_truncate (store, 150) == 0 && zc_segstore_truncate (store, 999) == 0);
    CHECK (s_holds (store, 1, 150));

    //  Within the active segment.
    uint64_t within = firsts [count - 1];
    CHECK (within < 150);
    CHECK (zc_segstore_truncate (store, within) == 0);
    CHECK (s_holds (store, 1, within) && s_list (dir, firsts, 256) == count);
    s_fill (store, within + 1, 149);
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &cfg, 1, 149));

    //  Across segments, cutting inside an older one.
    store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    CHECK (zc_segstore_truncate (store, 37) == 0);
    CHECK (s_holds (store, 1, 37));
    count = s_list (dir, firsts, 256);
    CHECK (firsts [count - 1] <= 37);
    s_fill (store, 38, 60);
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &cfg, 1, 60));

    //  Exactly at a segment boundary: that segment goes, the one before
    //  becomes active, and the next append starts the segment again.
    count = s_list (dir, firsts, 256);
    uint64_t boundary = firsts [1];
    store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    CHECK (zc_segstore_truncate (store, boundary - 1) == 0);
    CHECK (s_holds (store, 1, boundary - 1) && s_list (dir, firsts, 256) == 1);
    s_fill (store, boundary, boundary + 20);
    CHECK (s_list (dir, firsts, 256) > 1 && firsts [1] == boundary);
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &cfg, 1, boundary + 20));

    //  Everything: the store is empty and takes any seq again.
    store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    CHECK (zc_segstore_truncate (store, 0) == 0);
    CHECK (zc_segstore_first_seq (store) == 0 && zc_segstore_last_seq (store) == 0);
    CHECK (s_list (dir, firsts, 256) == 0);
    s_fill (store, 500, 510);
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &cfg, 500, 510));
    test_rmrf (dir);
}

static void
test_retain_bytes (void)
{
    char dir [64];
    uint64_t firsts [256];
    test_mkdtemp (dir, "zc_segstore");
    zc_segstore_config_t cfg = { ZC_FSYNC_BATCH, 300, 1000, 0 };
    s_build (dir, 300, 100);
    zc_segstore_t *store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    time_t now = time (NULL);

    //  keep_after_seq 0: every segment holds a seq above it.
    CHECK (zc_segstore_retain (store, (uint64_t) now, 0) == 0);
    //  Only segments wholly at or below 10 may go.
    int removed = zc_segstore_retain (store, (uint64_t) now, 10);
    CHECK (removed >= 1);
    CHECK (zc_segstore_first_seq (store) > 1 && zc_segstore_first_seq (store) <= 11);
    CHECK (s_holds (store, zc_segstore_first_seq (store), 100));
    //  No limit on which seqs: down to the byte budget.
    removed = zc_segstore_retain (store, (uint64_t) now, UINT64_MAX);
    CHECK (removed >= 1);
    CHECK (s_dir_bytes (dir) <= 1000);
    CHECK (s_dir_bytes (dir) + 300 > 1000);             //  not more than needed
    size_t count = s_list (dir, firsts, 256);
    CHECK (zc_segstore_first_seq (store) == firsts [0]);
    CHECK (zc_segstore_retain (store, (uint64_t) now, UINT64_MAX) == 0);
    uint64_t first = firsts [0];
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &cfg, first, 100));
    CHECK (count == s_list (dir, firsts, 256));

    //  The active segment stays even when it alone is over the budget.
    cfg.retain_bytes = 1;
    store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    zc_segstore_retain (store, (uint64_t) now, UINT64_MAX);
    CHECK (s_list (dir, firsts, 256) == 1);
    CHECK (zc_segstore_first_seq (store) == firsts [0] && zc_segstore_last_seq (store) == 100);
    s_fill (store, 101, 101);
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &cfg, firsts [0], 101));
    test_rmrf (dir);
}

static void
s_age (const char *dir, uint64_t first, time_t when)
{
    char path [512];
    s_seg_path (dir, first, path);
    struct timespec times [2] = { { when, 0 }, { when, 0 } };
    if (utimensat (AT_FDCWD, path, times, 0))
        exit (2);
}

static void
test_retain_age (void)
{
    char dir [64];
    uint64_t firsts [256];
    test_mkdtemp (dir, "zc_segstore");
    zc_segstore_config_t cfg = { ZC_FSYNC_BATCH, 300, 0, 500 };
    s_build (dir, 300, 100);
    time_t now = time (NULL);
    size_t count = s_list (dir, firsts, 256);
    CHECK (count > 5);
    //  All but the newest two were last written 1000 s ago.
    for (size_t i = 0; i + 2 < count; i++)
        s_age (dir, firsts [i], now - 1000);
    zc_segstore_t *store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
    //  keep_after_seq inside the third segment: only the first two go.
    CHECK (zc_segstore_retain (store, (uint64_t) now, firsts [2]) == 2);
    CHECK (zc_segstore_first_seq (store) == firsts [2]);
    //  Then every old one; the young ones stay.
    CHECK (zc_segstore_retain (store, (uint64_t) now, UINT64_MAX) == (int) count - 4);
    CHECK (zc_segstore_first_seq (store) == firsts [count - 2]);
    CHECK (s_list (dir, firsts + 100, 100) == 2);
    //  A day later the older young one goes too, never the active one.
    CHECK (zc_segstore_retain (store, (uint64_t) now + 86400, UINT64_MAX) == 1);
    CHECK (zc_segstore_first_seq (store) == firsts [count - 1]);
    CHECK (s_holds (store, firsts [count - 1], 100));
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &cfg, firsts [count - 1], 100));
    test_rmrf (dir);
}

//  The torture test: cut the last record at every byte offset (and
//  at both its boundaries), reopen, and find exactly the whole records.
//  own_segment: the last record is alone in its own segment, so a cut
//  inside it leaves a torn or empty segment that must go.  zero_tail: the
//  file is then extended with zeros past the cut, as when a file's size
//  reached the disk before its data.
static void
s_torture (bool own_segment, bool zero_tail)
{
    const uint64_t n = 20;
    char dir [64], path [512];
    uint64_t firsts [8];
    test_mkdtemp (dir, "zc_segstore");
    s_build (dir, 1 << 20, own_segment ? n - 1 : n);
    if (own_segment) {
        //  segment_bytes 1 makes every append start a new segment.
        zc_segstore_config_t tiny = { ZC_FSYNC_NEVER, 1, 0, 0 };
        zc_segstore_t *store = zc_segstore_open (dir, &tiny, s_err, sizeof s_err);
        s_fill (store, n, n);
        zc_segstore_destroy (&store);
    }
    s_seg_path (dir, own_segment ? n : 1, path);
    uint64_t end = s_file_size (path);
    uint64_t start = own_segment ? 0 : end - s_record_bytes (n);
    test_rmrf (dir);
    int bad = 0;
    for (uint64_t cut = start; cut <= end; cut++) {
        test_mkdtemp (dir, "zc_segstore");
        s_build (dir, 1 << 20, own_segment ? n - 1 : n);
        zc_segstore_config_t cfg = { ZC_FSYNC_NEVER, own_segment ? 1 : 1 << 20, 0, 0 };
        if (own_segment) {
            zc_segstore_t *store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
            s_fill (store, n, n);
            zc_segstore_destroy (&store);
        }
        s_seg_path (dir, own_segment ? n : 1, path);
        bool whole = cut == end;
        if (truncate (path, (off_t) cut)
        || (zero_tail && !whole && truncate (path, (off_t) end + 64)))
            exit (2);
        uint64_t last = whole ? n : n - 1;
        zc_segstore_t *store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
        bool ok = store != NULL;
        if (ok) {
            //  A note exactly when bytes were cut off or a segment removed.
            bool torn = !whole && (own_segment || zero_tail || cut != start);
            ok = (zc_segstore_note (store) != NULL) == torn
              && s_holds (store, 1, last)
              && s_list (dir, firsts, 8) == (own_segment && whole ? 2 : 1)
              && (own_segment ? !whole || s_file_size (path) == end
                              : s_file_size (path) == (whole ? end : start));
            //  And it takes the next record.
            s_fill (store, last + 1, last + 1);
            zc_segstore_destroy (&store);
            ok = ok && s_reopen_holds (dir, &cfg, 1, last + 1);
        }
        CHECK (ok);
        if (!ok) {
            bad++;
            fprintf (stderr, "torture own_segment=%d zero_tail=%d cut=%llu (record %llu..%llu): %s\n",
                     own_segment, zero_tail, (unsigned long long) cut,
                     (unsigned long long) start, (unsigned long long) end,
                     store ? "wrong contents" : s_err);
        }
        test_rmrf (dir);
    }
    CHECK (end - start > 16);       //  the loop really covered a record
    CHECK (bad == 0);
}

static void
test_torture (void)
{
    s_torture (false, false);
    s_torture (true, false);
    s_torture (false, true);
    s_torture (true, true);
}

//  Open must fail with a message naming the file; the files stay as they are.
static void
s_refused (int line, const char *dir, const char *want)
{
    zc_segstore_t *store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    bool ok = store == NULL && strstr (s_err, dir) && strstr (s_err, want);
    if (ok)
        s_passed++;
    else {
        s_failed++;
        fprintf (stderr, "%s:%d: FAILED: opened=%d err='%s', wanted '%s'\n",
                 __FILE__, line, store != NULL, store ? "" : s_err, want);
    }
    zc_segstore_destroy (&store);
}
#define REFUSED(dir, want) s_refused (__LINE__, dir, want)

static void
test_damage (void)
{
    char dir [64], path [512];
    uint64_t firsts [256];

    //  A flipped byte in an earlier record of the last segment.
    test_mkdtemp (dir, "zc_segstore");
    s_build (dir, 1 << 20, 20);
    s_seg_path (dir, 1, path);
    uint64_t size = s_file_size (path);
    s_flip_byte (path, s_offset_of (5) + 20);
    REFUSED (dir, "CRC mismatch");
    REFUSED (dir, "log-00000000000000000001.seg offset ");
    CHECK (s_file_size (path) == size);             //  nothing was cut
    test_rmrf (dir);

    //  A flipped byte in the last record of a segment that is not the last.
    test_mkdtemp (dir, "zc_segstore");
    s_build (dir, 300, 100);
    size_t count = s_list (dir, firsts, 256);
    s_seg_path (dir, firsts [2], path);
    s_flip_byte (path, s_file_size (path) - 3);
    REFUSED (dir, "CRC mismatch");
    //  ... or a segment cut short.
    if (truncate (path, (off_t) s_file_size (path) - 3))
        exit (2);
    REFUSED (dir, "short record payload");
    test_rmrf (dir);

    //  A middle segment missing: a gap between segments.
    test_mkdtemp (dir, "zc_segstore");
    s_build (dir, 300, 100);
    count = s_list (dir, firsts, 256);
    s_seg_path (dir, firsts [count / 2], path);
    unlink (path);
    REFUSED (dir, "gap");
    test_rmrf (dir);

    //  A record with a valid CRC but the wrong seq: a gap inside a segment.
    test_mkdtemp (dir, "zc_segstore");
    s_build (dir, 1 << 20, 20);
    s_seg_path (dir, 1, path);
    uint64_t offset = s_offset_of (7);
    int fd = open (path, O_RDWR);
    uint8_t rec [256];
    uint64_t rec_size = s_record_bytes (7);
    CHECK (pread (fd, rec, rec_size, (off_t) offset) == (ssize_t) rec_size);
    rec [8] = 8;                                    //  seq 7 -> 8
    uint32_t crc = zc_segstore_crc32 (0, rec + 8, rec_size - 8);
    for (int b = 0; b < 4; b++)
        rec [4 + b] = (uint8_t) (crc >> (8 * b));
    CHECK (pwrite (fd, rec, rec_size, (off_t) offset) == (ssize_t) rec_size);
    close (fd);
    REFUSED (dir, "gap");
    //  A length over 1 MiB in the middle.
    fd = open (path, O_RDWR);
    uint8_t len [4] = { 0, 0, 0x20, 0 };            //  2 MiB
    CHECK (pwrite (fd, len, 4, (off_t) offset) == 4);
    close (fd);
    REFUSED (dir, "over 1 MiB");
    test_rmrf (dir);

    //  A bad segment header, first or last segment.
    test_mkdtemp (dir, "zc_segstore");
    s_build (dir, 300, 100);
    count = s_list (dir, firsts, 256);
    s_seg_path (dir, firsts [count - 1], path);
    s_flip_byte (path, 2);
    REFUSED (dir, "bad segment header");
    s_flip_byte (path, 2);
    CHECK (s_reopen_holds (dir, NULL, 1, 100));
    s_seg_path (dir, 1, path);
    s_flip_byte (path, 8);                          //  the version
    REFUSED (dir, "bad segment header");
    test_rmrf (dir);

    //  A name that looks like a segment but is not one.
    test_mkdtemp (dir, "zc_segstore");
    s_build (dir, 300, 10);
    snprintf (path, sizeof path, "%s/log-12.seg", dir);
    fclose (fopen (path, "w"));
    REFUSED (dir, "log-12.seg");
    test_rmrf (dir);
}

//  --------------------------------------------------------------------------
//  The durability mark: only what was never synced can be a torn tail
//  (issue 9 item 6: a last segment cut in the middle of synced data was
//  "repaired", and the node started with 130 of 307 committed entries).

//  The seq log.mark says is durable (docs/STORAGE.md), or -1 if none.
static int64_t
s_mark_seq (const char *dir)
{
    char path [512];
    snprintf (path, sizeof path, "%s/log.mark", dir);
    uint8_t buf [40];
    int fd = open (path, O_RDONLY);
    ssize_t got = fd < 0 ? -1 : read (fd, buf, sizeof buf);
    if (fd >= 0)
        close (fd);
    if (got != 40 || memcmp (buf, "ZCMARK1", 8)
    ||  zc_segstore_crc32 (0, buf, 32) != (uint32_t) (buf [32] | buf [33] << 8
                                                      | buf [34] << 16 | (uint32_t) buf [35] << 24))
        return -1;
    uint64_t seq = 0;
    for (int b = 7; b >= 0; b--)
        seq = seq << 8 | buf [8 + b];
    return (int64_t) seq;
}

//  Write log.mark by hand: seq, segment first, length (docs/STORAGE.md).
static void
s_write_mark (const char *dir, uint64_t seq, uint64_t first, uint64_t len)
{
    uint8_t buf [40] = "ZCMARK1";
    uint64_t fields [3] = { seq, first, len };
    for (int f = 0; f < 3; f++)
        for (int b = 0; b < 8; b++)
            buf [8 + 8 * f + b] = (uint8_t) (fields [f] >> (8 * b));
    uint32_t crc = zc_segstore_crc32 (0, buf, 32);
    for (int b = 0; b < 4; b++)
        buf [32 + b] = (uint8_t) (crc >> (8 * b));
    char path [512];
    snprintf (path, sizeof path, "%s/log.mark", dir);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write (fd, buf, 40) != 40)
        exit (2);
    close (fd);
}

//  A store in dir holding 1..synced, synced (BATCH), then synced+1..last
//  written to the file but never synced: the process "crashes" (a child
//  that exits without closing the store).
static void
s_build_unsynced (const char *dir, uint64_t segment_bytes, uint64_t synced, uint64_t last)
{
    pid_t pid = fork ();
    if (pid == 0) {
        zc_segstore_config_t cfg = { ZC_FSYNC_BATCH, segment_bytes, 0, 0 };
        zc_segstore_t *store = zc_segstore_open (dir, &cfg, s_err, sizeof s_err);
        if (!store)
            _exit (3);
        s_fill (store, 1, synced);
        if (zc_segstore_sync (store))
            _exit (3);
        s_fill (store, synced + 1, last);
        s_seen_t seen = { 1, 0, true };     //  replay writes the buffer out
        if (zc_segstore_replay (store, s_check_record, &seen, s_err, sizeof s_err))
            _exit (3);
        _exit (0);
    }
    int status = -1;
    waitpid (pid, &status, 0);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        fprintf (stderr, "s_build_unsynced: child failed\n");
        exit (2);
    }
}

//  A new dir with s_build_unsynced's store in one segment (1 MiB), and
//  path that segment's file
static void
s_unsynced_segment (char *dir, uint64_t synced, uint64_t last, char *path)
{
    test_mkdtemp (dir, "zc_segstore");
    s_build_unsynced (dir, 1 << 20, synced, last);
    s_seg_path (dir, 1, path);
}

//  Open must refuse: synced entries are missing.  The files stay as they are.
static void
s_lost (int line, const char *dir, const char *path)
{
    uint64_t size = path ? s_file_size (path) : 0;
    zc_segstore_t *store = zc_segstore_open (dir, NULL, s_err, sizeof s_err);
    bool ok = store == NULL && strstr (s_err, "synced log entries are missing")
           && strstr (s_err, "refusing to start") && strstr (s_err, "move the folder aside and restart with --initial-cluster-state existing")
           && (!path || s_file_size (path) == size);
    if (ok)
        s_passed++;
    else {
        s_failed++;
        fprintf (stderr, "%s:%d: FAILED: opened=%d err='%s', wanted synced entries missing\n",
                 __FILE__, line, store != NULL, store ? "" : s_err);
    }
    zc_segstore_destroy (&store);
}
#define LOST(dir, path) s_lost (__LINE__, dir, path)

static void
test_synced_damage (void)
{
    char dir [64], path [512];
    uint64_t firsts [256];
    zc_segstore_config_t batch = { ZC_FSYNC_BATCH, 0, 0, 0 };

    //  The case: the last segment cut in the middle of synced data.
    s_unsynced_segment (dir, 20, 20, path);
    CHECK (s_mark_seq (dir) == 20);             //  the sync moved the mark
    if (truncate (path, (off_t) s_offset_of (10) + 5))
        exit (2);
    LOST (dir, path);
    CHECK (strstr (s_err, "ends at seq 9") && strstr (s_err, "seq 20 was synced")
        && strstr (s_err, "short record header"));
    //  ... or at a record boundary, which no check of the records can see.
    if (truncate (path, (off_t) s_offset_of (10)))
        exit (2);
    LOST (dir, path);
    test_rmrf (dir);

    //  Zeros where synced records were, or a bad CRC in the last synced
    //  record: both would pass for a torn tail without the mark.
    s_unsynced_segment (dir, 20, 20, path);
    uint64_t end = s_file_size (path);
    if (truncate (path, (off_t) s_offset_of (15)) || truncate (path, (off_t) end))
        exit (2);
    LOST (dir, path);
    test_rmrf (dir);
    s_unsynced_segment (dir, 20, 20, path);
    s_flip_byte (path, s_file_size (path) - 2);
    LOST (dir, path);
    test_rmrf (dir);

    //  The last segment gone, or every segment gone.
    test_mkdtemp (dir, "zc_segstore");
    s_build_unsynced (dir, 300, 100, 100);
    size_t count = s_list (dir, firsts, 256);
    CHECK (count > 3 && s_mark_seq (dir) == 100);
    s_seg_path (dir, firsts [count - 1], path);
    unlink (path);
    LOST (dir, NULL);
    for (size_t i = 0; i + 1 < count; i++) {
        s_seg_path (dir, firsts [i], path);
        unlink (path);
    }
    LOST (dir, NULL);
    CHECK (strstr (s_err, "no segment file left"));
    test_rmrf (dir);

    //  What was never synced is still a torn tail: cut in the middle of an
    //  unsynced record, the log keeps every whole one, with a note.
    s_unsynced_segment (dir, 20, 25, path);
    CHECK (s_mark_seq (dir) == 20);
    if (truncate (path, (off_t) s_offset_of (23) + 20))
        exit (2);
    zc_segstore_t *store = zc_segstore_open (dir, &batch, s_err, sizeof s_err);
    CHECK (store && zc_segstore_note (store) && s_holds (store, 1, 22));
    s_fill (store, 23, 30);
    zc_segstore_destroy (&store);
    CHECK (s_mark_seq (dir) == 30);             //  a clean stop syncs and marks
    CHECK (s_reopen_holds (dir, &batch, 1, 30));
    //  ... and so is a cut right at the mark.
    if (truncate (path, (off_t) s_offset_of (31) - 3))
        exit (2);
    LOST (dir, path);
    test_rmrf (dir);
    s_unsynced_segment (dir, 20, 25, path);
    if (truncate (path, (off_t) s_offset_of (21) + 1))
        exit (2);
    CHECK (s_reopen_holds (dir, &batch, 1, 20));
    test_rmrf (dir);

    //  Unsynced records in a segment of their own (the store rolled, the
    //  new segment was never synced): it may go, the synced one may not.
    test_mkdtemp (dir, "zc_segstore");
    s_build_unsynced (dir, 300, 100, 104);
    count = s_list (dir, firsts, 256);
    int64_t marked = s_mark_seq (dir);
    CHECK (marked >= 100 && (uint64_t) marked < 104);
    s_seg_path (dir, firsts [count - 1], path);
    if (firsts [count - 1] > (uint64_t) marked) {
        if (truncate (path, 10))
            exit (2);
        CHECK (s_reopen_holds (dir, &batch, 1, firsts [count - 1] - 1));
    }
    else
        CHECK (false);                          //  the test needs the roll
    test_rmrf (dir);

    //  A truncation lowers the mark first: reopening after it is no alarm,
    //  nor after one that empties the store.
    test_mkdtemp (dir, "zc_segstore");
    store = zc_segstore_open (dir, &batch, s_err, sizeof s_err);
    s_fill (store, 1000, 1050);
    CHECK (zc_segstore_sync (store) == 0 && s_mark_seq (dir) == 1050);
    CHECK (zc_segstore_truncate (store, 1030) == 0 && s_mark_seq (dir) == 1030);
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &batch, 1000, 1030));
    store = zc_segstore_open (dir, &batch, s_err, sizeof s_err);
    CHECK (zc_segstore_truncate (store, 500) == 0);
    zc_segstore_destroy (&store);
    CHECK (s_mark_seq (dir) == 0 && s_list (dir, firsts, 256) == 0);
    store = zc_segstore_open (dir, &batch, s_err, sizeof s_err);
    CHECK (store && zc_segstore_last_seq (store) == 0);
    s_fill (store, 7, 9);
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &batch, 7, 9) && s_mark_seq (dir) == 9);
    test_rmrf (dir);

    //  Retention never leaves the marked seq outside the log: removing the
    //  segment before a never-synced active one syncs that one first.
    test_mkdtemp (dir, "zc_segstore");
    zc_segstore_config_t retain = { ZC_FSYNC_BATCH, 300, 1, 0 };
    store = zc_segstore_open (dir, &retain, s_err, sizeof s_err);
    uint64_t seq = 1;
    s_fill (store, seq, seq);
    CHECK (zc_segstore_sync (store) == 0);
    while (s_list (dir, firsts, 256) < 2) {
        seq++;
        s_fill (store, seq, seq);               //  the roll marks the old segment
    }
    CHECK (s_mark_seq (dir) == (int64_t) seq - 1);
    CHECK (zc_segstore_retain (store, (uint64_t) time (NULL), UINT64_MAX) == 1);
    CHECK (s_mark_seq (dir) >= (int64_t) zc_segstore_first_seq (store));
    zc_segstore_destroy (&store);
    CHECK (s_reopen_holds (dir, &retain, seq, seq));
    test_rmrf (dir);

    //  A torn first record would leave the only segment empty, to be
    //  removed: the check comes first, so the refusal removes nothing.
    test_mkdtemp (dir, "zc_segstore");
    store = zc_segstore_open (dir, &batch, s_err, sizeof s_err);
    s_fill (store, 1000, 1003);
    zc_segstore_destroy (&store);
    s_write_mark (dir, 5, 0, 0);
    s_seg_path (dir, 1000, path);
    if (truncate (path, 20))
        exit (2);
    LOST (dir, path);
    test_rmrf (dir);

    //  An unreadable mark is no mark (a weaker check this once, no alarm);
    //  one of zeros, as a power cut may leave a new file, is not even noted.
    test_mkdtemp (dir, "zc_segstore");
    s_build_unsynced (dir, 1 << 20, 20, 20);
    snprintf (path, sizeof path, "%s/log.mark", dir);
    s_flip_byte (path, 12);
    store = zc_segstore_open (dir, &batch, s_err, sizeof s_err);
    CHECK (store && zc_segstore_note (store) && strstr (zc_segstore_note (store), "log.mark"));
    CHECK (s_holds (store, 1, 20));
    zc_segstore_destroy (&store);
    CHECK (s_mark_seq (dir) == 20);             //  rewritten by the next sync
    uint8_t zeros [40] = { 0 };
    int fd = open (path, O_WRONLY);
    CHECK (fd >= 0 && pwrite (fd, zeros, 40, 0) == 40);
    close (fd);
    s_seg_path (dir, 1, path);
    if (truncate (path, (off_t) s_offset_of (15)))
        exit (2);
    store = zc_segstore_open (dir, &batch, s_err, sizeof s_err);
    CHECK (store && !zc_segstore_note (store) && s_holds (store, 1, 14));
    zc_segstore_destroy (&store);
    test_rmrf (dir);
}

//  Open descriptors, to check the store closes every file it opens.
static int
s_fd_count (void)
{
    DIR *handle = opendir ("/proc/self/fd");
    int count = 0;
    while (handle && readdir (handle))
        count++;
    if (handle)
        closedir (handle);
    return count;
}

int
main (void)
{
    int fds = s_fd_count ();
    test_crc ();
    test_round_trip ();
    test_policies ();
    test_replay_stop ();
    test_truncate ();
    test_retain_bytes ();
    test_retain_age ();
    test_torture ();
    test_damage ();
    test_synced_damage ();
    CHECK (s_fd_count () == fds);
    return check_report ("test_segstore");
}
