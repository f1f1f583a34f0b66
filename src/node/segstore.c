/*  segstore.c — see segstore.h and docs/STORAGE.md */
#include "segstore.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define HDR_SIZE    16          //  magic (8) + version (4) + reserved (4)
#define REC_HDR     16          //  length (4) + crc (4) + seq (8)
#define VERSION     1
static const char s_magic [8] = "ZCLOG1\n";     //  7 chars + the NUL

typedef struct {
    uint64_t first, last;       //  seqs held; last = first - 1 while empty
    uint64_t size;              //  bytes, header included
} s_seg_t;

//  A durability mark: every record up to seq, in segments up to and
//  including the one named first (its first len bytes), was on disk.
typedef struct {
    uint64_t seq;               //  0: nothing is known to be durable
    uint64_t first, len;
} s_mark_t;

#define MARK_NAME   "log.mark"
#define MARK_SIZE   40          //  magic (8), seq, first, len (8 each), crc, reserved (4 each)
static const char s_mark_magic [8] = "ZCMARK1";

struct _zc_segstore_t {
    char *dir;
    int dirfd;
    zc_segstore_config_t cfg;
    s_seg_t *segs;              //  oldest first; the last one is active
    size_t count, alloc;
    int fd;                     //  the active segment, write-only, or -1
    bool dirty;                 //  appended since the last fdatasync
    bool dir_dirty;             //  created a segment since the last dir fsync
    bool broken;                //  an fsync or a repair failed: refuse writes
    uint8_t *buf;               //  read buffer: one whole record fits
    size_t bufsize;
    //  Write buffer (policies batch and never): records appended since the
    //  last flush, to go out in one write at the next sync.
    uint8_t *wbuf;
    size_t wlen, wcap;
    uint64_t wbase;             //  file offset of wbuf [0]
    //  The durability mark (log.mark, docs/STORAGE.md "The durability
    //  mark"): how far the log is known to be on disk.
    int markfd;
    s_mark_t mark;              //  what the file holds now
    s_mark_t found;             //  what open found there
    char note [1400];
};

//  --------------------------------------------------------------------------
//  Little helpers: byte order, CRC, names

static void s_put32 (uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p [i] = (uint8_t) (v >> (8 * i)); }
static void s_put64 (uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p [i] = (uint8_t) (v >> (8 * i)); }
static uint32_t s_get32 (const uint8_t *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p [i]; return v; }
static uint64_t s_get64 (const uint8_t *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p [i]; return v; }
static int s_fail (int error) { errno = error; return -1; }

//  CRC-32 (IEEE, zlib's), slicing by 8: eight table lookups per 8 bytes
//  instead of one per byte; the leader and every backup checksum each
//  record, and the bytewise loop was 6 % of a busy leader's time.
uint32_t
zc_segstore_crc32 (uint32_t crc, const void *data, size_t size)
{
    //  Built on first use; the node is single-threaded.
    static uint32_t table [8][256];
    static bool ready;
    if (!ready) {
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = n;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table [0][n] = c;
        }
        for (uint32_t n = 0; n < 256; n++)
            for (int t = 1; t < 8; t++)
                table [t][n] = table [0][table [t - 1][n] & 0xFF] ^ (table [t - 1][n] >> 8);
        ready = true;
    }
    const uint8_t *p = data;
    crc = ~crc;
    while (size >= 8) {
        //  Byte by byte, so the result does not depend on endianness
        uint32_t lo = crc ^ ((uint32_t) p [0] | (uint32_t) p [1] << 8
                          | (uint32_t) p [2] << 16 | (uint32_t) p [3] << 24);
        crc = table [7][lo & 0xFF] ^ table [6][(lo >> 8) & 0xFF]
            ^ table [5][(lo >> 16) & 0xFF] ^ table [4][lo >> 24]
            ^ table [3][p [4]] ^ table [2][p [5]] ^ table [1][p [6]] ^ table [0][p [7]];
        p += 8;
        size -= 8;
    }
    while (size--)
        crc = table [0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static uint32_t
s_record_crc (const uint8_t *seq_le, const uint8_t *data, size_t size)
{
    return zc_segstore_crc32 (zc_segstore_crc32 (0, seq_le, 8), data, size);
}

static void
s_header (uint8_t header [HDR_SIZE])
{
    memset (header, 0, HDR_SIZE);
    memcpy (header, s_magic, 8);
    s_put32 (header + 8, VERSION);
}

static void
s_name (uint64_t first, char name [32])
{
    snprintf (name, 32, "log-%020llu.seg", (unsigned long long) first);
}

//  "log-<20 digits>.seg" -> its first seq, or 0 if the name is not ours.
static uint64_t
s_parse_name (const char *name)
{
    if (strlen (name) != 28 || strncmp (name, "log-", 4) || strcmp (name + 24, ".seg"))
        return 0;
    for (int i = 4; i < 24; i++)
        if (name [i] < '0' || name [i] > '9')
            return 0;
    errno = 0;
    unsigned long long value = strtoull (name + 4, NULL, 10);
    return errno ? 0 : (uint64_t) value;
}

static int
s_cmp_seg (const void *a, const void *b)
{
    uint64_t x = ((const s_seg_t *) a)->first, y = ((const s_seg_t *) b)->first;
    return x < y ? -1 : x > y;
}

//  Add a line to what open repaired or noticed.
static void
s_note (zc_segstore_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
static void
s_note (zc_segstore_t *self, const char *format, ...)
{
    size_t used = strlen (self->note);
    if (used && used + 2 < sizeof self->note) {
        memcpy (self->note + used, "; ", 3);
        used += 2;
    }
    va_list args;
    va_start (args, format);
    vsnprintf (self->note + used, sizeof self->note - used, format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  The durability mark (docs/STORAGE.md "The durability mark")

//  Record that everything up to seq is on disk (the last of it in segment
//  first, whose first len bytes are durable).  Called only once the
//  fdatasync (and directory fsync) that made it so has returned, and with
//  no sync of its own: a mark lost or left stale by a power cut is merely
//  lower, which weakens the check at open but never raises a false alarm.
//  A failed write leaves a lower or unreadable mark: the same.  durable:
//  fdatasync the mark too, which lowering it before a truncation needs
//  (then a failure is an error).
static int
s_mark (zc_segstore_t *self, uint64_t seq, uint64_t first, uint64_t len, bool durable)
{
    if (self->markfd < 0 || (!durable && self->mark.seq == seq
                             && self->mark.first == first && self->mark.len == len))
        return 0;
    uint8_t buf [MARK_SIZE] = { 0 };
    memcpy (buf, s_mark_magic, 8);
    s_put64 (buf + 8, seq);
    s_put64 (buf + 16, first);
    s_put64 (buf + 24, len);
    s_put32 (buf + 32, zc_segstore_crc32 (0, buf, 32));
    if (pwrite (self->markfd, buf, MARK_SIZE, 0) != MARK_SIZE
    ||  (durable && fdatasync (self->markfd)))
        return durable ? -1 : 0;
    self->mark = (s_mark_t) { seq, first, len };
    return 0;
}

//  Read the mark open checks against; an unreadable one counts as none.
static void
s_mark_load (zc_segstore_t *self)
{
    uint8_t buf [MARK_SIZE];
    ssize_t got = pread (self->markfd, buf, MARK_SIZE, 0);
    //  Empty: a new store, or one older than the mark.  All zeros: its first
    //  write was cut by a power loss (the size reached the disk, the data
    //  not); nothing was marked yet either way.
    static const uint8_t zeros [MARK_SIZE];
    if (got == 0 || (got == MARK_SIZE && memcmp (buf, zeros, MARK_SIZE) == 0))
        return;
    if (got != MARK_SIZE || memcmp (buf, s_mark_magic, 8) || s_get32 (buf + 36)
    ||  s_get32 (buf + 32) != zc_segstore_crc32 (0, buf, 32)) {
        s_note (self, "ignored an unreadable %s/" MARK_NAME " (this once, open could "
                "not check that no synced record is missing)", self->dir);
        return;
    }
    self->found = (s_mark_t) { s_get64 (buf + 8), s_get64 (buf + 16), s_get64 (buf + 24) };
    self->mark = self->found;
}

//  Open found less on disk than the mark says was synced: damage, not a
//  torn tail.  The node must not start with a silently shorter log (issue
//  9 item 6): say what happened and what to do.  errlen is often 512.
static void
s_lost (zc_segstore_t *self, uint64_t ends_at, const char *where, char *err, size_t errlen)
{
    char name [32], synced [80] = "";
    s_name (self->found.first, name);
    if (self->found.first)      //  0 after a truncation: no segment named
        snprintf (synced, sizeof synced, ": %llu bytes of %s",
                  (unsigned long long) self->found.len, name);
    snprintf (err, errlen, "%s: synced log entries are missing: the log ends at seq %llu%s "
              "but seq %llu was synced (" MARK_NAME "%s); damage, not a torn tail: "
              "refusing to start. To recover, move the folder aside and restart with "
              "--initial-cluster-state existing (docs/ELECTION.md \"Lost state\")",
              self->dir, (unsigned long long) ends_at, where,
              (unsigned long long) self->found.seq, synced);
}

//  --------------------------------------------------------------------------
//  Reading: a buffered reader and the one record scanner that open, replay
//  and truncate all use, so they agree on what a valid record is.

typedef struct {
    int fd;
    uint8_t *buf;
    size_t cap, start, end;     //  unread bytes are buf [start..end)
    uint64_t pos, limit;        //  file offset of buf [end]; stop reading at limit
} s_reader_t;

//  Make n bytes available if the file has them.  Returns how many are
//  available (less than n at the end), or -1 on a read error.
static ssize_t
s_fill (s_reader_t *r, size_t n)
{
    if (r->end - r->start < n && r->start) {
        memmove (r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    while (r->end - r->start < n && r->pos < r->limit) {
        size_t want = r->cap - r->end;
        if (want > r->limit - r->pos)
            want = (size_t) (r->limit - r->pos);
        ssize_t got = pread (r->fd, r->buf + r->end, want, (off_t) r->pos);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0)
            break;
        r->end += (size_t) got;
        r->pos += (uint64_t) got;
    }
    return (ssize_t) (r->end - r->start);
}

//  True if every byte in [from, to) is zero: a file whose size reached the
//  disk before its data did (the "zero tail" of a crash).
static bool
s_all_zero (int fd, uint64_t from, uint64_t to)
{
    uint8_t block [4096];
    while (from < to) {
        size_t want = to - from < sizeof block ? (size_t) (to - from) : sizeof block;
        ssize_t got = pread (fd, block, want, (off_t) from);
        if (got <= 0)
            return false;
        for (ssize_t i = 0; i < got; i++)
            if (block [i])
                return false;
        from += (uint64_t) got;
    }
    return true;
}

typedef struct {
    uint64_t good_end;          //  offset just past the last good record
    uint64_t last_seq, records;
    const char *why;            //  what was wrong with the torn tail
} s_scan_t;

typedef int (s_cb_t) (uint64_t seq, const uint8_t *data, size_t size, void *arg);

//  Read the segment in fd up to limit; *expected is the next seq due and
//  advances.  Returns 0 (clean), 1 (torn tail; only if allow_torn), 2 (cb
//  returned non-zero; good_end is then that record's offset) or -1 (damage
//  or read error, err set).
static int
s_scan (zc_segstore_t *self, const char *name, int fd, uint64_t limit, bool allow_torn,
        uint64_t *expected, s_cb_t *cb, void *arg, s_scan_t *res, char *err, size_t errlen)
{
    memset (res, 0, sizeof *res);
    s_reader_t r = { fd, self->buf, self->bufsize, 0, 0, 0, limit };
    uint64_t off = 0, zero_from = 0;
    bool at_eof = false;        //  the bad record runs to or past the end
    const char *why;
    ssize_t have = s_fill (&r, HDR_SIZE);
    if (have < 0)
        goto read_error;
    if (have < HDR_SIZE) {
        why = "short segment header";
        at_eof = true;
        goto bad;
    }
    uint8_t want [HDR_SIZE];
    s_header (want);
    if (memcmp (r.buf, want, HDR_SIZE)) {
        why = "bad segment header (not a zchat log, or an unknown version)";
        //  A crash while the header was written leaves a prefix then zeros.
        size_t k = 0;
        while (k < HDR_SIZE && r.buf [k] == want [k])
            k++;
        while (k < HDR_SIZE && r.buf [k] == 0)
            k++;
        zero_from = k == HDR_SIZE ? HDR_SIZE : 0;
        goto bad;
    }
    r.start += HDR_SIZE;
    off = res->good_end = HDR_SIZE;
    while (true) {
        if ((have = s_fill (&r, REC_HDR)) < 0)
            goto read_error;
        if (have == 0)
            return 0;
        const uint8_t *head = r.buf + r.start;
        if (have < REC_HDR) {
            why = "short record header";
            at_eof = true;
            goto bad;
        }
        uint32_t len = s_get32 (head);
        if (len > ZC_SEGSTORE_MAX_RECORD) {
            why = "record length over 1 MiB";
            zero_from = off;
            goto bad;
        }
        if ((have = s_fill (&r, REC_HDR + len)) < 0)
            goto read_error;
        head = r.buf + r.start;         //  s_fill may have moved the bytes
        if ((size_t) have < REC_HDR + len) {
            why = "short record payload";
            at_eof = true;
            goto bad;
        }
        uint64_t seq = s_get64 (head + 8);
        if (s_record_crc (head + 8, head + REC_HDR, len) != s_get32 (head + 4)) {
            why = "CRC mismatch";
            zero_from = off + REC_HDR + len;
            at_eof = zero_from == limit;
            goto bad;
        }
        if (seq != *expected) {
            //  A well-formed record out of place is never a crash artefact.
            snprintf (err, errlen, "%s/%s offset %llu: record seq %llu where %llu was due (a gap in the log)",
                      self->dir, name, (unsigned long long) off,
                      (unsigned long long) seq, (unsigned long long) *expected);
            return -1;
        }
        if (cb && cb (seq, head + REC_HDR, len, arg))
            return 2;
        r.start += REC_HDR + len;
        off = res->good_end = off + REC_HDR + len;
        res->last_seq = seq;
        res->records++;
        (*expected)++;
    }
bad:
    if (allow_torn && (at_eof || s_all_zero (fd, zero_from, limit))) {
        res->why = why;
        return 1;
    }
    snprintf (err, errlen, "%s/%s offset %llu: %s, %s; refusing a damaged log "
              "(if the damage is understood, cut it there with truncate -s %llu)",
              self->dir, name, (unsigned long long) off, why,
              allow_torn ? "not a torn tail as more data follows"
                         : "not a torn tail as this is not the end of the log",
              (unsigned long long) off);
    return -1;
read_error:
    snprintf (err, errlen, "%s/%s: read error: %s", self->dir, name, strerror (errno));
    return -1;
}

//  --------------------------------------------------------------------------
//  Open, destroy

//  Open the last segment for appending (or none when the store is empty).
static int
s_open_active (zc_segstore_t *self)
{
    if (self->fd >= 0)
        close (self->fd);
    self->fd = -1;
    if (self->count == 0)
        return 0;
    char name [32];
    s_name (self->segs [self->count - 1].first, name);
    self->fd = openat (self->dirfd, name, O_WRONLY | O_CLOEXEC);
    return self->fd < 0 ? -1 : 0;
}

static int
s_push (zc_segstore_t *self, uint64_t first, uint64_t size)
{
    if (self->count == self->alloc) {
        size_t alloc = self->alloc ? self->alloc * 2 : 16;
        s_seg_t *segs = realloc (self->segs, alloc * sizeof *segs);
        if (!segs)
            return -1;
        self->segs = segs;
        self->alloc = alloc;
    }
    self->segs [self->count++] = (s_seg_t) { first, first - 1, size };
    return 0;
}

//  Remove a segment durably before touching the next one: were a later
//  removal to reach the disk without an earlier one, the log would have a
//  gap, and open would refuse it.
static int
s_unlink (zc_segstore_t *self, const char *name)
{
    if (unlinkat (self->dirfd, name, 0) || fsync (self->dirfd))
        return -1;
    self->dir_dirty = false;
    return 0;
}

//  Validate every segment in order; repair a torn tail of the last one.
static int
s_load (zc_segstore_t *self, char *err, size_t errlen)
{
    self->markfd = openat (self->dirfd, MARK_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct stat st;
    if (self->markfd < 0 || fstat (self->markfd, &st)) {
        snprintf (err, errlen, "%s/" MARK_NAME ": cannot open: %s", self->dir, strerror (errno));
        return -1;
    }
    if (st.st_size == 0)
        self->dir_dirty = true;     //  perhaps just created: the next sync makes its name durable
    s_mark_load (self);
    DIR *dir = opendir (self->dir);
    if (!dir) {
        snprintf (err, errlen, "%s: cannot list: %s", self->dir, strerror (errno));
        return -1;
    }
    struct dirent *entry;
    while ((entry = readdir (dir)))
        //  Other files (election.state, an operator's backup) are not ours.
        if (strncmp (entry->d_name, "log-", 4) == 0 && strlen (entry->d_name) > 8
        &&  strcmp (entry->d_name + strlen (entry->d_name) - 4, ".seg") == 0) {
            uint64_t first = s_parse_name (entry->d_name);
            if (first == 0 || s_push (self, first, 0)) {
                snprintf (err, errlen, "%s/%s: not a valid segment name", self->dir, entry->d_name);
                closedir (dir);
                return -1;
            }
        }
    closedir (dir);
    if (self->count)
        qsort (self->segs, self->count, sizeof *self->segs, s_cmp_seg);

    uint64_t expected = self->count ? self->segs [0].first : 0;
    for (size_t i = 0; i < self->count; i++) {
        s_seg_t *seg = &self->segs [i];
        bool last = i == self->count - 1;
        char name [32];
        s_name (seg->first, name);
        if (seg->first != expected) {
            snprintf (err, errlen, "%s/%s: starts at seq %llu but the segment before ends at %llu (a gap in the log)",
                      self->dir, name, (unsigned long long) seg->first, (unsigned long long) expected - 1);
            return -1;
        }
        int fd = openat (self->dirfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat (fd, &st)) {
            snprintf (err, errlen, "%s/%s: cannot read: %s", self->dir, name, strerror (errno));
            if (fd >= 0)
                close (fd);
            return -1;
        }
        s_scan_t res;
        int rc = s_scan (self, name, fd, (uint64_t) st.st_size, last, &expected, NULL, NULL, &res, err, errlen);
        close (fd);
        if (rc < 0)
            return -1;
        seg->last = seg->first - 1 + res.records;
        seg->size = res.good_end;
        if (res.records == 0 && !last) {
            snprintf (err, errlen, "%s/%s: a segment that is not the last holds no records", self->dir, name);
            return -1;
        }
        //  Only what was never synced can be a torn tail: a log that would
        //  end below the mark lost records that were durable (and perhaps
        //  acknowledged), whether cut inside a record or at its end, or
        //  in a segment that would go as holding none (checked before
        //  anything is cut, so a refusal changes nothing).
        uint64_t kept = res.records ? seg->last : i ? self->segs [i - 1].last : 0;
        if (last && kept < self->found.seq) {
            char where [160];
            snprintf (where, sizeof where, " (%s, %llu bytes%s%s%s)", name,
                      (unsigned long long) st.st_size, rc ? ": " : "", rc ? res.why : "",
                      rc ? " after the last whole record" : "");
            s_lost (self, kept, where, err, errlen);
            return -1;
        }
        if (res.records == 0) {
            //  Created just before a crash: nothing in it was ever acknowledged.
            s_note (self, "removed %s segment %s/%s (%llu bytes%s%s)",
                    rc ? "torn" : "empty", self->dir, name, (unsigned long long) st.st_size,
                    rc ? ": " : "", rc ? res.why : "");
            if (s_unlink (self, name))
                goto repair_failed;
            self->count--;
        }
        else
        if (rc == 1) {
            s_note (self, "truncated %llu torn bytes (%s) at the end of %s/%s",
                    (unsigned long long) st.st_size - res.good_end, res.why, self->dir, name);
            fd = openat (self->dirfd, name, O_WRONLY | O_CLOEXEC);
            int failed = fd < 0 || ftruncate (fd, (off_t) res.good_end) || fsync (fd);
            if (fd >= 0)
                close (fd);
            if (failed)
                goto repair_failed;
        }
    }
    if (self->count == 0 && self->found.seq) {
        s_lost (self, 0, " (no segment file left)", err, errlen);
        return -1;
    }
    if (s_open_active (self) == 0)
        return 0;
repair_failed:
    snprintf (err, errlen, "%s: cannot repair or open the log: %s (after: %s)",
              self->dir, strerror (errno), self->note [0] ? self->note : "nothing");
    return -1;
}

zc_segstore_t *
zc_segstore_open (const char *dir, const zc_segstore_config_t *cfg, char *err, size_t errlen)
{
    zc_segstore_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->fd = self->dirfd = self->markfd = -1;
    if (cfg)
        self->cfg = *cfg;
    if (!self->cfg.segment_bytes)
        self->cfg.segment_bytes = ZC_SEGSTORE_SEGMENT_BYTES;
    self->dir = strdup (dir);
    self->bufsize = REC_HDR + ZC_SEGSTORE_MAX_RECORD + 64 * 1024;
    self->buf = malloc (self->bufsize);
    if (!self->dir || !self->buf)
        snprintf (err, errlen, "out of memory");
    else
    if ((mkdir (dir, 0755) && errno != EEXIST)
    ||  (self->dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        snprintf (err, errlen, "%s: cannot open the log folder: %s", dir, strerror (errno));
    else
    if (s_load (self, err, errlen) == 0)
        return self;
    self->cfg.fsync = ZC_FSYNC_NEVER;   //  nothing to sync in destroy
    zc_segstore_destroy (&self);
    return NULL;
}

void
zc_segstore_destroy (zc_segstore_t **self_p)
{
    zc_segstore_t *self = *self_p;
    if (!self)
        return;
    if (!self->broken)
        zc_segstore_sync (self);        //  a clean stop loses nothing
    if (self->fd >= 0)
        close (self->fd);
    if (self->dirfd >= 0)
        close (self->dirfd);
    if (self->markfd >= 0)
        close (self->markfd);
    free (self->segs);
    free (self->buf);
    free (self->wbuf);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

const char *zc_segstore_note (zc_segstore_t *self) { return self->note [0] ? self->note : NULL; }
uint64_t zc_segstore_first_seq (zc_segstore_t *self) { return self->count ? self->segs [0].first : 0; }
uint64_t zc_segstore_last_seq (zc_segstore_t *self) { return self->count ? self->segs [self->count - 1].last : 0; }

//  --------------------------------------------------------------------------
//  Replay

static int s_flush (zc_segstore_t *self);

int
zc_segstore_replay (zc_segstore_t *self, s_cb_t *cb, void *arg, char *err, size_t errlen)
{
    if (s_flush (self)) {
        snprintf (err, errlen, "%s: cannot write buffered records", self->dir);
        return -1;
    }
    uint64_t expected = zc_segstore_first_seq (self);
    for (size_t i = 0; i < self->count; i++) {
        s_seg_t *seg = &self->segs [i];
        char name [32];
        s_name (seg->first, name);
        int fd = openat (self->dirfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf (err, errlen, "%s/%s: cannot read: %s", self->dir, name, strerror (errno));
            return -1;
        }
        //  Open validated these bytes; check again, it costs little.
        s_scan_t res;
        int rc = s_scan (self, name, fd, seg->size, false, &expected, cb, arg, &res, err, errlen);
        close (fd);
        if (rc == 2)
            snprintf (err, errlen, "replay stopped by the callback at seq %llu", (unsigned long long) expected);
        else
        if (rc == 0 && res.good_end != seg->size)
            snprintf (err, errlen, "%s/%s: shorter than when opened", self->dir, name);
        if (rc != 0 || res.good_end != seg->size)
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Writing

//  Write out the buffered records.  A failure leaves the file with a torn
//  tail at worst (repaired on the next open) and the store refusing writes.
static int
s_flush (zc_segstore_t *self)
{
    size_t done = 0;
    while (done < self->wlen) {
        ssize_t wrote = pwrite (self->fd, self->wbuf + done, self->wlen - done,
                                (off_t) (self->wbase + done));
        if (wrote <= 0) {
            self->broken = true;
            return -1;
        }
        done += (size_t) wrote;
    }
    self->wlen = 0;
    return 0;
}

//  The data is on disk: make the folder durable too (new or removed
//  segments), or refuse every later write.
static int
s_synced (zc_segstore_t *self)
{
    self->dirty = false;
    if (self->dir_dirty && fsync (self->dirfd)) {
        self->broken = true;
        return -1;
    }
    self->dir_dirty = false;
    return 0;
}

//  Make everything written durable, whatever the policy, then mark it so.
static int
s_durable (zc_segstore_t *self)
{
    if (s_flush (self))
        return -1;
    //  After a failed fsync the kernel may have dropped the dirty pages, so
    //  retrying could falsely succeed: refuse all further writes instead.
    if (self->dirty && self->fd >= 0 && fdatasync (self->fd)) {
        self->broken = true;
        return -1;
    }
    if (s_synced (self))
        return -1;
    //  One pwrite per sync, and none when nothing was new.
    if (self->count) {
        s_seg_t *seg = &self->segs [self->count - 1];
        s_mark (self, seg->last, seg->first, seg->size, false);
    }
    return 0;
}

int
zc_segstore_sync (zc_segstore_t *self)
{
    if (self->broken)
        return s_fail (EIO);
    if (self->cfg.fsync == ZC_FSYNC_NEVER)
        return s_flush (self);  //  the OS writes it back when it likes
    return s_durable (self);
}

//  Start the segment for seq.  The old one is synced first whatever the
//  policy, so that only the last segment can ever be torn.
static int
s_roll (zc_segstore_t *self, uint64_t seq)
{
    if (s_flush (self))
        return -1;
    if (self->dirty && fdatasync (self->fd)) {
        self->broken = true;
        return -1;
    }
    self->dirty = false;
    if (self->count) {
        //  The old segment is durable now (its name too, after the folder
        //  fsync; under NEVER no sync has done that yet): mark it.
        s_seg_t *old = &self->segs [self->count - 1];
        if (s_synced (self))
            return -1;
        s_mark (self, old->last, old->first, old->size, false);
    }
    char name [32];
    s_name (seq, name);
    uint8_t header [HDR_SIZE];
    s_header (header);
    int fd = openat (self->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (pwrite (fd, header, HDR_SIZE, 0) != HDR_SIZE || s_push (self, seq, HDR_SIZE)) {
        int saved = errno;
        close (fd);
        unlinkat (self->dirfd, name, 0);
        errno = saved;
        return -1;
    }
    if (self->fd >= 0)
        close (self->fd);
    self->fd = fd;
    self->dirty = self->dir_dirty = true;
    return 0;
}

int
zc_segstore_append (zc_segstore_t *self, uint64_t seq, const uint8_t *data, size_t size)
{
    uint64_t last = zc_segstore_last_seq (self);
    if (self->broken)
        return s_fail (EIO);
    if (size > ZC_SEGSTORE_MAX_RECORD)
        return s_fail (EMSGSIZE);
    if (seq == 0 || seq == UINT64_MAX || (self->count && seq != last + 1))
        return s_fail (EINVAL);
    bool fresh = false;
    if (!self->count || self->segs [self->count - 1].size + REC_HDR + size > self->cfg.segment_bytes) {
        if (s_roll (self, seq))
            return -1;
        fresh = true;
    }
    s_seg_t *seg = &self->segs [self->count - 1];
    uint8_t head [REC_HDR];
    s_put32 (head, (uint32_t) size);
    s_put64 (head + 8, seq);
    s_put32 (head + 4, s_record_crc (head + 8, data, size));
    if (self->cfg.fsync != ZC_FSYNC_ALWAYS) {
        //  Buffered: one write per sync instead of one per record.
        if (self->wlen + REC_HDR + size > self->wcap) {
            size_t cap = self->wcap ? self->wcap : 65536;
            while (cap < self->wlen + REC_HDR + size)
                cap *= 2;
            uint8_t *grown = realloc (self->wbuf, cap);
            if (!grown)
                return s_fail (ENOMEM);
            self->wbuf = grown;
            self->wcap = cap;
        }
        if (!self->wlen)
            self->wbase = seg->size;
        memcpy (self->wbuf + self->wlen, head, REC_HDR);
        if (size)
            memcpy (self->wbuf + self->wlen + REC_HDR, data, size);
        self->wlen += REC_HDR + size;
        seg->size += REC_HDR + size;
        seg->last = seq;
        self->dirty = true;
        return self->wlen >= (1u << 20) ? s_flush (self) : 0;
    }
    //  One syscall per record; a short write to a regular file means an
    //  error (ENOSPC, EIO), so cut the partial record back off.
    struct iovec iov [2] = { { head, REC_HDR }, { (void *) data, size } };
    ssize_t wrote = pwritev (self->fd, iov, size ? 2 : 1, (off_t) seg->size);
    if (wrote != (ssize_t) (REC_HDR + size)) {
        int saved = wrote < 0 ? errno : ENOSPC;
        if (fresh) {
            //  Remove the segment we just made; the one before is active again.
            char name [32];
            s_name (seq, name);
            self->count--;
            if (unlinkat (self->dirfd, name, 0) || s_open_active (self))
                self->broken = true;
        }
        else
        if (ftruncate (self->fd, (off_t) seg->size))
            self->broken = true;
        errno = saved;
        return -1;
    }
    seg->size += REC_HDR + size;
    seg->last = seq;
    self->dirty = true;
    return self->cfg.fsync == ZC_FSYNC_ALWAYS ? zc_segstore_sync (self) : 0;
}

static int
s_stop_at (uint64_t seq, const uint8_t *data, size_t size, void *arg)
{
    (void) data, (void) size;
    return seq == *(uint64_t *) arg;
}

int
zc_segstore_truncate (zc_segstore_t *self, uint64_t after_seq)
{
    if (self->broken)
        return s_fail (EIO);
    if (after_seq >= zc_segstore_last_seq (self))
        return 0;
    if (s_flush (self))         //  the files must hold what we cut
        return -1;
    //  The mark must never claim more than the disk holds: lower it, durably,
    //  before anything is cut.  What it keeps (up to after_seq, below the
    //  old mark) was durable already.
    uint64_t keep = after_seq >= zc_segstore_first_seq (self) ? after_seq : 0;
    if (keep < self->mark.seq && s_mark (self, keep, 0, 0, true))
        goto failed;
    //  Newest first, so that a crash half-way leaves a gap-free prefix.
    char name [32];
    while (self->count && self->segs [self->count - 1].first > after_seq) {
        s_name (self->segs [self->count - 1].first, name);
        if (self->fd >= 0)
            close (self->fd);
        self->fd = -1;
        if (s_unlink (self, name))
            goto failed;
        self->count--;
    }
    if (s_open_active (self))
        goto failed;
    s_seg_t *seg = self->count ? &self->segs [self->count - 1] : NULL;
    if (seg && seg->last > after_seq) {
        //  Find the boundary by scanning the segment (truncation is rare).
        s_name (seg->first, name);
        int fd = openat (self->dirfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            goto failed;
        uint64_t expected = seg->first, target = after_seq + 1;
        s_scan_t res;
        char err [256];
        int rc = s_scan (self, name, fd, seg->size, false, &expected, s_stop_at, &target, &res, err, sizeof err);
        close (fd);
        if (rc != 2) {
            errno = EIO;
            goto failed;
        }
        if (ftruncate (self->fd, (off_t) res.good_end) || fsync (self->fd))
            goto failed;
        seg->size = res.good_end;
        seg->last = after_seq;
    }
    //  Every remaining segment is synced: the cut one just now, older ones
    //  when the store rolled past them.
    if (s_synced (self))
        return -1;
    if (seg && seg->last == after_seq)
        s_mark (self, seg->last, seg->first, seg->size, false);
    return 0;
failed:
    self->broken = true;
    return -1;
}

int
zc_segstore_retain (zc_segstore_t *self, uint64_t now_secs, uint64_t keep_after_seq)
{
    uint64_t total = 0;
    for (size_t i = 0; i < self->count; i++)
        total += self->segs [i].size;
    int removed = 0;
    //  Oldest first and only a prefix, so the store stays gap-free.
    while (self->count > 1 && self->segs [0].last <= keep_after_seq) {
        char name [32];
        s_name (self->segs [0].first, name);
        bool too_big = self->cfg.retain_bytes && total > self->cfg.retain_bytes;
        bool too_old = false;
        if (self->cfg.retain_secs) {
            struct stat st;
            if (fstatat (self->dirfd, name, &st, 0))
                return -1;
            uint64_t mtime = st.st_mtime > 0 ? (uint64_t) st.st_mtime : 0;
            too_old = mtime + self->cfg.retain_secs < now_secs;
        }
        if (!too_big && !too_old)
            break;
        //  Removing the segment that holds the marked seq could leave only
        //  the active one, perhaps not yet durable: after a power cut the
        //  log would end below the mark.  Make it durable first (at most
        //  once per segment; the next sync would do it anyway).
        if (self->count == 2 && self->mark.seq && self->mark.seq <= self->segs [0].last
        &&  (self->broken || s_durable (self)))
            return -1;
        if (s_unlink (self, name))
            return -1;
        total -= self->segs [0].size;
        memmove (self->segs, self->segs + 1, --self->count * sizeof *self->segs);
        removed++;
    }
    return removed;
}
