/*  wire.c — the zchat codec; see wire.h and docs/PROTOCOL.md.

    Both directions are driven by two static tables: one row per field
    (key, kind, offset into zc_msg_t, presence bit) and one row per type
    (wire name, required fields).  Fields are written in table order, which
    is also bit order, so a chat map reads type,epoch,seq,rseq,ts,room,
    from,client,id,text as docs/PROTOCOL.md §3 shows it.

    Encoding: msgpack-c's packer with a write callback that appends into
    the caller's buffer and fails on overflow; nothing is allocated.

    Decoding: a small strict reader of our own, not msgpack_unpack_next.
    msgpack-c 4.0 does point str objects into the input buffer (checked),
    but it allocates a zone per frame, hides duplicate keys and builds a
    whole object tree for maps we mostly skip.  Our reader allocates
    nothing, looks at each byte once, bounds the nesting of values it skips,
    and stops at the first problem with a static error string.
*/
#include "wire.h"

#include <assert.h>
#include <msgpack.h>
#include <stddef.h>
#include <string.h>

#define ZC_SKIP_DEPTH  16       //  nesting allowed inside unknown values
#define ZC_MAX_CODE    32       //  "code" and "role" are short words

typedef enum { K_UINT, K_STR, K_BOOL } s_kind_t;

//  How a string field is checked beyond being a string
typedef enum { V_NONE, V_ROOM, V_NAME, V_CLIENT, V_TEXT, V_REASON, V_WORD } s_check_t;

typedef struct {
    const char *key;
    uint8_t keylen;
    uint8_t kind;               //  s_kind_t
    uint8_t check;              //  s_check_t
    uint16_t offset;            //  into zc_msg_t
    uint64_t bit;
    const char *e_missing;      //  static error strings, one set per key
    const char *e_type;
    const char *e_value;
    const char *e_dup;
} s_field_t;

#define F(name, BIT, kind, check) \
    { #name, sizeof (#name) - 1, kind, check, offsetof (zc_msg_t, name), BIT, \
      "missing required field " #name, "wrong type for key " #name, \
      "invalid value for key " #name, "duplicate key " #name }

//  Row i holds bit 1 << i: encode order and the setters depend on that.
static const s_field_t s_fields [] = {
    F (node,       ZF_NODE,       K_UINT, V_NONE),
    F (epoch,      ZF_EPOCH,      K_UINT, V_NONE),
    F (seq,        ZF_SEQ,        K_UINT, V_NONE),
    F (rseq,       ZF_RSEQ,       K_UINT, V_NONE),
    F (ts,         ZF_TS,         K_UINT, V_NONE),
    F (room,       ZF_ROOM,       K_STR,  V_ROOM),
    F (from,       ZF_FROM,       K_STR,  V_NAME),
    F (client,     ZF_CLIENT,     K_STR,  V_CLIENT),
    F (id,         ZF_ID,         K_UINT, V_NONE),
    F (text,       ZF_TEXT,       K_STR,  V_TEXT),
    F (leader,     ZF_LEADER,     K_UINT, V_NONE),
    F (commit,     ZF_COMMIT,     K_UINT, V_NONE),
    F (last_seq,   ZF_LAST_SEQ,   K_UINT, V_NONE),
    F (log_epoch,  ZF_LOG_EPOCH,  K_UINT, V_NONE),
    F (prev_seq,   ZF_PREV_SEQ,   K_UINT, V_NONE),
    F (prev_epoch, ZF_PREV_EPOCH, K_UINT, V_NONE),
    F (mh,         ZF_MH,         K_UINT, V_NONE),
    F (lt,         ZF_LT,         K_UINT, V_NONE),
    F (granted,    ZF_GRANTED,    K_BOOL, V_NONE),
    F (code,       ZF_CODE,       K_STR,  V_WORD),
    F (reason,     ZF_REASON,     K_STR,  V_REASON),
    F (expected,   ZF_EXPECTED,   K_UINT, V_NONE),
    F (port,       ZF_PORT,       K_UINT, V_NONE),
    F (pub_port,   ZF_PUB_PORT,   K_UINT, V_NONE),
    F (role,       ZF_ROLE,       K_STR,  V_WORD),
    F (lamport,    ZF_LAMPORT,    K_UINT, V_NONE),
    F (messages,   ZF_MESSAGES,   K_UINT, V_NONE),
    F (last,       ZF_LAST,       K_UINT, V_NONE),
    F (count,      ZF_COUNT,      K_UINT, V_NONE),
    F (dropped,    ZF_DROPPED,    K_UINT, V_NONE),
    F (start_seq,  ZF_START_SEQ,  K_UINT, V_NONE),
    F (retry_ms,   ZF_RETRY_MS,   K_UINT, V_NONE),
    F (refused,    ZF_REFUSED,    K_UINT, V_NONE),
    F (slowed,     ZF_SLOWED,     K_UINT, V_NONE),
    F (denied,     ZF_DENIED,     K_UINT, V_NONE),
    F (forged,     ZF_FORGED,     K_UINT, V_NONE),
    F (mseq,       ZF_MSEQ,       K_UINT, V_NONE),
    F (members,    ZF_MEMBERS,    K_STR,  V_TEXT),
    F (peers,      ZF_PEERS,      K_STR,  V_TEXT),
    F (unknown,    ZF_UNKNOWN,    K_BOOL, V_NONE),
};
#undef F
#define S_FIELD_COUNT (sizeof (s_fields) / sizeof (s_fields [0]))

#define PEER_REQ (ZF_NODE | ZF_EPOCH | ZF_MH)

static const struct {
    const char *name;
    uint64_t required;
} s_types [ZC_TYPE_COUNT] = {
    [ZC_UNKNOWN]       = { NULL, 0 },
    [ZC_CHAT]          = { "chat", ZF_EPOCH | ZF_SEQ | ZF_RSEQ | ZF_TS | ZF_ROOM
                                 | ZF_FROM | ZF_CLIENT | ZF_ID | ZF_TEXT },
    [ZC_BEACON]        = { "beacon", ZF_NODE | ZF_EPOCH | ZF_LEADER },
    [ZC_HELLO]         = { "hello", 0 },
    [ZC_WELCOME]       = { "welcome", ZF_NODE | ZF_LEADER | ZF_EPOCH | ZF_PORT
                                    | ZF_PUB_PORT | ZF_ROLE },
    [ZC_POST]          = { "post", ZF_CLIENT | ZF_ID | ZF_TS | ZF_ROOM | ZF_FROM
                                 | ZF_TEXT },
    [ZC_ACK]           = { "ack", ZF_CLIENT | ZF_ID | ZF_SEQ | ZF_TS | ZF_EPOCH },
    [ZC_ERROR]         = { "error", ZF_CODE },
    [ZC_STATUS]        = { "status", 0 },
    [ZC_STATUS_REPLY]  = { "status_reply", ZF_NODE | ZF_ROLE | ZF_LEADER
                                 | ZF_EPOCH | ZF_LAMPORT | ZF_MESSAGES },
    [ZC_FETCH]         = { "fetch", ZF_LAST },
    [ZC_ENTRIES]       = { "entries", ZF_LAST_SEQ },
    [ZC_PRESENCE]      = { "presence", ZF_ROOM | ZF_FROM },
    [ZC_MEMBERS]       = { "members", ZF_NODE | ZF_ROOM | ZF_COUNT },
    [ZC_ADMIN]         = { "admin", ZF_TEXT },
    [ZC_ELECTION]      = { "election", PEER_REQ },
    [ZC_ANSWER]        = { "answer", PEER_REQ },
    [ZC_PREVOTE]       = { "prevote", PEER_REQ },
    [ZC_PREVOTE_REPLY] = { "prevote_reply", PEER_REQ | ZF_GRANTED },
    [ZC_COORDINATOR]   = { "coordinator", PEER_REQ },
    [ZC_ACCEPT]        = { "accept", PEER_REQ | ZF_GRANTED },
    [ZC_APPEND]        = { "append", PEER_REQ | ZF_PREV_SEQ | ZF_PREV_EPOCH },
    [ZC_APPEND_ACK]    = { "append_ack", PEER_REQ | ZF_LAST_SEQ | ZF_GRANTED },
    [ZC_HANDOVER]      = { "handover", PEER_REQ },
    [ZC_PING]          = { "ping", PEER_REQ },
    [ZC_PONG]          = { "pong", ZF_NODE | ZF_EPOCH | ZF_LEADER },
    [ZC_LOG_FETCH]     = { "log_fetch", PEER_REQ | ZF_LAST },
    [ZC_LOG_ENTRIES]   = { "log_entries", PEER_REQ | ZF_PREV_SEQ | ZF_PREV_EPOCH
                                        | ZF_LAST_SEQ },
    [ZC_SNAPSHOT]      = { "snapshot", PEER_REQ | ZF_PREV_SEQ | ZF_PREV_EPOCH | ZF_LAST_SEQ
                                     | ZF_COMMIT | ZF_LAST | ZF_COUNT | ZF_TEXT },
    [ZC_SNAPSHOT_ACK]  = { "snapshot_ack", PEER_REQ | ZF_PREV_SEQ | ZF_LAST },
};

//  --------------------------------------------------------------------------
//  Field access through the table

//  Exactly one bit, inside the table, of the kind the setter handles; a
//  mismatch is our bug: assert, and with NDEBUG write nothing rather than
//  a value of the wrong size
static const s_field_t *
s_field_for (uint64_t bit, s_kind_t kind)
{
    unsigned index = 0;
    while (index < S_FIELD_COUNT && s_fields [index].bit != bit)
        index++;
    bool ok = index < S_FIELD_COUNT && s_fields [index].kind == kind;
    assert (ok);
    return ok? &s_fields [index]: NULL;
}

#define S_AT(msg, f, T) ((T *) ((char *) (msg) + (f)->offset))
#define S_CAT(msg, f, T) ((const T *) ((const char *) (msg) + (f)->offset))

void
zc_msg_init (zc_msg_t *msg, zc_type_t type)
{
    memset (msg, 0, sizeof (*msg));
    msg->type = type;
}

void
zc_msg_set_u64 (zc_msg_t *msg, zc_field_t field, uint64_t value)
{
    const s_field_t *f = s_field_for (field, K_UINT);
    if (f) {
        *S_AT (msg, f, uint64_t) = value;
        msg->has |= field;
    }
}

void
zc_msg_set_str (zc_msg_t *msg, zc_field_t field, const char *ptr, size_t len)
{
    const s_field_t *f = s_field_for (field, K_STR);
    assert (len <= UINT32_MAX);
    if (f && len <= UINT32_MAX) {
        S_AT (msg, f, zc_str_t)->ptr = ptr;
        S_AT (msg, f, zc_str_t)->len = (uint32_t) len;
        msg->has |= field;
    }
}

void
zc_msg_set_cstr (zc_msg_t *msg, zc_field_t field, const char *str)
{
    zc_msg_set_str (msg, field, str, strlen (str));
}

void
zc_msg_set_bool (zc_msg_t *msg, zc_field_t field, bool value)
{
    const s_field_t *f = s_field_for (field, K_BOOL);
    if (f) {
        *S_AT (msg, f, bool) = value;
        msg->has |= field;
    }
}

bool
zc_msg_has (const zc_msg_t *msg, uint64_t fields)
{
    return (msg->has & fields) == fields;
}

//  --------------------------------------------------------------------------
//  String rules, shared by encode and decode so that we never send what a
//  peer would drop

bool
zc_room_valid (const char *ptr, size_t len)
{
    if (len == 0 || len > ZC_MAX_ROOM)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) ptr [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

bool
zc_name_valid (const char *ptr, size_t len)
{
    if (len == 0 || len > ZC_MAX_NAME)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) ptr [i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static bool
s_client_valid (const char *ptr, size_t len)
{
    if (len != ZC_CLIENT_ID_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((ptr [i] >= '0' && ptr [i] <= '9') || (ptr [i] >= 'a' && ptr [i] <= 'f')))
            return false;
    return true;
}

static bool
s_str_valid (s_check_t check, zc_str_t s)
{
    switch (check) {
        case V_ROOM:   return zc_room_valid (s.ptr, s.len);
        case V_NAME:   return zc_name_valid (s.ptr, s.len);
        case V_CLIENT: return s_client_valid (s.ptr, s.len);
        case V_TEXT:   return s.len <= ZC_MAX_TEXT;
        case V_REASON: return s.len <= ZC_MAX_REASON;
        case V_WORD:   return s.len <= ZC_MAX_CODE;
        default:       return true;
    }
}

//  --------------------------------------------------------------------------
//  Encoder

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
} s_out_t;

static int
s_out_write (void *data, const char *bytes, size_t len)
{
    s_out_t *out = (s_out_t *) data;
    if (out->overflow || len > out->cap - out->len) {
        out->overflow = true;
        return -1;
    }
    if (len)            //  memcpy with NULL is undefined, even for 0 bytes
        memcpy (out->buf + out->len, bytes, len);
    out->len += len;
    return 0;
}

static void
s_pack_str (msgpack_packer *pk, const char *ptr, size_t len)
{
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, ptr, len);
}

size_t
zc_msg_encode (const zc_msg_t *msg, uint8_t *buf, size_t cap)
{
    if (msg->type <= ZC_UNKNOWN || msg->type >= ZC_TYPE_COUNT)
        return 0;
    uint64_t required = s_types [msg->type].required;
    if ((msg->has & required) != required)
        return 0;

    uint32_t count = 1;                 //  "type"
    for (size_t i = 0; i < S_FIELD_COUNT; i++) {
        const s_field_t *f = &s_fields [i];
        if (!(msg->has & f->bit))
            continue;
        if (f->kind == K_STR && !s_str_valid (f->check, *S_CAT (msg, f, zc_str_t)))
            return 0;
        count++;
    }
    s_out_t out = { buf, cap < ZC_MAX_FRAME? cap: ZC_MAX_FRAME, 0, false };
    msgpack_packer pk;
    msgpack_packer_init (&pk, &out, s_out_write);
    msgpack_pack_map (&pk, count);
    s_pack_str (&pk, "type", 4);
    const char *name = s_types [msg->type].name;
    s_pack_str (&pk, name, strlen (name));

    for (size_t i = 0; i < S_FIELD_COUNT && !out.overflow; i++) {
        const s_field_t *f = &s_fields [i];
        if (!(msg->has & f->bit))
            continue;
        s_pack_str (&pk, f->key, f->keylen);
        if (f->kind == K_UINT)
            msgpack_pack_uint64 (&pk, *S_CAT (msg, f, uint64_t));
        else
        if (f->kind == K_BOOL) {
            if (*S_CAT (msg, f, bool))
                msgpack_pack_true (&pk);
            else
                msgpack_pack_false (&pk);
        }
        else {
            const zc_str_t *s = S_CAT (msg, f, zc_str_t);
            s_pack_str (&pk, s->ptr, s->len);
        }
    }
    return out.overflow? 0: out.len;
}

//  --------------------------------------------------------------------------
//  Decoder: a strict reader for the msgpack subset we need

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} s_in_t;

static size_t
s_left (const s_in_t *in)
{
    return (size_t) (in->end - in->p);
}

//  Reads a big-endian integer of n bytes; false if the frame is too short
static bool
s_be (s_in_t *in, size_t n, uint64_t *value)
{
    if (s_left (in) < n)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | in->p [i];
    in->p += n;
    *value = v;
    return true;
}

//  Reads a map header; false if the next value is not a map
static bool
s_map (s_in_t *in, uint64_t *count)
{
    if (s_left (in) < 1)
        return false;
    uint8_t b = *in->p++;
    if (b >= 0x80 && b <= 0x8f) {
        *count = b & 0x0f;
        return true;
    }
    return (b == 0xde && s_be (in, 2, count))
        || (b == 0xdf && s_be (in, 4, count));
}

//  Reads a str header and body; false if the next value is not a whole str
static bool
s_str (s_in_t *in, zc_str_t *s)
{
    if (s_left (in) < 1)
        return false;
    uint8_t b = *in->p;
    uint64_t len;
    if (b >= 0xa0 && b <= 0xbf) {
        in->p++;
        len = b & 0x1f;
    }
    else
    if (b < 0xd9 || b > 0xdb)
        return false;
    else {
        in->p++;
        if (!s_be (in, (size_t) 1 << (b - 0xd9), &len))
            return false;
    }
    if (len > s_left (in))
        return false;
    s->ptr = (const char *) in->p;
    s->len = (uint32_t) len;
    in->p += len;
    return true;
}

//  Reads a non-negative integer of any width.  Signed encodings of values
//  >= 0 are accepted too: some packers write int64 for every integer.
static bool
s_uint (s_in_t *in, uint64_t *value)
{
    if (s_left (in) < 1)
        return false;
    uint8_t b = *in->p;
    if (b <= 0x7f) {
        in->p++;
        *value = b;
        return true;
    }
    if (b >= 0xcc && b <= 0xcf) {
        in->p++;
        return s_be (in, (size_t) 1 << (b - 0xcc), value);
    }
    if (b >= 0xd0 && b <= 0xd3) {
        size_t n = (size_t) 1 << (b - 0xd0);
        if (s_left (in) < 1 + n || (in->p [1] & 0x80))
            return false;           //  short or negative
        in->p++;
        return s_be (in, n, value);
    }
    return false;
}

//  Skips one value of any type, nested at most depth levels deeper
static bool
s_skip (s_in_t *in, int depth)
{
    if (s_left (in) < 1)
        return false;
    uint8_t b = *in->p++;
    uint64_t n = 0, items = 0;      //  bytes to skip, then values to skip
    if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3 && b != 0xc1))
        return true;                //  fixint, nil, bool
    else
    if (b >= 0x80 && b <= 0x8f)
        items = 2 * (uint64_t) (b & 0x0f);
    else
    if (b >= 0x90 && b <= 0x9f)
        items = b & 0x0f;
    else
    if (b >= 0xa0 && b <= 0xbf)
        n = b & 0x1f;
    else
    switch (b) {
        case 0xc4: case 0xc5: case 0xc6:    //  bin 8/16/32
            if (!s_be (in, (size_t) 1 << (b - 0xc4), &n))
                return false;
            break;
        case 0xc7: case 0xc8: case 0xc9:    //  ext 8/16/32: size, type, data
            if (!s_be (in, (size_t) 1 << (b - 0xc7), &n))
                return false;
            n += 1;
            break;
        case 0xca: n = 4; break;            //  float 32
        case 0xcb: n = 8; break;            //  float 64
        case 0xcc: case 0xcd: case 0xce: case 0xcf:
            n = (uint64_t) 1 << (b - 0xcc);
            break;
        case 0xd0: case 0xd1: case 0xd2: case 0xd3:
            n = (uint64_t) 1 << (b - 0xd0);
            break;
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
            n = 1 + ((uint64_t) 1 << (b - 0xd4));   //  fixext: type + data
            break;
        case 0xd9: case 0xda: case 0xdb:    //  str 8/16/32
            if (!s_be (in, (size_t) 1 << (b - 0xd9), &n))
                return false;
            break;
        case 0xdc: case 0xdd:               //  array 16/32
            if (!s_be (in, (size_t) 2 << (b - 0xdc), &items))
                return false;
            break;
        case 0xde: case 0xdf:               //  map 16/32
            if (!s_be (in, (size_t) 2 << (b - 0xde), &items))
                return false;
            items *= 2;
            break;
        default:                            //  0xc1 is never used
            return false;
    }
    if (n > s_left (in))
        return false;
    in->p += n;
    if (items == 0)
        return true;
    //  Each value takes at least one byte: this bounds the loop by the frame
    if (depth <= 0 || items > s_left (in))
        return false;
    while (items--)
        if (!s_skip (in, depth - 1))
            return false;
    return true;
}

//  Finds a known key; hint is where the last match was, as keys usually
//  come in table order
static int
s_find_field (zc_str_t key, size_t hint)
{
    for (size_t k = 0; k < S_FIELD_COUNT; k++) {
        size_t i = (hint + k) % S_FIELD_COUNT;
        if (s_fields [i].keylen == key.len
        &&  memcmp (s_fields [i].key, key.ptr, key.len) == 0)
            return (int) i;
    }
    return -1;
}

static int
s_fail (zc_msg_t *msg, const char **error, const char *why)
{
    msg->type = ZC_UNKNOWN;
    msg->has = 0;
    if (error)
        *error = why;
    return -1;
}

//  Decodes the map at in->p; leaves in->p just past it.
static int
s_decode (zc_msg_t *msg, s_in_t *in_p, const char **error)
{
    s_in_t in = *in_p;
    uint64_t count;
    if (!s_map (&in, &count))
        return s_fail (msg, error, "not a map");
    if (count > s_left (&in) / 2)
        return s_fail (msg, error, "truncated frame");

    bool have_type = false;
    zc_type_t type = ZC_UNKNOWN;
    size_t hint = 0;
    while (count--) {
        zc_str_t key;
        if (s_left (&in) > 0 && (*in.p < 0xa0 || *in.p > 0xbf)
        &&  (*in.p < 0xd9 || *in.p > 0xdb)) {
            //  Not a string key: cannot be ours, skip the pair
            if (!s_skip (&in, ZC_SKIP_DEPTH) || !s_skip (&in, ZC_SKIP_DEPTH))
                return s_fail (msg, error, "bad unknown key or value");
            continue;
        }
        if (!s_str (&in, &key))
            return s_fail (msg, error, "truncated frame");
        if (key.len == 4 && memcmp (key.ptr, "type", 4) == 0) {
            zc_str_t name;
            if (have_type)
                return s_fail (msg, error, "duplicate key type");
            if (!s_str (&in, &name))
                return s_fail (msg, error, "wrong type for key type");
            have_type = true;
            type = zc_type_from_name (name.ptr, name.len);
            continue;
        }
        int index = s_find_field (key, hint);
        if (index < 0) {
            if (!s_skip (&in, ZC_SKIP_DEPTH))
                return s_fail (msg, error, "bad value for unknown key");
            continue;
        }
        const s_field_t *f = &s_fields [index];
        hint = (size_t) index + 1;
        if (msg->has & f->bit)
            return s_fail (msg, error, f->e_dup);
        bool ok;
        if (f->kind == K_UINT)
            ok = s_uint (&in, S_AT (msg, f, uint64_t));
        else
        if (f->kind == K_STR) {
            ok = s_str (&in, S_AT (msg, f, zc_str_t));
            if (ok && !s_str_valid (f->check, *S_AT (msg, f, zc_str_t)))
                return s_fail (msg, error, f->e_value);
        }
        else {
            ok = s_left (&in) > 0 && (*in.p == 0xc2 || *in.p == 0xc3);
            if (ok)
                *S_AT (msg, f, bool) = *in.p++ == 0xc3;
        }
        if (!ok)
            return s_fail (msg, error, f->e_type);
        msg->has |= f->bit;
    }
    in_p->p = in.p;
    if (!have_type)
        return s_fail (msg, error, "missing type");
    if (type == ZC_UNKNOWN)
        return s_fail (msg, error, "unknown type");

    uint64_t missing = s_types [type].required & ~msg->has;
    if (missing) {
        size_t i = 0;
        while (!(missing & s_fields [i].bit))
            i++;
        return s_fail (msg, error, s_fields [i].e_missing);
    }
    msg->type = type;
    return 0;
}

int
zc_msg_decode (zc_msg_t *msg, const uint8_t *data, size_t size, const char **error)
{
    zc_msg_init (msg, ZC_UNKNOWN);
    if (size == 0)
        return s_fail (msg, error, "empty frame");
    if (size > ZC_MAX_FRAME)
        return s_fail (msg, error, "frame too large");
    s_in_t in = { data, data + size };
    if (s_decode (msg, &in, error))
        return -1;
    if (in.p != in.end)
        return s_fail (msg, error, "trailing bytes after map");
    return 0;
}

int
zc_msg_decode_next (zc_msg_t *msg, const uint8_t *data, size_t size, size_t *offset,
                    const char **error)
{
    zc_msg_init (msg, ZC_UNKNOWN);
    if (size > ZC_MAX_FRAME)
        return s_fail (msg, error, "frame too large");
    if (*offset >= size)
        return s_fail (msg, error, size ? "no message after the last one" : "empty frame");
    s_in_t in = { data + *offset, data + size };
    if (s_decode (msg, &in, error))
        return -1;
    *offset = (size_t) (in.p - data);
    return 0;
}

//  --------------------------------------------------------------------------
//  Names and strings

const char *
zc_type_name (zc_type_t type)
{
    if (type <= ZC_UNKNOWN || type >= ZC_TYPE_COUNT)
        return "unknown";
    return s_types [type].name;
}

zc_type_t
zc_type_from_name (const char *name, size_t len)
{
    for (int t = ZC_UNKNOWN + 1; t < ZC_TYPE_COUNT; t++)
        if (strlen (s_types [t].name) == len && memcmp (s_types [t].name, name, len) == 0)
            return (zc_type_t) t;
    return ZC_UNKNOWN;
}

bool
zc_str_eq (zc_str_t s, const char *cstr)
{
    size_t len = strlen (cstr);
    return len == s.len && (len == 0 || memcmp (s.ptr, cstr, len) == 0);
}

void
zc_str_copy (char *dst, size_t cap, zc_str_t s)
{
    if (cap == 0)
        return;
    size_t n = s.len < cap - 1? s.len: cap - 1;
    if (n)
        memcpy (dst, s.ptr, n);
    dst [n] = 0;
}
