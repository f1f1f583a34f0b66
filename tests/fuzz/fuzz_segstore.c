/*  fuzz_segstore.c — libFuzzer target for the segment store's reader: the
    input becomes a data folder (one or two segment files and perhaps a
    log.mark), which zc_segstore_open validates and repairs and
    zc_segstore_replay reads back (docs/STORAGE.md).

    Input: byte 0 holds flags, the rest the files.
      bit 0   a log.mark follows: the next 40 bytes
      bit 1   ... and its CRC is recomputed, so that the fuzzer can move
              the mark's seq, segment and length freely
      bit 2   two segments: a 16-bit length (little-endian) then the first
              segment, the rest is the second; otherwise one segment
      bit 3   open with BATCH (syncs, moves the mark) instead of NEVER
    Each segment is named after the seq of its first record (bytes 24..31
    of the file), so valid inputs chain; 1 when there is none.

    What must hold, beyond "never crashes":
    - a refused open gives a message, and leaves every file as it was;
    - an accepted one replays exactly first..last, in order, then reopens
      to the same log with nothing more to repair, takes the next record,
      and reopens with it.

    Build and run: see tests/fuzz/fuzz_wire.c; seeds in
    build-fuzz/tests/corpus/fuzz_segstore (written by fuzz_corpus_gen from
    stores the real segstore wrote).
*/
#include "segstore.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir [256];

static uint64_t
s_get64 (const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p [i];
    return v;
}

static void
s_write (const char *name, const uint8_t *data, size_t size)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || (size && write (fd, data, size) != (ssize_t) size))
        abort ();
    close (fd);
}

static void
s_write_segment (const uint8_t *data, size_t size, uint64_t fallback, uint64_t *first)
{
    *first = size >= 32 ? s_get64 (data + 24) : fallback;
    if (*first == 0)
        *first = 1;
    char name [64];
    snprintf (name, sizeof name, "log-%020llu.seg", (unsigned long long) *first);
    s_write (name, data, size);
}

//  Every file in the folder, as "name:size;" — the same string before and
//  after a refused open means nothing was touched.
static void
s_snapshot (char *out, size_t cap)
{
    out [0] = 0;
    DIR *dir = opendir (s_dir);
    struct dirent *entry;
    size_t used = 0;
    while (dir && (entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;
        char path [512];
        struct stat st;
        snprintf (path, sizeof path, "%s/%s", s_dir, entry->d_name);
        if (stat (path, &st) == 0 && used < cap)
            used += (size_t) snprintf (out + used, cap - used, "%s:%lld;",
                                       entry->d_name, (long long) st.st_size);
    }
    if (dir)
        closedir (dir);
}

static void
s_clean (void)
{
    DIR *dir = opendir (s_dir);
    struct dirent *entry;
    while (dir && (entry = readdir (dir)))
        if (entry->d_name [0] != '.') {
            char path [512];
            snprintf (path, sizeof path, "%s/%s", s_dir, entry->d_name);
            unlink (path);
        }
    if (dir)
        closedir (dir);
}

typedef struct {
    uint64_t next, count;
    bool ok;
} s_seen_t;

static int
s_seen (uint64_t seq, const uint8_t *data, size_t size, void *arg)
{
    s_seen_t *seen = arg;
    if (seq != seen->next || size > ZC_SEGSTORE_MAX_RECORD || (size && !data))
        seen->ok = false;
    seen->next = seq + 1;
    seen->count++;
    return 0;
}

//  The store replays exactly its first..last.
static void
s_check_replay (zc_segstore_t *store)
{
    char err [2048];
    uint64_t first = zc_segstore_first_seq (store), last = zc_segstore_last_seq (store);
    s_seen_t seen = { first, 0, true };
    if (zc_segstore_replay (store, s_seen, &seen, err, sizeof err) || !seen.ok
    ||  seen.count != (first ? last - first + 1 : 0))
        abort ();
}

static zc_segstore_t *
s_reopen (const zc_segstore_config_t *cfg, uint64_t first, uint64_t last)
{
    char err [2048];
    zc_segstore_t *store = zc_segstore_open (s_dir, cfg, err, sizeof err);
    if (!store)
        abort ();               //  what one open accepted, the next must too
    const char *note = zc_segstore_note (store);
    //  Nothing left to repair; an unreadable mark stays so until a sync.
    if ((note && !strstr (note, "log.mark"))
    ||  zc_segstore_first_seq (store) != first || zc_segstore_last_seq (store) != last)
        abort ();
    s_check_replay (store);
    return store;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_dir [0]) {
        const char *base = access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf (s_dir, sizeof s_dir, "%s/zc-fuzz-segstore-%d", base, (int) getpid ());
        mkdir (s_dir, 0755);
    }
    s_clean ();
    if (size == 0)
        return 0;
    uint8_t flags = data [0];
    data++, size--;
    if (flags & 1) {
        uint8_t mark [40] = { 0 };
        size_t take = size < 40 ? size : 40;
        memcpy (mark, data, take);
        data += take, size -= take;
        if (flags & 2) {
            uint32_t crc = zc_segstore_crc32 (0, mark, 32);
            for (int i = 0; i < 4; i++)
                mark [32 + i] = (uint8_t) (crc >> (8 * i));
        }
        s_write ("log.mark", mark, take < 40 && !(flags & 2) ? take : 40);
    }
    else
        s_write ("log.mark", NULL, 0);  //  as open would create it
    uint64_t first = 1;
    if ((flags & 4) && size >= 2) {
        size_t len = (size_t) (data [0] | data [1] << 8);
        data += 2, size -= 2;
        if (len > size)
            len = size;
        s_write_segment (data, len, 1, &first);
        data += len, size -= len;
        uint64_t second;
        s_write_segment (data, size, first + 1, &second);
        if (second == first)
            return 0;           //  one file written twice: nothing new to try
    }
    else
        s_write_segment (data, size, 1, &first);

    zc_segstore_config_t cfg = { flags & 8 ? ZC_FSYNC_BATCH : ZC_FSYNC_NEVER, 0, 0, 0 };
    char before [4096], after [4096], err [2048];
    s_snapshot (before, sizeof before);
    err [0] = 0;
    zc_segstore_t *store = zc_segstore_open (s_dir, &cfg, err, sizeof err);
    if (!store) {
        s_snapshot (after, sizeof after);
        //  A refusal explains itself and cuts nothing.
        if (!err [0] || strcmp (before, after)) {
            fprintf (stderr, "fuzz_segstore: refused with '%s', files %s -> %s\n", err, before, after);
            abort ();
        }
        return 0;
    }
    s_check_replay (store);
    uint64_t low = zc_segstore_first_seq (store), high = zc_segstore_last_seq (store);
    zc_segstore_destroy (&store);

    store = s_reopen (&cfg, low, high);
    uint64_t next = high ? high + 1 : 1;
    uint8_t record [] = "one more record";
    if (high < UINT64_MAX - 1) {        //  seq UINT64_MAX is never appended
        if (zc_segstore_append (store, next, record, sizeof record) || zc_segstore_sync (store))
            abort ();
        zc_segstore_destroy (&store);
        store = s_reopen (&cfg, low ? low : next, next);
    }
    zc_segstore_destroy (&store);
    return 0;
}
