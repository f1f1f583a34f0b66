/*  corpus_gen.c — the fuzz targets' seed corpus, made by the real code:
    the wire encoder writes every message type (all fields, and only the
    required ones) and batches as the nodes send them; the real segstore
    writes the data folders that fuzz_segstore's inputs describe (synced,
    with a torn unsynced tail, rolled over two segments).  Generated at
    build time rather than committed, so the seeds follow the formats.

        corpus_gen OUT_DIR      writes the folders OUT_DIR/fuzz_wire and OUT_DIR/fuzz_segstore

    Seeds for the other targets (fuzz_config, fuzz_peer) may sit in
    tests/fuzz/corpus/<target>/; tools/test.sh passes both folders.
*/
#include "segstore.h"
#include "wire.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_out [512];
static int s_files;

static void
s_save (const char *target, const char *name, const uint8_t *data, size_t size)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/%s", s_out, target);
    mkdir (path, 0755);
    snprintf (path, sizeof path, "%s/%s/%s", s_out, target, name);
    FILE *file = fopen (path, "wb");
    if (!file || fwrite (data, 1, size, file) != size) {
        fprintf (stderr, "corpus_gen: cannot write %s\n", path);
        exit (1);
    }
    fclose (file);
    s_files++;
}

//  --------------------------------------------------------------------------
//  fuzz_wire: frames

static const zc_field_t s_uints [] = {
    ZF_NODE, ZF_EPOCH, ZF_SEQ, ZF_RSEQ, ZF_TS, ZF_ID, ZF_LEADER, ZF_COMMIT,
    ZF_LAST_SEQ, ZF_LOG_EPOCH, ZF_PREV_SEQ, ZF_PREV_EPOCH, ZF_MH, ZF_LT,
    ZF_EXPECTED, ZF_PORT, ZF_PUB_PORT, ZF_LAMPORT, ZF_MESSAGES, ZF_LAST,
    ZF_COUNT, ZF_DROPPED, ZF_START_SEQ, ZF_RETRY_MS, ZF_REFUSED, ZF_SLOWED,
    ZF_DENIED, ZF_FORGED
};

//  A message of type with every field, as plausible values.
static void
s_full (zc_msg_t *msg, zc_type_t type, uint64_t n)
{
    zc_msg_init (msg, type);
    for (size_t i = 0; i < sizeof s_uints / sizeof s_uints [0]; i++)
        zc_msg_set_u64 (msg, s_uints [i], (n * 7 + i) % 5 == 0 ? 1000000007ull * (i + 1) : n + i);
    zc_msg_set_cstr (msg, ZF_ROOM, "general");
    zc_msg_set_cstr (msg, ZF_FROM, "alice");
    zc_msg_set_cstr (msg, ZF_CLIENT, "0123456789abcdef0123456789abcdef");
    char text [64];
    snprintf (text, sizeof text, "hello, message %llu", (unsigned long long) n);
    zc_msg_set_cstr (msg, ZF_TEXT, text);
    zc_msg_set_cstr (msg, ZF_CODE, type == ZC_ERROR ? ZC_ERR_SLOW_DOWN : "ok");
    zc_msg_set_cstr (msg, ZF_REASON, "resend after retry_ms");
    zc_msg_set_cstr (msg, ZF_ROLE, "leader");
    zc_msg_set_bool (msg, ZF_GRANTED, n & 1);
}

//  Drop every field the encoder can do without: the type's required set.
static void
s_minimal (zc_msg_t *msg)
{
    uint8_t buf [ZC_MAX_FRAME];
    for (int bit = 0; bit < 64; bit++) {
        uint64_t had = msg->has;
        msg->has &= ~(1ull << bit);
        if (zc_msg_encode (msg, buf, sizeof buf) == 0)
            msg->has = had;
    }
}

//  A chat entry as the leader stamps it.
static void
s_chat (zc_msg_t *msg, uint64_t seq)
{
    zc_msg_init (msg, ZC_CHAT);
    zc_msg_set_u64 (msg, ZF_EPOCH, 3);
    zc_msg_set_u64 (msg, ZF_SEQ, seq);
    zc_msg_set_u64 (msg, ZF_RSEQ, seq / 2 + 1);
    zc_msg_set_u64 (msg, ZF_TS, 100 + seq);
    zc_msg_set_cstr (msg, ZF_ROOM, seq % 3 ? "general" : "ops");
    zc_msg_set_cstr (msg, ZF_FROM, seq & 1 ? "alice" : "bob");
    zc_msg_set_cstr (msg, ZF_CLIENT, seq & 1 ? "0123456789abcdef0123456789abcdef"
                                             : "fedcba9876543210fedcba9876543210");
    zc_msg_set_u64 (msg, ZF_ID, seq);
    char text [64];
    snprintf (text, sizeof text, "message number %llu", (unsigned long long) seq);
    zc_msg_set_cstr (msg, ZF_TEXT, text);
}

static size_t
s_encode (const zc_msg_t *msg, uint8_t *buf, size_t cap)
{
    size_t size = zc_msg_encode (msg, buf, cap);
    if (size == 0) {
        fprintf (stderr, "corpus_gen: cannot encode a %s\n", zc_type_name (msg->type));
        exit (1);
    }
    return size;
}

static void
s_wire (void)
{
    uint8_t buf [ZC_MAX_FRAME];
    char name [96];
    zc_msg_t msg;
    for (int type = ZC_UNKNOWN + 1; type < ZC_TYPE_COUNT; type++) {
        s_full (&msg, (zc_type_t) type, (uint64_t) type);
        snprintf (name, sizeof name, "%s-full", zc_type_name ((zc_type_t) type));
        s_save ("fuzz_wire", name, buf, s_encode (&msg, buf, sizeof buf));
        s_minimal (&msg);
        snprintf (name, sizeof name, "%s-required", zc_type_name ((zc_type_t) type));
        s_save ("fuzz_wire", name, buf, s_encode (&msg, buf, sizeof buf));
    }
    //  Batches (PROTOCOL.md): chat maps back to back in a PUB body, ACKs
    //  back to back in a reply, and a mix.
    size_t size = 0;
    for (uint64_t seq = 1; seq <= 6; seq++) {
        s_chat (&msg, seq);
        size += s_encode (&msg, buf + size, sizeof buf - size);
    }
    s_save ("fuzz_wire", "batch-chat", buf, size);
    size = 0;
    for (uint64_t id = 1; id <= 5; id++) {
        zc_msg_init (&msg, ZC_ACK);
        zc_msg_set_cstr (&msg, ZF_CLIENT, "0123456789abcdef0123456789abcdef");
        zc_msg_set_u64 (&msg, ZF_ID, id);
        zc_msg_set_u64 (&msg, ZF_SEQ, 40 + id);
        zc_msg_set_u64 (&msg, ZF_TS, 900 + id);
        zc_msg_set_u64 (&msg, ZF_EPOCH, 3);
        size += s_encode (&msg, buf + size, sizeof buf - size);
    }
    s_save ("fuzz_wire", "batch-ack", buf, size);
    size = 0;
    for (int type = ZC_UNKNOWN + 1; type < ZC_TYPE_COUNT; type += 3) {
        s_full (&msg, (zc_type_t) type, 11);
        s_minimal (&msg);
        size += s_encode (&msg, buf + size, sizeof buf - size);
    }
    s_save ("fuzz_wire", "batch-mixed", buf, size);
}

//  --------------------------------------------------------------------------
//  fuzz_segstore: data folders, in its input format (see fuzz_segstore.c)

static uint8_t *
s_slurp (const char *dir, const char *name, size_t *size)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen (path, "rb");
    if (!file) {
        *size = 0;
        return NULL;
    }
    uint8_t *data = malloc (1 << 20);
    *size = fread (data, 1, 1 << 20, file);
    fclose (file);
    return data;
}

//  Segment names in dir, sorted (at most 2 are used).
static int
s_segments (const char *dir, char names [][64])
{
    DIR *handle = opendir (dir);
    struct dirent *entry;
    int count = 0;
    while (handle && (entry = readdir (handle)))
        if (strncmp (entry->d_name, "log-", 4) == 0 && count < 2)
            snprintf (names [count++], 64, "%s", entry->d_name);
    if (handle)
        closedir (handle);
    if (count == 2 && strcmp (names [0], names [1]) > 0) {
        char swap [64];
        memcpy (swap, names [0], 64);
        memcpy (names [0], names [1], 64);
        memcpy (names [1], swap, 64);
    }
    return count;
}

static void
s_rmrf (const char *dir)
{
    DIR *handle = opendir (dir);
    struct dirent *entry;
    char path [1024];
    while (handle && (entry = readdir (handle)))
        if (entry->d_name [0] != '.') {
            snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
            unlink (path);
        }
    if (handle)
        closedir (handle);
    rmdir (dir);
}

//  Pack dir as one fuzz_segstore input; cut: bytes to drop from the end
//  of the last segment (a torn write).
static void
s_pack (const char *dir, const char *name, size_t cut, uint8_t flags)
{
    char segs [2][64];
    int count = s_segments (dir, segs);
    size_t mark_size, a_size = 0, b_size = 0;
    uint8_t *mark = s_slurp (dir, "log.mark", &mark_size);
    uint8_t *a = count > 0 ? s_slurp (dir, segs [0], &a_size) : NULL;
    uint8_t *b = count > 1 ? s_slurp (dir, segs [1], &b_size) : NULL;
    if (count > 1)
        b_size = b_size > cut ? b_size - cut : 0;
    else
        a_size = a_size > cut ? a_size - cut : 0;
    uint8_t *out = malloc (1 + 40 + 2 + a_size + b_size);
    size_t size = 0;
    out [size++] = flags | (mark_size == 40 ? 1 : 0) | (count > 1 ? 4 : 0);
    if (mark_size == 40) {
        memcpy (out + size, mark, 40);
        size += 40;
    }
    if (count > 1) {
        out [size++] = (uint8_t) a_size;
        out [size++] = (uint8_t) (a_size >> 8);
    }
    if (a_size)
        memcpy (out + size, a, a_size);
    size += a_size;
    if (b_size)
        memcpy (out + size, b, b_size);
    size += b_size;
    s_save ("fuzz_segstore", name, out, size);
    free (out);
    free (mark);
    free (a);
    free (b);
}

//  A data folder written by the real store: records 1..synced synced,
//  synced+1..last written but not synced (the store is left open: a crash).
static void
s_store (const char *name, uint64_t segment_bytes, uint64_t synced, uint64_t last,
         size_t cut, uint8_t flags)
{
    char dir [1024], err [1024];
    snprintf (dir, sizeof dir, "%s/.segstore-XXXXXX", s_out);
    if (!mkdtemp (dir))
        exit (1);
    zc_segstore_config_t cfg = { ZC_FSYNC_BATCH, segment_bytes, 0, 0 };
    zc_segstore_t *store = zc_segstore_open (dir, &cfg, err, sizeof err);
    if (!store) {
        fprintf (stderr, "corpus_gen: %s\n", err);
        exit (1);
    }
    uint8_t buf [ZC_MAX_FRAME];
    zc_msg_t msg;
    for (uint64_t seq = 1; seq <= last; seq++) {
        s_chat (&msg, seq);
        size_t size = s_encode (&msg, buf, sizeof buf);
        if (zc_segstore_append (store, seq, buf, size)
        ||  (seq == synced && zc_segstore_sync (store)))
            exit (1);
    }
    //  Replay writes out what was appended, without a sync.
    s_pack (dir, name, 0, flags);       //  before: the buffer may not be out
    zc_segstore_replay (store, NULL, NULL, err, sizeof err);
    char torn [96];
    snprintf (torn, sizeof torn, "%s-torn", name);
    if (cut)
        s_pack (dir, torn, cut, flags);
    zc_segstore_destroy (&store);       //  syncs: everything marked
    snprintf (torn, sizeof torn, "%s-closed", name);
    s_pack (dir, torn, 0, flags);
    s_rmrf (dir);
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: corpus_gen OUT_DIR\n");
        return 1;
    }
    snprintf (s_out, sizeof s_out, "%s", argv [1]);
    mkdir (s_out, 0755);
    s_wire ();
    s_store ("one-synced", 0, 8, 8, 0, 0);
    s_store ("one-unsynced", 0, 5, 8, 23, 8);
    s_store ("two-rolled", 600, 6, 12, 30, 8);
    s_store ("two-never-synced", 600, 0, 12, 9, 0);
    printf ("corpus_gen: %d seed files in %s\n", s_files, s_out);
    return 0;
}
