/*  test_wire.c — the msgpack codec: round trips, the chat key order, and
    rejection of every kind of bad frame.  Frames for the rejection tests
    are built with msgpack-c's own packer, so the decoder is also checked
    against a second encoder.  Usage: test_wire [seed] (random loop seed).
*/
#include "wire.h"
#include "testutil.h"

#include <msgpack.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

//  The spec, written out again independently of wire.c
typedef enum { UINT, STR, BOOL } kind_t;
typedef struct {
    const char *key;
    uint64_t bit;
    kind_t kind;
    size_t offset;
} field_t;

#define FLD(name, bit, kind) { #name, bit, kind, offsetof (zc_msg_t, name) }
static const field_t s_fields [] = {
    FLD (node, ZF_NODE, UINT),           FLD (epoch, ZF_EPOCH, UINT),
    FLD (seq, ZF_SEQ, UINT),             FLD (rseq, ZF_RSEQ, UINT),
    FLD (ts, ZF_TS, UINT),               FLD (room, ZF_ROOM, STR),
    FLD (from, ZF_FROM, STR),            FLD (client, ZF_CLIENT, STR),
    FLD (id, ZF_ID, UINT),               FLD (text, ZF_TEXT, STR),
    FLD (leader, ZF_LEADER, UINT),       FLD (commit, ZF_COMMIT, UINT),
    FLD (last_seq, ZF_LAST_SEQ, UINT),   FLD (log_epoch, ZF_LOG_EPOCH, UINT),
    FLD (prev_seq, ZF_PREV_SEQ, UINT),   FLD (prev_epoch, ZF_PREV_EPOCH, UINT),
    FLD (mh, ZF_MH, UINT),               FLD (lt, ZF_LT, UINT),
    FLD (granted, ZF_GRANTED, BOOL),     FLD (code, ZF_CODE, STR),
    FLD (reason, ZF_REASON, STR),        FLD (expected, ZF_EXPECTED, UINT),
    FLD (port, ZF_PORT, UINT),           FLD (pub_port, ZF_PUB_PORT, UINT),
    FLD (role, ZF_ROLE, STR),            FLD (lamport, ZF_LAMPORT, UINT),
    FLD (messages, ZF_MESSAGES, UINT),   FLD (last, ZF_LAST, UINT),
    FLD (count, ZF_COUNT, UINT),         FLD (dropped, ZF_DROPPED, UINT),
    FLD (start_seq, ZF_START_SEQ, UINT), FLD (retry_ms, ZF_RETRY_MS, UINT),
    FLD (refused, ZF_REFUSED, UINT),     FLD (slowed, ZF_SLOWED, UINT),
    FLD (denied, ZF_DENIED, UINT),       FLD (forged, ZF_FORGED, UINT),
    FLD (mseq, ZF_MSEQ, UINT),           FLD (members, ZF_MEMBERS, STR),
    FLD (peers, ZF_PEERS, STR),
};
#define NFIELDS (int) (sizeof (s_fields) / sizeof (s_fields [0]))
#define ALL_FIELDS ((1ull << 39) - 1)

#define PEER (ZF_NODE | ZF_EPOCH | ZF_MH)
static const struct {
    zc_type_t type;
    const char *name;
    uint64_t required;
} s_types [] = {
    { ZC_CHAT, "chat", ZF_EPOCH | ZF_SEQ | ZF_RSEQ | ZF_TS | ZF_ROOM | ZF_FROM
                     | ZF_CLIENT | ZF_ID | ZF_TEXT },
    { ZC_BEACON, "beacon", ZF_NODE | ZF_EPOCH | ZF_LEADER },
    { ZC_HELLO, "hello", 0 },
    { ZC_WELCOME, "welcome", ZF_NODE | ZF_LEADER | ZF_EPOCH | ZF_PORT
                           | ZF_PUB_PORT | ZF_ROLE },
    { ZC_POST, "post", ZF_CLIENT | ZF_ID | ZF_TS | ZF_ROOM | ZF_FROM | ZF_TEXT },
    { ZC_ACK, "ack", ZF_CLIENT | ZF_ID | ZF_SEQ | ZF_TS | ZF_EPOCH },
    { ZC_ERROR, "error", ZF_CODE },
    { ZC_STATUS, "status", 0 },
    { ZC_STATUS_REPLY, "status_reply", ZF_NODE | ZF_ROLE | ZF_LEADER | ZF_EPOCH
                                     | ZF_LAMPORT | ZF_MESSAGES },
    { ZC_FETCH, "fetch", ZF_LAST },
    { ZC_ENTRIES, "entries", ZF_LAST_SEQ },
    { ZC_PRESENCE, "presence", ZF_ROOM | ZF_FROM },
    { ZC_MEMBERS, "members", ZF_NODE | ZF_ROOM | ZF_COUNT },
    { ZC_ADMIN, "admin", ZF_TEXT },
    { ZC_ELECTION, "election", PEER },
    { ZC_ANSWER, "answer", PEER },
    { ZC_PREVOTE, "prevote", PEER },
    { ZC_PREVOTE_REPLY, "prevote_reply", PEER | ZF_GRANTED },
    { ZC_COORDINATOR, "coordinator", PEER },
    { ZC_ACCEPT, "accept", PEER | ZF_GRANTED },
    { ZC_APPEND, "append", PEER | ZF_PREV_SEQ | ZF_PREV_EPOCH },
    { ZC_APPEND_ACK, "append_ack", PEER | ZF_LAST_SEQ | ZF_GRANTED },
    { ZC_HANDOVER, "handover", PEER },
    { ZC_PING, "ping", PEER },
    { ZC_PONG, "pong", ZF_NODE | ZF_EPOCH | ZF_LEADER },
    { ZC_LOG_FETCH, "log_fetch", ZF_NODE | ZF_EPOCH | ZF_MH | ZF_LAST },
    { ZC_LOG_ENTRIES, "log_entries", ZF_NODE | ZF_EPOCH | ZF_MH | ZF_PREV_SEQ | ZF_PREV_EPOCH | ZF_LAST_SEQ },
    { ZC_SNAPSHOT, "snapshot", ZF_NODE | ZF_EPOCH | ZF_MH | ZF_PREV_SEQ | ZF_PREV_EPOCH | ZF_LAST_SEQ
                               | ZF_COMMIT | ZF_LAST | ZF_COUNT | ZF_TEXT },
    { ZC_SNAPSHOT_ACK, "snapshot_ack", ZF_NODE | ZF_EPOCH | ZF_MH | ZF_PREV_SEQ | ZF_LAST },
};
#define NTYPES (int) (sizeof (s_types) / sizeof (s_types [0]))

#define CLIENT_ID "0123456789abcdef0123456789abcdef"

//  Sample values covering every msgpack integer width
static uint64_t
s_sample_u64 (int i)
{
    static const uint64_t values [] = {
        0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffffffull,
        0x100000000ull, 0x123456789abcdef0ull, UINT64_MAX
    };
    return values [i % 12];
}

static const char *
s_sample_str (uint64_t bit)
{
    switch (bit) {
        case ZF_ROOM:   return "general";
        case ZF_FROM:   return "al\xc3\xad" "ce b.";     //  UTF-8 and a space
        case ZF_CLIENT: return CLIENT_ID;
        case ZF_TEXT:   return "hello, world \xe2\x9c\x93";
        case ZF_CODE:   return ZC_ERR_NOT_LEADER;
        case ZF_REASON: return "leader is node 3";
        case ZF_ROLE:   return "leader";
        default:        return "?";
    }
}

//  Fills every field in mask with its sample value, through the setters
static void
s_fill (zc_msg_t *msg, zc_type_t type, uint64_t mask)
{
    zc_msg_init (msg, type);
    for (int i = 0; i < NFIELDS; i++) {
        const field_t *f = &s_fields [i];
        if (!(mask & f->bit))
            continue;
        if (f->kind == UINT)
            zc_msg_set_u64 (msg, f->bit, s_sample_u64 (i));
        else
        if (f->kind == STR)
            zc_msg_set_cstr (msg, f->bit, s_sample_str (f->bit));
        else
            zc_msg_set_bool (msg, f->bit, true);
    }
}

static bool
s_str_same (zc_str_t a, zc_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp (a.ptr, b.ptr, a.len) == 0);
}

//  Compares type, presence and every present field; names the first difference
static const char *
s_diff (const zc_msg_t *a, const zc_msg_t *b)
{
    if (a->type != b->type)
        return "type";
    if (a->has != b->has)
        return "has";
    for (int i = 0; i < NFIELDS; i++) {
        const field_t *f = &s_fields [i];
        if (!(a->has & f->bit))
            continue;
        const char *pa = (const char *) a + f->offset;
        const char *pb = (const char *) b + f->offset;
        bool same = f->kind == UINT? *(const uint64_t *) pa == *(const uint64_t *) pb
                  : f->kind == STR?  s_str_same (*(const zc_str_t *) pa, *(const zc_str_t *) pb)
                  :                  *(const bool *) pa == *(const bool *) pb;
        if (!same)
            return f->key;
    }
    return NULL;
}

static const field_t *
s_field (uint64_t bit)
{
    for (int i = 0; i < NFIELDS; i++)
        if (s_fields [i].bit == bit)
            return &s_fields [i];
    return NULL;
}

static zc_type_t
s_type_of (int t)
{
    return s_types [t].type;
}

//  --------------------------------------------------------------------------
//  A second encoder, msgpack-c's, with knobs to break the frame

typedef enum {
    BAD_NONE, BAD_STR, BAD_UINT, BAD_NEG_FIX, BAD_NEG_64, BAD_BOOL, BAD_NIL,
    BAD_FLOAT, BAD_BIN, BAD_ARRAY, BAD_MAP
} bad_t;

typedef struct {
    const char *type_name;      //  NULL: no "type" key
    uint64_t fields;            //  fields to write, sample values
    uint64_t bad_bit;           //  this field gets a value of the wrong kind
    bad_t bad;
    uint64_t dup_bit;           //  this field is written twice
    uint64_t str_bit;           //  this string field gets str_val instead
    const char *str_val;
    size_t str_len;
    bool signed_ints;           //  write integers as int64 where they fit
    void (*extra) (msgpack_packer *pk);     //  unknown pairs, after "type"
    int extra_pairs;
} build_t;

static void
s_pack_cstr (msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, s, len);
}

static void
s_pack_bad (msgpack_packer *pk, bad_t bad)
{
    switch (bad) {
        case BAD_STR:     s_pack_cstr (pk, "7", 1); break;
        case BAD_UINT:    msgpack_pack_uint64 (pk, 1); break;
        case BAD_NEG_FIX: msgpack_pack_int64 (pk, -1); break;
        case BAD_NEG_64:  msgpack_pack_int64 (pk, INT64_MIN); break;
        case BAD_BOOL:    msgpack_pack_true (pk); break;
        case BAD_NIL:     msgpack_pack_nil (pk); break;
        case BAD_FLOAT:   msgpack_pack_double (pk, 1.0); break;
        case BAD_BIN:     msgpack_pack_bin (pk, 2); msgpack_pack_bin_body (pk, "ab", 2); break;
        case BAD_ARRAY:   msgpack_pack_array (pk, 1); msgpack_pack_uint8 (pk, 1); break;
        case BAD_MAP:     msgpack_pack_map (pk, 0); break;
        default:          break;
    }
}

static void
s_pack_field (msgpack_packer *pk, const build_t *b, int i)
{
    const field_t *f = &s_fields [i];
    s_pack_cstr (pk, f->key, strlen (f->key));
    if (f->bit == b->bad_bit)
        s_pack_bad (pk, b->bad);
    else
    if (f->kind == UINT) {
        uint64_t v = s_sample_u64 (i);
        if (b->signed_ints && v <= INT64_MAX)
            msgpack_pack_int64 (pk, (int64_t) v);
        else
            msgpack_pack_uint64 (pk, v);
    }
    else
    if (f->kind == STR) {
        if (f->bit == b->str_bit)
            s_pack_cstr (pk, b->str_val, b->str_len);
        else
            s_pack_cstr (pk, s_sample_str (f->bit), strlen (s_sample_str (f->bit)));
    }
    else
        msgpack_pack_true (pk);
}

static void
s_build (msgpack_sbuffer *sb, const build_t *b)
{
    msgpack_sbuffer_init (sb);
    msgpack_packer pk;
    msgpack_packer_init (&pk, sb, msgpack_sbuffer_write);
    int count = (b->type_name != NULL) + b->extra_pairs + (b->dup_bit != 0);
    for (int i = 0; i < NFIELDS; i++)
        count += (b->fields & s_fields [i].bit) != 0;
    msgpack_pack_map (&pk, count);
    if (b->type_name)
        s_pack_cstr (&pk, "type", 4), s_pack_cstr (&pk, b->type_name, strlen (b->type_name));
    if (b->extra)
        b->extra (&pk);
    for (int i = 0; i < NFIELDS; i++) {
        if (b->fields & s_fields [i].bit)
            s_pack_field (&pk, b, i);
        if (b->dup_bit == s_fields [i].bit)
            s_pack_field (&pk, b, i);
    }
}

//  Decodes a built frame; returns the decoder's result and error.  The
//  frame lives until the next call, as msg points into it.
static msgpack_sbuffer s_last_built;

static int
s_decode_built (const build_t *b, zc_msg_t *msg, const char **error)
{
    msgpack_sbuffer_destroy (&s_last_built);
    s_build (&s_last_built, b);
    *error = NULL;
    return zc_msg_decode (msg, (const uint8_t *) s_last_built.data, s_last_built.size, error);
}

static bool
s_error_is (const char *error, const char *expected)
{
    return error && strcmp (error, expected) == 0;
}

//  --------------------------------------------------------------------------

static void
test_names (void)
{
    int bad = 0;
    for (int t = 0; t < NTYPES; t++) {
        const char *name = s_types [t].name;
        if (strcmp (zc_type_name (s_type_of (t)), name) != 0
        ||  zc_type_from_name (name, strlen (name)) != s_type_of (t))
            bad++, fprintf (stderr, "  type name %s\n", name);
    }
    CHECKF (bad == 0, "type names round trip");
    CHECKF (NTYPES == ZC_TYPE_COUNT - 1, "test table covers every type");
    CHECKF (zc_type_from_name ("chats", 5) == ZC_UNKNOWN, "prefix match");
    CHECKF (zc_type_from_name ("cha", 3) == ZC_UNKNOWN, "prefix match");
    CHECKF (zc_type_from_name ("CHAT", 4) == ZC_UNKNOWN, "case");
    CHECKF (zc_type_from_name ("", 0) == ZC_UNKNOWN, "empty");
    CHECKF (strcmp (zc_type_name (ZC_UNKNOWN), "unknown") == 0, "unknown name");
    CHECKF (strcmp (zc_type_name (ZC_TYPE_COUNT), "unknown") == 0, "out of range");
}

static void
test_setters (void)
{
    zc_msg_t msg;
    int bad = 0;
    for (int i = 0; i < NFIELDS; i++) {
        const field_t *f = &s_fields [i];
        zc_msg_init (&msg, ZC_CHAT);
        const char *p = (const char *) &msg + f->offset;
        if (f->kind == UINT) {
            zc_msg_set_u64 (&msg, f->bit, 0x0102030405060708ull + (uint64_t) i);
            bad += *(const uint64_t *) p != 0x0102030405060708ull + (uint64_t) i;
        }
        else
        if (f->kind == STR) {
            zc_msg_set_str (&msg, f->bit, "abcdef", 3);
            const zc_str_t *s = (const zc_str_t *) p;
            bad += !(s->len == 3 && memcmp (s->ptr, "abc", 3) == 0);
            zc_msg_set_cstr (&msg, f->bit, "xy");
            bad += !zc_str_eq (*s, "xy");
        }
        else {
            zc_msg_set_bool (&msg, f->bit, true);
            bad += *(const bool *) p != true;
            zc_msg_set_bool (&msg, f->bit, false);
            bad += *(const bool *) p != false;
        }
        //  Exactly this bit, and nothing else in the struct changed
        zc_msg_t blank;
        zc_msg_init (&blank, ZC_CHAT);
        memcpy ((char *) &blank + f->offset, p,
                f->kind == UINT? sizeof (uint64_t): f->kind == STR? sizeof (zc_str_t): sizeof (bool));
        blank.has = f->bit;
        if (msg.has != f->bit || memcmp (&blank, &msg, sizeof (msg)) != 0)
            bad++, fprintf (stderr, "  setter for %s touched more\n", f->key);
    }
    CHECKF (bad == 0, "%d setter errors", bad);
    zc_msg_init (&msg, ZC_ACK);
    CHECKF (msg.type == ZC_ACK && msg.has == 0, "init");
    zc_msg_set_u64 (&msg, ZF_SEQ, 5);
    zc_msg_set_u64 (&msg, ZF_TS, 6);
    CHECKF (zc_msg_has (&msg, ZF_SEQ | ZF_TS) && zc_msg_has (&msg, ZF_SEQ)
         && !zc_msg_has (&msg, ZF_SEQ | ZF_ID) && zc_msg_has (&msg, 0), "zc_msg_has");
}

//  A setter used with a field of another kind is a bug: assert, or with
//  NDEBUG leave the message alone
static void
test_setter_mismatch (void)
{
    pid_t pid = fork ();
    if (pid == 0) {
        if (!freopen ("/dev/null", "w", stderr))
            _exit (3);
        zc_msg_t msg, copy;
        zc_msg_init (&msg, ZC_CHAT);
        copy = msg;
        zc_msg_set_str (&msg, ZF_DROPPED, "x", 1);
        zc_msg_set_u64 (&msg, ZF_ROOM, 1);
        zc_msg_set_bool (&msg, ZF_TEXT, true);
        zc_msg_set_u64 (&msg, 1u << 31, 1);
        zc_msg_set_u64 (&msg, ZF_NODE | ZF_EPOCH, 1);
        _exit (memcmp (&msg, &copy, sizeof (msg)) == 0? 0: 1);
    }
    int status = 0;
    waitpid (pid, &status, 0);
#ifdef NDEBUG
    CHECKF (WIFEXITED (status) && WEXITSTATUS (status) == 0, "mismatch changed msg");
#else
    CHECKF (WIFSIGNALED (status) && WTERMSIG (status) == SIGABRT, "mismatch did not assert");
#endif
}

static void
test_round_trips (void)
{
    uint8_t buf [ZC_MAX_FRAME];
    for (int t = 0; t < NTYPES; t++) {
        //  Required fields only, then every field there is
        for (int all = 0; all < 2; all++) {
            zc_msg_t in, out;
            s_fill (&in, s_type_of (t), all? ALL_FIELDS: s_types [t].required);
            size_t size = zc_msg_encode (&in, buf, sizeof (buf));
            const char *error = NULL;
            int rc = size? zc_msg_decode (&out, buf, size, &error): -1;
            const char *diff = rc == 0? s_diff (&in, &out): NULL;
            CHECKF (size > 0 && rc == 0 && diff == NULL, "%s (all=%d): size %zu, %s, diff %s",
                    s_types [t].name, all, size, error? error: "-", diff? diff: "-");
            //  Strings point into the frame, not into a copy
            if (rc == 0 && (out.has & ZF_TEXT))
                CHECKF ((const uint8_t *) out.text.ptr > buf
                     && (const uint8_t *) out.text.ptr + out.text.len <= buf + size,
                        "text does not point into the frame");
        }
    }
    //  Empty strings and false survive too
    zc_msg_t in, out;
    s_fill (&in, ZC_POST, s_types [4].required);
    zc_msg_set_str (&in, ZF_TEXT, NULL, 0);
    zc_msg_set_bool (&in, ZF_GRANTED, false);
    zc_msg_set_str (&in, ZF_REASON, "", 0);
    size_t size = zc_msg_encode (&in, buf, sizeof (buf));
    CHECKF (size && zc_msg_decode (&out, buf, size, NULL) == 0 && s_diff (&in, &out) == NULL
         && out.text.len == 0 && !out.granted, "empty text, false");
}

//  The chat map as docs/PROTOCOL.md §3 shows it, read back with msgpack-c
static void
test_chat_order (void)
{
    static const char *order [] = {
        "type", "epoch", "seq", "rseq", "ts", "room", "from", "client", "id", "text"
    };
    zc_msg_t msg;
    s_fill (&msg, ZC_CHAT, s_types [0].required);
    //  Set in a different order: the encoder must not care
    zc_msg_set_cstr (&msg, ZF_TEXT, "hi");
    zc_msg_set_u64 (&msg, ZF_EPOCH, 7);
    uint8_t buf [1024];
    size_t size = zc_msg_encode (&msg, buf, sizeof (buf));
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    size_t off = 0;
    int rc = msgpack_unpack_next (&up, (const char *) buf, size, &off);
    CHECKF (rc == MSGPACK_UNPACK_SUCCESS && off == size, "msgpack-c reads our frame");
    msgpack_object o = up.data;
    bool ok = o.type == MSGPACK_OBJECT_MAP && o.via.map.size == 10;
    for (uint32_t i = 0; ok && i < 10; i++) {
        msgpack_object k = o.via.map.ptr [i].key;
        ok = k.type == MSGPACK_OBJECT_STR && k.via.str.size == strlen (order [i])
          && memcmp (k.via.str.ptr, order [i], k.via.str.size) == 0;
    }
    CHECKF (ok, "chat keys in order type,epoch,seq,rseq,ts,room,from,client,id,text");
    msgpack_object v = o.via.map.ptr [0].val;
    CHECKF (v.type == MSGPACK_OBJECT_STR && v.via.str.size == 4
         && memcmp (v.via.str.ptr, "chat", 4) == 0, "type is the string \"chat\"");
    msgpack_unpacked_destroy (&up);
}

//  msgpack-c's frames decode like ours, including signed encodings of
//  non-negative integers
static void
test_foreign_encoder (void)
{
    for (int signed_ints = 0; signed_ints < 2; signed_ints++) {
        build_t b = { .type_name = "chat", .fields = ALL_FIELDS, .signed_ints = signed_ints };
        zc_msg_t out, expect;
        const char *error;
        int rc = s_decode_built (&b, &out, &error);
        s_fill (&expect, ZC_CHAT, ALL_FIELDS);
        const char *diff = rc == 0? s_diff (&expect, &out): "rc";
        CHECKF (diff == NULL, "signed=%d: %s %s", signed_ints, error? error: "-", diff);
    }
}

static void
test_truncation (void)
{
    uint8_t buf [ZC_MAX_FRAME];
    for (int all = 0; all < 2; all++) {
        zc_msg_t msg;
        s_fill (&msg, ZC_CHAT, all? ALL_FIELDS: s_types [0].required);
        size_t size = zc_msg_encode (&msg, buf, sizeof (buf));
        int accepted = 0;
        for (size_t n = 0; n < size; n++) {
            //  A copy of exactly n bytes, so ASan sees any over-read
            uint8_t *copy = malloc (n? n: 1);
            memcpy (copy, buf, n);
            if (zc_msg_decode (&msg, copy, n, NULL) == 0)
                accepted++, fprintf (stderr, "  prefix %zu accepted\n", n);
            free (copy);
        }
        CHECKF (size > 0 && accepted == 0, "all=%d: %d of %zu prefixes accepted", all, accepted, size);
    }
}

static void
test_wrong_types (void)
{
    static const bad_t uint_bad [] = { BAD_STR, BAD_NEG_FIX, BAD_NEG_64, BAD_BOOL, BAD_NIL,
                                       BAD_FLOAT, BAD_BIN, BAD_ARRAY, BAD_MAP };
    static const bad_t str_bad [] = { BAD_UINT, BAD_NEG_FIX, BAD_BOOL, BAD_NIL, BAD_FLOAT,
                                      BAD_BIN, BAD_ARRAY, BAD_MAP };
    static const bad_t bool_bad [] = { BAD_UINT, BAD_STR, BAD_NIL, BAD_NEG_FIX, BAD_ARRAY };
    int bad = 0, cases = 0;
    for (int i = 0; i < NFIELDS; i++) {
        const field_t *f = &s_fields [i];
        const bad_t *list = f->kind == UINT? uint_bad: f->kind == STR? str_bad: bool_bad;
        size_t n = f->kind == UINT? sizeof (uint_bad) / sizeof (bad_t)
                 : f->kind == STR? sizeof (str_bad) / sizeof (bad_t)
                 : sizeof (bool_bad) / sizeof (bad_t);
        char expect [64];
        snprintf (expect, sizeof (expect), "wrong type for key %s", f->key);
        for (size_t k = 0; k < n; k++, cases++) {
            build_t b = { .type_name = "chat", .fields = ALL_FIELDS,
                          .bad_bit = f->bit, .bad = list [k] };
            zc_msg_t msg;
            const char *error;
            if (s_decode_built (&b, &msg, &error) == 0 || !s_error_is (error, expect))
                bad++, fprintf (stderr, "  %s with bad kind %d: %s\n", f->key, list [k],
                                error? error: "accepted");
        }
    }
    CHECKF (bad == 0, "%d of %d wrong-type cases not rejected as such", bad, cases);

    //  "type" itself must be a string
    zc_msg_t msg;
    const char *error;
    uint8_t frame [] = { 0x81, 0xa4, 't', 'y', 'p', 'e', 0x01 };
    CHECKF (zc_msg_decode (&msg, frame, sizeof (frame), &error) == -1
         && s_error_is (error, "wrong type for key type"), "type as integer");
}

static void
test_frame_size (void)
{
    //  A valid chat padded with an unknown bin to exactly ZC_MAX_FRAME,
    //  then one byte more
    uint8_t *frame = malloc (ZC_MAX_FRAME + 1);
    zc_msg_t msg;
    for (size_t total = ZC_MAX_FRAME; total <= ZC_MAX_FRAME + 1; total++) {
        msgpack_sbuffer sb;
        build_t b = { .type_name = "chat", .fields = s_types [0].required, .extra_pairs = 0 };
        s_build (&sb, &b);
        //  Map header 0x8a -> 0x8b, then "pad": bin32 of the rest
        size_t pad = total - sb.size - 4 - 5;
        memcpy (frame, sb.data, sb.size);
        frame [0]++;
        uint8_t *p = frame + sb.size;
        memcpy (p, "\xa3pad\xc6", 5);
        p [5] = (uint8_t) (pad >> 24); p [6] = (uint8_t) (pad >> 16);
        p [7] = (uint8_t) (pad >> 8);  p [8] = (uint8_t) pad;
        memset (p + 9, 0x5a, pad);
        msgpack_sbuffer_destroy (&sb);
        const char *error = NULL;
        int rc = zc_msg_decode (&msg, frame, total, &error);
        if (total == ZC_MAX_FRAME)
            CHECKF (rc == 0, "frame of exactly ZC_MAX_FRAME: %s", error);
        else
            CHECKF (rc == -1 && s_error_is (error, "frame too large"), "oversized frame");
    }
    free (frame);
    const char *error = NULL;
    CHECKF (zc_msg_decode (&msg, (const uint8_t *) "", 0, &error) == -1 && error, "empty frame");
}

typedef struct {
    uint32_t bit;
    const char *val;
    size_t len;             //  0: strlen
    bool ok;
} str_case_t;

static void
test_string_limits (void)
{
    static char big [ZC_MAX_TEXT + 2];
    memset (big, 'x', sizeof (big));
    const str_case_t cases [] = {
        { ZF_TEXT, big, ZC_MAX_TEXT, true },       { ZF_TEXT, big, ZC_MAX_TEXT + 1, false },
        { ZF_FROM, big, ZC_MAX_NAME, true },       { ZF_FROM, big, ZC_MAX_NAME + 1, false },
        { ZF_FROM, "bob\n", 0, false },            { ZF_FROM, "b\x7f", 0, false },
        { ZF_FROM, "b\x1b[31m", 0, false },        { ZF_FROM, "", 0, false },
        { ZF_FROM, "b\0b", 3, false },             { ZF_FROM, "\xe6\x97\xa5 ~!", 0, true },
        { ZF_ROOM, big, ZC_MAX_ROOM, true },       { ZF_ROOM, big, ZC_MAX_ROOM + 1, false },
        { ZF_ROOM, "", 0, false },                 { ZF_ROOM, "a b", 0, false },
        { ZF_ROOM, ZC_BEACON_TOPIC, 0, false },    { ZF_ROOM, "caf\xc3\xa9", 0, false },
        { ZF_ROOM, "a/b", 0, false },              { ZF_ROOM, "Az09_.-", 0, true },
        { ZF_CLIENT, CLIENT_ID "0", 0, false },    { ZF_CLIENT, CLIENT_ID, 31, false },
        { ZF_CLIENT, "0123456789ABCDEF0123456789abcdef", 0, false },
        { ZF_CLIENT, "0123456789abcdeg0123456789abcdef", 0, false },
        { ZF_CLIENT, "", 0, false },               { ZF_CLIENT, "ffffffffffffffffffffffffffffffff", 0, true },
        { ZF_REASON, big, ZC_MAX_REASON, true },   { ZF_REASON, big, ZC_MAX_REASON + 1, false },
        { ZF_CODE, big, 32, true },                { ZF_CODE, big, 33, false },
        { ZF_ROLE, big, 32, true },                { ZF_ROLE, big, 33, false },
    };
    int bad = 0, n = (int) (sizeof (cases) / sizeof (cases [0]));
    static uint8_t buf [ZC_MAX_FRAME];
    for (int i = 0; i < n; i++) {
        const str_case_t *c = &cases [i];
        size_t len = c->len? c->len: strlen (c->val);
        char expect [64];
        snprintf (expect, sizeof (expect), "invalid value for key %s", s_field (c->bit)->key);
        build_t b = { .type_name = "chat", .fields = ALL_FIELDS,
                      .str_bit = c->bit, .str_val = c->val, .str_len = len };
        zc_msg_t msg;
        const char *error;
        int rc = s_decode_built (&b, &msg, &error);
        if (c->ok? rc != 0: rc == 0 || !s_error_is (error, expect))
            bad++, fprintf (stderr, "  case %d (%s, %zu bytes): %s\n", i,
                            s_field (c->bit)->key, len, error? error: "accepted");
        //  The encoder refuses what the decoder would drop
        s_fill (&msg, ZC_CHAT, ALL_FIELDS);
        zc_msg_set_str (&msg, c->bit, c->val, len);
        size_t size = zc_msg_encode (&msg, buf, sizeof (buf));
        if (c->ok? size == 0: size != 0)
            bad++, fprintf (stderr, "  case %d: encoder gave %zu\n", i, size);
    }
    CHECKF (bad == 0, "%d of %d string cases wrong", bad, n);

    CHECKF (zc_room_valid ("general", 7) && !zc_room_valid ("gen eral", 8)
         && !zc_room_valid (NULL, 0) && !zc_room_valid ("$beacon", 7), "zc_room_valid");
    CHECKF (zc_name_valid ("Zoë", strlen ("Zoë")) && !zc_name_valid ("a\tb", 3)
         && !zc_name_valid (NULL, 0) && zc_name_valid (" ", 1), "zc_name_valid");
}

static void
test_missing_fields (void)
{
    int bad = 0, cases = 0;
    for (int t = 0; t < NTYPES; t++) {
        for (int i = 0; i < NFIELDS; i++) {
            const field_t *f = &s_fields [i];
            if (!(s_types [t].required & f->bit))
                continue;
            cases++;
            //  Every other field present, only this one missing
            build_t b = { .type_name = s_types [t].name, .fields = ALL_FIELDS & ~f->bit };
            char expect [64];
            snprintf (expect, sizeof (expect), "missing required field %s", f->key);
            zc_msg_t msg;
            const char *error;
            if (s_decode_built (&b, &msg, &error) == 0 || !s_error_is (error, expect))
                bad++, fprintf (stderr, "  %s without %s: %s\n", s_types [t].name, f->key,
                                error? error: "accepted");
            //  And the encoder refuses it
            uint8_t buf [ZC_MAX_FRAME];
            s_fill (&msg, s_type_of (t), ALL_FIELDS & ~f->bit);
            if (zc_msg_encode (&msg, buf, sizeof (buf)) != 0)
                bad++, fprintf (stderr, "  encoded %s without %s\n", s_types [t].name, f->key);
        }
    }
    CHECKF (bad == 0 && cases > 60, "%d of %d missing-field cases wrong", bad, cases);
    //  Types with no required field decode from just their type
    zc_msg_t msg;
    const char *error;
    build_t b = { .type_name = "hello" };
    CHECKF (s_decode_built (&b, &msg, &error) == 0 && msg.type == ZC_HELLO && msg.has == 0,
            "bare hello");
    b.type_name = "status";
    CHECKF (s_decode_built (&b, &msg, &error) == 0 && msg.type == ZC_STATUS, "bare status");
}

static void
test_type_key (void)
{
    zc_msg_t msg;
    const char *error;
    build_t b = { .type_name = NULL, .fields = ALL_FIELDS };
    CHECKF (s_decode_built (&b, &msg, &error) == -1 && s_error_is (error, "missing type"),
            "no type: %s", error);
    const char *unknown [] = { "chatter", "", "Chat", "unknown", "chat " };
    int bad = 0;
    for (int i = 0; i < 5; i++) {
        b.type_name = unknown [i];
        if (s_decode_built (&b, &msg, &error) != -1 || !s_error_is (error, "unknown type"))
            bad++;
    }
    CHECKF (bad == 0, "unknown type names");
    //  Failure leaves no half-decoded type behind
    CHECKF (msg.type == ZC_UNKNOWN && msg.has == 0, "failed decode resets type");

    //  Type given twice
    uint8_t frame [] = { 0x82, 0xa4, 't', 'y', 'p', 'e', 0xa5, 'h', 'e', 'l', 'l', 'o',
                               0xa4, 't', 'y', 'p', 'e', 0xa5, 'h', 'e', 'l', 'l', 'o' };
    CHECKF (zc_msg_decode (&msg, frame, sizeof (frame), &error) == -1, "duplicate type");
}

static void
test_not_a_map (void)
{
    static const char *frames [] = {
        "\x90", "\x91\xa4type", "\x01", ("\xa4" "chat"), "\xc0", "\xc3", "\xcb\0\0\0\0\0\0\0\0",
        "\xc4\x01x", "\xdc\0\0", "\xff", "\xc1",
    };
    static const size_t sizes [] = { 1, 6, 1, 5, 1, 1, 9, 3, 3, 1, 1 };
    int bad = 0;
    for (int i = 0; i < 11; i++) {
        zc_msg_t msg;
        const char *error;
        if (zc_msg_decode (&msg, (const uint8_t *) frames [i], sizes [i], &error) != -1
        ||  !s_error_is (error, "not a map"))
            bad++, fprintf (stderr, "  frame %d: %s\n", i, error? error: "accepted");
    }
    CHECKF (bad == 0, "%d non-maps not rejected as such", bad);
    //  map16 and map32 headers are maps too
    uint8_t m16 [] = { 0xde, 0, 1, 0xa4, 't', 'y', 'p', 'e', 0xa5, 'h', 'e', 'l', 'l', 'o' };
    uint8_t m32 [] = { 0xdf, 0, 0, 0, 1, 0xa4, 't', 'y', 'p', 'e', 0xa4, 'p', 'i', 'n', 'g' };
    zc_msg_t msg;
    const char *error;
    CHECKF (zc_msg_decode (&msg, m16, sizeof (m16), NULL) == 0 && msg.type == ZC_HELLO, "map16");
    CHECKF (zc_msg_decode (&msg, m32, sizeof (m32), &error) == -1
         && s_error_is (error, "missing required field node"), "map32: %s", error);
    //  A huge declared count in a tiny frame fails at once
    uint8_t huge [] = { 0xdf, 0xff, 0xff, 0xff, 0xff, 0xa4, 't', 'y', 'p', 'e' };
    CHECKF (zc_msg_decode (&msg, huge, sizeof (huge), NULL) == -1, "huge map count");
}

static void
test_trailing (void)
{
    uint8_t buf [2048];
    zc_msg_t msg;
    s_fill (&msg, ZC_CHAT, s_types [0].required);
    size_t size = zc_msg_encode (&msg, buf, sizeof (buf) - 1024);
    const char *error;
    buf [size] = 0xc0;
    CHECKF (zc_msg_decode (&msg, buf, size + 1, &error) == -1
         && s_error_is (error, "trailing bytes after map"), "trailing nil");
    buf [size] = 0x00;
    CHECKF (zc_msg_decode (&msg, buf, size + 1, &error) == -1, "trailing zero");
    memcpy (buf + size, buf, size);     //  two frames glued together
    CHECKF (zc_msg_decode (&msg, buf, 2 * size, &error) == -1, "two maps in one frame");
}

static void
test_duplicates (void)
{
    int bad = 0;
    for (int i = 0; i < NFIELDS; i++) {
        build_t b = { .type_name = "chat", .fields = ALL_FIELDS, .dup_bit = s_fields [i].bit };
        char expect [64];
        snprintf (expect, sizeof (expect), "duplicate key %s", s_fields [i].key);
        zc_msg_t msg;
        const char *error;
        if (s_decode_built (&b, &msg, &error) == 0 || !s_error_is (error, expect))
            bad++, fprintf (stderr, "  duplicate %s: %s\n", s_fields [i].key,
                            error? error: "accepted");
    }
    CHECKF (bad == 0, "%d duplicate keys not rejected", bad);
}

//  Unknown pairs of every msgpack type, nested, and keys that are not strings
static void
s_extra_all (msgpack_packer *pk)
{
    s_pack_cstr (pk, "x_nil", 5);    msgpack_pack_nil (pk);
    s_pack_cstr (pk, "x_neg", 5);    msgpack_pack_int64 (pk, -5);
    s_pack_cstr (pk, "x_i64", 5);    msgpack_pack_int64 (pk, INT64_MIN);
    s_pack_cstr (pk, "x_f32", 5);    msgpack_pack_float (pk, 1.5f);
    s_pack_cstr (pk, "x_f64", 5);    msgpack_pack_double (pk, 2.5);
    s_pack_cstr (pk, "x_bin", 5);    msgpack_pack_bin (pk, 3); msgpack_pack_bin_body (pk, "\x81\xa4t", 3);
    s_pack_cstr (pk, "x_ext", 5);    msgpack_pack_ext (pk, 5, 1); msgpack_pack_ext_body (pk, "\x81\xa4typ", 5);
    s_pack_cstr (pk, "x_fxe", 5);    msgpack_pack_ext (pk, 16, 2); msgpack_pack_ext_body (pk, "0123456789abcdef", 16);
    s_pack_cstr (pk, "x_str", 5);    s_pack_cstr (pk, "seq", 3);
    s_pack_cstr (pk, "x_tru", 5);    msgpack_pack_true (pk);
    s_pack_cstr (pk, "x_arr", 5);
    msgpack_pack_array (pk, 3);
    msgpack_pack_map (pk, 1); s_pack_cstr (pk, "type", 4); s_pack_cstr (pk, "ping", 4);
    msgpack_pack_array (pk, 2); msgpack_pack_nil (pk); msgpack_pack_array (pk, 0);
    msgpack_pack_uint64 (pk, UINT64_MAX);
    s_pack_cstr (pk, "x_map", 5);
    msgpack_pack_map (pk, 2);
    s_pack_cstr (pk, "epoch", 5); s_pack_cstr (pk, "not a number", 12);
    msgpack_pack_uint8 (pk, 1); msgpack_pack_map (pk, 1); msgpack_pack_nil (pk); msgpack_pack_nil (pk);
    //  Non-string keys
    msgpack_pack_uint8 (pk, 7);      s_pack_cstr (pk, "seven", 5);
    msgpack_pack_array (pk, 1); s_pack_cstr (pk, "seq", 3); msgpack_pack_false (pk);
    msgpack_pack_bin (pk, 4); msgpack_pack_bin_body (pk, "type", 4); s_pack_cstr (pk, "hello", 5);
    //  A long unknown key
    char key [300];
    memset (key, 'k', sizeof (key));
    s_pack_cstr (pk, key, sizeof (key)); msgpack_pack_uint8 (pk, 0);
}
#define EXTRA_ALL_PAIRS 16

static int s_nest_depth;
static void
s_extra_nested (msgpack_packer *pk)
{
    s_pack_cstr (pk, "deep", 4);
    for (int i = 0; i < s_nest_depth; i++) {
        if (i % 2)
            msgpack_pack_array (pk, 1);
        else {
            msgpack_pack_map (pk, 1);
            s_pack_cstr (pk, "k", 1);
        }
    }
    msgpack_pack_uint8 (pk, 1);
}

static void
test_unknown_keys (void)
{
    build_t b = { .type_name = "chat", .fields = ALL_FIELDS,
                  .extra = s_extra_all, .extra_pairs = EXTRA_ALL_PAIRS };
    zc_msg_t msg, expect;
    const char *error = NULL;
    int rc = s_decode_built (&b, &msg, &error);
    s_fill (&expect, ZC_CHAT, ALL_FIELDS);
    CHECKF (rc == 0 && s_diff (&expect, &msg) == NULL, "unknown keys not ignored: %s",
            error? error: s_diff (&expect, &msg));

    //  Nesting inside unknown values: 16 levels are fine, deeper is refused
    b.extra = s_extra_nested;
    b.extra_pairs = 1;
    s_nest_depth = 16;
    CHECKF (s_decode_built (&b, &msg, &error) == 0, "16 levels: %s", error);
    s_nest_depth = 17;
    CHECKF (s_decode_built (&b, &msg, &error) == -1, "17 levels accepted");
    s_nest_depth = 10000;
    CHECKF (s_decode_built (&b, &msg, &error) == -1, "10000 levels accepted");

    //  An unknown value that lies about its size, or uses 0xc1
    uint8_t frames [][12] = {
        { 0x82, 0xa1, 'x', 0xc4, 0x10, 'a', 0xa4, 't', 'y', 'p', 'e', 0 },
        { 0x82, 0xa1, 'x', 0xc1, 0xa4, 't', 'y', 'p', 'e', 0xa2, 'h', 'i' },
        { 0x82, 0xa1, 'x', 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0, 0xc0, 0xc0 },
        { 0x82, 0xa1, 'x', 0xc9, 0, 0, 0, 2, 1, 'a', 'b', 'c' },
    };
    int bad = 0;
    for (int i = 0; i < 4; i++)
        bad += zc_msg_decode (&msg, frames [i], sizeof (frames [i]), NULL) != -1;
    CHECKF (bad == 0, "bad unknown values accepted");
}

static void
test_small_buffer (void)
{
    uint8_t buf [ZC_MAX_FRAME];
    zc_msg_t msg;
    s_fill (&msg, ZC_CHAT, ALL_FIELDS);
    size_t size = zc_msg_encode (&msg, buf, sizeof (buf));
    int bad = 0;
    for (size_t cap = 0; cap < size; cap++) {
        uint8_t *small = malloc (cap? cap: 1);
        bad += zc_msg_encode (&msg, small, cap) != 0;
        free (small);
    }
    CHECKF (size > 0 && bad == 0, "%d short buffers accepted", bad);
    uint8_t *exact = malloc (size);
    CHECKF (zc_msg_encode (&msg, exact, size) == size && memcmp (exact, buf, size) == 0,
            "exact capacity");
    free (exact);
    msg.type = ZC_UNKNOWN;
    CHECKF (zc_msg_encode (&msg, buf, sizeof (buf)) == 0, "encode of ZC_UNKNOWN");
    msg.type = ZC_TYPE_COUNT;
    CHECKF (zc_msg_encode (&msg, buf, sizeof (buf)) == 0, "encode of out-of-range type");
}

static void
test_strings (void)
{
    zc_str_t s = { "hello", 5 }, empty = { NULL, 0 };
    CHECKF (zc_str_eq (s, "hello") && !zc_str_eq (s, "hell") && !zc_str_eq (s, "hello!")
         && zc_str_eq (empty, "") && !zc_str_eq (empty, "a"), "zc_str_eq");
    char out [8];
    memset (out, '#', sizeof (out));
    zc_str_copy (out, sizeof (out), s);
    CHECKF (strcmp (out, "hello") == 0, "copy");
    zc_str_copy (out, 3, s);
    CHECKF (strcmp (out, "he") == 0 && out [3] == 'l', "copy truncates to cap-1");
    zc_str_copy (out, 1, s);
    CHECKF (out [0] == 0, "copy into cap 1");
    out [0] = 'z';
    zc_str_copy (out, 0, s);
    CHECKF (out [0] == 'z', "copy into cap 0 writes nothing");
    zc_str_copy (out, sizeof (out), empty);
    CHECKF (out [0] == 0, "copy empty");
}

//  --------------------------------------------------------------------------
//  Random mutations of valid frames: never crash, and whatever is accepted
//  must re-encode and decode to the same message

static uint64_t s_rng;
static uint64_t
s_rand (void)
{
    return xorshift64 (&s_rng);
}

static void
test_random (uint64_t seed, int iterations)
{
    enum { POOL = NTYPES * 2 };
    static uint8_t pool [POOL][1024];
    static size_t pool_size [POOL];
    for (int t = 0; t < NTYPES; t++)
        for (int all = 0; all < 2; all++) {
            zc_msg_t msg;
            s_fill (&msg, s_type_of (t), all? ALL_FIELDS: s_types [t].required);
            pool_size [t * 2 + all] = zc_msg_encode (&msg, pool [t * 2 + all], 1024);
        }
    s_rng = seed? seed: 1;
    static uint8_t frame [2048], again [ZC_MAX_FRAME];
    int accepted = 0, bad = 0;
    for (int it = 0; it < iterations; it++) {
        int src = (int) (s_rand () % POOL);
        size_t size = pool_size [src];
        memcpy (frame, pool [src], size);
        int edits = 1 + (int) (s_rand () % 4);
        for (int e = 0; e < edits && size > 0; e++) {
            size_t at = s_rand () % size;
            switch (s_rand () % 7) {
                case 0: frame [at] ^= (uint8_t) (1u << (s_rand () % 8)); break;
                case 1: frame [at] = (uint8_t) s_rand (); break;
                case 2: size = at; break;
                case 3:     //  insert a byte
                    if (size < sizeof (frame)) {
                        memmove (frame + at + 1, frame + at, size - at);
                        frame [at] = (uint8_t) s_rand ();
                        size++;
                    }
                    break;
                case 4:     //  delete a byte
                    memmove (frame + at, frame + at + 1, size - at - 1);
                    size--;
                    break;
                case 5: {   //  splice a piece of another frame in
                    int other = (int) (s_rand () % POOL);
                    size_t from = s_rand () % pool_size [other];
                    size_t n = s_rand () % (pool_size [other] - from + 1);
                    if (at + n <= sizeof (frame)) {
                        memcpy (frame + at, pool [other] + from, n);
                        if (at + n > size)
                            size = at + n;
                    }
                    break;
                }
                default:    //  interesting byte: a header or a boundary value
                    frame [at] = (uint8_t [])
                        { 0x00, 0x7f, 0x80, 0x8f, 0x90, 0xa0, 0xbf, 0xc0, 0xc1, 0xc3,
                          0xc6, 0xc9, 0xcf, 0xd3, 0xd8, 0xdb, 0xdd, 0xdf, 0xe0, 0xff } [s_rand () % 20];
            }
        }
        //  Decode from an exact-size copy so ASan catches any over-read
        uint8_t *copy = malloc (size? size: 1);
        memcpy (copy, frame, size);
        zc_msg_t msg, msg2;
        const char *error = NULL;
        if (zc_msg_decode (&msg, copy, size, &error) == 0) {
            accepted++;
            size_t size2 = zc_msg_encode (&msg, again, sizeof (again));
            if (size2 == 0 || zc_msg_decode (&msg2, again, size2, &error) != 0
            ||  s_diff (&msg, &msg2) != NULL)
                bad++, fprintf (stderr, "  iteration %d: accepted frame does not round-trip\n", it);
        }
        else
        if (error == NULL)
            bad++, fprintf (stderr, "  iteration %d: rejected with no error\n", it);
        free (copy);
    }
    CHECKF (bad == 0, "random: %d bad of %d (seed %llu)", bad, iterations, (unsigned long long) seed);
    printf ("test_wire: random seed %llu, %d iterations, %d mutants accepted\n",
            (unsigned long long) seed, iterations, accepted);
}

//  The issue-9 fields under their wire names: ERROR slow_down carries
//  retry_ms; STATUS_REPLY the four counters (docs/PROTOCOL.md §4, §7)
static bool
s_has_key (const uint8_t *frame, size_t size, const char *key)
{
    size_t len = strlen (key);
    for (size_t i = 0; i + len + 1 <= size; i++)
        if (frame [i] == (0xa0 | len) && memcmp (frame + i + 1, key, len) == 0)
            return true;
    return false;
}

static void
test_limit_fields (void)
{
    uint8_t buf [ZC_MAX_FRAME];
    zc_msg_t msg, out;
    zc_msg_init (&msg, ZC_ERROR);
    zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_SLOW_DOWN);
    zc_msg_set_u64 (&msg, ZF_RETRY_MS, 120);
    zc_msg_set_cstr (&msg, ZF_CLIENT, CLIENT_ID);
    zc_msg_set_u64 (&msg, ZF_ID, 7);
    size_t size = zc_msg_encode (&msg, buf, sizeof buf);
    CHECK (size && s_has_key (buf, size, "retry_ms") && s_has_key (buf, size, "slow_down"));
    CHECK (zc_msg_decode (&out, buf, size, NULL) == 0 && zc_msg_has (&out, ZF_RETRY_MS)
           && out.retry_ms == 120 && zc_str_eq (out.code, "slow_down") && out.id == 7);
    zc_msg_init (&msg, ZC_ERROR);
    zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_LIMIT);
    size = zc_msg_encode (&msg, buf, sizeof buf);
    CHECK (size && zc_msg_decode (&out, buf, size, NULL) == 0 && zc_str_eq (out.code, "limit")
           && !zc_msg_has (&out, ZF_RETRY_MS));

    s_fill (&msg, ZC_STATUS_REPLY, s_types [8].required);
    zc_msg_set_u64 (&msg, ZF_REFUSED, 1);
    zc_msg_set_u64 (&msg, ZF_SLOWED, 2);
    zc_msg_set_u64 (&msg, ZF_DENIED, 3);
    zc_msg_set_u64 (&msg, ZF_FORGED, 1ull << 40);
    size = zc_msg_encode (&msg, buf, sizeof buf);
    const char *keys [] = { "refused", "slowed", "denied", "forged" };
    for (int i = 0; i < 4; i++)
        CHECKF (size && s_has_key (buf, size, keys [i]), "STATUS_REPLY key %s", keys [i]);
    CHECK (zc_msg_decode (&out, buf, size, NULL) == 0 && out.refused == 1 && out.slowed == 2
           && out.denied == 3 && out.forged == 1ull << 40);
}

int
main (int argc, char *argv [])
{
    uint64_t seed = argc > 1? strtoull (argv [1], NULL, 0): 20240601;
    test_names ();
    test_setters ();
    test_setter_mismatch ();
    test_round_trips ();
    test_chat_order ();
    test_foreign_encoder ();
    test_truncation ();
    test_wrong_types ();
    test_frame_size ();
    test_string_limits ();
    test_missing_fields ();
    test_type_key ();
    test_not_a_map ();
    test_trailing ();
    test_duplicates ();
    test_unknown_keys ();
    test_small_buffer ();
    test_strings ();
    test_limit_fields ();
    test_random (seed, 200000);
    msgpack_sbuffer_destroy (&s_last_built);
    return check_report ("test_wire");
}
